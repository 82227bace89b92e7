"""The shared scenarios of ``testdata/scenarios/*.json`` (format in its README), each run with the
sync and the async client against the local server."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import traceback
import uuid
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

import pytest

import noorle
from conftest import ROOT, Dev

SCENARIOS = sorted((ROOT / "testdata" / "scenarios").glob("*.json"))

# op name -> the public call; `c` is a Client or an AsyncClient, `a` the step's args.
OPS: Dict[str, Callable[[Any, Dict[str, Any]], Any]] = {
    "whoami": lambda c, a: c.whoami(),
    "request": lambda c, a: c.request(a["method"], a["path"], json=a.get("json"), query=a.get("query")),
    "api_keys.create": lambda c, a: c.api_keys.create(**a),
    "api_keys.list": lambda c, a: c.api_keys.list(**a),
    "api_keys.get": lambda c, a: c.api_keys.get(a["id"]),
    "api_keys.update": lambda c, a: c.api_keys.update(**a),
    "api_keys.deactivate": lambda c, a: c.api_keys.deactivate(a["id"]),
    "api_keys.activate": lambda c, a: c.api_keys.activate(a["id"]),
    "api_keys.revoke": lambda c, a: c.api_keys.revoke(a["id"]),
    "api_keys.delete": lambda c, a: c.api_keys.delete(a["id"]),
    "api_keys.rotate": lambda c, a: c.api_keys.rotate(**a),
    "service_accounts.create": lambda c, a: c.service_accounts.create(**a),
    "service_accounts.list": lambda c, a: c.service_accounts.list(**a),
    "service_accounts.get": lambda c, a: c.service_accounts.get(a["id"]),
    "service_accounts.update": lambda c, a: c.service_accounts.update(**a),
    "service_accounts.delete": lambda c, a: c.service_accounts.delete(a["id"]),
    "service_accounts.create_key": lambda c, a: c.service_accounts.create_key(**a),
    "service_accounts.list_keys": lambda c, a: c.service_accounts.list_keys(**a),
}

# error kind -> the class an error of that kind must be an instance of.
CLASSES = {
    "authentication": noorle.AuthenticationError,
    "permission_denied": noorle.PermissionDeniedError,
    "not_found": noorle.NotFoundError,
    "conflict": noorle.ConflictError,
    "validation": noorle.ValidationError,
    "rate_limited": noorle.RateLimitError,
    "server": noorle.ServerError,
    "connection": noorle.APIConnectionError,
    "timeout": noorle.APITimeoutError,
    "config": noorle.ConfigError,
}

VAR = re.compile(r"\$\{([^}]+)\}")


class StepFailed(AssertionError):
    pass


def key_obj(secret_key: str) -> Dict[str, str]:
    return {"value": secret_key, "access_id": secret_key[3:35], "secret": secret_key[35:]}


def to_epoch(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def norm(v: Any, name: str = "") -> Any:
    """The binding's answer as plain JSON values: records by field name, keys as
    {value, access_id, secret}, timestamps (fields ending in _at) as epoch seconds."""
    if isinstance(v, noorle.ApiKey):
        return key_obj(v.expose_secret())
    if isinstance(v, datetime):
        return v.timestamp()
    if isinstance(v, str) and name.endswith("_at"):
        return to_epoch(v)
    if isinstance(v, enum.Enum):
        return norm(v.value, name)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {k: norm(x, k) for k, x in v.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]  # pyright: ignore[reportUnknownVariableType]
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: norm(getattr(v, f.name), f.name) for f in dataclasses.fields(v)}
    slots = [s for cls in type(v).__mro__ for s in getattr(cls, "__slots__", ()) if not s.startswith("_")]
    names = slots or [k for k in vars(v) if not k.startswith("_")]
    return {k: norm(getattr(v, k), k) for k in names}


def err_obj(e: noorle.NoorleError) -> Dict[str, Any]:
    return {"kind": e.kind, "status": e.status, "code": e.code, "request_id": e.request_id,
            "details": e.details, "message": str(e)}


def lookup(saved: Dict[str, Any], path: str) -> Any:
    cur: Any = saved
    for part in path.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise StepFailed(f"${{{path}}}: no '{part}' in the saved results")
    return cur


def subst(v: Any, saved: Dict[str, Any]) -> Any:
    if isinstance(v, str):
        whole = VAR.fullmatch(v)
        if whole:
            return lookup(saved, whole.group(1))
        return VAR.sub(lambda m: str(lookup(saved, m.group(1))), v)
    if isinstance(v, dict):
        return {k: subst(x, saved) for k, x in v.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(v, list):
        return [subst(x, saved) for x in v]  # pyright: ignore[reportUnknownVariableType]
    return v


def matches(exp: Any, act: Any) -> bool:
    try:
        match(exp, act, "")
        return True
    except StepFailed:
        return False


def match(exp: Any, act: Any, where: str) -> None:
    def fail(why: str) -> None:
        raise StepFailed(f"{where or 'result'}: {why}; expected {json.dumps(exp)}, got {json.dumps(act)}")

    if exp == "$present":
        if act is None:
            fail("missing")
    elif isinstance(exp, dict) and any(k.startswith("$") for k in exp):
        for op, arg in exp.items():  # pyright: ignore[reportUnknownVariableType]
            pats = arg if isinstance(arg, list) else [arg]  # pyright: ignore[reportUnknownVariableType]
            if op == "$len":
                if not isinstance(act, list) or len(act) != arg:  # pyright: ignore[reportUnknownArgumentType]
                    fail(f"not a list of {arg}")
            elif op in ("$gt", "$lt"):
                if not isinstance(act, (int, float)) or not isinstance(arg, (int, float)) or \
                        not (act > arg if op == "$gt" else act < arg):
                    fail(f"not {op} {arg}")
            elif op == "$ne":
                if matches(arg, act):
                    fail("equal")
            elif op in ("$contains", "$excludes"):
                for p in pats:  # pyright: ignore[reportUnknownVariableType]
                    if isinstance(act, str):
                        found = isinstance(p, str) and p in act
                    elif isinstance(act, list):
                        found = any(matches(p, x) for x in act)  # pyright: ignore[reportUnknownVariableType]
                    else:
                        fail("neither a string nor a list")
                    if found != (op == "$contains"):
                        fail(f"{op} {json.dumps(p)}")
            elif op == "$unordered":
                rest: List[Any] = list(act) if isinstance(act, list) else []  # pyright: ignore[reportUnknownArgumentType]
                if not isinstance(act, list) or len(rest) != len(pats):  # pyright: ignore[reportUnknownArgumentType]
                    fail("not a list of that length")
                for p in pats:  # pyright: ignore[reportUnknownVariableType]
                    i = next((i for i, x in enumerate(rest) if matches(p, x)), None)
                    if i is None:
                        fail(f"no element matches {json.dumps(p)}")
                    else:
                        rest.pop(i)
            else:
                fail(f"unknown matcher {op}")
    elif isinstance(exp, dict):
        if not isinstance(act, dict):
            fail("not an object")
        for k, x in exp.items():  # pyright: ignore[reportUnknownVariableType]
            match(x, act.get(k), f"{where}.{k}" if where else k)  # pyright: ignore[reportUnknownMemberType]
    elif isinstance(exp, list):
        if not isinstance(act, list) or len(act) != len(exp):  # pyright: ignore[reportUnknownArgumentType]
            fail("a list of another length")
        for i, (x, y) in enumerate(zip(exp, act)):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            match(x, y, f"{where}[{i}]")
    elif isinstance(exp, bool) or isinstance(act, bool) or not isinstance(exp, (int, float)):
        if type(exp) is not type(act) or exp != act:
            fail("different")
    elif not isinstance(act, (int, float)) or float(exp) != float(act):
        fail("different")


def printed_forms(v: Any) -> List[str]:
    """What a user sees when printing or logging the value."""
    if isinstance(v, BaseException):
        return [str(v), repr(v), "".join(traceback.format_exception(type(v), v, v.__traceback__)), repr(v.args)]
    forms = [str(v), repr(v), f"{v}"]
    key = getattr(v, "key", None)
    if isinstance(key, noorle.ApiKey):
        forms += [str(key), repr(key), format(key)]
    return forms


def check_printed(spec: Dict[str, Any], v: Any) -> None:
    for form in printed_forms(v):
        for s in spec.get("includes", []):
            if s not in form:
                raise StepFailed(f"printed form lacks {s!r}: {form}")
        for s in spec.get("excludes", []):
            if s in form:
                raise StepFailed("a printed form contains a secret")


class Runner:
    def __init__(self, base_url: str, root_key: str, dev: Dev, asynchronous: bool) -> None:
        self.base_url, self.dev, self.asynchronous = base_url, dev, asynchronous
        self.saved: Dict[str, Any] = {"run": uuid.uuid4().hex[:8]}
        self.keys: Dict[str, str] = {"root": root_key}
        self.clients: Dict[str, Any] = {}

    def client(self, name: str) -> Any:
        if name not in self.clients:
            if name not in self.keys:
                self.keys[name] = lookup(self.saved, f"{name}.key.value")
            cls = noorle.AsyncClient if self.asynchronous else noorle.Client
            self.clients[name] = cls(self.keys[name], base_url=self.base_url, env=False,
                                     retry_base_delay=0.01, retry_max_delay=0.05)
        return self.clients[name]

    async def close(self) -> None:
        for c in self.clients.values():
            if self.asynchronous:
                await c.aclose()
            else:
                c.close()

    async def step(self, step: Dict[str, Any]) -> None:
        args = subst(step.get("args", {}), self.saved)
        op = step["op"]
        if "fault" in step:
            f = subst(step["fault"], self.saved)
            access_id = noorle.ApiKey(self.keys[step["as"]] if step["as"] in self.keys
                                      else lookup(self.saved, f"{step['as']}.key.value")).access_id
            self.dev.fault(access_id, f["fault"], count=f.get("count", 1), method=f["method"], path=f["path"])
        raw: Any = None
        error: Optional[noorle.NoorleError] = None
        try:
            if op == "dev.requests":
                raw = {"requests": self.dev.requests(args["access_id"], method=args.get("method"), path=args.get("path"))}
            else:
                raw = OPS[op](self.client(step["as"]), args)
                if inspect.isawaitable(raw):
                    raw = await raw
        except noorle.NoorleError as e:
            error = e
        if "expect_error" in step:
            if error is None:
                raise StepFailed(f"expected an error, got {norm(raw)!r}")
            exp = subst(step["expect_error"], self.saved)
            match(exp, err_obj(error), "error")
            kind = exp.get("kind")
            if kind is not None and not isinstance(error, CLASSES[kind]):
                raise StepFailed(f"error {type(error).__name__} is not a {CLASSES[kind].__name__}")
            if "printed" in step:
                check_printed(subst(step["printed"], self.saved), error)
            return
        if error is not None:
            raise StepFailed(f"unexpected error {error!r}")
        if isinstance(raw, noorle.Response):
            result: Any = {"status": raw.status, "json": norm(raw.json)}
        else:
            result = norm(raw)
        if "save" in step:
            self.saved[step["save"]] = result
        if "expect" in step:
            match(subst(step["expect"], self.saved), result, "")
        if "printed" in step:
            check_printed(subst(step["printed"], self.saved), raw)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_scenario(path: Any, mode: str, base_url: str, root_key: str, dev: Dev) -> None:
    scenario = json.loads(path.read_text())
    runner = Runner(base_url, root_key, dev, mode == "async")
    try:
        for i, step in enumerate(scenario["steps"]):
            failure = None
            try:
                await runner.step(step)
            except StepFailed as e:
                failure = f"{scenario['name']} step {i + 1} ({step['op']}): {e}"
            if failure is not None:
                pytest.fail(failure, pytrace=False)
    finally:
        await runner.close()


def test_every_scenario_is_found() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"lifecycle", "scopes", "rotation", "retries", "idempotency", "pagination", "errors", "redaction"} <= names
