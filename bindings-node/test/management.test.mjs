// Every management call, pagination, whoami, request(), header schemes and the fetch helpers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import { request as undiciRequest } from 'undici'
import { noorle, Client, newAccount, requestLog, server, unique, rejectsWith, FAST } from './helpers.mjs'

test('whoami, request and keySource', async () => {
  const acct = await newAccount('node-mgmt')
  const c = acct.client()
  const me = await c.whoami()
  assert.equal(me.id, acct.accessId)
  assert.equal(me.owner.type, 'service_account')
  assert.equal(me.owner.id, acct.sa.id)
  const r = await c.request('GET', '/v1/agents', { query: { limit: 2, offset: 0 } })
  assert.equal(r.status, 200)
  assert.equal(r.json.agents.length, 2)
  assert.match(r.headers['x-request-id'], /^req_/)
  assert.match(r.headers['x-ratelimit-limit'], /^[1-9][0-9]*$/)
  const run = await c.request('post', '/v1/agents/agt_weather/run', { json: { input: { city: 'Oslo' } } })
  assert.deepEqual(run.json.run.output, { echo: { city: 'Oslo' } })
  assert.deepEqual(c.keySource(), { kind: 'explicit', variable: null, path: null, profile: null, program: null })
  // Where the key came from, in the core's words; the key redacted.
  assert.equal(util.inspect(c), `Client(${server().baseUrl}, key ${acct.key.redacted()} from explicit)`)
  assert.equal(c.baseUrl, server().baseUrl)
})

test('api keys: create, get, list, listAll, update, deactivate, activate, rotate, revoke, delete', async () => {
  const acct = await newAccount('node-keys')
  const c = acct.client()
  const created = await c.apiKeys.create({
    name: 'scoped',
    permissions: ['read'],
    scope: { type: 'resources', resources: [{ type: 'agent', id: 'agt_weather' }] },
    rate_limit_per_minute: 600,
  })
  assert.ok(created.key instanceof noorle.ApiKey)
  assert.equal(created.key.accessId, created.api_key.id)
  assert.deepEqual(created.api_key.permissions, ['read'])
  assert.equal(created.api_key.rate_limit_per_minute, 600)
  const id = created.api_key.id

  assert.equal((await c.apiKeys.get(id)).name, 'scoped')
  const renamed = await c.apiKeys.update(id, { name: 'renamed', expires_at: '2099-01-01T00:00:00Z' })
  assert.equal(renamed.name, 'renamed')
  assert.ok(renamed.expires_at instanceof Date)
  assert.equal(renamed.expires_at.toISOString(), '2099-01-01T00:00:00.000Z')
  // A Date is sent as its RFC 3339 string.
  const later = await c.apiKeys.update(id, { expires_at: new Date(Date.UTC(2098, 4, 6, 7, 8, 9)) })
  assert.equal(later.expires_at.toISOString(), '2098-05-06T07:08:09.000Z')
  assert.equal((await c.apiKeys.update(id, { expires_at: null })).expires_at, null)

  // Scoped key: reads its agent, 403 elsewhere.
  const scoped = new Client({ apiKey: created.key, baseUrl: server().baseUrl, ...FAST })
  assert.equal((await scoped.request('GET', '/v1/agents/agt_weather')).json.agent.id, 'agt_weather')
  const denied = await rejectsWith(scoped.request('GET', '/v1/agents/agt_support'), noorle.PermissionDeniedError)
  assert.equal(denied.status, 403)

  assert.equal((await c.apiKeys.deactivate(id)).status, 'inactive')
  await rejectsWith(scoped.whoami(), noorle.AuthenticationError)
  assert.equal((await c.apiKeys.activate(id)).status, 'active')
  assert.equal((await scoped.whoami()).id, id)

  // Pages: one at a time and all of them.
  for (let i = 0; i < 3; i++) await c.apiKeys.create({ name: `extra-${i}` })
  const page = await c.apiKeys.list({ service_account_id: acct.sa.id, limit: 2 })
  assert.equal(page.items.length, 2)
  assert.equal(page.total, 5)
  assert.equal(page.nextOffset, 2)
  const all = []
  for await (const k of c.apiKeys.listAll({ service_account_id: acct.sa.id, limit: 2 })) all.push(k.id)
  assert.equal(all.length, 5)
  assert.equal(new Set(all).size, 5)
  // Status filter, within this test's own account (other tests add keys elsewhere meanwhile).
  const extraIds = (await c.apiKeys.list({ service_account_id: acct.sa.id, limit: 100 })).items
    .filter((k) => k.name.startsWith('extra-'))
    .map((k) => k.id)
  assert.equal(extraIds.length, 3)
  await c.apiKeys.deactivate(extraIds[0])
  const active = await c.apiKeys.list({ service_account_id: acct.sa.id, status: 'active', limit: 100 })
  assert.deepEqual(
    new Set(active.items.map((k) => k.id)),
    new Set([acct.accessId, id, extraIds[1], extraIds[2]]),
  )
  const inactive = await c.apiKeys.list({ service_account_id: acct.sa.id, status: 'inactive', limit: 100 })
  assert.deepEqual(inactive.items.map((k) => [k.id, k.status]), [[extraIds[0], 'inactive']])

  const rotated = await c.apiKeys.rotate(id, { grace_period_seconds: 3600 })
  assert.equal(rotated.api_key.rotated_from, id)
  assert.equal(rotated.previous.id, id)
  assert.ok(rotated.key instanceof noorle.ApiKey)
  const fresh = new Client({ apiKey: rotated.key, baseUrl: server().baseUrl, ...FAST })
  assert.equal((await fresh.whoami()).id, rotated.api_key.id)
  assert.equal((await scoped.whoami()).id, id) // grace period

  await rejectsWith(c.apiKeys.delete(rotated.api_key.id), noorle.ConflictError) // not revoked yet
  assert.equal((await c.apiKeys.revoke(rotated.api_key.id)).status, 'revoked')
  await rejectsWith(fresh.whoami(), noorle.AuthenticationError)
  await c.apiKeys.delete(rotated.api_key.id)
  await rejectsWith(c.apiKeys.get(rotated.api_key.id), noorle.NotFoundError)
})

