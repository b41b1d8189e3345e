"""Changing a password, and resetting a forgotten one by a single-use link.

A reset link holds a random token; only its SHA-256 is stored, it works once and for an
hour, and making a new one for a person voids the ones before. A new password, by either
road, ends the person's other sessions in every care account they belong to.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.connection import ASGIConnection
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, MembershipStatus, PasswordReset, Session, User
from app.db.tenancy import TENANT_KEY, USER_KEY, bind_tenant, bind_user
from app.domain.audit.services import append, client_ip, record
from app.domain.identity import throttle
from app.domain.identity.access import AccessScope
from app.domain.identity.services import normalise_email
from app.lib.passwords import hash_password, verify_password

VALID_FOR = timedelta(hours=1)
TOKEN_BYTES = 32
PATH = "/password-reset"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def reset_path(token: str) -> str:
    return f"{PATH}/{token}"


def change_subject(user_id: uuid.UUID) -> str:
    """What wrong current passwords are counted under: a count of its own, so a right
    password at sign-in does not clear it (as for MFA codes)."""
    return f"password-change|{user_id}"


@dataclass(frozen=True)
class IssuedReset:
    user_id: uuid.UUID
    email: str
    path: str
    expires_at: datetime


@dataclass(frozen=True)
class OpenReset:
    """A usable reset link, as the person who follows it sees it."""

    reset_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    display_name: str


class WrongPassword(Exception):
    """The current password given to change it was not right."""


class ResetGone(Exception):
    """Unknown, expired, used or replaced: all look the same to whoever holds the link."""


class MemberElsewhere(Exception):
    """The member also belongs to another care account, whose admins this one is not."""


class PasswordService:
    def __init__(self, db: AsyncSession, connection: ASGIConnection | None) -> None:
        self.db = db
        self.connection = connection

    # -- Changing one's own password ----------------------------------------------------

    async def change(self, me: AccessScope, current: str, new: str) -> None:
        """Set a new password after checking the current one; every other session of the
        person ends, this one continues. Raises WrongPassword."""
        stored = await self.db.scalar(
            text("SELECT password_hash FROM tend_user_for_login(:email)"), {"email": me.email}
        )
        matches, _rehash = await verify_password(stored, current)
        if not matches:
            raise WrongPassword
        await self._set_password(me.user_id, new)
        await self._end_sessions(me.user_id, keep=me.session_id)
        await record(self.db, me, self.connection, "password.change", "user", me.user_id)

    # -- Reset links --------------------------------------------------------------------

    async def request_by_email(self, email: str) -> IssuedReset | None:
        """A reset link for the account with this email, or None if there is none. The
        caller answers the same either way."""
        found = await self.db.scalar(
            text("SELECT id FROM tend_user_for_login(:email)"), {"email": normalise_email(email)}
        )
        if found is None:
            return None
        issued = await self._issue(found, made_by=None, made_in=None)
        await self._audit_everywhere(found, None, "password.reset_request", {"by": "email"})
        return IssuedReset(found, normalise_email(email), issued[0], issued[1])

    async def make_for_member(self, me: AccessScope, user_id: uuid.UUID) -> IssuedReset:
        """A link an administrator hands to a member of their care account (the caller
        has checked the membership). Raises MemberElsewhere for someone who also belongs
        to another care account: this admin may not take over their sign-in there."""
        tenants = await self._care_accounts_of(user_id)
        if any(tenant_id != me.tenant_id for tenant_id in tenants):
            raise MemberElsewhere
        path, expires_at = await self._issue(user_id, made_by=me.user_id, made_in=me.tenant_id)
        email = await self.db.scalar(select(User.email).where(User.id == user_id))
        await record(self.db, me, self.connection, "password.reset_link", "user", user_id)
        return IssuedReset(user_id, email or "", path, expires_at)

    async def open(self, token: str) -> OpenReset:
        """The person a usable link is for; raises ResetGone."""
        row = (
            await self.db.execute(
                select(PasswordReset.id, PasswordReset.user_id).where(
                    PasswordReset.token_hash == token_hash(token),
                    PasswordReset.used_at.is_(None),
                    PasswordReset.expires_at > func.now(),
                )
            )
        ).first()
        if row is None:
            raise ResetGone
        await bind_user(self.db, row.user_id)
        person = (
            await self.db.execute(
                select(User.email, User.display_name).where(User.id == row.user_id)
            )
        ).first()
        if person is None:
            raise ResetGone
        return OpenReset(row.id, row.user_id, person.email, person.display_name)

    async def use(self, reset: OpenReset, new: str) -> None:
        """Spend the link (once: of two uses at once, the second waits on the row and then
        finds it used), set the password, and end every session of the person."""
        spent = await self.db.scalar(
            update(PasswordReset)
            .where(
                PasswordReset.id == reset.reset_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > func.now(),
            )
            .values(used_at=func.now())
            .returning(PasswordReset.id)
        )
        if spent is None:
            raise ResetGone
        await bind_user(self.db, reset.user_id)
        await self._set_password(reset.user_id, new)
        await self._end_sessions(reset.user_id, keep=None)
        # A lock from someone else's guesses would keep the owner out after all.
        await throttle.record_success(self.db, reset.email)
        await self._audit_everywhere(
            reset.user_id, reset.user_id, "password.reset_use", {"reset": str(reset.reset_id)}
        )

    # -- Shared steps -------------------------------------------------------------------

    async def _issue(
        self, user_id: uuid.UUID, *, made_by: uuid.UUID | None, made_in: uuid.UUID | None
    ) -> tuple[str, datetime]:
        """A new link for the person; their earlier unused links stop working."""
        await self._void_links(user_id)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires_at = await self.db.scalar(
            select(func.now() + VALID_FOR)  # the database's clock, which checks it later
        )
        self.db.add(
            PasswordReset(
                user_id=user_id,
                token_hash=token_hash(token),
                expires_at=expires_at,
                made_by=made_by,
                made_in=made_in,
            )
        )
        await self.db.flush()
        return reset_path(token), expires_at

    async def _void_links(self, user_id: uuid.UUID) -> None:
        await self.db.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
            .values(used_at=func.now())
        )

    async def _set_password(self, user_id: uuid.UUID, new: str) -> None:
        await self.db.execute(
            update(User).where(User.id == user_id).values(password_hash=await hash_password(new))
        )
        # Any link still out there was for the old password.
        await self._void_links(user_id)

    async def _care_accounts_of(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Every care account the person is a member of, whatever the status. Seen as the
        person (their own memberships), then the session's binding is put back."""
        tenant_id, bound_user = self.db.info.get(TENANT_KEY), self.db.info.get(USER_KEY)
        await bind_user(self.db, user_id)
        found = list(
            (
                await self.db.scalars(
                    select(Membership.tenant_id).where(Membership.user_id == user_id)
                )
            ).all()
        )
        await _rebind(self.db, tenant_id, bound_user)
        return found

    async def _end_sessions(self, user_id: uuid.UUID, *, keep: uuid.UUID | None) -> None:
        """Revoke the person's sessions in each of their care accounts, but `keep`."""
        tenant_id, bound_user = self.db.info.get(TENANT_KEY), self.db.info.get(USER_KEY)
        for care_account in await self._care_accounts_of(user_id):
            await bind_tenant(self.db, care_account, user_id)
            statement = update(Session).where(
                Session.tenant_id == care_account,
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
            )
            if keep is not None:
                statement = statement.where(Session.id != keep)
            await self.db.execute(statement.values(revoked_at=func.clock_timestamp()))
        await _rebind(self.db, tenant_id, bound_user)

    async def _audit_everywhere(
        self, user_id: uuid.UUID, actor: uuid.UUID | None, action: str, detail: dict[str, str]
    ) -> None:
        """One event in each care account of the person where they are active: nobody is
        signed in to one care account here, and each one's admins should see it."""
        tenant_id, bound_user = self.db.info.get(TENANT_KEY), self.db.info.get(USER_KEY)
        await bind_user(self.db, user_id)
        active = (
            await self.db.scalars(
                select(Membership.tenant_id).where(
                    Membership.user_id == user_id,
                    Membership.status == str(MembershipStatus.ACTIVE),
                )
            )
        ).all()
        await _rebind(self.db, tenant_id, bound_user)
        route = self.connection.url.path if self.connection else None
        if route and route.startswith(PATH + "/"):
            route = PATH + "/…"  # the raw token is never kept, not even in the audit log
        ip = client_ip(self.connection) if self.connection else None
        for care_account in active:
            await append(
                self.db, care_account, actor, action, "user", user_id, None, detail, route, ip
            )


async def _rebind(db: AsyncSession, tenant_id: uuid.UUID | None, user_id: uuid.UUID | None) -> None:
    if tenant_id is not None:
        await bind_tenant(db, tenant_id, user_id)
    elif user_id is not None:
        await bind_user(db, user_id)
