"""The generated surface (records, errors) against spec/sdk.yaml, the core's list of operations,
per-call options, and what the extension does to the process (its panic hook)."""

# pyright: reportPrivateUsage=false

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List

import pytest

import noorle
import noorle.errors
from conftest import ROOT, make_client, needs_hooks

SURFACE = json.loads((ROOT / "testdata" / "surface.json").read_text())
SELF = "/v1/api-keys/self"


def test_error_hierarchy_is_the_spec_table() -> None:
    errors: List[Dict[str, Any]] = SURFACE["errors"]
    by_name = {e["name"]: e for e in errors}
    assert len(errors) == 16
    for e in errors:
        cls = getattr(noorle, e["python"])
        assert cls.__name__ == e["python"] and issubclass(cls, noorle.NoorleError)
        if e["parent"]:
            parent = getattr(noorle, by_name[e["parent"]]["python"])
            assert cls.__bases__[0] is parent, e["name"]
        if e["kind"]:
            err = noorle.errors._from_info({"kind": e["kind"], "message": "m"})
            assert type(err) is cls and err.kind == e["kind"] and str(err) == "m"
    assert issubclass(noorle.APITimeoutError, noorle.APIConnectionError)
    assert not issubclass(noorle.CancelledError, noorle.APIError)


def test_an_unknown_kind_is_the_base_class_keeping_its_kind() -> None:
    err = noorle.errors._from_info({"kind": "from_the_future", "message": "new"})
    assert type(err) is noorle.NoorleError and err.kind == "from_the_future"


def test_records_follow_the_spec(client: noorle.Client, root: noorle.Client) -> None:
    me = client.whoami()
    assert isinstance(me.last_six, str) and len(me.last_six) == 6
    assert isinstance(me.created_at, datetime) and me.created_at.tzinfo is not None
    assert me.created_at.utcoffset() == timezone.utc.utcoffset(None)
    assert me.last_used_at is not None and me.last_used_at.tzinfo is not None
    # An account made without a description has the empty string, not None.
    sa = root.service_accounts.create(f"py-nodesc-{uuid.uuid4().hex[:8]}", role="viewer")
    try:
        assert sa.service_account.description == ""
        assert root.service_accounts.get(sa.service_account.id).description == ""
    finally:
        root.service_accounts.delete(sa.service_account.id)
    # Encoding and decoding are inverses.
    assert noorle.ApiKeyRecord.from_dict(me.to_dict()) == me


