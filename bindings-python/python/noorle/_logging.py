"""The core's log events in Python's ``logging``: logger ``noorle``, filter from ``NOORLE_LOG``."""

# pyright: reportPrivateUsage=false
# (the package's own private modules)

from __future__ import annotations

import os

from . import _native

_LEVELS = {"trace": 5, "debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40, "off": 60}


def _python_level(filter: str) -> int:
    # The most verbose level named in a tracing filter ("noorle=debug,hyper=warn" -> DEBUG).
    levels = [_LEVELS.get(part.rsplit("=", 1)[-1].strip().lower(), 30) for part in filter.split(",") if part.strip()]
    return min(levels) if levels else 30


def enable_logging(filter: str = "debug") -> bool:
    """Sends the SDK's log events to the ``logging`` logger ``noorle`` (``noorle.<crate>`` for the
    HTTP stack), filtered by ``filter`` in ``tracing`` syntax (``debug``, ``noorle=trace``).

    Sets the ``noorle`` logger's level to match if it has none, and, when logging is not
    configured at all, adds a stderr handler. Messages never contain a secret. Only the first
    call in a process installs the bridge; returns whether this one did.
    """
    import logging

    installed = _native.enable_logging(filter)
    logger = logging.getLogger("noorle")
    if logger.level == logging.NOTSET:
        logger.setLevel(_python_level(filter))
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    return installed


def _from_env() -> None:  # pyright: ignore[reportUnusedFunction]  (called by __init__)
    f = os.environ.get("NOORLE_LOG")
    if f:
        try:
            enable_logging(f)
        except ValueError as e:
            import warnings

            warnings.warn(f"NOORLE_LOG ignored: {e}", stacklevel=3)
