"""A dose past its window is not "given now" in one tap: the carer says when it was
given (now is offered) and, when that was outside the window, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import MedicationAdministration
from app.db.tenancy import bind_tenant
from app.domain.medications.controllers._shared import dose_key
from tests.factories import sign_in

from .conftest import ZONE, Ward, add_medicine, post, yesterday_at

LONDON = ZoneInfo(ZONE)


async def _records(db: AsyncSession, ward: Ward) -> list[MedicationAdministration]:
    await bind_tenant(db, ward.tenant.id)
    statement = (
        select(MedicationAdministration)
        .where(MedicationAdministration.patient_id == ward.patient.id)
        .execution_options(populate_existing=True)
    )
    return list((await db.scalars(statement)).all())


def _tap(medicine, at: datetime, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the Today card's "Given" button sends, plus `fields`."""
    return {
        "medication_id": str(medicine.id),
        "scheduled_for": at.isoformat(),
        "outcome": "given",
        **fields,
    }


def _clocks_around_now() -> set[str]:
    now = datetime.now(UTC)
    return {(now + timedelta(minutes=m)).astimezone(LONDON).strftime("%H:%M") for m in (0, 1)}


def _time_input(clock: str) -> str:
    return f'name="given_time" type="time" value="{clock}"'


async def test_given_on_a_late_dose_asks_when_it_was_given_in_place(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    clocks = _clocks_around_now()
    response = await post(client, f"{ward.base}/dose", _tap(medicine, yesterday_at(8)), htmx=True)
    assert response.status_code == 422
    assert await _records(db_session, ward) == []
    # The form takes the row's place on Today (same id), asking for the time, now offered.
    assert f'id="{dose_key(medicine.id, yesterday_at(8))}"' in response.text
    assert "This dose is late: enter when it was actually given." in response.text
    assert any(_time_input(clock) in response.text for clock in clocks)
    assert 'value="given" checked' in response.text


async def test_given_on_a_late_dose_asks_without_javascript_too(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/dose", _tap(medicine, yesterday_at(8)))
    assert response.status_code == 422
    assert "<html" in response.text  # the dose page, not a fragment
    assert "This dose is late: enter when it was actually given." in response.text
    assert await _records(db_session, ward) == []


async def test_a_late_dose_given_in_its_window_is_recorded_on_time(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.base}/dose", _tap(medicine, yesterday_at(8), given_time="08:10"), htmx=True
    )
    assert response.status_code == 200
    [row] = await _records(db_session, ward)
    assert (row.given_at, row.late, row.note) == (yesterday_at(8, 10), False, "")


async def test_a_dose_given_past_its_window_needs_a_reason_and_keeps_what_was_typed(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    no_reason = await post(
        client, f"{ward.base}/dose", _tap(medicine, yesterday_at(8), given_time="18:30"), htmx=True
    )
    assert no_reason.status_code == 422
    assert "Given more than 60 minutes from its time: say why." in no_reason.text
    assert _time_input("18:30") in no_reason.text
    assert await _records(db_session, ward) == []
    done = await post(
        client,
        f"{ward.base}/dose",
        _tap(medicine, yesterday_at(8), given_time="18:30", note="Out at the day centre"),
        htmx=True,
    )
    assert done.status_code == 200
    assert "Late" in done.text
    [row] = await _records(db_session, ward)
    assert (row.given_at, row.late, row.note) == (
        yesterday_at(18, 30),
        True,
        "Out at the day centre",
    )


async def test_a_time_given_long_after_the_dose_is_on_the_dose_s_day(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    # 13 h after an 08:00 dose is 21:00 that day, not 21:00 the evening before.
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    data = _tap(medicine, yesterday_at(8), given_time="21:00", note="Forgotten, then found")
    assert (await post(client, f"{ward.base}/dose", data)).status_code == 303
    [row] = await _records(db_session, ward)
    assert row.given_at == yesterday_at(21)


async def test_the_dose_page_of_a_late_dose_offers_now_and_says_it_is_late(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    clocks = _clocks_around_now()
    page = await client.get(
        f"{ward.base}/dose",
        params={"medication": str(medicine.id), "at": yesterday_at(8).isoformat()},
    )
    assert page.status_code == 200
    assert "This dose is late." in page.text
    assert any(_time_input(clock) in page.text for clock in clocks)


async def test_a_dose_in_its_window_is_still_one_tap(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    medicine = await add_medicine(
        db_session, ward, times=[now.astimezone(LONDON).strftime("%H:%M")]
    )
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/dose", _tap(medicine, now), htmx=True)
    assert response.status_code == 200
    [row] = await _records(db_session, ward)
    assert (row.outcome, row.late) == ("given", False)
