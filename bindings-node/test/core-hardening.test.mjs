// What the core refuses or bounds, proven through the Node API: redirects, ids that rewrite a path,
// huge Retry-After, bad Idempotency-Key, totalTimeout, BOM key files, a non-UTF-8 NOORLE_API_KEY,
// credentials files that are not regular files, and keys inside server errors. Every check is on
// events (the request log, local servers' hits), never on time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import util from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  noorle, Client, newAccount, fault, requestLog, server, rejectsWith, throwsWith, unique, FAST,
} from './helpers.mjs'

const SELF = '/v1/api-keys/self'
const MARKER = '/v1/gateways'
const DAY = 24 * 3600
const LONG_STALL = 30000 // ms: under the 60 s per-attempt timeout, far over the bounds used here
const statuses = (log) => log.map((r) => r.status)
const secretOf = (key) => key.exposeSecret().slice(3 + 32)

// Every way the error can be printed or serialised.
function printed(e) {
  return [e.message, String(e), e.stack, util.inspect(e), util.inspect(e, { depth: null }),
    JSON.stringify({ ...e, message: e.message })].join('\n')
}
function assertHides(e, secret, what) {
  assert.ok(secret.length >= 16, 'the secret to look for is a real one')
  assert.equal(printed(e).includes(secret), false, `${what}: the error shows the secret`)
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'noorle-node-'))

// A local HTTP server that records what reaches it. Listening on the unspecified address accepts
// both 127.0.0.1 and ::1, so a client that resolved `localhost` either way would be seen.
async function recorder(handler) {
  const seen = []
  const srv = http.createServer((req, res) => {
    seen.push({
      path: req.url,
      key: req.headers['x-api-key'] ?? req.headers['api-key'] ?? req.headers.authorization ?? null,
    })
    handler(req, res)
  })
  srv.listen(0)
  await once(srv, 'listening')
  return {
    port: srv.address().port,
    url: `http://127.0.0.1:${srv.address().port}`,
    seen,
    close() {
      srv.closeAllConnections()
      srv.close()
    },
  }
}

