// The shared key-format vectors (testdata/api_keys.json), redaction, and auth headers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import { readFileSync } from 'node:fs'
import { noorle, ApiKey, throwsWith } from './helpers.mjs'

const vectors = JSON.parse(
  readFileSync(new URL('../../testdata/api_keys.json', import.meta.url), 'utf8'),
)

test('every valid vector parses', () => {
  for (const v of vectors.parse_valid) {
    const k = ApiKey.parse(v.input)
    assert.equal(k.accessId, v.access_id)
    assert.equal(k.redacted(), v.redacted)
    assert.equal(k.exposeSecret(), v.input)
    assert.ok(k.exposeSecret().endsWith(v.secret))
  }
})

test('every invalid vector fails with its code and position, without echoing the input', () => {
  for (const v of vectors.parse_invalid) {
    const e = throwsWith(() => ApiKey.parse(v.input), noorle.InvalidApiKeyError)
    assert.equal(e.code, v.error, `${JSON.stringify(v.input)}: ${e.message}`)
    assert.equal(e.kind, 'invalid_api_key')
    // Every vector names its position but the empty one, whose position is its length, 0.
    if (v.position === undefined) assert.equal(v.input, '', `${v.note}: the vector has no position`)
    assert.equal(e.position, v.position ?? 0, `${JSON.stringify(v.input)}: position (${v.note})`)
    // The secret part of anything key-shaped never shows up in the message.
    const m = /^ak-[0-9a-f]{32}([A-Za-z0-9]{6,})/.exec(v.input.trim())
    if (m) assert.ok(!e.message.includes(m[1]), e.message)
  }
})

test('load vectors: values from the environment are stripped, then parsed', () => {
  for (const v of vectors.load) {
    const load = () => noorle.loadApiKey({ env: { NOORLE_API_KEY: v.raw } })
    if (v.key) {
      const { key, source } = load()
      assert.equal(key.exposeSecret(), v.key, v.note)
      assert.equal(source.kind, 'env')
      assert.equal(source.variable, 'NOORLE_API_KEY')
    } else {
      const e = throwsWith(load, noorle.InvalidApiKeyError)
      assert.equal(e.code, v.error, v.note)
      assert.match(e.message, /NOORLE_API_KEY/)
    }
  }
})

test('a non-string is refused clearly', () => {
  const e = throwsWith(() => ApiKey.parse(42), noorle.InvalidApiKeyError)
  assert.match(e.message, /expected a string, got number/)
  assert.throws(() => new ApiKey('x'), TypeError)
})

test('every way of printing a key is redacted', () => {
  const v = vectors.parse_valid[1]
  const k = ApiKey.parse(v.input)
  const shown = [
    util.inspect(k),
    util.inspect({ nested: { k } }, { depth: 10 }),
    util.format('%s %o %O %j', k, k, k, k),
    String(k),
    `${k}`,
    '' + k,
    JSON.stringify(k),
    JSON.stringify({ key: k }),
    k.toString(),
    Object.prototype.toString.call(k),
  ]
  for (const s of shown) {
    assert.ok(!s.includes(v.secret), `secret leaked in: ${s}`)
  }
  assert.equal(String(k), v.redacted)
  assert.equal(JSON.stringify(k), JSON.stringify(v.redacted))
  assert.equal(util.inspect(k), `ApiKey(${v.redacted})`)
  assert.deepEqual(Object.keys(k), [])
  // console.log goes through util.inspect: capture it.
  const lines = []
  const orig = console.log
  console.log = (...a) => lines.push(util.format(...a))
  try {
    console.log(k)
    console.log('key: %s', k)
    console.log({ k })
  } finally {
    console.log = orig
  }
  assert.equal(lines.length, 3)
  for (const l of lines) assert.ok(!l.includes(v.secret), l)
})

test('keys compare by value', () => {
  const [a, b] = vectors.parse_valid
  assert.ok(ApiKey.parse(a.input).equals(ApiKey.parse(a.input)))
  assert.ok(!ApiKey.parse(a.input).equals(ApiKey.parse(b.input)))
  assert.ok(!ApiKey.parse(a.input).equals(a.input))
})

test('authHeaders for every scheme', () => {
  const raw = vectors.parse_valid[0].input
  const k = ApiKey.parse(raw)
  assert.deepEqual(noorle.authHeaders(k), { 'X-API-Key': raw })
  assert.deepEqual(noorle.authHeaders(raw, 'x-api-key'), { 'X-API-Key': raw })
  assert.deepEqual(noorle.authHeaders(k, 'api-key'), { 'API-Key': raw })
  assert.deepEqual(noorle.authHeaders(k, 'authorization'), { Authorization: `ApiKey ${raw}` })
  throwsWith(() => noorle.authHeaders(k, 'bearer'), noorle.ConfigError)
  throwsWith(() => noorle.authHeaders('nope'), noorle.InvalidApiKeyError)
})

// The panic hook exists only in builds with the cargo feature `test-hooks` (test.sh builds one).
const NO_HOOKS = typeof noorle._debugPanic !== 'function' &&
  'this addon was built without the cargo feature test-hooks (test.sh builds with it)'

test('a Rust panic becomes an InternalError, sync and async, and the process lives on', { skip: NO_HOOKS }, async () => {
  const e = throwsWith(() => noorle._debugPanic(false), noorle.InternalError)
  assert.equal(e.kind, 'internal')
  assert.match(e.message, /deliberate panic/)
  const e2 = await noorle._debugPanic(true).then(
    () => assert.fail('no rejection'),
    (x) => x,
  )
  assert.ok(e2 instanceof noorle.InternalError, String(e2))
  assert.equal(e2.kind, 'internal')
  assert.equal(ApiKey.parse(vectors.parse_valid[0].input).accessId, vectors.parse_valid[0].access_id)
})

test('VERSION is the core version', () => {
  assert.match(noorle.VERSION, /^\d+\.\d+\.\d+/)
})
