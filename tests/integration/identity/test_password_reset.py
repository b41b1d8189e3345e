"""Resetting a forgotten password by an emailed link: the same answer for every address,
a token kept only as its hash, used once, within an hour."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from email.message import EmailMessage

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import MailSettings
from app.db.models import PasswordReset, Role, Session
from app.db.tenancy import bind_tenant
from app.domain.identity.controllers._password import (
    LINK_VISITS_PER_HOUR_PER_IP,
    REQUESTS_PER_HOUR_PER_ACCOUNT,
    REQUESTS_PER_HOUR_PER_IP,
)
from app.domain.staff import mail
from tests.conftest import csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in, totp_now
from tests.integration.identity.helpers import (
    field_errors,
    input_value,
    is_sent_to_sign_in,
    session_token,
    submit_login,
    use_token,
)

NEW_PASSWORD = "lantern meadow copper violin"
LINK = re.compile(r"https://testserver\.local(/password-reset/[A-Za-z0-9_-]+)")


@pytest.fixture
def outbox(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> list[EmailMessage]:
    """Mail set up, and every message the app sends kept here instead of leaving."""
    sent: list[EmailMessage] = []

    class Smtp:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            self.address = (host, port)

        def __enter__(self) -> Smtp:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def ehlo(self) -> None:
            return None

        def has_extn(self, name: str) -> bool:
            return False

        def send_message(self, message: EmailMessage) -> None:
            sent.append(message)

    settings = app.state.settings
    app.state.settings = dataclasses.replace(
        settings, mail=MailSettings(smtp_url="smtp://mail.example.com:2525")
    )
    monkeypatch.setattr(mail.smtplib, "SMTP", Smtp)
    return sent


async def _ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(
        "/password-reset", data={"email": email}, headers=await csrf_headers(client)
    )


def _link(message: EmailMessage) -> str:
    found = LINK.search(message.get_content())
    assert found, "no reset link in the email"
    return found.group(1)


async def _reset(
    client: httpx.AsyncClient, path: str, new: str = NEW_PASSWORD, confirm: str | None = None
) -> httpx.Response:
    data = {"new_password": new, "confirm_password": new if confirm is None else confirm}
    return await client.post(path, data=data, headers=await csrf_headers(client))


async def _person(db: AsyncSession, email: str = "forgetful@example.com", **kwargs):  # type: ignore[no-untyped-def]
    tenant = await make_tenant(db)
    person = await make_person(db, tenant, email=email, **kwargs)
    await db.commit()
    return tenant, person


async def _audit_actions(db: AsyncSession, tenant_id) -> list[str]:  # type: ignore[no-untyped-def]
    await bind_tenant(db, tenant_id)
    rows = await db.execute(
        text("SELECT action FROM audit_events WHERE tenant_id = :t ORDER BY seq"), {"t": tenant_id}
    )
    return [row.action for row in rows]


def _answer(response: httpx.Response) -> str:
    """The page's words, without the per-request parts (the CSRF token, the address)."""
    body = re.sub(r'name="_csrf_token" value="[^"]*"', "", response.text)
    return re.sub(r'content="[^"]*"', "", body)


