// AbortSignal cancels the request in the core; logging; clean exit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { noorle, newAccount, fault, requestLog, waitForLog, rejectsWith, server } from './helpers.mjs'

const SELF = '/v1/api-keys/self'

test('abort mid-request rejects with AbortError and its reason', async () => {
  const a = await newAccount('node-abort')
  // A client that ignored the abort would get its answer after the stall, and so fail below.
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'stall', ms: 10000 } })
  const ac = new AbortController()
  const reason = new Error('user gave up')
  const call = a.client().whoami({ signal: ac.signal })
  // Aborted once the request is at the server, so this is a cancellation mid-request.
  await waitForLog(a.accessId, { method: 'GET', path: SELF }, (l) => l.length === 1, 'the stalled request')
  ac.abort(reason)
  const e = await rejectsWith(call, noorle.AbortError)
  assert.deepEqual([e.name, e.code, e.kind], ['AbortError', 'ABORT_ERR', 'cancelled'])
  assert.equal(e.cause, reason)
  // The client still works afterwards.
  assert.equal((await a.client().whoami()).id, a.accessId)
})

test('an already-aborted signal never reaches the server', async () => {
  const a = await newAccount('node-abort-pre')
  const before = (await requestLog(a.accessId)).length
  const e = await rejectsWith(a.client().apiKeys.list({}, { signal: AbortSignal.abort() }), noorle.AbortError)
  assert.equal(e.code, 'ABORT_ERR')
  assert.equal((await requestLog(a.accessId)).length, before)
})

test('AbortSignal.timeout cancels a stalled call', async () => {
  const a = await newAccount('node-abort-timeout')
  // The fault names its request's method and path, so an abandoned request that reaches the
  // server late cannot take a fault meant for another call.
  const path = '/v1/service-accounts'
  await fault({ access_id: a.accessId, method: 'GET', path, fault: { type: 'stall', ms: 10000 } })
  await rejectsWith(a.client().serviceAccounts.list({}, { signal: AbortSignal.timeout(100) }), noorle.AbortError)
})

test('an abort during a Retry-After wait ends the call; the retry is never sent', async () => {
  const a = await newAccount('node-abort-backoff')
  await fault({ access_id: a.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 429, retry_after: 30 } })
  const ac = new AbortController()
  const call = a.client().whoami({ signal: ac.signal })
  await waitForLog(a.accessId, { method: 'GET', path: SELF }, (l) => l.some((r) => r.status === 429), 'the 429')
  ac.abort()
  await rejectsWith(call, noorle.AbortError)
  assert.deepEqual((await requestLog(a.accessId, { method: 'GET', path: SELF })).map((r) => r.status), [429])
})

test('abort listeners are removed after each call', async () => {
  const a = await newAccount('node-abort-listeners')
  const ac = new AbortController()
  const c = a.client()
  for (let i = 0; i < 20; i++) await c.whoami({ signal: ac.signal })
  const { getEventListeners } = await import('node:events')
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
})

test('unknown call options are refused', async () => {
  const a = await newAccount('node-callopts')
  await rejectsWith(a.client().whoami({ sginal: 1 }), noorle.ConfigError)
})

test('NOORLE_LOG logs redacted lines to stderr; the process exits by itself', () => {
  const { baseUrl, rootKey } = server()
  const index = fileURLToPath(new URL('../index.js', import.meta.url))
  const script = `
    const n = require(${JSON.stringify(index)});
    new n.Client({ env: false, apiKey: process.env.K, baseUrl: process.env.U, maxRetries: 0 })
      .whoami().then((me) => console.log('ok', me.id));`
  const r = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, NOORLE_LOG: 'noorle=trace,reqwest=debug,hyper=debug', K: rootKey, U: baseUrl },
    encoding: 'utf8',
    timeout: 20000,
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^ok [0-9a-f]{32}/)
  assert.ok(r.stderr.trim().length > 0, 'no log output')
  assert.ok(!r.stderr.includes(rootKey.slice(35)), 'the secret is in the logs')
  assert.ok(!r.stdout.includes(rootKey.slice(35)))
})
