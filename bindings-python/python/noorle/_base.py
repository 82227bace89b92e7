"""Hand-written behaviour of the generated modules (``_records.py``, ``errors.py``): the immutable
model base, the exception base, the decoders of wire values and helpers such as
``Scope.account()``. The data shapes themselves come from spec/sdk.yaml."""

# pyright: reportUnusedClass=false, reportUnusedFunction=false
# (the private names are used by the generated modules)

from __future__ import annotations

import sys

from ._native import ApiKey

# `typing`, `re` and `datetime` are not imported with the package (they are most of its import
# time): the annotations are not evaluated, and the timestamp decoders import what they use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from datetime import datetime
    from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type, TypeVar

    from ._records import ResourceRef, Scope
    from .errors import NoorleError

    T = TypeVar("T")
    M = TypeVar("M", bound="_Model")


class _Model:
    """Immutable value object: equality, hashing and repr from ``__slots__``."""

    __slots__: Tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **values: Any) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, s) for s in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        try:
            return hash(self._values())
        except TypeError:
            return id(self)

    def __repr__(self) -> str:
        body = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__ if not s.startswith("_"))
        return f"{type(self).__name__}({body})"

    # copy, deepcopy and pickle, like a frozen dataclass: the state is the slots' values, put back
    # without going through the refusing __setattr__. (A model holding an ApiKey still refuses
    # to pickle: the key does.)
    def __getstate__(self) -> Dict[str, Any]:
        return {s: getattr(self, s) for s in self.__slots__}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for k in self.__slots__:
            object.__setattr__(self, k, state[k])


