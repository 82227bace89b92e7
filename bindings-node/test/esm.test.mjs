// ES-module users import names directly: Node finds a CommonJS module's named exports by reading
// `module.exports = { ... }` statically, so every public name must be listed there, not spread in.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ns from '../index.js'
import {
  Client, ApiKey, loadApiKey, authHeaders, createFetch, VERSION,
  NoorleError, APIError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
  ValidationError, RateLimitError, ServerError, APIConnectionError, APITimeoutError,
  InvalidApiKeyError, CredentialsNotFoundError, ConfigError, AbortError,
} from '../index.js'

test('every public name is a named ES-module export', () => {
  const named = {
    Client, ApiKey, loadApiKey, authHeaders, createFetch, VERSION,
    NoorleError, APIError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
    ValidationError, RateLimitError, ServerError, APIConnectionError, APITimeoutError,
    InvalidApiKeyError, CredentialsNotFoundError, ConfigError, AbortError,
  }
  for (const [name, value] of Object.entries(named)) {
    assert.ok(value !== undefined, `${name} is exported`)
    assert.equal(ns[name], value, name)
  }
  assert.ok(new AuthenticationError('x') instanceof NoorleError)
})
