"""Every error kind, its attributes and pickling; retries counted through the server's request
log with injected 503s, 429 + Retry-After, dropped connections and stalls; timeouts."""

from __future__ import annotations

import asyncio
import pickle
import socket
import time
import uuid
from typing import Any, List

import pytest

import noorle
from conftest import make_client

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
    dev.fault(aid, {"type": "stall", "ms": 3000}, path=SELF)
    with make_client(account.key, base_url, timeout=0.4, max_retries=0) as c:
        start = time.monotonic()
        with pytest.raises(noorle.APITimeoutError) as te:
            c.whoami()
        assert time.monotonic() - start < 2.5
    assert te.value.kind == "timeout" and isinstance(te.value, noorle.APIConnectionError)
    assert_picklable(te.value)
    # A stall shorter than the timeout is just slow.
    dev.fault(aid, {"type": "stall", "ms": 300}, path=SELF)
    with make_client(account.key, base_url, timeout=5) as c:
        start = time.monotonic()
        assert c.whoami().id == aid
        assert time.monotonic() - start >= 0.25


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
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 429, "retry_after": 1}, path=SELF)
    with make_client(account.key, base_url) as c:
        start = time.monotonic()
        assert c.whoami().id == aid
        assert time.monotonic() - start >= 0.9
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [429, 200]


def test_dropped_connections_are_retried(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "drop"}, count=2, path=SELF)
    with make_client(account.key, base_url) as c:
        assert c.whoami().id == aid
    assert [e["fault"] for e in dev.requests(aid, path=SELF)] == ["drop", "drop", None]


def test_post_retried_creates_exactly_one_key(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503}, method="POST", path="/v1/api-keys")
    dev.fault(aid, {"type": "drop"}, method="POST", path="/v1/api-keys")
    name = f"py-once-{uuid.uuid4().hex[:8]}"
    created = client.api_keys.create(name)
    log = dev.requests(aid, method="POST", path="/v1/api-keys")
    assert [(e["status"], e["fault"]) for e in log] == [(503, "status"), (None, "drop"), (201, None)]
    keys = {e["idempotency_key"] for e in log}
    assert len(keys) == 1 and None not in keys
    named = [k for k in client.api_keys.list_all() if k.name == name]
    assert [k.id for k in named] == [created.api_key.id]


def test_post_replayed_after_a_lost_answer(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    # A caller-chosen Idempotency-Key: the second call is a replay, not a second key.
    aid = account.key.access_id
    name, idem = f"py-idem-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    r1 = client.request("POST", "/v1/api-keys", json={"name": name}, idempotency_key=idem)
    r2 = client.request("POST", "/v1/api-keys", json={"name": name}, idempotency_key=idem)
    assert r1.json["api_key"]["id"] == r2.json["api_key"]["id"]
    assert r2.header("idempotent-replayed") == "true"
    assert len([k for k in client.api_keys.list_all() if k.name == name]) == 1
    with pytest.raises(noorle.ConflictError):
        client.request("POST", "/v1/api-keys", json={"name": "other"}, idempotency_key=idem)
    assert aid


async def test_async_errors_and_retries(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503}, count=2, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, retry_base_delay=0.01) as c:
        assert (await c.whoami()).id == aid
        with pytest.raises(noorle.NotFoundError) as nf:
            await c.api_keys.get("f" * 32)
        assert nf.value.request_id
    assert [e["status"] for e in dev.requests(aid, path=SELF)] == [503, 503, 200]
    dev.fault(aid, {"type": "stall", "ms": 3000}, path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, timeout=0.3, max_retries=0) as c:
        with pytest.raises(noorle.APITimeoutError):
            await c.whoami()


def test_panics_become_noorle_errors() -> None:
    with pytest.raises(noorle.NoorleError) as ei:
        noorle._native._panic_for_test(False)
    assert type(ei.value) is noorle.NoorleError and ei.value.kind == "internal"
    assert "s9t0u1v2w3x4y5z6" not in str(ei.value) and "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***" in str(ei.value)
    try:
        noorle._native._panic_for_test(False)
    except Exception as e:  # what user code writes: must catch it
        assert isinstance(e, noorle.NoorleError)

    async def main() -> None:
        with pytest.raises(noorle.NoorleError):
            await noorle._native._panic_for_test(True)

    asyncio.run(main())
