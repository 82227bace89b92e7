"""Shared fixtures. The suite runs against the local server started by ``scripts/with-devserver``
(``NOORLE_BASE_URL``, ``NOORLE_DEV_ROOT_KEY``). Each test works with its own service account
and matches faults and the request log on its own key's access id, so suites of several
languages can share one server."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import noorle

ROOT = Path(__file__).resolve().parents[2]

# The extension's test-only hooks exist only in builds with the cargo feature `test-hooks`.
HOOKS = hasattr(noorle._native, "_panic_for_test")  # pyright: ignore[reportPrivateUsage]
needs_hooks = pytest.mark.skipif(
    not HOOKS, reason="the extension was built without the test-hooks feature (bindings-python/test.sh enables it)"
)
VECTORS = json.loads((ROOT / "testdata" / "api_keys.json").read_text())


def _env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        pytest.fail(
            f"{name} is not set: run the suite under the harness, e.g. "
            "scripts/with-devserver bindings-python/test.sh",
            pytrace=False,
        )
    return v


@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("NOORLE_BASE_URL")


@pytest.fixture(scope="session")
def root_key() -> str:
    return _env("NOORLE_DEV_ROOT_KEY")


def wait_until(cond: Callable[[], bool]) -> None:
    """Waits for an event (a request at the server, a count in the core). Polling, not a timed
    sleep: it returns as soon as the condition holds; a condition that never holds is caught by
    the suite's per-test timeout."""
    while not cond():
        time.sleep(0.01)


async def async_wait_until(cond: Callable[[], bool]) -> None:
    while not cond():
        await asyncio.sleep(0.01)


def make_client(key: Any, base_url: str, **kw: Any) -> noorle.Client:
    kw.setdefault("retry_base_delay", 0.01)
    kw.setdefault("retry_max_delay", 0.05)
    return noorle.Client(key, base_url=base_url, env=False, **kw)


@pytest.fixture(scope="session")
def root(root_key: str, base_url: str) -> Iterator[noorle.Client]:
    with make_client(root_key, base_url) as c:
        yield c


@pytest.fixture()
def account(root: noorle.Client) -> Iterator[noorle.CreatedServiceAccount]:
    """A fresh admin service account (and its first key) for one test; deleted afterwards."""
    sa = root.service_accounts.create(f"py-test-{uuid.uuid4().hex[:8]}", role="admin", description="pytest")
    yield sa
    try:
        root.service_accounts.delete(sa.service_account.id)
    except noorle.NoorleError:
        pass


@pytest.fixture()
def client(account: noorle.CreatedServiceAccount, base_url: str) -> Iterator[noorle.Client]:
    with make_client(account.key, base_url) as c:
        yield c


class Dev:
    """The server's fault injection and request log (``/_dev``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def fault(self, access_id: str, fault: Dict[str, Any], *, count: int = 1, method: Optional[str] = None,
              path: Optional[str] = None) -> None:
        body: Dict[str, Any] = {"access_id": access_id, "count": count, "fault": fault}
        if method:
            body["method"] = method
        if path:
            body["path"] = path
        self._call("POST", "/_dev/faults", body)

    def requests(self, access_id: str, *, method: Optional[str] = None, path: Optional[str] = None) -> List[Dict[str, Any]]:
        q = f"?access_id={access_id}"
        if method:
            q += f"&method={method}"
        if path:
            q += f"&path={path}"
        return list(self._call("GET", "/_dev/requests" + q)["requests"])


@pytest.fixture(scope="session")
def dev(base_url: str) -> Dev:
    return Dev(base_url)
