// Every error kind, with its subclass, instanceof, and fields; no message carries a secret.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noorle, Client, newAccount, fault, server, rejectsWith, FAST } from './helpers.mjs'

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

  await fault({ access_id: acct.accessId, path: '/v1/agents', fault: { type: 'status', status: 400 } })
  const bad = await rejectsWith(c.request('GET', '/v1/agents'), E.ValidationError)
  assert.deepEqual([bad.status, bad.code], [400, 'invalid_request'])
})

test('429 is RateLimitError with retryAfter; 5xx is ServerError; other statuses APIError', async () => {
  const acct = await newAccount('node-errors-5xx')
  const c = acct.client({ maxRetries: 0 })
  await fault({ access_id: acct.accessId, fault: { type: 'status', status: 429, retry_after: 7 } })
  const rl = await rejectsWith(c.whoami(), E.RateLimitError)
  assert.deepEqual([rl.status, rl.code, rl.retryAfter, rl.retryable], [429, 'rate_limited', 7, true])

  await fault({ access_id: acct.accessId, fault: { type: 'status', status: 503 } })
  const s = await rejectsWith(c.whoami(), E.ServerError)
  assert.deepEqual([s.status, s.code, s.retryable], [503, 'service_unavailable', true])
  assert.match(s.requestId, /^req_/)

  await fault({ access_id: acct.accessId, fault: { type: 'status', status: 418, code: 'teapot' } })
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
  await fault({ access_id: acct.accessId, fault: { type: 'drop' } })
  await rejectsWith(c.whoami(), E.APIConnectionError)

  await fault({ access_id: acct.accessId, fault: { type: 'stall', ms: 2000 } })
  const t0 = Date.now()
  const te = await rejectsWith(acct.client({ maxRetries: 0, timeout: 300 }).whoami(), E.APITimeoutError)
  assert.equal(te.kind, 'timeout')
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`)
})

test('local errors: InvalidApiKeyError, CredentialsNotFoundError, ConfigError', () => {
  assert.throws(() => noorle.ApiKey.parse('ak_nope'), E.InvalidApiKeyError)
  assert.throws(() => new Client({ env: false }), E.CredentialsNotFoundError)
  assert.throws(() => new Client({ env: false, apiKey: server().rootKey, maxRetries: 'x' }), E.ConfigError)
  for (const Cls of [E.InvalidApiKeyError, E.CredentialsNotFoundError, E.ConfigError, E.AbortError,
    E.APIConnectionError, E.APITimeoutError, E.AuthenticationError]) {
    assert.ok(Cls.prototype instanceof E.NoorleError && Cls.prototype instanceof Error, Cls.name)
  }
})
