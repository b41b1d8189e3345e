"""A Tend worker: pgqueuer's queue manager and cron scheduler on the app role.

The queue itself lives in PostgreSQL (migration 0011), so any number of workers may run
against one database: each job is taken by one worker (`FOR UPDATE SKIP LOCKED`), and each
cron tick by one scheduler. A job a worker took keeps a heartbeat; if the worker dies, the
heartbeat goes stale and another worker (or the same one restarted) takes the job again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from datetime import timedelta

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.models import Job, Schedule
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.config import async_url, plain_url
from app.domain.jobs.checks import CHECKS, Sessions, fan_out, run_check, tenant_of

log = logging.getLogger("tend.jobs")

Extend = Callable[[PgQueuer, Sessions], None]


def register(pgq: PgQueuer, sessions: Sessions) -> None:
    """Tend's entrypoints and cron schedules on `pgq`."""
    for name, (expression, _work) in CHECKS.items():
        _register_check(pgq, sessions, name, expression)


def _register_check(pgq: PgQueuer, sessions: Sessions, name: str, expression: str) -> None:
    @pgq.entrypoint(name)
    async def one_care_account(job: Job) -> None:
        count = await run_check(sessions, name, tenant_of(job))
        if count:
            log.info("%s: %d for care account %s", name, count, tenant_of(job))

    @pgq.schedule(name, expression)
    async def tick(schedule: Schedule) -> None:
        assert pgq.queries is not None
        await fan_out(sessions, pgq.queries, name)


async def run_worker(
    app_url: str,
    *,
    concurrency: int = 10,
    heartbeat: timedelta = timedelta(seconds=30),
    extend: Extend | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Take and run jobs until SIGTERM or SIGINT. The first signal lets running jobs
    finish; a second one exits at once, and what was running is taken again once its
    heartbeat is `heartbeat` old. `extend` registers more entrypoints (tests, benchmarks)."""
    server_settings = {"application_name": "tend-worker"}
    engine = create_async_engine(
        async_url(app_url),
        pool_size=concurrency,
        max_overflow=0,
        connect_args={"server_settings": server_settings},
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    connection = await asyncpg.connect(plain_url(app_url), server_settings=server_settings)
    try:
        pgq = PgQueuer.from_asyncpg_connection(connection)
        register(pgq, sessions)
        if extend is not None:
            extend(pgq, sessions)
        _stop_on_signals(pgq)
        # Batches of half the concurrency: pgqueuer caps a worker at twice its batch.
        batch = max(1, concurrency // 2)
        runner = asyncio.create_task(
            pgq.run(
                batch_size=batch,
                max_concurrent_tasks=max(concurrency, 2 * batch),
                heartbeat_timeout=heartbeat,
                # New jobs wake a worker by NOTIFY; a dead worker's job sends none, so an
                # idle worker also looks every `heartbeat` for jobs whose beat went stale.
                dequeue_timeout=heartbeat,
            )
        )
        log.info("Tend worker is taking jobs (concurrency %d).", concurrency)
        if ready is not None:
            ready()
        await _until_done_or_lost(runner, connection)
    finally:
        await connection.close()
        await engine.dispose()


async def _until_done_or_lost(runner: asyncio.Task[None], connection: asyncpg.Connection) -> None:
    """Wait for `runner`; if the database connection goes first (PostgreSQL restarted),
    exit with status 1 at once rather than at the next dequeue: whoever runs the worker
    (systemd, a container, `tend run`) starts it again on a fresh connection."""
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _connection: lost.set())
    watcher = asyncio.create_task(lost.wait())
    try:
        await asyncio.wait({runner, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if not runner.done():
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner
        log.warning("The worker lost its database connection; it stops.")
        raise SystemExit(1)
    runner.result()


def _stop_on_signals(pgq: PgQueuer) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if pgq.shutdown.is_set():
            # Not a cancellation: pgqueuer would log a cancelled job as finished. Leaving
            # it picked lets its heartbeat go stale, so it runs again.
            log.warning("Stopping at once; unfinished jobs run again on the next worker.")
            os._exit(1)
        log.info("Stopping once the running jobs finish (again to stop at once).")
        pgq.shutdown.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
