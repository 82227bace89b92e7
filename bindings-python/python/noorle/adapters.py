"""Attach a Noorle key to the user's own HTTP client: ``httpx`` and ``requests``.

Neither library is a dependency: each adapter imports its library when called. The key is
loaded once, when the adapter is made (same options as :func:`noorle.load_api_key`), and the
adapter's ``repr`` shows it redacted.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator, Mapping, Optional, Union

from ._keys import auth_headers, load_api_key
from ._native import ApiKey
from ._ops import PathLike

if TYPE_CHECKING:
    import httpx
    import requests
    import requests.auth

__all__ = ["httpx_auth", "requests_auth"]


def _key(
    api_key: Union[str, ApiKey, None],
    api_key_file: Optional[PathLike],
    profile: Optional[str],
    env: bool,
    env_vars: Optional[Mapping[str, str]],
) -> ApiKey:
    return load_api_key(api_key, api_key_file=api_key_file, profile=profile, env=env, env_vars=env_vars).key


def httpx_auth(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> httpx.Auth:
    """An ``httpx.Auth`` that sends the key: ``httpx.Client(auth=noorle.httpx_auth())``."""
    import httpx

    key = _key(api_key, api_key_file, profile, env, env_vars)
    auth_headers(key, scheme)  # validates the scheme now rather than on the first request

    class NoorleHttpxAuth(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers.update(auth_headers(key, scheme))
            yield request

        def __repr__(self) -> str:
            return f"NoorleHttpxAuth({key.redacted()!r}, scheme={scheme!r})"

    return NoorleHttpxAuth()


def requests_auth(
    api_key: Union[str, ApiKey, None] = None,
    *,
    scheme: str = "x-api-key",
    api_key_file: Optional[PathLike] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
) -> requests.auth.AuthBase:
    """A ``requests`` auth object: ``session.auth = noorle.requests_auth()``."""
    import requests.auth

    key = _key(api_key, api_key_file, profile, env, env_vars)
    auth_headers(key, scheme)

    class NoorleRequestsAuth(requests.auth.AuthBase):
        def __call__(self, r: Any) -> Any:
            r.headers.update(auth_headers(key, scheme))
            return r

        def __repr__(self) -> str:
            return f"NoorleRequestsAuth({key.redacted()!r}, scheme={scheme!r})"

        def __eq__(self, other: object) -> bool:
            return self is other

        def __hash__(self) -> int:
            return id(self)

    return NoorleRequestsAuth()
