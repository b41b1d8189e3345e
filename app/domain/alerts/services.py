"""Care alerts as the signed-in person may see and handle them.

Lists, one alert with its history (which writes `me`'s read receipt), acknowledging,
resolving, and raising a concern by hand. Every read and write is audited in the same
transaction. Observers read and receive alerts but never change their state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from app.db.models import Patient
from app.domain.alerts.kinds import Kind, Severity
from app.domain.alerts.raising import raise_alert
from app.domain.alerts.repository import DEFAULT_STATE, STATES, AlertRepository, AlertRow
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.keys.keyring import Keyring
from app.domain.patients.chosen import NAME_COLUMNS, ChosenPatient
from app.domain.patients.codec import open_identity
from app.domain.patients.dates import show_moment
from app.domain.patients.repository import visible_to
from app.lib.i18n import _

PAGE_SIZE = 20
OBJECT = "alert"


class StateConflict(Exception):
    """The alert is not in a state that allows this change; `message` says why."""

    def __init__(self, row: AlertRow, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def parse_alert_id(value: str) -> uuid.UUID:
    """An alert id from a path; anything else is an alert that is not there (404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundException() from None


def state_filter(value: str | None, me: AccessScope) -> str:
    """The list's state filter; one not understood (or not for this person) is the default."""
    if value in STATES and (value != "escalated" or me.is_admin):
        return value  # type: ignore[return-value]
    return DEFAULT_STATE


@dataclass(frozen=True)
class Listing:
    rows: list[AlertRow]
    next_after: uuid.UUID | None
    names: dict[uuid.UUID, str] = field(default_factory=dict)


# Stamps are the statement's time, not the transaction's: resolving an open alert stamps
# acknowledged and resolved alike (one statement), and two steps never share a time.
class AlertService:
    """Alerts about the patients `me` may see; built per request from the signed-in scope."""

    def __init__(
        self,
        db: AsyncSession,
        *,
        me: AccessScope,
        keyring: Keyring,
        connection: ASGIConnection | None,
    ) -> None:
        self.db = db
        self.me = me
        self.keyring = keyring
        self.connection = connection
        self.repository = AlertRepository(session=db, me=me)

    async def _audit(
        self,
        action: str,
        alert_id: uuid.UUID | None = None,
        patient_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await record(
            self.db,
            self.me,
            self.connection,
            action,
            OBJECT,
            object_id=alert_id,
            patient_id=patient_id,
            detail=detail,
        )

    def _require_handler(self) -> None:
        if not self.me.can_write_care:
            raise PermissionDeniedException(_("Observers can read but not change records."))

    async def _row(self, alert_id: uuid.UUID) -> AlertRow:
        row = await self.repository.row(alert_id)
        if row is None:
            raise NotFoundException()
        return row

    async def names(self, patient_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names of these patients (all visible to `me`), opened for this page only."""
        if not patient_ids:
            return {}
        statement = (
            visible_to(self.me)
            .where(Patient.id.in_(patient_ids))
            .options(
                load_only(
                    Patient.tenant_id,
                    Patient.id,
                    *(getattr(Patient, column) for column in NAME_COLUMNS),
                    raiseload=True,
                )
            )
        )
        patients = (await self.db.scalars(statement)).all()
        return {
            patient.id: (
                await open_identity(self.db, self.keyring, patient, NAME_COLUMNS)
            ).display_name
            for patient in patients
        }

    # -- Reading ---------------------------------------------------------------------

    async def listing(
        self,
        state: str,
        patient: ChosenPatient | None = None,
        after: uuid.UUID | None = None,
    ) -> Listing:
        """One page of alerts in `state`, newest first, of one patient or of every patient
        `me` may see (then with their names); audited with the ids shown. Listing does not
        mark anything read: a title glimpsed in a list is not an alert read."""
        cursor = await self.repository.cursor(after) if after else None
        rows = await self.repository.page(
            state=state,
            patient_id=patient.id if patient else None,
            after=cursor,
            limit=PAGE_SIZE + 1,
        )
        shown = rows[:PAGE_SIZE]
        names = (
            {patient.id: patient.name}
            if patient
            else await self.names({row.alert.patient_id for row in shown})
        )
        detail: dict[str, Any] = {
            "state": state,
            "alert_ids": [str(row.alert.id) for row in shown],
        }
        if patient is None:
            detail["patient_ids"] = sorted({str(row.alert.patient_id) for row in shown})
        await self._audit("alert.list", patient_id=patient.id if patient else None, detail=detail)
        return Listing(shown, shown[-1].alert.id if len(rows) > PAGE_SIZE else None, names)

    async def view(self, alert_id: uuid.UUID) -> AlertRow:
        """The alert with its history; `me` has read it now (a receipt, once)."""
        row = await self._row(alert_id)
        if not row.read:
            await self.repository.mark_read([alert_id])
        await self._audit("alert.view", alert_id, row.alert.patient_id)
        return row

    async def mark_all_read(self) -> None:
        """Read receipts for every alert not resolved that `me` may see (the bell to 0)."""
        await self.repository.mark_read(None)
        await self._audit("alert.read_all")

    # -- Changing state --------------------------------------------------------------

    async def acknowledge(self, alert_id: uuid.UUID, note: str | None) -> AlertRow:
        """Open → acknowledged, by `me`, now. Raises StateConflict when it is not open."""
        self._require_handler()
        alert = await self.repository.locked(alert_id)
        if alert is None:
            raise NotFoundException()
        if alert.state != "open":
            row = await self._row(alert_id)
            if alert.state == "resolved":
                message = _("This alert is resolved already: it cannot be acknowledged.")
            else:
                message = _(
                    "%(name)s acknowledged this alert already, %(when)s.",
                    name=row.acknowledged_by or _("A former member"),
                    when=show_moment(alert.acknowledged_at, self.me.zone),  # type: ignore[arg-type]
                )
            raise StateConflict(row, message)
        alert.state = "acknowledged"
        alert.acknowledged_at = func.statement_timestamp()  # type: ignore[assignment]
        alert.acknowledged_by = self.me.user_id
        alert.acknowledgement_note = note
        await self.db.flush()
        await self.repository.mark_read([alert_id])
        await self._audit(
            "alert.acknowledge", alert_id, alert.patient_id, {"note": note is not None}
        )
        return await self._row(alert_id)

    async def resolve(self, alert_id: uuid.UUID, note: str) -> AlertRow:
        """Open or acknowledged → resolved, by `me`, now, with what was done. Resolving an
        open alert acknowledges it at the same moment (the time to respond counts it)."""
        self._require_handler()
        alert = await self.repository.locked(alert_id)
        if alert is None:
            raise NotFoundException()
        if alert.state == "resolved":
            row = await self._row(alert_id)
            message = _(
                "%(name)s resolved this alert already, %(when)s.",
                name=row.resolved_by or _("A former member"),
                when=show_moment(alert.resolved_at, self.me.zone),  # type: ignore[arg-type]
            )
            raise StateConflict(row, message)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = func.statement_timestamp()  # type: ignore[assignment]
            alert.acknowledged_by = self.me.user_id
        alert.state = "resolved"
        alert.resolved_at = func.statement_timestamp()  # type: ignore[assignment]
        alert.resolved_by = self.me.user_id
        alert.resolution_note = note
        await self.db.flush()
        await self.repository.mark_read([alert_id])
        await self._audit("alert.resolve", alert_id, alert.patient_id)
        return await self._row(alert_id)

    # -- Raising by hand -------------------------------------------------------------

    async def concern(self, patient: ChosenPatient, text: str, severity: Severity) -> uuid.UUID:
        """A concern raised by `me` about the patient, now; `me` has read it already."""
        self._require_handler()
        alert_id = await raise_alert(
            self.db,
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            kind=Kind.CONCERN,
            detail=text,
            raised_by=self.me.user_id,
            severity=severity,
        )
        assert alert_id is not None  # no dedupe key: every concern is its own
        await self.repository.mark_read([alert_id])
        await self._audit("alert.concern", alert_id, patient.id, {"severity": str(severity)})
        return alert_id
