"""Invitations: single-use, expiring links into a care account; only their hashes are kept."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from litestar.connection import ASGIConnection
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Invite, Membership, MembershipStatus, Role, Tenant, User
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.identity.services import normalise_email
from app.lib.passwords import hash_password, verify_password

VALID_FOR = timedelta(days=7)
TOKEN_BYTES = 32
PENDING_SHOWN = 50


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def invite_path(tenant_id: uuid.UUID, token: str) -> str:
    return f"/invites/{tenant_id}.{token}"


def parse_link_key(key: str) -> tuple[uuid.UUID, str] | None:
    """(tenant id, token) from the last part of an invite link, or None if malformed."""
    tenant_part, dot, token = key.partition(".")
    if not dot or not token or len(token) > 100:
        return None
    try:
        return uuid.UUID(tenant_part), token
    except ValueError:
        return None


@dataclass(frozen=True)
class IssuedInvite:
    invite_id: uuid.UUID
    email: str
    role: Role
    path: str
    expires_at: datetime


@dataclass(frozen=True)
class PendingInvite:
    invite_id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime


@dataclass(frozen=True)
class OpenInvite:
    """A usable invite as the person who follows its link sees it."""

    invite_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str
    email: str
    role: Role
    invited_by: uuid.UUID
    existing_user_id: uuid.UUID | None
    existing_password_hash: str | None


class AlreadyMember(Exception):
    """The email belongs to someone who is already in this care account."""

    def __init__(self, status: MembershipStatus) -> None:
        super().__init__(status)
        self.status = status


class InviteGone(Exception):
    """Unknown, expired, used or revoked: all look the same to whoever holds the link."""


class AccountExists(Exception):
    """The invited email got an account of its own since the invite page was shown."""


class WrongPassword(Exception):
    """The person with an account did not confirm it with their password."""


class InviteService:
    """Issuing and revoking invites, within the signed-in admin's care account."""

    def __init__(
        self, db: AsyncSession, me: AccessScope, connection: ASGIConnection | None
    ) -> None:
        self.db = db
        self.me = me
        self.connection = connection

    async def issue(self, email: str, role: Role) -> IssuedInvite:
        """A new invite; its path holds the raw token, shown once and never stored.
        A pending invite for the same email is replaced, so only the newest link works."""
        email = normalise_email(email)
        status = await self.db.scalar(
            select(Membership.status)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == self.me.tenant_id, User.email == email)
        )
        if status is not None:
            raise AlreadyMember(MembershipStatus(status))
        replaced = await self.db.scalars(
            update(Invite)
            .where(
                Invite.tenant_id == self.me.tenant_id,
                Invite.email == email,
                Invite.accepted_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > func.now(),
            )
            .values(revoked_at=func.now())
            .returning(Invite.id)
        )
        replaced_ids = [str(invite_id) for invite_id in replaced.all()]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        invite = Invite(
            id=new_id(),
            tenant_id=self.me.tenant_id,
            email=email,
            role=str(role),
            token_hash=token_hash(token),
            invited_by=self.me.user_id,
            expires_at=func.now() + VALID_FOR,
        )
        self.db.add(invite)
        await self.db.flush()
        await self.db.refresh(invite, ["expires_at"])
        detail = {"email": email, "role": str(role), "replaced": ",".join(replaced_ids)}
        await record(
            self.db, self.me, self.connection, "staff.invite", "invite", invite.id, None, detail
        )
        return IssuedInvite(
            invite.id, email, role, invite_path(self.me.tenant_id, token), invite.expires_at
        )

    async def pending(self) -> list[PendingInvite]:
        """Invites not yet used, revoked or expired, the newest first."""
        rows = await self.db.execute(
            select(Invite.id, Invite.email, Invite.role, Invite.expires_at)
            .where(
                Invite.tenant_id == self.me.tenant_id,
                Invite.accepted_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > func.now(),
            )
            # Ids are time-ordered (UUIDv7): the primary key index gives the newest first.
            .order_by(Invite.id.desc())
            .limit(PENDING_SHOWN)
        )
        return [PendingInvite(r.id, r.email, Role(r.role), r.expires_at) for r in rows]

    async def get_pending(self, invite_id: uuid.UUID) -> PendingInvite | None:
        row = (
            await self.db.execute(
                select(Invite.id, Invite.email, Invite.role, Invite.expires_at).where(
                    Invite.tenant_id == self.me.tenant_id,
                    Invite.id == invite_id,
                    Invite.accepted_at.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > func.now(),
                )
            )
        ).first()
        return PendingInvite(row.id, row.email, Role(row.role), row.expires_at) if row else None

    async def revoke(self, invite_id: uuid.UUID) -> bool:
        """Make a pending invite's link stop working; False if it was not pending."""
        revoked = await self.db.scalar(
            update(Invite)
            .where(
                Invite.tenant_id == self.me.tenant_id,
                Invite.id == invite_id,
                Invite.accepted_at.is_(None),
                Invite.revoked_at.is_(None),
            )
            .values(revoked_at=func.now())
            .returning(Invite.email)
        )
        if revoked is None:
            return False
        await record(
            self.db,
            self.me,
            self.connection,
            "staff.invite_revoke",
            "invite",
            invite_id,
            None,
            {"email": revoked},
        )
        return True


