'use strict'
// The one mapping from the core's ErrorInfo.kind to a NoorleError subclass.

class NoorleError extends Error {
  constructor(message, info = {}, options) {
    super(message, options)
    this.name = new.target.name
    /** The core's kind: `not_found`, `timeout`, `cancelled`, ... */
    this.kind = info.kind ?? 'internal'
    /** The server's error code (`not_found`, ...), the key rule broken, or else the kind. */
    this.code = info.code ?? this.kind
    this.status = info.status ?? undefined
    this.requestId = info.request_id ?? undefined
    this.details = info.details ?? undefined
    this.retryable = info.retryable ?? false
    /** Seconds the server asked to wait, when it said. */
    this.retryAfter = info.retry_after ?? undefined
    if (info.position != null) this.position = info.position
    if (info.searched != null) this.searched = info.searched
  }
}

class APIError extends NoorleError {}
class AuthenticationError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class ValidationError extends APIError {}
class RateLimitError extends APIError {}
class ServerError extends APIError {}
class APIConnectionError extends NoorleError {}
class APITimeoutError extends NoorleError {}
class InvalidApiKeyError extends NoorleError {}
class CredentialsNotFoundError extends NoorleError {}
class ConfigError extends NoorleError {}
/** The call was cancelled through its AbortSignal. `name` is `AbortError`, like the platform's. */
class AbortError extends NoorleError {
  constructor(message, info, options) {
    super(message, { ...info, kind: 'cancelled', code: 'ABORT_ERR' }, options)
    this.name = 'AbortError'
  }
}

const BY_KIND = {
  invalid_api_key: InvalidApiKeyError,
  credentials_not_found: CredentialsNotFoundError,
  config: ConfigError,
  authentication: AuthenticationError,
  permission_denied: PermissionDeniedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  validation: ValidationError,
  rate_limited: RateLimitError,
  server: ServerError,
  api: APIError,
  connection: APIConnectionError,
  timeout: APITimeoutError,
  cancelled: AbortError,
}

/**
 * Turns whatever the native layer threw into a NoorleError. Errors carrying the core's info map
 * by kind; napi's own refusal of an argument (`InvalidArg`: JSON nested deeper than 128 levels or
 * over a million values) is a ConfigError, as the core says of a body it cannot take; anything else
 * (a Rust panic) becomes the base class. Messages pass through the core's redaction as a second
 * line of defence.
 */
function fromNative(err, redact) {
  if (err instanceof NoorleError) return err
  const info = err && typeof err === 'object' ? err.noorle : undefined
  if (info && typeof info === 'object') {
    const Cls = BY_KIND[info.kind] ?? NoorleError
    return new Cls(info.message, info)
  }
  const raw = err && err.message ? String(err.message) : String(err)
  let msg = raw
  try {
    msg = redact(raw)
  } catch {
    msg = 'an internal error occurred in the native module'
  }
  if (err && err.code === 'InvalidArg') return new ConfigError(`invalid argument: ${msg}`, { kind: 'config' })
  return new NoorleError(`internal error in the Noorle native module: ${msg}`, { kind: 'internal' })
}

module.exports = {
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
}
