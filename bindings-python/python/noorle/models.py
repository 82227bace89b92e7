"""The objects the API returns (contract section 5), as small typed, immutable classes.

Records never hold a secret; the whole key appears only in ``CreatedApiKey.key`` and friends, as
an :class:`~noorle.ApiKey` whose every printed form is redacted.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Generic, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

from ._native import ApiKey

__all__ = [
    "Owner",
    "ResourceRef",
    "Scope",
    "ApiKeyRecord",
    "ServiceAccount",
    "CreatedApiKey",
    "CreatedServiceAccount",
    "RotatedApiKey",
    "Page",
    "Response",
    "KeySource",
    "LoadedKey",
]

T = TypeVar("T")


def _ts(v: Any) -> Optional[datetime]:
    if v is None:
        return None
    s = str(v)
    # fromisoformat accepts "Z" only from Python 3.11.
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def _list(v: Any) -> List[Any]:
    return list(v) if isinstance(v, (list, tuple)) else []  # pyright: ignore[reportUnknownArgumentType]


def ts_out(v: Optional[datetime]) -> Optional[str]:
    if v is None:
        return None
    if v.tzinfo is None:
        v = v.replace(tzinfo=timezone.utc)
    return v.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class Owner(_Model):
    """Who owns a key: ``type`` is ``"user"`` or ``"service_account"``."""

    __slots__ = ("type", "id")
    type: str
    id: str

    def __init__(self, type: str, id: str) -> None:
        self._set(type=type, id=id)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Owner:
        return cls(str(d.get("type", "")), str(d.get("id", "")))


class ResourceRef(_Model):
    """One resource a scoped key may touch: ``type`` is ``agent``, ``gateway`` or ``resource``."""

    __slots__ = ("type", "id")
    type: str
    id: str

    def __init__(self, type: str, id: str) -> None:
        self._set(type=type, id=id)

    @classmethod
    def agent(cls, id: str) -> ResourceRef:
        return cls("agent", id)

    @classmethod
    def gateway(cls, id: str) -> ResourceRef:
        return cls("gateway", id)

    @classmethod
    def resource(cls, id: str) -> ResourceRef:
        return cls("resource", id)

    def to_dict(self) -> Dict[str, str]:
        return {"type": self.type, "id": self.id}


class Scope(_Model):
    """Account-wide (``Scope.account()``) or limited to resources (``Scope.for_resources(...)``)."""

    __slots__ = ("type", "resources")
    type: str
    resources: Tuple[ResourceRef, ...]

    def __init__(self, type: str, resources: Sequence[ResourceRef] = ()) -> None:
        self._set(type=type, resources=tuple(resources))

    @classmethod
    def account(cls) -> Scope:
        return cls("account")

    @classmethod
    def for_resources(cls, *resources: ResourceRef) -> Scope:
        return cls("resources", resources)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scope:
        res: List[Any] = list(d.get("resources") or [])
        return cls(str(d.get("type", "account")), [ResourceRef(str(r["type"]), str(r["id"])) for r in res])

    def to_dict(self) -> Dict[str, Any]:
        if self.type == "account":
            return {"type": "account"}
        return {"type": self.type, "resources": [r.to_dict() for r in self.resources]}


class ApiKeyRecord(_Model):
    """An API key's record, as the server describes it. Never contains the secret."""

    __slots__ = (
        "id",
        "name",
        "status",
        "owner",
        "scope",
        "permissions",
        "last_six",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "rotated_from",
    )
    id: str
    name: str
    status: str
    owner: Owner
    scope: Scope
    permissions: Tuple[str, ...]
    last_six: Optional[str]
    rate_limit_per_minute: Optional[int]
    created_at: Optional[datetime]
    last_used_at: Optional[datetime]
    expires_at: Optional[datetime]
    revoked_at: Optional[datetime]
    rotated_from: Optional[str]

    def __init__(
        self,
        *,
        id: str,
        name: str,
        status: str,
        owner: Owner,
        scope: Scope,
        permissions: Sequence[str],
        last_six: Optional[str] = None,
        rate_limit_per_minute: Optional[int] = None,
        created_at: Optional[datetime] = None,
        last_used_at: Optional[datetime] = None,
        expires_at: Optional[datetime] = None,
        revoked_at: Optional[datetime] = None,
        rotated_from: Optional[str] = None,
    ) -> None:
        self._set(
            id=id,
            name=name,
            status=status,
            owner=owner,
            scope=scope,
            permissions=tuple(permissions),
            last_six=last_six,
            rate_limit_per_minute=rate_limit_per_minute,
            created_at=created_at,
            last_used_at=last_used_at,
            expires_at=expires_at,
            revoked_at=revoked_at,
            rotated_from=rotated_from,
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ApiKeyRecord:
        return cls(
            id=str(d["id"]),
            name=str(d.get("name", "")),
            status=str(d.get("status", "")),
            owner=Owner.from_dict(d.get("owner") or {}),
            scope=Scope.from_dict(d.get("scope") or {}),
            permissions=[str(p) for p in _list(d.get("permissions"))],
            last_six=d.get("last_six"),
            rate_limit_per_minute=d.get("rate_limit_per_minute"),
            created_at=_ts(d.get("created_at")),
            last_used_at=_ts(d.get("last_used_at")),
            expires_at=_ts(d.get("expires_at")),
            revoked_at=_ts(d.get("revoked_at")),
            rotated_from=d.get("rotated_from"),
        )

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "owner": {"type": self.owner.type, "id": self.owner.id},
            "scope": self.scope.to_dict(),
            "permissions": list(self.permissions),
            "last_six": self.last_six,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "created_at": ts_out(self.created_at),
            "last_used_at": ts_out(self.last_used_at),
            "expires_at": ts_out(self.expires_at),
            "revoked_at": ts_out(self.revoked_at),
            "rotated_from": self.rotated_from,
        }


