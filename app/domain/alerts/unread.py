"""The bell: how many alerts `me` has not read, of patients `me` may see."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.alerts import Alert, AlertRead
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import visible_patient_ids


def unread_statement(me: AccessScope):  # type: ignore[no-untyped-def]
    """Unresolved alerts of visible patients with no read receipt from `me`."""
    visible = visible_patient_ids(me)
    read = exists().where(
        AlertRead.tenant_id == Alert.tenant_id,
        AlertRead.alert_id == Alert.id,
        AlertRead.user_id == me.user_id,
    )
    return select(func.count()).where(
        Alert.tenant_id == me.tenant_id,
        Alert.state != "resolved",
        Alert.patient_id.in_(visible),
        ~read,
    )


async def unread_count(db: AsyncSession, me: AccessScope) -> int:
    return int(await db.scalar(unread_statement(me)) or 0)
