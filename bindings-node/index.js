'use strict'
// The thin JS layer over the native module: option names and units in the JS idiom, Promises and
// async iterators, AbortSignal, Error subclasses, and redacted printing of keys. All behaviour
// (loading, retries, timeouts, errors, redaction rules) is in the Rust core.

const util = require('node:util')
const native = require('./native.js')
const errors = require('./errors.js')

const { RECORDS } = require('./models.gen.js')

// Each record's decoded fields as [field, how] pairs, listed once rather than at every answer.
const FIELDS = new Map(Object.entries(RECORDS).map(([name, fields]) => [name, Object.entries(fields)]))

const {
  NoorleError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  ValidationError,
  RateLimitError,
  ServerError,
  APIConnectionError,
  APITimeoutError,
  InvalidApiKeyError,
  CredentialsNotFoundError,
  ConfigError,
  AbortError,
  InternalError,
  fromNative,
} = errors

const redact = (text) => native.redactKeysIn(text)
const rethrow = (e) => {
  throw fromNative(e, redact)
}
// Runs a synchronous native call, turning its errors into NoorleError subclasses.
function sync(fn) {
  try {
    return fn()
  } catch (e) {
    rethrow(e)
  }
}

// ApiKey instances can only be made by this module (ApiKey.parse or from the core's answers).
const INTERNAL = Symbol('noorle.internal')

class ApiKey {
  #native
  constructor(token, nativeKey) {
    if (token !== INTERNAL) throw new TypeError('use ApiKey.parse(string) to make an ApiKey')
    this.#native = nativeKey
  }

  /** Parses and validates a key strictly; throws InvalidApiKeyError (code, position). */
  static parse(input) {
    if (input instanceof ApiKey) return input
    if (typeof input !== 'string') {
      throw new InvalidApiKeyError(`invalid API key: expected a string, got ${typeof input}`, {
        kind: 'invalid_api_key',
        code: 'not_a_string',
        position: 0,
      })
    }
    return new ApiKey(INTERNAL, sync(() => native.NativeApiKey.parse(input)))
  }

  /** The public access id (32 lowercase hex characters). Safe to log. */
  get accessId() {
    return this.#native.accessId
  }

  /** `ak-{accessId}***`: nothing of the secret. */
  redacted() {
    return this.#native.redacted()
  }

  /** The whole key, secret included: the one way to read it. */
  exposeSecret() {
    return this.#native.exposeSecret()
  }

  /** Constant-time comparison. */
  equals(other) {
    return other instanceof ApiKey && this.#native.equals(other.#native)
  }

  // Every way JS prints a value shows the redacted form.
  toString() {
    return this.redacted()
  }
  toJSON() {
    return this.redacted()
  }
  [Symbol.toPrimitive]() {
    return this.redacted()
  }
  [util.inspect.custom]() {
    return `ApiKey(${this.redacted()})`
  }
  get [Symbol.toStringTag]() {
    return 'ApiKey'
  }
}

const wrapKey = (secret) => ApiKey.parse(secret)

/** An answer the core passed on but this layer cannot read: as the core reports its own. */
function unexpected(what) {
  return new APIConnectionError(`unexpected answer: ${what}`, { kind: 'connection' })
}

// The core has already checked each timestamp as RFC 3339 (calendar included: no February 30)
// and passes its text on unchanged; what is left here is the conversion, which `Date` does for
// every RFC 3339 form. Checking the text again with a pattern took four times as long as that.
function toDate(v, where) {
  const date = typeof v === 'string' && v.length >= 20 && (v[10] === 'T' || v[10] === 't') ? new Date(v) : null
  if (date === null || Number.isNaN(date.getTime())) {
    throw unexpected(`${where} is not an RFC 3339 timestamp: ${JSON.stringify(redact(String(v)))}`)
  }
  return date
}

