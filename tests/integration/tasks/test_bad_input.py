"""Input no one could mean, on the care plan: refused beside the field or with a 400,
never a server error, and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.tasks import CareTaskCompletion
from app.db.tenancy import bind_tenant
from app.lib.day_ranges import plan_days
from tests.factories import sign_in
from tests.integration.tasks.conftest import ZONE, Team, add_task, post
from tests.integration.tasks.test_plan import FORM, stored


async def test_a_nul_byte_in_a_task_title_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    fields = {**FORM, "start_date": datetime.now(UTC).date().isoformat(), "title": "Wash\x00"}
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", fields)
    assert response.status_code == 400
    assert "That request was not understood" in response.text
    assert await stored(db_session, team) == []


@pytest.mark.parametrize("field", ["start_date", "end_date"])
async def test_a_task_starting_or_ending_in_9999_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, field: str
) -> None:
    await sign_in(client, db_session, team.tenant, team.carer)
    today = datetime.now(UTC).date()
    fields = {**FORM, "start_date": today.isoformat(), field: "9999-12-31"}
    response = await post(client, f"/patients/{team.patient.id}/tasks/new", fields)
    assert response.status_code == 422
    # The range's last day (five years from today where the care account is), as shown.
    latest = plan_days(datetime.now(ZoneInfo(ZONE)).date()).latest
    assert f"to {format_date(latest, format='medium', locale='en')}." in response.text
    assert 'value="9999-12-31"' in response.text  # what was typed is kept
    assert await stored(db_session, team) == []


async def test_ticking_off_an_occurrence_in_year_one_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    at = "0001-01-01T00:00:00+14:00"  # before UTC began: moving it there overflows
    task = await add_task(db_session, team)
    await sign_in(client, db_session, team.tenant, team.carer)
    url = f"/patients/{team.patient.id}/tasks/{task.id}/done"
    response = await post(client, url, {"at": at, "outcome": "done"})
    assert 400 <= response.status_code < 500
    await bind_tenant(db_session, team.tenant.id)
    assert await db_session.scalar(select(func.count()).select_from(CareTaskCompletion)) == 0