test('service accounts: create, get, list, listAll, update, createKey, listKeys, delete', async () => {
  const admin = await newAccount('node-sa-admin')
  const root = admin.client()
  const name = unique('node-sa')
  const sa = await root.serviceAccounts.create({ name, description: 'from node', role: 'developer' })
  assert.equal(sa.service_account.role, 'developer')
  assert.equal(sa.api_key.owner.id, sa.service_account.id)
  const id = sa.service_account.id
  assert.equal((await root.serviceAccounts.get(id)).description, 'from node')
  const page = await root.serviceAccounts.list({ limit: 1 })
  assert.equal(page.items.length, 1)
  assert.equal(page.nextOffset, 1)
  // Newest first. Other tests create service accounts meanwhile, which only moves these two
  // further on; none deletes one (this test does, after the walk). So the walk reaches both.
  const found = new Set()
  for await (const s of root.serviceAccounts.listAll({ limit: 2 })) {
    if (s.id === id || s.id === admin.sa.id) found.add(s.id)
    if (found.size === 2) break
  }
  assert.deepEqual(found, new Set([id, admin.sa.id]))
  const upd = await root.serviceAccounts.update(id, { description: 'changed', enabled: false })
  assert.equal(upd.description, 'changed')
  assert.equal(upd.enabled, false)
  const disabled = new Client({ apiKey: sa.key, baseUrl: server().baseUrl, ...FAST })
  const e = await rejectsWith(disabled.whoami(), noorle.AuthenticationError)
  assert.equal(e.details.reason, 'service_account_disabled')
  await root.serviceAccounts.update(id, { enabled: true })

  const second = await root.serviceAccounts.createKey(id, { name: 'second' })
  assert.equal(second.api_key.owner.id, id)
  const keys = await root.serviceAccounts.listKeys(id, { limit: 1 })
  assert.equal(keys.total, 2)
  const ids = []
  for await (const k of root.serviceAccounts.listAllKeys(id, { limit: 1 })) ids.push(k.id)
  assert.deepEqual(new Set(ids), new Set([sa.api_key.id, second.api_key.id]))

  await root.serviceAccounts.delete(id)
  await rejectsWith(root.serviceAccounts.get(id), noorle.NotFoundError)
  assert.equal((await root.apiKeys.get(second.api_key.id)).status, 'revoked')
})

test('each header scheme reaches the server as that header', async () => {
  const acct = await newAccount('node-schemes')
  for (const scheme of ['x-api-key', 'api-key', 'authorization']) {
    await acct.client({ headerScheme: scheme }).whoami()
  }
  const log = await requestLog(acct.accessId, { path: '/v1/api-keys/self' })
  assert.deepEqual(
    log.map((r) => r.auth_header),
    ['x-api-key', 'api-key', 'authorization'],
  )
})

test('the fetch helpers and undici headers attach the key', async () => {
  const acct = await newAccount('node-fetch')
  const c = acct.client()
  const res = await c.fetch('/v1/api-keys/self')
  assert.equal(res.status, 200)
  assert.equal((await res.json()).api_key.id, acct.accessId)

  const f = noorle.createFetch({ apiKey: acct.key, baseUrl: server().baseUrl, env: false, headerScheme: 'api-key' })
  const res2 = await f('/v1/agents', { headers: { accept: 'application/json' } })
  assert.equal(res2.status, 200)
  await res2.arrayBuffer()

  const u = await undiciRequest(`${server().baseUrl}/v1/api-keys/self`, {
    headers: noorle.authHeaders(acct.key, 'authorization'),
  })
  assert.equal(u.statusCode, 200)
  assert.equal((await u.body.json()).api_key.id, acct.accessId)

  const log = await requestLog(acct.accessId)
  assert.deepEqual(
    log.slice(-3).map((r) => r.auth_header),
    ['x-api-key', 'api-key', 'authorization'],
  )
})
