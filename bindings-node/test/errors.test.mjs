// Every error kind, with its subclass, instanceof, and fields; no message carries a secret.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { noorle, Client, newAccount, fault, requestLog, server, rejectsWith, FAST } from './helpers.mjs'

const SELF = '/v1/api-keys/self'

const E = noorle

test('401: an unknown key is AuthenticationError, without its secret in the message', async () => {
  const secret = 'Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm'
  const c = new Client({ apiKey: `ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0${secret}`, baseUrl: server().baseUrl, ...FAST })
  const e = await rejectsWith(c.whoami(), E.AuthenticationError)
  assert.ok(e instanceof E.APIError)
  assert.equal(e.status, 401)
  assert.equal(e.code, 'unauthorized')
  assert.match(e.requestId, /^req_[0-9a-f]{24}$/)
  assert.equal(e.retryable, false)
  assert.equal(e.kind, 'authentication')
  assert.match(e.message, /invalid API key/)
  for (const s of [e.message, e.stack, JSON.stringify(e), String(e)]) assert.ok(!s.includes(secret), s)
})

test('403, 404, 409, 422 and 400 map to their classes', async () => {
  const acct = await newAccount('node-errors')
  const c = acct.client()
  const viewer = await c.serviceAccounts.create({ name: 'viewer', role: 'viewer' })
  const vc = new Client({ apiKey: viewer.key, baseUrl: server().baseUrl, ...FAST })
  const forbidden = await rejectsWith(vc.apiKeys.create({ name: 'x' }), E.PermissionDeniedError)
  assert.equal(forbidden.status, 403)
  assert.equal(forbidden.code, 'forbidden')

  const nf = await rejectsWith(c.apiKeys.get('ffffffffffffffffffffffffffffffff'), E.NotFoundError)
  assert.deepEqual([nf.status, nf.code, nf.kind], [404, 'not_found', 'not_found'])

  const k = await c.apiKeys.create({ name: 'to-revoke' })
  await c.apiKeys.revoke(k.api_key.id)
  const conflict = await rejectsWith(c.apiKeys.activate(k.api_key.id), E.ConflictError)
  assert.equal(conflict.status, 409)

  const invalid = await rejectsWith(c.apiKeys.create({ name: '   ' }), E.ValidationError)
  assert.equal(invalid.status, 422)
  assert.equal(invalid.code, 'validation_error')
  assert.equal(invalid.details.field, 'name')
  const badLimit = await rejectsWith(c.apiKeys.list({ limit: 1000 }), E.ValidationError)
  assert.equal(badLimit.status, 422)

  await fault({ access_id: acct.accessId, method: 'GET', path: '/v1/agents', fault: { type: 'status', status: 400 } })
  const bad = await rejectsWith(c.request('GET', '/v1/agents'), E.ValidationError)
  assert.deepEqual([bad.status, bad.code], [400, 'invalid_request'])
})

test('429 is RateLimitError with retryAfter (ms); 5xx is ServerError; other statuses APIError', async () => {
  const acct = await newAccount('node-errors-5xx')
  const c = acct.client({ maxRetries: 0 })
  const self = { access_id: acct.accessId, method: 'GET', path: SELF }
  await fault({ ...self, fault: { type: 'status', status: 429, retry_after: 7 } })
  const rl = await rejectsWith(c.whoami(), E.RateLimitError)
  assert.deepEqual([rl.status, rl.code, rl.retryAfter, rl.retryable], [429, 'rate_limited', 7000, true])

  await fault({ ...self, fault: { type: 'status', status: 503 } })
  const s = await rejectsWith(c.whoami(), E.ServerError)
  assert.deepEqual([s.status, s.code, s.retryable], [503, 'service_unavailable', true])
  assert.match(s.requestId, /^req_/)

  await fault({ ...self, fault: { type: 'status', status: 418, code: 'teapot' } })
  const t = await rejectsWith(c.whoami(), E.APIError)
  assert.deepEqual([t.status, t.code, t.kind], [418, 'teapot', 'api'])
})

test('connection failures are APIConnectionError; a stalled server is APITimeoutError', async () => {
  const acct = await newAccount('node-errors-net')
  const closed = new Client({ apiKey: acct.key, baseUrl: 'http://127.0.0.1:9', ...FAST, maxRetries: 0 })
  const ce = await rejectsWith(closed.whoami(), E.APIConnectionError)
  assert.equal(ce.retryable, true)
  assert.ok(!ce.message.includes(acct.key.exposeSecret().slice(35)))

  const c = acct.client({ maxRetries: 0 })
  const self = { access_id: acct.accessId, method: 'GET', path: SELF }
  await fault({ ...self, fault: { type: 'drop' } })
  await rejectsWith(c.whoami(), E.APIConnectionError)

  // A client that never timed out would get the answer after the stall, and so fail here.
  await fault({ ...self, fault: { type: 'stall', ms: 60000 } })
  const te = await rejectsWith(acct.client({ maxRetries: 0, timeout: 2000 }).whoami(), E.APITimeoutError)
  assert.ok(te instanceof E.APIConnectionError)
  assert.equal(te.kind, 'timeout')
  assert.equal(te.retryable, true)
  const log = await requestLog(acct.accessId, { method: 'GET', path: SELF })
  assert.deepEqual(log.map((r) => r.fault), ['drop', 'stall'])
})