/** Decodes one value as models.gen.js describes it (timestamps to Date, keys to ApiKey). */
function decodeAs(how, v, where) {
  if (Array.isArray(how)) {
    if (!Array.isArray(v)) throw unexpected(`${where} is not a list`)
    return v.map((x, i) => decodeAs(how[0], x, `${where}[${i}]`))
  }
  if (how.endsWith('?')) {
    if (v === null) return null
    how = how.slice(0, -1)
  }
  if (how === 'timestamp') return toDate(v, where)
  if (how === 'key') return wrapKey(v)
  return decode(how, v, where)
}

/** A record from the core, with its timestamps as Date objects and its keys as ApiKey. */
function decode(record, v, where = record) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw unexpected(`${where} is not an object`)
  const out = { ...v }
  for (const [field, how] of FIELDS.get(record) ?? []) {
    out[field] = decodeAs(how, v[field], `${where}.${field}`)
  }
  return out
}

// A wrong JS type is the caller's programming error: TypeError, as Node's own APIs throw. A value
// of the right type that the core refuses (a negative timeout, an unknown scheme) is ConfigError.
function typeError(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}
const typeName = (v) => {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return `an instance of ${v.constructor ? v.constructor.name : 'Object'}`
  return `type ${typeof v}`
}
function expect(name, value, type) {
  if (typeof value !== type) throw typeError(`${name} must be a ${type}, got ${typeName(value)}`)
  return value
}

/**
 * Checks that `value` is plain JSON data (what the core can take): strings, finite numbers,
 * booleans, null, arrays and plain objects, without cycles, nested at most MAX_JSON_DEPTH deep.
 * Iterative, so depth cannot overflow the JS stack (`JSON.stringify` would).
 */
const CLOSE = Symbol('close') // marks where a container's own entries end on the stack
// The core reads an operation with serde_json, which takes 127 nested containers; the body sits
// inside the operation, one level down.
const MAX_JSON_DEPTH = 126
function checkJson(name, value) {
  const stack = [[name, value, 1]]
  const open = new Set()
  while (stack.length) {
    const [where, v, depth] = stack.pop()
    if (v === CLOSE) {
      open.delete(where)
      continue
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw typeError(`${where} must be a finite number, got ${v}`)
      continue
    }
    const plain = typeof v === 'object' &&
      (Array.isArray(v) || [Object.prototype, null].includes(Object.getPrototypeOf(v)))
    if (!plain) throw typeError(`${where} is not JSON data: got ${typeName(v)}`)
    if (open.has(v)) throw typeError(`${where} refers back to itself: JSON data has no cycles`)
    if (depth > MAX_JSON_DEPTH) {
      throw new ConfigError(`${name}: cannot send JSON nested more than ${MAX_JSON_DEPTH} levels deep`, {
        kind: 'config',
      })
    }
    open.add(v)
    stack.push([v, CLOSE])
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([`${where}[${i}]`, v[i], depth + 1])
    } else {
      for (const [k, x] of Object.entries(v)) if (x !== undefined) stack.push([`${where}.${k}`, x, depth + 1])
    }
  }
}

const secs = (name, ms) => {
  if (ms === undefined || ms === null) return undefined
  expect(name, ms, 'number')
  if (!Number.isFinite(ms) || ms < 0) {
    throw new ConfigError(`${name} must be a non-negative number of milliseconds, got ${String(ms)}`, {
      kind: 'config',
    })
  }
  return ms / 1000
}

