"""Who is asking: the access scope every request handler and repository works within."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Role
from app.db.tenancy import TENANT_KEY, USER_KEY
from app.lib.session_tokens import SessionClaims


@dataclass(frozen=True)
class AccessScope:
    """The signed-in person in one care account, as checked against the database."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: Role
    display_name: str
    email: str
    tenant_name: str
    mfa_enabled: bool
    mfa_verified: bool
    require_mfa: bool
    locale: str | None
    plan: str = "complete"
    time_zone: str = "UTC"
    dose_window_minutes: int = 60

    @property
    def zone(self) -> ZoneInfo:
        """The care account's time zone (UTC when unknown)."""
        try:
            return ZoneInfo(self.time_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write_care(self) -> bool:
        """Admins and carers record care; observers only read."""
        return self.role in (Role.ADMIN, Role.CARER)

    @property
    def mfa_pending(self) -> bool:
        """Signed in with a password, but the second factor is still owed."""
        return self.mfa_enabled and not self.mfa_verified

    @property
    def must_enrol_mfa(self) -> bool:
        """Admins, and everyone in a care account that requires it, must set up MFA first."""
        return not self.mfa_enabled and (self.is_admin or self.require_mfa)


_OPEN = text("SELECT * FROM tend_open_session(:tenant_id, :user_id, :session_id)")
_UNBIND = text("SELECT set_config('app.tenant_id', '', true), set_config('app.user_id', '', true)")


async def open_session(db: AsyncSession, claims: SessionClaims) -> AccessScope | None:
    """Bind this transaction to the session's tenant and check the session, in one round trip."""
    row = (
        (
            await db.execute(
                _OPEN,
                {
                    "tenant_id": claims.tenant_id,
                    "user_id": claims.user_id,
                    "session_id": claims.session_id,
                },
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        # The token was genuine but its session is over: unbind, and treat as signed out.
        await db.execute(_UNBIND)
        return None
    # Later transactions of this request re-bind through app.db.tenancy's hook.
    db.info[TENANT_KEY] = claims.tenant_id
    db.info[USER_KEY] = claims.user_id
    return AccessScope(
        tenant_id=claims.tenant_id,
        user_id=claims.user_id,
        session_id=claims.session_id,
        role=Role(row["role"]),
        display_name=row["display_name"],
        email=row["email"],
        tenant_name=row["tenant_name"],
        mfa_enabled=row["mfa_enabled"],
        mfa_verified=row["mfa_verified"],
        require_mfa=row["require_mfa"],
        locale=row["locale"],
        plan=row["plan"],
        time_zone=row["time_zone"],
        dose_window_minutes=row["dose_window_minutes"],
    )