class InviteAcceptance:
    """Following an invite link: nobody is signed in to this care account yet, so the
    link's own tenant id binds the transaction before the token is looked up."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def open(self, tenant_id: uuid.UUID, token: str) -> OpenInvite:
        await bind_tenant(self.db, tenant_id)
        row = (
            await self.db.execute(
                select(Invite.id, Invite.email, Invite.role, Invite.invited_by, Tenant.name)
                .join(Tenant, Tenant.id == Invite.tenant_id)
                .where(
                    Invite.tenant_id == tenant_id,
                    Invite.token_hash == token_hash(token),
                    Invite.accepted_at.is_(None),
                    Invite.revoked_at.is_(None),
                    Invite.expires_at > func.now(),
                )
            )
        ).first()
        if row is None:
            raise InviteGone
        existing = (
            await self.db.execute(
                text("SELECT id, password_hash FROM tend_user_for_login(:email)"),
                {"email": row.email},
            )
        ).first()
        return OpenInvite(
            invite_id=row.id,
            tenant_id=tenant_id,
            tenant_name=row.name,
            email=row.email,
            role=Role(row.role),
            invited_by=row.invited_by,
            existing_user_id=existing.id if existing else None,
            existing_password_hash=existing.password_hash if existing else None,
        )

    async def join_with_password(
        self, invite: OpenInvite, password: str, ip: str | None
    ) -> uuid.UUID:
        """Someone who already has an account confirms it with their password and joins."""
        matches, _ = await verify_password(invite.existing_password_hash, password)
        if not matches or invite.existing_user_id is None:
            raise WrongPassword
        await self._use(invite)
        await self._add_membership(invite, invite.existing_user_id, ip)
        return invite.existing_user_id

    async def join_as_new_person(
        self, invite: OpenInvite, display_name: str, password: str, ip: str | None
    ) -> uuid.UUID:
        """A new account for the invited email, and its membership."""
        await self._use(invite)
        password_hash = await hash_password(password)
        user_id = new_id()
        try:
            async with self.db.begin_nested():
                await self.db.execute(
                    insert(User).values(
                        id=user_id,
                        email=invite.email,
                        display_name=display_name.strip(),
                        password_hash=password_hash,
                    )
                )
        except IntegrityError as exc:
            # Someone signed up with this email since the page was shown.
            raise AccountExists from exc
        await self._add_membership(invite, user_id, ip)
        return user_id

    async def _use(self, invite: OpenInvite) -> None:
        """Spend the invite, once: of two people using one link at once, the second
        waits on the row and then finds it already used."""
        used = await self.db.scalar(
            update(Invite)
            .where(
                Invite.tenant_id == invite.tenant_id,
                Invite.id == invite.invite_id,
                Invite.accepted_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > func.now(),
            )
            .values(accepted_at=func.now())
            .returning(Invite.id)
        )
        if used is None:
            raise InviteGone

    async def _add_membership(self, invite: OpenInvite, user_id: uuid.UUID, ip: str | None) -> None:
        # Nothing to add if they became a member by another invite meanwhile.
        await self.db.execute(
            insert(Membership)
            .values(
                tenant_id=invite.tenant_id,
                user_id=user_id,
                role=str(invite.role),
                status=str(MembershipStatus.ACTIVE),
                invited_by=invite.invited_by,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "user_id"])
        )
        # No connection is passed: the route holds the raw token, which must not be kept.
        detail = {"invite": str(invite.invite_id), "role": str(invite.role), "ip": ip or ""}
        actor = _newcomer(invite, user_id)
        await record(
            self.db, actor, None, "staff.invite_accept", "membership", user_id, None, detail
        )


def _newcomer(invite: OpenInvite, user_id: uuid.UUID) -> AccessScope:
    """The person joining, as the audit log's actor (they have no session yet)."""
    return AccessScope(
        tenant_id=invite.tenant_id,
        user_id=user_id,
        session_id=uuid.UUID(int=0),
        role=invite.role,
        display_name="",
        email=invite.email,
        tenant_name=invite.tenant_name,
        mfa_enabled=False,
        mfa_verified=False,
        require_mfa=False,
        locale=None,
    )
