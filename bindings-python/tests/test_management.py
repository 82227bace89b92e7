"""Every management call, sync and async, against the local server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, List

import pytest

import noorle
from conftest import Dev, make_client, needs_hooks


def test_whoami_and_request(client: noorle.Client, account: noorle.CreatedServiceAccount) -> None:
    me = client.whoami()
    assert me.id == account.key.access_id and me.status == "active"
    assert me.owner.type == "service_account" and me.owner.id == account.service_account.id
    assert set(me.permissions) == {"read", "execute", "manage"} and me.scope == noorle.Scope.account()
    r = client.request("GET", "/v1/agents", query={"limit": 2})
    assert r.status == 200 and len(r.json["agents"]) == 2 and r.json["total"] == 3
    assert r.header("X-Request-Id", ).startswith("req_")  # type: ignore[union-attr]
    run = client.request("POST", "/v1/agents/agt_weather/run", json={"input": {"city": "Oslo"}})
    assert run.json["run"]["output"] == {"echo": {"city": "Oslo"}}


def test_api_keys_lifecycle(client: noorle.Client, account: noorle.CreatedServiceAccount, base_url: str) -> None:
    expires = datetime.now(timezone.utc) + timedelta(days=3)
    created = client.api_keys.create("py-direct", permissions=["read"], expires_at=expires, rate_limit_per_minute=600)
    rec = created.api_key
    assert rec.name == "py-direct" and rec.permissions == ("read",) and rec.rate_limit_per_minute == 600
    assert rec.expires_at is not None and abs((rec.expires_at - expires).total_seconds()) < 2
    assert created.key.access_id == rec.id and rec.last_six == created.key.expose_secret()[-6:]
    assert created.key.expose_secret() not in repr(created)

    assert client.api_keys.get(rec.id) == rec
    assert client.api_keys.get(created.key).id == rec.id
    renamed = client.api_keys.update(rec, name="py-renamed", expires_at=None)
    assert renamed.name == "py-renamed" and renamed.expires_at is None

    # Paging through this test's own account's keys (its first key and the new one): other
    # tests add and delete keys on the shared server, but never these.
    sid = account.service_account.id
    page = client.api_keys.list(service_account_id=sid, limit=1)
    assert len(page) == 1 and page.total == 2 and page.has_more and page.next_offset == 1
    last = client.api_keys.list(service_account_id=sid, limit=1, offset=1)
    assert len(last) == 1 and not last.has_more and last.next_offset is None
    assert {page.items[0].id, last.items[0].id} == {rec.id, account.api_key.id}
    ids = [k.id for k in client.api_keys.list_all(service_account_id=sid, limit=1)]
    assert sorted(ids) == sorted([rec.id, account.api_key.id])
    assert [k.id for k in client.api_keys.iter(service_account_id=sid, status="active", limit=100)] == [
        k.id for k in client.api_keys.list(service_account_id=sid, status="active", limit=100)
    ]
    assert len(client.api_keys.list(service_account_id=sid, status="active", limit=100)) == 2
    # Account-wide, newest first: the new key is near the front whatever other tests do.
    assert rec.id in [k.id for k in client.api_keys.list(limit=100)]

    assert client.api_keys.deactivate(rec.id).status == "inactive"
    assert client.api_keys.deactivate(rec.id).status == "inactive"  # idempotent
    with make_client(created.key, base_url) as other:
        with pytest.raises(noorle.AuthenticationError):
            other.whoami()
        assert client.api_keys.activate(rec.id).status == "active"
        assert other.whoami().id == rec.id

    rotated = client.api_keys.rotate(rec.id, grace_period_seconds=3600)
    assert rotated.api_key.rotated_from == rec.id and rotated.previous.id == rec.id
    assert rotated.api_key.name == "py-renamed" and rotated.key.access_id == rotated.api_key.id
    for k in (created.key, rotated.key):
        with make_client(k, base_url) as c:
            c.whoami()

    assert client.api_keys.revoke(rotated.api_key.id).status == "revoked"
    with pytest.raises(noorle.ConflictError):
        client.api_keys.activate(rotated.api_key.id)
    with pytest.raises(noorle.ConflictError):
        client.api_keys.delete(rec.id)  # not revoked yet
    client.api_keys.revoke(rec.id)
    client.api_keys.delete(rec.id)
    with pytest.raises(noorle.NotFoundError):
        client.api_keys.get(rec.id)


def test_rotate_file(client: noorle.Client, base_url: str, tmp_path: Path) -> None:
    created = client.api_keys.create("py-file")
    f = tmp_path / "key"
    f.write_text(created.key.expose_secret())
    f.chmod(0o600)
    report = client.api_keys.rotate_file(f, id=created.api_key.id, grace_period_seconds=60)
    assert report["old_id"] == created.api_key.id and report["new_id"] != created.api_key.id
    assert created.key.expose_secret() not in str(report)
    new_key = noorle.load_api_key(api_key_file=f, env=False).key
    assert new_key.access_id == report["new_id"]


async def test_rotate_file_async(account: noorle.CreatedServiceAccount, base_url: str, tmp_path: Path) -> None:
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        created = await c.api_keys.create("py-file-async")
        f = tmp_path / "key"
        f.write_text(created.key.expose_secret())
        f.chmod(0o644)
        report = await c.api_keys.rotate_file(f, id=created.api_key.id, grace_period_seconds=60)
        assert report["old_id"] == created.api_key.id and report["new_id"] != created.api_key.id
        assert report["path"] == str(f) and report["old_key_valid_until"] is not None
        assert created.key.expose_secret() not in str(report)
        assert f.stat().st_mode & 0o777 == 0o600
        new_key = noorle.load_api_key(api_key_file=f, env=False).key
        assert new_key.access_id == report["new_id"] and new_key.expose_secret() not in str(report)
        # Within the grace period both keys work.
        for k in (created.key, new_key):
            async with noorle.AsyncClient(k, base_url=base_url, env=False) as other:
                assert (await other.whoami()).id == k.access_id
        assert (await c.api_keys.get(report["new_id"])).rotated_from == created.api_key.id


def test_rotate_file_if_older_than(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Dev,
                                   tmp_path: Path) -> None:
    created = client.api_keys.create("py-sched")
    kid = created.api_key.id
    f = tmp_path / "key"
    f.write_text(created.key.expose_secret())
    f.chmod(0o600)
    rotate_path = f"/v1/api-keys/{kid}/rotate"
    # A fresh key is not due a month: nothing changes and no rotate call is made.
    report = client.api_keys.rotate_file(f, id=kid, grace_period_seconds=60, if_older_than=timedelta(days=30))
    assert report["rotated"] is False and report["new_id"] == kid and report["age_seconds"] < 30 * 86400
    assert f.read_text() == created.key.expose_secret()
    assert dev.requests(account.api_key.id, path=rotate_path) == []
    # Due at age zero: rotated, written, verified.
    report = client.api_keys.rotate_file(f, id=kid, grace_period_seconds=60, if_older_than=0)
    assert report["rotated"] is True and report["old_id"] == kid and report["new_id"] != kid
    assert len(dev.requests(account.api_key.id, method="POST", path=rotate_path)) == 1
    assert noorle.load_api_key(api_key_file=f, env=False).key.access_id == report["new_id"]
    with pytest.raises(noorle.ConfigError):
        client.api_keys.rotate_file(f, id=kid, if_older_than=-1)


async def test_rotate_file_if_older_than_async(account: noorle.CreatedServiceAccount, base_url: str,
                                               dev: Dev, tmp_path: Path) -> None:
    f = tmp_path / "key"
    f.write_text(account.key.expose_secret())
    f.chmod(0o600)
    kid = account.api_key.id
    async with noorle.AsyncClient(api_key_file=f, base_url=base_url, env=False) as c:
        report = await c.api_keys.rotate_file(f, grace_period_seconds=60, if_older_than=30 * 86400.0)
        assert report["rotated"] is False and report["new_id"] == kid
        assert dev.requests(kid, path=f"/v1/api-keys/{kid}/rotate") == []
        report = await c.api_keys.rotate_file(f, grace_period_seconds=60, if_older_than=timedelta(0))
        assert report["rotated"] is True and report["old_id"] == kid
        assert len(dev.requests(kid, path=f"/v1/api-keys/{kid}/rotate")) == 1
        assert noorle.load_api_key(api_key_file=f, env=False).key.access_id == report["new_id"]


def test_service_accounts(root: noorle.Client, client: noorle.Client, account: noorle.CreatedServiceAccount,
                          base_url: str) -> None:
    sa = client.service_accounts.create("py-sub", description="made by pytest", role="developer")
    sid = sa.service_account.id
    assert sa.service_account.role == "developer" and sa.api_key.owner.id == sid
    assert client.service_accounts.get(sid) == sa.service_account
    upd = client.service_accounts.update(sid, name="py-sub2", description="d2", role="viewer")
    assert (upd.name, upd.description, upd.role) == ("py-sub2", "d2", "viewer")
    # Newest first, so the new account is on the first page whatever other tests create or delete.
    first = client.service_accounts.list(limit=2)
    assert first.limit == 2 and len(first) == 2 and first.total >= 2
    assert sid in [a.id for a in client.service_accounts.list(limit=100)]
    assert sid in [a.id for a in client.service_accounts.list_all(limit=100)]
    assert sid in [a.id for a in client.service_accounts.iter(limit=100)]

    k2 = client.service_accounts.create_key(sid, "second", scope=[noorle.ResourceRef.agent("agt_weather")])
    assert k2.api_key.scope.type == "resources" and k2.api_key.permissions == ("read",)
    keys = client.service_accounts.list_keys(sid, limit=1)
    assert keys.total == 2 and len(keys) == 1
    assert {k.id for k in client.service_accounts.list_all_keys(sid, limit=1)} == {sa.api_key.id, k2.api_key.id}
    assert {k.id for k in client.api_keys.list_all(service_account_id=sid)} == {sa.api_key.id, k2.api_key.id}

    with make_client(sa.key, base_url) as sub:
        assert sub.whoami().id == sa.api_key.id
        client.service_accounts.update(sid, enabled=False)
        with pytest.raises(noorle.AuthenticationError) as ei:
            sub.whoami()
        assert ei.value.details == {"reason": "service_account_disabled"}
    client.service_accounts.delete(sid)
    with pytest.raises(noorle.NotFoundError):
        client.service_accounts.get(sid)
    assert client.api_keys.get(sa.api_key.id).status == "revoked"


def test_scoped_key(client: noorle.Client, base_url: str) -> None:
    scoped = client.api_keys.create(
        "py-scoped", scope=noorle.Scope.for_resources(noorle.ResourceRef.agent("agt_weather")), permissions=["read"]
    )
    with make_client(scoped.key, base_url) as c:
        assert c.request("GET", "/v1/agents/agt_weather").json["agent"]["id"] == "agt_weather"
        with pytest.raises(noorle.PermissionDeniedError) as ei:
            c.request("GET", "/v1/agents/agt_support")
        assert ei.value.status == 403 and ei.value.code == "forbidden"


async def test_async_every_call(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        assert (await c.whoami()).id == account.key.access_id
        assert (await c.request("GET", "/v1/gateways")).json["total"] == 2
        created = await c.api_keys.create("py-async", permissions=["read", "execute"])
        kid = created.api_key.id
        assert (await c.api_keys.get(kid)).id == kid
        assert (await c.api_keys.update(kid, name="py-async2")).name == "py-async2"
        mine = account.service_account.id
        both = sorted([kid, account.api_key.id])
        assert sorted(k.id for k in (await c.api_keys.list(service_account_id=mine, limit=100))) == both
        assert sorted([k.id async for k in c.api_keys.list_all(service_account_id=mine, limit=1)]) == both
        assert sorted([k.id async for k in c.api_keys.iter(service_account_id=mine)]) == both
        assert (await c.api_keys.deactivate(kid)).status == "inactive"
        assert (await c.api_keys.activate(kid)).status == "active"
        rot = await c.api_keys.rotate(kid)
        assert rot.previous.status == "revoked"
        await c.api_keys.revoke(rot.api_key.id)
        await c.api_keys.delete(kid)

        sa = await c.service_accounts.create("py-async-sa")
        sid = sa.service_account.id
        assert (await c.service_accounts.get(sid)).name == "py-async-sa"
        assert (await c.service_accounts.update(sid, description="x")).description == "x"
        assert sid in [a.id for a in (await c.service_accounts.list(limit=100))]  # newest first
        assert sid in [a.id async for a in c.service_accounts.list_all(limit=100)]
        k = await c.service_accounts.create_key(sid, "k2")
        assert (await c.service_accounts.list_keys(sid)).total == 2
        assert sorted([x.id async for x in c.service_accounts.list_all_keys(sid, limit=1)]) == sorted(
            [k.api_key.id, sa.api_key.id]
        )
        await c.service_accounts.delete(sid)
        # Many calls at once on one client.
        recs = await asyncio.gather(*(c.whoami() for _ in range(20)))
        assert {r.id for r in recs} == {account.key.access_id}


def test_closed_client(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    c = make_client(account.key, base_url)
    with c:
        c.whoami()
    c.close()
    with pytest.raises(noorle.ConfigError, match="closed"):
        c.whoami()
    assert "closed" in repr(c)


def test_threads_share_one_client(client: noorle.Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(lambda _: client.whoami().id, range(40)))
    assert len(ids) == 1


@needs_hooks
def test_gil_is_released_while_waiting(account: noorle.CreatedServiceAccount) -> None:
    # The test's main thread plays the server: the call in the other thread can only end after
    # this thread has run Python code (accepting, checking, answering) while that call waits. A
    # call that kept the GIL would deadlock here, and the suite's per-test timeout would fail it.
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    outcome: List[BaseException] = []

    def call() -> None:
        with make_client(account.key, f"http://127.0.0.1:{srv.getsockname()[1]}", max_retries=0) as c:
            try:
                c.whoami()
            except noorle.NoorleError as e:
                outcome.append(e)

    base = noorle._native._inflight()
    t = threading.Thread(target=call)
    t.start()
    conn, _ = srv.accept()
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    assert request.startswith(b"GET /v1/api-keys/self ")
    assert noorle._native._inflight() == base + 1 and t.is_alive()  # still waiting for the answer
    conn.sendall(b"HTTP/1.1 418 I'm a teapot\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    t.join()
    conn.close()
    srv.close()
    assert len(outcome) == 1 and isinstance(outcome[0], noorle.APIError) and outcome[0].status == 418
