"""Secret keys: from the environment; generated into the data dir only in development."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ServerSettings, Settings
from app.lib.crypto import KEY_BYTES, encode_key, new_key
from app.lib.keys import load_key, master_keys, mfa_key

KEY_VARS = ("TEND_SECRET_KEY", "TEND_MASTER_KEY", "TEND_MFA_KEY", "TEND_MASTER_KEY_PREVIOUS")


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


def _settings(tmp_path: Path, env: str) -> Settings:
    return Settings(server=ServerSettings(env=env), data_dir=tmp_path)


@pytest.mark.usefixtures("no_keys")
@pytest.mark.parametrize("variable", ["TEND_SECRET_KEY", "TEND_MASTER_KEY", "TEND_MFA_KEY"])
def test_production_refuses_to_start_without_each_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    for name in ("TEND_SECRET_KEY", "TEND_MASTER_KEY", "TEND_MFA_KEY"):
        if name != variable:
            monkeypatch.setenv(name, encode_key(new_key()))
    settings = _settings(tmp_path, "production")
    with pytest.raises(SystemExit, match=variable):
        load_key(settings, "TEND_SECRET_KEY", "secret_key")
        master_keys(settings)
        mfa_key(settings)
    assert not (tmp_path / "keys").exists(), "production must never write a key to disk"


@pytest.mark.usefixtures("no_keys")
def test_development_generates_keys_once_with_private_permissions(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "development")
    first = master_keys(settings)
    again = master_keys(settings)
    assert first.current == again.current
    assert len(first.current) == KEY_BYTES
    path = tmp_path / "keys" / "master_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert mfa_key(settings) != first.current, "the MFA key is never a PHI key"


@pytest.mark.usefixtures("no_keys")
def test_a_key_that_is_not_32_bytes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEND_MASTER_KEY", "c2hvcnQ")
    with pytest.raises(SystemExit, match="32 bytes"):
        master_keys(_settings(tmp_path, "production"))
