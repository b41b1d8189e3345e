"""Sessions: the `sessions` row decides on every request, so changes take effect at once."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from litestar import Litestar
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, Role, Session, Tenant, TenantSettings, User
from app.db.tenancy import bind_tenant
from app.lib import session_tokens
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant, sign_in
from tests.integration.identity.helpers import (
    claims_of,
    is_sent_to_sign_in,
    session_token,
    submit_login,
    use_token,
)

SECRET = os.environ["TEND_SECRET_KEY"]


async def join(db: AsyncSession, tenant: Tenant, person: User, role: Role = Role.CARER) -> None:
    """Give an existing person a membership in another care account."""
    await bind_tenant(db, tenant.id, person.id)
    db.add(Membership(tenant_id=tenant.id, user_id=person.id, role=str(role)))
    await db.flush()


async def test_logout_ends_the_session_on_the_server(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    session_id = await sign_in(client, db_session, tenant, person)
    token = session_token(client)
    assert token

    response = await client.post("/logout", headers=await csrf_headers(client))

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert session_token(client) is None  # the browser forgets it…
    use_token(client, token)  # …and a copy kept elsewhere no longer works
    assert is_sent_to_sign_in(await client.get("/account"))
    revoked = await db_session.scalar(
        select(Session.revoked_at)
        .where(Session.id == session_id)
        .execution_options(populate_existing=True)
    )
    assert revoked is not None


async def test_sign_out_everywhere_ends_every_session_in_every_care_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    home = await make_tenant(db_session)
    other = await make_tenant(db_session)
    person = await make_person(db_session, home)
    await join(db_session, other, person)
    await sign_in(client, db_session, other, person)
    elsewhere = session_token(client)
    await sign_in(client, db_session, home, person)
    here = session_token(client)
    assert here and elsewhere
    assert (await client.get("/account")).status_code == 200

    response = await client.post("/account/sign-out-everywhere", headers=await csrf_headers(client))

    assert response.status_code == 303
    for token in (here, elsewhere):
        use_token(client, token)
        assert is_sent_to_sign_in(await client.get("/account"))


async def test_sign_out_everywhere_leaves_other_people_signed_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    colleague = await make_person(db_session, tenant)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, colleague)
    theirs = session_token(client)
    await sign_in(client, db_session, tenant, person)

    await client.post("/account/sign-out-everywhere", headers=await csrf_headers(client))

    use_token(client, theirs or "")
    assert (await client.get("/account")).status_code == 200


async def test_deactivation_takes_effect_on_the_next_request(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    await sign_in(client, db_session, tenant, person)
    assert (await client.get("/account")).status_code == 200

    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        update(Membership)
        .where(Membership.tenant_id == tenant.id, Membership.user_id == person.id)
        .values(status="deactivated")
    )
    await db_session.commit()

    assert is_sent_to_sign_in(await client.get("/account"))


async def test_role_change_takes_effect_on_the_next_request(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, person)
    page = await client.get("/account")
    assert page.status_code == 200
    assert "/settings/care-account" not in page.text  # no administration for a carer

    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        update(Membership)
        .where(Membership.tenant_id == tenant.id, Membership.user_id == person.id)
        .values(role="admin")
    )
    await db_session.commit()

    page = await client.get("/account")
    assert page.status_code == 200
    assert "/settings/care-account" in page.text


async def test_promotion_to_admin_without_mfa_sends_to_mfa_set_up(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER)
    await sign_in(client, db_session, tenant, person)
    assert (await client.get("/account")).status_code == 200

    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        update(Membership).where(Membership.user_id == person.id).values(role="admin")
    )
    await db_session.commit()

    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa"


async def test_idle_session_is_signed_out(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    session_id = await sign_in(client, db_session, tenant, person)
    idle = await db_session.scalar(
        select(TenantSettings.idle_timeout_minutes).where(TenantSettings.tenant_id == tenant.id)
    )
    assert idle

    await set_last_seen(db_session, session_id, minutes_ago=idle - 1)
    assert (await client.get("/account")).status_code == 200  # within the idle time
    await set_last_seen(db_session, session_id, minutes_ago=idle + 1)
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_activity_keeps_a_session_alive(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    session_id = await sign_in(client, db_session, tenant, person)
    await set_last_seen(db_session, session_id, minutes_ago=10)

    assert (await client.get("/account")).status_code == 200

    age = await db_session.scalar(
        text("SELECT now() - last_seen_at FROM sessions WHERE id = :id"), {"id": session_id}
    )
    assert age < timedelta(minutes=1)  # the request slid the idle timeout forward


async def test_shorter_idle_timeout_of_the_care_account_applies(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    session_id = await sign_in(client, db_session, tenant, person)
    await db_session.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == tenant.id)
        .values(idle_timeout_minutes=5)
    )
    await set_last_seen(db_session, session_id, minutes_ago=6)

    assert is_sent_to_sign_in(await client.get("/account"))


async def set_last_seen(db: AsyncSession, session_id: uuid.UUID, *, minutes_ago: int) -> None:
    await db.execute(
        text("UPDATE sessions SET last_seen_at = now() - make_interval(mins => :m) WHERE id = :id"),
        {"m": minutes_ago, "id": session_id},
    )
    await db.commit()


async def test_session_past_its_lifetime_is_signed_out(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant)
    session_id = await sign_in(client, db_session, tenant, person)
    await db_session.execute(
        text("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = :id"),
        {"id": session_id},
    )
    await db_session.commit()

    assert is_sent_to_sign_in(await client.get("/account"))


async def test_session_lifetime_comes_from_the_care_account(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="lifetime@example.com")
    await db_session.execute(
        update(TenantSettings)
        .where(TenantSettings.tenant_id == tenant.id)
        .values(session_lifetime_hours=2)
    )
    await db_session.commit()

    await submit_login(client, "lifetime@example.com")

    claims = claims_of(session_token(client) or "", app.state.secret_key)
    row = (await db_session.scalars(select(Session).where(Session.id == claims.session_id))).one()
    left = row.expires_at - datetime.now(UTC)
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)
    payload = jwt.decode(session_token(client) or "", options={"verify_signature": False})
    assert payload["exp"] == int(row.expires_at.timestamp())


# -- Tokens that must not work ----------------------------------------------------------


async def signed_in_claims(
    client: httpx.AsyncClient, db: AsyncSession
) -> tuple[session_tokens.SessionClaims, datetime]:
    """Someone signed in for real, and an expiry for the tokens a test makes."""
    tenant = await make_tenant(db)
    person = await make_person(db, tenant)
    session_id = await sign_in(client, db, tenant, person)
    assert (await client.get("/account")).status_code == 200
    claims = session_tokens.SessionClaims(person.id, tenant.id, session_id)
    return claims, datetime.now(UTC) + timedelta(hours=1)


async def test_token_signed_with_another_key_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    use_token(
        client,
        session_tokens.encode(claims, "another key of the same length, not the app's own", expires),
    )
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_tampered_token_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    header, payload, signature = session_tokens.encode(claims, SECRET, expires).split(".")
    other = session_tokens.encode(
        session_tokens.SessionClaims(uuid.uuid4(), claims.tenant_id, claims.session_id),
        "an attacker who does not have the app key",
        expires,
    )
    # Someone else's claims under this token's signature; and a flipped signature.
    for forged in (
        f"{header}.{other.split('.')[1]}.{signature}",
        f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}",
        f"{header}.{payload}.",
        "not-a-token",
    ):
        use_token(client, forged)
        response = await client.get("/account")
        assert is_sent_to_sign_in(response), forged


async def test_unsigned_token_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    payload = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "sid": str(claims.session_id),
        "aud": session_tokens.AUDIENCE,
        "exp": int(expires.timestamp()),
    }
    use_token(client, jwt.encode(payload, key=None, algorithm="none"))  # type: ignore[arg-type]
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_expired_token_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, _ = await signed_in_claims(client, db_session)
    expired = datetime.now(UTC) - timedelta(minutes=1)
    use_token(client, session_tokens.encode(claims, SECRET, expired))
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_token_with_malformed_claims_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    base = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "sid": str(claims.session_id),
        "aud": session_tokens.AUDIENCE,
        "exp": int(expires.timestamp()),
    }
    for broken in (
        {"sub": 12345},
        {"tid": 12345},
        {"sid": ["a list"]},
        {"tid": "not-a-uuid"},
        {"sid": None},
        {"sub": ["a list"]},
        {"aud": "someone-else"},
    ):
        use_token(client, jwt.encode(base | broken, SECRET, algorithm="HS256"))
        response = await client.get("/account")
        assert is_sent_to_sign_in(response), broken


async def test_token_naming_another_care_accounts_session_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    person = await db_session.get_one(User, claims.user_id)
    other = await make_tenant(db_session)
    await join(db_session, other, person)
    await db_session.commit()
    # The right person and a genuine session id, but the session belongs to another tenant.
    moved = session_tokens.SessionClaims(claims.user_id, other.id, claims.session_id)
    use_token(client, session_tokens.encode(moved, SECRET, expires))
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_token_naming_someone_elses_session_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    tenant = await db_session.get_one(Tenant, claims.tenant_id)
    intruder = await make_person(db_session, tenant)
    await db_session.commit()
    borrowed = session_tokens.SessionClaims(intruder.id, claims.tenant_id, claims.session_id)
    use_token(client, session_tokens.encode(borrowed, SECRET, expires))
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_unknown_session_id_is_not_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    made_up = session_tokens.SessionClaims(claims.user_id, claims.tenant_id, uuid.uuid4())
    use_token(client, session_tokens.encode(made_up, SECRET, expires))
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_htmx_request_with_a_dead_session_is_told_where_to_go(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    claims, expires = await signed_in_claims(client, db_session)
    use_token(client, session_tokens.encode(claims, "wrong " * 8, expires))
    response = await client.get("/account", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


# -- Switching care account --------------------------------------------------------------


async def test_switching_care_account_starts_a_session_there(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    first = await make_tenant(db_session, "First Care Home")
    second = await make_tenant(db_session, "Second Family")
    person = await make_person(db_session, first)
    await join(db_session, second, person, Role.OBSERVER)
    await sign_in(client, db_session, first, person)
    before = session_token(client)
    assert "Switch to Second Family" in (await client.get("/account")).text

    response = await client.post(
        "/switch", data={"tenant_id": str(second.id)}, headers=await csrf_headers(client)
    )

    assert response.status_code == 303
    after = session_token(client)
    assert after and after != before
    claims = claims_of(after, app.state.secret_key)
    assert claims.tenant_id == second.id
    assert claims.user_id == person.id
    page = await client.get("/account")
    assert page.status_code == 200
    assert "Switch to First Care Home" in page.text
    # The session left behind is over.
    use_token(client, before or "")
    assert is_sent_to_sign_in(await client.get("/account"))


async def test_switching_to_a_care_account_one_does_not_belong_to_is_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    mine = await make_tenant(db_session)
    theirs = await make_tenant(db_session)
    person = await make_person(db_session, mine)
    await sign_in(client, db_session, mine, person)
    headers = await csrf_headers(client)

    for target in (str(theirs.id), str(uuid.uuid4()), "not-a-uuid"):
        response = await client.post("/switch", data={"tenant_id": target}, headers=headers)
        assert response.status_code == 404, target
    # Still signed in where they were.
    assert (await client.get("/account")).status_code == 200


async def test_switching_to_a_care_account_one_was_removed_from_is_not_found(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    mine = await make_tenant(db_session)
    former = await make_tenant(db_session)
    person = await make_person(db_session, mine)
    await join(db_session, former, person)
    await db_session.execute(
        update(Membership).where(Membership.user_id == person.id).values(status="deactivated")
    )
    await sign_in(client, db_session, mine, person)

    response = await client.post(
        "/switch", data={"tenant_id": str(former.id)}, headers=await csrf_headers(client)
    )
    assert response.status_code == 404
