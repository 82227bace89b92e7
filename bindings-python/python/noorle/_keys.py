"""Loading keys and building auth headers for users who bring their own HTTP client."""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

from . import _native, _ops
from ._native import ApiKey
from .models import LoadedKey

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Mapping, Optional, Sequence, Union

    from ._ops import PathLike

__all__ = ["load_api_key", "auth_headers"]


def load_api_key(
    api_key: Union[str, ApiKey, None] = None,
    *,
    api_key_file: Optional[PathLike] = None,
    api_key_command: Optional[Sequence[str]] = None,
    api_key_command_timeout: Optional[float] = None,
    profile: Optional[str] = None,
    env: bool = True,
    env_vars: Optional[Mapping[str, str]] = None,
    credentials_file: Optional[PathLike] = None,
    docker_secret: Optional[PathLike] = None,
) -> LoadedKey:
    """Runs the loading chain and returns the key with its source.

    In order: ``api_key``; ``api_key_file``; ``api_key_command`` (a list: the program and its
    arguments, run without a shell; its stdout is the key); ``NOORLE_API_KEY``;
    ``NOORLE_API_KEY_FILE``; ``NOORLE_API_KEY_COMMAND`` (a JSON array);
    ``$CREDENTIALS_DIRECTORY/noorle_api_key``; ``/run/secrets/noorle_api_key``; the profile
    (``profile`` or ``NOORLE_PROFILE``, default ``default``) of ``~/.noorle/credentials``.
    ``env=False`` reads no variables and no well-known files; ``env_vars`` replaces the process
    environment. Raises :class:`~noorle.CredentialsNotFoundError` listing every place looked.
    """
    config = _ops.load_config(
        api_key_file=api_key_file,
        api_key_command=api_key_command,
        api_key_command_timeout=api_key_command_timeout,
        profile=profile,
        env=env,
        env_vars=env_vars,
        credentials_file=credentials_file,
        docker_secret=docker_secret,
    )
    # An explicit key is the chain's first source: the core checks it and reports it as such.
    key, text = _ops.explicit_key(api_key)
    if text is not None:
        config["api_key"] = text
    op = {"op": "load_api_key", "config": config}
    loaded = _ops.loaded(_native.execute_static(op, key))
    _ops.warn_all(loaded.warnings, stacklevel=2)
    return loaded


def auth_headers(key: Union[ApiKey, str], scheme: str = "x-api-key") -> Dict[str, str]:
    """The header to attach for ``key``: ``{"X-API-Key": ...}`` by default; ``scheme`` may be
    ``"api-key"`` or ``"authorization"`` (``Authorization: ApiKey ...``). The value is the secret:
    do not log it."""
    name, value = _native.auth_header(_ops.as_key(key), scheme)
    return {name: value}
