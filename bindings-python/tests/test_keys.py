"""ApiKey: the shared vectors, redaction in every form, equality, pickling, headers, adapters."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import traceback
from typing import Any, Dict

import pytest

import noorle
from conftest import VECTORS

VALID = VECTORS["parse_valid"]
INVALID = VECTORS["parse_invalid"]
SECRETS = [c["secret"] for c in VALID]


@pytest.mark.parametrize("case", VALID, ids=lambda c: c["note"][:40])
def test_valid_vectors(case: Dict[str, Any]) -> None:
    k = noorle.ApiKey.parse(case["input"])
    assert k.access_id == case["access_id"]
    assert k.redacted() == case["redacted"]
    assert str(k) == case["redacted"]
    assert repr(k) == f"ApiKey('{case['redacted']}')"
    assert k.expose_secret() == case["input"]
    assert noorle.ApiKey(case["input"]) == k


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c["note"][:40])
def test_invalid_vectors(case: Dict[str, Any]) -> None:
    with pytest.raises(noorle.InvalidApiKeyError) as ei:
        noorle.ApiKey.parse(case["input"])
    e = ei.value
    assert e.code == case["error"]
    assert e.kind == "invalid_api_key"
    # Every invalid vector names its position (a vector without one fails here).
    assert e.position == case["position"]
    assert isinstance(e, ValueError) and isinstance(e, noorle.NoorleError)
    shown = str(e) + repr(e)
    for s in SECRETS + ["s9t0u1v2w3x4y5z"]:
        assert s not in shown


@pytest.mark.parametrize("case", VECTORS["load"], ids=lambda c: c["note"][:40])
def test_load_vectors_env_and_file(case: Dict[str, Any], tmp_path: Any) -> None:
    f = tmp_path / "key"
    f.write_text(case["raw"])
    f.chmod(0o600)
    for kwargs in ({"env_vars": {"NOORLE_API_KEY": case["raw"]}}, {"api_key_file": f, "env": False}):
        if "key" in case:
            loaded = noorle.load_api_key(**kwargs)
            assert loaded.key.expose_secret() == case["key"]
        else:
            with pytest.raises(noorle.InvalidApiKeyError) as ei:
                noorle.load_api_key(**kwargs)
            assert ei.value.code == case["error"]
    if "key" in case:
        assert noorle.ApiKey.parse_loaded(case["raw"]).expose_secret() == case["key"]


KEY = VALID[1]["input"]
SECRET = VALID[1]["secret"]


def test_redaction_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    k = noorle.ApiKey.parse(KEY)
    forms = [
        repr(k),
        str(k),
        f"{k}",
        f"{k!r}",
        f"{k:>60}",
        "%s %r" % (k, k),
        "{}".format(k),
        json.dumps({"key": k}, default=str),
        repr([k, {"k": k}]),
        repr(noorle.LoadedKey(k, noorle.KeySource("explicit"))),
    ]
    for shown in forms:
        assert SECRET not in shown, shown
        assert k.access_id in shown
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("key %s %r", k, k)
        logging.getLogger("test").info(f"key {k}")
    assert SECRET not in caplog.text and k.redacted() in caplog.text
    # A traceback with the key among the locals.
    try:
        secret_holder = k  # noqa: F841
        raise RuntimeError(f"failed with {k}")
    except RuntimeError:
        tb = traceback.format_exc()
        tb_locals = "".join(traceback.TracebackException(*__import__("sys").exc_info(), capture_locals=True).format())
    assert SECRET not in tb and SECRET not in tb_locals


def test_pickle_is_refused_with_a_clear_error() -> None:
    k = noorle.ApiKey.parse(KEY)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(k, protocol=proto)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps({"nested": [k]})
    # Copies are the same immutable object, no pickling involved.
    assert copy.copy(k) is k and copy.deepcopy(k) is k


def test_equality_and_hash() -> None:
    a = noorle.ApiKey.parse(KEY)
    b = noorle.ApiKey.parse(KEY)
    c = noorle.ApiKey.parse(KEY[:-1] + ("x" if KEY[-1] != "x" else "y"))
    assert a == b and not (a != b) and hash(a) == hash(b)
    assert a != c and not (a == c)
    assert a != KEY  # never equal to a str
    assert len({a, b}) == 1


def test_immutable_and_not_subclassable() -> None:
    k = noorle.ApiKey.parse(KEY)
    with pytest.raises(AttributeError):
        k.access_id = "0" * 32  # type: ignore[misc]
    with pytest.raises(TypeError):
        type("Sub", (noorle.ApiKey,), {})


def test_auth_headers() -> None:
    k = noorle.ApiKey.parse(KEY)
    assert noorle.auth_headers(k) == {"X-API-Key": KEY}
    assert noorle.auth_headers(KEY, "api-key") == {"API-Key": KEY}
    assert noorle.auth_headers(k, scheme="authorization") == {"Authorization": f"ApiKey {KEY}"}
    with pytest.raises(noorle.ConfigError, match="Bearer"):
        noorle.auth_headers(k, "bearer")
    with pytest.raises(noorle.InvalidApiKeyError):
        noorle.auth_headers("Bearer " + KEY)


def test_httpx_and_requests_adapters(account: noorle.CreatedServiceAccount, base_url: str, dev: Any) -> None:
    import httpx
    import requests

    key = account.key
    for scheme in ("x-api-key", "api-key", "authorization"):
        auth = noorle.httpx_auth(key, scheme=scheme)
        assert SECRET not in repr(auth) and key.redacted() in repr(auth)
        with httpx.Client(base_url=base_url, auth=auth) as h:
            r = h.get("/v1/api-keys/self")
            assert r.status_code == 200 and r.json()["api_key"]["id"] == key.access_id
        s = requests.Session()
        s.auth = noorle.requests_auth(key, scheme=scheme)
        assert key.expose_secret() not in repr(s.auth)
        r2 = s.get(base_url + "/v1/api-keys/self", timeout=10)
        assert r2.status_code == 200 and r2.json()["api_key"]["id"] == key.access_id
    schemes = [e["auth_header"] for e in dev.requests(key.access_id, path="/v1/api-keys/self")]
    assert schemes.count("x-api-key") == 2 and schemes.count("api-key") == 2 and schemes.count("authorization") == 2
    # The adapter loads from the environment like everything else.
    auth = noorle.httpx_auth(env_vars={"NOORLE_API_KEY": key.expose_secret(), "NOORLE_BASE_URL": base_url})
    with httpx.Client(base_url=base_url, auth=auth) as h:
        assert h.get("/v1/api-keys/self").status_code == 200
    with pytest.raises(noorle.ConfigError):
        noorle.requests_auth(key, scheme="bearer")
