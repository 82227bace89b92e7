// Types of the npm package `noorle`. Wire objects (records, params) keep the API's snake_case
// field names; options and SDK objects are camelCase. Durations are milliseconds. Timestamps in
// records are `Date` objects. Records, enums, params (models.d.ts) and the error classes
// (errors.gen.d.ts) are generated from spec/sdk.yaml and spec/openapi.yaml.

import type {
  ApiKeyRecord, CreateApiKeyParams, CreatedApiKey, CreatedServiceAccount, KeyStatus, OwnerType,
  RotateApiKeyParams, RotatedApiKey, ServiceAccount, UpdateApiKeyParams, UpdateServiceAccountParams,
  CreateServiceAccountParams,
} from './models'
import type { ErrorKind } from './errors.gen'

export * from './models'
export * from './errors.gen'

/** A parsed, validated key. Every printed form (inspect, String, JSON) is redacted. */
export declare class ApiKey {
  private constructor()
  /** Parses strictly; throws `InvalidApiKeyError` with `code` and `position`. */
  static parse(input: string | ApiKey): ApiKey
  /** The public access id (32 lowercase hex characters). Safe to log. */
  readonly accessId: string
  /** `ak-{accessId}***`. */
  redacted(): string
  /** The whole key, secret included: the one way to read it. */
  exposeSecret(): string
  /** Constant-time comparison. */
  equals(other: unknown): boolean
  toString(): string
  toJSON(): string
}

export type HeaderScheme = 'x-api-key' | 'api-key' | 'authorization'

/** Where a key is looked for (contract section 3). Used by `new Client` and `loadApiKey`. */
export interface LoadOptions {
  /** The key itself: wins over everything. */
  apiKey?: string | ApiKey
  /** A file holding the key (re-read when it changes). */
  apiKeyFile?: string
  /**
   * A credential command: the program and its arguments, e.g. `['op', 'read', 'op://vault/noorle/key']`
   * (run directly, never through a shell). Its stdout is the key, as plain text or JSON
   * `{"api_key": "...", "expires_at": "RFC 3339" | null}`; it runs again when the key expires
   * or the server refuses it. Failing, it throws `ConfigError` (stderr shown redacted).
   */
  apiKeyCommand?: string[]
  /** How long the credential command may run before it is killed, ms (default 30000). */
  apiKeyCommandTimeout?: number
  /** The profile of the credentials file (else `NOORLE_PROFILE`, else `default`). */
  profile?: string
  /**
   * `false`: read no environment variables and no well-known files. An object: an isolated
   * environment read instead of `process.env`. Default `true` (the process environment).
   */
  env?: boolean | Record<string, string | undefined>
  /** The credentials file (default `~/.noorle/credentials`). */
  credentialsFile?: string
  /** The Docker secret file (default `/run/secrets/noorle_api_key`). */
  dockerSecret?: string
}

export interface ClientOptions extends LoadOptions {
  /** Default `NOORLE_BASE_URL`, the profile's `base_url`, or `https://api.noorle.com`. */
  baseUrl?: string
  /** Which header carries the key (default `x-api-key`). */
  headerScheme?: HeaderScheme
  /** Whole-request timeout, ms (default 60000). */
  timeout?: number
  /** Connect timeout, ms (default 10000). */
  connectTimeout?: number
  /** Retries after the first attempt (default 2). */
  maxRetries?: number
  /** First backoff step, ms (default 500); doubles each retry, with full jitter. */
  retryBaseDelay?: number
  /** Longest backoff, ms (default 8000). */
  retryMaxDelay?: number
  /** How often a key file is checked for changes, ms (default 250). */
  reloadInterval?: number
  /**
   * A bound on each whole call, ms: every attempt, backoff and `Retry-After` wait included
   * (default none). A call that would run past it rejects with `APITimeoutError`; a
   * `Retry-After` longer than what is left ends the call at once with the server's error.
   */
  totalTimeout?: number
}

/** Per-call options: each one set overrides the client's setting for this call only. */
export interface CallOptions {
  /** Cancels the call in the core; it then rejects with `AbortError`. */
  signal?: AbortSignal
  /** Timeout of each attempt, ms. */
  timeout?: number
  /** A bound on the whole call, ms: every attempt, backoff and `Retry-After` wait included. */
  totalTimeout?: number
  /** Retries after the first attempt (0: one attempt only). */
  maxRetries?: number
  /** Sent as `Idempotency-Key` on a POST (one is generated when absent). */
  idempotencyKey?: string
}

export type SourceKind =
  | 'explicit'
  | 'file'
  | 'env'
  | 'env_file'
  | 'credentials_dir'
  | 'docker_secret'
  | 'profile'
  | 'command'

/** Where a key came from: never the key. */
export interface KeySource {
  kind: SourceKind
  variable: string | null
  path: string | null
  profile: string | null
  /** For `command`: the program (argv[0] only; arguments may be secret). */
  program: string | null
}

export interface LoadedKey {
  key: ApiKey
  source: KeySource
  /** The profile's `base_url`, when it sets one. */
  baseUrl: string | null
  /** Problems that did not stop loading (a key file readable by others, ...). */
  warnings: string[]
}

export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
  /** The offset of the next page, or null on the last one. */
  nextOffset: number | null
}

export interface PageParams {
  limit?: number
  offset?: number
}

export interface ListApiKeysParams extends PageParams {
  status?: KeyStatus
  owner_type?: OwnerType
  service_account_id?: string
}

export interface RotateFileParams {
  /** The key to rotate (default: the one in the file). */
  id?: string
  path: string
  grace_period_seconds?: number
  /**
   * Milliseconds: rotate only a key at least this old (by its `created_at`); otherwise nothing
   * changes and the report's `rotated` is `false`. Two processes doing it at once make one rotation.
   */
  ifOlderThan?: number
}

