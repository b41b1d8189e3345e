"""Members of a care account: the staff list, roles, deactivation and MFA resets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, MembershipStatus, Role, Session, User
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope

PAGE_SIZE = 25
_SORT_NAME = func.lower(User.display_name)


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    display_name: str
    email: str
    role: Role
    status: MembershipStatus
    mfa_enabled: bool
    sort_name: str

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


@dataclass(frozen=True)
class PageKey:
    """Where a page of the staff list starts or ends: (lower(display_name), user id)."""

    name: str
    user_id: uuid.UUID


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    next_key: PageKey | None
    previous_key: PageKey | None


class MemberNotFound(Exception):
    """No member with that id in this care account (or none this person may see)."""


class LastAdmin(Exception):
    """The change would leave the care account without an active administrator."""


class OwnMfa(Exception):
    """Admins manage their own MFA on their account page, not by resetting it here."""


def _like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _member(row) -> Member:  # type: ignore[no-untyped-def]
    return Member(
        user_id=row.user_id,
        display_name=row.display_name,
        email=row.email,
        role=Role(row.role),
        status=MembershipStatus(row.status),
        mfa_enabled=row.mfa_enabled,
        sort_name=row.sort_name,
    )


class StaffService:
    """Staff changes within the signed-in admin's care account; each one is audited."""

    def __init__(
        self, db: AsyncSession, me: AccessScope, connection: ASGIConnection | None
    ) -> None:
        self.db = db
        self.me = me
        self.connection = connection

    def _members(self):  # type: ignore[no-untyped-def]
        return (
            select(
                Membership.user_id,
                User.display_name,
                User.email,
                Membership.role,
                Membership.status,
                User.mfa_enabled_at.is_not(None).label("mfa_enabled"),
                _SORT_NAME.label("sort_name"),
            )
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == self.me.tenant_id)
        )

    async def page(
        self,
        query: str = "",
        *,
        after: PageKey | None = None,
        before: PageKey | None = None,
        size: int = PAGE_SIZE,
    ) -> MemberPage:
        """One page of members by name, after (or before) a key: a page deep in the list
        costs what the first one does, as nothing is counted or skipped."""
        statement = self._members()
        query = query.strip().lower()
        if query:
            pattern = _like_pattern(query)
            statement = statement.where(
                or_(_SORT_NAME.like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
            )
        key = tuple_(_SORT_NAME, User.id)
        if before is not None:
            statement = statement.where(key < tuple_(before.name, before.user_id)).order_by(
                _SORT_NAME.desc(), User.id.desc()
            )
        else:
            if after is not None:
                statement = statement.where(key > tuple_(after.name, after.user_id))
            statement = statement.order_by(_SORT_NAME, User.id)
        rows = (await self.db.execute(statement.limit(size + 1))).all()
        members = [_member(row) for row in rows[:size]]
        more = len(rows) > size
        if before is not None:
            members.reverse()
            has_next, has_previous = True, more
        else:
            has_next, has_previous = more, after is not None
        return MemberPage(
            members=members,
            next_key=_key(members[-1]) if members and has_next else None,
            previous_key=_key(members[0]) if members and has_previous else None,
        )

    async def get(self, user_id: uuid.UUID) -> Member:
        row = (await self.db.execute(self._members().where(Membership.user_id == user_id))).first()
        if row is None:
            raise MemberNotFound
        return _member(row)

    async def change_role(self, user_id: uuid.UUID, role: Role) -> Member:
        """Give a member another role; the last active admin keeps theirs."""
        current = await self._lock_for_change(user_id, removes_admin=role != Role.ADMIN)
        if current.role == role:
            return await self.get(user_id)
        await self.db.execute(
            update(Membership)
            .where(Membership.tenant_id == self.me.tenant_id, Membership.user_id == user_id)
            .values(role=str(role))
        )
        await self._audit(
            "staff.role_change", user_id, {"from": str(current.role), "to": str(role)}
        )
        return await self.get(user_id)

    async def deactivate(self, user_id: uuid.UUID) -> Member:
        """Stop a member from signing in here; their open sessions end now."""
        current = await self._lock_for_change(user_id, removes_admin=True)
        if current.status == MembershipStatus.DEACTIVATED:
            return await self.get(user_id)
        await self._set_status(user_id, MembershipStatus.DEACTIVATED)
        # Revoked rather than only refused while deactivated, so reactivating someone
        # does not bring an old session (on a lost phone, say) back to life.
        await self.db.execute(
            update(Session)
            .where(
                Session.tenant_id == self.me.tenant_id,
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
            )
            .values(revoked_at=func.now())
        )
        await self._audit("staff.deactivate", user_id, {"role": str(current.role)})
        return await self.get(user_id)

    async def reactivate(self, user_id: uuid.UUID) -> Member:
        """Let a deactivated member sign in again, with the role they had."""
        current = await self._lock_for_change(user_id, removes_admin=False)
        if current.status == MembershipStatus.ACTIVE:
            return await self.get(user_id)
        await self._set_status(user_id, MembershipStatus.ACTIVE)
        await self._audit("staff.reactivate", user_id, {"role": str(current.role)})
        return await self.get(user_id)

    async def reset_mfa(self, user_id: uuid.UUID) -> Member:
        """Clear a member's second factor (a lost phone): they set it up again at their
        next sign-in, and every session they have now ends."""
        if user_id == self.me.user_id:
            raise OwnMfa
        current = await self._lock_for_change(user_id, removes_admin=False)
        if not current.mfa_enabled:
            return current  # nothing to reset; their sessions are left alone
        await self.db.execute(
            update(User)
            .where(User.id == user_id)
            # clock_timestamp(), not now(): now() is when this transaction began, and a
            # session started since then must not survive the reset.
            .values(
                mfa_secret=None,
                mfa_enabled_at=None,
                mfa_last_step=None,
                sessions_not_before=func.clock_timestamp(),
            )
        )
        await self._audit("staff.mfa_reset", user_id, {})
        return await self.get(user_id)

    async def _lock_for_change(self, user_id: uuid.UUID, *, removes_admin: bool) -> Member:
        """Lock the active admins, then the member, and apply the last-admin rule.

        The admins' rows are locked first, in id order, by every change: two admins
        demoting each other at once then take turns, and the second sees the first's
        change (READ COMMITTED re-checks a locked row), so one of them is refused.
        """
        admins = set(
            (
                await self.db.scalars(
                    select(Membership.user_id)
                    .where(
                        Membership.tenant_id == self.me.tenant_id,
                        Membership.role == Role.ADMIN,
                        Membership.status == MembershipStatus.ACTIVE,
                    )
                    .order_by(Membership.user_id)
                    .with_for_update()
                )
            ).all()
        )
        found = await self.db.scalar(
            select(Membership.user_id)
            .where(Membership.tenant_id == self.me.tenant_id, Membership.user_id == user_id)
            .with_for_update()
        )
        if found is None:
            raise MemberNotFound
        member = await self.get(user_id)
        if removes_admin and admins == {user_id}:
            raise LastAdmin
        return member

    async def _set_status(self, user_id: uuid.UUID, status: MembershipStatus) -> None:
        await self.db.execute(
            update(Membership)
            .where(Membership.tenant_id == self.me.tenant_id, Membership.user_id == user_id)
            .values(status=str(status))
        )

    async def _audit(self, action: str, user_id: uuid.UUID, detail: dict[str, str]) -> None:
        await record(self.db, self.me, self.connection, action, "membership", user_id, None, detail)


def _key(member: Member) -> PageKey:
    return PageKey(member.sort_name, member.user_id)