test('a non-JSON error body: ServerError with the text (redacted) as its message, retried', async () => {
  const acct = await newAccount('node-errors-text')
  const leaked = acct.key.exposeSecret()
  const seen = []
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(`upstream exploded while serving ${leaked}\n`)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  try {
    const baseUrl = `http://127.0.0.1:${srv.address().port}`
    const c = new Client({ apiKey: acct.key, baseUrl, ...FAST, maxRetries: 1 })
    const e = await rejectsWith(c.whoami(), E.ServerError)
    assert.deepEqual([e.status, e.code, e.kind, e.retryable], [502, 'internal_error', 'server', true])
    assert.match(e.message, /upstream exploded while serving ak-[0-9a-f]{32}/)
    assert.ok(!e.message.includes(leaked.slice(35)), e.message)
    assert.deepEqual(seen, ['GET /v1/api-keys/self', 'GET /v1/api-keys/self'])
  } finally {
    srv.closeAllConnections()
    srv.close()
  }
})

// A loopback listener that never accepts: its thread blocks, and its accept queue is filled.
async function neverAccepting() {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads')
    const srv = require('node:net').createServer()
    srv.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      parentPort.postMessage(srv.address().port)
      Atomics.wait(new Int32Array(workerData), 0, 0) // until told to stop
      srv.close()
    })`
  const stop = new SharedArrayBuffer(4)
  const worker = new Worker(src, { eval: true, workerData: stop })
  const [port] = await once(worker, 'message')
  // Linux queues backlog + 1 connections; once those are in, a new connect gets no answer.
  const fill = []
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, '127.0.0.1')
    fill.push(s)
    await once(s, 'connect')
  }
  return {
    port,
    async close() {
      for (const s of fill) s.destroy()
      Atomics.store(new Int32Array(stop), 0, 1)
      Atomics.notify(new Int32Array(stop), 0)
      await once(worker, 'exit')
    },
  }
}

test('connectTimeout: a connect that gets no answer is APIConnectionError', { timeout: 60000 }, async () => {
  const acct = await newAccount('node-errors-connect')
  const listener = await neverAccepting()
  try {
    // The whole-request timeout is far longer than the test's: only connectTimeout can end this.
    const c = new Client({
      apiKey: acct.key,
      baseUrl: `http://127.0.0.1:${listener.port}`,
      ...FAST,
      maxRetries: 0,
      connectTimeout: 200,
      timeout: 600000,
    })
    // The default connect timeout is 10 s: a client that ignored connectTimeout would be
    // aborted first, and fail with AbortError.
    const e = await rejectsWith(c.whoami({ signal: AbortSignal.timeout(5000) }), E.APIConnectionError)
    assert.deepEqual([e.kind, e.retryable], ['connection', true])
    assert.match(e.message, /connect/i)
  } finally {
    await listener.close()
  }
})

test('local errors: InvalidApiKeyError, CredentialsNotFoundError, ConfigError', () => {
  assert.throws(() => noorle.ApiKey.parse('ak_nope'), E.InvalidApiKeyError)
  assert.throws(() => new Client({ env: false }), E.CredentialsNotFoundError)
  assert.throws(() => new Client({ env: false, apiKey: server().rootKey, maxRetries: -1 }), E.ConfigError)
  for (const Cls of [E.InvalidApiKeyError, E.CredentialsNotFoundError, E.ConfigError, E.AbortError,
    E.APIConnectionError, E.APITimeoutError, E.AuthenticationError, E.InternalError]) {
    assert.ok(Cls.prototype instanceof E.NoorleError && Cls.prototype instanceof Error, Cls.name)
  }
})

test('the hierarchy of spec/sdk.yaml: parents, and the kind an error made in JS gets', () => {
  const parents = [
    [E.APITimeoutError, E.APIConnectionError], [E.AuthenticationError, E.APIError],
    [E.PermissionDeniedError, E.APIError], [E.NotFoundError, E.APIError], [E.ConflictError, E.APIError],
    [E.ValidationError, E.APIError], [E.RateLimitError, E.APIError], [E.ServerError, E.APIError],
    [E.APIError, E.NoorleError], [E.APIConnectionError, E.NoorleError], [E.InternalError, E.NoorleError],
  ]
  for (const [Cls, Parent] of parents) assert.equal(Object.getPrototypeOf(Cls), Parent, Cls.name)
  const t = new E.APITimeoutError('late')
  assert.deepEqual([t.name, t.kind, t.code], ['APITimeoutError', 'timeout', 'timeout'])
  const a = new E.AbortError('stop')
  assert.deepEqual([a.name, a.kind, a.code], ['AbortError', 'cancelled', 'ABORT_ERR'])
})

test('core errors map by kind; a kind from a newer core is the base class and keeps its kind', async () => {
  const { fromNative } = await import('../errors.js')
  const redact = (s) => s
  const known = fromNative({ noorle: { kind: 'internal', message: 'bug' } }, redact)
  assert.equal(known.constructor, E.InternalError)
  const unknown = fromNative({ noorle: { kind: 'from_the_future', message: 'new', retry_after: 1.5 } }, redact)
  assert.equal(unknown.constructor, E.NoorleError)
  assert.deepEqual([unknown.kind, unknown.message, unknown.retryAfter], ['from_the_future', 'new', 1500])
  // Names of Object.prototype are no kinds either.
  assert.equal(fromNative({ noorle: { kind: 'constructor', message: 'x' } }, redact).constructor, E.NoorleError)
})
