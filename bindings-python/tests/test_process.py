"""Cancellation, Ctrl-C, fork and multiprocessing, and logging (in child processes where the
behaviour is process-wide)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

import noorle
from conftest import make_client

SELF = "/v1/api-keys/self"


async def test_cancelling_a_task_cancels_the_request(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 4000}, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        base = noorle._native._inflight()
        task = asyncio.ensure_future(c.whoami())
        await asyncio.sleep(0.3)
        assert noorle._native._inflight() == base + 1
        start = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - start < 0.5
        # The core dropped the request (its future), not just the Python side.
        deadline = time.monotonic() + 1
        while noorle._native._inflight() != base:
            assert time.monotonic() < deadline, "the request is still running in the core"
            await asyncio.sleep(0.01)
        # wait_for's timeout cancels the same way, and the client keeps working.
        dev.fault(aid, {"type": "stall", "ms": 4000}, path=SELF)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.whoami(), 0.2)
        assert (await c.whoami()).id == aid


def test_async_client_across_event_loops(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    c = noorle.AsyncClient(account.key, base_url=base_url, env=False)
    for _ in range(3):
        assert asyncio.run(c.whoami()).id == account.key.access_id
    c.close()


def _child_env(account: noorle.CreatedServiceAccount, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOORLE_")}
    env.update({"PY_TEST_KEY": account.key.expose_secret(), "NOORLE_BASE_URL": base_url}, **extra)
    return env


def test_ctrl_c_interrupts_a_sync_call(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    dev.fault(account.key.access_id, {"type": "stall", "ms": 10000}, path=SELF)
    code = textwrap.dedent(
        """
        import os, sys, time, noorle
        c = noorle.Client(os.environ["PY_TEST_KEY"], env=False, base_url=os.environ["NOORLE_BASE_URL"])
        print("ready", flush=True)
        start = time.monotonic()
        try:
            c.whoami()
        except KeyboardInterrupt:
            print("interrupted after %.1f" % (time.monotonic() - start), flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", code], env=_child_env(account, base_url), stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=5)
    assert p.returncode == 0 and "interrupted" in out


def _fork_and_wait(fn: Any, timeout: float = 20) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = fn()
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung")


def test_fork_sync_and_async(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    c = make_client(account.key, base_url)
    ac = noorle.AsyncClient(account.key, base_url=base_url, env=False)
    assert c.whoami().id == account.key.access_id  # runtime and pool exist before the fork
    assert asyncio.run(ac.whoami()).id == account.key.access_id

    def child() -> int:
        ok = c.whoami().id == account.key.access_id
        ok = ok and asyncio.run(ac.whoami()).id == account.key.access_id
        ok = ok and c.api_keys.list(limit=1).total >= 1
        return 0 if ok else 2

    assert _fork_and_wait(child) == 0
    assert _fork_and_wait(child) == 0
    assert c.whoami().id == account.key.access_id  # the parent is unaffected


def _mp_whoami(args: tuple[str, str]) -> str:
    key, base_url = args
    with noorle.Client(key, base_url=base_url, env=False) as c:
        return c.whoami().id


_SHARED: Any = None


def _mp_shared(_: int) -> str:
    return str(_SHARED.whoami().id)


def test_multiprocessing(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    global _SHARED
    _SHARED = make_client(account.key, base_url)
    _SHARED.whoami()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        assert set(pool.map(_mp_shared, range(6), chunksize=1)) == {account.key.access_id}
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        assert pool.map(_mp_whoami, [(account.key.expose_secret(), base_url)]) == [account.key.access_id]


def test_logging_bridge(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    dev.fault(account.key.access_id, {"type": "status", "status": 503}, path=SELF)
    code = textwrap.dedent(
        """
        import logging, os, sys, noorle
        records = []
        class H(logging.Handler):
            def emit(self, r): records.append((r.name, r.levelname, r.getMessage()))
        logging.getLogger().addHandler(H())
        key = os.environ["PY_TEST_KEY"]
        with noorle.Client(key, env=False, base_url=os.environ["NOORLE_BASE_URL"], retry_base_delay=0.01) as c:
            c.whoami()
            new = c.api_keys.create("logged")
        assert logging.getLogger("noorle").level == logging.DEBUG
        text = repr(records)
        assert records and all(n.startswith("noorle") for n, _, _ in records), text
        assert any("retrying" in m and "503" in m for _, _, m in records), text
        assert any(l == "DEBUG" and "response" in m for _, l, m in records), text
        for secret in (key, new.key.expose_secret(), key[35:], new.key.expose_secret()[35:]):
            assert secret not in text
        print("ok", len(records))
        """
    )
    env = _child_env(account, base_url, NOORLE_LOG="debug")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stdout + r.stderr
    assert account.key.expose_secret()[35:] not in r.stderr
    # Without NOORLE_LOG nothing is installed and nothing is printed.
    r = subprocess.run(
        [sys.executable, "-c", "import noorle, os; noorle.Client(os.environ['PY_TEST_KEY'], env=False, base_url=os.environ['NOORLE_BASE_URL']).whoami()"],
        env=_child_env(account, base_url), capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0 and r.stderr == ""
