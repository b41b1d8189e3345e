"""`tend worker`: background jobs (pgqueuer) until stopped; `tend run` starts one too in
the embedded mode (`worker_process`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import click

from app.cli._database import Database, app_sessions, database, migrate_database
from app.cli._group import main
from app.config import get_settings

log = logging.getLogger("tend")


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=2),
    default=None,
    help="Jobs run at once [TEND_JOB_CONCURRENCY, 10].",
)
def worker(concurrency: int | None) -> None:
    """Run background jobs and their schedules until SIGTERM or Ctrl-C."""
    from app.domain.jobs.worker import run_worker

    settings = get_settings()
    with database(settings) as db:
        if settings.database.embedded:
            migrate_database(db)
        asyncio.run(_check_schema(db))
        asyncio.run(
            run_worker(
                db.app_url,
                concurrency=concurrency or settings.jobs.concurrency,
                heartbeat=timedelta(seconds=settings.jobs.heartbeat_seconds),
            )
        )
    click.echo("Tend worker stopped.")


async def _check_schema(db: Database) -> None:
    # Refuses, with the operator's message, a database not migrated to this version.
    async with app_sessions(db):
        pass


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if `tend run` itself is killed, so none is orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


@contextlib.contextmanager
def worker_process(db: Database) -> Iterator[None]:
    """One `tend worker` beside the web app for the block, on the same database; started
    again if it exits (it does when the database goes away), stopped (running jobs
    finish) when the block ends."""
    supervisor = _Supervisor()
    supervisor.start()
    try:
        yield
    finally:
        supervisor.stop()


def _spawn() -> subprocess.Popen[bytes]:
    # Its own session: Ctrl-C in the terminal reaches only `tend run`, which then stops
    # the worker with one SIGTERM (a second signal would make the worker leave at once).
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker"],
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


class _Supervisor:
    """Keeps one worker child running: a worker that exits is started again, after a
    pause that grows while it keeps exiting soon after it started."""

    def __init__(self, check_every: float = 1.0) -> None:
        self._check_every = check_every
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._process = _spawn()
        self._thread = threading.Thread(target=self._watch, name="tend-worker-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        pause = 0.5
        started = time.monotonic()
        while not self._stopping.wait(self._check_every):
            code = self._process.poll()
            if code is None:
                continue
            # While the database is away the worker exits as soon as it starts.
            quick = time.monotonic() - started < 10
            pause = min(pause * 2, 30.0) if quick else 1.0
            log.warning(
                "The background worker stopped (exit status %s); starting it again in %.0f s.",
                code,
                pause,
            )
            if self._stopping.wait(pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = _spawn()
                started = time.monotonic()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self._process
        self._thread.join(timeout=5)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