class _ErrorBase(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        kind: the core's error kind (``not_found``, ``timeout``, ...).
        message: the explanation (also ``str(err)``).
        status: the HTTP status, for errors the server sent.
        code: the server's error code, or for an invalid key the format rule broken.
        request_id: the server's ``X-Request-Id``.
        details: the server's ``details`` object.
        retryable: whether the client's retry policy treats the error as transient.
        retry_after: seconds the server asked to wait (429, 503).
        position: for an invalid key, the offending character.
        searched: for missing credentials, every place the loader looked.
    """

    _kind = "internal"

    def __init__(
        self,
        message: str = "",
        *,
        kind: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        request_id: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
        retryable: bool = False,
        retry_after: Optional[float] = None,
        position: Optional[int] = None,
        searched: Optional[List[str]] = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.kind: str = kind if kind is not None else self._kind
        self.status: Optional[int] = status
        self.code: Optional[str] = code
        self.request_id: Optional[str] = request_id
        self.details: Optional[Dict[str, Any]] = details
        self.retryable: bool = retryable
        self.retry_after: Optional[float] = retry_after
        self.position: Optional[int] = position
        self.searched: Optional[List[str]] = searched

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={getattr(self, name)!r}"
            for name in ("status", "code", "request_id")
            if getattr(self, name) is not None
        )
        return f"{type(self).__name__}({self.message!r}{extra})"


def _error_from_info(info: Mapping[str, Any], cls: Type[NoorleError]) -> NoorleError:
    kind = str(info.get("kind") or "internal")
    return cls(
        str(info.get("message") or kind),
        kind=kind,
        status=info.get("status"),
        code=info.get("code"),
        request_id=info.get("request_id"),
        details=info.get("details"),
        retryable=bool(info.get("retryable", False)),
        retry_after=info.get("retry_after"),
        position=info.get("position"),
        searched=info.get("searched"),
    )


# Decoding of the core's answers. The core has already checked them against its own types, so a
# failure here means an answer this version does not understand: an APIConnectionError, as the
# core reports an unexpected answer.


def _unexpected(what: str) -> NoorleError:
    from .errors import APIConnectionError

    return APIConnectionError(f"unexpected answer: {what}")


def _get(d: Mapping[str, Any], name: str, owner: str) -> Any:
    try:
        return d[name]
    except KeyError:
        raise _unexpected(f"{owner} has no {name!r}") from None


def _missing(owner: str, e: KeyError) -> NoorleError:
    """The error of a record's decoder when its object lacks the field ``e`` names."""
    return _unexpected(f"{owner} has no {e.args[0]!r}")


def _not(what: str, v: Any, where: str) -> NoorleError:
    return _unexpected(f"{where} is not {what}: {v!r:.80}")


# The decoders below run for every field of every answer: one isinstance and a return.


def _str(v: Any, where: str) -> str:
    if isinstance(v, str):
        return v
    raise _not("a string", v, where)


def _int(v: Any, where: str) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise _not("an integer", v, where)


def _bool(v: Any, where: str) -> bool:
    if isinstance(v, bool):
        return v
    raise _not("a boolean", v, where)


def _any(v: Any, where: str) -> Any:
    return v


def _key(v: Any, where: str) -> ApiKey:
    if isinstance(v, ApiKey):
        return v
    raise _not("an API key", v, where)


def _obj(v: Any, where: str) -> Mapping[str, Any]:
    if isinstance(v, dict):
        return v  # pyright: ignore[reportUnknownVariableType]
    raise _not("an object", v, where)


def _seq(v: Any, where: str) -> List[Any]:
    if isinstance(v, (list, tuple)):
        return list(v)  # pyright: ignore[reportUnknownArgumentType]
    raise _not("a list", v, where)


_new = object.__new__
_setattr = object.__setattr__


def _build(cls: Type[M], values: Tuple[Any, ...]) -> M:
    """A record from its decoded field values in ``__slots__`` order (what ``__init__`` stores,
    without its keyword arguments: the decoders' hot path)."""
    o = _new(cls)
    for k, v in zip(cls.__slots__, values):
        _setattr(o, k, v)
    return o


def _opt(v: Any, decode: Callable[[Any], T]) -> Optional[T]:
    return None if v is None else decode(v)


# fromisoformat takes the `Z` suffix and any number of fraction digits from Python 3.11 on.
_FROMISO = sys.version_info >= (3, 11)
_RFC3339_TEXT = r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
_rfc3339: Optional[re.Pattern[str]] = None


def _rfc3339_pattern() -> re.Pattern[str]:
    global _rfc3339
    if _rfc3339 is None:
        import re

        _rfc3339 = re.compile(_RFC3339_TEXT)
    return _rfc3339


def parse_ts(s: str) -> Optional[datetime]:
    """An RFC 3339 timestamp as an aware UTC ``datetime``, or ``None`` when ``s`` is not one.
    (Any number of fraction digits, unlike ``fromisoformat`` before Python 3.11.)"""
    from datetime import datetime, timedelta, timezone

    m = (_rfc3339 or _rfc3339_pattern()).fullmatch(s)
    if m is None:
        return None
    if _FROMISO:
        # Python 3.11+ parses every RFC 3339 form in C (the pattern above has vetted the shape).
        try:
            t = datetime.fromisoformat(s)
        except ValueError:  # a field out of range, or a form 3.11 refuses: decoded below
            pass
        else:
            return t if t.tzinfo is timezone.utc else t.astimezone(timezone.utc)
    y, mo, d, h, mi, sec, frac, z, sign, oh, om = m.groups()
    try:
        tz = timezone.utc
        if not z:
            off = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(off if sign == "+" else -off)
        micro = int((frac or "0")[:6].ljust(6, "0"))
        t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), micro, tzinfo=tz)
    except ValueError:  # a field out of range (month 13, offset over 24 h, ...)
        return None
    return t.astimezone(timezone.utc)


def _ts(v: Any, where: str) -> datetime:
    t = parse_ts(v) if isinstance(v, str) else None
    if t is None:
        raise _unexpected(f"{where} is not an RFC 3339 timestamp: {v!r:.80}")
    return t


def ts_out(v: datetime) -> str:
    """A ``datetime`` as RFC 3339 in UTC (a naive one is taken as UTC)."""
    from datetime import timezone

    if v.tzinfo is None:
        v = v.replace(tzinfo=timezone.utc)
    v = v.astimezone(timezone.utc)
    return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if v.microsecond else "%Y-%m-%dT%H:%M:%SZ")


class ResourceRefMixin:
    """Constructors of :class:`~noorle.ResourceRef` by type."""

    __slots__ = ()

    @classmethod
    def agent(cls, id: str) -> ResourceRef:
        from ._records import ResourceRef

        return ResourceRef("agent", id)

    @classmethod
    def gateway(cls, id: str) -> ResourceRef:
        from ._records import ResourceRef

        return ResourceRef("gateway", id)

    @classmethod
    def resource(cls, id: str) -> ResourceRef:
        from ._records import ResourceRef

        return ResourceRef("resource", id)


class ScopeMixin:
    """``Scope.account()`` (account-wide) and ``Scope.for_resources(...)``."""

    __slots__ = ()

    @classmethod
    def account(cls) -> Scope:
        from ._records import Scope

        return Scope("account")

    @classmethod
    def for_resources(cls, *resources: ResourceRef) -> Scope:
        from ._records import Scope

        return Scope("resources", resources)
