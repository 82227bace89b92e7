// Retries counted through the server's request log, with injected faults. Every fault names the
// access id, method and path of the request it is meant for.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noorle, newAccount, fault, requestLog, waitForLog, track, rejectsWith } from './helpers.mjs'

const SELF = '/v1/api-keys/self'
const statuses = (log) => log.map((r) => r.status)

test('503 twice then success: three attempts', async () => {
  const a = await newAccount('node-retry-503')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, count: 2, fault: { type: 'status', status: 503 } })
  assert.equal((await a.client().whoami()).id, a.accessId)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [503, 503, 200])
})

test('408 and 504 are retried', async () => {
  const a = await newAccount('node-retry-408')
  for (const status of [408, 504]) {
    await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status } })
  }
  assert.equal((await a.client().whoami()).id, a.accessId)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [408, 504, 200])
})

test('retries stop at maxRetries', async () => {
  const a = await newAccount('node-retry-max')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, count: 5, fault: { type: 'status', status: 502 } })
  await rejectsWith(a.client({ maxRetries: 1 }).whoami(), noorle.ServerError)
  assert.equal((await requestLog(a.accessId, { path: SELF })).length, 2)
  await rejectsWith(a.client({ maxRetries: 0 }).whoami(), noorle.ServerError)
  assert.equal((await requestLog(a.accessId, { path: SELF })).length, 3)
  // The two faults left over match only this test's key; clearing every fault here would also
  // wipe those that concurrent test files (and other languages' suites) have queued.
})

test('DELETE is retried', async () => {
  const a = await newAccount('node-retry-delete')
  const c = a.client()
  const k = await c.apiKeys.create({ name: 'to-delete' })
  await c.apiKeys.revoke(k.api_key.id)
  const path = `/v1/api-keys/${k.api_key.id}`
  await fault({ access_id: a.accessId, method: 'DELETE', path, fault: { type: 'status', status: 503 } })
  await c.apiKeys.delete(k.api_key.id)
  assert.deepEqual(statuses(await requestLog(a.accessId, { method: 'DELETE', path })), [503, 204])
  await rejectsWith(c.apiKeys.get(k.api_key.id), noorle.NotFoundError)
})

test('PATCH is not retried: it carries no idempotency key', async () => {
  const a = await newAccount('node-retry-patch')
  const path = `/v1/api-keys/${a.accessId}`
  await fault({ access_id: a.accessId, method: 'PATCH', path, fault: { type: 'status', status: 503 } })
  const e = await rejectsWith(a.client({ maxRetries: 3 }).apiKeys.update(a.accessId, { name: 'renamed' }), noorle.ServerError)
  assert.equal(e.status, 503)
  assert.deepEqual(statuses(await requestLog(a.accessId, { method: 'PATCH', path })), [503])
  assert.equal((await a.client().apiKeys.get(a.accessId)).name, a.record.name)
})

test('429 with Retry-After: the retry is sent after the wait', async () => {
  const a = await newAccount('node-retry-429')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 429, retry_after: 1 } })
  await a.client().whoami()
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [429, 200])
})

test('429 with Retry-After: no retry is sent before the wait is over', async () => {
  const a = await newAccount('node-retry-429-wait')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 429, retry_after: 30 } })
  // Backoff of at most 1 ms: a client that ignored Retry-After would retry at once.
  const ac = new AbortController()
  const call = track(a.client({ retryBaseDelay: 1, retryMaxDelay: 1 }).whoami({ signal: ac.signal }))
  await waitForLog(a.accessId, { path: SELF }, (l) => l.length > 0, 'the 429')
  // One more answer stalled at the server: room for such a retry to show up in the log.
  const agents = '/v1/agents'
  await fault({ access_id: a.accessId, method: 'GET', path: agents, fault: { type: 'stall', ms: 500 } })
  await a.client().request('GET', agents)
  assert.equal(call.settled, false)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [429])
  ac.abort()
  await rejectsWith(call.promise, noorle.AbortError)
})

