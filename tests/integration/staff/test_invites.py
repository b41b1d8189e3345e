"""Invitations: issued by admins, shown once, stored hashed, used once, within 7 days."""

from __future__ import annotations

import dataclasses
import hashlib
import smtplib

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import MailSettings
from app.db.models import Invite, Membership, Role, User
from app.db.tenancy import bind_tenant
from app.domain.staff import mail
from tests.conftest import SESSION_COOKIE, csrf_headers
from tests.factories import PASSWORD, make_person, make_tenant, sign_in
from tests.integration.staff.helpers import audit_actions, invite_link

NEW_PASSWORD = "lantern meadow copper violin"


async def _post(client: httpx.AsyncClient, path: str, data: dict | None = None):
    return await client.post(path, data=data or {}, headers=await csrf_headers(client))


async def _admin(client: httpx.AsyncClient, db: AsyncSession, name: str = "Hillside Care"):
    tenant = await make_tenant(db, name)
    admin = await make_person(db, tenant, Role.ADMIN, name="Ada Admin")
    await sign_in(client, db, tenant, admin)
    return tenant, admin


async def _invite(client: httpx.AsyncClient, email: str, role: str = "carer") -> tuple[str, str]:
    response = await _post(client, "/staff/invite", {"email": email, "role": role})
    assert response.status_code == 200, response.text
    return invite_link(response.text)


async def _join(client: httpx.AsyncClient, path: str, name: str = "Nia New"):
    return await _post(client, path, {"display_name": name, "password": NEW_PASSWORD})


