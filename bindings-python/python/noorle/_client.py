"""``Client`` (sync, releases the GIL while it waits) and ``AsyncClient`` (asyncio).

Both are thin: every call is one operation of the Rust core (``noorle::ops``), which owns the
HTTP, retries, timeouts, key loading and errors.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

import os
from datetime import datetime
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterable, Iterator, Mapping, Optional, Type, Union

from . import _ops
from ._native import ApiKey, CancelToken, NativeClient
from ._ops import UNSET, KeyId, Op, PathLike, ScopeArg, key_id, with_fields
from .errors import ConfigError
from .models import (
    ApiKeyRecord,
    CreatedApiKey,
    CreatedServiceAccount,
    KeySource,
    Page,
    Response,
    RotatedApiKey,
    ServiceAccount,
)

__all__ = ["Client", "AsyncClient", "ApiKeys", "ServiceAccounts", "AsyncApiKeys", "AsyncServiceAccounts"]


def _native_client(
    api_key: Union[str, ApiKey, None],
    *,
    base_url: Optional[str],
    header_scheme: Optional[str],
    timeout: Optional[float],
    connect_timeout: Optional[float],
    max_retries: Optional[int],
    retry_base_delay: Optional[float],
    retry_max_delay: Optional[float],
    profile: Optional[str],
    api_key_file: Optional[PathLike],
    env: bool,
    env_vars: Optional[Mapping[str, str]],
    credentials_file: Optional[PathLike],
    docker_secret: Optional[PathLike],
    reload_interval: Optional[float],
    total_timeout: Optional[float],
) -> NativeClient:
    cfg = _ops.load_config(
        api_key_file=api_key_file,
        profile=profile,
        env=env,
        env_vars=env_vars,
        credentials_file=credentials_file,
        docker_secret=docker_secret,
    )
    with_fields(
        cfg,
        base_url=base_url,
        header_scheme=header_scheme,
        timeout=None if timeout is None else float(timeout),
        connect_timeout=None if connect_timeout is None else float(connect_timeout),
        max_retries=max_retries,
        retry_base_delay=None if retry_base_delay is None else float(retry_base_delay),
        retry_max_delay=None if retry_max_delay is None else float(retry_max_delay),
        reload_interval=None if reload_interval is None else float(reload_interval),
        total_timeout=None if total_timeout is None else float(total_timeout),
        sdk_language=_ops.SDK_LANGUAGE,
    )
    key = None if api_key is None else _ops.as_key(api_key)
    native = NativeClient(cfg, key)
    _ops.warn_all(native.execute({"op": "key_source"}).get("warnings") or (), stacklevel=4)
    return native


class _Base:
    _native: Optional[NativeClient]

    def _client(self) -> NativeClient:
        n = self._native
        if n is None:
            raise ConfigError("this client is closed", kind="config")
        return n

    @property
    def base_url(self) -> str:
        """The base URL, without a trailing slash."""
        return self._client().base_url

    def key_source(self) -> KeySource:
        """Where the client's key came from (never the key)."""
        return KeySource.from_dict(self._client().execute({"op": "key_source"})["source"])

    def close(self) -> None:
        """Releases the connection pool. Calls after this raise ``ConfigError``; closing twice is fine."""
        self._native = None

    def __repr__(self) -> str:
        n = self._native
        if n is None:
            return f"{type(self).__name__}(closed)"
        return f"{type(self).__name__}(base_url={n.base_url!r}, api_key={n.redacted_key()!r})"


