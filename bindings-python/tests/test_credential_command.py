"""Keys from a credential command (``api_key_command``): the scripts of
testdata/credential-commands play a secret manager's CLI against the local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import noorle
from conftest import make_client

SCRIPTS = Path(__file__).resolve().parents[2] / "testdata" / "credential-commands"


def script(name: str) -> str:
    return str(SCRIPTS / name)


def key_file(tmp_path: Path, name: str, key: str) -> str:
    p = tmp_path / name
    p.write_text(key + "\n")
    return str(p)


def test_the_option_works_end_to_end_sync_and_async(
    account: noorle.CreatedServiceAccount, base_url: str, tmp_path: Path
) -> None:
    f = key_file(tmp_path, "key", account.key.expose_secret())
    counter = tmp_path / "runs"
    argv = [script("print-key.sh"), f, str(counter)]
    with make_client(None, base_url, api_key_command=argv) as c:
        assert c.whoami().id == account.api_key.id
        src = c.key_source()
        assert (src.kind, src.program) == ("command", script("print-key.sh"))
        assert str(src) == f"command {script('print-key.sh')} (from the api_key_command option)"

    async def main() -> str:
        async with noorle.AsyncClient(base_url=base_url, env=False, api_key_command=argv) as ac:
            return (await ac.whoami()).id

    import asyncio

    assert asyncio.run(main()) == account.api_key.id
    # One run per client: the key has no expiry, so it is cached.
    assert counter.read_text().strip() == "2"


def test_the_variable_is_reported_and_a_string_is_refused(tmp_path: Path) -> None:
    k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6"
    argv = json.dumps([script("print-key.sh"), key_file(tmp_path, "key", k)])
    loaded = noorle.load_api_key(env_vars={"NOORLE_API_KEY_COMMAND": argv})
    assert loaded.key.expose_secret() == k
    assert loaded.source.variable == "NOORLE_API_KEY_COMMAND"
    assert str(loaded.source) == f"command {script('print-key.sh')} (from $NOORLE_API_KEY_COMMAND)"
    with pytest.raises(noorle.ConfigError, match="JSON array of strings"):
        noorle.load_api_key(env_vars={"NOORLE_API_KEY_COMMAND": "op read op://x"})
    with pytest.raises(TypeError, match="list of strings"):
        noorle.load_api_key(api_key_command="op read op://x", env=False)


def test_a_failing_command_is_a_config_error_with_redacted_stderr(base_url: str) -> None:
    with pytest.raises(noorle.ConfigError) as ei:
        make_client(None, base_url, api_key_command=[script("fail.sh")])
    msg = str(ei.value)
    assert f"credential command {script('fail.sh')}" in msg and "exited with status 3" in msg, msg
    assert "ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c***" in msg and "LEAKED" not in msg, msg


def test_a_slow_command_times_out(tmp_path: Path) -> None:
    with pytest.raises(noorle.ConfigError, match="timeout"):
        noorle.load_api_key(
            api_key_command=[script("slow.sh"), str(tmp_path / "pid")], api_key_command_timeout=1.5, env=False
        )
