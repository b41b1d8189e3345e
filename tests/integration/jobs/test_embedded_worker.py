"""The worker that `tend run` and `tend demo` start beside the web app in the embedded
mode (`tend worker`, as `app/cli/_worker.worker_process` runs it) runs the missed-dose
rule: its cron schedule is in place, and a dose check it takes raises the alert."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from pgqueuer import Queries

from app.domain.alerts.kinds import Kind
from app.domain.jobs.checks import CHECKS, payload_for
from tests.conftest import DatabaseUnderTest
from tests.integration.jobs.conftest import Home, add_medicine, alerts_of
from tests.integration.jobs.test_worker import TEND_WORKER, queue, wait_for, worker

__all__ = ["queue"]  # the fixture, shared with test_worker.py


async def test_the_worker_schedules_the_dose_check_and_its_check_raises_the_alert(
    home: Home, queue: asyncpg.Connection, test_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    # Twice a day, entered long ago: whatever the time now, a dose's window closed within
    # the check's last day with nothing recorded.
    await add_medicine(home, times=["08:00", "20:00"])
    with worker(TEND_WORKER, test_database, tmp_path / "worker.log"):

        async def scheduled() -> bool:
            rows = await queue.fetch("SELECT entrypoint, expression FROM pgqueuer_schedules")
            return {r["entrypoint"]: r["expression"] for r in rows}.get("check_doses") == (
                CHECKS["check_doses"][0]
            )

        await wait_for(scheduled)
        assert CHECKS["check_doses"][0] == "* * * * *"
        await Queries.from_asyncpg_connection(queue).enqueue(
            "check_doses", payload_for(home.tenant.id)
        )

        async def raised() -> bool:
            return bool(await alerts_of(home, Kind.DOSE_UNRECORDED))

        await wait_for(raised)