class Client(_Base):
    """A Noorle API client (blocking). Thread-safe: share one across threads.

    Every option is optional: the key is found by the loading chain (``NOORLE_API_KEY``,
    ``NOORLE_API_KEY_FILE``, credential files, ``~/.noorle/credentials``) unless given, and
    ``env=False`` (or ``env_vars={...}``) isolates the client from the process environment.
    Timeouts are in seconds: ``timeout`` bounds one attempt, ``total_timeout`` the whole call,
    retries and their waits (``Retry-After`` included) too.
    """

    api_keys: ApiKeys
    service_accounts: ServiceAccounts

    def __init__(
        self,
        api_key: Union[str, ApiKey, None] = None,
        *,
        base_url: Optional[str] = None,
        header_scheme: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_base_delay: Optional[float] = None,
        retry_max_delay: Optional[float] = None,
        profile: Optional[str] = None,
        api_key_file: Optional[PathLike] = None,
        env: bool = True,
        env_vars: Optional[Mapping[str, str]] = None,
        credentials_file: Optional[PathLike] = None,
        docker_secret: Optional[PathLike] = None,
        reload_interval: Optional[float] = None,
        total_timeout: Optional[float] = None,
    ) -> None:
        self._native = _native_client(
            api_key,
            base_url=base_url,
            header_scheme=header_scheme,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_base_delay=retry_base_delay,
            retry_max_delay=retry_max_delay,
            profile=profile,
            api_key_file=api_key_file,
            env=env,
            env_vars=env_vars,
            credentials_file=credentials_file,
            docker_secret=docker_secret,
            reload_interval=reload_interval,
            total_timeout=total_timeout,
        )
        self.api_keys = ApiKeys(self._run)
        self.service_accounts = ServiceAccounts(self._run)

    def _run(self, op: Op) -> Any:
        return self._client().execute(op)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def whoami(self) -> ApiKeyRecord:
        """The calling key's own record (``GET /v1/api-keys/self``)."""
        return _ops.record(self._run({"op": "whoami"}))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        total_timeout: Optional[float] = None,
    ) -> Response:
        """An authenticated call to any Noorle endpoint, with the client's retries and errors.

        Error statuses raise; the answer carries the status, headers and decoded JSON.
        ``total_timeout`` (seconds) bounds this call, retries included, instead of the client's.
        """
        op = with_fields(
            {"op": "request", "method": method, "path": path},
            json=json,
            query=None if query is None else dict(query),
            idempotency_key=idempotency_key,
            total_timeout=None if total_timeout is None else float(total_timeout),
        )
        r = self._run(op)
        return Response(r["status"], r["headers"], r["json"])


