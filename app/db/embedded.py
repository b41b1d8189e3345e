"""The embedded PostgreSQL (pgserver) that `tend run` starts when DATABASE_URL is unset,
and the watchdog that starts it again if it dies while Tend serves."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

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


def has_died(server: Any) -> bool:
    """True when the postmaster is gone without having shut down.

    A clean stop (Ctrl-C, `pg_ctl stop`, SIGTERM) removes `postmaster.pid` before the
    postmaster exits; a crash, `kill -9` or the OOM killer leaves it behind. Only the
    second is restarted, so Tend never fights an operator or its own shutdown.
    """
    if not (server.pgdata / "postmaster.pid").exists():
        return False
    process = server.get_postmaster_info().process
    try:
        # is_running() is False too when the pid now belongs to another process.
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _start_again(server: Any) -> None:
    # pgserver's own start: it sees the stale postmaster.pid, starts PostgreSQL on the
    # same socket (so every URL handed out stays valid), and waits until it is ready;
    # PostgreSQL replays its WAL first, so every committed transaction is there.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import PostgresServer

    with PostgresServer._lock:
        server.ensure_postgres_running()


@contextlib.contextmanager
def restarted_if_it_dies(server: Any, every: float = 1.0) -> Iterator[None]:
    """For the block, a thread checks the embedded PostgreSQL every `every` seconds and,
    if it died, starts it again and says so in the log."""
    stopping = threading.Event()
    watchdog = threading.Thread(
        target=_watch, args=(server, every, stopping), name="tend-db-watchdog", daemon=True
    )
    watchdog.start()
    try:
        yield
    finally:
        stopping.set()
        watchdog.join(timeout=30)


def _watch(server: Any, every: float, stopping: threading.Event) -> None:
    while not stopping.wait(every):
        if has_died(server):
            log.warning("The embedded PostgreSQL stopped; restarting it.")
            if _restart(server, stopping):
                log.warning("The embedded PostgreSQL is back.")


def _restart(server: Any, stopping: threading.Event) -> bool:
    """Try until it starts (the old server's last processes may still hold its shared
    memory for a moment) or Tend stops."""
    pause = 0.25
    while not stopping.is_set():
        try:
            _start_again(server)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            log.warning("The embedded PostgreSQL did not start (%s); trying again.", exc)
        else:
            # Until the dead postmaster is reaped, pgserver takes it for a running one.
            if not has_died(server):
                return True
        stopping.wait(pause)
        pause = min(pause * 2, 5.0)
    return False
