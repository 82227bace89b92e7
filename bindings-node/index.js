'use strict'
// The thin JS layer over the native module: option names and units in the JS idiom, Promises and
// async iterators, AbortSignal, Error subclasses, and redacted printing of keys. All behaviour
// (loading, retries, timeouts, errors, redaction rules) is in the Rust core.

const util = require('node:util')
const native = require('./native.js')
const errors = require('./errors.js')

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

const secs = (name, ms) => {
  if (ms === undefined || ms === null) return undefined
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new ConfigError(`${name} must be a non-negative number of milliseconds, got ${String(ms)}`, {
      kind: 'config',
    })
  }
  return ms / 1000
}

// JS option name -> [core ClientConfig field, conversion].
const OPTIONS = {
  apiKey: ['api_key', (v) => (v instanceof ApiKey ? v.exposeSecret() : v)],
  apiKeyFile: ['api_key_file', String],
  profile: ['profile', (v) => v],
  baseUrl: ['base_url', (v) => v],
  headerScheme: ['header_scheme', (v) => v],
  timeout: ['timeout', (v) => secs('timeout', v)],
  connectTimeout: ['connect_timeout', (v) => secs('connectTimeout', v)],
  maxRetries: ['max_retries', (v) => v],
  retryBaseDelay: ['retry_base_delay', (v) => secs('retryBaseDelay', v)],
  retryMaxDelay: ['retry_max_delay', (v) => secs('retryMaxDelay', v)],
  credentialsFile: ['credentials_file', String],
  dockerSecret: ['docker_secret', String],
  reloadInterval: ['reload_interval', (v) => secs('reloadInterval', v)],
  env: [null, null],
}

function toConfig(opts, allowed = OPTIONS) {
  if (opts === undefined || opts === null) opts = {}
  if (typeof opts !== 'object') {
    throw new ConfigError('options must be an object', { kind: 'config' })
  }
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

const CALL_OPTIONS = new Set(['signal'])
function checkCallOptions(opts, extra) {
  if (opts === undefined || opts === null) return {}
  if (typeof opts !== 'object') throw new ConfigError('call options must be an object', { kind: 'config' })
  for (const k of Object.keys(opts)) {
    if (!CALL_OPTIONS.has(k) && !(extra && extra.has(k))) {
      throw new ConfigError(`unknown call option '${k}'`, { kind: 'config' })
    }
  }
  return opts
}

function abortError(signal) {
  return new AbortError('the request was cancelled', {}, { cause: signal.reason })
}

// One operation through the core, cancellable by an AbortSignal.
async function execute(nativeClient, op, opts) {
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
    return await nativeClient.execute(op, token)
  } catch (e) {
    const err = fromNative(e, redact)
    if (err instanceof AbortError && signal) err.cause = signal.reason
    throw err
  } finally {
    if (signal) signal.removeEventListener('abort', onAbort)
  }
}

