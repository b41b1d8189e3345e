"""Sign-up: a new care account, its first admin, its keys, then MFA set-up."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import Membership, Role, TenantKey, TenantSettings
from app.db.tenancy import bind_tenant, bind_user
from app.domain.identity.password_policy import MAX_LENGTH, MIN_LENGTH
from app.domain.identity.services import EmailTaken, IdentityService
from app.domain.keys.keyring import Keyring
from app.lib.crypto import MasterKeys, new_key
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant
from tests.integration.identity.helpers import (
    field_errors,
    input_value,
    is_sent_to_sign_in,
    purge,
    session_set_cookie,
)

GOOD = {
    "care_account": "The Okafor family",
    "display_name": "Ngozi Okafor",
    "email": "Ngozi.Okafor@Example.com",
    "password": "plum kettle harbour seventeen",
}


async def sign_up(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    return await client.post("/signup", data=GOOD | changes, headers=await csrf_headers(client))


async def test_sign_up_creates_the_care_account_its_admin_and_keys(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    response = await sign_up(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa"
    assert session_set_cookie(response) is not None
    user_id = (
        await db_session.execute(
            text("SELECT id FROM tend_user_for_login(:email)"),
            {"email": "ngozi.okafor@example.com"},
        )
    ).scalar_one()
    await bind_user(db_session, user_id)
    membership = (await db_session.scalars(select(Membership))).one()
    assert membership.user_id == user_id
    assert membership.role == Role.ADMIN
    assert membership.status == "active"
    await bind_tenant(db_session, membership.tenant_id, user_id)
    assert await db_session.get(TenantSettings, membership.tenant_id) is not None
    keys = (await db_session.scalars(select(TenantKey))).all()
    assert sorted((key.purpose, key.version, key.state) for key in keys) == [
        ("data", 1, "active"),
        ("search", 1, "active"),
    ]
    assert all(len(key.wrapped) > 32 for key in keys)  # wrapped, not the bare key


async def test_new_admin_is_sent_on_to_mfa_set_up(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    # Signed in, but an admin must set up MFA before anything else.
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa"
    response = await client.get("/account/mfa")
    assert response.status_code == 200
    assert "<svg" in response.text


async def test_invalid_sign_up_shows_errors_beside_fields_and_keeps_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    response = await sign_up(client, care_account="  ", email="not-an-email", password="short")

    assert response.status_code == 422
    errors = field_errors(response)
    assert set(errors) == {"care_account", "email", "password"}
    assert input_value(response, "display_name") == GOOD["display_name"]
    assert input_value(response, "email") == "not-an-email"
    assert 'aria-invalid="true"' in response.text
    assert session_set_cookie(response) is None


async def test_password_is_never_sent_back(client: httpx.AsyncClient) -> None:
    # Valid except the email, so the password is otherwise acceptable and could be echoed.
    response = await sign_up(client, email="nope")
    assert response.status_code == 422
    assert GOOD["password"] not in response.text
    assert input_value(response, "password") is None


async def test_email_already_in_use_is_refused_with_a_message(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="taken@example.com")
    await db_session.commit()

    response = await sign_up(client, email="Taken@Example.com ")

    assert response.status_code == 422
    assert "already has an account" in field_errors(response)["email"]
    assert input_value(response, "care_account") == GOOD["care_account"]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("passwordpassword", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("x" * (MIN_LENGTH - 1), f"at least {MIN_LENGTH}"),
        ("long words " * 12, f"at most {MAX_LENGTH}"),
        ("ngozi okafor rules here", "name or email"),
    ],
)
async def test_weak_password_is_refused(
    client: httpx.AsyncClient, password: str, words: str
) -> None:
    response = await sign_up(client, password=password)
    assert response.status_code == 422
    assert words in field_errors(response)["password"]


async def test_refused_sign_up_creates_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await sign_up(client, password="short")
    found = await db_session.execute(
        text("SELECT id FROM tend_user_for_login(:email)"), {"email": GOOD["email"]}
    )
    assert found.first() is None
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_two_sign_ups_racing_for_one_email_make_one_account(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    keyring = Keyring(MasterKeys(new_key()))

    async def attempt(number: int) -> tuple[uuid.UUID, uuid.UUID] | None:
        # Two app processes, each with its own connection; neither sees the other's row
        # before it commits, so only the unique index can decide.
        async with AsyncSession(app_engine, expire_on_commit=False) as db:
            service = IdentityService(db, "secret", keyring)
            try:
                made = await service.sign_up(f"Race {number}", "Racer", email, GOOD["password"])
                await asyncio.sleep(0.1)
                await db.commit()
            except EmailTaken:
                return None
            return made

    outcomes = await asyncio.gather(attempt(1), attempt(2))
    made = [outcome for outcome in outcomes if outcome is not None]
    try:
        assert len(made) == 1
    finally:
        await purge(owner_engine, [tenant for tenant, _ in made], [user for _, user in made])
