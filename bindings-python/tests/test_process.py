"""Cancellation, Ctrl-C, fork and multiprocessing, and logging (in child processes where the
behaviour is process-wide)."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

import noorle
from conftest import async_wait_until, make_client, needs_hooks, wait_until

SELF = "/v1/api-keys/self"


@needs_hooks
async def test_cancelling_a_task_cancels_the_request(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 60000}, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        base = noorle._native._inflight()
        task = asyncio.ensure_future(c.whoami())
        # The server has the request and holds it (the stall outlasts the test's timeout).
        await async_wait_until(lambda: [e["fault"] for e in dev.requests(aid, path=SELF)] == ["stall"])
        assert noorle._native._inflight() == base + 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The core dropped the request (its future), not just the Python side: with the stall
        # still running, only the cancellation brings the count back.
        await async_wait_until(lambda: noorle._native._inflight() == base)
        # wait_for's timeout cancels the same way, and the client keeps working. (If the timed-out
        # call never reached the server, the next call takes the short stall instead.)
        dev.fault(aid, {"type": "stall", "ms": 2000}, path=SELF)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.whoami(), 0.05)
        await async_wait_until(lambda: noorle._native._inflight() == base)
        assert (await c.whoami()).id == aid


def test_async_client_across_event_loops(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    c = noorle.AsyncClient(account.key, base_url=base_url, env=False)
    for _ in range(3):
        assert asyncio.run(c.whoami()).id == account.key.access_id
    c.close()


def test_event_loops_in_two_threads_at_once(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    # Each loop has its own completer (and, on Linux, its own eventfd, watched by that loop): calls
    # from loops that alternate all complete, and loops that end take their fds with them.
    c = noorle.AsyncClient(account.key, base_url=base_url, env=False)

    async def calls() -> list[str]:
        return [r.id for r in await asyncio.gather(*(c.whoami() for _ in range(8)))]

    def fds() -> int:
        # eventfds only: the connection pool may grow with the calls in flight.
        if not os.path.isdir("/proc/self/fd"):
            return 0
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                continue
        return sum("eventfd" in link for link in links)

    def thread_loop(out: list[str]) -> None:
        loop = asyncio.new_event_loop()
        try:
            for _ in range(10):
                out.extend(loop.run_until_complete(calls()))
        finally:
            loop.close()

    asyncio.run(calls())  # the first loop opens what every later call shares
    gc.collect()
    before = fds()
    for _ in range(5):
        results: list[list[str]] = [[], []]
        threads = [threading.Thread(target=thread_loop, args=(r,)) for r in results]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [len(r) for r in results] == [80, 80]
        assert set(results[0] + results[1]) == {account.key.access_id}
    gc.collect()
    assert fds() <= before + 1, f"{fds() - before} more eventfds open after ten loops"
    c.close()


def _child_env(account: noorle.CreatedServiceAccount, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOORLE_")}
    env.update({"PY_TEST_KEY": account.key.expose_secret(), "NOORLE_BASE_URL": base_url}, **extra)
    return env


def test_ctrl_c_interrupts_a_sync_call(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    dev.fault(account.key.access_id, {"type": "stall", "ms": 60000}, path=SELF)
    code = textwrap.dedent(
        """
        import os, signal, sys, noorle
        # A shell starts background jobs with SIGINT ignored, and Python then leaves it ignored:
        # install the handler an interactive interpreter has, so the test does not depend on
        # how the suite was started.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        c = noorle.Client(os.environ["PY_TEST_KEY"], env=False, base_url=os.environ["NOORLE_BASE_URL"])
        print("ready", flush=True)
        try:
            c.whoami()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", code], env=_child_env(account, base_url), stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    # The child's request is at the server, stalled: the call is in progress.
    wait_until(lambda: [e["fault"] for e in dev.requests(account.key.access_id, path=SELF)] == ["stall"])
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=90)
    finally:
        p.kill()
    # Exit 3 would mean the call ran to the end of the stall instead of being interrupted.
    assert p.returncode == 0 and "interrupted" in out, out


def _fork_and_wait(fn: Any) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = fn()
        finally:
            os._exit(code)
    # A hung child is caught by the suite's per-test timeout.
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


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
