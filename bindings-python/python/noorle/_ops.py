"""Operation payloads for the core (``noorle::ops::Operation``) and decoders of its answers.

Shared by the sync and async clients so that both build exactly the same requests.
"""

from __future__ import annotations

import os
import sys

from ._base import ts_out
from ._native import ApiKey, Decoder
from ._records import PLANS
from .models import (
    ApiKeyRecord,
    CreatedApiKey,
    CreatedServiceAccount,
    KeySource,
    LoadedKey,
    Page,
    ResourceRef,
    RotatedApiKey,
    Scope,
    ServiceAccount,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Tuple, Union

    Op = Dict[str, Any]
    PathLike = Union[str, "os.PathLike[str]"]
    KeyId = Union[str, ApiKeyRecord, ApiKey]
    ScopeArg = Union[Scope, Mapping[str, Any], Sequence[ResourceRef], None]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

# sys.version_info rather than platform.python_version(): importing platform costs ~3 ms.
SDK_LANGUAGE = "python/%d.%d.%d" % sys.version_info[:3]


def as_key(key: object) -> ApiKey:
    """An ``ApiKey`` from a key or its string; anything else is a ``TypeError``."""
    if isinstance(key, ApiKey):
        return key
    if isinstance(key, str):
        return ApiKey.parse(key)
    raise TypeError(f"an API key must be a str or noorle.ApiKey, not {type(key).__name__}")


def explicit_key(key: object) -> Tuple[Optional[ApiKey], Optional[str]]:
    """An explicit key for the core's loading chain: an ``ApiKey`` as is, a string as the
    ``api_key`` option (the core parses it and names the option in its error)."""
    if key is None or isinstance(key, ApiKey):
        return key, None
    if isinstance(key, str):
        return None, key
    raise TypeError(f"an API key must be a str or noorle.ApiKey, not {type(key).__name__}")


def key_id(k: KeyId) -> str:
    if isinstance(k, ApiKeyRecord):
        return k.id
    if isinstance(k, ApiKey):
        return k.access_id
    return k


def _path(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


def load_config(
    *,
    api_key_file: Optional[PathLike],
    profile: Optional[str],
    env: bool,
    api_key_command: Optional[Sequence[str]] = None,
    api_key_command_timeout: Optional[float] = None,
    env_vars: Optional[Mapping[str, str]],
    credentials_file: Optional[PathLike],
    docker_secret: Optional[PathLike],
) -> Dict[str, Any]:
    cfg: Dict[str, Any] = {}
    if api_key_file is not None:
        cfg["api_key_file"] = _path(api_key_file)
    if api_key_command is not None:
        if isinstance(api_key_command, str):
            # A string would be split by nobody: the program and its arguments, as a list.
            raise TypeError("api_key_command is a list of strings (the program and its arguments), not a string")
        cfg["api_key_command"] = [str(a) for a in api_key_command]
    if api_key_command_timeout is not None:
        cfg["api_key_command_timeout"] = float(api_key_command_timeout)
    if profile is not None:
        cfg["profile"] = profile
    if not env:
        cfg["env"] = False
    if env_vars is not None:
        cfg["env_vars"] = {str(k): str(v) for k, v in env_vars.items()}
    if credentials_file is not None:
        cfg["credentials_file"] = _path(credentials_file)
    if docker_secret is not None:
        cfg["docker_secret"] = _path(docker_secret)
    return cfg


def scope_dict(scope: ScopeArg) -> Optional[Dict[str, Any]]:
    if scope is None:
        return None
    if isinstance(scope, Scope):
        return scope.to_dict()
    from collections.abc import Mapping

    if isinstance(scope, Mapping):
        return dict(scope)
    return Scope.for_resources(*scope).to_dict()


def _expiry(v: Union[datetime, str, None]) -> Optional[str]:
    from datetime import datetime

    if isinstance(v, datetime):
        return ts_out(v)
    return v


def create_key_op(
    op: str,
    name: str,
    scope: ScopeArg,
    permissions: Optional[Iterable[str]],
    expires_at: Union[datetime, str, None],
    rate_limit_per_minute: Optional[int],
) -> Op:
    d: Op = {"op": op, "name": name}
    s = scope_dict(scope)
    if s is not None:
        d["scope"] = s
    if permissions is not None:
        d["permissions"] = list(permissions)
    if expires_at is not None:
        d["expires_at"] = _expiry(expires_at)
    if rate_limit_per_minute is not None:
        d["rate_limit_per_minute"] = rate_limit_per_minute
    return d


def with_fields(op: Op, **fields: Any) -> Op:
    for k, v in fields.items():
        if v is not None:
            op[k] = v
    return op


def update_key_op(id: KeyId, name: Optional[str], expires_at: Any) -> Op:
    op = with_fields({"op": "api_keys.update", "id": key_id(id)}, name=name)
    if expires_at is not UNSET:
        op["expires_at"] = _expiry(expires_at)
    return op


# The decoders of the answers that carry records: the native decoder builds the record from the
# core's answer by the record's plan, and calls the Python function on an answer of another shape
# (which raises the precise error). Pages and the rest are decoded in Python.
def _record(v: Any) -> ApiKeyRecord:
    return ApiKeyRecord.from_dict(v["api_key"])


def _account(v: Any) -> ServiceAccount:
    return ServiceAccount.from_dict(v["service_account"])


record = Decoder("api_key", PLANS["ApiKeyRecord"], _record)
account = Decoder("service_account", PLANS["ServiceAccount"], _account)
created = Decoder(None, PLANS["CreatedApiKey"], CreatedApiKey.from_dict)
created_account = Decoder(None, PLANS["CreatedServiceAccount"], CreatedServiceAccount.from_dict)
rotated = Decoder(None, PLANS["RotatedApiKey"], RotatedApiKey.from_dict)


def key_page(v: Any) -> Page[ApiKeyRecord]:
    return Page([ApiKeyRecord.from_dict(i) for i in v["items"]], v["total"], v["limit"], v["offset"], v["next_offset"])


def account_page(v: Any) -> Page[ServiceAccount]:
    return Page([ServiceAccount.from_dict(i) for i in v["items"]], v["total"], v["limit"], v["offset"], v["next_offset"])


def loaded(v: Any) -> LoadedKey:
    source = KeySource.from_dict(v["source"], display=v.get("display"))
    return LoadedKey(v["key"], source, v.get("base_url"), v.get("warnings") or ())


def warn_all(warnings: Iterable[str], stacklevel: int) -> None:
    import warnings as _w

    for w in warnings:
        _w.warn(w, NoorleWarning, stacklevel=stacklevel + 1)


class NoorleWarning(UserWarning):
    """A non-fatal problem, e.g. a key file readable by other users."""