async def test_invite_shows_a_link_to_share(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    assert path.startswith(f"/invites/{tenant.id}.")


async def test_invite_form_refuses_a_bad_email_and_keeps_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    response = await _post(client, "/staff/invite", {"email": "not-an-address", "role": "carer"})
    assert response.status_code == 422
    assert 'id="error-email"' in response.text
    assert 'value="not-an-address"' in response.text


async def test_invite_for_a_current_member_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    await make_person(db_session, tenant, Role.CARER, email="here@example.com")
    response = await _post(client, "/staff/invite", {"email": "Here@Example.com", "role": "carer"})
    assert response.status_code == 422
    assert "already a member" in response.text


async def test_token_is_stored_only_as_its_hash(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    _path, token = await _invite(client, "nia@example.com")
    await bind_tenant(db_session, tenant.id)
    stored = (await db_session.execute(text("SELECT * FROM invites"))).mappings().one()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).digest()
    assert all(token not in str(value) for value in stored.values())
    assert all(
        token.encode() not in bytes(value) for value in stored.values() if isinstance(value, bytes)
    )


async def test_token_is_not_kept_in_the_audit_log(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, token = await _invite(client, "nia@example.com")
    await _join(other_client, path)
    await bind_tenant(db_session, tenant.id)
    rows = (await db_session.execute(text("SELECT route, detail::text FROM audit_events"))).all()
    assert rows
    assert all(token not in str(value) for row in rows for value in row)


async def test_invite_is_audited(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    await _invite(client, "nia@example.com")
    assert "staff.invite" in await audit_actions(db_session, tenant.id)


async def test_invite_page_shows_the_care_account_and_role(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session, "Hillside Care")
    path, _token = await _invite(client, "nia@example.com", role="observer")
    response = await other_client.get(path)
    assert response.status_code == 200
    assert "Hillside Care" in response.text
    assert "Observer" in response.text


async def test_new_person_joins_and_is_signed_in(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session, "Hillside Care")
    path, _token = await _invite(client, "nia@example.com")
    response = await _join(other_client, path, "Nia New")
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    account = await other_client.get("/account")
    assert account.status_code == 200
    assert "Nia New" in account.text
    assert "Hillside Care" in account.text


async def test_new_person_gets_the_invited_role(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com", role="observer")
    await _join(other_client, path)
    await bind_tenant(db_session, tenant.id)
    role = await db_session.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(User.email == "nia@example.com")
    )
    assert role == "observer"


async def test_weak_password_is_refused_and_the_name_kept(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    response = await _post(other_client, path, {"display_name": "Nia New", "password": "short"})
    assert response.status_code == 422
    assert 'id="error-password"' in response.text
    assert 'value="Nia New"' in response.text


async def test_refused_form_leaves_the_invite_usable(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    await _post(other_client, path, {"display_name": "", "password": "short"})
    assert (await _join(other_client, path)).status_code == 303


async def test_invite_works_only_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    assert (await _join(other_client, path)).status_code == 303
    other_client.cookies.clear()
    second = await _join(other_client, path, "Someone Else")
    assert second.status_code == 410
    assert "can no longer be used" in second.text


async def test_expired_invite_cannot_be_used(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    await bind_tenant(db_session, tenant.id)
    await db_session.execute(text("UPDATE invites SET expires_at = now() - interval '1 minute'"))
    await db_session.commit()
    response = await other_client.get(path)
    assert response.status_code == 410
    assert "can no longer be used" in response.text


async def test_unknown_token_looks_the_same_as_a_used_one(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    response = await other_client.get(f"/invites/{tenant.id}.not-a-real-token")
    assert response.status_code == 410
    assert "can no longer be used" in response.text


async def test_link_with_another_care_accounts_id_finds_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    _path, token = await _invite(client, "nia@example.com")
    elsewhere = await make_tenant(db_session)
    await db_session.commit()
    response = await other_client.get(f"/invites/{elsewhere.id}.{token}")
    assert response.status_code == 410


async def test_malformed_link_looks_the_same_as_a_used_one(other_client: httpx.AsyncClient) -> None:
    response = await other_client.get("/invites/nonsense")
    assert response.status_code == 410


async def test_revoked_invite_cannot_be_used(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    await bind_tenant(db_session, tenant.id)
    invite_id = await db_session.scalar(select(Invite.id))
    revoked = await _post(client, f"/staff/invites/{invite_id}/revoke")
    assert revoked.status_code == 303
    assert (await other_client.get(path)).status_code == 410


async def test_revoking_asks_for_confirmation_first(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    await _invite(client, "nia@example.com")
    await bind_tenant(db_session, tenant.id)
    invite_id = await db_session.scalar(select(Invite.id))
    response = await client.get(f"/staff/invites/{invite_id}/revoke")
    assert response.status_code == 200
    assert "Withdraw the invitation for nia@example.com?" in response.text


async def test_pending_invites_are_listed_on_the_staff_page(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    await _invite(client, "nia@example.com")
    response = await client.get("/staff")
    assert "nia@example.com" in response.text


async def test_reinviting_an_email_replaces_the_pending_invite(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await _admin(client, db_session)
    old_path, _old = await _invite(client, "nia@example.com")
    new_path, _new = await _invite(client, "nia@example.com", role="observer")
    assert (await other_client.get(old_path)).status_code == 410
    assert (await other_client.get(new_path)).status_code == 200


async def test_existing_account_joins_after_confirming_its_password(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    elsewhere = await make_tenant(db_session)
    known = await make_person(db_session, elsewhere, Role.CARER, email="known@example.com")
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "known@example.com")
    page = await other_client.get(path)
    assert "already have a Tend account" in page.text
    response = await _post(other_client, path, {"password": PASSWORD})
    assert response.status_code == 303
    await bind_tenant(db_session, tenant.id)
    membership = await db_session.scalar(
        select(Membership.status).where(
            Membership.tenant_id == tenant.id, Membership.user_id == known.id
        )
    )
    assert membership == "active"


async def test_existing_account_with_a_wrong_password_is_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    elsewhere = await make_tenant(db_session)
    known = await make_person(db_session, elsewhere, Role.CARER, email="known@example.com")
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "known@example.com")
    response = await _post(other_client, path, {"password": "not the password at all"})
    assert response.status_code == 422
    assert SESSION_COOKIE not in response.cookies
    await bind_tenant(db_session, tenant.id)
    membership = await db_session.scalar(
        select(Membership.status).where(
            Membership.tenant_id == tenant.id, Membership.user_id == known.id
        )
    )
    assert membership is None


async def test_accepting_is_audited(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    path, _token = await _invite(client, "nia@example.com")
    await _join(other_client, path)
    assert "staff.invite_accept" in await audit_actions(db_session, tenant.id)


async def test_too_many_visits_from_one_address_are_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant, _admin_user = await _admin(client, db_session)
    for _ in range(20):
        await other_client.get(f"/invites/{tenant.id}.guess")
    response = await other_client.get(f"/invites/{tenant.id}.guess")
    assert response.status_code == 429


async def test_invite_is_emailed_when_mail_is_set_up(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    app: Litestar,
) -> None:
    sent: list = []

    class FakeSmtp:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            self.address = (host, port)

        def __enter__(self) -> FakeSmtp:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def ehlo(self) -> None:
            return None

        def has_extn(self, name: str) -> bool:
            return False

        def login(self, user: str, password: str) -> None:
            return None

        def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
            sent.append(message)

    _mail_server(app, "smtp://mailer:secret@mail.example.com:2525")
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)
    await _admin(client, db_session, "Hillside Care")
    path, _token = await _invite(client, "nia@example.com")
    [message] = sent
    assert message["To"] == "nia@example.com"
    assert path in message.get_content()


async def test_failed_email_is_a_warning_and_the_invite_still_works(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    db_session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    app: Litestar,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPConnectError(421, "try later")

    _mail_server(app, "smtp://mail.example.com:2525")
    monkeypatch.setattr(mail.smtplib, "SMTP", refuse)
    await _admin(client, db_session)
    response = await _post(client, "/staff/invite", {"email": "nia@example.com", "role": "carer"})
    assert response.status_code == 200
    assert "could not be sent" in response.text
    path, _token = invite_link(response.text)
    assert (await other_client.get(path)).status_code == 200


def _mail_server(app: Litestar, url: str) -> None:
    """Point the app under test at a mail server (settings are read once, at start)."""
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, mail=MailSettings(smtp_url=url))
