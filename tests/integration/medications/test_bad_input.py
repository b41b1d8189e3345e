"""Input no one could mean, on the medicine pages: refused beside the field or with a 400,
never a server error, and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import Medication, MedicationAdministration
from app.db.tenancy import bind_tenant
from app.lib.day_ranges import plan_days
from app.lib.i18n import activate
from tests.factories import sign_in

from .conftest import Ward, add_medicine, post
from .test_medicines import VALID

ABSURD_DAYS = ["0001-01-01", "9999-12-31"]


async def _count(db: AsyncSession, ward: Ward, model: type) -> int:
    await bind_tenant(db, ward.tenant.id)
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


def _range_message() -> str:
    activate("en")
    return plan_days(datetime.now(UTC).date()).message()


async def test_a_nul_byte_in_a_medicine_name_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/new", {**VALID, "name": "Para\x00cetamol"})
    assert response.status_code == 400
    assert "That request was not understood" in response.text
    assert await _count(db_session, ward, Medication) == 0


async def test_a_nul_byte_over_htmx_is_a_toast_that_leaves_the_form_alone(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(
        client, f"{ward.base}/new", {**VALID, "name": "Para\x00cetamol"}, htmx=True
    )
    assert response.status_code == 400
    assert response.headers["hx-retarget"] == "#toasts"
    assert "That request was not understood" in response.text
    assert await _count(db_session, ward, Medication) == 0


@pytest.mark.parametrize("day", ABSURD_DAYS)
@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
async def test_a_medicine_on_an_absurd_day_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, field: str, day: str
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    response = await post(client, f"{ward.base}/new", {**VALID, field: day})
    assert response.status_code == 422
    assert _range_message() in response.text
    assert f'value="{day}"' in response.text  # what was typed is kept
    assert await _count(db_session, ward, Medication) == 0


@pytest.mark.parametrize("day", ABSURD_DAYS)
async def test_the_chart_of_an_absurd_day_answers_400(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, day: str
) -> None:
    await sign_in(client, db_session, ward.tenant, ward.carer)
    for view in ("day", "week"):
        response = await client.get(f"{ward.base}/chart", params={"day": day, "view": view})
        assert response.status_code == 400, view
        assert "That request was not understood" in response.text


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
async def test_a_dose_at_an_absurd_time_is_no_dose(
    client: httpx.AsyncClient, db_session: AsyncSession, ward: Ward, at: str
) -> None:
    medicine = await add_medicine(db_session, ward)
    await sign_in(client, db_session, ward.tenant, ward.carer)
    shown = await client.get(f"{ward.base}/dose", params={"medication": medicine.id, "at": at})
    assert shown.status_code == 200
    response = await post(
        client,
        f"{ward.base}/dose",
        {"medication_id": str(medicine.id), "scheduled_for": at, "outcome": "given"},
    )
    assert response.status_code == 422
    assert "This dose could not be found. Open it again from the chart." in response.text
    assert await _count(db_session, ward, MedicationAdministration) == 0