class ServiceAccount(_Model):
    """A service account: a non-human principal that owns keys."""

    __slots__ = ("id", "name", "description", "role", "enabled", "created_at")
    id: str
    name: str
    description: Optional[str]
    role: str
    enabled: bool
    created_at: Optional[datetime]

    def __init__(
        self,
        *,
        id: str,
        name: str,
        role: str,
        enabled: bool,
        description: Optional[str] = None,
        created_at: Optional[datetime] = None,
    ) -> None:
        self._set(id=id, name=name, description=description, role=role, enabled=enabled, created_at=created_at)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ServiceAccount:
        return cls(
            id=str(d["id"]),
            name=str(d.get("name", "")),
            description=d.get("description"),
            role=str(d.get("role", "")),
            enabled=bool(d.get("enabled", True)),
            created_at=_ts(d.get("created_at")),
        )

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "role": self.role,
            "enabled": self.enabled,
            "created_at": ts_out(self.created_at),
        }


class CreatedApiKey(_Model):
    """A new key: its record and the whole key, which the server shows only this once."""

    __slots__ = ("api_key", "key")
    api_key: ApiKeyRecord
    key: ApiKey

    def __init__(self, api_key: ApiKeyRecord, key: ApiKey) -> None:
        self._set(api_key=api_key, key=key)


class CreatedServiceAccount(_Model):
    """A new service account with its first key (shown only this once)."""

    __slots__ = ("service_account", "api_key", "key")
    service_account: ServiceAccount
    api_key: ApiKeyRecord
    key: ApiKey

    def __init__(self, service_account: ServiceAccount, api_key: ApiKeyRecord, key: ApiKey) -> None:
        self._set(service_account=service_account, api_key=api_key, key=key)


class RotatedApiKey(_Model):
    """The result of a rotation: the new record and key, and the old record after the change."""

    __slots__ = ("api_key", "key", "previous")
    api_key: ApiKeyRecord
    key: ApiKey
    previous: ApiKeyRecord

    def __init__(self, api_key: ApiKeyRecord, key: ApiKey, previous: ApiKeyRecord) -> None:
        self._set(api_key=api_key, key=key, previous=previous)


class Page(_Model, Generic[T]):
    """One page of a list. Iterating it yields its items; ``next_offset`` is ``None`` on the last."""

    __slots__ = ("items", "total", "limit", "offset", "next_offset")
    items: List[T]
    total: int
    limit: int
    offset: int
    next_offset: Optional[int]

    def __init__(self, items: Sequence[T], total: int, limit: int, offset: int, next_offset: Optional[int]) -> None:
        self._set(items=list(items), total=total, limit=limit, offset=offset, next_offset=next_offset)

    @property
    def has_more(self) -> bool:
        return self.next_offset is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> T:
        return self.items[i]


class Response(_Model):
    """The answer of :meth:`Client.request`: status, lowercase header names, decoded JSON."""

    __slots__ = ("status", "headers", "json")
    status: int
    headers: Dict[str, str]
    json: Any

    def __init__(self, status: int, headers: Mapping[str, str], json: Any) -> None:
        self._set(status=status, headers=dict(headers), json=json)

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


class KeySource(_Model):
    """Where a key came from: ``kind`` (``explicit``, ``file``, ``env``, ``env_file``,
    ``credentials_dir``, ``docker_secret``, ``profile``) and the variable, path or profile."""

    __slots__ = ("kind", "variable", "path", "profile")
    kind: str
    variable: Optional[str]
    path: Optional[str]
    profile: Optional[str]

    def __init__(
        self, kind: str, variable: Optional[str] = None, path: Optional[str] = None, profile: Optional[str] = None
    ) -> None:
        self._set(kind=kind, variable=variable, path=path, profile=profile)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> KeySource:
        return cls(str(d.get("kind")), d.get("variable"), d.get("path"), d.get("profile"))

    def __str__(self) -> str:
        s = self.kind
        if self.variable:
            s += f" ${self.variable}"
        if self.path:
            s += f" {self.path}"
        if self.profile:
            s += f" [profile {self.profile}]"
        return s


class LoadedKey(_Model):
    """A key found by :func:`noorle.load_api_key`, where it came from, and any warnings."""

    __slots__ = ("key", "source", "base_url", "warnings")
    key: ApiKey
    source: KeySource
    base_url: Optional[str]
    warnings: Tuple[str, ...]

    def __init__(
        self, key: ApiKey, source: KeySource, base_url: Optional[str] = None, warnings: Sequence[str] = ()
    ) -> None:
        self._set(key=key, source=source, base_url=base_url, warnings=tuple(warnings))

