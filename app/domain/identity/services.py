"""Sign-up, sign-in and sessions: the rules, kept out of the controllers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    Membership,
    MembershipStatus,
    Role,
    Session,
    Tenant,
    TenantSettings,
    User,
)
from app.db.models.base import new_id
from app.db.tenancy import USER_KEY, bind_tenant, bind_user
from app.domain.identity import throttle
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.lib import session_tokens
from app.lib.passwords import hash_password, verify_password
from app.lib.unit_of_work import commit


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    tenant_id: uuid.UUID
    session_id: uuid.UUID


@dataclass(frozen=True)
class SignInOutcome:
    """Exactly one of: a user id (password right), `retry_after` (throttled), or neither."""

    user_id: uuid.UUID | None = None
    retry_after: timedelta | None = None
    mfa_enabled: bool = False


@dataclass(frozen=True)
class CareAccount:
    tenant_id: uuid.UUID
    name: str
    role: Role


def normalise_email(email: str) -> str:
    return email.strip().lower()


class EmailTaken(Exception):
    """Another person already signs in with this email address."""


class IdentityService:
    def __init__(self, db: AsyncSession, secret: str, keyring: Keyring) -> None:
        self.db = db
        self.secret = secret
        self.keyring = keyring

    async def sign_up(
        self, care_account: str, display_name: str, email: str, password: str
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """A new care account with its first admin; returns (tenant id, user id)."""
        email = normalise_email(email)
        if await self._user_for_login(email) is not None:
            raise EmailTaken
        tenant = Tenant(id=new_id(), name=care_account.strip())
        self.db.add(tenant)
        await self.db.flush()
        user = User(
            id=new_id(),
            email=email,
            display_name=display_name.strip(),
            password_hash=await hash_password(password),
        )
        await bind_tenant(self.db, tenant.id, user.id)
        try:
            # In a savepoint: a sign-up racing this one for the same address can pass the
            # check above, and then only the unique index tells them apart.
            async with self.db.begin_nested():
                self.db.add(user)
                await self.db.flush()
        except IntegrityError as exc:
            if "uq_users_email" not in str(exc.orig):
                raise
            raise EmailTaken from exc
        self.db.add(TenantSettings(tenant_id=tenant.id))
        self.db.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role.ADMIN))
        await self.db.flush()
        await self.keyring.create_for_tenant(self.db, tenant.id)
        return tenant.id, user.id

    async def sign_in(self, email: str, password: str, ip: str) -> SignInOutcome:
        """Check a password, within the throttle. Failures are committed at once, so a
        refused attempt still counts even though the request answers with an error."""
        email = normalise_email(email)
        verdict = await throttle.check(self.db, email, ip)
        if not verdict.allowed:
            return SignInOutcome(retry_after=verdict.retry_after)
        found = await self._user_for_login(email)
        matches, needs_rehash = await verify_password(
            found.password_hash if found else None, password
        )
        if not matches or found is None:
            await throttle.record_failure(self.db, email, ip)
            await commit(self.db)
            return SignInOutcome()
        await throttle.record_success(self.db, email)
        await bind_user(self.db, found.id)
        if needs_rehash:
            await self.db.execute(
                update(User)
                .where(User.id == found.id)
                .values(password_hash=await hash_password(password))
            )
        return SignInOutcome(user_id=found.id, mfa_enabled=found.mfa_enabled)

    async def care_accounts(self, user_id: uuid.UUID) -> list[CareAccount]:
        """The active memberships of a person, across care accounts (their own rows only)."""
        if self.db.info.get(USER_KEY) != user_id:
            # Signing in: no one is bound yet. A signed-in request keeps its tenant binding
            # (its own memberships are visible anyway), so later statements still see it.
            await bind_user(self.db, user_id)
        rows = await self.db.execute(
            select(Membership.tenant_id, Tenant.name, Membership.role)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user_id, Membership.status == MembershipStatus.ACTIVE)
            .order_by(Membership.created_at)
        )
        return [CareAccount(row.tenant_id, row.name, Role(row.role)) for row in rows]

    async def start_session(
        self,
        user_id: uuid.UUID,
        tenant_id: uuid.UUID,
        *,
        ip: str | None,
        user_agent: str | None,
        mfa_verified: bool,
    ) -> IssuedSession:
        """A new session row and its token: at sign-in, after the MFA step, on a switch."""
        await bind_tenant(self.db, tenant_id, user_id)
        settings = await self.db.get(TenantSettings, tenant_id)
        lifetime = timedelta(hours=settings.session_lifetime_hours if settings else 12)
        now = datetime.now(UTC)
        row = Session(
            tenant_id=tenant_id,
            user_id=user_id,
            expires_at=now + lifetime,
            mfa_verified_at=now if mfa_verified else None,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        self.db.add(row)
        await self.db.flush()
        claims = session_tokens.SessionClaims(user_id, tenant_id, row.id)
        return IssuedSession(
            token=session_tokens.encode(claims, self.secret, row.expires_at),
            expires_at=row.expires_at,
            tenant_id=tenant_id,
            session_id=row.id,
        )

    async def replace_session(
        self,
        old: AccessScope,
        tenant_id: uuid.UUID,
        *,
        ip: str | None,
        user_agent: str | None,
        mfa_verified: bool,
    ) -> IssuedSession:
        """End `old`'s session and start another: the token changes whenever what it
        proves changes (the second factor given, another care account)."""
        await self.end_session(old.tenant_id, old.session_id)
        return await self.start_session(
            old.user_id, tenant_id, ip=ip, user_agent=user_agent, mfa_verified=mfa_verified
        )

    async def end_session(self, tenant_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Revoke one session. Binds to its tenant first: a caller may have narrowed the
        binding to the person alone (`care_accounts`), where no session row is visible."""
        await bind_tenant(self.db, tenant_id, self.db.info.get(USER_KEY))
        await self.db.execute(
            update(Session)
            .where(Session.tenant_id == tenant_id, Session.id == session_id)
            .values(revoked_at=datetime.now(UTC))
        )

    async def end_every_session(self, user_id: uuid.UUID) -> None:
        """Log out of all devices, in every care account: earlier sessions become void.

        The clock time, not the transaction's start (`now()`): a session created earlier
        in this same transaction, or in one that began at the same instant, is void too.
        """
        await self.db.execute(
            update(User)
            .where(User.id == user_id)
            .values(sessions_not_before=text("clock_timestamp()"))
        )

    async def mfa_secret(self, user_id: uuid.UUID) -> bytes | None:
        """The sealed TOTP secret of a person (pending or enabled)."""
        # Only through this function: the app role may not read users.mfa_secret itself.
        return await self.db.scalar(
            text("SELECT tend_own_mfa_secret(:user_id)"), {"user_id": user_id}
        )

    async def _user_for_login(self, email: str):  # type: ignore[no-untyped-def]
        return (
            await self.db.execute(
                text("SELECT id, password_hash, mfa_enabled FROM tend_user_for_login(:email)"),
                {"email": email},
            )
        ).first()
