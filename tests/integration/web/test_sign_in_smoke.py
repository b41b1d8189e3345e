"""The factories sign a person in the way the app expects."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from tests.factories import make_person, make_tenant, sign_in


async def test_signed_in_person_reaches_their_account_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session, "Riverside Care")
    carer = await make_person(db_session, tenant, Role.CARER, name="Cara Carer")
    await sign_in(client, db_session, tenant, carer)
    response = await client.get("/account")
    assert response.status_code == 200
    assert "Cara Carer" in response.text
    assert "Riverside Care" in response.text


async def test_anonymous_person_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"
