"""The native decoder (``noorle._native.Decoder``) against the Python decoders it stands in for:
the same record, or the same error, for live answers and for answers of every wrong shape."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable, Dict, List, Tuple

import pytest

import noorle
from noorle import _ops  # pyright: ignore[reportPrivateUsage]
from noorle._native import Decoder  # pyright: ignore[reportPrivateUsage]
from noorle._records import PLANS  # pyright: ignore[reportPrivateUsage]


def python_path(d: Decoder[Any], answer: Dict[str, Any]) -> Any:
    """What the Python decoder makes of the answer (the key as an ``ApiKey``, as the core gives it)."""
    v = copy.deepcopy(answer)
    if isinstance(v.get("key"), str):
        v["key"] = noorle.ApiKey.parse(v["key"])
    return d(v)


def outcome(f: Callable[[], Any]) -> Tuple[str, str]:
    try:
        r = f()
    except Exception as e:  # the error's class and message must match too
        return type(e).__name__, str(e)
    return "ok", repr(r)


def same(d: Decoder[Any], answer: Dict[str, Any]) -> Tuple[str, str]:
    native = outcome(lambda: d.decode_json(json.dumps(answer)))
    assert native == outcome(lambda: python_path(d, answer)), json.dumps(answer)
    return native


def never(v: Any) -> Any:
    raise AssertionError(f"the Python decoder was called for {v!r:.200}")


@pytest.fixture()
def answers(client: noorle.Client, account: noorle.CreatedServiceAccount) -> Dict[str, Dict[str, Any]]:
    me = client.request("GET", "/v1/api-keys/self").json
    created = client.api_keys.create("py-records", permissions=["read"], rate_limit_per_minute=60)
    rotated = client.api_keys.rotate(created.api_key, grace_period_seconds=60)
    sa = client.service_accounts.get(account.service_account.id)
    return {
        "record": me,
        "created": {"api_key": created.api_key.to_dict(), "key": created.key.expose_secret()},
        "rotated": {
            "api_key": rotated.api_key.to_dict(),
            "key": rotated.key.expose_secret(),
            "previous": rotated.previous.to_dict(),
        },
        "account": {"service_account": sa.to_dict()},
        "created_account": {
            "service_account": sa.to_dict(),
            "api_key": me["api_key"],
            "key": created.key.expose_secret(),
        },
    }


def test_live_answers_decode_natively_to_the_same_records(answers: Dict[str, Dict[str, Any]]) -> None:
    for name, answer in answers.items():
        d: Decoder[Any] = getattr(_ops, name)
        assert same(d, answer)[0] == "ok", name
        # The native path took it: a decoder whose fallback fails decodes it all the same.
        key = {"record": "api_key", "account": "service_account"}.get(name)
        plan = PLANS[{"record": "ApiKeyRecord", "account": "ServiceAccount", "created": "CreatedApiKey",
                      "rotated": "RotatedApiKey", "created_account": "CreatedServiceAccount"}[name]]
        assert repr(Decoder(key, plan, never).decode_json(json.dumps(answer))) == repr(python_path(d, answer))


def test_a_created_key_is_an_api_key_not_text(answers: Dict[str, Dict[str, Any]]) -> None:
    c = _ops.created.decode_json(json.dumps(answers["created"]))
    assert isinstance(c.key, noorle.ApiKey) and c.key.expose_secret() == answers["created"]["key"]
    assert answers["created"]["key"] not in repr(c)


def mutations(record: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The record with each field gone, null or of another type, and timestamps of every form."""
    out: List[Dict[str, Any]] = []
    for k in record:
        for v in ("__gone__", None, 7, 1.5, True, "text", [], {}, ["read"]):
            r = dict(record)
            if v == "__gone__":
                del r[k]
            else:
                r[k] = v
            out.append(r)
    for ts in ("2026-12-03T06:32:02+00:00", "2026-12-03T08:32:02+02:00", "2026-12-03T06:32:02z",
               "2026-12-03t06:32:02Z", "2026-12-03 06:32:02Z", "2026-12-03T06:32:02.5Z",
               "2026-12-03T06:32:02.123456Z", "2026-12-03T06:32:02.1234567Z", "2026-12-03T06:32:02.Z",
               "2026-13-03T06:32:02Z", "2026-12-03T06:32:60Z", "2026-02-30T06:32:02Z", "2026-12-03T06:32Z",
               "2026-12-03", "२०२६-12-03T06:32:02Z", "0000-12-03T06:32:02Z"):
        out.append(dict(record, created_at=ts))
        out.append(dict(record, expires_at=ts))
    out.append(dict(record, rate_limit_per_minute=2**63))
    out.append(dict(record, rate_limit_per_minute=-1))
    out.append(dict(record, permissions=["read", 3]))
    out.append(dict(record, owner={"type": "user"}))
    out.append(dict(record, scope={"type": "nowhere"}))
    out.append(dict(record, scope={"type": "resources", "resources": [{"type": "agent", "id": "agt_1"}]}))
    out.append(dict(record, scope={"type": "resources", "resources": [{"type": "agent"}]}))
    out.append(dict(record, unknown_field="ignored"))
    return out


def test_answers_of_every_shape_decode_the_same_both_ways(answers: Dict[str, Dict[str, Any]]) -> None:
    record = answers["record"]["api_key"]
    kinds = set()
    for r in mutations(record):
        kinds.add(same(_ops.record, {"api_key": r})[0])
        same(_ops.created, {"api_key": r, "key": answers["created"]["key"]})
    assert kinds >= {"ok", "APIConnectionError"}
    same(_ops.record, {})
    same(_ops.record, {"api_key": None})
    sa = answers["account"]["service_account"]
    for r in mutations(sa):
        same(_ops.account, {"service_account": r})
    for key in ("ak-not-a-key", 7, None):
        same(_ops.created, dict(answers["created"], key=key))
