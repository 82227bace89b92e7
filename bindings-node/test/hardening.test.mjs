// close() and asyncDispose; wrong JS types are TypeError; the fetch helper keeps the key with its origin.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import util from 'node:util'
import { once } from 'node:events'
import { noorle, Client, ApiKey, newAccount, requestLog, server, rejectsWith, throwsWith, FAST } from './helpers.mjs'

const SELF = '/v1/api-keys/self'

test('close(): later calls fail with ConfigError; calls in flight finish; closing twice is fine', async () => {
  const a = await newAccount('node-close')
  const c = a.client()
  const inFlight = c.whoami()
  c.close()
  assert.equal((await inFlight).id, a.accessId)
  for (const call of [() => c.whoami(), () => c.apiKeys.list(), () => c.serviceAccounts.get(a.sa.id),
    () => c.request('GET', '/v1/agents'), () => c.fetch(SELF)]) {
    const e = await rejectsWith(call(), noorle.ConfigError)
    assert.equal(e.message, 'this client is closed')
  }
  const listed = []
  await rejectsWith((async () => { for await (const k of c.apiKeys.listAll()) listed.push(k) })(), noorle.ConfigError)
  assert.deepEqual(listed, [])
  throwsWith(() => c.keySource(), noorle.ConfigError)
  throwsWith(() => c.authHeaders(), noorle.ConfigError)
  throwsWith(() => c.baseUrl, noorle.ConfigError)
  c.close()
  assert.equal(util.inspect(c), 'Client(closed)')
  // Only the in-flight call reached the server.
  assert.equal((await requestLog(a.accessId, { path: SELF })).length, 1)
})

test('await using closes the client at the end of the block', async () => {
  const a = await newAccount('node-dispose')
  const c = a.client()
  assert.equal(typeof c[Symbol.asyncDispose], 'function')
  {
    // What `await using c = ...` does at the end of its block.
    await c[Symbol.asyncDispose]()
  }
  await rejectsWith(c.whoami(), noorle.ConfigError)
})

function assertTypeError(e, pattern) {
  assert.ok(e instanceof TypeError, `expected TypeError, got ${e && e.name}: ${e && e.message}`)
  assert.equal(e.code, 'ERR_INVALID_ARG_TYPE')
  assert.match(e.message, pattern)
}

test('wrong types are TypeError, not internal errors', async () => {
  const { baseUrl, rootKey } = server()
  const opts = { env: false, baseUrl, ...FAST }
  const ctor = (o) => {
    try {
      new Client({ ...opts, apiKey: rootKey, ...o })
    } catch (e) {
      return e
    }
    assert.fail(`accepted ${Object.keys(o)}`)
  }
  assertTypeError(ctor({ apiKey: Buffer.from(rootKey) }), /apiKey must be a string or an ApiKey, got an instance of Buffer/)
  assertTypeError(ctor({ baseUrl: new URL(baseUrl) }), /baseUrl must be a string/)
  assertTypeError(ctor({ apiKeyFile: 42 }), /apiKeyFile must be a string/)
  assertTypeError(ctor({ maxRetries: '2' }), /maxRetries must be a number/)
  assertTypeError(ctor({ timeout: '300' }), /timeout must be a number/)
  let e
  try {
    new Client('key')
  } catch (x) {
    e = x
  }
  assertTypeError(e, /options must be an object/)

  const a = await newAccount('node-types')
  const c = a.client()
  const rejects = async (p, pattern) => {
    const err = await p.then(() => assert.fail('accepted'), (x) => x)
    assertTypeError(err, pattern)
  }
  await rejects(c.request('POST', '/v1/agents/agt_weather/run', { json: { input: { f: () => 1 } } }), /json\.input\.f is not JSON data: got type function/)
  const cyc = { a: [] }
  cyc.a.push(cyc)
  await rejects(c.request('POST', '/v1/agents/agt_weather/run', { json: cyc }), /json\.a\[0\] refers back to itself/)
  await rejects(c.request('POST', '/v1/agents/agt_weather/run', { json: { n: NaN } }), /json\.n must be a finite number/)
  await rejects(c.request('POST', '/v1/agents/agt_weather/run', { json: { big: 1n } }), /json\.big is not JSON data: got type bigint/)
  await rejects(c.apiKeys.create({ name: Symbol('x') }), /name is not JSON data/)
  await rejects(c.apiKeys.get(Buffer.from('x')), /id is not JSON data: got an instance of Buffer/)
  await rejects(c.whoami({ signal: 'soon' }), /signal must be an AbortSignal/)
  // Nothing of that reached the server.
  assert.deepEqual(await requestLog(a.accessId, { method: 'POST' }), [])
  assert.deepEqual(await requestLog(a.accessId, { path: SELF }), [])
  // Plain data still goes through, nested arrays and null included.
  const r = await c.request('POST', '/v1/agents/agt_weather/run', { json: { input: { list: [1, null, 'x'], ok: true } } })
  assert.deepEqual(r.json.run.output, { echo: { list: [1, null, 'x'], ok: true } })
  // ApiKey.parse keeps its documented InvalidApiKeyError for a non-string.
  throwsWith(() => ApiKey.parse(Buffer.from('x')), noorle.InvalidApiKeyError)
})

