"""Who may see a patient: admins grant carers and observers access, for good or until a day.

Every method takes the `Patient` itself, fetched through the scoped PatientService, so a
grant can only be made on a patient the admin can see in their own care account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, MembershipStatus, Patient, PatientAccess, Role, User
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.lib.i18n import _

GRANTABLE_ROLES = (str(Role.CARER), str(Role.OBSERVER))


class NotGrantable(Exception):
    """The person is not an active carer or observer of this care account."""


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    name: str
    role: str


@dataclass(frozen=True)
class Grant:
    user_id: uuid.UUID
    name: str
    role: str
    active_member: bool
    expires_at: datetime | None
    expired: bool


class AccessGrantService:
    """The access panel of one patient (admins only)."""

    def __init__(self, db: AsyncSession, me: AccessScope, connection: ASGIConnection) -> None:
        self.db = db
        self.me = me
        self.connection = connection

    def _require_admin(self) -> None:
        if not self.me.is_admin:
            raise PermissionDeniedException(_("Only an administrator can do this."))

    async def for_patient(self, patient: Patient) -> list[Grant]:
        """Everyone holding a grant on the patient, expired ones too (marked as such)."""
        self._require_admin()
        rows = await self.db.execute(
            select(
                PatientAccess.user_id,
                User.display_name,
                Membership.role,
                Membership.status,
                PatientAccess.expires_at,
                (PatientAccess.expires_at <= func.now()).label("expired"),
            )
            .join(
                Membership,
                and_(
                    Membership.tenant_id == PatientAccess.tenant_id,
                    Membership.user_id == PatientAccess.user_id,
                ),
            )
            .join(User, User.id == PatientAccess.user_id)
            .where(
                PatientAccess.tenant_id == self.me.tenant_id,
                PatientAccess.patient_id == patient.id,
            )
            .order_by(User.display_name, PatientAccess.user_id)
        )
        return [
            Grant(
                user_id=row.user_id,
                name=row.display_name,
                role=row.role,
                active_member=row.status == MembershipStatus.ACTIVE,
                expires_at=row.expires_at,
                expired=bool(row.expired),
            )
            for row in rows.all()
        ]

    async def grant_of(self, patient: Patient, user_id: uuid.UUID) -> Grant | None:
        self._require_admin()
        return next((g for g in await self.for_patient(patient) if g.user_id == user_id), None)

    async def grantable(self, user_id: uuid.UUID | None = None) -> list[Member]:
        """Active carers and observers of the care account (admins need no grant), or just
        the one with `user_id` if they are one."""
        self._require_admin()
        statement = (
            select(Membership.user_id, User.display_name, Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.tenant_id == self.me.tenant_id,
                Membership.status == str(MembershipStatus.ACTIVE),
                Membership.role.in_(GRANTABLE_ROLES),
            )
            .order_by(User.display_name, Membership.user_id)
        )
        if user_id is not None:
            statement = statement.where(Membership.user_id == user_id)
        rows = (await self.db.execute(statement)).all()
        return [Member(row.user_id, row.display_name, row.role) for row in rows]

    async def grant(
        self, patient: Patient, user_id: uuid.UUID, expires_at: datetime | None
    ) -> Member:
        """Give (or renew) access; raises NotGrantable for anyone but an active carer or
        observer of this care account."""
        self._require_admin()
        members = await self.grantable(user_id)
        if not members:
            raise NotGrantable
        statement = insert(PatientAccess).values(
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            user_id=user_id,
            granted_by=self.me.user_id,
            expires_at=expires_at,
        )
        await self.db.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "patient_id", "user_id"],
                set_={
                    "granted_by": self.me.user_id,
                    "granted_at": func.now(),
                    "expires_at": expires_at,
                },
            )
        )
        detail = {
            "user_id": str(user_id),
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        await record(
            self.db,
            self.me,
            self.connection,
            "access.grant",
            "patient_access",
            object_id=user_id,
            patient_id=patient.id,
            detail=detail,
        )
        return members[0]

    async def revoke(self, patient: Patient, user_id: uuid.UUID) -> bool:
        """Take access away; False (and nothing audited) when the person held none, so a
        second click, or a stale page, changes nothing."""
        self._require_admin()
        removed = await self.db.scalar(
            delete(PatientAccess)
            .where(
                PatientAccess.tenant_id == self.me.tenant_id,
                PatientAccess.patient_id == patient.id,
                PatientAccess.user_id == user_id,
            )
            .returning(PatientAccess.user_id)
        )
        if removed is None:
            return False
        await record(
            self.db,
            self.me,
            self.connection,
            "access.revoke",
            "patient_access",
            object_id=user_id,
            patient_id=patient.id,
            detail={"user_id": str(user_id)},
        )
        return True
