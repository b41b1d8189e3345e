"""Workers as separate processes on the test database: a worker killed mid-job leaves
nothing half-done and the job completes once on the next worker; `tend worker` runs a
job (escalation) and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from pgqueuer import Queries
from sqlalchemy import select, text, update

from app.config import plain_url
from app.db.models.alerts import Alert
from app.db.tenancy import bind_tenant
from app.domain.alerts.kinds import Kind
from app.domain.alerts.raising import raise_alert
from app.domain.jobs.checks import payload_for
from tests.conftest import APP_ROLE, DatabaseUnderTest
from tests.integration.jobs.conftest import Home

READY = "taking jobs"


@contextlib.contextmanager
def worker(
    command: list[str], test_database: DatabaseUnderTest, log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process on the test database, once it has said it is taking jobs."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database.app_url,
        "TEND_JOB_HEARTBEAT_SECONDS": "2",
    }
    log = log_path.open("w+")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while READY not in log_path.read_text():
            if process.poll() is not None:
                pytest.fail(f"the worker exited:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


SLOW_WORKER = [sys.executable, "-m", "tests.integration.jobs.slow_worker"]
TEND_WORKER = [sys.executable, "-c", "from app.cli import main; main()", "worker"]


async def wait_for(probe, within: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await probe():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        await asyncio.sleep(0.1)


@pytest.fixture
async def queue(test_database: DatabaseUnderTest):  # type: ignore[no-untyped-def]
    connection = await asyncpg.connect(plain_url(test_database.app_url))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def writes(test_database: DatabaseUnderTest) -> None:
    """A table of the test's own, outside `public` (whose tables the schema test checks)."""
    connection = await asyncpg.connect(plain_url(test_database.owner_url))
    try:
        await connection.execute(
            f"""
            CREATE SCHEMA IF NOT EXISTS jobs_test;
            CREATE TABLE IF NOT EXISTS jobs_test.writes (marker uuid, part int);
            GRANT USAGE ON SCHEMA jobs_test TO {APP_ROLE};
            GRANT SELECT, INSERT ON jobs_test.writes TO {APP_ROLE};
            """
        )
    finally:
        await connection.close()


async def test_a_job_killed_midway_completes_once_on_the_next_worker(
    queue: asyncpg.Connection,
    writes: None,
    test_database: DatabaseUnderTest,
    tmp_path: Path,
) -> None:
    marker = uuid.uuid4()

    async def parts() -> list[int]:
        rows = await queue.fetch(
            "SELECT part FROM jobs_test.writes WHERE marker = $1 ORDER BY part", marker
        )
        return [row["part"] for row in rows]

    async def status() -> str | None:
        return await queue.fetchval("SELECT status::text FROM pgqueuer WHERE id = $1", job_id)

    with worker(SLOW_WORKER, test_database, tmp_path / "first.log") as first:
        payload = json.dumps({"marker": str(marker), "pause": 3}).encode()
        [job_id] = await Queries.from_asyncpg_connection(queue).enqueue("slow_write", payload)
        await wait_for(lambda: _is(status, "picked"))
        await asyncio.sleep(1)  # inside the pause: part 1 written, not committed
        first.send_signal(signal.SIGKILL)
        first.wait()

    assert await parts() == []  # nothing half-done
    assert await status() == "picked"  # its worker is gone; the job is not

    with worker(SLOW_WORKER, test_database, tmp_path / "second.log"):
        await wait_for(lambda: _is(status, None))  # finished: moved to the log

    assert await parts() == [1, 2]  # done once
    logged = await queue.fetch(
        "SELECT status::text FROM pgqueuer_log WHERE job_id = $1 AND status <> 'queued' "
        "AND status <> 'picked'",
        job_id,
    )
    assert [row["status"] for row in logged] == ["successful"]


async def _is(probe, expected) -> bool:  # type: ignore[no-untyped-def]
    return await probe() == expected


async def test_tend_worker_escalates_and_stops_cleanly_on_sigterm(
    home: Home, queue: asyncpg.Connection, test_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    async with home.sessions() as db:
        await bind_tenant(db, home.tenant.id)
        alert_id = await raise_alert(
            db, tenant_id=home.tenant.id, patient_id=home.patient.id, kind=Kind.NEWS2_MEDIUM
        )
        await db.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(escalate_at=text("now() - interval '1 minute'"))
        )
        await db.commit()

    async def escalated() -> datetime | None:
        async with home.sessions() as db:
            await bind_tenant(db, home.tenant.id)
            return await db.scalar(select(Alert.escalated_at).where(Alert.id == alert_id))

    log_path = tmp_path / "tend-worker.log"
    with worker(TEND_WORKER, test_database, log_path) as process:
        await Queries.from_asyncpg_connection(queue).enqueue(
            "escalate_alerts", payload_for(home.tenant.id)
        )
        await wait_for(lambda: _truthy(escalated))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0

    assert "Tend worker stopped." in log_path.read_text()
    assert (await escalated()) <= datetime.now(UTC)


async def _truthy(probe) -> bool:  # type: ignore[no-untyped-def]
    return bool(await probe())


async def test_a_cron_tick_enqueues_one_job_per_care_account_and_never_piles_up(
    home: Home, queue: asyncpg.Connection
) -> None:
    from app.domain.jobs.checks import fan_out

    queries = Queries.from_asyncpg_connection(queue)
    try:
        first = await fan_out(home.sessions, queries, "check_tasks")
        again = await fan_out(home.sessions, queries, "check_tasks")
        mine = await queue.fetchval(
            "SELECT count(*) FROM pgqueuer WHERE dedupe_key = $1", f"check_tasks:{home.tenant.id}"
        )
    finally:
        await queue.execute("DELETE FROM pgqueuer WHERE entrypoint = 'check_tasks'")

    assert first >= 1
    assert (again, mine) == (0, 1)
