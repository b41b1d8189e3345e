"""Secret keys from the environment, or generated into the data dir in development."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from app.config import Settings
from app.lib.crypto import MasterKeys, encode_key, new_key, parse_key

log = logging.getLogger("tend.keys")


def load_key(
    settings: Settings,
    env_var: str,
    filename: str,
    generate: Callable[[], str] = lambda: secrets.token_urlsafe(48),
) -> str:
    """The key from `env_var`; in development a key kept in `<data dir>/keys/<filename>`.

    Production refuses to start without the variable: a generated key on one host would
    not match the key on the next host, and losing it loses what it protects.
    """
    value = os.environ.get(env_var, "").strip()
    if value:
        return value
    if settings.server.production:
        msg = f"{env_var} is not set; TEND_ENV=production refuses to start without it."
        raise SystemExit(msg)
    path = settings.data_dir / "keys" / filename
    if path.exists():
        return path.read_text().strip()
    return _generate(path, env_var, generate)


def _generate(path: Path, env_var: str, generate: Callable[[], str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = generate()
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.warning("%s is not set: generated one in %s (keep it safe, back it up).", env_var, path)
    return value


def master_keys(settings: Settings) -> MasterKeys:
    """TEND_MASTER_KEY wraps the data keys; TEND_MASTER_KEY_PREVIOUS (comma-separated)
    names keys still accepted while `tend rotate-keys` rewraps everything."""
    current = load_key(settings, "TEND_MASTER_KEY", "master_key", _new_aes_key)
    previous = [k for k in os.environ.get("TEND_MASTER_KEY_PREVIOUS", "").split(",") if k.strip()]
    return MasterKeys(
        current=parse_key(current, "TEND_MASTER_KEY"),
        previous=tuple(parse_key(k, "TEND_MASTER_KEY_PREVIOUS") for k in previous),
    )


def mfa_key(settings: Settings) -> bytes:
    """TEND_MFA_KEY seals TOTP secrets: never a PHI key, so neither can open the other."""
    return parse_key(load_key(settings, "TEND_MFA_KEY", "mfa_key", _new_aes_key), "TEND_MFA_KEY")


def _new_aes_key() -> str:
    return encode_key(new_key())
