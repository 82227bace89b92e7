"""The exceptions of the Noorle SDK.

Every error the SDK raises is a :class:`NoorleError`; the subclass says what kind of failure it
was. The Rust core reports errors as an ``ErrorInfo`` whose ``kind`` picks the class here
(:func:`_from_info`, the one mapping). No message ever contains a secret.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

__all__ = [
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
]


class NoorleError(Exception):
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


class InvalidApiKeyError(NoorleError, ValueError):
    """A key broke a format rule. ``code`` names the rule, ``position`` the offending character."""

    _kind = "invalid_api_key"


class CredentialsNotFoundError(NoorleError):
    """No key anywhere the loader looked; ``searched`` lists every place, in order."""

    _kind = "credentials_not_found"


class ConfigError(NoorleError):
    """Bad configuration: conflicting settings, an unsafe or unreadable key file, a bad URL."""

    _kind = "config"


class APIError(NoorleError):
    """The server answered with an error status (base of the status-specific classes)."""

    _kind = "api"


class AuthenticationError(APIError):
    """401: the key is missing, invalid, inactive, revoked or expired."""

    _kind = "authentication"


class PermissionDeniedError(APIError):
    """403: the key may not do this (permission or scope)."""

    _kind = "permission_denied"


class NotFoundError(APIError):
    """404."""

    _kind = "not_found"


class ConflictError(APIError):
    """409: the resource's state forbids this (e.g. activating a revoked key)."""

    _kind = "conflict"


class ValidationError(APIError):
    """400 or 422: the request broke a rule; ``details`` names the field."""

    _kind = "validation"


class RateLimitError(APIError):
    """429; ``retry_after`` is the wait the server asked for, in seconds."""

    _kind = "rate_limited"


class ServerError(APIError):
    """5xx."""

    _kind = "server"


class APIConnectionError(NoorleError):
    """The connection failed or was dropped before an answer arrived."""

    _kind = "connection"


class APITimeoutError(APIConnectionError):
    """The request took longer than its timeout."""

    _kind = "timeout"


_KIND_TO_CLASS: Dict[str, Type[NoorleError]] = {
    "invalid_api_key": InvalidApiKeyError,
    "credentials_not_found": CredentialsNotFoundError,
    "config": ConfigError,
    "authentication": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "validation": ValidationError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "api": APIError,
    "connection": APIConnectionError,
    "timeout": APITimeoutError,
    # "cancelled" and "internal" (a panic in the extension) stay the base class.
}


def _from_info(info: Dict[str, Any]) -> NoorleError:  # pyright: ignore[reportUnusedFunction]  (called from Rust)
    """The exception for a core ``ErrorInfo`` (called from Rust)."""
    kind = str(info.get("kind") or "internal")
    cls = _KIND_TO_CLASS.get(kind, NoorleError)
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
