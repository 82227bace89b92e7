"""The objects the API returns (contract section 5), as small typed, immutable classes.

The records and enums are generated from spec/sdk.yaml (``noorle/_records.py``); the classes of
this module that are not API records (pages, responses, key sources) are hand-written here.
Records never hold a secret; the whole key appears only in ``CreatedApiKey.key`` and friends, as
an :class:`~noorle.ApiKey` whose every printed form is redacted.
"""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

from . import _records
from ._base import _Model
from ._native import ApiKey
from ._records import (
    ApiKeyRecord,
    CreatedApiKey,
    CreatedServiceAccount,
    Owner,
    ResourceRef,
    RotatedApiKey,
    Scope,
    ServiceAccount,
)

# `typing` is not imported at run time (it is most of the package's import time): the enums'
# `Literal` aliases come from noorle._records on first use, and `Page[...]` is a plain alias.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Generic, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

    from ._records import ErrorCode, KeyStatus, OwnerType, Permission, ResourceType, Role, ScopeType

    T = TypeVar("T")
else:
    T = None

    class Generic:
        """``Page[X]`` at run time, without ``typing``."""

        __slots__ = ()

        def __class_getitem__(cls, item):
            return cls

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
    "KeyStatus",
    "Permission",
    "Role",
    "OwnerType",
    "ResourceType",
    "ScopeType",
    "ErrorCode",
]

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
    ``credentials_dir``, ``docker_secret``, ``profile``, ``command``) and the variable, path,
    profile or program (a credential command's argv[0]). ``str()`` is the core's description of
    it (the same words in every language), e.g. ``command op (from $NOORLE_API_KEY_COMMAND)``."""

    __slots__ = ("kind", "variable", "path", "profile", "program", "_display")
    kind: str
    variable: Optional[str]
    path: Optional[str]
    profile: Optional[str]
    program: Optional[str]
    _display: Optional[str]

    def __init__(
        self,
        kind: str,
        variable: Optional[str] = None,
        path: Optional[str] = None,
        profile: Optional[str] = None,
        display: Optional[str] = None,
        program: Optional[str] = None,
    ) -> None:
        self._set(kind=kind, variable=variable, path=path, profile=profile, program=program, _display=display)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], display: Optional[str] = None) -> KeySource:
        """The core's source object; ``display`` is the core's description of it, when given."""
        return cls(
            str(d.get("kind")), d.get("variable"), d.get("path"), d.get("profile"), display, d.get("program")
        )

    def __str__(self) -> str:
        if self._display is not None:
            return self._display
        # A core without the `display` field: the same description, built here.
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


def __getattr__(name: str) -> Any:
    # The enums' Literal aliases (built by noorle._records when first asked for).
    if name in _records.LITERALS:
        return getattr(_records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
