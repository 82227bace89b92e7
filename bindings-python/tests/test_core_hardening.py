"""The core's hardening, proven through the Python API, sync and async, on the server's request
log: redirects are not followed, ids cannot rewrite a path, a huge Retry-After is a clean error, a
bad Idempotency-Key is refused before sending, ``total_timeout`` bounds a whole call, a key file
with a BOM, a non-UTF-8 ``NOORLE_API_KEY`` and a credentials file that is not a regular file are
clear errors, and keys in a server's error are redacted."""

from __future__ import annotations

import http.server
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Type

import pytest

import noorle
from conftest import make_client

SELF = "/v1/api-keys/self"
KEYS = "/v1/api-keys"


def secret_of(key: noorle.ApiKey) -> str:
    """The secret part of a key (what must never appear in an error)."""
    return key.expose_secret()[3 + 32 :]


def assert_no_secret(e: BaseException, secret: str) -> None:
    for text in (str(e), repr(e), repr(getattr(e, "details", None)), repr(getattr(e, "code", None))):
        assert secret not in text, text


class _Recorder:
    """A local HTTP server that answers every GET with a fixed status, headers and body, and
    records the headers of each request it receives."""

    def __init__(self, status: int, headers: Dict[str, str], body: bytes = b"") -> None:
        outer = self
        self.seen: List[Dict[str, str]] = []
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def target() -> Iterator[_Recorder]:
    """Server B: where a redirect points. It must never see a request."""
    b = _Recorder(200, {"content-type": "application/json"}, b"{}")
    yield b
    b.close()


# --- 1. Redirects are never followed -------------------------------------------------------

SCHEMES = {"x-api-key": "x-api-key", "api-key": "api-key", "authorization": "authorization"}
REDIRECTS = [("localhost", "/v1/api-keys/self", 302), ("127.0.0.1", "/", 302), ("127.0.0.1", "/", 307)]


def _redirect_case(target: _Recorder, host: str, path: str, status: int) -> _Recorder:
    return _Recorder(status, {"location": f"http://{host}:{target.port}{path}"})


def _check_redirect(e: noorle.NoorleError, a: _Recorder, target: _Recorder, scheme: str, status: int,
                    key: noorle.ApiKey) -> None:
    assert type(e) is noorle.APIError
    assert (e.kind, e.code, e.status) == ("api", "redirect_not_followed", status)
    assert_no_secret(e, secret_of(key))
    # A saw exactly one request, carrying the key under the chosen scheme; B saw none.
    assert len(a.seen) == 1 and SCHEMES[scheme] in a.seen[0]
    assert target.seen == []


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("host,path,status", REDIRECTS)
def test_redirect_is_not_followed(scheme: str, host: str, path: str, status: int, target: _Recorder,
                                  account: noorle.CreatedServiceAccount) -> None:
    a = _redirect_case(target, host, path, status)
    try:
        with make_client(account.key, a.url, header_scheme=scheme) as c:
            with pytest.raises(noorle.APIError) as ei:
                c.whoami()
        _check_redirect(ei.value, a, target, scheme, status, account.key)
    finally:
        a.close()


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("host,path,status", REDIRECTS)
async def test_redirect_is_not_followed_async(scheme: str, host: str, path: str, status: int, target: _Recorder,
                                              account: noorle.CreatedServiceAccount) -> None:
    a = _redirect_case(target, host, path, status)
    try:
        async with noorle.AsyncClient(account.key, base_url=a.url, env=False, header_scheme=scheme) as c:
            with pytest.raises(noorle.APIError) as ei:
                await c.whoami()
        _check_redirect(ei.value, a, target, scheme, status, account.key)
    finally:
        a.close()


# --- 2. Ids that would rewrite a path are refused before sending ---------------------------

def _bad_id_calls(c: Any, whole_key: str) -> List[Tuple[str, Any]]:
    sa, ak = c.service_accounts, c.api_keys
    return [
        ("create_key ..", lambda: sa.create_key("..", "py-x")),
        ("get ..", lambda: ak.get("..")),
        ("list_keys .", lambda: sa.list_keys(".")),
        ("get empty", lambda: ak.get("")),
        ("revoke .", lambda: ak.revoke(".")),
        ("get sa ..", lambda: sa.get("..")),
        ("get whole key", lambda: ak.get(whole_key)),
        ("rotate whole key", lambda: ak.rotate(whole_key)),
        ("delete sa whole key", lambda: sa.delete(whole_key)),
    ]


