// Retries counted through the server's request log, with injected faults.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noorle, newAccount, fault, requestLog, rejectsWith } from './helpers.mjs'

const SELF = '/v1/api-keys/self'

test('503 twice then success: three attempts', async () => {
  const a = await newAccount('node-retry-503')
  await fault({ access_id: a.accessId, path: SELF, count: 2, fault: { type: 'status', status: 503 } })
  assert.equal((await a.client().whoami()).id, a.accessId)
  const log = await requestLog(a.accessId, { path: SELF })
  assert.deepEqual(log.map((r) => r.status), [503, 503, 200])
})

test('retries stop at maxRetries', async () => {
  const a = await newAccount('node-retry-max')
  await fault({ access_id: a.accessId, path: SELF, count: 5, fault: { type: 'status', status: 502 } })
  await rejectsWith(a.client({ maxRetries: 1 }).whoami(), noorle.ServerError)
  assert.equal((await requestLog(a.accessId, { path: SELF })).length, 2)
  await rejectsWith(a.client({ maxRetries: 0 }).whoami(), noorle.ServerError)
  assert.equal((await requestLog(a.accessId, { path: SELF })).length, 3)
  // The two faults left over match only this test's key; clearing every fault here would also
  // wipe those that concurrent test files (and other languages' suites) have queued.
})

test('429 with Retry-After is waited for, then retried', async () => {
  const a = await newAccount('node-retry-429')
  await fault({ access_id: a.accessId, path: SELF, fault: { type: 'status', status: 429, retry_after: 1 } })
  const t0 = Date.now()
  await a.client().whoami()
  const waited = Date.now() - t0
  assert.ok(waited >= 900, `waited only ${waited} ms`)
  assert.deepEqual((await requestLog(a.accessId, { path: SELF })).map((r) => r.status), [429, 200])
})

test('a dropped connection is retried', async () => {
  const a = await newAccount('node-retry-drop')
  await fault({ access_id: a.accessId, path: SELF, fault: { type: 'drop' } })
  await a.client().whoami()
  const log = await requestLog(a.accessId, { path: SELF })
  assert.deepEqual(log.map((r) => [r.fault, r.status]), [['drop', null], [null, 200]])
})

test('a stall past the timeout is retried', async () => {
  const a = await newAccount('node-retry-stall')
  await fault({ access_id: a.accessId, path: SELF, fault: { type: 'stall', ms: 1500 } })
  const t0 = Date.now()
  await a.client({ timeout: 300 }).whoami()
  assert.ok(Date.now() - t0 < 1400)
  const log = await requestLog(a.accessId, { path: SELF })
  assert.equal(log.length, 2)
  assert.equal(log[0].fault, 'stall')
})

test('a 404 is not retried', async () => {
  const a = await newAccount('node-retry-404')
  await rejectsWith(a.client().apiKeys.get('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), noorle.NotFoundError)
  assert.equal((await requestLog(a.accessId, { path: '/v1/api-keys/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' })).length, 1)
})

test('exactly one key is created when the first POST attempts fail', async () => {
  const a = await newAccount('node-retry-post')
  const c = a.client({ maxRetries: 3 })
  const path = '/v1/api-keys'
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'drop' } })
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'status', status: 503 } })
  const created = await c.apiKeys.create({ name: 'once' })
  const log = await requestLog(a.accessId, { method: 'POST', path })
  assert.deepEqual(log.map((r) => r.status), [null, 503, 201])
  assert.equal(new Set(log.map((r) => r.idempotency_key)).size, 1)
  assert.ok(log[0].idempotency_key)

  // A first attempt that does run on the server but answers too late: the retry replays it.
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'stall', ms: 600 } })
  await a.client({ maxRetries: 3, timeout: 300, retryBaseDelay: 500, retryMaxDelay: 500 }).apiKeys.create({ name: 'late' })

  const mine = await c.apiKeys.list({ service_account_id: a.sa.id, limit: 100 })
  assert.equal(mine.items.filter((k) => k.name === 'once').length, 1)
  assert.equal(mine.items.filter((k) => k.name === 'late').length, 1)
  assert.ok(mine.items.some((k) => k.id === created.api_key.id))
})

test('request() POSTs are retried with the caller\'s idempotency key', async () => {
  const a = await newAccount('node-retry-raw')
  await fault({ access_id: a.accessId, method: 'POST', path: '/v1/agents/agt_weather/run', fault: { type: 'status', status: 500 } })
  const r = await a.client().request('POST', '/v1/agents/agt_weather/run', { json: { input: 1 }, idempotencyKey: 'node-idem-1' })
  assert.equal(r.status, 200)
  const log = await requestLog(a.accessId, { path: '/v1/agents/agt_weather/run' })
  assert.deepEqual(log.map((x) => [x.status, x.idempotency_key]), [[500, 'node-idem-1'], [200, 'node-idem-1']])
})
