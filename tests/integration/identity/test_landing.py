"""Where signing in leads: Today (what is due), unless a safe page was asked for."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.conftest import csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in, totp_now
from tests.integration.identity.helpers import input_value, submit_login


async def _sign_in_as_a_browser_would(client: httpx.AsyncClient, email: str) -> httpx.Response:
    """Open /login, then send its form with the `next` it holds."""
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": input_value(form, "next") or ""},
        headers=await csrf_headers(client),
    )


async def test_signing_in_lands_on_today(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="land@example.com")
    await db_session.commit()
    response = await _sign_in_as_a_browser_would(client, "land@example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    assert (await client.get("/login")).headers["location"] == "/today"


async def test_a_safe_next_page_is_still_honoured(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, Role.CARER, email="next-page@example.com")
    await db_session.commit()
    response = await submit_login(client, "next-page@example.com", next_path="/patients")
    assert response.headers["location"] == "/patients"


async def test_the_code_step_then_lands_on_today(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="code@example.com")
    await db_session.commit()
    response = await _sign_in_as_a_browser_would(client, "code@example.com")
    assert response.headers["location"].startswith("/login/mfa")
    form = await client.get(response.headers["location"])
    action = form.text.split('action="', 1)[1].split('"', 1)[0]
    code = totp_now(person.totp_secret)  # type: ignore[attr-defined]
    done = await client.post(action, data={"code": code}, headers=await csrf_headers(client))
    assert done.status_code == 303
    assert done.headers["location"] == "/today"


async def test_after_setting_up_two_step_sign_in_the_admin_goes_on_to_today(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, mfa=True)
    await sign_in(client, db_session, tenant, admin)
    response = await client.post("/account/mfa/recovery-codes", headers=await csrf_headers(client))
    assert response.status_code == 200
    assert 'class="button button--primary" href="/today"' in response.text


async def test_switching_care_account_lands_on_today(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, carer)
    response = await client.post(
        "/switch", data={"tenant_id": str(tenant.id)}, headers=await csrf_headers(client)
    )
    assert response.headers["location"] == "/today"
