"""The Noorle quickstart, in Python.

Uses the management key from NOORLE_API_KEY (and NOORLE_BASE_URL): creates a service account,
calls the API with its key, shows a scoped key and its 403, rotates, deactivates, revokes, and
cleans up. Exits non-zero if any expectation fails.
"""

from __future__ import annotations

import sys
from typing import Callable

import noorle

failures = 0


def step(title: str) -> None:
    print(f"\n== {title}")


def expect(ok: bool, what: str) -> None:
    global failures
    print(f"   {'ok ' if ok else 'FAIL'} {what}")
    if not ok:
        failures += 1


def expect_error(kind: type[noorle.NoorleError], call: Callable[[], object], what: str) -> None:
    try:
        call()
    except kind as e:
        expect(True, f"{what}: {type(e).__name__} {e.status} {e.code}")
    except noorle.NoorleError as e:
        expect(False, f"{what}: wanted {kind.__name__}, got {e!r}")
    else:
        expect(False, f"{what}: no error")


def client_for(key: noorle.ApiKey, base_url: str) -> noorle.Client:
    # env=False: use exactly this key, nothing from the environment.
    return noorle.Client(key, base_url=base_url, env=False)


def main() -> int:
    with noorle.Client() as admin:  # key and base URL from the environment
        base_url = admin.base_url
        print(f"management key from {admin.key_source()}; server {base_url}")

        step("create a service account")
        created = admin.service_accounts.create("quickstart-bot", description="Python quickstart", role="developer")
        sa = created.service_account
        print(f"   service account {sa.name} ({sa.id}), role {sa.role}")
        print(f"   its first key, shown ONCE (it will not be shown again): {created.key.expose_secret()}")
        print(f"   from now on only redacted: {created.key}")
        first = created.key

        step("call the API with the service account's key (X-API-Key)")
        with client_for(first, base_url) as bot:
            me = bot.whoami()
            expect(me.id == first.access_id, f"GET /v1/api-keys/self -> {me.name} ({me.id}), {me.status}")
            agents = bot.request("GET", "/v1/agents").json["agents"]
            expect(len(agents) > 0, "GET /v1/agents -> " + ", ".join(a["id"] for a in agents))

        step("list the account's keys")
        for k in admin.service_accounts.list_all_keys(sa.id):
            print(f"   {k.id} {k.name:<16} {k.status:<8} last used {k.last_used_at}")
        expect(admin.api_keys.get(first.access_id).last_used_at is not None, "last_used_at is set after use")

        step("a key scoped to agent agt_weather")
        scoped = admin.service_accounts.create_key(
            sa.id, "weather-only", scope=[noorle.ResourceRef.agent("agt_weather")], permissions=["read"]
        )
        print(f"   scoped key {scoped.key}")
        with client_for(scoped.key, base_url) as weather:
            got = weather.request("GET", "/v1/agents/agt_weather").json["agent"]
            expect(got["id"] == "agt_weather", "it reads agt_weather")
            expect_error(noorle.PermissionDeniedError, lambda: weather.request("GET", "/v1/agents/agt_support"),
                         "it gets 403 on agt_support")

        step("rotate the first key with a 3600 s grace period")
        rotated = admin.api_keys.rotate(first.access_id, grace_period_seconds=3600)
        new = rotated.key
        print(f"   new key {new} (old {first}, valid until {rotated.previous.revoked_at})")
        with client_for(first, base_url) as old_c, client_for(new, base_url) as new_c:
            expect(old_c.whoami().id == first.access_id, "the old key still works during the grace period")
            expect(new_c.whoami().id == new.access_id, "the new key works")

            step("deactivate the new key, then activate it again")
            admin.api_keys.deactivate(new.access_id)
            expect_error(noorle.AuthenticationError, new_c.whoami, "deactivated: 401")
            admin.api_keys.activate(new.access_id)
            expect(new_c.whoami().status == "active", "activated again: it works")

            step("revoke the new key")
            admin.api_keys.revoke(new.access_id)
            expect_error(noorle.AuthenticationError, new_c.whoami, "revoked: 401")

        step("delete the service account")
        admin.service_accounts.delete(sa.id)
        expect_error(noorle.NotFoundError, lambda: admin.service_accounts.get(sa.id), "it is gone")

    print("\nall expectations held" if failures == 0 else f"\n{failures} expectation(s) failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