/** What `rotateFile` did; keys redacted. When not due, `new_*` name the key in use. */
export interface RotationReport {
  rotated: boolean
  /** The age in seconds of the key that was checked (the old key when rotated). */
  age_seconds: number
  old_id: string
  old_key: string
  new_id: string
  new_key: string
  path: string
  old_key_valid_until: string | null
  [field: string]: unknown
}

export interface RequestOptions extends CallOptions {
  json?: unknown
  query?: Record<string, string | number | boolean | null | undefined>
}

export interface RawResponse<T = any> {
  status: number
  /** Lowercase header names. */
  headers: Record<string, string>
  /** The decoded JSON body; null when empty, a string when not JSON. */
  json: T
}

/** Key management: `/v1/api-keys`. */
export declare class ApiKeys {
  private constructor()
  create(params: CreateApiKeyParams, opts?: CallOptions): Promise<CreatedApiKey>
  list(params?: ListApiKeysParams, opts?: CallOptions): Promise<Page<ApiKeyRecord>>
  /** Every key, walking the pages. */
  listAll(params?: ListApiKeysParams, opts?: CallOptions): AsyncGenerator<ApiKeyRecord, void, undefined>
  get(id: string, opts?: CallOptions): Promise<ApiKeyRecord>
  update(id: string, params: UpdateApiKeyParams, opts?: CallOptions): Promise<ApiKeyRecord>
  deactivate(id: string, opts?: CallOptions): Promise<ApiKeyRecord>
  activate(id: string, opts?: CallOptions): Promise<ApiKeyRecord>
  revoke(id: string, opts?: CallOptions): Promise<ApiKeyRecord>
  /** Deletes a revoked key. */
  delete(id: string, opts?: CallOptions): Promise<void>
  rotate(id: string, params?: RotateApiKeyParams, opts?: CallOptions): Promise<RotatedApiKey>
  /** Rotates the key held in a file and rewrites the file atomically (mode 0600). */
  rotateFile(params: RotateFileParams, opts?: CallOptions): Promise<RotationReport>
}

/** Service accounts: `/v1/service-accounts`. */
export declare class ServiceAccounts {
  private constructor()
  create(params: CreateServiceAccountParams, opts?: CallOptions): Promise<CreatedServiceAccount>
  list(params?: PageParams, opts?: CallOptions): Promise<Page<ServiceAccount>>
  listAll(params?: PageParams, opts?: CallOptions): AsyncGenerator<ServiceAccount, void, undefined>
  get(id: string, opts?: CallOptions): Promise<ServiceAccount>
  update(id: string, params: UpdateServiceAccountParams, opts?: CallOptions): Promise<ServiceAccount>
  delete(id: string, opts?: CallOptions): Promise<void>
  createKey(id: string, params: CreateApiKeyParams, opts?: CallOptions): Promise<CreatedApiKey>
  listKeys(id: string, params?: PageParams, opts?: CallOptions): Promise<Page<ApiKeyRecord>>
  listAllKeys(id: string, params?: PageParams, opts?: CallOptions): AsyncGenerator<ApiKeyRecord, void, undefined>
}

/** A Noorle API client. Builds without touching the network; every call returns a Promise. */
export declare class Client {
  constructor(opts?: ClientOptions)
  readonly apiKeys: ApiKeys
  readonly serviceAccounts: ServiceAccounts
  /** The base URL requests go to. */
  readonly baseUrl: string
  /** The calling key's own record (`GET /v1/api-keys/self`). */
  whoami(opts?: CallOptions): Promise<ApiKeyRecord>
  /** An authenticated call to any endpoint, with the client's retries; non-2xx rejects. */
  request<T = any>(method: string, path: string, opts?: RequestOptions): Promise<RawResponse<T>>
  /** Where the key came from: never the key. */
  keySource(): KeySource
  /** The auth header for the key the next request sends, e.g. `{ 'X-API-Key': 'ak-…' }`. */
  authHeaders(): Record<string, string>
  /**
   * The platform `fetch`; a path starting with `/` uses the base URL. The key is attached only
   * for the base URL's origin (scheme, host, port), and then redirects are not followed
   * (`redirect: 'manual'`; `'error'` is kept): a 3xx comes back as is. Other origins get no key.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Lets go of the client; later calls reject with `ConfigError`. Closing twice is fine. */
  close(): void
  /** `await using client = new Client()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>
}

/** Runs the loading chain. */
export declare function loadApiKey(opts?: LoadOptions): LoadedKey
/** The header for `key` and a scheme, for your own HTTP client (fetch, undici, axios). */
export declare function authHeaders(key: string | ApiKey, scheme?: HeaderScheme): Record<string, string>
/** A `fetch` that attaches the key, loaded as `new Client(opts)` would. */
export declare function createFetch(opts?: ClientOptions): (input: string | URL | Request, init?: RequestInit) => Promise<Response>
export declare const VERSION: string

/** The base of every error the SDK throws. No message contains a secret. */
export declare class NoorleError extends Error {
  /** The core's kind; a kind this version does not know (from a newer core) stays as sent. */
  readonly kind: ErrorKind | (string & {})
  /** The server's code (`not_found`, ...), the key rule broken (`too_short`, ...), else the kind. */
  readonly code: string
  readonly status?: number
  readonly requestId?: string
  readonly details?: Record<string, unknown>
  /** Whether the client's retry policy treats this error as transient. */
  readonly retryable: boolean
  /** Milliseconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfter?: number
  /** For `InvalidApiKeyError`: 0-based index of the offending character. */
  readonly position?: number
  /** For `CredentialsNotFoundError`: every place looked, in order. */
  readonly searched?: string[]
}
