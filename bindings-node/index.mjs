// The ES-module entry: the same module instance as `require('noorle')` (no dual-package hazard),
// with every public name as a named export.
import noorle from './index.js'

export const {
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
} = noorle
export default noorle