// JS option name -> [core ClientConfig field, conversion].
const str = (name) => (v) => expect(name, v, 'string')
const OPTIONS = {
  apiKey: ['api_key', (v) => {
    if (v instanceof ApiKey) return v.exposeSecret()
    if (typeof v !== 'string') throw typeError(`apiKey must be a string or an ApiKey, got ${typeName(v)}`)
    return v
  }],
  apiKeyFile: ['api_key_file', str('apiKeyFile')],
  // The program and its arguments: run directly, never through a shell, so no string form.
  apiKeyCommand: ['api_key_command', (v) => {
    if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) {
      throw typeError(`apiKeyCommand must be an array of strings (the program and its arguments), got ${typeName(v)}`)
    }
    return v
  }],
  apiKeyCommandTimeout: ['api_key_command_timeout', (v) => secs('apiKeyCommandTimeout', v)],
  profile: ['profile', str('profile')],
  baseUrl: ['base_url', str('baseUrl')],
  headerScheme: ['header_scheme', str('headerScheme')],
  timeout: ['timeout', (v) => secs('timeout', v)],
  connectTimeout: ['connect_timeout', (v) => secs('connectTimeout', v)],
  maxRetries: ['max_retries', (v) => expect('maxRetries', v, 'number')],
  retryBaseDelay: ['retry_base_delay', (v) => secs('retryBaseDelay', v)],
  retryMaxDelay: ['retry_max_delay', (v) => secs('retryMaxDelay', v)],
  credentialsFile: ['credentials_file', str('credentialsFile')],
  dockerSecret: ['docker_secret', str('dockerSecret')],
  reloadInterval: ['reload_interval', (v) => secs('reloadInterval', v)],
  totalTimeout: ['total_timeout', (v) => secs('totalTimeout', v)],
  env: [null, null],
}

function toConfig(opts, allowed = OPTIONS) {
  if (opts === undefined || opts === null) opts = {}
  if (typeof opts !== 'object') throw typeError(`options must be an object, got ${typeName(opts)}`)
  const config = { sdk_language: `node/${process.versions.node}` }
  for (const [name, value] of Object.entries(opts)) {
    if (!(name in allowed)) {
      throw new ConfigError(
        `unknown option '${name}'; known options: ${Object.keys(allowed).join(', ')}`,
        { kind: 'config' },
      )
    }
    if (value === undefined) continue
    if (name === 'env') {
      if (value === false) config.env = false
      else if (value && typeof value === 'object') {
        // An isolated environment: read these variables instead of the process's.
        config.env_vars = Object.fromEntries(
          Object.entries(value).filter(([, v]) => typeof v === 'string'),
        )
      } else if (value !== true) {
        throw new ConfigError('env must be true, false, or an object of variables', { kind: 'config' })
      }
      continue
    }
    const [field, convert] = allowed[name]
    const converted = convert(value)
    if (converted !== undefined) config[field] = converted
  }
  return config
}

const CALL_OPTIONS = new Set(['signal', 'timeout', 'totalTimeout', 'maxRetries', 'idempotencyKey'])
function checkCallOptions(opts, extra) {
  if (opts === undefined || opts === null) return {}
  if (typeof opts !== 'object') throw typeError(`call options must be an object, got ${typeName(opts)}`)
  for (const k of Object.keys(opts)) {
    if (!CALL_OPTIONS.has(k) && !(extra && extra.has(k))) {
      throw new ConfigError(`unknown call option '${k}'`, { kind: 'config' })
    }
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw typeError(`signal must be an AbortSignal, got ${typeName(opts.signal)}`)
  }
  return opts
}

// A call's own timeout, totalTimeout, maxRetries and idempotencyKey as the op's `options`
// (milliseconds here, seconds for the core); undefined when the call sets none.
function coreCallOptions(opts) {
  if (!opts) return undefined
  const options = {}
  const timeout = secs('timeout', opts.timeout)
  if (timeout !== undefined) options.timeout = timeout
  const total = secs('totalTimeout', opts.totalTimeout)
  if (total !== undefined) options.total_timeout = total
  if (opts.maxRetries != null) options.max_retries = expect('maxRetries', opts.maxRetries, 'number')
  if (opts.idempotencyKey != null) {
    options.idempotency_key = expect('idempotencyKey', opts.idempotencyKey, 'string')
  }
  return Object.keys(options).length ? options : undefined
}