// POST /_dev/faults with a body given as text: 2^64-1 has no exact JS number.
async function rawFault(body) {
  const res = await fetch(server().baseUrl + '/_dev/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  assert.equal(res.status, 201, `queueing a fault failed: ${res.status} ${await res.text()}`)
}

// The log of method+path once a later marker request has been logged: an attempt the client had
// started before the call returned would have arrived first.
async function settled(client, accessId, method, p) {
  await client.request('GET', MARKER)
  return requestLog(accessId, { method, path: p })
}

test('redirects are never followed: api/redirect_not_followed, and the target sees nothing', async () => {
  const b = await recorder((req, res) => res.end('{"api_key": {}}'))
  let to
  const a = await recorder((req, res) => {
    res.writeHead(302, { location: to })
    res.end()
  })
  try {
    const acct = await newAccount('node-redirect')
    const secret = secretOf(acct.key)
    const targets = [
      `http://localhost:${b.port}/v1/api-keys/self`,
      `http://127.0.0.1:${b.port}/`,
      // A key in the Location: the error message redacts it.
      `http://localhost:${b.port}/?k=${acct.key.exposeSecret()}`,
    ]
    for (const target of targets) {
      for (const headerScheme of ['x-api-key', 'api-key', 'authorization']) {
        to = target
        a.seen.length = 0
        const what = `302 to ${target.replace(secret, '***')} with ${headerScheme}`
        const c = new Client({ apiKey: acct.key, baseUrl: a.url, headerScheme, ...FAST, maxRetries: 3 })
        const e = await rejectsWith(c.whoami(), noorle.APIError)
        assert.equal(e.constructor, noorle.APIError, what)
        assert.equal(e.kind, 'api', what)
        assert.equal(e.code, 'redirect_not_followed', what)
        assert.equal(e.status, 302, what)
        assertHides(e, secret, what)
        // One attempt at A, with the key: a redirect is neither followed nor retried.
        assert.equal(a.seen.length, 1, what)
        assert.equal(a.seen[0].path, SELF, what)
        assert.ok(a.seen[0].key.includes(acct.key.exposeSecret()), `${what}: A got the key`)
      }
    }
    assert.deepEqual(b.seen, [], 'the redirect target received requests')
  } finally {
    a.close()
    b.close()
  }
})

test('ids that would rewrite the path are refused before anything is sent', async () => {
  const acct = await newAccount('node-bad-ids')
  const c = acct.client()
  const whole = acct.key.exposeSecret()
  const secret = secretOf(acct.key)
  const calls = {
    'serviceAccounts.createKey': (id) => c.serviceAccounts.createKey(id, { name: 'never' }),
    'serviceAccounts.listKeys': (id) => c.serviceAccounts.listKeys(id),
    'apiKeys.get': (id) => c.apiKeys.get(id),
    'apiKeys.delete': (id) => c.apiKeys.delete(id),
    'apiKeys.revoke': (id) => c.apiKeys.revoke(id),
  }
  let refused = 0
  for (const [name, call] of Object.entries(calls)) {
    for (const id of ['', '.', '..', whole]) {
      const what = `${name}(${JSON.stringify(id === whole ? 'the whole key' : id)})`
      const e = await rejectsWith(call(id), noorle.ConfigError)
      assert.equal(e.kind, 'config', what)
      assertHides(e, secret, what)
      refused++
    }
  }
  assert.equal(refused, 20)
  assert.deepEqual(await requestLog(acct.accessId), [], 'the server saw requests')
  // The control: an ordinary id is sent, and logged.
  await rejectsWith(c.apiKeys.get('key_nope'), noorle.NotFoundError)
  assert.deepEqual(statuses(await requestLog(acct.accessId)), [404])
})

test('a huge Retry-After is a clean error after one attempt, with or without totalTimeout', async () => {
  for (const status of [429, 503]) {
    for (const totalTimeout of [undefined, 2000]) {
      const what = `${status}, totalTimeout ${totalTimeout}`
      const acct = await newAccount('node-huge-retry-after')
      await rawFault(`{"access_id": "${acct.accessId}", "method": "GET", "path": "${SELF}", "count": 1, ` +
        `"fault": {"type": "status", "status": ${status}, "retry_after": 18446744073709551615}}`)
      const c = acct.client({ maxRetries: 3, totalTimeout })
      const e = await rejectsWith(c.whoami(), status === 429 ? noorle.RateLimitError : noorle.ServerError)
      assert.equal(e.status, status, what)
      // Clamped to a day: a wait the client does not take.
      assert.equal(e.retryAfter, DAY * 1000, what)
      assert.deepEqual(statuses(await settled(c, acct.accessId, 'GET', SELF)), [status], what)
    }
  }
})

test('an Idempotency-Key that is not a header value is a config error, and nothing is sent', async () => {
  const acct = await newAccount('node-idem')
  const c = acct.client()
  // A POST to an agent that does not exist: nothing is created whatever happens.
  const p = '/v1/agents/agt_nope/run'
  const json = { input: 'x' }
  for (const idempotencyKey of ['abc\ndef', 'abc\r\nX-Injected: 1', 'nul\0byte']) {
    const e = await rejectsWith(c.request('POST', p, { json, idempotencyKey }), noorle.ConfigError)
    assert.equal(e.kind, 'config', JSON.stringify(idempotencyKey))
  }
  assert.deepEqual(await requestLog(acct.accessId), [], 'the server saw requests')
  // The control: a valid key is sent once, as given.
  const idem = unique('node-idem')
  const e = await rejectsWith(c.request('POST', p, { json, idempotencyKey: idem }), noorle.APIError)
  assert.equal(e.status, 404)
  const log = await requestLog(acct.accessId, { method: 'POST', path: p })
  assert.deepEqual(log.map((r) => [r.status, r.idempotency_key]), [[404, idem]])
})

test('totalTimeout: a stalled retry ends the call, and no attempt starts after the deadline', async () => {
  // A 503 is retried inside the bound, then the retry stalls far past it. Without the bound the
  // stall would end (under the per-attempt timeout) and the call succeed.
  const acct = await newAccount('node-total-stall')
  await fault({ access_id: acct.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 503 } })
  await fault({ access_id: acct.accessId, method: 'GET', path: SELF, count: 5, fault: { type: 'stall', ms: LONG_STALL } })
  const c = acct.client({ totalTimeout: 5000, maxRetries: 5 })
  const e = await rejectsWith(c.whoami(), noorle.APITimeoutError)
  assert.equal(e.kind, 'timeout')
  assert.match(e.message, /total timeout/)
  const log = await settled(c, acct.accessId, 'GET', SELF)
  assert.deepEqual(log.map((r) => [r.status, r.fault]), [[503, 'status'], [null, 'stall']])
})

