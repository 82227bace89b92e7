"""Hostile input and interpreter exit: nothing a caller passes, and no way a script ends, may crash
the interpreter; models copy and pickle like frozen dataclasses; wrong argument types are
TypeErrors."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from typing import Any, Dict, List

import pytest

import noorle

RUN = "/v1/agents/agt_weather/run"

# A short script whose interpreter exits while runtime threads are still finishing async calls.
EXIT_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, noorle

    async def main():
        async with noorle.AsyncClient(os.environ["PY_TEST_KEY"], env=False, base_url=os.environ["NOORLE_BASE_URL"]) as c:
            await asyncio.gather(*(c.whoami() for _ in range(4)))

    asyncio.run(main())
    """
)


@pytest.mark.timeout(1800)
def test_async_client_never_crashes_the_interpreter_at_exit(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOORLE_")}
    env.update(PY_TEST_KEY=account.key.expose_secret(), NOORLE_BASE_URL=base_url)
    runs, at_once = 500, 4
    failures: List[str] = []
    done = 0
    while done < runs:
        batch = [
            subprocess.Popen([sys.executable, "-c", EXIT_SCRIPT], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for _ in range(min(at_once, runs - done))
        ]
        for p in batch:
            out, err = p.communicate()
            if p.returncode != 0 or "Fatal" in err or "panic" in err:
                failures.append(f"exit {p.returncode}: {(out + err)[-400:]}")
        done += len(batch)
    assert failures == [], f"{len(failures)} of {runs} runs failed; first: {failures[0]}"


def _cyclic_dict() -> Dict[str, Any]:
    d: Dict[str, Any] = {"a": 1}
    d["self"] = d
    return d


def _cyclic_list() -> List[Any]:
    inner: List[Any] = []
    outer = [{"x": inner}]
    inner.append(outer)
    return outer


def _nested(depth: int) -> Any:
    v: Any = 1
    for i in range(depth):
        v = [v] if i % 2 else {"k": v}
    return v


@pytest.mark.parametrize(
    "body",
    [_cyclic_dict(), _cyclic_list(), _nested(5_000), _nested(200_000), _nested(129)],
    ids=["self-referencing dict", "cycle through a list", "5000 deep", "200000 deep", "129 deep"],
)
def test_circular_or_deep_json_is_refused_cleanly(body: Any, client: noorle.Client, account: noorle.CreatedServiceAccount,
                                                   dev: Any) -> None:
    with pytest.raises(ValueError, match="circular|levels deep"):
        client.request("POST", RUN, json={"input": body})
    # Refused before anything was sent; the client still works.
    assert dev.requests(account.key.access_id, path=RUN) == []
    assert client.whoami().id == account.key.access_id


async def test_circular_json_is_refused_by_the_async_client(account: noorle.CreatedServiceAccount, base_url: str) -> None:
    async with noorle.AsyncClient(account.key, base_url=base_url, env=False) as c:
        with pytest.raises(ValueError, match="circular"):
            await c.request("POST", RUN, json=_cyclic_dict())
        with pytest.raises(ValueError, match="levels deep"):
            await c.request("POST", RUN, json=_nested(10_000))


def test_shared_and_deep_but_allowed_json_is_sent(client: noorle.Client) -> None:
    # The same object twice is not a cycle; 120 levels (with the request around it) is allowed.
    shared = {"v": [1, 2]}
    body = {"a": shared, "b": [shared, shared], "deep": _nested(120)}
    r = client.request("POST", RUN, json={"input": body})
    assert r.json["run"]["output"] == {"echo": body}


def test_models_copy_deepcopy_and_pickle(client: noorle.Client, account: noorle.CreatedServiceAccount) -> None:
    me = client.whoami()
    page = client.api_keys.list(service_account_id=account.service_account.id)
    sa = client.service_accounts.get(account.service_account.id)
    response = client.request("GET", "/v1/agents", query={"limit": 1})
    models: List[Any] = [
        me, me.owner, me.scope, page, sa, response,
        noorle.Scope.for_resources(noorle.ResourceRef.agent("agt_weather")),
        noorle.KeySource("env", variable="NOORLE_API_KEY"),
    ]
    for m in models:
        for c in (copy.copy(m), copy.deepcopy(m), pickle.loads(pickle.dumps(m)),
                  pickle.loads(pickle.dumps(m, protocol=0))):
            assert type(c) is type(m) and c == m and repr(c) == repr(m)
            with pytest.raises(AttributeError):
                c.anything = 1
    assert copy.deepcopy(page).items[0] is not page.items[0] and copy.copy(page).items is page.items
    # Models that hold a whole key copy (the key is shared: it is immutable) but never pickle.
    loaded = noorle.load_api_key(account.key)
    created = account
    for m in (loaded, created):
        for c in (copy.copy(m), copy.deepcopy(m)):
            assert c == m and c.key is m.key
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(m)


@pytest.mark.parametrize("bad", [123, 1.5, b"ak-bytes", ["ak-"], object()])
def test_wrong_key_types_are_type_errors(bad: Any, base_url: str) -> None:
    with pytest.raises(TypeError, match="str or noorle.ApiKey"):
        noorle.load_api_key(bad)
    with pytest.raises(TypeError, match="str or noorle.ApiKey"):
        noorle.Client(bad, env=False, base_url=base_url)
    with pytest.raises(TypeError, match="str or noorle.ApiKey"):
        noorle.AsyncClient(bad, env=False, base_url=base_url)
    with pytest.raises(TypeError, match="str or noorle.ApiKey"):
        noorle.auth_headers(bad)
    with pytest.raises(TypeError, match="str or noorle.ApiKey"):
        noorle.httpx_auth(bad)