def test_path_rewriting_ids_are_refused(client: noorle.Client, account: noorle.CreatedServiceAccount, dev: Any) -> None:
    aid, whole = account.key.access_id, account.key.expose_secret()
    for name, call in _bad_id_calls(client, whole):
        with pytest.raises(noorle.ConfigError) as ei:
            call()
        assert ei.value.kind == "config", name
        assert_no_secret(ei.value, secret_of(account.key))
    assert dev.requests(aid) == []
    # The log does see this key's requests: the check above could fail.
    client.whoami()
    assert [e["path"] for e in dev.requests(aid)] == [SELF]


async def test_path_rewriting_ids_are_refused_async(account: noorle.CreatedServiceAccount, base_url: str,
                                                    dev: Any) -> None:
    aid, whole = account.key.access_id, account.key.expose_secret()
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        for name, call in _bad_id_calls(c, whole):
            with pytest.raises(noorle.ConfigError) as ei:
                await call()
            assert ei.value.kind == "config", name
            assert_no_secret(ei.value, secret_of(account.key))
        assert dev.requests(aid) == []
        await c.whoami()
    assert [e["path"] for e in dev.requests(aid)] == [SELF]


# --- 3. A huge Retry-After is a clean error ------------------------------------------------

U64_MAX = 18446744073709551615


@pytest.mark.parametrize("status,cls", [(429, noorle.RateLimitError), (503, noorle.ServerError)])
@pytest.mark.parametrize("total", [None, 5.0])
def test_huge_retry_after(status: int, cls: Type[noorle.NoorleError], total: Optional[float], account: noorle.CreatedServiceAccount,
                          base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": status, "retry_after": U64_MAX}, count=3, method="GET", path=SELF)
    with make_client(account.key, base_url, max_retries=2, total_timeout=total) as c:
        with pytest.raises(cls) as ei:
            c.whoami()
    e = ei.value
    assert e.status == status and e.retry_after is not None and e.retry_after >= 3600
    assert [(r["status"], r["fault"]) for r in dev.requests(aid, path=SELF)] == [(status, "status")]


@pytest.mark.parametrize("status,cls", [(429, noorle.RateLimitError), (503, noorle.ServerError)])
async def test_huge_retry_after_async(status: int, cls: Type[noorle.NoorleError], account: noorle.CreatedServiceAccount, base_url: str,
                                      dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": status, "retry_after": U64_MAX}, count=3, method="GET", path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, max_retries=2, total_timeout=5) as c:
        with pytest.raises(cls) as ei:
            await c.whoami()
    assert ei.value.status == status and ei.value.retry_after is not None
    assert [(r["status"], r["fault"]) for r in dev.requests(aid, path=SELF)] == [(status, "status")]


# --- 4. An Idempotency-Key with a newline is refused before sending ------------------------

BAD_IDEMPOTENCY_KEYS = ["a\nb", "abc\r\n", "\n", "x\r\nX-Injected: 1"]


def test_bad_idempotency_key_is_refused(client: noorle.Client, account: noorle.CreatedServiceAccount,
                                        dev: Any) -> None:
    aid = account.key.access_id
    for k in BAD_IDEMPOTENCY_KEYS:
        with pytest.raises(noorle.ConfigError) as ei:
            client.request("POST", KEYS, json={"name": "py-bad-idem"}, idempotency_key=k)
        assert ei.value.kind == "config" and "Idempotency-Key" in str(ei.value)
    assert dev.requests(aid) == []
    # The same call with a valid key is sent (and logged with it).
    good = str(uuid.uuid4())
    client.request("POST", KEYS, json={"name": "py-good-idem"}, idempotency_key=good)
    assert [(e["method"], e["path"], e["idempotency_key"]) for e in dev.requests(aid)] == [("POST", KEYS, good)]


async def test_bad_idempotency_key_is_refused_async(account: noorle.CreatedServiceAccount, base_url: str,
                                                    dev: Any) -> None:
    aid = account.key.access_id
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        for k in BAD_IDEMPOTENCY_KEYS:
            with pytest.raises(noorle.ConfigError):
                await c.request("POST", KEYS, json={"name": "py-bad-idem"}, idempotency_key=k)
        assert dev.requests(aid) == []
        good = str(uuid.uuid4())
        await c.request("POST", KEYS, json={"name": "py-good-idem"}, idempotency_key=good)
    assert [(e["method"], e["idempotency_key"]) for e in dev.requests(aid)] == [("POST", good)]


# --- 5. total_timeout bounds the whole call ------------------------------------------------

def _assert_total_timeout(e: noorle.NoorleError) -> None:
    assert type(e) is noorle.APITimeoutError and e.kind == "timeout"


def test_total_timeout_stops_a_stalled_call(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    # Every attempt would stall far longer than the whole call may take, and the per-attempt
    # timeout is longer still: only the total timeout ends the call, and no retry starts after it.
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 8000}, count=4, method="GET", path=SELF)
    with make_client(account.key, base_url, max_retries=3, timeout=60, total_timeout=1.0) as c:
        with pytest.raises(noorle.APITimeoutError) as ei:
            c.whoami()
    _assert_total_timeout(ei.value)
    assert "total timeout" in str(ei.value)
    assert [r["fault"] for r in dev.requests(aid, path=SELF)] == ["stall"]


async def test_total_timeout_stops_a_stalled_call_async(account: noorle.CreatedServiceAccount, base_url: str,
                                                        dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 8000}, count=4, method="GET", path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, max_retries=3, timeout=60,
                                  total_timeout=1.0) as c:
        with pytest.raises(noorle.APITimeoutError) as ei:
            await c.whoami()
    _assert_total_timeout(ei.value)
    assert "total timeout" in str(ei.value)
    assert [r["fault"] for r in dev.requests(aid, path=SELF)] == ["stall"]


