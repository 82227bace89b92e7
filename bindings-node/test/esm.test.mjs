// ES-module users import names directly: Node finds a CommonJS module's named exports by reading
// `module.exports = { ... }` statically, so every public name must be listed there, not spread in.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ns from '../index.js'
import {
  Client, ApiKey, loadApiKey, authHeaders, createFetch, VERSION,
  NoorleError, APIError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
  ValidationError, RateLimitError, ServerError, APIConnectionError, APITimeoutError,
  InvalidApiKeyError, CredentialsNotFoundError, ConfigError, AbortError, InternalError,
} from '../index.js'

test('every public name is a named ES-module export', () => {
  const named = {
    Client, ApiKey, loadApiKey, authHeaders, createFetch, VERSION,
    NoorleError, APIError, AuthenticationError, PermissionDeniedError, NotFoundError, ConflictError,
    ValidationError, RateLimitError, ServerError, APIConnectionError, APITimeoutError,
    InvalidApiKeyError, CredentialsNotFoundError, ConfigError, AbortError, InternalError,
  }
  for (const [name, value] of Object.entries(named)) {
    assert.ok(value !== undefined, `${name} is exported`)
    assert.equal(ns[name], value, name)
  }
  assert.ok(new AuthenticationError('x') instanceof NoorleError)
})

// Users import the package by name: the `exports` map sends `import` to index.mjs and `require` to
// index.js; both must give the very same objects (one module instance, so `instanceof` holds).
test('import and require of the package give the same objects', async () => {
  const { createRequire } = await import('node:module')
  const esm = await import('noorle')
  const cjs = createRequire(import.meta.url)('noorle')
  const names = Object.keys(cjs).filter((n) => !n.startsWith('_'))
  assert.equal(names.length, 24)
  for (const name of names) assert.equal(esm[name], cjs[name], name)
  assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names.sort())
  assert.equal(esm.default, cjs)
})