const toPage = (p) => ({
  items: p.items,
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
  constructor(nativeClient) {
    this.#c = nativeClient
  }
  #run(op, opts) {
    return execute(this.#c, op, checkCallOptions(opts))
  }
  async create(params, opts) {
    const r = await this.#run({ ...obj(params), op: 'api_keys.create' }, opts)
    return { api_key: r.api_key, key: wrapKey(r.key) }
  }
  async list(params, opts) {
    return toPage(await this.#run({ ...obj(params), op: 'api_keys.list' }, opts))
  }
  listAll(params, opts) {
    return walk((p, o) => this.list(p, o), obj(params), opts)
  }
  async get(id, opts) {
    return (await this.#run({ op: 'api_keys.get', id }, opts)).api_key
  }
  async update(id, params, opts) {
    return (await this.#run({ ...obj(params), op: 'api_keys.update', id }, opts)).api_key
  }
  async deactivate(id, opts) {
    return (await this.#run({ op: 'api_keys.deactivate', id }, opts)).api_key
  }
  async activate(id, opts) {
    return (await this.#run({ op: 'api_keys.activate', id }, opts)).api_key
  }
  async revoke(id, opts) {
    return (await this.#run({ op: 'api_keys.revoke', id }, opts)).api_key
  }
  async delete(id, opts) {
    await this.#run({ op: 'api_keys.delete', id }, opts)
  }
  async rotate(id, params, opts) {
    const r = await this.#run({ ...obj(params), op: 'api_keys.rotate', id }, opts)
    return { api_key: r.api_key, key: wrapKey(r.key), previous: r.previous }
  }
  /** Rotates the key held in a file and rewrites the file atomically (mode 0600). */
  async rotateFile(params, opts) {
    return this.#run({ ...obj(params), op: 'api_keys.rotate_file' }, opts)
  }
}

/** Service accounts: `/v1/service-accounts`. */
class ServiceAccounts {
  #c
  constructor(nativeClient) {
    this.#c = nativeClient
  }
  #run(op, opts) {
    return execute(this.#c, op, checkCallOptions(opts))
  }
  async create(params, opts) {
    const r = await this.#run({ ...obj(params), op: 'service_accounts.create' }, opts)
    return { service_account: r.service_account, api_key: r.api_key, key: wrapKey(r.key) }
  }
  async list(params, opts) {
    return toPage(await this.#run({ ...obj(params), op: 'service_accounts.list' }, opts))
  }
  listAll(params, opts) {
    return walk((p, o) => this.list(p, o), obj(params), opts)
  }
  async get(id, opts) {
    return (await this.#run({ op: 'service_accounts.get', id }, opts)).service_account
  }
  async update(id, params, opts) {
    return (await this.#run({ ...obj(params), op: 'service_accounts.update', id }, opts))
      .service_account
  }
  async delete(id, opts) {
    await this.#run({ op: 'service_accounts.delete', id }, opts)
  }
  async createKey(id, params, opts) {
    const r = await this.#run({ ...obj(params), op: 'service_accounts.create_key', id }, opts)
    return { api_key: r.api_key, key: wrapKey(r.key) }
  }
  async listKeys(id, params, opts) {
    return toPage(await this.#run({ ...obj(params), op: 'service_accounts.list_keys', id }, opts))
  }
  listAllKeys(id, params, opts) {
    return walk((p, o) => this.listKeys(id, p, o), obj(params), opts)
  }
}

const REQUEST_OPTIONS = new Set(['json', 'query', 'idempotencyKey'])

/** A Noorle API client. Every call returns a Promise and takes an optional `{ signal }`. */
class Client {
  #native
  constructor(opts) {
    const config = toConfig(opts)
    this.#native = sync(() => new native.NativeClient(config))
    this.apiKeys = new ApiKeys(this.#native)
    this.serviceAccounts = new ServiceAccounts(this.#native)
  }

  /** The calling key's own record (`GET /v1/api-keys/self`). */
  async whoami(opts) {
    return (await execute(this.#native, { op: 'whoami' }, checkCallOptions(opts))).api_key
  }

  /** An authenticated call to any Noorle endpoint, with the client's retries and errors. */
  async request(method, path, opts) {
    const o = checkCallOptions(opts, REQUEST_OPTIONS)
    const op = { op: 'request', method, path }
    if (o.json !== undefined) op.json = o.json
    if (o.query !== undefined) op.query = o.query
    if (o.idempotencyKey !== undefined) op.idempotency_key = o.idempotencyKey
    return execute(this.#native, op, o)
  }

  /** Where the key came from (kind, variable, path, profile): never the key. */
  keySource() {
    return sync(() => this.#native.keySource()).source
  }

  /** The base URL requests go to. */
  get baseUrl() {
    return this.#native.baseUrl
  }

  /** The auth header for the key the next request sends (re-read if its file changed). */
  authHeaders() {
    return sync(() => this.#native.authHeaders())
  }

  /**
   * `fetch` with the client's key attached; a path starting with `/` is resolved against the
   * base URL. No retries: this is the platform's fetch.
   */
  fetch(input, init = {}) {
    const url = typeof input === 'string' && input.startsWith('/') ? this.baseUrl + input : input
    const headers = new Headers(init.headers)
    for (const [k, v] of Object.entries(this.authHeaders())) headers.set(k, v)
    return globalThis.fetch(url, { ...init, headers })
  }

  [util.inspect.custom]() {
    const s = this.#native.keySource()
    return `Client(${s.base_url}, key ${s.redacted} from ${s.source.kind})`
  }
}

/** Runs the loading chain; returns the key and where it came from. */
function loadApiKey(opts) {
  const config = toConfig(opts)
  delete config.sdk_language
  for (const k of ['base_url', 'header_scheme', 'timeout', 'connect_timeout', 'max_retries',
    'retry_base_delay', 'retry_max_delay', 'reload_interval']) delete config[k]
  const r = sync(() => native.executeStatic({ op: 'load_api_key', config }))
  return { key: wrapKey(r.key), source: r.source, baseUrl: r.base_url ?? null, warnings: r.warnings }
}

/** The header to attach for `key` (string or ApiKey) and a scheme (default `x-api-key`). */
function authHeaders(key, scheme) {
  const k = key instanceof ApiKey ? key.exposeSecret() : key
  if (typeof k !== 'string') return ApiKey.parse(k) // throws InvalidApiKeyError
  return sync(() => native.executeStatic({ op: 'auth_headers', key: k, scheme: scheme ?? null }))
}

/** A `fetch` that attaches the key (loaded as `new Client(opts)` would) to every request. */
function createFetch(opts) {
  const client = new Client(opts)
  return (input, init) => client.fetch(input, init)
}

const VERSION = native.executeStatic({ op: 'version' }).version

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
  // For the test suite only: makes the native layer panic.
  _debugPanic: (inFuture) => {
    try {
      const p = native.debugPanic(inFuture)
      return p && typeof p.then === 'function' ? p.catch(rethrow) : p
    } catch (e) {
      rethrow(e)
    }
  },
}
