"""Every error kind, its attributes and pickling; retries counted through the server's request
log with injected 503s, 429 + Retry-After, dropped connections and stalls; timeouts."""

from __future__ import annotations

import ast
import asyncio
import http.server
import os
import pickle
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import uuid
from typing import Any, List

import pytest

import noorle
from conftest import make_client, needs_hooks, wait_until

SELF = "/v1/api-keys/self"


def assert_picklable(e: noorle.NoorleError) -> None:
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is type(e) and str(back) == str(e)
    for attr in ("kind", "status", "code", "request_id", "details", "retryable", "retry_after", "position", "searched"):
        assert getattr(back, attr) == getattr(e, attr), attr


def test_error_kinds_from_the_server(client: noorle.Client, account: noorle.CreatedServiceAccount, root: noorle.Client,
                                     base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    cases: List[Any] = []

    with pytest.raises(noorle.NotFoundError) as nf:
        client.api_keys.get("0" * 32)
    cases.append((nf.value, 404, "not_found", "not_found"))

    with pytest.raises(noorle.ValidationError) as v:
        client.api_keys.list(limit=1000)
    assert v.value.details and v.value.details.get("field") == "limit"
    cases.append((v.value, 422, "validation_error", "validation"))

    with pytest.raises(noorle.ValidationError) as v400:
        client.request("POST", "/v1/api-keys", json=["not", "an", "object"])
    cases.append((v400.value, 400, "invalid_request", "validation"))

    with pytest.raises(noorle.ConflictError) as cf:
        client.api_keys.delete(aid)
    cases.append((cf.value, 409, "conflict", "conflict"))

    viewer = root.service_accounts.create("py-viewer", role="viewer")
    with make_client(viewer.key, base_url) as vc:
        with pytest.raises(noorle.PermissionDeniedError) as pd:
            vc.api_keys.list()
    root.service_accounts.delete(viewer.service_account.id)
    cases.append((pd.value, 403, "forbidden", "permission_denied"))

    with pytest.raises(noorle.AuthenticationError) as au:
        with make_client(viewer.key, base_url) as vc:
            vc.whoami()
    assert au.value.details == {"reason": "revoked"}
    cases.append((au.value, 401, "unauthorized", "authentication"))

    dev.fault(aid, {"type": "status", "status": 429, "retry_after": 7}, path=SELF)
    with pytest.raises(noorle.RateLimitError) as rl:
        make_client(account.key, base_url, max_retries=0).whoami()
    assert rl.value.retry_after == 7 and rl.value.retryable
    cases.append((rl.value, 429, "rate_limited", "rate_limited"))

    dev.fault(aid, {"type": "status", "status": 500}, path=SELF)
    with pytest.raises(noorle.ServerError) as se:
        make_client(account.key, base_url, max_retries=0).whoami()
    assert se.value.retryable
    cases.append((se.value, 500, "internal_error", "server"))

    dev.fault(aid, {"type": "status", "status": 418, "code": "teapot"}, path=SELF)
    with pytest.raises(noorle.APIError) as te:
        client.whoami()
    assert type(te.value) is noorle.APIError and not te.value.retryable
    cases.append((te.value, 418, "teapot", "api"))

    for e, status, code, kind in cases:
        assert isinstance(e, noorle.APIError) and isinstance(e, noorle.NoorleError)
        assert (e.status, e.code, e.kind) == (status, code, kind), repr(e)
        assert e.request_id and e.request_id.startswith("req_") and e.request_id in str(e)
        assert e.message and str(e) == e.message
        assert account.key.expose_secret() not in str(e) + repr(e)
        assert_picklable(e)


def test_local_error_kinds(account: noorle.CreatedServiceAccount, base_url: str, tmp_path: Any) -> None:
    with pytest.raises(noorle.InvalidApiKeyError) as ik:
        noorle.Client("ak-short", env=False)
    with pytest.raises(noorle.CredentialsNotFoundError) as cn:
        noorle.Client(env=False)
    with pytest.raises(noorle.ConfigError) as cfg:
        noorle.Client(account.key, env=False, base_url="ftp://example.com")
    with pytest.raises(noorle.ConfigError):
        noorle.Client(account.key, env=False, header_scheme="bearer")
    with pytest.raises(noorle.ConfigError):
        noorle.Client(account.key, env=False, timeout=-1)
    with make_client(account.key, base_url) as c:
        with pytest.raises(noorle.ConfigError):
            c.request("GET", "no-leading-slash")
        with pytest.raises(TypeError):
            c.request("POST", "/v1/agents/agt_weather/run", json={"x": object()})
    for e in (ik.value, cn.value, cfg.value):
        assert e.status is None and not e.retryable
        assert_picklable(e)
    assert cn.value.searched


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_connection_errors(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    with make_client(account.key, f"http://127.0.0.1:{closed_port()}", max_retries=1) as c:
        with pytest.raises(noorle.APIConnectionError) as ce:
            c.whoami()
    assert ce.value.kind == "connection" and ce.value.retryable and not isinstance(ce.value, noorle.APITimeoutError)
    assert_picklable(ce.value)
    aid = account.key.access_id
    dev.fault(aid, {"type": "drop"}, count=3, path=SELF)
    with make_client(account.key, base_url, max_retries=2) as c:
        with pytest.raises(noorle.APIConnectionError):
            c.whoami()
    log = dev.requests(aid, path=SELF)
    assert [e["fault"] for e in log] == ["drop"] * 3 and all(e["status"] is None for e in log)


def test_timeouts(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    # The stall outlasts the test: only the client's timeout can end the call.
    dev.fault(aid, {"type": "stall", "ms": 600000}, path=SELF)
    with make_client(account.key, base_url, timeout=2, max_retries=0) as c:
        with pytest.raises(noorle.APITimeoutError) as te:
            c.whoami()
    assert te.value.kind == "timeout" and isinstance(te.value, noorle.APIConnectionError)
    assert_picklable(te.value)
    assert [(e["fault"], e["status"]) for e in dev.requests(aid, path=SELF)] == [("stall", None)]
    # A stall shorter than the timeout is just slow.
    dev.fault(aid, {"type": "stall", "ms": 300}, path=SELF)
    with make_client(account.key, base_url, timeout=60, max_retries=0) as c:
        assert c.whoami().id == aid
    assert [(e["fault"], e["status"]) for e in dev.requests(aid, path=SELF)][1:] == [("stall", 200)]


def test_timed_out_attempts_are_retried(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 600000}, count=2, path=SELF)
    with make_client(account.key, base_url, timeout=2, max_retries=2) as c:
        assert c.whoami().id == aid
    assert [(e["fault"], e["status"]) for e in dev.requests(aid, path=SELF)] == [("stall", None), ("stall", None), (None, 200)]


class _Gate:
    """A listening socket that never accepts, with its accept queue full: Linux drops the SYN of
    any further connection attempt, so only a connect timeout ends one. Loopback only."""

    def __init__(self) -> None:
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(0)  # a queue of one
        self.port: int = self.srv.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port))
        # For a listening socket, tcp_info's `unacked` is the accept queue's length.
        wait_until(lambda: struct.unpack_from("I", self.srv.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 24)[0] == 1)

    def close(self) -> None:
        self.filler.close()
        self.srv.close()


