"""A PRN dose backdated before doses already recorded meets the same limits as one given
in time order, and a dose given with an override shows it on the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import MedicationAdministration
from app.db.tenancy import bind_tenant
from tests.factories import sign_in

from .conftest import ZONE, Ward, add_medicine, post

LONDON = ZoneInfo(ZONE)
LATER_REFUSAL = "Too close to the doses recorded after this time"


def _prn(**values):  # type: ignore[no-untyped-def]
    return {
        "prn": True,
        "times": [],
        "name": "Oramorph",
        "prn_reason": "Pain",
        "min_interval_minutes": 240,
        "max_per_day": 4,
        **values,
    }


def _clock(hours_ago: float, now: datetime) -> str:
    return (now - timedelta(hours=hours_ago)).astimezone(LONDON).strftime("%H:%M")


def _give(medicine, clock: str, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "medication_id": str(medicine.id),
        "outcome": "given",
        "prn_reason": "Pain",
        "given_time": clock,
        **fields,
    }


async def _given(db: AsyncSession, ward: Ward) -> list[MedicationAdministration]:
    await bind_tenant(db, ward.tenant.id)
    statement = select(MedicationAdministration).where(
        MedicationAdministration.patient_id == ward.patient.id
    )
    return list((await db.scalars(statement)).all())


# (limits, doses entered in this order as hours before now, refused: which of them)
CASES = [
    # 4 h minimum: 19:06, then 18:06 and 16:06 typed afterwards.
    ({"min_interval_minutes": 240}, [3, 4, 6], [4, 6]),
    # Well apart, either order: nothing refused.
    ({"min_interval_minutes": 240}, [1, 9, 5], []),
    # At most 2 in 24 h: four doses within 6 h, the latest first.
    ({"min_interval_minutes": 60, "max_per_day": 2}, [0, 2, 4, 6], [4, 6]),
    # In time order, as before.
    ({"min_interval_minutes": 240}, [6, 3], [3]),
]


@pytest.mark.parametrize(("limits", "entered", "refused"), CASES)
async def test_prn_limits_hold_whatever_order_doses_are_entered(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    ward: Ward,
    limits: dict[str, int],
    entered: list[int],
    refused: list[int],
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn(**limits))
    await sign_in(client, db_session, ward.tenant, ward.carer)
    now = datetime.now(UTC)
    answers = {}
    for hours in entered:
        response = await post(client, f"{ward.base}/dose", _give(medicine, _clock(hours, now)))
        answers[hours] = response.status_code
        if hours in refused:
            assert response.status_code == 422
            assert "say why" in response.text
    assert [h for h, status in answers.items() if status == 422] == refused
    assert all(status == 303 for h, status in answers.items() if h not in refused)
    assert len(await _given(db_session, ward)) == len(entered) - len(refused)


async def test_a_backdated_dose_is_recorded_with_an_override_reason(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn())
    await sign_in(client, db_session, ward.tenant, ward.carer)
    now = datetime.now(UTC)
    assert (
        await post(client, f"{ward.base}/dose", _give(medicine, _clock(1, now)))
    ).status_code == 303
    refused = await post(client, f"{ward.base}/dose", _give(medicine, _clock(3, now)), htmx=True)
    assert refused.status_code == 422
    assert LATER_REFUSAL in refused.text
    assert f'value="{_clock(3, now)}"' in refused.text  # what was typed is kept
    overridden = await post(
        client,
        f"{ward.base}/dose",
        _give(medicine, _clock(3, now), override_reason="Written up late; nurse agreed"),
        htmx=True,
    )
    assert overridden.status_code == 200
    assert "Override" in overridden.text
    assert "Written up late; nurse agreed" in overridden.text
    reasons = sorted(r.override_reason for r in await _given(db_session, ward))
    assert reasons == ["", "Written up late; nurse agreed"]


@pytest.mark.parametrize("view", ["day", "week"])
async def test_the_chart_shows_an_override_and_its_reason(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, view: str
) -> None:
    medicine = await add_medicine(db_session, ward, **_prn())
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    await bind_tenant(db_session, ward.tenant.id)
    for minutes, reason in ((0, ""), (30, "Severe pain; GP agreed by phone")):
        at = moment + timedelta(minutes=minutes)
        db_session.add(
            MedicationAdministration(
                tenant_id=ward.tenant.id,
                patient_id=ward.patient.id,
                medication_id=medicine.id,
                dose_at=at,
                given_at=at,
                outcome="given",
                prn_reason="Pain",
                override_reason=reason,
                recorded_by=ward.carer.id,
                recorded_at=at,
            )
        )
    await db_session.flush()
    await sign_in(client, db_session, ward.tenant, ward.carer)
    day = (moment + timedelta(minutes=30)).astimezone(LONDON).date().isoformat()
    chart = await client.get(f"{ward.base}/chart", params={"day": day, "view": view})
    assert chart.status_code == 200
    # Symbol and word, the reason as text and as the mark's title; once, for its dose.
    assert chart.text.count('<span aria-hidden="true">⚑</span> Override</span>') == 1
    assert "Override: Severe pain; GP agreed by phone" in chart.text
    assert 'title="Severe pain; GP agreed by phone"' in chart.text
