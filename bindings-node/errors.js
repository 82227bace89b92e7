'use strict'
// The base error's behaviour and the one mapping from the core's ErrorInfo to a NoorleError
// subclass. The subclasses and the kind table are generated from spec/sdk.yaml (errors.gen.js).

class NoorleError extends Error {
  constructor(message, info = {}, options) {
    super(message, options)
    this.name = new.target.name
    /** The core's kind: `not_found`, `timeout`, `cancelled`, ... */
    this.kind = info.kind ?? new.target.kind ?? 'internal'
    /**
     * The server's error code (`not_found`, ...), the key rule broken, or else the kind; a
     * cancellation has the platform's `ABORT_ERR`.
     */
    this.code = this.kind === 'cancelled' ? 'ABORT_ERR' : info.code ?? this.kind
    this.status = info.status ?? undefined
    this.requestId = info.request_id ?? undefined
    this.details = info.details ?? undefined
    this.retryable = info.retryable ?? false
    /** Milliseconds the server asked to wait, when it said (the core reports seconds). */
    this.retryAfter = info.retry_after == null ? undefined : Math.round(info.retry_after * 1000)
    if (info.position != null) this.position = info.position
    if (info.searched != null) this.searched = info.searched
  }
}

const { classes, byKind } = require('./errors.gen.js')(NoorleError)
const { ConfigError, InternalError } = classes

/**
 * Turns whatever the native layer threw into a NoorleError. Errors carrying the core's info map
 * by kind, and a kind this layer does not know is the base class; napi's own refusal of an
 * argument (`InvalidArg`: JSON nested deeper than 128 levels or over a million values) is a
 * ConfigError, as the core says of a body it cannot take; anything else (a Rust panic) is an
 * InternalError. Messages pass through the core's redaction as a second line of defence.
 */
function fromNative(err, redact) {
  if (err instanceof NoorleError) return err
  const info = err && typeof err === 'object' ? err.noorle : undefined
  if (info && typeof info === 'object') {
    const Cls = Object.hasOwn(byKind, info.kind) ? byKind[info.kind] : NoorleError
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
  return new InternalError(`internal error in the Noorle native module: ${msg}`, { kind: 'internal' })
}

module.exports = { NoorleError, ...classes, fromNative }
