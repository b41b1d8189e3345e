"""The plan page: what each plan includes, and (self-hosted) an admin changing the plan."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import BillingSettings
from app.db.models import Role, Tenant, TenantSettings
from app.db.tenancy import bind_tenant
from app.domain.billing.plans import module_label, tiers
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant, sign_in
from tests.integration.billing.helpers import Team, module_routes, set_plan
from tests.integration.web.html_elements import find_all, parse

MANAGED = "Your plan is managed by your provider."


async def _plan(db: AsyncSession, tenant: Tenant) -> str:
    await bind_tenant(db, tenant.id)
    plan = await db.scalar(
        select(TenantSettings.plan)
        .where(TenantSettings.tenant_id == tenant.id)
        .execution_options(populate_existing=True)
    )
    assert plan is not None
    return plan


async def _plan_changes(db: AsyncSession, tenant: Tenant) -> list[dict]:
    await bind_tenant(db, tenant.id)
    rows = await db.execute(
        text("SELECT detail FROM audit_events WHERE action = 'plan.change' ORDER BY seq")
    )
    return [row.detail for row in rows]


async def _choose(client: httpx.AsyncClient, htmx: bool = False, **form: str) -> httpx.Response:
    headers = await csrf_headers(client)
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post("/settings/plan", data=form, headers=headers)


@pytest.fixture
async def admin(client: httpx.AsyncClient, db_session: AsyncSession, team: Team) -> Team:
    """The team, with its admin signed in."""
    await sign_in(client, db_session, team.tenant, team.admin)
    return team


@pytest.fixture
def provider_managed(app: Litestar) -> None:
    """Tend run by a provider (TEND_SELF_HOSTED=false): plans come from outside."""
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, billing=BillingSettings(self_hosted=False))


def _listed_modules(page: str) -> dict[str, set[str]]:
    """Each plan's list on the page: plan label → the module names it shows."""
    elements = parse(page)
    listed: dict[str, set[str]] = {}
    for ul in find_all(elements, "ul"):
        label = ul.attrs.get("aria-label") or ""
        if not label.startswith("Modules in "):
            continue
        rows = [li for li in find_all(elements, "li") if li.ancestors and li.ancestors[-1] is ul]
        # Each row: the module's name in its first span, then whether it is included.
        names = [
            next(s for s in find_all(elements, "span") if s.ancestors and s.ancestors[-1] is li)
            for li in rows
        ]
        listed[label.removeprefix("Modules in ")] = {"".join(n.text).strip() for n in names}
    return listed


@pytest.mark.parametrize("self_hosted", [True, False])
async def test_the_plan_page_lists_exactly_the_modules_tend_has(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    app: Litestar,
    admin: Team,
    self_hosted: bool,
) -> None:
    """A module is on offer once it is built: its routes stand behind its gate
    (`module_router`). No plan lists a module Tend does not have, and every plan lists
    every module Tend has (included or not)."""
    built = {module for _method, _path, module in module_routes(app)}
    assert built, "the app has no module routes"
    assert set(tiers().modules) == built
    if not self_hosted:
        settings = app.state.settings
        app.state.settings = dataclasses.replace(
            settings, billing=BillingSettings(self_hosted=False)
        )
    page = (await client.get("/settings/plan")).text
    names = {module_label(module) for module in built}
    listed = _listed_modules(page)
    assert set(listed) == {"Essentials", "Family", "Complete"}
    for plan, shown in listed.items():
        assert shown == names, plan
    for unbuilt in ("Appointments", "Incidents", "Documents", "Messages", "Assessments",
                    "Reports", "Prescription scanning"):  # fmt: skip
        assert unbuilt not in page


