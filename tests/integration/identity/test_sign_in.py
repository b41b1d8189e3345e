"""Sign-in: the password check, the cookie it leads to, and what a failure tells no one."""

from __future__ import annotations

import argon2
import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Session, User
from app.lib import passwords
from tests.factories import PASSWORD, make_person, make_tenant, stored_password_hash
from tests.integration.identity.helpers import (
    claims_of,
    form_error,
    input_value,
    session_set_cookie,
    session_token,
    submit_login,
    use_token,
)


async def test_right_password_gives_a_secure_session_cookie_and_a_redirect(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, email="cara@example.com")
    await db_session.commit()

    response = await submit_login(client, "Cara@Example.com", next_path="/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = session_set_cookie(response)
    assert cookie is not None
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path"} <= attributes
    assert "samesite=lax" in cookie.lower()
    claims = claims_of(session_token(client) or "", app.state.secret_key)
    assert (claims.user_id, claims.tenant_id) == (carer.id, tenant.id)
    followed = await client.get("/account")
    assert followed.status_code == 200
    assert "cara@example.com" in followed.text


async def test_next_cannot_send_the_browser_to_another_site(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="next@example.com")
    await db_session.commit()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await submit_login(client, "next@example.com", next_path=target)
        assert response.headers["location"] == "/today"


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="known@example.com")
    await db_session.commit()

    wrong = await submit_login(client, "known@example.com", "not the password at all")
    unknown = await submit_login(client, "nobody@example.com", "not the password at all")

    assert wrong.status_code == unknown.status_code == 401
    assert form_error(wrong) == form_error(unknown)
    assert form_error(wrong)
    # Whole pages alike, apart from the address each form keeps.
    assert wrong.text.replace("known@example.com", "@") == unknown.text.replace(
        "nobody@example.com", "@"
    )
    assert input_value(unknown, "email") == "nobody@example.com"
    assert "not the password at all" not in wrong.text
    assert session_set_cookie(wrong) is None
    assert session_set_cookie(unknown) is None


async def test_unknown_email_still_verifies_a_hash(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = passwords.hasher()
    verified: list[str] = []

    class Spy:
        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

    monkeypatch.setattr(passwords, "hasher", Spy)

    response = await submit_login(client, "nobody-at-all@example.com", "some password here")

    assert response.status_code == 401
    assert verified == [passwords._dummy_hash()]
    assert verified[0].startswith("$argon2id$")


async def test_hash_made_with_lower_parameters_is_upgraded_at_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, email="old-hash@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    await db_session.execute(update(User).where(User.id == person.id).values(password_hash=weak))
    await db_session.commit()

    response = await submit_login(client, "old-hash@example.com")

    assert response.status_code == 303
    stored = await stored_password_hash(db_session, "old-hash@example.com")
    assert stored is not None and stored != weak
    current = passwords.hasher()
    parameters = argon2.extract_parameters(stored)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        current.memory_cost,
        current.time_cost,
        current.parallelism,
    )
    assert not current.check_needs_rehash(stored)
    # And the password still works against the new hash.
    assert (await submit_login(client, "old-hash@example.com")).status_code == 303


async def test_hash_at_current_parameters_is_left_alone(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="same-hash@example.com")
    await db_session.commit()
    before = await stored_password_hash(db_session, "same-hash@example.com")

    assert (await submit_login(client, "same-hash@example.com")).status_code == 303

    stored = await stored_password_hash(db_session, "same-hash@example.com")
    assert stored == before


async def test_every_sign_in_gets_a_new_session(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="twice@example.com")
    await db_session.commit()

    await submit_login(client, "twice@example.com")
    first = claims_of(session_token(client) or "", app.state.secret_key)
    await submit_login(client, "twice@example.com")
    second = claims_of(session_token(client) or "", app.state.secret_key)

    assert first.session_id != second.session_id
    rows = (
        await db_session.scalars(select(Session.id).where(Session.tenant_id == tenant.id))
    ).all()
    assert {first.session_id, second.session_id} <= set(rows)


async def test_person_with_no_active_care_account_is_not_signed_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="gone@example.com", status="deactivated")
    await db_session.commit()

    response = await submit_login(client, "gone@example.com")

    assert response.status_code == 403
    assert session_set_cookie(response) is None


async def test_empty_fields_are_named(client: httpx.AsyncClient) -> None:
    response = await submit_login(client, "  ", "")
    assert response.status_code == 422
    assert "Enter your email address." in response.text
    assert "Enter your password." in response.text


async def test_signing_in_over_a_live_session_ends_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="first@example.com")
    await make_person(db_session, tenant, email="second@example.com")
    await db_session.commit()
    await submit_login(client, "first@example.com")
    first = session_token(client)

    await submit_login(client, "second@example.com")

    page = await client.get("/account")
    assert "second@example.com" in page.text
    use_token(client, first or "")
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