function abortError(signal) {
  return new AbortError('the request was cancelled', {}, { cause: signal.reason })
}

// One operation through the core, cancellable by an AbortSignal. A Date among the parameters
// is sent as its RFC 3339 string.
async function execute(nativeClient, op, opts) {
  op = { ...op }
  for (const [k, v] of Object.entries(op)) {
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new ConfigError(`${k} is an invalid Date`, { kind: 'config' })
      op[k] = v.toISOString()
    } else if (k !== 'op' && v !== undefined) checkJson(k, v)
  }
  const options = coreCallOptions(opts)
  if (options !== undefined) op.options = options
  const signal = opts && opts.signal
  if (signal && signal.aborted) throw abortError(signal)
  let token
  let onAbort
  if (signal) {
    token = new native.CancelToken()
    onAbort = () => token.cancel()
    signal.addEventListener('abort', onAbort, { once: true })
  }
  try {
    return await nativeClient.execute(JSON.stringify(op), token)
  } catch (e) {
    const err = fromNative(e, redact)
    if (err instanceof AbortError && signal) err.cause = signal.reason
    throw err
  } finally {
    if (signal) signal.removeEventListener('abort', onAbort)
  }
}

const toPage = (p, record) => ({
  items: p.items.map((x, i) => decode(record, x, `items[${i}]`)),
  total: p.total,
  limit: p.limit,
  offset: p.offset,
  nextOffset: p.next_offset ?? null,
})

async function* walk(listPage, params, opts) {
  let offset = (params && params.offset) || 0
  for (;;) {
    const page = await listPage({ ...params, offset }, opts)
    yield* page.items
    if (page.nextOffset === null) return
    offset = page.nextOffset
  }
}

const obj = (v) => (v === undefined || v === null ? {} : v)