async def test_admin_sees_the_plan_and_what_each_plan_includes(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    await set_plan(db_session, admin.tenant, "family")
    response = await client.get("/settings/plan")
    assert response.status_code == 200
    page = response.text
    assert '<p class="current-plan"><strong>Family</strong></p>' in page
    for slug in ("essentials", "family", "complete"):
        assert f'name="plan" value="{slug}"' in page
    assert 'value="family" checked' in page
    assert "Current plan" in page
    assert "Included" in page
    assert "Not included" in page
    assert "2 of 4 modules" in page  # essentials
    assert "4 of 4 modules" in page  # complete
    assert MANAGED not in page


@pytest.mark.parametrize("role", ["carer", "observer"])
async def test_only_an_admin_reaches_the_plan_page(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team, role: str
) -> None:
    await sign_in(client, db_session, team.tenant, getattr(team, role))
    assert (await client.get("/settings/plan")).status_code == 403
    assert (await _choose(client, plan="essentials")).status_code == 403
    assert await _plan(db_session, team.tenant) == "complete"


async def test_admin_changes_the_plan_and_it_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    await set_plan(db_session, admin.tenant, "essentials")
    response = await _choose(client, plan="family")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/plan?saved=true"
    assert await _plan(db_session, admin.tenant) == "family"
    assert await _plan_changes(db_session, admin.tenant) == [{"from": "essentials", "to": "family"}]
    page = await client.get(response.headers["location"])
    assert "Plan changed to Family." in page.text
    assert '<p class="current-plan"><strong>Family</strong></p>' in page.text


async def test_a_change_applies_to_the_next_request(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    await _choose(client, plan="essentials", confirm="essentials")
    account = await client.get("/settings/plan")
    assert 'value="essentials" checked' in account.text


async def test_a_change_only_touches_the_admin_s_own_care_account(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    other = await make_tenant(db_session, "Elsewhere Care")
    await make_person(db_session, other, Role.ADMIN)
    await db_session.commit()
    await _choose(client, plan="essentials", confirm="essentials")
    assert await _plan(db_session, admin.tenant) == "essentials"
    assert await _plan(db_session, other) == "complete"


async def test_losing_modules_is_confirmed_first(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    response = await _choose(client, plan="essentials")
    assert response.status_code == 200
    assert "Change to Essentials?" in response.text
    assert "Carers will no longer see: Medicines and Vitals." in response.text
    assert "Nothing recorded is deleted" in response.text
    assert 'name="confirm" value="essentials"' in response.text
    assert await _plan(db_session, admin.tenant) == "complete"
    assert await _plan_changes(db_session, admin.tenant) == []


async def test_confirmed_loss_of_modules_changes_the_plan(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    response = await _choose(client, plan="essentials", confirm="essentials")
    assert response.status_code == 303
    assert await _plan(db_session, admin.tenant) == "essentials"
    assert await _plan_changes(db_session, admin.tenant) == [
        {"from": "complete", "to": "essentials"}
    ]


async def test_a_confirmation_is_for_the_plan_it_was_given_for(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    response = await _choose(client, plan="essentials", confirm="complete")
    assert response.status_code == 200
    assert "Change to Essentials?" in response.text
    assert "Vitals" in response.text
    assert await _plan(db_session, admin.tenant) == "complete"


async def test_choosing_the_current_plan_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    response = await _choose(client, htmx=True, plan="complete")
    assert response.status_code == 200
    assert "already your plan" in response.headers["hx-trigger"]
    response = await _choose(client, plan="complete")
    assert response.headers["location"] == "/settings/plan"
    assert await _plan_changes(db_session, admin.tenant) == []


@pytest.mark.parametrize("plan", ["platinum", "", "Complete"])
async def test_an_unknown_plan_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team, plan: str
) -> None:
    response = await _choose(client, plan=plan)
    assert response.status_code == 422
    assert 'id="error-plan"' in response.text
    assert "Choose one of the plans below." in response.text
    assert 'aria-describedby="error-plan"' in response.text
    assert await _plan(db_session, admin.tenant) == "complete"


async def test_htmx_change_answers_with_the_panel_and_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    await set_plan(db_session, admin.tenant, "essentials")
    response = await _choose(client, htmx=True, plan="complete")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="plan-settings"' in response.text
    assert 'value="complete" checked' in response.text
    assert "toast" in response.headers["hx-trigger"]
    assert "Plan changed to Complete" in response.headers["hx-trigger"]
    assert "HX-Request" in response.headers["vary"]


async def test_htmx_confirmation_answers_with_the_panel(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    response = await _choose(client, htmx=True, plan="essentials")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Carers will no longer see:" in response.text


async def test_provider_managed_plan_is_shown_read_only(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team, provider_managed: None
) -> None:
    response = await client.get("/settings/plan")
    assert response.status_code == 200
    assert MANAGED in response.text
    assert 'name="plan"' not in response.text
    assert "<form" not in response.text.split('id="plan-settings"')[1].split("</main>")[0]
    assert "Not included" in response.text


async def test_provider_managed_plan_cannot_be_changed(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team, provider_managed: None
) -> None:
    for htmx in (False, True):
        response = await _choose(client, htmx=htmx, plan="essentials", confirm="essentials")
        assert response.status_code == 403
        assert "The plan cannot be changed here" in response.text
    assert await _plan(db_session, admin.tenant) == "complete"
    assert await _plan_changes(db_session, admin.tenant) == []


async def test_account_page_links_admins_to_the_plan_page(
    client: httpx.AsyncClient, db_session: AsyncSession, team: Team
) -> None:
    await sign_in(client, db_session, team.tenant, team.admin)
    assert 'href="/settings/plan"' in (await client.get("/account")).text
    client.cookies.clear()
    await sign_in(client, db_session, team.tenant, team.carer)
    assert "/settings/plan" not in (await client.get("/account")).text


async def test_the_form_works_without_javascript(
    client: httpx.AsyncClient, db_session: AsyncSession, admin: Team
) -> None:
    """A plain form post: the CSRF token in the body, as the page's form sends it."""
    page = await client.get("/settings/plan")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    response = await client.post(
        "/settings/plan", data={"_csrf_token": token, "plan": "family", "confirm": "family"}
    )
    assert response.status_code == 303
    assert await _plan(db_session, admin.tenant) == "family"
