"""A reset link made by an administrator for a member, shown once like an invitation."""

from __future__ import annotations

import re
from html import unescape

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role, Tenant, User
from app.db.tenancy import bind_tenant
from tests.conftest import csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in
from tests.integration.identity.helpers import form_error, session_token, submit_login, use_token
from tests.integration.identity.test_sessions import join

NEW_PASSWORD = "lantern meadow copper violin"
LINK = re.compile(r'value="https://testserver\.local(/password-reset/[^"]+)"')


async def _post(client: httpx.AsyncClient, path: str, data: dict | None = None) -> httpx.Response:
    return await client.post(path, data=data or {}, headers=await csrf_headers(client))


async def _care_home(db: AsyncSession) -> tuple[Tenant, User, User]:
    tenant = await make_tenant(db, "Hillside Care")
    admin = await make_person(db, tenant, Role.ADMIN, name="Ada Admin")
    carer = await make_person(db, tenant, Role.CARER, name="Cai Carer", email="cai@example.com")
    return tenant, admin, carer


def _link(response: httpx.Response) -> str:
    found = LINK.search(response.text)
    assert found, "no reset link on the page"
    return unescape(found.group(1))


async def test_member_page_offers_a_reset_link_behind_a_confirmation(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin, carer = await _care_home(db_session)
    await sign_in(client, db_session, tenant, admin)

    member = await client.get(f"/staff/{carer.id}")
    confirm = await client.get(f"/staff/{carer.id}/password-reset")

    assert f'href="/staff/{carer.id}/password-reset"' in member.text
    assert confirm.status_code == 200
    assert "Yes, make a reset link" in confirm.text
    count = await db_session.scalar(text("SELECT count(*) FROM password_resets"))
    assert count == 0  # asking is not making


async def test_the_link_is_shown_once_and_lets_the_member_choose_a_password(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin, carer = await _care_home(db_session)
    await sign_in(other_client, db_session, tenant, carer)
    carer_phone = session_token(other_client)
    await sign_in(client, db_session, tenant, admin)

    made = await _post(client, f"/staff/{carer.id}/password-reset")

    assert made.status_code == 200
    path = _link(made)
    token = path.rsplit("/", 1)[1]
    assert token not in (await client.get(f"/staff/{carer.id}")).text  # shown this once
    stored = await db_session.scalar(
        text("SELECT encode(token_hash, 'hex') FROM password_resets WHERE user_id = :u"),
        {"u": carer.id},
    )
    assert stored is not None and token not in stored
    other_client.cookies.clear()
    assert (await other_client.get(path)).status_code == 200
    done = await _post(
        other_client, path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert done.status_code == 200
    assert carer_phone
    use_token(other_client, carer_phone)
    assert (await other_client.get("/account")).status_code == 303  # signed out
    other_client.cookies.clear()
    assert (await submit_login(other_client, "cai@example.com", PASSWORD)).status_code == 401
    assert (await submit_login(other_client, "cai@example.com", NEW_PASSWORD)).status_code == 303


async def test_only_admins_may_make_one(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin, carer = await _care_home(db_session)
    observer = await make_person(db_session, tenant, Role.OBSERVER)
    other_carer = await make_person(db_session, tenant, Role.CARER)
    for person in (other_carer, observer):
        await sign_in(client, db_session, tenant, person)
        assert (await client.get(f"/staff/{carer.id}/password-reset")).status_code == 403
        assert (await _post(client, f"/staff/{carer.id}/password-reset")).status_code == 403
    count = await db_session.scalar(text("SELECT count(*) FROM password_resets"))
    assert count == 0


async def test_an_admin_of_another_care_account_gets_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    _tenant, _admin, carer = await _care_home(db_session)
    elsewhere = await make_tenant(db_session, "Elsewhere")
    stranger = await make_person(db_session, elsewhere, Role.ADMIN)
    await sign_in(client, db_session, elsewhere, stranger)

    assert (await client.get(f"/staff/{carer.id}/password-reset")).status_code == 404
    assert (await _post(client, f"/staff/{carer.id}/password-reset")).status_code == 404
    count = await db_session.scalar(text("SELECT count(*) FROM password_resets"))
    assert count == 0


async def test_a_member_of_another_care_account_too_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin, carer = await _care_home(db_session)
    await join(db_session, await make_tenant(db_session, "Second home"), carer, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)

    response = await _post(client, f"/staff/{carer.id}/password-reset")

    assert response.status_code == 409
    assert "also belongs to another care account" in (form_error(response) or "")
    assert LINK.search(response.text) is None


async def test_making_a_link_is_audited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, admin, carer = await _care_home(db_session)
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/password-reset")

    await bind_tenant(db_session, tenant.id)
    row = (
        await db_session.execute(
            text(
                "SELECT actor_id, object_id FROM audit_events "
                "WHERE tenant_id = :t AND action = 'password.reset_link'"
            ),
            {"t": tenant.id},
        )
    ).one()
    assert (row.actor_id, row.object_id) == (admin.id, str(carer.id))
