"""The second person who witnesses a controlled medicine being given.

They sign in the same form with their email and password (and their current code when
they use two-step sign-in). Wrong attempts count in the sign-in throttle under the
witness's email, so the form cannot be used to guess passwords faster than sign-in can.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Membership, MembershipStatus, Role
from app.domain.audit.services import client_ip
from app.domain.identity import mfa, throttle
from app.domain.identity.access import AccessScope
from app.lib.forms import FieldErrors
from app.lib.i18n import _
from app.lib.passwords import verify_password
from app.lib.unit_of_work import commit

_LOGIN = text("SELECT id, password_hash, mfa_enabled FROM tend_user_for_login(:email)")
_AS_USER = text("SELECT set_config('app.user_id', :user_id, true)")
_SECRET = text("SELECT tend_own_mfa_secret(:user_id)")


@dataclass(frozen=True)
class WitnessCheck:
    witness_id: uuid.UUID | None
    errors: FieldErrors


async def _sealed_secret(db: AsyncSession, me: AccessScope, user_id: uuid.UUID) -> bytes | None:
    """The witness's sealed TOTP secret: the owner's function answers only for the person
    the transaction is bound to, so bind to the witness for one statement, then back."""
    await db.execute(_AS_USER, {"user_id": str(user_id)})
    try:
        return await db.scalar(_SECRET, {"user_id": user_id})
    finally:
        await db.execute(_AS_USER, {"user_id": str(me.user_id)})


async def check_witness(
    db: AsyncSession,
    me: AccessScope,
    connection: ASGIConnection,
    email: str,
    password: str,
    code: str,
) -> WitnessCheck:
    """The witness's id when they are a different, active carer or admin of this care
    account whose password (and code) are right; otherwise the errors to show.

    A failure is committed at once (like a failed sign-in) so that it still counts when
    the request answers with an error; nothing else has been written by then.
    """
    email = email.strip().lower()
    if not email or not password:
        return WitnessCheck(None, {"witness": _("A second person must witness this dose.")})
    if email == me.email.strip().lower():
        return WitnessCheck(None, {"witness": _("The witness must be someone else.")})
    ip = client_ip(connection) or "unknown"
    verdict = await throttle.check(db, email, ip)
    if not verdict.allowed:
        minutes = max(1, int(verdict.retry_after.total_seconds() // 60) + 1)
        message = _("Too many wrong attempts. Try again in %(minutes)s minutes.", minutes=minutes)
        return WitnessCheck(None, {"witness": message})
    found = (await db.execute(_LOGIN, {"email": email})).first()
    matches, _rehash = await verify_password(found.password_hash if found else None, password)
    refused = WitnessCheck(None, {"witness": _("The witness's email or password is wrong.")})
    if not matches or found is None:
        await throttle.record_failure(db, email, ip)
        await commit(db)
        return refused
    if found.id == me.user_id:
        return WitnessCheck(None, {"witness": _("The witness must be someone else.")})
    role = await db.scalar(
        select(Membership.role).where(
            Membership.tenant_id == me.tenant_id,
            Membership.user_id == found.id,
            Membership.status == MembershipStatus.ACTIVE,
        )
    )
    if role is None or Role(role) not in (Role.ADMIN, Role.CARER):
        return WitnessCheck(
            None, {"witness": _("The witness must be a carer or administrator here.")}
        )
    if found.mfa_enabled:
        sealed = await _sealed_secret(db, me, found.id)
        step = None
        if sealed is not None:
            secret = mfa.open_secret(connection.app.state.mfa_key, found.id, sealed)
            step = mfa.matching_step(secret, code)
        if step is None or not await mfa.accept_step(db, found.id, step):
            await throttle.record_failure(db, email, ip)
            await commit(db)
            return WitnessCheck(
                None, {"witness_code": _("Enter the witness's current six-digit code.")}
            )
    await throttle.record_success(db, email)
    return WitnessCheck(found.id, {})
