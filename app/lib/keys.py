"""Secret keys from the environment, or generated into the data dir in development."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from app.config import Settings

log = logging.getLogger("tend.keys")


def load_key(settings: Settings, env_var: str, filename: str) -> str:
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
    return _generate(path, env_var)


def _generate(path: Path, env_var: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.warning("%s is not set: generated one in %s (keep it safe, back it up).", env_var, path)
    return value
