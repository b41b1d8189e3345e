"""The only way request handling reaches alerts: queries scoped to who is asking.

Every query starts from alerts of patients `visible_to(me)` (the tenant filter, and for
carers and observers a live grant), so even a lookup by id cannot reach an alert about a
patient the person may not see. Row-level security stands behind it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, Select, Uuid, exists, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from app.db.models import User
from app.db.models.alerts import Alert, AlertRead
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import visible_patient_ids

# The list's filters: which states each shows. "escalated" is the admins' view of
# urgent alerts nobody acknowledged in time.
STATES: dict[str, tuple[str, ...]] = {
    "unresolved": ("open", "acknowledged"),
    "open": ("open",),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
    "all": ("open", "acknowledged", "resolved"),
    "escalated": ("open",),
}
DEFAULT_STATE = "unresolved"


@dataclass(frozen=True)
class AlertRow:
    """An alert with its people named and whether `me` has read it."""

    alert: Alert
    raised_by: str | None
    acknowledged_by: str | None
    resolved_by: str | None
    read: bool


def visible_alerts(me: AccessScope) -> Select[tuple[Alert]]:
    """Alerts about the patients `me` may see, in `me`'s care account."""
    patients = visible_patient_ids(me)
    return select(Alert).where(Alert.tenant_id == me.tenant_id, Alert.patient_id.in_(patients))


class AlertRepository(SQLAlchemyAsyncRepository[Alert]):
    """Alerts as `me` may see them. There is no constructor without a scope.

    advanced-alchemy's entity cache stays off (no `cache_manager`): it is keyed by id and
    would ignore the scoped statement.
    """

    model_type = Alert

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)  # the scope decides the statement, never the caller
        super().__init__(statement=visible_alerts(me), **kwargs)
        self.me = me

    def _rows(self) -> Select[Any]:
        raiser, acknowledger, resolver = aliased(User), aliased(User), aliased(User)
        read = exists().where(
            AlertRead.tenant_id == Alert.tenant_id,
            AlertRead.alert_id == Alert.id,
            AlertRead.user_id == self.me.user_id,
        )
        return (
            self.statement.add_columns(
                raiser.display_name,
                acknowledger.display_name,
                resolver.display_name,
                read.label("read"),
            )
            .outerjoin(raiser, raiser.id == Alert.raised_by)
            .outerjoin(acknowledger, acknowledger.id == Alert.acknowledged_by)
            .outerjoin(resolver, resolver.id == Alert.resolved_by)
            # An alert just changed in this session is read back as the database has it.
            .execution_options(populate_existing=True)
        )

    async def _fetch(self, statement: Select[Any]) -> list[AlertRow]:
        rows = (await self.session.execute(statement)).all()
        return [AlertRow(alert, r, a, s, bool(read)) for alert, r, a, s, read in rows]

    async def row(self, alert_id: uuid.UUID) -> AlertRow | None:
        """One visible alert, or None (not there, or about a patient `me` may not see)."""
        rows = await self._fetch(self._rows().where(Alert.id == alert_id))
        return rows[0] if rows else None

    async def locked(self, alert_id: uuid.UUID) -> Alert | None:
        """The alert, locked until the end of the transaction (a change of state)."""
        statement = (
            self.statement.where(Alert.id == alert_id)
            .with_for_update(of=Alert)
            .execution_options(populate_existing=True)
        )
        return await self.get_one_or_none(statement=statement)

    async def cursor(self, alert_id: uuid.UUID) -> tuple[datetime, uuid.UUID] | None:
        """Where a page that continues after `alert_id` starts."""
        found = (
            await self.session.execute(
                self.statement.with_only_columns(Alert.raised_at, Alert.id).where(
                    Alert.id == alert_id
                )
            )
        ).first()
        return (found[0], found[1]) if found else None

    async def page(
        self,
        *,
        state: str,
        patient_id: uuid.UUID | None,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[AlertRow]:
        """Up to `limit` alerts in `state`, newest first, after the cursor (keyset
        pagination on (raised_at, id), which ix_alerts_patient and ix_alerts_unresolved
        serve as index ranges)."""
        conditions: list[ColumnElement[bool]] = [Alert.state.in_(STATES[state])]
        if state == "escalated":
            conditions.append(Alert.escalated_at.is_not(None))
        if patient_id is not None:
            conditions.append(Alert.patient_id == patient_id)
        if after is not None:
            conditions.append(tuple_(Alert.raised_at, Alert.id) < tuple_(*after))
        statement = (
            self._rows()
            .where(*conditions)
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(limit)
        )
        return await self._fetch(statement)

    async def mark_read(self, alert_ids: list[uuid.UUID] | None = None) -> None:
        """`me`'s read receipts for these visible alerts, or when None for every visible
        alert not resolved (what the bell counts); a receipt already there stays."""
        if alert_ids is not None and not alert_ids:
            return
        chosen = self.statement.with_only_columns(
            Alert.tenant_id, Alert.id, literal(self.me.user_id, Uuid)
        )
        if alert_ids is None:
            chosen = chosen.where(Alert.state != "resolved")
        else:
            chosen = chosen.where(Alert.id.in_(alert_ids))
        await self.session.execute(
            pg_insert(AlertRead)
            .from_select(["tenant_id", "alert_id", "user_id"], chosen)
            .on_conflict_do_nothing(index_elements=["tenant_id", "alert_id", "user_id"])
        )