async def test_sign_in_page_links_to_forgot_password(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert 'href="/password-reset"' in page.text
    assert "Forgot your password?" in page.text


async def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    await _person(db_session, "someone@example.com")

    known = await _ask(client, "someone@example.com")
    unknown = await _ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert "If an account exists for" in known.text
    assert _answer(known).replace("someone@", "X@") == _answer(unknown).replace("nobody@", "X@")
    assert [m["To"] for m in outbox] == ["someone@example.com"]


async def test_the_link_resets_the_password_and_ends_every_session(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    db_session: AsyncSession,
    outbox: list[EmailMessage],
) -> None:
    tenant, person = await _person(db_session)
    session_id = await sign_in(other_client, db_session, tenant, person)
    lost_phone = session_token(other_client)
    await _ask(client, "Forgetful@Example.com ")
    path = _link(outbox[0])

    form = await client.get(path)
    assert form.status_code == 200
    assert 'name="new_password"' in form.text
    response = await _reset(client, path)

    assert response.status_code == 200
    assert "Password changed" in response.text
    assert lost_phone
    use_token(other_client, lost_phone)
    assert is_sent_to_sign_in(await other_client.get("/account"))
    await bind_tenant(db_session, tenant.id, person.id)
    revoked = await db_session.scalar(
        select(Session.revoked_at)
        .where(Session.id == session_id)
        .execution_options(populate_existing=True)
    )
    assert revoked is not None
    client.cookies.clear()
    assert (await submit_login(client, "forgetful@example.com", PASSWORD)).status_code == 401
    assert (await submit_login(client, "forgetful@example.com", NEW_PASSWORD)).status_code == 303


async def test_the_token_is_stored_only_as_its_hash(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    _tenant, person = await _person(db_session)
    await _ask(client, "forgetful@example.com")
    token = _link(outbox[0]).rsplit("/", 1)[1]

    stored = (
        await db_session.execute(
            text("SELECT * FROM password_resets WHERE user_id = :u"), {"u": person.id}
        )
    ).one()

    assert stored.token_hash == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in b"".join(
        value if isinstance(value, bytes) else str(value).encode() for value in stored
    )


async def test_the_link_works_once(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    await _person(db_session)
    await _ask(client, "forgetful@example.com")
    path = _link(outbox[0])
    assert (await _reset(client, path)).status_code == 200

    again = await _reset(client, path, new="another long pass phrase")

    assert again.status_code == 410
    assert (await client.get(path)).status_code == 410
    client.cookies.clear()
    ok = await submit_login(client, "forgetful@example.com", NEW_PASSWORD)
    assert ok.status_code == 303


async def test_the_link_expires_after_an_hour(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    _tenant, person = await _person(db_session)
    await _ask(client, "forgetful@example.com")
    path = _link(outbox[0])
    lifetime = await db_session.scalar(
        select(PasswordReset.expires_at - PasswordReset.created_at).where(
            PasswordReset.user_id == person.id
        )
    )
    assert lifetime is not None and lifetime.total_seconds() == pytest.approx(3600, abs=5)
    # An hour later, as the database's clock sees it.
    await db_session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == person.id)
        .values(
            created_at=text("now() - interval '61 minutes'"),
            expires_at=text("now() - interval '1 minute'"),
        )
    )
    await db_session.commit()

    assert (await client.get(path)).status_code == 410
    assert (await _reset(client, path)).status_code == 410


async def test_a_newer_link_replaces_the_older_one(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    await _person(db_session)
    await _ask(client, "forgetful@example.com")
    await _ask(client, "forgetful@example.com")
    first, second = (_link(message) for message in outbox)
    assert (await client.get(first)).status_code == 410
    assert (await client.get(second)).status_code == 200


async def test_an_unknown_token_is_gone(client: httpx.AsyncClient) -> None:
    response = await client.get("/password-reset/not-a-real-token")
    assert response.status_code == 410
    assert "can no longer be used" in response.text


async def test_new_password_must_meet_the_policy_twice(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    await _person(db_session, name="Winifred Forgetful")
    await _ask(client, "forgetful@example.com")
    path = _link(outbox[0])

    weak = await _reset(client, path, new="winifred and her garden")
    mismatch = await _reset(client, path, confirm="something else entirely")

    assert weak.status_code == mismatch.status_code == 422
    assert "new_password" in field_errors(weak)
    assert "confirm_password" in field_errors(mismatch)
    assert (await client.get(path)).status_code == 200  # not spent by a refused form


async def test_mfa_still_applies_after_a_reset(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    _tenant, person = await _person(db_session, role=Role.ADMIN)
    await _ask(client, "forgetful@example.com")
    await _reset(client, _link(outbox[0]))
    client.cookies.clear()

    response = await submit_login(client, "forgetful@example.com", NEW_PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login/mfa")
    assert (await client.get("/account")).headers["location"].startswith("/login/mfa")
    code = await client.post(
        "/login/mfa",
        data={"code": totp_now(person.totp_secret)},
        headers=await csrf_headers(client),
    )
    assert code.status_code == 303


async def test_without_mail_the_page_says_to_ask_an_administrator(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _person(db_session)
    page = await client.get("/password-reset")
    assert "Ask an administrator" in page.text
    assert 'name="email"' not in page.text
    answer = await _ask(client, "forgetful@example.com")
    assert answer.status_code == 200
    assert "Ask an administrator" in answer.text
    count = await db_session.scalar(text("SELECT count(*) FROM password_resets"))
    assert count == 0


async def test_a_bad_address_is_refused_beside_the_field_and_kept(
    client: httpx.AsyncClient, outbox: list[EmailMessage]
) -> None:
    response = await _ask(client, "not-an-address")
    assert response.status_code == 422
    assert "email" in field_errors(response)
    assert input_value(response, "email") == "not-an-address"
    # Text the database cannot hold is refused before any form sees it (app/lib/unstorable).
    assert (await _ask(client, "nul\x00@example.com")).status_code == 400
    assert not outbox


async def test_requests_are_limited_per_address_and_per_account(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    await _person(db_session)
    for _ in range(REQUESTS_PER_HOUR_PER_ACCOUNT + 1):
        assert (await _ask(client, "forgetful@example.com")).status_code == 200
    # Per account: the answer stays the same, but no more mail goes out.
    assert len(outbox) == REQUESTS_PER_HOUR_PER_ACCOUNT
    for _ in range(REQUESTS_PER_HOUR_PER_IP - REQUESTS_PER_HOUR_PER_ACCOUNT - 1):
        await _ask(client, "someone.else@example.com")

    response = await _ask(client, "forgetful@example.com")

    assert response.status_code == 429
    assert "Too many reset links" in response.text


async def test_link_visits_are_limited_per_address(client: httpx.AsyncClient) -> None:
    for _ in range(LINK_VISITS_PER_HOUR_PER_IP):
        await client.get("/password-reset/guess")
    assert (await client.get("/password-reset/guess")).status_code == 429


async def test_requests_and_resets_are_audited(
    client: httpx.AsyncClient, db_session: AsyncSession, outbox: list[EmailMessage]
) -> None:
    tenant, _person_row = await _person(db_session)
    await _ask(client, "forgetful@example.com")
    path = _link(outbox[0])
    await _reset(client, path)

    assert await _audit_actions(db_session, tenant.id) == [
        "password.reset_request",
        "password.reset_use",
    ]
    routes = (
        await db_session.execute(
            text("SELECT route FROM audit_events WHERE tenant_id = :t"), {"t": tenant.id}
        )
    ).scalars()
    assert all(path not in (route or "") for route in routes)  # the token is not kept