def test_total_timeout_ends_retries_of_timed_out_attempts(account: noorle.CreatedServiceAccount, base_url: str,
                                                          dev: Any) -> None:
    # Attempts time out and are retried; the total timeout stops the retries long before the
    # 100 allowed are used up.
    aid = account.key.access_id
    dev.fault(aid, {"type": "stall", "ms": 5000}, count=101, method="GET", path=SELF)
    with make_client(account.key, base_url, max_retries=100, timeout=0.2, total_timeout=1.5) as c:
        with pytest.raises(noorle.APITimeoutError):
            c.whoami()
    log = dev.requests(aid, path=SELF)
    assert 1 <= len(log) < 101 and {r["fault"] for r in log} == {"stall"}


@pytest.mark.parametrize("retry_after", [3600, 30])
def test_total_timeout_shorter_than_retry_after(retry_after: int, account: noorle.CreatedServiceAccount,
                                                base_url: str, dev: Any) -> None:
    # A wait that would end past the deadline is not slept: the server's error, at once. (30 s
    # is a wait the client would otherwise honour; only the total timeout refuses it.)
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": retry_after}, count=2, method="GET", path=SELF)
    with make_client(account.key, base_url, max_retries=2, total_timeout=2) as c:
        with pytest.raises(noorle.ServerError) as ei:
            c.whoami()
    assert (ei.value.kind, ei.value.status, ei.value.retry_after) == ("server", 503, retry_after)
    assert [r["status"] for r in dev.requests(aid, path=SELF)] == [503]


