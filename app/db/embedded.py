"""The embedded PostgreSQL (pgserver) that `tend run` starts when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger("tend.db")


def start(data_dir: Path) -> Any:
    """Start (or join) the PostgreSQL server whose data lives in `data_dir/pg`.

    Returns the pgserver handle; its `get_uri()` is a superuser URL over a Unix socket
    and `cleanup()` stops the server once the last process using it lets go.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        pgdata = data_dir / "pg"
        pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
        return pgserver.get_server(pgdata, cleanup_mode="stop")