test('totalTimeout: a Retry-After past the bound fails at once with the server error', async () => {
  // 30 s is a wait the client would take (under its 60 s limit): only the 2 s bound refuses it.
  for (const retryAfter of [30, 3600]) {
    const acct = await newAccount('node-total-retry-after')
    await fault({ access_id: acct.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 503, retry_after: retryAfter } })
    const c = acct.client({ totalTimeout: 2000, maxRetries: 3 })
    const e = await rejectsWith(c.whoami(), noorle.ServerError)
    assert.equal(e.kind, 'server')
    assert.equal(e.status, 503)
    assert.equal(e.retryAfter, retryAfter * 1000)
    assert.deepEqual(statuses(await settled(c, acct.accessId, 'GET', SELF)), [503], `retry_after ${retryAfter}`)
  }
})

test('totalTimeout per request() call overrides the client', async () => {
  const agents = '/v1/agents'
  // A bound on one call where the client has none.
  let acct = await newAccount('node-total-per-call')
  await fault({ access_id: acct.accessId, method: 'GET', path: agents, fault: { type: 'status', status: 503, retry_after: 30 } })
  let c = acct.client()
  let e = await rejectsWith(c.request('GET', agents, { totalTimeout: 2000 }), noorle.ServerError)
  assert.equal(e.status, 503)
  assert.deepEqual(statuses(await settled(c, acct.accessId, 'GET', agents)), [503])

  // A longer bound on one call than the client's: the 1 s wait fits it, and is retried.
  acct = await newAccount('node-total-per-call-longer')
  c = acct.client({ totalTimeout: 500 })
  await fault({ access_id: acct.accessId, method: 'GET', path: agents, fault: { type: 'status', status: 503, retry_after: 1 } })
  assert.equal((await c.request('GET', agents, { totalTimeout: 3600 * 1000 })).status, 200)
  assert.deepEqual(statuses(await requestLog(acct.accessId, { method: 'GET', path: agents })), [503, 200])
  // Calls without their own bound keep the client's.
  await fault({ access_id: acct.accessId, method: 'GET', path: agents, fault: { type: 'status', status: 503, retry_after: 1 } })
  e = await rejectsWith(c.request('GET', agents), noorle.ServerError)
  assert.equal(e.status, 503)
  assert.deepEqual(statuses(await settled(c, acct.accessId, 'GET', agents)), [503, 200, 503])
})

test('totalTimeout: invalid values are refused and nothing is sent', async () => {
  const acct = await newAccount('node-total-invalid')
  for (const bad of [-1, NaN, Infinity]) {
    throwsWith(() => acct.client({ totalTimeout: bad }), noorle.ConfigError)
    await rejectsWith(acct.client().request('GET', '/v1/agents', { totalTimeout: bad }), noorle.ConfigError)
  }
  assert.throws(() => acct.client({ totalTimeout: '5000' }), TypeError)
  await assert.rejects(acct.client().request('GET', '/v1/agents', { totalTimeout: '5000' }), TypeError)
  assert.deepEqual(await requestLog(acct.accessId), [])
})

