"""The httpx and requests adapters send the key only to the base URL's origin: never to another
origin, never across a redirect to one. Two local servers: A (the base URL) answers
``/redirect?to=URL`` with a 302 to URL; B stands for any other host. Both record the headers they
receive."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest

import noorle
from conftest import VECTORS

KEY = VECTORS["parse_valid"][1]["input"]
SECRET = VECTORS["parse_valid"][1]["secret"]

SCHEMES = ("x-api-key", "api-key", "authorization")


class Recorder:
    def __init__(self) -> None:
        self.seen: List[Tuple[str, Dict[str, str]]] = []
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with rec.lock:
                    rec.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                target = parse_qs(urlsplit(self.path).query).get("to")
                if target:
                    self.send_response(302)
                    self.send_header("Location", target[0])
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self) -> List[Tuple[str, Dict[str, str]]]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def servers() -> Iterator[Tuple[Recorder, Recorder]]:
    a, b = Recorder(), Recorder()
    yield a, b
    a.close()
    b.close()


def keyed(headers: Dict[str, str]) -> bool:
    return any(SECRET in v for v in headers.values())


def b_urls(b: Recorder) -> List[str]:
    return [f"http://localhost:{b.port}/b", f"http://127.0.0.1:{b.port}/b"]


def check_hops(a: Recorder, b: Recorder, final_to_b: bool = True) -> None:
    got_a, got_b = a.take(), b.take()
    assert [p.startswith("/redirect") for p, _ in got_a] == [True]
    assert keyed(got_a[0][1])
    if final_to_b:
        assert [p for p, _ in got_b] == ["/b"]
        assert not keyed(got_b[0][1]), got_b[0][1].keys()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_requests_key_stays_on_origin(servers: Tuple[Recorder, Recorder], scheme: str) -> None:
    import requests

    a, b = servers
    base = f"http://127.0.0.1:{a.port}"
    s = requests.Session()
    s.trust_env = False
    s.auth = noorle.requests_auth(KEY, scheme=scheme, base_url=base, env=False)
    for to in b_urls(b):
        r = s.get(f"{base}/redirect", params={"to": to}, timeout=10)
        assert r.status_code == 200 and [h.status_code for h in r.history] == [302]
        check_hops(a, b)
    # Directly to another origin: no key.
    assert s.get(f"http://localhost:{b.port}/b", timeout=10).status_code == 200
    got_b = b.take()
    assert len(got_b) == 1 and not keyed(got_b[0][1])
    # A redirect within the origin keeps it.
    r = s.get(f"{base}/redirect", params={"to": f"{base}/final"}, timeout=10)
    assert r.status_code == 200
    got_a = a.take()
    assert [p for p, _ in got_a][1] == "/final" and len(got_a) == 2 and all(keyed(h) for _, h in got_a)
    s.close()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_httpx_transport_key_stays_on_origin(servers: Tuple[Recorder, Recorder], scheme: str) -> None:
    import httpx

    a, b = servers
    base = f"http://127.0.0.1:{a.port}"
    t = noorle.httpx_transport(KEY, scheme=scheme, base_url=base, env=False)
    assert SECRET not in repr(t)
    with httpx.Client(transport=t, follow_redirects=True, trust_env=False) as h:
        for to in b_urls(b):
            r = h.get(f"{base}/redirect", params={"to": to})
            assert r.status_code == 200 and [x.status_code for x in r.history] == [302]
            check_hops(a, b)
        assert h.get(f"http://localhost:{b.port}/b").status_code == 200
        got_b = b.take()
        assert len(got_b) == 1 and not keyed(got_b[0][1])
        # Back from B to A within one chain: the key is set again for A.
        r = h.get(f"{base}/redirect", params={"to": f"http://localhost:{b.port}/b?to={base}/final"})
        assert r.status_code == 200
        got_a, got_b = a.take(), b.take()
        assert [p for p, _ in got_a] == [got_a[0][0], "/final"] and all(keyed(x) for _, x in got_a)
        assert len(got_b) == 1 and not keyed(got_b[0][1])


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_httpx_async_transport_key_stays_on_origin(servers: Tuple[Recorder, Recorder], scheme: str) -> None:
    import httpx

    a, b = servers
    base = f"http://127.0.0.1:{a.port}"
    t = noorle.httpx_async_transport(KEY, scheme=scheme, base_url=base, env=False)
    async with httpx.AsyncClient(transport=t, follow_redirects=True, trust_env=False) as h:
        for to in b_urls(b):
            r = await h.get(f"{base}/redirect", params={"to": to})
            assert r.status_code == 200 and [x.status_code for x in r.history] == [302]
            check_hops(a, b)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_httpx_auth_sends_only_to_origin(servers: Tuple[Recorder, Recorder], scheme: str) -> None:
    import httpx

    a, b = servers
    base = f"http://127.0.0.1:{a.port}"
    auth = noorle.httpx_auth(KEY, scheme=scheme, base_url=base, env=False)
    with httpx.Client(auth=auth, trust_env=False) as h:  # httpx's default: redirects not followed
        r = h.get(f"{base}/redirect", params={"to": b_urls(b)[0]})
        assert r.status_code == 302
        check_hops(a, b, final_to_b=False)
        assert b.take() == []
        assert h.get(f"http://localhost:{b.port}/b").status_code == 200
        got_b = b.take()
        assert len(got_b) == 1 and not keyed(got_b[0][1])


def test_scheme_and_port_are_part_of_the_origin(servers: Tuple[Recorder, Recorder]) -> None:
    import httpx
    import requests

    a, _ = servers
    # The key is for https://127.0.0.1:<A> (an http request there would be a downgrade) or for
    # another port on the same host: A, over http, gets no key either way.
    for base in (f"https://127.0.0.1:{a.port}", f"http://127.0.0.1:{a.port + 1 if a.port < 65535 else 1}"):
        s = requests.Session()
        s.trust_env = False
        s.auth = noorle.requests_auth(KEY, base_url=base, env=False)
        assert s.get(f"http://127.0.0.1:{a.port}/x", timeout=10).status_code == 200
        s.close()
        with httpx.Client(auth=noorle.httpx_auth(KEY, base_url=base, env=False), trust_env=False) as h:
            assert h.get(f"http://127.0.0.1:{a.port}/x").status_code == 200
        with httpx.Client(transport=noorle.httpx_transport(KEY, base_url=base, env=False), trust_env=False) as h:
            assert h.get(f"http://127.0.0.1:{a.port}/x").status_code == 200
        got = a.take()
        assert len(got) == 3 and not any(keyed(x) for _, x in got)
    # Host case and the default port do not matter.
    base = f"HTTP://LocalHost:{a.port}/v1/"
    with httpx.Client(auth=noorle.httpx_auth(KEY, base_url=base, env=False), trust_env=False) as h:
        assert h.get(f"http://localhost:{a.port}/x").status_code == 200
    got = a.take()
    assert len(got) == 1 and keyed(got[0][1])


def test_base_url_comes_from_the_environment(servers: Tuple[Recorder, Recorder]) -> None:
    import httpx

    a, b = servers
    env = {"NOORLE_API_KEY": KEY, "NOORLE_BASE_URL": f"http://127.0.0.1:{a.port}"}
    with httpx.Client(auth=noorle.httpx_auth(env_vars=env), trust_env=False) as h:
        assert h.get(f"http://127.0.0.1:{a.port}/x").status_code == 200
        assert h.get(f"http://127.0.0.1:{b.port}/x").status_code == 200
    got_a, got_b = a.take(), b.take()
    assert len(got_a) == 1 and keyed(got_a[0][1])
    assert len(got_b) == 1 and not keyed(got_b[0][1])
    # Without NOORLE_BASE_URL the key is for https://api.noorle.com only.
    auth = noorle.httpx_auth(env_vars={"NOORLE_API_KEY": KEY})
    assert "https://api.noorle.com:443" in repr(auth)
    with pytest.raises(noorle.ConfigError, match="base URL"):
        noorle.requests_auth(KEY, base_url="ftp://example.com", env=False)
