"""The Noorle API-key SDK for Python.

>>> import noorle
>>> with noorle.Client() as client:          # key from NOORLE_API_KEY, files or a profile
...     me = client.whoami()

``ApiKey`` parses and validates keys (every printed form is redacted), ``load_api_key`` runs the
loading chain, ``auth_headers`` / ``httpx_auth`` / ``httpx_transport`` / ``requests_auth`` attach a
key to other HTTP clients (for the base URL's origin only), and ``Client`` / ``AsyncClient`` call
the API with retries, timeouts and typed errors.
The behaviour lives in the Rust core; this package is a thin layer over it.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

import atexit

from . import _native
from ._client import ApiKeys, AsyncApiKeys, AsyncClient, AsyncServiceAccounts, Client, ServiceAccounts
from ._keys import auth_headers, load_api_key
from ._logging import _from_env, enable_logging
from ._native import VERSION as __version__
from ._native import ApiKey
from ._ops import NoorleWarning
from .adapters import httpx_async_transport, httpx_auth, httpx_transport, requests_auth
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CancelledError,
    ConfigError,
    ConflictError,
    CredentialsNotFoundError,
    InternalError,
    InvalidApiKeyError,
    NoorleError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from .models import (
    ApiKeyRecord,
    CreatedApiKey,
    CreatedServiceAccount,
    KeySource,
    LoadedKey,
    Owner,
    Page,
    ResourceRef,
    Response,
    RotatedApiKey,
    Scope,
    ServiceAccount,
)

__all__ = [
    "__version__",
    "ApiKey",
    "load_api_key",
    "auth_headers",
    "httpx_auth",
    "httpx_transport",
    "httpx_async_transport",
    "requests_auth",
    "enable_logging",
    "Client",
    "AsyncClient",
    "ApiKeys",
    "ServiceAccounts",
    "AsyncApiKeys",
    "AsyncServiceAccounts",
    "ApiKeyRecord",
    "ServiceAccount",
    "CreatedApiKey",
    "CreatedServiceAccount",
    "RotatedApiKey",
    "Page",
    "Response",
    "KeySource",
    "LoadedKey",
    "Owner",
    "Scope",
    "ResourceRef",
    "NoorleWarning",
    "NoorleError",
    "InvalidApiKeyError",
    "CredentialsNotFoundError",
    "ConfigError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
    "CancelledError",
    "InternalError",
]

_from_env()

# Before the interpreter finalizes, stop the runtime threads from touching Python (they hand
# async results to asyncio) and wait for those that are: a thread that attaches during
# finalization crashes the process.
atexit.register(_native._shutdown)
