"""Changing one's password on the account page: the current one first, then every other
session of the person ends while this one continues."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role, Session
from app.db.tenancy import bind_tenant
from app.domain.identity.throttle import FREE_FAILURES
from tests.conftest import csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in
from tests.integration.identity.helpers import (
    field_errors,
    form_error,
    input_value,
    is_sent_to_sign_in,
    session_token,
    submit_login,
    use_token,
)
from tests.integration.identity.test_sessions import join

NEW_PASSWORD = "lantern meadow copper violin"


async def _change(
    client: httpx.AsyncClient,
    current: str = PASSWORD,
    new: str = NEW_PASSWORD,
    confirm: str | None = None,
) -> httpx.Response:
    data = {
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }
    return await client.post("/account/password", data=data, headers=await csrf_headers(client))


async def _audit_actions(db: AsyncSession, tenant_id) -> list[str]:  # type: ignore[no-untyped-def]
    await bind_tenant(db, tenant_id)
    rows = await db.execute(
        text("SELECT action FROM audit_events WHERE tenant_id = :t ORDER BY seq"), {"t": tenant_id}
    )
    return [row.action for row in rows]


async def test_account_page_links_to_the_change_form(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)
    assert 'href="/account/password"' in (await client.get("/account")).text
    page = await client.get("/account/password")
    assert page.status_code == 200
    assert 'name="current_password"' in page.text


async def test_change_works_and_ends_every_other_session_but_this_one(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    db_session: AsyncSession,
) -> None:
    home = await make_tenant(db_session)
    away = await make_tenant(db_session)
    person = await make_person(db_session, home, email="changer@example.com")
    await join(db_session, away, person)
    elsewhere_id = await sign_in(other_client, db_session, away, person)
    phone_id = await sign_in(other_client, db_session, home, person)
    phone = session_token(other_client)
    here_id = await sign_in(client, db_session, home, person)

    response = await _change(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/account/password?done=1"
    done = await client.get(response.headers["location"])
    assert "Password changed" in done.text  # this session goes on
    assert (await client.get("/account")).status_code == 200
    assert phone
    use_token(other_client, phone)
    assert is_sent_to_sign_in(await other_client.get("/account"))
    for tenant, session_id, revoked in (
        (home, here_id, False),
        (home, phone_id, True),
        (away, elsewhere_id, True),
    ):
        await bind_tenant(db_session, tenant.id, person.id)
        revoked_at = await db_session.scalar(
            select(Session.revoked_at)
            .where(Session.tenant_id == tenant.id, Session.id == session_id)
            .execution_options(populate_existing=True)
        )
        assert (revoked_at is not None) is revoked
    # The new password signs in; the old one no longer does.
    fresh = other_client
    fresh.cookies.clear()
    assert (await submit_login(fresh, "changer@example.com", PASSWORD)).status_code == 401
    assert (await submit_login(fresh, "changer@example.com", NEW_PASSWORD)).status_code == 303


async def test_wrong_current_password_is_refused_beside_the_field_keeping_the_new_one(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, email="typo@example.com")
    await sign_in(client, db_session, tenant, person)

    response = await _change(client, current="not the password at all")

    assert response.status_code == 422
    assert field_errors(response) == {"current_password": "That is not your current password."}
    assert input_value(response, "new_password") == NEW_PASSWORD
    assert input_value(response, "confirm_password") == NEW_PASSWORD
    assert input_value(response, "current_password") is None  # never sent back
    fresh = await submit_login(client, "typo@example.com", NEW_PASSWORD)
    assert fresh.status_code == 401  # nothing changed


async def test_new_password_must_meet_the_policy_and_match(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)

    short = await _change(client, new="short")
    different = await _change(client, confirm="lantern meadow copper viola")

    assert short.status_code == 422
    assert "new_password" in field_errors(short)
    assert input_value(short, "new_password") is None  # a refused password is not put back
    assert different.status_code == 422
    assert field_errors(different) == {
        "confirm_password": "The two new passwords are not the same."
    }


async def test_observer_may_change_their_own_password(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.OBSERVER)
    await sign_in(client, db_session, tenant, person)
    assert (await _change(client)).status_code == 303


async def test_wrong_current_passwords_are_throttled(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)
    for _ in range(FREE_FAILURES):
        assert (await _change(client, current="guess guess guess")).status_code == 422

    response = await _change(client)  # even the right one must wait now

    assert response.status_code == 429
    assert "Try again in" in (form_error(response) or "")


async def test_a_change_is_audited(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)
    await _change(client)
    assert "password.change" in await _audit_actions(db_session, tenant.id)


async def test_nul_bytes_in_any_field_are_no_server_error(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)
    # Refused before the form is read, like a NUL in any other field (app/lib/unstorable):
    # nobody types one, so a password holding one is a broken client, not a choice.
    assert (await _change(client, current="nul\x00")).status_code == 400
    assert (await _change(client, confirm="x\x00")).status_code == 400
    assert (await _change(client, new="lantern\x00meadow copper")).status_code == 400
    assert (await client.get("/password-reset/abc%00def")).status_code == 400