class ApiKeys:
    """Key management: ``client.api_keys``."""

    def __init__(self, run: Callable[[Op], Any]) -> None:
        self._run = run

    def create(
        self,
        name: str,
        *,
        scope: ScopeArg = None,
        permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None,
        rate_limit_per_minute: Optional[int] = None,
    ) -> CreatedApiKey:
        """A new key for the calling principal. ``result.key`` is the whole key, shown this once."""
        op = _ops.create_key_op("api_keys.create", name, scope, permissions, expires_at, rate_limit_per_minute)
        return _ops.created(self._run(op))

    def list(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Page[ApiKeyRecord]:
        """One page of keys, newest first."""
        op = with_fields(
            {"op": "api_keys.list"},
            status=status,
            owner_type=owner_type,
            service_account_id=service_account_id,
            limit=limit,
            offset=offset,
        )
        return _ops.key_page(self._run(op))

    def list_all(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Iterator[ApiKeyRecord]:
        """Every key, fetching page after page as the iteration goes."""
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list(
                status=status, owner_type=owner_type, service_account_id=service_account_id, limit=limit, offset=offset
            )
            yield from page.items
            offset = page.next_offset

    iter = list_all

    def get(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(self._run({"op": "api_keys.get", "id": key_id(id)}))

    def update(self, id: KeyId, *, name: Optional[str] = None, expires_at: Any = UNSET) -> ApiKeyRecord:
        """Renames a key or changes its expiry (``expires_at=None`` clears it)."""
        return _ops.record(self._run(_ops.update_key_op(id, name, expires_at)))

    def deactivate(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(self._run({"op": "api_keys.deactivate", "id": key_id(id)}))

    def activate(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(self._run({"op": "api_keys.activate", "id": key_id(id)}))

    def revoke(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(self._run({"op": "api_keys.revoke", "id": key_id(id)}))

    def delete(self, id: KeyId) -> None:
        """Removes a revoked key."""
        self._run({"op": "api_keys.delete", "id": key_id(id)})

    def rotate(self, id: KeyId, *, grace_period_seconds: Optional[int] = None) -> RotatedApiKey:
        """A new key with the same owner, name, scope and permissions; the old one keeps working
        for ``grace_period_seconds`` (default 0: revoked at once)."""
        op = with_fields({"op": "api_keys.rotate", "id": key_id(id)}, grace_period_seconds=grace_period_seconds)
        return _ops.rotated(self._run(op))

    def rotate_file(
        self, path: PathLike, *, id: Optional[KeyId] = None, grace_period_seconds: Optional[int] = None
    ) -> Dict[str, Any]:
        """Rotates a key and writes the new one to ``path`` atomically (mode 0600), then checks it.
        Returns a report with both keys redacted."""
        op = with_fields(
            {"op": "api_keys.rotate_file", "path": os.fspath(path)},
            id=None if id is None else key_id(id),
            grace_period_seconds=grace_period_seconds,
        )
        result: Dict[str, Any] = self._run(op)
        return result


class ServiceAccounts:
    """Service accounts: ``client.service_accounts``."""

    def __init__(self, run: Callable[[Op], Any]) -> None:
        self._run = run

    def create(self, name: str, *, description: Optional[str] = None, role: Optional[str] = None) -> CreatedServiceAccount:
        """A new service account and its first key (``result.key``, shown this once)."""
        op = with_fields({"op": "service_accounts.create", "name": name}, description=description, role=role)
        return _ops.created_account(self._run(op))

    def list(self, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[ServiceAccount]:
        op = with_fields({"op": "service_accounts.list"}, limit=limit, offset=offset)
        return _ops.account_page(self._run(op))

    def list_all(self, *, limit: Optional[int] = None) -> Iterator[ServiceAccount]:
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list(limit=limit, offset=offset)
            yield from page.items
            offset = page.next_offset

    iter = list_all

    def get(self, id: str) -> ServiceAccount:
        return _ops.account(self._run({"op": "service_accounts.get", "id": id}))

    def update(
        self,
        id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        role: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> ServiceAccount:
        op = with_fields(
            {"op": "service_accounts.update", "id": id}, name=name, description=description, role=role, enabled=enabled
        )
        return _ops.account(self._run(op))

    def delete(self, id: str) -> None:
        """Deletes the account; its keys are revoked."""
        self._run({"op": "service_accounts.delete", "id": id})

    def create_key(
        self,
        id: str,
        name: str,
        *,
        scope: ScopeArg = None,
        permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None,
        rate_limit_per_minute: Optional[int] = None,
    ) -> CreatedApiKey:
        op = _ops.create_key_op(
            "service_accounts.create_key", name, scope, permissions, expires_at, rate_limit_per_minute
        )
        op["id"] = id
        return _ops.created(self._run(op))

    def list_keys(self, id: str, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[ApiKeyRecord]:
        op = with_fields({"op": "service_accounts.list_keys", "id": id}, limit=limit, offset=offset)
        return _ops.key_page(self._run(op))

    def list_all_keys(self, id: str, *, limit: Optional[int] = None) -> Iterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list_keys(id, limit=limit, offset=offset)
            yield from page.items
            offset = page.next_offset


class AsyncClient(_Base):
    """The asyncio form of :class:`Client`; same options. Cancelling the task awaiting a call
    cancels the request in the core."""

    api_keys: AsyncApiKeys
    service_accounts: AsyncServiceAccounts

    def __init__(
        self,
        api_key: Union[str, ApiKey, None] = None,
        *,
        base_url: Optional[str] = None,
        header_scheme: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_base_delay: Optional[float] = None,
        retry_max_delay: Optional[float] = None,
        profile: Optional[str] = None,
        api_key_file: Optional[PathLike] = None,
        env: bool = True,
        env_vars: Optional[Mapping[str, str]] = None,
        credentials_file: Optional[PathLike] = None,
        docker_secret: Optional[PathLike] = None,
        reload_interval: Optional[float] = None,
        total_timeout: Optional[float] = None,
    ) -> None:
        self._native = _native_client(
            api_key,
            base_url=base_url,
            header_scheme=header_scheme,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_base_delay=retry_base_delay,
            retry_max_delay=retry_max_delay,
            profile=profile,
            api_key_file=api_key_file,
            env=env,
            env_vars=env_vars,
            credentials_file=credentials_file,
            docker_secret=docker_secret,
            reload_interval=reload_interval,
            total_timeout=total_timeout,
        )
        self.api_keys = AsyncApiKeys(self._run)
        self.service_accounts = AsyncServiceAccounts(self._run)

    async def _run(self, op: Op) -> Any:
        token = CancelToken()
        awaitable = self._client().execute_async(op, token)
        try:
            return await awaitable
        except BaseException:
            # Cancellation (or any interruption) of the awaiting task: stop the request in the
            # core now rather than letting it run to completion unobserved.
            token.cancel()
            raise

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """``close()`` for ``contextlib.aclosing`` and symmetry with httpx."""
        self.close()

    async def whoami(self) -> ApiKeyRecord:
        return _ops.record(await self._run({"op": "whoami"}))

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        total_timeout: Optional[float] = None,
    ) -> Response:
        op = with_fields(
            {"op": "request", "method": method, "path": path},
            json=json,
            query=None if query is None else dict(query),
            idempotency_key=idempotency_key,
            total_timeout=None if total_timeout is None else float(total_timeout),
        )
        r = await self._run(op)
        return Response(r["status"], r["headers"], r["json"])


class AsyncApiKeys:
    """Key management: ``client.api_keys`` of an :class:`AsyncClient`."""

    def __init__(self, run: Callable[[Op], Awaitable[Any]]) -> None:
        self._run = run

    async def create(
        self,
        name: str,
        *,
        scope: ScopeArg = None,
        permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None,
        rate_limit_per_minute: Optional[int] = None,
    ) -> CreatedApiKey:
        op = _ops.create_key_op("api_keys.create", name, scope, permissions, expires_at, rate_limit_per_minute)
        return _ops.created(await self._run(op))

    async def list(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
    ) -> Page[ApiKeyRecord]:
        op = with_fields(
            {"op": "api_keys.list"},
            status=status,
            owner_type=owner_type,
            service_account_id=service_account_id,
            limit=limit,
            offset=offset,
        )
        return _ops.key_page(await self._run(op))

    async def list_all(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> AsyncIterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list(
                status=status, owner_type=owner_type, service_account_id=service_account_id, limit=limit, offset=offset
            )
            for item in page.items:
                yield item
            offset = page.next_offset

    iter = list_all

    async def get(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(await self._run({"op": "api_keys.get", "id": key_id(id)}))

    async def update(self, id: KeyId, *, name: Optional[str] = None, expires_at: Any = UNSET) -> ApiKeyRecord:
        return _ops.record(await self._run(_ops.update_key_op(id, name, expires_at)))

    async def deactivate(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(await self._run({"op": "api_keys.deactivate", "id": key_id(id)}))

    async def activate(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(await self._run({"op": "api_keys.activate", "id": key_id(id)}))

    async def revoke(self, id: KeyId) -> ApiKeyRecord:
        return _ops.record(await self._run({"op": "api_keys.revoke", "id": key_id(id)}))

    async def delete(self, id: KeyId) -> None:
        await self._run({"op": "api_keys.delete", "id": key_id(id)})

    async def rotate(self, id: KeyId, *, grace_period_seconds: Optional[int] = None) -> RotatedApiKey:
        op = with_fields({"op": "api_keys.rotate", "id": key_id(id)}, grace_period_seconds=grace_period_seconds)
        return _ops.rotated(await self._run(op))

    async def rotate_file(
        self, path: PathLike, *, id: Optional[KeyId] = None, grace_period_seconds: Optional[int] = None
    ) -> Dict[str, Any]:
        """Rotates a key and writes the new one to ``path`` atomically (mode 0600), then checks it.
        Returns a report with both keys redacted."""
        op = with_fields(
            {"op": "api_keys.rotate_file", "path": os.fspath(path)},
            id=None if id is None else key_id(id),
            grace_period_seconds=grace_period_seconds,
        )
        result: Dict[str, Any] = await self._run(op)
        return result


class AsyncServiceAccounts:
    """Service accounts: ``client.service_accounts`` of an :class:`AsyncClient`."""

    def __init__(self, run: Callable[[Op], Awaitable[Any]]) -> None:
        self._run = run

    async def create(
        self, name: str, *, description: Optional[str] = None, role: Optional[str] = None
    ) -> CreatedServiceAccount:
        op = with_fields({"op": "service_accounts.create", "name": name}, description=description, role=role)
        return _ops.created_account(await self._run(op))

    async def list(self, *, limit: Optional[int] = None, offset: Optional[int] = None) -> Page[ServiceAccount]:
        op = with_fields({"op": "service_accounts.list"}, limit=limit, offset=offset)
        return _ops.account_page(await self._run(op))

    async def list_all(self, *, limit: Optional[int] = None) -> AsyncIterator[ServiceAccount]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list(limit=limit, offset=offset)
            for item in page.items:
                yield item
            offset = page.next_offset

    iter = list_all

    async def get(self, id: str) -> ServiceAccount:
        return _ops.account(await self._run({"op": "service_accounts.get", "id": id}))

    async def update(
        self,
        id: str,
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        role: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> ServiceAccount:
        op = with_fields(
            {"op": "service_accounts.update", "id": id}, name=name, description=description, role=role, enabled=enabled
        )
        return _ops.account(await self._run(op))

    async def delete(self, id: str) -> None:
        await self._run({"op": "service_accounts.delete", "id": id})

    async def create_key(
        self,
        id: str,
        name: str,
        *,
        scope: ScopeArg = None,
        permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None,
        rate_limit_per_minute: Optional[int] = None,
    ) -> CreatedApiKey:
        op = _ops.create_key_op(
            "service_accounts.create_key", name, scope, permissions, expires_at, rate_limit_per_minute
        )
        op["id"] = id
        return _ops.created(await self._run(op))

    async def list_keys(
        self, id: str, *, limit: Optional[int] = None, offset: Optional[int] = None
    ) -> Page[ApiKeyRecord]:
        op = with_fields({"op": "service_accounts.list_keys", "id": id}, limit=limit, offset=offset)
        return _ops.key_page(await self._run(op))

    async def list_all_keys(self, id: str, *, limit: Optional[int] = None) -> AsyncIterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list_keys(id, limit=limit, offset=offset)
            for item in page.items:
                yield item
            offset = page.next_offset
