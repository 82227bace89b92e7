"""The loading chain (contract section 3) with temp files and isolated environments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import noorle
from conftest import VECTORS, make_client, wait_until

K1 = VECTORS["parse_valid"][0]["input"]
K2 = VECTORS["parse_valid"][1]["input"]
K3 = VECTORS["parse_valid"][4]["input"]


def secret_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_explicit_wins(tmp_path: Path) -> None:
    f = secret_file(tmp_path / "k", K2)
    loaded = noorle.load_api_key(K1, api_key_file=f, env_vars={"NOORLE_API_KEY": K3})
    assert loaded.key.expose_secret() == K1 and loaded.source.kind == "explicit"


def test_env_variable(tmp_path: Path) -> None:
    loaded = noorle.load_api_key(env_vars={"NOORLE_API_KEY": K1 + "\n"}, credentials_file=tmp_path / "none")
    assert loaded.key.expose_secret() == K1
    assert loaded.source.kind == "env" and loaded.source.variable == "NOORLE_API_KEY"
    assert "NOORLE_API_KEY" in str(loaded.source) and K1 not in repr(loaded)


def test_env_file_and_conflict(tmp_path: Path) -> None:
    f = secret_file(tmp_path / "k", K2 + "\n")
    loaded = noorle.load_api_key(env_vars={"NOORLE_API_KEY_FILE": str(f)})
    assert loaded.key.expose_secret() == K2
    assert loaded.source.kind == "env_file" and loaded.source.path == str(f)
    with pytest.raises(noorle.ConfigError) as ei:
        noorle.load_api_key(env_vars={"NOORLE_API_KEY": K1, "NOORLE_API_KEY_FILE": str(f)})
    assert "NOORLE_API_KEY" in str(ei.value) and K1 not in str(ei.value)


def test_credentials_directory_and_docker_secret(tmp_path: Path) -> None:
    d = tmp_path / "creds"
    d.mkdir()
    secret_file(d / "noorle_api_key", K3)
    loaded = noorle.load_api_key(env_vars={"CREDENTIALS_DIRECTORY": str(d)})
    assert loaded.key.expose_secret() == K3 and loaded.source.kind == "credentials_dir"
    docker = secret_file(tmp_path / "docker_key", K2)
    loaded = noorle.load_api_key(env_vars={}, docker_secret=docker, credentials_file=tmp_path / "none")
    assert loaded.key.expose_secret() == K2 and loaded.source.kind == "docker_secret"


def test_profiles(tmp_path: Path) -> None:
    creds = secret_file(
        tmp_path / "credentials",
        f'[default]\napi_key = "{K1}"\n\n[staging]\napi_key = "{K2}"\nbase_url = "http://staging.invalid"\n',
    )
    d = noorle.load_api_key(env_vars={}, credentials_file=creds)
    assert d.key.expose_secret() == K1 and d.source.kind == "profile" and d.source.profile == "default"
    s = noorle.load_api_key(env_vars={"NOORLE_PROFILE": "staging"}, credentials_file=creds)
    assert s.key.expose_secret() == K2 and s.base_url == "http://staging.invalid"
    assert noorle.load_api_key(env_vars={}, credentials_file=creds, profile="staging").key.expose_secret() == K2
    with pytest.raises(noorle.NoorleError) as ei:
        noorle.load_api_key(env_vars={}, credentials_file=creds, profile="missing")
    assert "missing" in str(ei.value)


def test_nothing_found_lists_every_place(tmp_path: Path) -> None:
    with pytest.raises(noorle.CredentialsNotFoundError) as ei:
        noorle.load_api_key(env_vars={}, credentials_file=tmp_path / "nope", docker_secret=tmp_path / "nodocker")
    e = ei.value
    assert e.kind == "credentials_not_found" and e.searched and len(e.searched) >= 4
    joined = "\n".join(e.searched)
    for place in ("NOORLE_API_KEY", "NOORLE_API_KEY_FILE", "CREDENTIALS_DIRECTORY", str(tmp_path / "nope")):
        assert place in joined
    assert str(tmp_path / "nope") in str(e)


def test_env_false_ignores_the_process_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOORLE_API_KEY", K1)
    assert noorle.load_api_key(credentials_file=tmp_path / "x").source.kind == "env"
    with pytest.raises(noorle.CredentialsNotFoundError):
        noorle.load_api_key(env=False)
    with pytest.raises(noorle.CredentialsNotFoundError):
        noorle.Client(env=False)


def test_unsafe_files(tmp_path: Path) -> None:
    f = secret_file(tmp_path / "k", K1, 0o666)
    os.chmod(f, 0o666)
    with pytest.raises(noorle.ConfigError) as ei:
        noorle.load_api_key(api_key_file=f, env=False)
    assert "writable" in str(ei.value)
    g = secret_file(tmp_path / "g", K1, 0o640)
    with pytest.warns(noorle.NoorleWarning):
        loaded = noorle.load_api_key(api_key_file=g, env=False)
    assert loaded.key.expose_secret() == K1
    assert len(loaded.warnings) == 1 and str(g) in loaded.warnings[0], loaded.warnings


@pytest.mark.parametrize("mode", [0o666, 0o602])
def test_world_writable_files_are_refused(tmp_path: Path, mode: int) -> None:
    # Anyone could replace a world-writable key: every place a key is read from refuses it.
    creds = secret_file(tmp_path / "credentials", f'[default]\napi_key = "{K1}"\n', mode)
    d = tmp_path / "creds"
    d.mkdir()
    in_dir = secret_file(d / "noorle_api_key", K2, mode)
    docker = secret_file(tmp_path / "docker_key", K3, mode)
    env_file = secret_file(tmp_path / "env_key", K1, mode)
    cases: List[Tuple[Dict[str, Any], Path, str]] = [
        (dict(env_vars={}, credentials_file=creds), creds, K1),
        (dict(env_vars={"CREDENTIALS_DIRECTORY": str(d)}, credentials_file=tmp_path / "none"), in_dir, K2),
        (dict(env_vars={}, docker_secret=docker, credentials_file=tmp_path / "none"), docker, K3),
        (dict(env_vars={"NOORLE_API_KEY_FILE": str(env_file)}), env_file, K1),
        (dict(api_key_file=env_file, env=False), env_file, K1),
    ]
    for kwargs, path, _ in cases:
        with pytest.raises(noorle.ConfigError) as ei:
            noorle.load_api_key(**kwargs)
        msg = str(ei.value)
        assert "writable" in msg and str(path) in msg, msg
        for k in (K1, K2, K3):
            assert k not in msg
        with pytest.raises(noorle.ConfigError):
            noorle.Client(**kwargs)
    # The same files, made private, load.
    for _, path, _ in cases:
        path.chmod(0o600)
    for kwargs, _, key in cases:
        assert noorle.load_api_key(**kwargs).key.expose_secret() == key


def test_client_reports_its_source(tmp_path: Path, account: noorle.CreatedServiceAccount, base_url: str) -> None:
    f = secret_file(tmp_path / "k", account.key.expose_secret() + "\n")
    with noorle.Client(env_vars={"NOORLE_API_KEY_FILE": str(f), "NOORLE_BASE_URL": base_url}) as c:
        assert c.base_url == base_url.rstrip("/")
        src = c.key_source()
        assert src.kind == "env_file" and src.path == str(f)
        assert c.whoami().id == account.key.access_id
        assert account.key.expose_secret() not in repr(c)
    with make_client(account.key, base_url) as c:
        assert c.key_source().kind == "explicit"


def test_key_file_rotation_is_picked_up(tmp_path: Path, account: noorle.CreatedServiceAccount, root: Any, base_url: str,
                                        dev: Any) -> None:
    f = secret_file(tmp_path / "k", account.key.expose_secret())
    with make_client(None, base_url, api_key_file=f, reload_interval=0.01) as c:
        assert c.whoami().id == account.key.access_id
        new = root.service_accounts.create_key(account.service_account.id, "second")
        tmp = secret_file(tmp_path / "k.new", new.key.expose_secret())
        tmp.replace(f)
        # Re-read every 10 ms: the new key is used once the client has seen the new file.
        wait_until(lambda: c.whoami().id == new.key.access_id)
    log = [e["access_id"] for e in dev.requests(new.key.access_id, path="/v1/api-keys/self")]
    assert log and set(log) == {new.key.access_id}
