"""The bottom bar marks one place as current, by one rule: a patient's record, every tab
of it (its Today tab too), is under Patients; Today is the day across everyone."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.domain.patients.nav import TABS
from tests.factories import make_patient, make_person, make_tenant, sign_in

NAV = re.compile(r'<nav class="bottom-nav".*?</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"[^>]*?aria-current="page"')


def current_place(page: str) -> list[str]:
    """The bottom bar's links marked current (a list: there must be exactly one)."""
    nav = NAV.search(page)
    assert nav, "no bottom bar"
    return LINK.findall(nav.group(0))


@pytest.fixture
async def admin_and_patient(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> str:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    patient = await make_patient(db_session, app.state.keyring, tenant, given="Nell")
    await db_session.commit()
    await sign_in(client, db_session, tenant, admin)
    return f"/patients/{patient.id}"


@pytest.mark.parametrize("tab", [path for _tab, _module, path in TABS])
async def test_every_tab_of_a_patient_s_record_is_under_patients(
    client: httpx.AsyncClient, admin_and_patient: str, tab: str
) -> None:
    response = await client.get(admin_and_patient + tab)
    assert response.status_code == 200, tab
    assert current_place(response.text) == ["/patients"], tab


@pytest.mark.parametrize(
    ("path", "place"),
    [
        ("/today", "/today"),
        ("/patients", "/patients"),
        ("/alerts", "/alerts"),
        ("/staff", "/staff"),
        ("/account", "/account"),
    ],
)
async def test_each_place_marks_itself(
    client: httpx.AsyncClient, admin_and_patient: str, path: str, place: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, path
    assert current_place(response.text) == [place]
