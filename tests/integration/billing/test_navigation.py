"""Navigation offers no module the plan lacks: the record tabs leave it out, and pages
link to none of its pages."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from litestar import Litestar, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.domain.billing.plans import includes, tiers
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.nav import TABS, patient_frame
from tests.factories import sign_in
from tests.integration.billing.helpers import RETIRED_PLAN, Team, set_plan

LACKING_VITALS = [plan for plan in tiers().plans if not includes(plan, "vitals")]


@get("/patients/{patient_id:str}/frame-probe")
async def frame_probe(
    request: Request, db_session: NamedDependency[AsyncSession], patient_id: FromPath[str]
) -> Template:
    """A record page with nothing of its own: only the name and the tabs."""
    me = request.scope["auth"]
    patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
    return Template("layouts/patient.html", context=patient_frame(me, patient, "today"))


@pytest.fixture
def app(app: Litestar) -> Litestar:
    app.register(frame_probe)
    return app


def _me(plan: str) -> AccessScope:
    return AccessScope(
        tenant_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        role=Role.CARER,
        display_name="Cai Carer",
        email="cai@example.com",
        tenant_name="Orchard Care",
        mfa_enabled=False,
        mfa_verified=False,
        require_mfa=False,
        locale=None,
        plan=plan,
    )


def _tab_urls(plan: str) -> list[str]:
    patient = ChosenPatient(uuid.uuid4(), "Petra Lovelace", archived=False)
    frame = patient_frame(_me(plan), patient, "today")
    return [tab["url"].removeprefix(f"/patients/{patient.id}") for tab in frame["tabs"]]


def _links(html: str) -> list[str]:
    """Where the page's links and forms lead (not its stylesheets and scripts)."""
    targets = re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', html)
    return [target for target in targets if not target.startswith("/static/")]


def _links_to(html: str, page: str) -> list[str]:
    return [link for link in _links(html) if re.search(re.escape(page) + r"(/|\?|$)", link)]


def test_some_plan_lacks_vitals() -> None:
    assert LACKING_VITALS, "tiers.json: the tests below need a plan without vitals"


@pytest.mark.parametrize("plan", [*LACKING_VITALS, RETIRED_PLAN])
def test_record_tabs_leave_out_vitals_when_the_plan_lacks_it(plan: str) -> None:
    urls = _tab_urls(plan)
    assert "/vitals" not in urls
    assert "/today" in urls  # always there, whatever the plan


@pytest.mark.parametrize("plan", list(tiers().plans))
def test_record_tabs_are_exactly_the_plan_s_modules(plan: str) -> None:
    expected = [path for _, module, path in TABS if module is None or includes(plan, module)]
    assert _tab_urls(plan) == expected


async def test_record_page_links_to_no_module_outside_the_plan(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "essentials")
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await client.get(f"/patients/{team.patient.id}/frame-probe")
    assert response.status_code == 200
    assert _links_to(response.text, f"/patients/{team.patient.id}/notes")
    assert not _links_to(response.text, "/vitals")
    assert not _links_to(response.text, "/medicines")


async def test_record_page_links_to_a_module_in_the_plan(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await set_plan(db_session, team.tenant, "complete")
    await sign_in(client, db_session, team.tenant, team.carer)
    response = await client.get(f"/patients/{team.patient.id}/frame-probe")
    assert _links_to(response.text, f"/patients/{team.patient.id}/vitals")


@pytest.mark.parametrize("role", ["admin", "carer"])
async def test_patient_page_links_to_no_vitals_when_the_plan_lacks_it(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, role: str
) -> None:
    await set_plan(db_session, team.tenant, LACKING_VITALS[0])
    await sign_in(client, db_session, team.tenant, getattr(team, role))
    response = await client.get(f"/patients/{team.patient.id}")
    assert response.status_code == 200
    assert "Petra" in response.text
    assert not _links_to(response.text, "/vitals")
