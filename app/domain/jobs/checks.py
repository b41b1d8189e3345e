"""The periodic checks as jobs: a cron tick enqueues one job per care account, and each
job does its care account's work in one transaction bound to it (RLS applies).

One job per care account keeps a failure in one from stopping the others, spreads the
work over every worker, and makes a retry redo one care account only. Each job is safe to
run twice: alerts are raised by `dedupe_key`, escalation only touches what is not yet
escalated, and a job killed before its commit left nothing behind.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from pgqueuer.models import Job
from pgqueuer.ports import RepositoryPort
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Tenant
from app.db.tenancy import bind_tenant

log = logging.getLogger("tend.jobs")

Sessions = async_sessionmaker[AsyncSession]
Check = Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[int]]


async def _check_doses(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    from app.domain.medications.checks import raise_unrecorded_doses

    return await raise_unrecorded_doses(db, tenant_id, now)


async def _check_tasks(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    from app.domain.tasks.checks import raise_overdue_tasks

    return await raise_overdue_tasks(db, tenant_id, now)


async def _escalate_alerts(db: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> int:
    # Imported when run: the alert rules own escalation and may arrive separately.
    from app.domain.alerts.escalation import escalate_due

    return await escalate_due(db, tenant_id, now)


# Entrypoint name → (cron expression, the per-care-account work).
CHECKS: dict[str, tuple[str, Check]] = {
    "check_doses": ("* * * * *", _check_doses),
    "escalate_alerts": ("* * * * *", _escalate_alerts),
    "check_tasks": ("*/5 * * * *", _check_tasks),
}


def payload_for(tenant_id: uuid.UUID) -> bytes:
    return json.dumps({"tenant_id": str(tenant_id)}).encode()


def tenant_of(job: Job) -> uuid.UUID:
    return uuid.UUID(json.loads(job.payload or b"{}")["tenant_id"])


async def run_check(
    sessions: Sessions, name: str, tenant_id: uuid.UUID, now: datetime | None = None
) -> int:
    """Run one check for one care account in one transaction bound to it; the count the
    check reports (alerts newly raised or escalated)."""
    work = CHECKS[name][1]
    async with sessions() as db:
        await bind_tenant(db, tenant_id)
        async with db.begin():
            return await work(db, tenant_id, now or datetime.now(UTC))


async def fan_out(sessions: Sessions, queries: RepositoryPort, name: str) -> int:
    """Enqueue `name` once for every care account; how many were enqueued. A care
    account whose job from an earlier tick is still waiting or running is skipped (the
    dedupe key), so a slow queue never piles up copies."""
    async with sessions() as db:
        tenants = list(await db.scalars(select(Tenant.id).order_by(Tenant.id)))
    if not tenants:
        return 0
    ids = await queries.enqueue(
        [name] * len(tenants),
        [payload_for(t) for t in tenants],
        [0] * len(tenants),
        dedupe_key=[f"{name}:{t}" for t in tenants],
        on_conflict="skip",
    )
    return sum(job_id is not None for job_id in ids)