/** A local HTTP server that records each request's path and key headers. */
async function recorder(handler = (req, res) => res.end('ok')) {
  const seen = []
  const srv = http.createServer((req, res) => {
    seen.push({
      path: req.url,
      key: req.headers['x-api-key'] ?? req.headers['api-key'] ?? req.headers.authorization ?? null,
    })
    handler(req, res)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return {
    url: `http://127.0.0.1:${srv.address().port}`,
    seen,
    close() {
      srv.closeAllConnections()
      srv.close()
    },
  }
}

test('fetch sends the key only to the base URL origin, and never along a redirect', async () => {
  const other = await recorder()
  const home = await recorder((req, res) => {
    if (req.url.startsWith('/go-away')) {
      res.writeHead(302, { location: `${other.url}/landed` })
      res.end()
    } else res.end('home')
  })
  try {
    const key = (await newAccount('node-fetch-origin')).key
    for (const headerScheme of ['x-api-key', 'api-key', 'authorization']) {
      other.seen.length = 0
      home.seen.length = 0
      const c = new Client({ apiKey: key, baseUrl: home.url, env: false, headerScheme })
      const raw = key.exposeSecret()

      // Same origin, by path and by absolute URL (as a string, a URL and a Request): the key.
      for (const input of ['/a', `${home.url}/b`, new URL(`${home.url}/c`), new Request(`${home.url}/d`)]) {
        assert.equal(await (await c.fetch(input)).text(), 'home')
      }
      // Another origin: same host, another port, and another host name for the same address.
      const port = new URL(home.url).port
      for (const url of [`${other.url}/e`, `http://localhost:${port}/f`]) await (await c.fetch(url)).text()
      // A redirect to another origin comes back as is: nobody follows it with the key.
      const res = await c.fetch('/go-away')
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), `${other.url}/landed`)
      await res.arrayBuffer()
      // Even when the caller asked to follow redirects.
      assert.equal((await c.fetch('/go-away', { redirect: 'follow' })).status, 302)

      const withKey = (rows) => rows.map((r) => [r.path, r.key !== null && r.key.includes(raw)])
      assert.deepEqual(withKey(home.seen), [
        ['/a', true], ['/b', true], ['/c', true], ['/d', true], ['/f', false], ['/go-away', true], ['/go-away', true],
      ], headerScheme)
      assert.deepEqual(other.seen, [{ path: '/e', key: null }], headerScheme)
    }

    // createFetch is the same helper.
    other.seen.length = 0
    const f = noorle.createFetch({ apiKey: key, baseUrl: home.url, env: false })
    assert.equal((await f('/go-away')).status, 302)
    await (await f(`${other.url}/g`)).text()
    assert.deepEqual(other.seen, [{ path: '/g', key: null }])
  } finally {
    home.close()
    other.close()
  }
})

test('JSON nested deeper than the native layer takes is a ConfigError, and nothing is sent', async () => {
  const a = await newAccount('node-deep-json')
  const c = a.client()
  let deep = 'leaf'
  for (let i = 0; i < 5000; i++) deep = [deep]
  const e = await rejectsWith(c.request('POST', '/v1/agents', { json: deep }), noorle.ConfigError)
  assert.equal(e.kind, 'config')
  assert.match(e.message, /nested more than 126 levels deep/)
  // The limit is the core's: 127 levels are refused, 126 reach the server.
  const nest = (n) => { let v = 1; for (let i = 0; i < n; i++) v = [v]; return v }
  await rejectsWith(c.request('POST', '/v1/agents', { json: nest(127) }), noorle.ConfigError)
  assert.deepEqual(await requestLog(a.accessId, { path: '/v1/agents' }), [])
  await c.request('POST', '/v1/agents', { json: nest(126) }).catch((err) => {
    if (!(err instanceof noorle.APIError)) throw err
  })
  assert.equal((await requestLog(a.accessId, { path: '/v1/agents' })).length, 1)
})
