"""A Tend worker with one more entrypoint, `slow_write`, for the killed-worker test:
in one transaction it writes a first row, waits, then writes a second row.

Run as `python -m tests.integration.jobs.slow_worker` with DATABASE_URL set."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import timedelta

from pgqueuer import PgQueuer
from pgqueuer.models import Job
from sqlalchemy import text

from app.domain.jobs.checks import Sessions
from app.domain.jobs.worker import run_worker

_WRITE = text("INSERT INTO jobs_test.writes (marker, part) VALUES (:marker, :part)")


def extend(pgq: PgQueuer, sessions: Sessions) -> None:
    @pgq.entrypoint("slow_write")
    async def slow_write(job: Job) -> None:
        order = json.loads(job.payload or b"{}")
        async with sessions() as db, db.begin():
            await db.execute(_WRITE, {"marker": order["marker"], "part": 1})
            await asyncio.sleep(order["pause"])
            await db.execute(_WRITE, {"marker": order["marker"], "part": 2})


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(
        run_worker(
            os.environ["DATABASE_URL"],
            concurrency=4,
            heartbeat=timedelta(seconds=float(os.environ.get("TEND_JOB_HEARTBEAT_SECONDS", 2))),
            extend=extend,
        )
    )
