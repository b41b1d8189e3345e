"""The staff list: this care account's members only, searchable, paginated by key."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, Role, User
from app.db.tenancy import bind_tenant
from tests.factories import make_person, make_tenant, sign_in
from tests.integration.staff.helpers import link_with_rel, member_ids


async def test_admin_sees_the_members_of_their_care_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Ada Admin")
    await make_person(db_session, tenant, Role.CARER, name="Cara Carer", email="cara@example.com")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff")
    assert response.status_code == 200
    assert "Cara Carer" in response.text
    assert "cara@example.com" in response.text


async def test_another_care_accounts_admin_sees_none_of_them(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours = await make_tenant(db_session)
    await make_person(db_session, ours, Role.ADMIN, name="Ours Admin")
    await make_person(db_session, ours, Role.CARER, name="Ours Carer")
    theirs = await make_tenant(db_session)
    stranger = await make_person(db_session, theirs, Role.ADMIN, name="Theirs Admin")
    await sign_in(client, db_session, theirs, stranger)
    response = await client.get("/staff")
    assert response.status_code == 200
    assert "Ours Admin" not in response.text
    assert "Ours Carer" not in response.text
    assert member_ids(response.text) == [stranger.id]


async def test_another_care_accounts_member_page_is_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    ours = await make_tenant(db_session)
    carer = await make_person(db_session, ours, Role.CARER)
    theirs = await make_tenant(db_session)
    stranger = await make_person(db_session, theirs, Role.ADMIN)
    await sign_in(client, db_session, theirs, stranger)
    response = await client.get(f"/staff/{carer.id}")
    assert response.status_code == 404


async def test_search_finds_members_by_part_of_the_name(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, name="Ada Admin")
    harriet = await make_person(db_session, tenant, Role.CARER, name="Harriet Hughes")
    await make_person(db_session, tenant, Role.CARER, name="Ivan Ito")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff", params={"q": "HARR"})
    assert member_ids(response.text) == [harriet.id]


async def test_search_finds_members_by_email(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    ivan = await make_person(db_session, tenant, Role.CARER, email="ivan.ito@example.org")
    await make_person(db_session, tenant, Role.CARER, email="someone@example.org")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff", params={"q": "ivan.ito@"})
    assert member_ids(response.text) == [ivan.id]


async def test_search_treats_wildcards_as_plain_text(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await make_person(db_session, tenant, Role.CARER, name="Plain Name")
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff", params={"q": "%"})
    assert member_ids(response.text) == []


async def test_search_with_no_match_says_what_to_try(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff", params={"q": "nobody-like-this"})
    assert "Nobody matches that search" in response.text


async def test_htmx_search_gets_only_the_member_list(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN)
    await sign_in(client, db_session, tenant, admin)
    response = await client.get("/staff", params={"q": "a"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="members"' in response.text


async def _thirty_members(db: AsyncSession, client: httpx.AsyncClient) -> list:
    tenant = await make_tenant(db)
    admin = await make_person(db, tenant, Role.ADMIN, name="Admin Person")
    for number in range(30):
        # Some names differ only in case: the order is by lower(name), then id.
        name = f"Member {number % 15:02d}" if number < 15 else f"MEMBER {number % 15:02d}"
        await make_person(db, tenant, Role.CARER, name=name)
    await sign_in(client, db, tenant, admin)
    await bind_tenant(db, tenant.id)
    ordered = await db.scalars(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id)
        .order_by(func.lower(User.display_name), User.id)
    )
    return list(ordered)


async def test_first_page_holds_twenty_five_members(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    everyone = await _thirty_members(db_session, client)
    response = await client.get("/staff")
    assert member_ids(response.text) == everyone[:25]


async def test_next_page_continues_exactly_where_the_first_ended(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    everyone = await _thirty_members(db_session, client)
    first = await client.get("/staff")
    next_url = link_with_rel(first.text, "next")
    assert next_url is not None
    second = await client.get(next_url)
    assert member_ids(second.text) == everyone[25:]
    assert link_with_rel(second.text, "next") is None


async def test_previous_page_goes_back_to_the_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    everyone = await _thirty_members(db_session, client)
    first = await client.get("/staff")
    second = await client.get(link_with_rel(first.text, "next") or "")
    previous_url = link_with_rel(second.text, "prev")
    assert previous_url is not None
    back = await client.get(previous_url)
    assert member_ids(back.text) == everyone[:25]


async def test_next_page_link_carries_the_last_key(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    everyone = await _thirty_members(db_session, client)
    first = await client.get("/staff")
    next_url = link_with_rel(first.text, "next") or ""
    assert f"after_id={everyone[24]}" in next_url
    assert "offset" not in next_url
