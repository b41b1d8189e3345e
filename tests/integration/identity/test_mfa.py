"""Two-step sign-in: enrolment, the code at sign-in, replay, recovery codes, the sealed secret."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pyotp
import pytest
from litestar import Litestar
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import RecoveryCode, Role, Session, Tenant, TenantSettings, User
from app.db.tenancy import bind_tenant, bind_user
from app.domain.identity import mfa, throttle
from app.lib.crypto import DecryptionError
from tests.conftest import csrf_headers
from tests.factories import make_person, make_tenant, sign_in, stored_mfa_secret, totp_now
from tests.integration.identity.helpers import (
    claims_of,
    field_errors,
    purge,
    session_token,
    submit_login,
    use_token,
)

_SECRET = re.compile(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>')
_CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def recovery_codes_on(page: httpx.Response) -> list[str]:
    return _CODES.findall(page.text)


def previous_code(secret: str) -> str:
    """A genuine code from the step before this one (still accepted: clock drift)."""
    return pyotp.TOTP(secret).at(time.time() - 30)


async def post_code(client: httpx.AsyncClient, code: str, next_path: str = "/") -> httpx.Response:
    return await client.post(
        f"/login/mfa?next={next_path}", data={"code": code}, headers=await csrf_headers(client)
    )


async def user_row(db: AsyncSession, user_id: object) -> User:
    return (
        await db.scalars(
            select(User).where(User.id == user_id).execution_options(populate_existing=True)
        )
    ).one()


# -- Enrolment ---------------------------------------------------------------------------


async def test_enrolment_through_the_pages(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, mfa=False, email="new@example.com")
    old_session = await sign_in(client, db_session, tenant, admin)

    page = await client.get("/account/mfa")

    assert page.status_code == 200
    assert "<svg" in page.text
    found = _SECRET.search(page.text)
    assert found, "the key to type is shown"
    secret = found.group(1).replace(" ", "")
    assert len(secret) >= 16
    again = await client.get("/account/mfa")  # a reload shows the same pending key
    assert secret in again.text.replace(" ", "")

    wrong = await client.post(
        "/account/mfa", data={"code": "000000"}, headers=await csrf_headers(client)
    )
    assert wrong.status_code == 422
    assert "code" in field_errors(wrong)
    assert (await user_row(db_session, admin.id)).mfa_enabled_at is None

    before = session_token(client)
    done = await client.post(
        "/account/mfa", data={"code": totp_now(secret)}, headers=await csrf_headers(client)
    )

    assert done.status_code == 200
    codes = recovery_codes_on(done)
    assert len(codes) == len(set(codes)) == mfa.RECOVERY_CODES == 10
    assert (await user_row(db_session, admin.id)).mfa_enabled_at is not None
    after = session_token(client)
    assert after and after != before
    claims = claims_of(after, app.state.secret_key)
    sessions = {
        row.id: row
        for row in (
            await db_session.scalars(
                select(Session)
                .where(Session.user_id == admin.id)
                .execution_options(populate_existing=True)
            )
        ).all()
    }
    assert sessions[claims.session_id].mfa_verified_at is not None
    assert sessions[old_session].revoked_at is not None
    assert (await client.get("/account")).status_code == 200


async def test_enrolment_code_cannot_be_used_again_at_sign_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, mfa=False, email="once@example.com")
    await sign_in(client, db_session, tenant, admin)
    page = await client.get("/account/mfa")
    secret = _SECRET.search(page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    code = totp_now(secret)
    await client.post("/account/mfa", data={"code": code}, headers=await csrf_headers(client))
    client.cookies.clear()

    await submit_login(client, "once@example.com")
    assert (await post_code(client, code)).status_code == 422


async def test_secret_is_stored_sealed_under_the_mfa_key(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, mfa=False)
    await sign_in(client, db_session, tenant, admin)
    page = await client.get("/account/mfa")
    secret = _SECRET.search(page.text).group(1).replace(" ", "")  # type: ignore[union-attr]

    await bind_tenant(db_session, tenant.id, admin.id)
    stored = await stored_mfa_secret(db_session, admin.id)
    assert stored
    assert secret.encode() not in stored
    assert secret.lower().encode() not in stored.lower()
    assert mfa.open_secret(app.state.mfa_key, admin.id, stored) == secret
    # Not under the master key, nor under the care account's data key…
    keyring = app.state.keyring
    await keyring.create_for_tenant(db_session, tenant.id)
    _, data_key = await keyring.active(db_session, tenant.id, "data")
    for other_key in (keyring.master.current, data_key):
        assert other_key != app.state.mfa_key
        with pytest.raises(DecryptionError):
            mfa.open_secret(other_key, admin.id, stored)
    # …and bound to its person: copied to another user's row, it does not open.
    with pytest.raises(DecryptionError):
        mfa.open_secret(app.state.mfa_key, tenant.id, stored)


async def test_admin_without_mfa_is_sent_to_set_it_up_from_any_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    admin = await make_person(db_session, tenant, Role.ADMIN, mfa=False)
    await sign_in(client, db_session, tenant, admin)
    headers = await csrf_headers(client)

    for response in (
        await client.get("/"),
        await client.get("/account"),
        await client.get("/login"),
        await client.post("/account/mfa/recovery-codes", headers=headers),
        await client.post("/account/sign-out-everywhere", headers=headers),
        await client.post("/switch", data={"tenant_id": str(tenant.id)}, headers=headers),
    ):
        assert response.status_code == 303, response.request.url
        assert response.headers["location"] in ("/account/mfa", "/today"), response.request.url
    assert (await client.get("/")).headers["location"] == "/account/mfa"
    assert (await client.get("/account/mfa")).status_code == 200
    # Signing out stays possible.
    assert (await client.post("/logout", headers=headers)).headers["location"] == "/login"


async def test_care_account_requiring_mfa_sends_carers_to_set_it_up(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    carer = await make_person(db_session, tenant, Role.CARER)
    observer = await make_person(db_session, tenant, Role.OBSERVER)
    await sign_in(client, db_session, tenant, carer)
    assert (await client.get("/account")).status_code == 200

    await bind_tenant(db_session, tenant.id)
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(require_mfa=True)
    )
    await db_session.commit()

    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/mfa"
    await sign_in(client, db_session, tenant, observer)
    assert (await client.get("/account")).headers["location"] == "/account/mfa"


async def test_carer_with_mfa_in_a_care_account_requiring_it_gets_in(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await db_session.execute(
        update(TenantSettings).where(TenantSettings.tenant_id == tenant.id).values(require_mfa=True)
    )
    carer = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await sign_in(client, db_session, tenant, carer)
    assert (await client.get("/account")).status_code == 200


# -- The code at sign-in -----------------------------------------------------------------


async def test_sign_in_with_mfa_asks_for_the_code_and_nothing_else(
    client: httpx.AsyncClient, db_session: AsyncSession, app: Litestar
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="two@example.com")
    await db_session.commit()

    response = await submit_login(client, "two@example.com", next_path="/account")

    assert response.status_code == 303
    assert response.headers["location"] == "/login/mfa?next=/account"
    pending = session_token(client)
    assert pending
    headers = await csrf_headers(client)
    for attempt in (
        await client.get("/"),
        await client.get("/account"),
        await client.get("/account/mfa"),
        await client.post("/account/mfa/recovery-codes", headers=headers),
        await client.post("/account/sign-out-everywhere", headers=headers),
        await client.post("/switch", data={"tenant_id": str(tenant.id)}, headers=headers),
    ):
        assert attempt.status_code == 303, attempt.request.url
        assert attempt.headers["location"] == "/login/mfa", attempt.request.url
    form = await client.get("/login/mfa?next=/account")
    assert form.status_code == 200
    assert 'name="code"' in form.text

    wrong = await post_code(client, "123456", "/account")
    assert wrong.status_code == 422
    assert session_token(client) == pending

    right = await post_code(client, totp_now(person.totp_secret), "/account")  # type: ignore[attr-defined]

    assert right.status_code == 303
    assert right.headers["location"] == "/account"
    verified = session_token(client)
    assert verified and verified != pending
    assert claims_of(verified, app.state.secret_key).user_id == person.id
    assert (await client.get("/account")).status_code == 200
    use_token(client, pending)  # the half-signed-in session is over
    assert (await client.get("/account")).headers["location"].startswith("/login")


async def test_code_from_the_previous_step_is_accepted(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="slow@example.com")
    await db_session.commit()
    await submit_login(client, "slow@example.com")
    code = previous_code(person.totp_secret)  # type: ignore[attr-defined]
    assert (await post_code(client, code)).status_code == 303


async def test_a_code_used_once_is_refused_the_second_time(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="replay@example.com")
    await db_session.commit()
    code = totp_now(person.totp_secret)  # type: ignore[attr-defined]
    await submit_login(client, "replay@example.com")
    assert (await post_code(client, code)).status_code == 303

    client.cookies.clear()  # someone else, who saw the code over a shoulder
    await submit_login(client, "replay@example.com")
    replayed = await post_code(client, code)

    assert replayed.status_code == 422
    assert (await client.get("/account")).headers["location"] == "/login/mfa"


async def test_wrong_codes_are_throttled_per_account(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="guess@example.com")
    await db_session.commit()
    await submit_login(client, "guess@example.com")
    for _ in range(throttle.FREE_FAILURES):
        assert (await post_code(client, "000000")).status_code == 422

    response = await post_code(client, totp_now(person.totp_secret))  # type: ignore[attr-defined]

    assert response.status_code == 429
    assert "Try again in" in field_errors(response)["code"]


async def test_recovery_code_works_once(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="lost@example.com")
    codes = await mfa.replace_recovery_codes(db_session, person.id)
    await db_session.commit()

    await submit_login(client, "lost@example.com")
    assert (await post_code(client, codes[0])).status_code == 303
    assert (await client.get("/account")).status_code == 200

    client.cookies.clear()
    await submit_login(client, "lost@example.com")
    assert (await post_code(client, codes[0])).status_code == 422
    # Another one still works, typed loosely (capitals, a space for the dash).
    assert (await post_code(client, f" {codes[1].upper().replace('-', ' ')} ")).status_code == 303
    await bind_user(db_session, person.id)
    assert await mfa.remaining_recovery_codes(db_session, person.id) == mfa.RECOVERY_CODES - 2


async def test_recovery_codes_are_stored_hashed(db_session: AsyncSession) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True)
    codes = await mfa.replace_recovery_codes(db_session, person.id)
    rows = (
        (
            await db_session.execute(
                select(RecoveryCode.code_hash).where(RecoveryCode.user_id == person.id)
            )
        )
        .scalars()
        .all()
    )
    assert len(rows) == len(codes)
    stored = b"".join(rows)
    assert not any(
        code.encode() in stored or code.replace("-", "").encode() in stored for code in codes
    )


async def test_new_recovery_codes_void_the_old_ones(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="renew@example.com")
    old = await mfa.replace_recovery_codes(db_session, person.id)
    await sign_in(client, db_session, tenant, person)
    status = await client.get("/account/mfa")
    assert "10 unused recovery codes" in status.text

    page = await client.post("/account/mfa/recovery-codes", headers=await csrf_headers(client))

    assert page.status_code == 200
    new = recovery_codes_on(page)
    assert len(new) == 10
    assert not set(new) & set(old)
    client.cookies.clear()
    await submit_login(client, "renew@example.com")
    assert (await post_code(client, old[0])).status_code == 422
    assert (await post_code(client, new[0])).status_code == 303


# -- Two submissions racing with the same code -------------------------------------------


@dataclass
class Committed:
    tenant: Tenant
    person: User


@pytest.fixture
async def committed_person(
    app_engine: AsyncEngine, owner_engine: AsyncEngine
) -> AsyncIterator[Committed]:
    """A person with MFA whose rows are committed, so other connections see them."""
    async with AsyncSession(app_engine, expire_on_commit=False) as db:
        tenant = await make_tenant(db)
        person = await make_person(db, tenant, Role.CARER, mfa=True)
        await db.commit()
    try:
        yield Committed(tenant, person)
    finally:
        await purge(owner_engine, [tenant.id], [person.id])


async def test_racing_submissions_of_one_code_let_exactly_one_through(
    app_engine: AsyncEngine, committed_person: Committed
) -> None:
    user_id = committed_person.person.id
    secret = committed_person.person.totp_secret  # type: ignore[attr-defined]
    step = mfa.matching_step(secret, totp_now(secret))
    assert step is not None

    async def submit(step: int) -> bool:
        # Each on a connection of its own, as two app processes would be.
        async with AsyncSession(app_engine) as db:
            await bind_user(db, user_id)
            accepted = await mfa.accept_step(db, user_id, step)
            await asyncio.sleep(0.05)  # hold the row a moment, as a slow request would
            await db.commit()
            return accepted

    for round_ in range(5):
        outcomes = await asyncio.gather(*(submit(step + round_) for _ in range(4)))
        assert sorted(outcomes) == [False, False, False, True], round_


async def test_an_older_step_is_refused_after_a_newer_one(
    db_session: AsyncSession,
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True)
    await bind_user(db_session, person.id)
    assert await mfa.accept_step(db_session, person.id, 1000)
    assert not await mfa.accept_step(db_session, person.id, 1000)
    assert not await mfa.accept_step(db_session, person.id, 999)
    assert await mfa.accept_step(db_session, person.id, 1001)


async def test_signing_in_again_does_not_reset_the_count_of_wrong_codes(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="reset@example.com")
    await db_session.commit()
    for _ in range(throttle.FREE_FAILURES):
        client.cookies.clear()
        assert (await submit_login(client, "reset@example.com")).status_code == 303
        assert (await post_code(client, "000000")).status_code == 422

    client.cookies.clear()
    await submit_login(client, "reset@example.com")  # the right password clears its own count…
    response = await post_code(client, totp_now(person.totp_secret))  # type: ignore[attr-defined]

    assert response.status_code == 429  # …but not the count of wrong codes


async def test_a_right_code_clears_the_count_of_wrong_codes(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    person = await make_person(db_session, tenant, Role.CARER, mfa=True, email="clear@example.com")
    codes = await mfa.replace_recovery_codes(db_session, person.id)
    await db_session.commit()
    await submit_login(client, "clear@example.com")
    for _ in range(throttle.FREE_FAILURES - 1):
        await post_code(client, "000000")
    assert (await post_code(client, codes[0])).status_code == 303

    client.cookies.clear()
    await submit_login(client, "clear@example.com")
    for _ in range(throttle.FREE_FAILURES - 1):
        assert (await post_code(client, "000000")).status_code == 422
    assert (await post_code(client, codes[1])).status_code == 303
