"""The dose check: one alert per scheduled dose whose window closed with nothing
recorded, raised once however often and however many workers run it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.domain.alerts.kinds import Kind
from app.domain.jobs.checks import run_check
from tests.integration.jobs.conftest import (
    NOON,
    TODAY,
    Home,
    add_medicine,
    alerts_of,
    london,
    record_dose,
)

YESTERDAY = TODAY - timedelta(days=1)


async def test_each_unrecorded_dose_whose_window_closed_raises_one_alert(home: Home) -> None:
    medicine = await add_medicine(home, times=["08:00", "20:00"])

    raised = await run_check(home.sessions, "check_doses", home.tenant.id, NOON)

    # The window (60 minutes) of yesterday 20:00 and today 08:00 has closed; yesterday's
    # 08:00 closed more than a day ago and is left alone.
    assert raised == 2
    alerts = await alerts_of(home, Kind.DOSE_UNRECORDED)
    evening, morning = london(YESTERDAY, 20), london(TODAY, 8)
    assert [a[0] for a in alerts] == sorted(
        f"dose-unrecorded:{medicine.id}:{moment.isoformat()}" for moment in (evening, morning)
    )
    _key, params, link = next(a for a in alerts if a[0].endswith(morning.isoformat()))
    assert params == {"medicine": "Amlodipine", "scheduled": morning.isoformat()}
    assert link == f"/patients/{home.patient.id}/medicines/chart?view=day&day={TODAY}"


async def test_recorded_doses_raise_nothing(home: Home) -> None:
    medicine = await add_medicine(home, times=["08:00"])
    await record_dose(home, medicine, london(TODAY, 8))

    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 0
    assert await alerts_of(home, Kind.DOSE_UNRECORDED) == []


async def test_nothing_is_raised_before_the_window_closes(home: Home) -> None:
    await add_medicine(home, times=["11:30"], created_at=london(TODAY, 9))

    # 11:30's window closes at 12:30; yesterday's 11:30 came before the medicine was added.
    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 0
    assert await run_check(home.sessions, "check_doses", home.tenant.id, london(TODAY, 12, 31)) == 1


async def test_stopped_and_as_needed_medicines_raise_nothing(home: Home) -> None:
    await add_medicine(home, stopped_at=NOON - timedelta(days=3), stopped_by=home.carer.id)
    await add_medicine(home, ends_on=TODAY - timedelta(days=3))
    await add_medicine(home, prn=True, times=[], prn_reason="pain")

    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 0


async def test_a_medicine_stopped_today_raises_only_for_doses_before_it_stopped(
    home: Home,
) -> None:
    await add_medicine(home, stopped_at=london(TODAY, 7), stopped_by=home.carer.id)

    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 1  # 20:00


async def test_running_the_check_twice_raises_nothing_more(home: Home) -> None:
    await add_medicine(home)

    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 2
    assert await run_check(home.sessions, "check_doses", home.tenant.id, NOON) == 0
    assert len(await alerts_of(home, Kind.DOSE_UNRECORDED)) == 2


async def test_two_checks_at_once_on_two_connections_raise_each_alert_once(
    home: Home,
) -> None:
    await add_medicine(home)
    await add_medicine(home, name="Metformin")

    first, second = await asyncio.gather(
        run_check(home.sessions, "check_doses", home.tenant.id, NOON),
        run_check(home.sessions, "check_doses", home.tenant.id, NOON),
    )

    assert first + second == 4
    assert len(await alerts_of(home, Kind.DOSE_UNRECORDED)) == 4