/** Key management: `/v1/api-keys`. */
class ApiKeys {
  #c
  // `client()` returns the native client, or throws once the Client is closed.
  constructor(client) {
    this.#c = client
  }
  #run(op, opts) {
    return execute(this.#c(), op, checkCallOptions(opts))
  }
  async create(params, opts) {
    return decode('CreatedApiKey', await this.#run({ ...obj(params), op: 'api_keys.create' }, opts))
  }
  async list(params, opts) {
    return toPage(await this.#run({ ...obj(params), op: 'api_keys.list' }, opts), 'ApiKeyRecord')
  }
  listAll(params, opts) {
    return walk((p, o) => this.list(p, o), obj(params), opts)
  }
  async get(id, opts) {
    return decode('ApiKeyRecord', (await this.#run({ op: 'api_keys.get', id }, opts)).api_key)
  }
  async update(id, params, opts) {
    return decode('ApiKeyRecord', (await this.#run({ ...obj(params), op: 'api_keys.update', id }, opts)).api_key)
  }
  async deactivate(id, opts) {
    return decode('ApiKeyRecord', (await this.#run({ op: 'api_keys.deactivate', id }, opts)).api_key)
  }
  async activate(id, opts) {
    return decode('ApiKeyRecord', (await this.#run({ op: 'api_keys.activate', id }, opts)).api_key)
  }
  async revoke(id, opts) {
    return decode('ApiKeyRecord', (await this.#run({ op: 'api_keys.revoke', id }, opts)).api_key)
  }
  async delete(id, opts) {
    await this.#run({ op: 'api_keys.delete', id }, opts)
  }
  async rotate(id, params, opts) {
    return decode('RotatedApiKey', await this.#run({ ...obj(params), op: 'api_keys.rotate', id }, opts))
  }
  /**
   * Rotates the key held in a file and rewrites the file atomically (mode 0600). With
   * `ifOlderThan` (ms), only a key at least that old is rotated; the report's `rotated` says.
   */
  async rotateFile(params, opts) {
    const { ifOlderThan, ...rest } = obj(params)
    const op = { ...rest, op: 'api_keys.rotate_file' }
    const age = secs('ifOlderThan', ifOlderThan)
    if (age !== undefined) op.if_older_than = age
    return this.#run(op, opts)
  }
}

/** Service accounts: `/v1/service-accounts`. */
class ServiceAccounts {
  #c
  // `client()` returns the native client, or throws once the Client is closed.
  constructor(client) {
    this.#c = client
  }
  #run(op, opts) {
    return execute(this.#c(), op, checkCallOptions(opts))
  }
  async create(params, opts) {
    return decode('CreatedServiceAccount',
      await this.#run({ ...obj(params), op: 'service_accounts.create' }, opts))
  }
  async list(params, opts) {
    return toPage(await this.#run({ ...obj(params), op: 'service_accounts.list' }, opts), 'ServiceAccount')
  }
  listAll(params, opts) {
    return walk((p, o) => this.list(p, o), obj(params), opts)
  }
  async get(id, opts) {
    return decode('ServiceAccount', (await this.#run({ op: 'service_accounts.get', id }, opts)).service_account)
  }
  async update(id, params, opts) {
    const r = await this.#run({ ...obj(params), op: 'service_accounts.update', id }, opts)
    return decode('ServiceAccount', r.service_account)
  }
  async delete(id, opts) {
    await this.#run({ op: 'service_accounts.delete', id }, opts)
  }
  async createKey(id, params, opts) {
    const r = await this.#run({ ...obj(params), op: 'service_accounts.create_key', id }, opts)
    return decode('CreatedApiKey', r)
  }
  async listKeys(id, params, opts) {
    const r = await this.#run({ ...obj(params), op: 'service_accounts.list_keys', id }, opts)
    return toPage(r, 'ApiKeyRecord')
  }
  listAllKeys(id, params, opts) {
    return walk((p, o) => this.listKeys(id, p, o), obj(params), opts)
  }
}

const REQUEST_OPTIONS = new Set(['json', 'query'])

/**
 * A Noorle API client. Every call returns a Promise and takes last an optional `CallOptions`:
 * `signal`, and the call's own `timeout`, `totalTimeout`, `maxRetries` and `idempotencyKey`.
 */
class Client {
  #native
  constructor(opts) {
    const config = toConfig(opts)
    this.#native = sync(() => new native.NativeClient(JSON.stringify(config)))
    const get = () => this.#client()
    this.apiKeys = new ApiKeys(get)
    this.serviceAccounts = new ServiceAccounts(get)
  }

  #client() {
    if (this.#native === null) throw new ConfigError('this client is closed', { kind: 'config' })
    return this.#native
  }

  /**
   * Lets go of the client and its connection pool. Calls after this reject (or throw) with
   * ConfigError; calls already running finish. Closing twice is fine.
   */
  close() {
    this.#native = null
  }

  /** `await using client = new Client()` closes it at the end of the block. */
  async [Symbol.asyncDispose]() {
    this.close()
  }

  /** The calling key's own record (`GET /v1/api-keys/self`). */
  async whoami(opts) {
    const r = await execute(this.#client(), { op: 'whoami' }, checkCallOptions(opts))
    return decode('ApiKeyRecord', r.api_key)
  }

  /** An authenticated call to any Noorle endpoint, with the client's retries and errors. */
  async request(method, path, opts) {
    const o = checkCallOptions(opts, REQUEST_OPTIONS)
    const op = { op: 'request', method, path }
    if (o.json !== undefined) op.json = o.json
    if (o.query !== undefined) op.query = o.query
    // idempotencyKey, totalTimeout and the other call options travel as the op's `options`.
    return execute(this.#client(), op, o)
  }

  /** Where the key came from (kind, variable, path, profile): never the key. */
  keySource() {
    const n = this.#client()
    return sync(() => n.keySource()).source
  }

  /** The base URL requests go to. */
  get baseUrl() {
    return this.#client().baseUrl
  }

  /** The auth header for the key the next request sends (re-read if its file changed). */
  authHeaders() {
    const n = this.#client()
    return sync(() => n.authHeaders())
  }

  /**
   * The platform's `fetch` (no retries), with the key attached only for the base URL's origin
   * (scheme, host and port); a path starting with `/` is resolved against the base URL. Requests
   * to any other origin go out without the key. Requests that carry the key do not follow
   * redirects (`redirect: 'manual'`): a 3xx comes back as it is, so no hop can take the key
   * elsewhere.
   */
  async fetch(input, init = {}) {
    const base = this.baseUrl
    const url = typeof input === 'string' && input.startsWith('/') ? base + input : input
    const target = url instanceof Request ? url.url : String(url)
    let origin = null
    try {
      origin = new URL(target).origin
    } catch {
      // Not an absolute URL: the platform's fetch reports it.
    }
    if (origin !== new URL(base).origin) return globalThis.fetch(url, init)
    const headers = new Headers(init.headers ?? (url instanceof Request ? url.headers : undefined))
    for (const [k, v] of Object.entries(this.authHeaders())) headers.set(k, v)
    const redirect = init.redirect === 'error' ? 'error' : 'manual'
    return globalThis.fetch(url, { ...init, headers, redirect })
  }

  [util.inspect.custom]() {
    if (this.#native === null) return 'Client(closed)'
    const s = this.#native.keySource()
    // The core words where the key came from.
    return `Client(${s.base_url}, key ${s.redacted} from ${s.display})`
  }
}

/** Runs the loading chain; returns the key and where it came from. */
function loadApiKey(opts) {
  const config = toConfig(opts)
  delete config.sdk_language
  for (const k of ['base_url', 'header_scheme', 'timeout', 'connect_timeout', 'max_retries',
    'retry_base_delay', 'retry_max_delay', 'reload_interval', 'total_timeout']) delete config[k]
  const r = sync(() => native.executeStatic(JSON.stringify({ op: 'load_api_key', config })))
  return { key: wrapKey(r.key), source: r.source, baseUrl: r.base_url ?? null, warnings: r.warnings }
}

/** The header to attach for `key` (string or ApiKey) and a scheme (default `x-api-key`). */
function authHeaders(key, scheme) {
  const k = key instanceof ApiKey ? key.exposeSecret() : key
  if (typeof k !== 'string') return ApiKey.parse(k) // throws InvalidApiKeyError
  const op = { op: 'auth_headers', key: k, scheme: scheme ?? null }
  return sync(() => native.executeStatic(JSON.stringify(op)))
}

/** A `fetch` that attaches the key (loaded as `new Client(opts)` would) to every request. */
function createFetch(opts) {
  const client = new Client(opts)
  return (input, init) => client.fetch(input, init)
}

const VERSION = native.executeStatic(JSON.stringify({ op: 'version' })).version

// Listed name by name, not spread from errors.js: Node finds a CommonJS module's named ES exports
// by reading this object literal (test/esm.test.mjs guards it).
module.exports = {
  Client,
  ApiKey,
  ApiKeys,
  ServiceAccounts,
  loadApiKey,
  authHeaders,
  createFetch,
  VERSION,
  NoorleError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  ValidationError,
  RateLimitError,
  ServerError,
  APIConnectionError,
  APITimeoutError,
  InvalidApiKeyError,
  CredentialsNotFoundError,
  ConfigError,
  AbortError,
  InternalError,
}

// For the test suite only, in builds with the cargo feature `test-hooks`: makes the native layer
// panic.
if (typeof native.debugPanic === 'function') {
  module.exports._debugPanic = (inFuture) => {
    try {
      const p = native.debugPanic(inFuture)
      return p && typeof p.then === 'function' ? p.catch(rethrow) : p
    } catch (e) {
      rethrow(e)
    }
  }
}