test('a key file that starts with a UTF-8 BOM is refused, naming the BOM', async () => {
  const acct = await newAccount('node-bom')
  const whole = acct.key.exposeSecret()
  const dir = tempDir()
  try {
    const keyFile = path.join(dir, 'key')
    const creds = path.join(dir, 'credentials')
    fs.writeFileSync(keyFile, '\ufeff' + whole + '\n', { mode: 0o600 })
    fs.writeFileSync(creds, `\ufeff[default]\napi_key = "${whole}"\n`, { mode: 0o600 })
    assert.deepEqual([...fs.readFileSync(keyFile).subarray(0, 3)], [0xef, 0xbb, 0xbf])
    // Only what each case names is read: an isolated environment, HOME without credentials.
    const cases = {
      apiKeyFile: { apiKeyFile: keyFile, env: { HOME: dir } },
      credentialsFile: { credentialsFile: creds, env: { HOME: dir } },
      NOORLE_API_KEY_FILE: { env: { HOME: dir, NOORLE_API_KEY_FILE: keyFile } },
    }
    for (const [what, opts] of Object.entries(cases)) {
      for (const [via, make] of [['Client', () => new Client({ ...opts, baseUrl: server().baseUrl })],
        ['loadApiKey', () => noorle.loadApiKey(opts)]]) {
        const e = throwsWith(make, noorle.ConfigError)
        assert.match(e.message, /BOM/, `${what} via ${via}`)
        assertHides(e, secretOf(acct.key), `${what} via ${via}`)
      }
    }
    // The control: the same key without the BOM loads.
    fs.writeFileSync(keyFile, whole + '\n', { mode: 0o600 })
    const c = new Client({ ...FAST, apiKeyFile: keyFile, env: { HOME: dir }, baseUrl: server().baseUrl })
    assert.equal((await c.whoami()).id, acct.accessId)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

// Node's own env option takes JS strings and sends them as UTF-8, so the invalid byte is made by
// the shell's printf in the child's environment itself.
const PACKAGE = fileURLToPath(new URL('../index.js', import.meta.url))
const CHILD = `
const n = require(process.env.NOORLE_TEST_PACKAGE)
const describe = (f) => {
  try { f(); return { kind: 'none' } } catch (e) { return { kind: e.kind, name: e.name, message: e.message } }
}
console.log('RESULT ' + JSON.stringify({
  // Node decodes an invalid byte as U+FFFD: proof the variable really is not UTF-8.
  replaced: (process.env.NOORLE_API_KEY ?? '').includes('\\ufffd'),
  load: describe(() => n.loadApiKey()),
  client: describe(() => new n.Client({ baseUrl: 'http://127.0.0.1:1' })),
}))
`
function runChild(home, head, tail) {
  const setKey = head === undefined ? '' : 'NOORLE_API_KEY="$(printf \'%s\\377%s\' "$HEAD" "$TAIL")" '
  const r = spawnSync('/bin/sh', ['-c', `${setKey}exec "$NODE" -e "$CHILD"`], {
    env: {
      PATH: process.env.PATH, HOME: home, NODE: process.execPath, CHILD, NOORLE_TEST_PACKAGE: PACKAGE,
      ...(head === undefined ? {} : { HEAD: head, TAIL: tail }),
    },
    encoding: 'utf8',
    timeout: 120000,
  })
  assert.equal(r.status, 0, `the child failed: ${r.stderr}`)
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  assert.ok(line, `the child printed no result: ${r.stdout}`)
  return JSON.parse(line.slice('RESULT '.length))
}

test('a NOORLE_API_KEY that is not UTF-8 is an error, not "no key"', async () => {
  const acct = await newAccount('node-env-utf8')
  const whole = acct.key.exposeSecret()
  const secret = secretOf(acct.key)
  const home = tempDir()
  try {
    const got = runChild(home, whole.slice(0, 40), whole.slice(40))
    assert.equal(got.replaced, true, 'the child did not get the invalid byte')
    for (const via of ['load', 'client']) {
      assert.equal(got[via].kind, 'config', `${via}: ${JSON.stringify(got[via])}`)
      assert.equal(got[via].name, 'ConfigError', via)
      assert.match(got[via].message, /NOORLE_API_KEY/, via)
      assert.match(got[via].message, /UTF-8/, via)
      for (const part of [secret.slice(0, 8), whole.slice(40)]) {
        assert.equal(got[via].message.includes(part), false, `${via}: the message shows the value`)
      }
    }
    // The control: the same child without the variable finds no key.
    const none = runChild(home)
    for (const via of ['load', 'client']) assert.equal(none[via].kind, 'credentials_not_found', via)
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
})

// A FIFO would block a plain open for ever (no writer); /dev/zero never ends. Both must be refused
// at once; the test's own timeout only turns a hang into a failure.
test('a credentials file that is a FIFO or a /dev/zero symlink is refused', { timeout: 120000 }, async () => {
  for (const kind of ['fifo', '/dev/zero symlink']) {
    const home = tempDir()
    try {
      const creds = path.join(home, '.noorle', 'credentials')
      fs.mkdirSync(path.dirname(creds), { mode: 0o700 })
      if (kind === 'fifo') {
        const r = spawnSync('mkfifo', ['-m', '600', creds])
        assert.equal(r.status, 0, `mkfifo: ${r.stderr}`)
        assert.ok(fs.lstatSync(creds).isFIFO())
      } else {
        fs.symlinkSync('/dev/zero', creds)
      }
      const env = { HOME: home }
      const e1 = throwsWith(() => new Client({ env, baseUrl: 'http://127.0.0.1:1' }), noorle.ConfigError)
      assert.match(e1.message, /not a regular file/, `${kind}: Client`)
      const e2 = throwsWith(
        () => noorle.loadApiKey({ env, dockerSecret: path.join(home, 'none') }), noorle.ConfigError)
      assert.match(e2.message, /not a regular file/, `${kind}: loadApiKey`)
      // Named explicitly, the same.
      const e3 = throwsWith(() => noorle.loadApiKey({ env: false, credentialsFile: creds }), noorle.ConfigError)
      assert.match(e3.message, /not a regular file/, `${kind}: credentialsFile`)
    } finally {
      fs.rmSync(home, { recursive: true, force: true })
    }
  }
})

test('keys inside a server error (code, message, details) are redacted', async () => {
  const leaked = (await newAccount('node-leaked')).key
  const leakedWhole = leaked.exposeSecret()
  const leakedSecret = secretOf(leaked)

  // The local server's status fault, with a key as its code.
  const acct = await newAccount('node-redact-code')
  await fault({ access_id: acct.accessId, method: 'GET', path: SELF, fault: { type: 'status', status: 400, code: leakedWhole } })
  let e = await rejectsWith(acct.client().whoami(), noorle.APIError)
  assert.equal(e.status, 400)
  assert.equal(e.code, leaked.redacted())
  assertHides(e, leakedSecret, 'fault code')
  assert.deepEqual(statuses(await requestLog(acct.accessId, { method: 'GET', path: SELF })), [400])

  // A server whose error envelope carries the key in its code, message and details.
  const srv = await recorder((req, res) => {
    res.writeHead(409, { 'content-type': 'application/json' })
    res.end(JSON.stringify({
      error: {
        code: `conflict ${leakedWhole}`,
        message: `the key ${leakedWhole} exists`,
        details: { key: leakedWhole, nested: { keys: ['x', leakedWhole] } },
      },
    }))
  })
  try {
    const c = new Client({ apiKey: acct.key, baseUrl: srv.url, ...FAST })
    e = await rejectsWith(c.whoami(), noorle.ConflictError)
    assert.equal(srv.seen.length, 1)
    assert.equal(e.status, 409)
    assert.equal(e.code, `conflict ${leaked.redacted()}`)
    assert.deepEqual(e.details, { key: leaked.redacted(), nested: { keys: ['x', leaked.redacted()] } })
    assert.match(e.message, new RegExp(leaked.redacted().replace(/[*]/g, '\\*')))
    assertHides(e, leakedSecret, 'envelope')
  } finally {
    srv.close()
  }
})
