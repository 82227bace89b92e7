// AbortSignal cancels the request in the core; timeouts; logging; clean exit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { noorle, newAccount, fault, requestLog, rejectsWith, server } from './helpers.mjs'

test('abort mid-request rejects at once with AbortError and its reason', async () => {
  const a = await newAccount('node-abort')
  await fault({ access_id: a.accessId, fault: { type: 'stall', ms: 3000 } })
  const ac = new AbortController()
  const reason = new Error('user gave up')
  setTimeout(() => ac.abort(reason), 150)
  const t0 = Date.now()
  const e = await rejectsWith(a.client().whoami({ signal: ac.signal }), noorle.AbortError)
  assert.ok(Date.now() - t0 < 1000, `abort took ${Date.now() - t0} ms`)
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

test('AbortSignal.timeout cancels a stalled call; abort during retry backoff too', async () => {
  const a = await newAccount('node-abort-timeout')
  // Each fault names its request's method and path: an abandoned request that reaches the server
  // late (a loaded machine) must not take the other call's fault.
  await fault({ access_id: a.accessId, method: 'GET', path: '/v1/service-accounts', fault: { type: 'stall', ms: 3000 } })
  await rejectsWith(a.client().serviceAccounts.list({}, { signal: AbortSignal.timeout(100) }), noorle.AbortError)
  await fault({ access_id: a.accessId, method: 'GET', path: '/v1/api-keys/self', fault: { type: 'status', status: 429, retry_after: 30 } })
  const t0 = Date.now()
  await rejectsWith(a.client().whoami({ signal: AbortSignal.timeout(200) }), noorle.AbortError)
  assert.ok(Date.now() - t0 < 2000)
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