test('a Retry-After over 60 s is not waited for: RateLimitError at once', async () => {
  const a = await newAccount('node-retry-429-long')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 429, retry_after: 61 } })
  const e = await rejectsWith(a.client().whoami(), noorle.RateLimitError)
  assert.equal(e.retryAfter, 61000)
  assert.deepEqual(statuses(await requestLog(a.accessId, { path: SELF })), [429])
})

test('a dropped connection is retried', async () => {
  const a = await newAccount('node-retry-drop')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'drop' } })
  await a.client().whoami()
  const log = await requestLog(a.accessId, { path: SELF })
  assert.deepEqual(log.map((r) => [r.fault, r.status]), [['drop', null], [null, 200]])
})

test('a stall past the timeout is retried', async () => {
  const a = await newAccount('node-retry-stall')
  // A client that never timed out would wait for this answer: one attempt, not two.
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'stall', ms: 60000 } })
  await a.client({ timeout: 2000 }).whoami()
  const log = await requestLog(a.accessId, { path: SELF })
  assert.deepEqual(log.map((r) => r.fault), ['stall', null])
  assert.equal(log[1].status, 200)
})

test('a 404 is not retried', async () => {
  const a = await newAccount('node-retry-404')
  await rejectsWith(a.client().apiKeys.get('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'), noorle.NotFoundError)
  assert.equal((await requestLog(a.accessId, { path: '/v1/api-keys/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' })).length, 1)
})

const namesOf = async (a, name) => {
  const keys = []
  for await (const k of a.client().serviceAccounts.listAllKeys(a.sa.id, { limit: 100 })) {
    if (k.name === name) keys.push(k.id)
  }
  return keys
}

test('a POST whose answer was lost is replayed, not run twice', async () => {
  const a = await newAccount('node-retry-post')
  const c = a.client({ maxRetries: 3 })
  const path = '/v1/api-keys'
  // The first attempt creates the key and its answer is lost; the second is refused with a 503;
  // the third gets the first one's answer back.
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'drop_after' } })
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'status', status: 503 } })
  const created = await c.apiKeys.create({ name: 'once' })
  const log = await requestLog(a.accessId, { method: 'POST', path })
  assert.deepEqual(log.map((r) => [r.fault, r.status]), [['drop_after', 201], ['status', 503], [null, 201]])
  assert.match(log[0].idempotency_key, /\S/)
  assert.deepEqual(log.map((r) => r.idempotency_key), Array(3).fill(log[0].idempotency_key))
  assert.deepEqual(await namesOf(a, 'once'), [created.api_key.id])
  assert.equal((await a.client().apiKeys.get(created.api_key.id)).name, 'once')
})

test('a POST that timed out is retried with the same idempotency key', async () => {
  const a = await newAccount('node-retry-post-late')
  const path = '/v1/api-keys'
  // The first attempt stalls far past the client's timeout: a client that never timed out would
  // wait for it and send one attempt, not two. (The lost-answer case is the drop_after test.)
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'stall', ms: 60000 } })
  const created = await a.client({ maxRetries: 3, timeout: 2000 }).apiKeys.create({ name: 'late' })
  const log = await requestLog(a.accessId, { method: 'POST', path })
  assert.deepEqual(log.map((r) => r.fault), ['stall', null])
  assert.equal(log[0].idempotency_key, log[1].idempotency_key)
  assert.deepEqual(await namesOf(a, 'late'), [created.api_key.id])
})

test('request() POSTs are retried with the caller\'s idempotency key', async () => {
  const a = await newAccount('node-retry-raw')
  const path = '/v1/agents/agt_weather/run'
  await fault({ access_id: a.accessId, method: 'POST', path, fault: { type: 'status', status: 500 } })
  const r = await a.client().request('POST', path, { json: { input: 1 }, idempotencyKey: 'node-idem-1' })
  assert.equal(r.status, 200)
  const log = await requestLog(a.accessId, { path })
  assert.deepEqual(log.map((x) => [x.status, x.idempotency_key]), [[500, 'node-idem-1'], [200, 'node-idem-1']])
})
