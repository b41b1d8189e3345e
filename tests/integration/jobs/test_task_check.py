"""The task check: one alert per occurrence overdue with nothing recorded, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.domain.alerts.kinds import Kind
from app.domain.jobs.checks import run_check
from tests.integration.jobs.conftest import (
    NOON,
    TODAY,
    Home,
    add_task,
    alerts_of,
    complete,
    london,
)

YESTERDAY = TODAY - timedelta(days=1)


async def test_each_overdue_occurrence_raises_one_alert(home: Home) -> None:
    task = await add_task(home)

    assert await run_check(home.sessions, "check_tasks", home.tenant.id, NOON) == 2

    alerts = await alerts_of(home, Kind.TASK_OVERDUE)
    assert [a[0] for a in alerts] == sorted(
        f"task-overdue:{task.id}:{at.isoformat()}"
        for at in (london(YESTERDAY, 20), london(TODAY, 8))
    )
    assert {a[2] for a in alerts} == {f"/patients/{home.patient.id}/tasks/today"}


async def test_done_tasks_raise_nothing_and_an_undone_one_does(home: Home) -> None:
    done = await add_task(home)
    await complete(home, done, london(TODAY, 8))
    assert await run_check(home.sessions, "check_tasks", home.tenant.id, NOON) == 1  # 20:00

    undone = await add_task(home, title="Offer a drink")
    await complete(home, undone, london(TODAY, 8), undone=True)
    assert await run_check(home.sessions, "check_tasks", home.tenant.id, NOON) == 2


async def test_nothing_is_raised_while_an_occurrence_is_only_due(home: Home) -> None:
    await add_task(home, created_at=london(TODAY, 9))
    from datetime import time

    await add_task(home, title="Lunch", times=[time(11, 30)], created_at=london(TODAY, 9))

    # 11:30 becomes overdue at 12:30; the 08:00 came before the task was added.
    assert await run_check(home.sessions, "check_tasks", home.tenant.id, NOON) == 0


async def test_stopped_tasks_raise_nothing(home: Home) -> None:
    await add_task(home, stopped_at=NOON - timedelta(days=3), stopped_by=home.carer.id)

    assert await run_check(home.sessions, "check_tasks", home.tenant.id, NOON) == 0


async def test_twice_or_at_once_on_two_connections_each_alert_is_raised_once(
    home: Home,
) -> None:
    await add_task(home)
    await add_task(home, title="Offer a drink")

    first, second = await asyncio.gather(
        run_check(home.sessions, "check_tasks", home.tenant.id, NOON),
        run_check(home.sessions, "check_tasks", home.tenant.id, NOON),
    )
    again = await run_check(home.sessions, "check_tasks", home.tenant.id, NOON)

    assert (first + second, again) == (4, 0)
    assert len(await alerts_of(home, Kind.TASK_OVERDUE)) == 4
