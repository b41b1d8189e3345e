"""Only administrators reach the staff pages: carers and observers get 403 on every one."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant, sign_in

SOME_ID = uuid.UUID("00000000-0000-4000-8000-000000000000")


def _staff_routes(member: uuid.UUID) -> list[tuple[str, str]]:
    return [
        ("GET", "/staff"),
        ("GET", f"/staff/{member}"),
        ("POST", f"/staff/{member}/role"),
        ("GET", f"/staff/{member}/deactivate"),
        ("POST", f"/staff/{member}/deactivate"),
        ("POST", f"/staff/{member}/reactivate"),
        ("GET", f"/staff/{member}/mfa-reset"),
        ("POST", f"/staff/{member}/mfa-reset"),
        ("GET", "/staff/invite"),
        ("POST", "/staff/invite"),
        ("GET", f"/staff/invites/{SOME_ID}/revoke"),
        ("POST", f"/staff/invites/{SOME_ID}/revoke"),
    ]


@pytest.mark.parametrize("role", [Role.CARER, Role.OBSERVER])
async def test_non_admins_get_403_on_every_staff_route(
    client: httpx.AsyncClient, db_session: AsyncSession, role: Role
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, role)
    colleague = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, person)
    headers = await csrf_headers(client)
    answers = {
        f"{method} {path}": (
            await client.request(
                method,
                path,
                data={"role": "admin", "email": "x@example.com"} if method == "POST" else None,
                headers=headers,
            )
        ).status_code
        for method, path in _staff_routes(colleague.id)
    }
    assert set(answers.values()) == {403}, answers


async def test_admin_reaches_every_staff_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    # The control for the test above: the same pages open for an administrator.
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    colleague = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, admin)
    for path in ("/staff", f"/staff/{colleague.id}", "/staff/invite"):
        assert (await client.get(path)).status_code == 200, path
    for path in (f"/staff/{colleague.id}/deactivate", f"/staff/{colleague.id}/mfa-reset"):
        assert (await client.get(path)).status_code == 200, path