async def test_total_timeout_shorter_than_retry_after_async(account: noorle.CreatedServiceAccount, base_url: str,
                                                            dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": 30}, count=2, method="GET", path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, max_retries=2, total_timeout=2) as c:
        with pytest.raises(noorle.ServerError) as ei:
            await c.whoami()
    assert (ei.value.kind, ei.value.status) == ("server", 503)
    assert [r["status"] for r in dev.requests(aid, path=SELF)] == [503]


def test_total_timeout_per_call(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    # Per call, on a client without one: the 30 s wait is refused.
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": 30}, count=2, method="GET", path=SELF)
    with make_client(account.key, base_url, max_retries=2) as c:
        with pytest.raises(noorle.ServerError):
            c.request("GET", SELF, total_timeout=2)
    assert [r["status"] for r in dev.requests(aid, path=SELF)] == [503]
    # Per call overrides the client's: a 1 s wait the client's 0.5 s would refuse is slept.
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": 1}, method="GET", path="/v1/agents")
    with make_client(account.key, base_url, max_retries=2, total_timeout=0.5) as c:
        assert c.request("GET", "/v1/agents", total_timeout=120).status == 200
    assert [r["status"] for r in dev.requests(aid, path="/v1/agents")] == [503, 200]


async def test_total_timeout_per_call_async(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    aid = account.key.access_id
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": 30}, count=2, method="GET", path=SELF)
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, max_retries=2) as c:
        with pytest.raises(noorle.ServerError):
            await c.request("GET", SELF, total_timeout=2)
    assert [r["status"] for r in dev.requests(aid, path=SELF)] == [503]
    dev.fault(aid, {"type": "status", "status": 503, "retry_after": 1}, method="GET", path="/v1/agents")
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False, max_retries=2, total_timeout=0.5) as c:
        assert (await c.request("GET", "/v1/agents", total_timeout=120)).status == 200
    assert [r["status"] for r in dev.requests(aid, path="/v1/agents")] == [503, 200]


def test_total_timeout_must_be_seconds(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    with pytest.raises(noorle.ConfigError, match="total_timeout"):
        noorle.Client(account.key, base_url=base_url, env=False, total_timeout=-1)
    with pytest.raises(noorle.ConfigError, match="total_timeout"):
        noorle.AsyncClient(account.key, base_url=base_url, env=False, total_timeout=-1)
    with make_client(account.key, base_url) as c:
        with pytest.raises(noorle.ConfigError, match="total_timeout"):
            c.request("GET", SELF, total_timeout=-0.5)
    assert dev.requests(account.key.access_id) == []


# --- 6. A key file with a UTF-8 BOM --------------------------------------------------------

def test_key_file_with_bom(tmp_path: Path, account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    f = tmp_path / "key"
    f.write_bytes(b"\xef\xbb\xbf" + account.key.expose_secret().encode() + b"\n")
    f.chmod(0o600)
    attempts: List[Any] = [
        lambda: noorle.Client(api_key_file=f, env=False, base_url=base_url),
        lambda: noorle.AsyncClient(api_key_file=f, env=False, base_url=base_url),
        lambda: noorle.load_api_key(api_key_file=f, env=False),
        lambda: noorle.load_api_key(env_vars={"NOORLE_API_KEY_FILE": str(f)}),
    ]
    for attempt in attempts:
        with pytest.raises(noorle.ConfigError) as ei:
            attempt()
        assert "BOM" in str(ei.value)
        assert_no_secret(ei.value, secret_of(account.key))
    assert dev.requests(account.key.access_id) == []


# --- 7. A non-UTF-8 NOORLE_API_KEY is an error, not "no key" --------------------------------

ENV_CHILD = textwrap.dedent(
    """
    import asyncio, json, os, noorle
    out = []
    for make in (lambda: noorle.Client(base_url=os.environ["PY_TEST_BASE_URL"]),
                 lambda: noorle.AsyncClient(base_url=os.environ["PY_TEST_BASE_URL"]),
                 lambda: noorle.load_api_key()):
        try:
            make()
            out.append(["ok", "", ""])
        except noorle.NoorleError as e:
            out.append([type(e).__name__, e.kind, str(e)])
    print(json.dumps(out))
    """
)


def _child_env(home: Path, base_url: str) -> Dict[bytes, bytes]:
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"NOORLE_")}
    env[b"HOME"] = os.fsencode(home)
    env[b"PY_TEST_BASE_URL"] = base_url.encode()
    return env


def test_non_utf8_env_key_is_an_error(tmp_path: Path, account: noorle.CreatedServiceAccount, base_url: str,
                                      dev: Any) -> None:
    whole = account.key.expose_secret().encode()
    # Without the variable (and an empty home): no key at all.
    r = subprocess.run([sys.executable, "-c", ENV_CHILD], env=_child_env(tmp_path, base_url), capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert [o[0] for o in json.loads(r.stdout)] == ["CredentialsNotFoundError"] * 3
    # The key with one byte that is not UTF-8: a config error that names the variable.
    env = _child_env(tmp_path, base_url)
    env[b"NOORLE_API_KEY"] = whole + b"\xff"
    r = subprocess.run([sys.executable, "-c", ENV_CHILD], env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [(o[0], o[1]) for o in out] == [("ConfigError", "config")] * 3
    for o in out:
        assert "NOORLE_API_KEY" in o[2] and "UTF-8" in o[2] and secret_of(account.key) not in o[2]
    assert secret_of(account.key).encode() not in r.stdout + r.stderr
    assert dev.requests(account.key.access_id) == []


# --- 8. A credentials file that is a FIFO or /dev/zero --------------------------------------

def test_credentials_file_not_regular_is_refused(tmp_path: Path, base_url: str) -> None:
    # In a child with HOME at a temp dir: a hang on the FIFO or on /dev/zero would end in the
    # subprocess timeout, not in a stuck suite.
    for kind in ("fifo", "dev-zero"):
        home = tmp_path / kind
        (home / ".noorle").mkdir(parents=True)
        creds = home / ".noorle" / "credentials"
        if kind == "fifo":
            os.mkfifo(creds, 0o600)
        else:
            creds.symlink_to("/dev/zero")
        r = subprocess.run([sys.executable, "-c", ENV_CHILD], env=_child_env(home, base_url), capture_output=True,
                           timeout=90)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert [(o[0], o[1]) for o in out] == [("ConfigError", "config")] * 3, (kind, out)
        for o in out:
            assert "not a regular file" in o[2] and "credentials" in o[2], (kind, o[2])


# --- 9. Keys in a server's error are redacted ----------------------------------------------

def _assert_redacted(e: noorle.NoorleError, key: noorle.ApiKey) -> None:
    assert_no_secret(e, secret_of(key))
    back = pickle.loads(pickle.dumps(e))
    assert_no_secret(back, secret_of(key))


def test_key_in_server_error_code_is_redacted(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    key = account.key
    dev.fault(key.access_id, {"type": "status", "status": 400, "code": f"bad_{key.expose_secret()}"}, method="GET",
              path=SELF)
    with make_client(key, base_url) as c:
        with pytest.raises(noorle.ValidationError) as ei:
            c.whoami()
    assert ei.value.code == f"bad_{key.redacted()}"
    _assert_redacted(ei.value, key)
    assert [r["status"] for r in dev.requests(key.access_id, path=SELF)] == [400]


async def test_key_in_server_error_code_is_redacted_async(account: noorle.CreatedServiceAccount, base_url: str,
                                                          dev: Any) -> None:
    key = account.key
    dev.fault(key.access_id, {"type": "status", "status": 400, "code": key.expose_secret()}, method="GET", path=SELF)
    async with noorle.AsyncClient(key, base_url=base_url, env=False) as c:
        with pytest.raises(noorle.ValidationError) as ei:
            await c.whoami()
    assert ei.value.code == key.redacted()
    _assert_redacted(ei.value, key)
    assert [r["status"] for r in dev.requests(key.access_id, path=SELF)] == [400]


def _envelope_with_key(whole: str) -> bytes:
    return json.dumps({"error": {
        "code": "invalid_request",
        "message": f"the key {whole} is not allowed here",
        "details": {"key": whole, "seen": [{"value": f"x-api-key: {whole}"}], whole: True},
    }}).encode()


def test_key_in_server_error_details_is_redacted(account: noorle.CreatedServiceAccount) -> None:
    key = account.key
    s = _Recorder(400, {"content-type": "application/json"}, _envelope_with_key(key.expose_secret()))
    try:
        with make_client(key, s.url) as c:
            with pytest.raises(noorle.ValidationError) as ei:
                c.whoami()
    finally:
        s.close()
    e, red = ei.value, key.redacted()
    assert len(s.seen) == 1
    assert e.details == {"key": red, "seen": [{"value": f"x-api-key: {red}"}], red: True}
    assert e.message.endswith(f"the key {red} is not allowed here")
    _assert_redacted(e, key)


async def test_key_in_server_error_details_is_redacted_async(account: noorle.CreatedServiceAccount) -> None:
    key = account.key
    s = _Recorder(400, {"content-type": "application/json"}, _envelope_with_key(key.expose_secret()))
    try:
        async with noorle.AsyncClient(key, base_url=s.url, env=False) as c:
            with pytest.raises(noorle.ValidationError) as ei:
                await c.whoami()
    finally:
        s.close()
    assert len(s.seen) == 1 and ei.value.details is not None and ei.value.details["key"] == key.redacted()
    _assert_redacted(ei.value, key)
