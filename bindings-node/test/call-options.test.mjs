// Per-call options (timeout, totalTimeout, maxRetries, idempotencyKey) on every client method,
// counted through the server's request log. Each fault names its access id, method and path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noorle, newAccount, fault, requestLog, unique, rejectsWith } from './helpers.mjs'

const SELF = '/v1/api-keys/self'
const statuses = (log) => log.map((r) => r.status)

test('maxRetries: 0 for one call makes one attempt; the client keeps its own retries', async () => {
  const a = await newAccount('node-call-retries')
  const c = a.client({ maxRetries: 2 })
  const self = { access_id: a.accessId, method: 'GET', path: SELF }
  await fault({ ...self, fault: { type: 'status', status: 503 } })
  const e = await rejectsWith(c.whoami({ maxRetries: 0 }), noorle.ServerError)
  assert.equal(e.status, 503)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [503])
  // The control: the same client, without the option, retries the same fault.
  await fault({ ...self, fault: { type: 'status', status: 503 } })
  assert.equal((await c.whoami()).id, a.accessId)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [503, 503, 200])
})

test('maxRetries per call reaches the management methods and the walkers', async () => {
  const a = await newAccount('node-call-retries-sa')
  const c = a.client({ maxRetries: 2 })
  const path = `/v1/service-accounts/${a.sa.id}/api-keys`
  await fault({ access_id: a.accessId, method: 'GET', path, fault: { type: 'status', status: 502 } })
  const walked = []
  const walk = async () => {
    for await (const k of c.serviceAccounts.listAllKeys(a.sa.id, {}, { maxRetries: 0 })) walked.push(k.id)
  }
  await rejectsWith(walk(), noorle.ServerError)
  assert.deepEqual(walked, [])
  assert.deepEqual(statuses(await requestLog(a.accessId, { method: 'GET', path })), [502])
})

test('idempotencyKey for one call reaches the server', async () => {
  const a = await newAccount('node-call-idem')
  const c = a.client()
  const idem = unique('node-call-idem')
  const created = await c.apiKeys.create({ name: 'idem' }, { idempotencyKey: idem })
  const log = await requestLog(a.accessId, { method: 'POST', path: '/v1/api-keys' })
  assert.deepEqual(log.map((r) => [r.status, r.idempotency_key]), [[201, idem]])
  // The same key again is a replay: the first key's record, nothing new created.
  const again = await c.apiKeys.create({ name: 'idem' }, { idempotencyKey: idem })
  assert.equal(again.api_key.id, created.api_key.id)
  const page = await c.serviceAccounts.listKeys(a.sa.id, { limit: 100 })
  assert.deepEqual(page.items.filter((k) => k.name === 'idem').map((k) => k.id), [created.api_key.id])
})

test('timeout for one call bounds its attempts', async () => {
  const a = await newAccount('node-call-timeout')
  // The client's own timeout is 60 s: only the call's 2 s can end this stall.
  const c = a.client({ maxRetries: 0 })
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'stall', ms: 60000 } })
  const e = await rejectsWith(c.whoami({ timeout: 2000 }), noorle.APITimeoutError)
  assert.equal(e.kind, 'timeout')
  assert.deepEqual((await requestLog(a.accessId, { path: SELF })).map((r) => r.fault), ['stall'])
})

test('totalTimeout for one call bounds the whole call', async () => {
  const a = await newAccount('node-call-total')
  const c = a.client({ maxRetries: 3 })
  // A 30 s Retry-After is a wait the client takes (under its 60 s limit): only the bound refuses it.
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 503, retry_after: 30 } })
  const e = await rejectsWith(c.whoami({ totalTimeout: 2000 }), noorle.ServerError)
  assert.deepEqual([e.status, e.retryAfter], [503, 30000])
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [503])
})

test('bad call options are refused and nothing is sent', async () => {
  const a = await newAccount('node-call-bad')
  const c = a.client()
  for (const opts of [{ timeout: -1 }, { totalTimeout: NaN }, { maxRetries: -1 }, { retries: 1 }]) {
    await rejectsWith(c.whoami(opts), noorle.ConfigError)
  }
  for (const opts of [{ timeout: '300' }, { maxRetries: '1' }, { idempotencyKey: 7 }]) {
    await assert.rejects(c.apiKeys.create({ name: 'x' }, opts), TypeError, JSON.stringify(opts))
  }
  assert.deepEqual(await requestLog(a.accessId), [])
})