def test_connect_timeout(account: noorle.CreatedServiceAccount) -> None:
    gate = _Gate()
    try:
        # With the whole-request timeout far longer than the suite's per-test timeout, only
        # connect_timeout can end these calls.
        with make_client(account.key, f"http://127.0.0.1:{gate.port}", timeout=3600, connect_timeout=0.2,
                         max_retries=1) as c:
            with pytest.raises(noorle.APIConnectionError) as ce:
                c.whoami()
    finally:
        gate.close()
    assert ce.value.kind in ("connection", "timeout") and ce.value.retryable
    assert "connect" in str(ce.value).lower()
    assert_picklable(ce.value)


def test_retries_503_counted(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503}, count=2, path=SELF)
    with make_client(account.key, base_url) as c:
        assert c.whoami().id == aid
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [503, 503, 200]
    # More failures than retries: the last one is raised.
    dev.fault(aid, {"type": "status", "status": 503}, count=5, path="/v1/agents")
    with make_client(account.key, base_url, max_retries=2) as c:
        with pytest.raises(noorle.ServerError) as se:
            c.request("GET", "/v1/agents")
    assert se.value.status == 503 and se.value.code == "service_unavailable"
    assert [e["status"] for e in dev.requests(aid, path="/v1/agents")] == [503, 503, 503]