def test_a_timestamp_that_does_not_parse_raises(client: noorle.Client) -> None:
    wire = client.whoami().to_dict()
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "2026-01-01", 1767225600, None):
        with pytest.raises(noorle.APIConnectionError) as ei:
            noorle.ApiKeyRecord.from_dict({**wire, "created_at": bad})
        assert "ApiKeyRecord.created_at" in str(ei.value), bad
    # Fractions of any length and offsets are RFC 3339 too (fromisoformat refuses some before 3.11).
    for good, want in (
        ("2026-01-02T03:04:05.123456789Z", datetime(2026, 1, 2, 3, 4, 5, 123456, timezone.utc)),
        ("2026-01-02T05:04:05+02:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ):
        assert noorle.ApiKeyRecord.from_dict({**wire, "created_at": good}).created_at == want


def test_an_explicit_key_goes_through_the_core() -> None:
    key = VECTOR_KEY
    loaded = noorle.load_api_key(key, env=False)
    assert loaded.key.expose_secret() == key and loaded.source.kind == "explicit"
    # The core parses an explicit key strictly, naming the option; nothing is trimmed first.
    with pytest.raises(noorle.InvalidApiKeyError) as ei:
        noorle.load_api_key(f" {key}\n", env=False)
    assert "api_key" in str(ei.value) and key not in str(ei.value)
    with pytest.raises(noorle.InvalidApiKeyError):
        noorle.Client(f"{key} ", env=False, base_url="http://127.0.0.1:9")
    # An ApiKey object is the explicit source too.
    assert noorle.load_api_key(noorle.ApiKey(key), env=False).source.kind == "explicit"


VECTOR_KEY = "ak-" + "a1b2c3d4" * 4 + "S3cretS3cretS3cretS3cretS3cret12"


def test_key_source_text_is_the_cores(client: noorle.Client) -> None:
    info = client._client().execute({"op": "key_source"}, dict)
    src = client.key_source()
    assert src.kind == "explicit" and str(src) == info["display"] != ""
    loaded = noorle._native.execute_static(
        {"op": "load_api_key", "config": {"env_vars": {"NOORLE_API_KEY": VECTOR_KEY}}}
    )
    src = noorle.load_api_key(env_vars={"NOORLE_API_KEY": VECTOR_KEY}).source
    assert src.kind == "env" and str(src) == loaded["display"] and "NOORLE_API_KEY" in str(src)


# Per-call options (decision "per-call options"): sent as the operation's "options" object.


def _operations() -> Any:
    try:
        return noorle._native.execute_static({"op": "operations"})["operations"]
    except noorle.NoorleError:
        return None


needs_options = pytest.mark.skipif(
    _operations() is None, reason="the core does not take per-call options yet (no `operations` op)"
)


@needs_options
def test_max_retries_per_call(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    with make_client(account.key, base_url, max_retries=3) as c:
        dev.fault(aid, {"type": "status", "status": 503}, count=1, method="GET", path=SELF)
        with pytest.raises(noorle.ServerError):
            c.whoami(max_retries=0)
        assert [e["status"] for e in dev.requests(aid, method="GET", path=SELF)] == [503]
        # The client's own policy still applies to the next call: one retry past one 503.
        dev.fault(aid, {"type": "status", "status": 503}, count=1, method="GET", path=SELF)
        assert c.whoami().id == aid
        assert [e["status"] for e in dev.requests(aid, method="GET", path=SELF)] == [503, 503, 200]


@needs_options
async def test_async_per_call_options(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, retry_base_delay=0.01) as c:
        dev.fault(aid, {"type": "status", "status": 503}, count=1, method="GET", path=SELF)
        with pytest.raises(noorle.ServerError):
            await c.whoami(max_retries=0)
        assert [e["status"] for e in dev.requests(aid, method="GET", path=SELF)] == [503]
        idem = f"py-async-{uuid.uuid4().hex}"
        created = await c.api_keys.create("py-idem-async", idempotency_key=idem, timeout=30.0, total_timeout=60.0)
        posts = dev.requests(aid, method="POST", path="/v1/api-keys")
        assert [p["idempotency_key"] for p in posts] == [idem]
        await c.api_keys.revoke(created.api_key.id)


@needs_options
def test_idempotency_key_reaches_the_server_and_deduplicates(
    account: noorle.CreatedServiceAccount, base_url: str, dev: Any
) -> None:
    aid = account.key.access_id
    idem = f"py-{uuid.uuid4().hex}"
    with make_client(account.key, base_url) as c:
        # The first answer is lost after the server acted; the retry with the same key gets the
        # kept answer instead of a second key.
        dev.fault(aid, {"type": "drop_after"}, count=1, method="POST", path="/v1/api-keys")
        created = c.api_keys.create("py-idem", idempotency_key=idem)
        posts = dev.requests(aid, method="POST", path="/v1/api-keys")
        assert [p["idempotency_key"] for p in posts] == [idem, idem]
        names = [k.name for k in c.api_keys.list_all(service_account_id=account.service_account.id)]
        assert names.count("py-idem") == 1 and created.api_key.name == "py-idem"


# Operation name -> public method, for the parity test (decision "the core lists its operations").
PUBLIC = {
    "whoami": ("", "whoami"),
    "request": ("", "request"),
    "key_source": ("", "key_source"),
    "api_keys.create": ("api_keys", "create"),
    "api_keys.list": ("api_keys", "list"),
    "api_keys.get": ("api_keys", "get"),
    "api_keys.update": ("api_keys", "update"),
    "api_keys.deactivate": ("api_keys", "deactivate"),
    "api_keys.activate": ("api_keys", "activate"),
    "api_keys.revoke": ("api_keys", "revoke"),
    "api_keys.delete": ("api_keys", "delete"),
    "api_keys.rotate": ("api_keys", "rotate"),
    "api_keys.rotate_file": ("api_keys", "rotate_file"),
    "service_accounts.create": ("service_accounts", "create"),
    "service_accounts.list": ("service_accounts", "list"),
    "service_accounts.get": ("service_accounts", "get"),
    "service_accounts.update": ("service_accounts", "update"),
    "service_accounts.delete": ("service_accounts", "delete"),
    "service_accounts.create_key": ("service_accounts", "create_key"),
    "service_accounts.list_keys": ("service_accounts", "list_keys"),
}
STATIC = {"version", "operations", "parse_key", "load_api_key", "auth_headers"}
POST = {"api_keys.create", "api_keys.deactivate", "api_keys.activate", "api_keys.revoke", "api_keys.rotate",
        "api_keys.rotate_file", "service_accounts.create", "service_accounts.create_key"}


@needs_options
def test_every_core_operation_has_a_method_sync_and_async(client: noorle.Client, base_url: str,
                                                          account: noorle.CreatedServiceAccount) -> None:
    ops: List[str] = _operations()
    client_ops = [o for o in ops if o not in STATIC]
    assert "api_keys.create" in client_ops and set(client_ops) == set(PUBLIC), set(client_ops) ^ set(PUBLIC)
    aclient = noorle.AsyncClient(account.key, base_url=base_url, env=False)
    try:
        for op in client_ops:
            group, name = PUBLIC[op]
            for c in (client, aclient):
                method = getattr(getattr(c, group) if group else c, name)
                params = inspect.signature(method).parameters
                if op != "key_source":
                    for opt in ("timeout", "total_timeout", "max_retries"):
                        assert params[opt].kind is inspect.Parameter.KEYWORD_ONLY, (op, opt)
                if op in POST:
                    assert params["idempotency_key"].kind is inspect.Parameter.KEYWORD_ONLY, op
    finally:
        aclient.close()


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@needs_hooks
def test_importing_noorle_keeps_the_process_panic_hook() -> None:
    # A panic that is not the SDK's (here on a thread of its own, outside every entry point) still
    # reaches the hook the process had: Rust's default one, which says "panicked at".
    r = _run("import noorle\nassert noorle._native._panic_in_thread()\n")
    assert r.returncode == 0, r.stderr
    assert "panicked at" in r.stderr and "deliberate panic outside the SDK" in r.stderr
    assert "noorle: internal panic" not in r.stderr


@needs_hooks
def test_a_caught_panic_is_reported_redacted() -> None:
    r = _run("import noorle\ntry:\n    noorle._native._panic_for_test(False)\nexcept noorle.InternalError:\n    pass\n")
    assert r.returncode == 0, r.stderr
    assert "noorle: internal panic" in r.stderr and "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***" in r.stderr
    assert "s9t0u1v2w3x4y5z6" not in r.stderr and "panicked at" not in r.stderr


def test_importing_noorle_leaves_typing_and_friends_for_later() -> None:
    # Most of the import time was the standard library's typing, re, datetime and urllib.parse:
    # the package imports them when first needed, not with itself.
    probe = "('typing', 're', 'datetime', 'urllib.parse', 'asyncio')"
    r = _run(f"import sys, noorle\nprint(sorted(m for m in {probe} if m in sys.modules))\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    # What typing is needed for still works when asked for.
    r = _run("import noorle.models as m\nprint(m.KeyStatus.__args__, m.Page[m.ApiKeyRecord] is m.Page)\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "('active', 'inactive', 'revoked') True"
