"""Changing a member: role, deactivation, reactivation, MFA reset, and what each does next."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, Role, User
from app.db.tenancy import bind_tenant
from tests.conftest import csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in, stored_mfa_secret
from tests.integration.staff.helpers import audit_actions

HTMX = {"HX-Request": "true"}


async def _post(client: httpx.AsyncClient, path: str, data: dict | None = None, **headers: str):
    return await client.post(
        path, data=data or {}, headers={**await csrf_headers(client), **headers}
    )


async def test_member_page_shows_role_status_and_email(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara", email="cara@example.com")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get(f"/staff/{carer.id}")
    assert response.status_code == 200
    assert "cara@example.com" in response.text
    assert "Carer" in response.text
    assert "Active" in response.text


async def test_carer_promoted_to_admin_opens_staff_on_their_next_request(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, carer)
    assert (await other_client.get("/staff")).status_code == 403
    response = await _post(client, f"/staff/{carer.id}/role", {"role": "admin"})
    assert response.status_code == 303
    assert (await other_client.get("/staff")).status_code == 200


async def test_admin_demoted_to_carer_gets_403_on_their_next_request(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    other_admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, other_admin)
    assert (await other_client.get("/staff")).status_code == 200
    await _post(client, f"/staff/{other_admin.id}/role", {"role": "carer"})
    assert (await other_client.get("/staff")).status_code == 403


async def test_role_change_by_htmx_answers_with_the_card_and_a_toast(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{carer.id}/role", {"role": "observer"}, **HTMX)
    assert response.status_code == 200
    assert 'id="member"' in response.text
    assert "<html" not in response.text
    assert "toast" in response.headers["hx-trigger"]


async def test_unknown_role_is_refused_beside_the_field(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{carer.id}/role", {"role": "owner"})
    assert response.status_code == 422
    assert 'id="error-role"' in response.text


async def test_role_change_is_audited(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/role", {"role": "observer"})
    assert "staff.role_change" in await audit_actions(db_session, tenant.id)


async def test_only_admin_cannot_demote_themself(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/role", {"role": "carer"})
    assert response.status_code == 422
    assert "only active administrator" in response.text
    await bind_tenant(db_session, tenant.id)
    role = await db_session.scalar(select(Membership.role).where(Membership.user_id == admin.id))
    assert role == "admin"


async def test_only_admin_cannot_deactivate_themself(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/deactivate")
    assert response.status_code == 422
    assert "only active administrator" in response.text
    assert (await client.get("/staff")).status_code == 200


async def test_deactivated_admin_does_not_count_as_another_admin(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await make_person(db_session, tenant, Role.ADMIN, status="deactivated")
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/role", {"role": "observer"})
    assert response.status_code == 422


async def test_admin_with_another_admin_may_step_down(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/role", {"role": "carer"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert (await client.get("/staff")).status_code == 403


async def test_deactivation_asks_for_confirmation_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get(f"/staff/{carer.id}/deactivate")
    assert response.status_code == 200
    assert "Deactivate Cara Carer?" in response.text
    assert f'action="/staff/{carer.id}/deactivate"' in response.text


async def test_deactivation_signs_the_member_out_on_their_next_request(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, carer)
    assert (await other_client.get("/account")).status_code == 200
    response = await _post(client, f"/staff/{carer.id}/deactivate")
    assert response.status_code == 303
    signed_out = await other_client.get("/account")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login")


async def test_deactivated_member_cannot_sign_in_to_the_care_account(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, email="leaving@example.com")
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/deactivate")
    response = await _post(
        other_client, "/login", {"email": "leaving@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "not active in any care account" in response.text


async def test_reactivation_lets_the_member_sign_in_again(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, email="back@example.com")
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/deactivate")
    response = await _post(client, f"/staff/{carer.id}/reactivate")
    assert response.status_code == 303
    signed_in = await _post(
        other_client, "/login", {"email": "back@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 303
    assert (await other_client.get("/account")).status_code == 200


async def test_reactivation_does_not_revive_old_sessions(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, carer)
    await _post(client, f"/staff/{carer.id}/deactivate")
    await _post(client, f"/staff/{carer.id}/reactivate")
    assert (await other_client.get("/account")).status_code == 303


@pytest.mark.parametrize(
    ("path", "action"),
    [("deactivate", "staff.deactivate"), ("reactivate", "staff.reactivate")],
)
async def test_status_changes_are_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, path: str, action: str
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    status = "deactivated" if path == "reactivate" else "active"
    carer = await make_person(db_session, tenant, Role.CARER, status=status)
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/{path}")
    assert action in await audit_actions(db_session, tenant.id)


async def test_mfa_reset_asks_for_confirmation_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, mfa=True, name="Cara Carer")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get(f"/staff/{carer.id}/mfa-reset")
    assert response.status_code == 200
    assert "Reset two-step sign-in for Cara Carer?" in response.text


async def test_mfa_reset_clears_the_second_factor(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{carer.id}/mfa-reset")
    assert response.status_code == 303
    await bind_tenant(db_session, tenant.id)
    row = (
        await db_session.execute(
            select(User.mfa_enabled_at, User.mfa_last_step).where(User.id == carer.id)
        )
    ).one()
    assert tuple(row) == (None, None)
    assert await stored_mfa_secret(db_session, carer.id) is None


async def test_mfa_reset_ends_the_members_sessions(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    other_admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, other_admin)
    await _post(client, f"/staff/{other_admin.id}/mfa-reset")
    response = await other_client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_mfa_reset_is_audited(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, admin)
    await _post(client, f"/staff/{carer.id}/mfa-reset")
    assert "staff.mfa_reset" in await audit_actions(db_session, tenant.id)


async def test_admin_cannot_reset_their_own_mfa_here(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/mfa-reset")
    assert response.status_code == 422
    assert (await client.get("/staff")).status_code == 200


async def test_changing_another_care_accounts_member_is_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours = await make_tenant(db_session)
    carer = await make_person(db_session, ours, Role.CARER)
    theirs = await make_tenant(db_session)
    stranger = await make_person(db_session, theirs, Role.ADMIN)
    await sign_in(client, db_session, theirs, stranger)
    response = await _post(client, f"/staff/{carer.id}/deactivate")
    assert response.status_code == 404
    await bind_tenant(db_session, ours.id)
    status = await db_session.scalar(
        select(Membership.status).where(Membership.user_id == carer.id)
    )
    assert status == "active"


async def test_mfa_reset_of_someone_without_mfa_leaves_them_signed_in(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    carer = await make_person(db_session, tenant, Role.CARER, mfa=False)
    await sign_in(client, db_session, tenant, admin)
    await sign_in(other_client, db_session, tenant, carer)
    await _post(client, f"/staff/{carer.id}/mfa-reset")
    assert (await other_client.get("/account")).status_code == 200
    assert "staff.mfa_reset" not in await audit_actions(db_session, tenant.id)


async def test_admin_with_another_admin_may_deactivate_themself_and_is_signed_out(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await _post(client, f"/staff/{admin.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await client.get("/staff")).status_code == 303