def test_retry_after_is_honoured(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    # The client's own backoff is at most 50 ms here; the log shows it chose the server's 1 s.
    dev.fault(account.key.access_id, {"type": "status", "status": 429, "retry_after": 1}, path=SELF)
    code = textwrap.dedent(
        """
        import logging, os, noorle
        delays = []
        class H(logging.Handler):
            def emit(self, r):
                m = r.getMessage()
                if "retrying" in m:
                    delays.append(m)
        logging.getLogger().addHandler(H())
        with noorle.Client(os.environ["PY_TEST_KEY"], env=False, base_url=os.environ["NOORLE_BASE_URL"],
                           retry_base_delay=0.01, retry_max_delay=0.05) as c:
            c.whoami()
        print(repr(delays))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOORLE_")}
    env.update(PY_TEST_KEY=account.key.expose_secret(), NOORLE_BASE_URL=base_url, NOORLE_LOG="debug")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    delays = ast.literal_eval(r.stdout.strip())
    assert len(delays) == 1 and "status=429" in delays[0] and "delay=1s" in delays[0], delays
    assert [e["status"] for e in dev.requests(account.key.access_id, path=SELF)] == [429, 200]


def test_retry_after_too_long_is_not_waited_for(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    # Longer than the longest wait the client honours (60 s): the 429 is raised at once, with
    # the server's wait, after one attempt.
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 429, "retry_after": 3600}, count=3, path=SELF)
    with make_client(account.key, base_url, max_retries=2) as c:
        with pytest.raises(noorle.RateLimitError) as rl:
            c.whoami()
    assert rl.value.retry_after == 3600
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [429]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int, account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": status}, method="GET", path=SELF)
    with make_client(account.key, base_url) as c:
        assert c.whoami().id == aid
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [status, 200]


def test_delete_is_retried(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    aid = account.key.access_id
    rec = client.api_keys.create("py-del").api_key
    client.api_keys.revoke(rec.id)
    path = f"/v1/api-keys/{rec.id}"
    dev.fault(aid, {"type": "status", "status": 503}, method="DELETE", path=path)
    dev.fault(aid, {"type": "drop"}, method="DELETE", path=path)
    client.api_keys.delete(rec.id)
    assert [(e["status"], e["fault"]) for e in dev.requests(aid, method="DELETE", path=path)] == [
        (503, "status"), (None, "drop"), (204, None)
    ]
    with pytest.raises(noorle.NotFoundError):
        client.api_keys.get(rec.id)


def test_patch_is_not_retried(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    # PATCH is not idempotent-keyed: a 503 or a lost connection is raised, never repeated.
    aid = account.key.access_id
    rec = client.api_keys.create("py-patch").api_key
    path = f"/v1/api-keys/{rec.id}"
    dev.fault(aid, {"type": "status", "status": 503}, method="PATCH", path=path)
    with pytest.raises(noorle.ServerError) as se:
        client.api_keys.update(rec.id, name="py-patch2")
    assert se.value.status == 503
    dev.fault(aid, {"type": "drop"}, method="PATCH", path=path)
    with pytest.raises(noorle.APIConnectionError):
        client.api_keys.update(rec.id, name="py-patch3")
    assert [(e["status"], e["fault"]) for e in dev.requests(aid, method="PATCH", path=path)] == [
        (503, "status"), (None, "drop")
    ]
    assert client.api_keys.get(rec.id).name == "py-patch"


class _PlainTextProxy:
    """A local HTTP server that answers every request with a text/plain error page, as a proxy
    in front of the API might; it counts the requests it answered."""

    def __init__(self, status: int, body: str) -> None:
        outer = self
        self.count = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.count += 1
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_non_json_error_bodies(account: noorle.CreatedServiceAccount) -> None:
    proxy = _PlainTextProxy(502, "502 Bad Gateway: upstream unavailable\n")
    try:
        with make_client(account.key, proxy.url, max_retries=1) as c:
            with pytest.raises(noorle.ServerError) as se:
                c.whoami()
        assert proxy.count == 2  # a 502 is retried, whatever its body
    finally:
        proxy.close()
    e = se.value
    assert (e.status, e.code, e.kind) == (502, "internal_error", "server") and e.retryable
    # The body's text (trimmed) is the explanation.
    assert e.message.startswith("502 ") and e.message.endswith(": 502 Bad Gateway: upstream unavailable")
    assert e.details is None and e.request_id is None
    assert_picklable(e)
    proxy = _PlainTextProxy(404, "")
    try:
        with make_client(account.key, proxy.url) as c:
            with pytest.raises(noorle.NotFoundError) as nf:
                c.whoami()
        assert proxy.count == 1
    finally:
        proxy.close()
    assert (nf.value.status, nf.value.code) == (404, "not_found") and "no explanation" in nf.value.message


def test_dropped_connections_are_retried(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "drop"}, count=2, path=SELF)
    with make_client(account.key, base_url) as c:
        assert c.whoami().id == aid
    assert [e["fault"] for e in dev.requests(aid, path=SELF)] == ["drop", "drop", None]


def test_post_retried_creates_exactly_one_key(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    # drop_after runs the request and loses its answer: the retry reaches a server that already
    # created the key, and only the shared Idempotency-Key stops a second one.
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503}, method="POST", path="/v1/api-keys")
    dev.fault(aid, {"type": "drop_after"}, method="POST", path="/v1/api-keys")
    name = f"py-once-{uuid.uuid4().hex[:8]}"
    created = client.api_keys.create(name)
    log = dev.requests(aid, method="POST", path="/v1/api-keys")
    assert [(e["status"], e["fault"]) for e in log] == [(503, "status"), (201, "drop_after"), (201, None)]
    keys = {e["idempotency_key"] for e in log}
    assert len(keys) == 1 and None not in keys
    named = [k for k in client.api_keys.list_all(service_account_id=account.service_account.id) if k.name == name]
    assert [k.id for k in named] == [created.api_key.id]


def test_post_replayed_after_a_lost_answer(client: noorle.Client, account: noorle.CreatedServiceAccount,
                                           base_url: str, dev: Any) -> None:
    # A caller-chosen Idempotency-Key: the first answer is lost after the server acted; the
    # caller's second call is a replay of it, not a second key.
    aid = account.key.access_id
    name, idem = f"py-idem-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    dev.fault(aid, {"type": "drop_after"}, method="POST", path="/v1/api-keys")
    with make_client(account.key, base_url, max_retries=0) as once:
        with pytest.raises(noorle.APIConnectionError):
            once.request("POST", "/v1/api-keys", json={"name": name}, idempotency_key=idem)
    r2 = client.request("POST", "/v1/api-keys", json={"name": name}, idempotency_key=idem)
    assert r2.header("idempotent-replayed") == "true"
    named = [k for k in client.api_keys.list_all(service_account_id=account.service_account.id) if k.name == name]
    assert [k.id for k in named] == [r2.json["api_key"]["id"]]
    log = dev.requests(aid, method="POST", path="/v1/api-keys")
    assert [(e["status"], e["fault"], e["idempotency_key"]) for e in log] == [(201, "drop_after", idem), (201, None, idem)]
    with pytest.raises(noorle.ConflictError):
        client.request("POST", "/v1/api-keys", json={"name": "other"}, idempotency_key=idem)


async def test_async_errors_and_retries(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503}, count=2, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, retry_base_delay=0.01) as c:
        assert (await c.whoami()).id == aid
        with pytest.raises(noorle.NotFoundError) as nf:
            await c.api_keys.get("f" * 32)
        assert nf.value.request_id
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [503, 503, 200]
    dev.fault(aid, {"type": "stall", "ms": 600000}, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, timeout=2, max_retries=0) as c:
        with pytest.raises(noorle.APITimeoutError):
            await c.whoami()


@needs_hooks
def test_panics_become_noorle_errors() -> None:
    with pytest.raises(noorle.NoorleError) as ei:
        noorle._native._panic_for_test(False)
    assert type(ei.value) is noorle.InternalError and ei.value.kind == "internal"
    assert "s9t0u1v2w3x4y5z6" not in str(ei.value) and "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***" in str(ei.value)
    # What user code writes, `except Exception`, catches it.
    with pytest.raises(Exception) as caught:
        noorle._native._panic_for_test(False)
    assert type(caught.value) is noorle.InternalError

    async def main() -> None:
        with pytest.raises(noorle.InternalError):
            await noorle._native._panic_for_test(True)

    asyncio.run(main())
