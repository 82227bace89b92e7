"""``Client`` (sync, releases the GIL while it waits) and ``AsyncClient`` (asyncio).

Both are thin: every call is one operation of the Rust core (``noorle::ops``), which owns the
HTTP, retries, timeouts, key loading and errors.

Each operation is written once, in the sync classes: a method builds the core operation and names
the decoder of its answer, and hands both to ``self._call``. A sync client's ``_call`` runs the
operation and returns the decoded answer; an async client's returns a coroutine that does so. The
async classes take the sync methods as they are (:func:`_async` only retypes them for type
checkers); only the iterators, which differ in kind, are written twice.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

import os

from . import _ops
from ._native import ApiKey, CancelToken, Completer, NativeClient
from ._ops import UNSET, key_id, with_fields
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

# `typing` is not imported at run time: it is a good part of the package's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from asyncio import AbstractEventLoop
    from datetime import datetime, timedelta
    from types import TracebackType
    from typing import (
        Any,
        AsyncIterator,
        Awaitable,
        Callable,
        Coroutine,
        Dict,
        Iterable,
        Iterator,
        Mapping,
        MutableMapping,
        Optional,
        Sequence,
        Tuple,
        Type,
        TypeVar,
        Union,
    )

    from typing_extensions import Concatenate, ParamSpec

    from ._ops import KeyId, Op, PathLike, ScopeArg

    T = TypeVar("T")
    P = ParamSpec("P")
    # Runs an operation and decodes its answer: the result (sync) or a coroutine of it (async).
    Call = Callable[[Op, Callable[[Any], Any]], Any]

    def _async(f: Callable[Concatenate[Any, P], T]) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]: ...

else:

    def _async(f):
        # The same function: on an async resource, `self._call` makes it return a coroutine.
        return f


def _running_loop() -> AbstractEventLoop:
    # asyncio is imported here, not with the package: an async caller has imported it already.
    import asyncio

    return asyncio.get_running_loop()


# The event loop used last and its completer: the common case (one loop) without a lookup.
# Threads running loops of their own replace it in turn, and find their loop's in `_by_loop`.
_last: Tuple[Optional[AbstractEventLoop], Optional[Completer]] = (None, None)
# Every loop's completer, for as long as the loop lives (a WeakKeyDictionary, made at first use).
_by_loop: Optional[MutableMapping[AbstractEventLoop, Completer]] = None


def _completer(loop: AbstractEventLoop) -> Completer:
    """The :class:`Completer` that sets the results of ``loop``'s futures (one per loop, so that
    answers that end together wake the loop once)."""
    global _last
    last_loop, c = _last
    if c is None or last_loop is not loop:
        c = _loop_completer(loop)
        _last = (loop, c)
    return c


def _loop_completer(loop: AbstractEventLoop) -> Completer:
    """``loop``'s completer, made at its first call and kept while the loop lives. The loop
    watches the completer's eventfd, so that runtime threads wake it without the GIL; a loop that
    cannot watch a fd (Windows' proactor) is woken by ``call_soon_threadsafe``."""
    global _by_loop
    if _by_loop is None:
        import weakref

        _by_loop = weakref.WeakKeyDictionary()
    try:
        c = _by_loop.get(loop)
    except TypeError:
        # A loop that takes no weak reference: a completer per switch of loops, no fd to leak.
        return Completer(loop)
    if c is None:
        c = _by_loop[loop] = Completer(loop)
        fd = c.fileno()
        if fd is not None:
            try:
                loop.add_reader(fd, c.drain_fd)
            except NotImplementedError:
                pass
            else:
                c.watched()
    return c


def _none(v: Any) -> None:
    return None


def _response(r: Any) -> Response:
    return Response(r["status"], r["headers"], r["json"])


def _report(r: Any) -> Dict[str, Any]:
    report: Dict[str, Any] = r
    return report


def _options(
    op: Op,
    timeout: Optional[float],
    total_timeout: Optional[float],
    max_retries: Optional[int],
    idempotency_key: Optional[str] = None,
) -> Op:
    """The call's own options (decision "per-call options"), beside the operation's fields."""
    opts = with_fields(
        {},
        timeout=None if timeout is None else float(timeout),
        total_timeout=None if total_timeout is None else float(total_timeout),
        max_retries=max_retries,
        idempotency_key=idempotency_key,
    )
    if opts:
        op["options"] = opts
    return op


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
    api_key_command: Optional[Sequence[str]],
    api_key_command_timeout: Optional[float],
    env: bool,
    env_vars: Optional[Mapping[str, str]],
    credentials_file: Optional[PathLike],
    docker_secret: Optional[PathLike],
    reload_interval: Optional[float],
    total_timeout: Optional[float],
) -> NativeClient:
    cfg = _ops.load_config(
        api_key_file=api_key_file,
        api_key_command=api_key_command,
        api_key_command_timeout=api_key_command_timeout,
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
    key, cfg_key = _ops.explicit_key(api_key)
    if cfg_key is not None:
        cfg["api_key"] = cfg_key
    native = NativeClient(cfg, key)
    _ops.warn_all(native.info().get("warnings") or (), stacklevel=4)
    return native


class _Base:
    _native: Optional[NativeClient]
    _call: Call

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
        api_key_command: Optional[Sequence[str]] = None,
        api_key_command_timeout: Optional[float] = None,
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
            api_key_command=api_key_command,
            api_key_command_timeout=api_key_command_timeout,
            env=env,
            env_vars=env_vars,
            credentials_file=credentials_file,
            docker_secret=docker_secret,
            reload_interval=reload_interval,
            total_timeout=total_timeout,
        )
        self._attach()

    def _attach(self) -> None:
        raise NotImplementedError

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
        info = self._client().info()
        return KeySource.from_dict(info["source"], display=info.get("display"))

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
    retries and their waits (``Retry-After`` included) too. Every method also takes them (and
    ``max_retries``) for that call alone.
    """

    api_keys: ApiKeys
    service_accounts: ServiceAccounts

    def _attach(self) -> None:
        self._call = self._run
        self.api_keys = ApiKeys(self._run)
        self.service_accounts = ServiceAccounts(self._run)

    def _run(self, op: Op, decode: Callable[[Any], T]) -> T:
        return self._client().execute(op, decode)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def whoami(
        self, *, timeout: Optional[float] = None, total_timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> ApiKeyRecord:
        """The calling key's own record (``GET /v1/api-keys/self``).

        Every operation takes the call's own ``timeout`` (seconds, per attempt), ``total_timeout``
        (seconds, the whole call, retries included) and ``max_retries``, over the client's; POST
        operations also take an ``idempotency_key``."""
        return self._call(_options({"op": "whoami"}, timeout, total_timeout, max_retries), _ops.record)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Response:
        """An authenticated call to any Noorle endpoint, with the client's retries and errors.

        Error statuses raise; the answer carries the status, headers and decoded JSON."""
        op = with_fields(
            {"op": "request", "method": method, "path": path},
            json=json,
            query=None if query is None else dict(query),
        )
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _response)


class ApiKeys:
    """Key management: ``client.api_keys``."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def create(
        self,
        name: str,
        *,
        scope: ScopeArg = None,
        permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None,
        rate_limit_per_minute: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CreatedApiKey:
        """A new key for the calling principal. ``result.key`` is the whole key, shown this once."""
        op = _ops.create_key_op("api_keys.create", name, scope, permissions, expires_at, rate_limit_per_minute)
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.created)

    def list(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
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
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.key_page)

    def list_all(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
        timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Iterator[ApiKeyRecord]:
        """Every key, fetching page after page as the iteration goes (the options apply to each page)."""
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list(
                status=status, owner_type=owner_type, service_account_id=service_account_id, limit=limit,
                offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries,
            )
            yield from page.items
            offset = page.next_offset

    iter = list_all

    def get(
        self, id: KeyId, *, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ApiKeyRecord:
        op = {"op": "api_keys.get", "id": key_id(id)}
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.record)

    def update(
        self, id: KeyId, *, name: Optional[str] = None, expires_at: Any = UNSET, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> ApiKeyRecord:
        """Renames a key or changes its expiry (``expires_at=None`` clears it)."""
        op = _ops.update_key_op(id, name, expires_at)
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.record)

    def deactivate(
        self, id: KeyId, *, idempotency_key: Optional[str] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> ApiKeyRecord:
        op = {"op": "api_keys.deactivate", "id": key_id(id)}
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.record)

    def activate(
        self, id: KeyId, *, idempotency_key: Optional[str] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> ApiKeyRecord:
        op = {"op": "api_keys.activate", "id": key_id(id)}
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.record)

    def revoke(
        self, id: KeyId, *, idempotency_key: Optional[str] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> ApiKeyRecord:
        op = {"op": "api_keys.revoke", "id": key_id(id)}
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.record)

    def delete(
        self, id: KeyId, *, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> None:
        """Removes a revoked key."""
        op = {"op": "api_keys.delete", "id": key_id(id)}
        return self._call(_options(op, timeout, total_timeout, max_retries), _none)

    def rotate(
        self, id: KeyId, *, grace_period_seconds: Optional[int] = None, idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None, total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> RotatedApiKey:
        """A new key with the same owner, name, scope and permissions; the old one keeps working
        for ``grace_period_seconds`` (default 0: revoked at once)."""
        op = with_fields({"op": "api_keys.rotate", "id": key_id(id)}, grace_period_seconds=grace_period_seconds)
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.rotated)

    def rotate_file(
        self, path: PathLike, *, id: Optional[KeyId] = None, grace_period_seconds: Optional[int] = None,
        if_older_than: Union[float, timedelta, None] = None, idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None, total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Rotates a key and writes the new one to ``path`` atomically (mode 0600), then checks it.
        Returns a report with both keys redacted.

        With ``if_older_than`` (seconds or a ``timedelta``), rotates only a key at least that old
        by its ``created_at``; otherwise changes nothing and the report says ``rotated: False``.
        Safe to call at every start-up, and from two processes at once (one rotates)."""
        if if_older_than is not None and not isinstance(if_older_than, (int, float)):
            if_older_than = if_older_than.total_seconds()  # a timedelta (datetime loads lazily)
        op = with_fields(
            {"op": "api_keys.rotate_file", "path": os.fspath(path)},
            id=None if id is None else key_id(id),
            grace_period_seconds=grace_period_seconds,
            if_older_than=None if if_older_than is None else float(if_older_than),
        )
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _report)


class ServiceAccounts:
    """Service accounts: ``client.service_accounts``."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def create(
        self, name: str, *, description: Optional[str] = None, role: Optional[str] = None,
        idempotency_key: Optional[str] = None, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CreatedServiceAccount:
        """A new service account and its first key (``result.key``, shown this once)."""
        op = with_fields({"op": "service_accounts.create", "name": name}, description=description, role=role)
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.created_account)

    def list(
        self, *, limit: Optional[int] = None, offset: Optional[int] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> Page[ServiceAccount]:
        op = with_fields({"op": "service_accounts.list"}, limit=limit, offset=offset)
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.account_page)

    def list_all(
        self, *, limit: Optional[int] = None, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> Iterator[ServiceAccount]:
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list(
                limit=limit, offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries
            )
            yield from page.items
            offset = page.next_offset

    iter = list_all

    def get(
        self, id: str, *, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ServiceAccount:
        op = {"op": "service_accounts.get", "id": id}
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.account)

    def update(
        self, id: str, *, name: Optional[str] = None, description: Optional[str] = None, role: Optional[str] = None,
        enabled: Optional[bool] = None, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> ServiceAccount:
        op = with_fields(
            {"op": "service_accounts.update", "id": id}, name=name, description=description, role=role, enabled=enabled
        )
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.account)

    def delete(
        self, id: str, *, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> None:
        """Deletes the account; its keys are revoked."""
        op = {"op": "service_accounts.delete", "id": id}
        return self._call(_options(op, timeout, total_timeout, max_retries), _none)

    def create_key(
        self, id: str, name: str, *, scope: ScopeArg = None, permissions: Optional[Iterable[str]] = None,
        expires_at: Union[datetime, str, None] = None, rate_limit_per_minute: Optional[int] = None,
        idempotency_key: Optional[str] = None, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> CreatedApiKey:
        op = _ops.create_key_op("service_accounts.create_key", name, scope, permissions, expires_at, rate_limit_per_minute)
        op["id"] = id
        return self._call(_options(op, timeout, total_timeout, max_retries, idempotency_key), _ops.created)

    def list_keys(
        self, id: str, *, limit: Optional[int] = None, offset: Optional[int] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> Page[ApiKeyRecord]:
        op = with_fields({"op": "service_accounts.list_keys", "id": id}, limit=limit, offset=offset)
        return self._call(_options(op, timeout, total_timeout, max_retries), _ops.key_page)

    def list_all_keys(
        self, id: str, *, limit: Optional[int] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> Iterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = self.list_keys(
                id, limit=limit, offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries
            )
            yield from page.items
            offset = page.next_offset


class AsyncClient(_Base):
    """The asyncio form of :class:`Client`; same options and methods. Cancelling the task awaiting
    a call cancels the request in the core."""

    api_keys: AsyncApiKeys
    service_accounts: AsyncServiceAccounts

    def _attach(self) -> None:
        self._call = self._run
        self.api_keys = AsyncApiKeys(self._run)
        self.service_accounts = AsyncServiceAccounts(self._run)

    async def _run(self, op: Op, decode: Callable[[Any], T]) -> T:
        loop = _running_loop()
        fut: Awaitable[Any] = loop.create_future()
        token = CancelToken()
        self._client().execute_async(op, decode, token, _completer(loop), fut)
        try:
            return await fut
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

    whoami = _async(Client.whoami)
    request = _async(Client.request)


class AsyncApiKeys:
    """Key management: ``client.api_keys`` of an :class:`AsyncClient` (the methods of :class:`ApiKeys`)."""

    def __init__(self, call: Call) -> None:
        self._call = call

    create = _async(ApiKeys.create)
    list = _async(ApiKeys.list)
    get = _async(ApiKeys.get)
    update = _async(ApiKeys.update)
    deactivate = _async(ApiKeys.deactivate)
    activate = _async(ApiKeys.activate)
    revoke = _async(ApiKeys.revoke)
    delete = _async(ApiKeys.delete)
    rotate = _async(ApiKeys.rotate)
    rotate_file = _async(ApiKeys.rotate_file)

    async def list_all(
        self,
        *,
        status: Optional[str] = None,
        owner_type: Optional[str] = None,
        service_account_id: Optional[str] = None,
        limit: Optional[int] = None,
        timeout: Optional[float] = None,
        total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> AsyncIterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list(
                status=status, owner_type=owner_type, service_account_id=service_account_id, limit=limit,
                offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries,
            )
            for item in page.items:
                yield item
            offset = page.next_offset

    iter = list_all


class AsyncServiceAccounts:
    """Service accounts: ``client.service_accounts`` of an :class:`AsyncClient` (the methods of
    :class:`ServiceAccounts`)."""

    def __init__(self, call: Call) -> None:
        self._call = call

    create = _async(ServiceAccounts.create)
    list = _async(ServiceAccounts.list)
    get = _async(ServiceAccounts.get)
    update = _async(ServiceAccounts.update)
    delete = _async(ServiceAccounts.delete)
    create_key = _async(ServiceAccounts.create_key)
    list_keys = _async(ServiceAccounts.list_keys)

    async def list_all(
        self, *, limit: Optional[int] = None, timeout: Optional[float] = None, total_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> AsyncIterator[ServiceAccount]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list(
                limit=limit, offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries
            )
            for item in page.items:
                yield item
            offset = page.next_offset

    iter = list_all

    async def list_all_keys(
        self, id: str, *, limit: Optional[int] = None, timeout: Optional[float] = None,
        total_timeout: Optional[float] = None, max_retries: Optional[int] = None,
    ) -> AsyncIterator[ApiKeyRecord]:
        offset: Optional[int] = 0
        while offset is not None:
            page = await self.list_keys(
                id, limit=limit, offset=offset, timeout=timeout, total_timeout=total_timeout, max_retries=max_retries
            )
            for item in page.items:
                yield item
            offset = page.next_offset
