"""Attach a Noorle key to the user's own HTTP client: ``httpx`` and ``requests``.

Neither library is a dependency: each adapter imports its library when called. The key is
loaded once, when the adapter is made (same options as :func:`noorle.load_api_key`), and the
adapter's ``repr`` shows it redacted.

The key goes only to the base URL's origin (scheme, host and port): ``base_url``, else
``NOORLE_BASE_URL``, else the profile's, else ``https://api.noorle.com`` (the client's order).
A request to any other origin, a redirect to one, or an https -> http downgrade carries no key.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

import os
from ._keys import auth_headers, load_api_key
from ._native import ApiKey
from .errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Generator, Mapping, Optional, Tuple, Union

    import httpx
    import requests
    import requests.auth

    from ._ops import PathLike

    Origin = Tuple[str, str, int]

__all__ = ["httpx_auth", "httpx_transport", "httpx_async_transport", "requests_auth"]

_DEFAULT_BASE_URL = "https://api.noorle.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> Optional[Origin]:
    """``(scheme, host, port)`` with the default port filled in; None if ``url`` has none."""
    # Imported here: urllib.parse (with ipaddress) is a good part of the package's import time.
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname  # lowercased, IPv6 brackets removed
        port = parts.port
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return (scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])


class _Keyed:
    """The loaded key, its header and the one origin it may be sent to."""

    def __init__(
        self,
        api_key: Union[str, ApiKey, None],
        base_url: Optional[str],
        scheme: str,
        api_key_file: Optional[PathLike],
        profile: Optional[str],
        env: bool,
        env_vars: Optional[Mapping[str, str]],
    ) -> None:
        loaded = load_api_key(api_key, api_key_file=api_key_file, profile=profile, env=env, env_vars=env_vars)
        if base_url is None and env:
            base_url = (os.environ if env_vars is None else env_vars).get("NOORLE_BASE_URL") or None
        url = base_url or loaded.base_url or _DEFAULT_BASE_URL
        origin = _origin(url)
        if origin is None:
            raise ConfigError(f"invalid base URL {url!r}: use http:// or https:// and a host", kind="config")
        self.key: ApiKey = loaded.key
        self.scheme = scheme
        self.headers: Dict[str, str] = auth_headers(loaded.key, scheme)  # validates the scheme now
        self.origin: Origin = origin

    def allowed(self, url: str) -> bool:
        return _origin(url) == self.origin

    def strip(self, headers: Any) -> None:
        for name in self.headers:
            if name in headers:
                del headers[name]

    def describe(self, cls: str) -> str:
        scheme, host, port = self.origin
        return f"{cls}({self.key.redacted()!r}, scheme={self.scheme!r}, origin='{scheme}://{host}:{port}')"


def httpx_auth(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    base_url: Optional[str] = None,
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> httpx.Auth:
    """An ``httpx.Auth`` that sends the key to the base URL's origin only:
    ``httpx.Client(auth=noorle.httpx_auth())``.

    An ``httpx.Auth`` never sees redirect hops (httpx copies each hop's headers from the previous
    request and strips only ``Authorization``), so use it only with clients that do not follow
    redirects (httpx's default). With ``follow_redirects=True`` use :func:`httpx_transport`.
    """
    import httpx

    k = _Keyed(api_key, base_url, scheme, api_key_file, profile, env, env_vars)

    class NoorleHttpxAuth(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            if k.allowed(str(request.url)):
                request.headers.update(k.headers)
            yield request

        def __repr__(self) -> str:
            return k.describe("NoorleHttpxAuth")

    return NoorleHttpxAuth()


def httpx_transport(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    base_url: Optional[str] = None,
    transport: Optional[httpx.BaseTransport] = None,
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> httpx.BaseTransport:
    """An ``httpx`` transport that sets the key on every request (every redirect hop too) to the
    base URL's origin and removes it from every other:
    ``httpx.Client(transport=noorle.httpx_transport(), follow_redirects=True)``.

    It wraps ``transport`` (default ``httpx.HTTPTransport()``; pass one for proxies or TLS settings).
    """
    import httpx

    k = _Keyed(api_key, base_url, scheme, api_key_file, profile, env, env_vars)
    inner = transport if transport is not None else httpx.HTTPTransport()

    class NoorleHttpxTransport(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            _set_or_strip(k, request)
            return inner.handle_request(request)

        def close(self) -> None:
            inner.close()

        def __repr__(self) -> str:
            return k.describe("NoorleHttpxTransport")

    return NoorleHttpxTransport()


def httpx_async_transport(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    base_url: Optional[str] = None,
    transport: Optional[httpx.AsyncBaseTransport] = None,
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> httpx.AsyncBaseTransport:
    """:func:`httpx_transport` for ``httpx.AsyncClient`` (wraps ``httpx.AsyncHTTPTransport()``)."""
    import httpx

    k = _Keyed(api_key, base_url, scheme, api_key_file, profile, env, env_vars)
    inner = transport if transport is not None else httpx.AsyncHTTPTransport()

    class NoorleHttpxAsyncTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            _set_or_strip(k, request)
            return await inner.handle_async_request(request)

        async def aclose(self) -> None:
            await inner.aclose()

        def __repr__(self) -> str:
            return k.describe("NoorleHttpxAsyncTransport")

    return NoorleHttpxAsyncTransport()


def _set_or_strip(k: _Keyed, request: httpx.Request) -> None:
    # A redirect hop arrives with the previous hop's headers, key included.
    if k.allowed(str(request.url)):
        request.headers.update(k.headers)
    else:
        k.strip(request.headers)


def requests_auth(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    base_url: Optional[str] = None,
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> requests.auth.AuthBase:
    """A ``requests`` auth object that sends the key to the base URL's origin only, and removes it
    before a redirect to another origin: ``session.auth = noorle.requests_auth()``."""
    import requests.auth

    k = _Keyed(api_key, base_url, scheme, api_key_file, profile, env, env_vars)

    def strip_on_redirect(r: Any, **_kwargs: Any) -> Any:
        # requests builds the next hop by copying r.request, after the response hooks ran.
        from urllib.parse import urljoin

        if r.is_redirect and not k.allowed(urljoin(r.url, r.headers["location"])):
            k.strip(r.request.headers)
        return r

    class NoorleRequestsAuth(requests.auth.AuthBase):
        def __call__(self, r: Any) -> Any:
            if k.allowed(r.url):
                r.headers.update(k.headers)
                r.register_hook("response", strip_on_redirect)
            return r

        def __repr__(self) -> str:
            return k.describe("NoorleRequestsAuth")

        def __eq__(self, other: object) -> bool:
            return self is other

        def __hash__(self) -> int:
            return id(self)

    return NoorleRequestsAuth()
