"""Vitals as `me` may see them: sets of observations, their NEWS2, and each patient's scale.

Every query starts from `observations_visible_to(me)`: the tenant filter and the patients
`me` may see (`visible_to`), so even a lookup by id is scoped. Row-level security stands
behind it. advanced-alchemy's entity cache stays off: it is keyed by id and would ignore
the scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from litestar.connection import ASGIConnection
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Patient, User
from app.db.models.vitals import VitalsObservation, VitalsSettings
from app.domain.alerts.rules import raise_for_vitals
from app.domain.audit.services import record
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.repository import sees_patient, visible_to
from app.domain.vitals.forms import Measured
from app.domain.vitals.news2 import Scale, score

PAGE_SIZE = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHART_MAX = 1000  # sets in one chart: 90 days of hourly observations fit


def observations_visible_to(me: AccessScope) -> Select[tuple[VitalsObservation]]:
    """Sets of the patients `me` may see, in `me`'s tenant."""
    return select(VitalsObservation).where(
        VitalsObservation.tenant_id == me.tenant_id, sees_patient(me, VitalsObservation.patient_id)
    )


class ObservationRepository(SQLAlchemyAsyncRepository[VitalsObservation]):
    """Observation sets as `me` may see them. There is no constructor without a scope."""

    model_type = VitalsObservation

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)  # the scope decides the statement, never the caller
        super().__init__(statement=observations_visible_to(me), **kwargs)
        self.me = me


@dataclass(frozen=True)
class Cursor:
    """Where a history page starts: after this set (newest first)."""

    taken_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """URL-safe: microseconds since the epoch (exact, no "+" to mangle), then the id."""
        return f"{(self.taken_at - EPOCH) // timedelta(microseconds=1)}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        micros, _, ident = text.partition("_")
        try:
            return cls(EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(ident))
        except (ValueError, OverflowError):
            return None  # a mangled "more" link starts again from the newest


class StaleCorrection(Exception):
    """The set was corrected by someone else meanwhile."""


class VitalsService:
    """Reads and writes of one person's vitals work; writes are audited with them."""

    def __init__(self, db: AsyncSession, me: AccessScope) -> None:
        self.db = db
        self.me = me
        self.repository = ObservationRepository(session=db, me=me)

    def _current(self, patient_id: uuid.UUID) -> Select[tuple[VitalsObservation]]:
        return self.repository.statement.where(
            VitalsObservation.patient_id == patient_id,
            VitalsObservation.superseded_at.is_(None),
        )

    async def scale(self, patient_id: uuid.UUID) -> int:
        """The SpO₂ scale the patient is scored on now (1 unless set to 2)."""
        row = await self.scale_setting(patient_id)
        return row.spo2_scale if row else int(Scale.ONE)

    async def scale_setting(self, patient_id: uuid.UUID) -> VitalsSettings | None:
        statement = select(VitalsSettings).where(
            VitalsSettings.tenant_id == self.me.tenant_id,
            VitalsSettings.patient_id == patient_id,
            visible_to(self.me).where(Patient.id == VitalsSettings.patient_id).exists(),
        )
        return await self.db.scalar(statement)

    async def latest(
        self, patient_id: uuid.UUID, *, scored: bool = False
    ) -> VitalsObservation | None:
        """The newest current set (with a NEWS2 when `scored`): one index probe."""
        statement = self._current(patient_id)
        if scored:
            statement = statement.where(VitalsObservation.news2.is_not(None))
        statement = statement.order_by(VitalsObservation.taken_at.desc()).limit(1)
        return await self.db.scalar(statement)

    async def page(
        self, patient_id: uuid.UUID, after: Cursor | None, limit: int = PAGE_SIZE
    ) -> tuple[Sequence[VitalsObservation], Cursor | None]:
        """Up to `limit` current sets, newest first, after `after` (keyset pagination on
        (taken_at, id)): every page is an index range scan, however long the history."""
        statement = self._current(patient_id)
        if after is not None:
            statement = statement.where(
                or_(
                    VitalsObservation.taken_at < after.taken_at,
                    and_(
                        VitalsObservation.taken_at == after.taken_at,
                        VitalsObservation.id < after.id,
                    ),
                )
            )
        statement = statement.order_by(
            VitalsObservation.taken_at.desc(), VitalsObservation.id.desc()
        ).limit(limit + 1)
        rows = (await self.db.scalars(statement)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = Cursor(rows[-1].taken_at, rows[-1].id) if more and rows else None
        return rows, cursor

    async def since(self, patient_id: uuid.UUID, start: datetime) -> Sequence[VitalsObservation]:
        """Current sets taken from `start` on, oldest first (a chart's range)."""
        statement = (
            self._current(patient_id)
            .where(VitalsObservation.taken_at >= start)
            .order_by(VitalsObservation.taken_at.desc())
            .limit(CHART_MAX)
        )
        return list(reversed((await self.db.scalars(statement)).all()))

    async def names(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Who recorded each set, by name (one query for a page)."""
        if not user_ids:
            return {}
        rows = await self.db.execute(
            select(User.id, User.display_name).where(User.id.in_(user_ids))
        )
        return {row.id: row.display_name for row in rows}

    async def find(self, patient_id: uuid.UUID, set_id: uuid.UUID) -> VitalsObservation | None:
        statement = self.repository.statement.where(
            VitalsObservation.patient_id == patient_id, VitalsObservation.id == set_id
        )
        return await self.db.scalar(statement)

    async def earlier_versions(self, row: VitalsObservation) -> list[VitalsObservation]:
        """What the set said before each correction, newest first."""
        found: list[VitalsObservation] = []
        current = row
        while current.replaces_id is not None and len(found) < 100:
            earlier = await self.find(row.patient_id, current.replaces_id)
            if earlier is None:
                break
            found.append(earlier)
            current = earlier
        return found

    async def record(
        self,
        connection: ASGIConnection,
        patient: ChosenPatient,
        measured: Measured,
    ) -> VitalsObservation:
        """Store a new set scored on the patient's scale now; audited."""
        scale = await self.scale(patient.id)
        row = self._row(patient.id, measured, scale)
        self.db.add(row)
        await self.db.flush()
        await record(
            self.db,
            self.me,
            connection,
            "vitals.record",
            "vitals_observation",
            object_id=row.id,
            patient_id=patient.id,
            detail={"news2": row.news2, "risk": row.news2_risk, "spo2_scale": scale},
        )
        await self._raise_alert(patient, row, measured, row.id)
        return row

    async def correct(
        self,
        connection: ASGIConnection,
        patient: ChosenPatient,
        original: VitalsObservation,
        measured: Measured,
        reason: str,
    ) -> VitalsObservation:
        """A corrected copy of `original`, which stays as it was, marked superseded.

        Scored on the scale the original was scored with: the scale in force when the
        vitals were taken, not whatever it is now.
        """
        marked = await self.db.execute(
            update(VitalsObservation)
            .where(
                VitalsObservation.tenant_id == self.me.tenant_id,
                VitalsObservation.id == original.id,
                VitalsObservation.superseded_at.is_(None),
            )
            .values(superseded_at=func.now())
            .returning(VitalsObservation.id)
        )
        if marked.first() is None:
            raise StaleCorrection
        row = self._row(patient.id, measured, original.spo2_scale)
        row.replaces_id = original.id
        row.correction_reason = reason.strip()
        self.db.add(row)
        await self.db.flush()
        await record(
            self.db,
            self.me,
            connection,
            "vitals.correct",
            "vitals_observation",
            object_id=row.id,
            patient_id=patient.id,
            detail={
                "replaces": str(original.id),
                "news2": row.news2,
                "was_news2": original.news2,
            },
        )
        earlier = await self.earlier_versions(original)
        first = earlier[-1] if earlier else original
        await self._raise_alert(patient, row, measured, first.id)
        return row

    async def _raise_alert(
        self,
        patient: ChosenPatient,
        row: VitalsObservation,
        measured: Measured,
        original_id: uuid.UUID,
    ) -> None:
        """The set's NEWS2 alert, if it calls for one, in this same transaction."""
        await raise_for_vitals(
            self.db,
            tenant_id=self.me.tenant_id,
            patient_id=patient.id,
            set_id=row.id,
            original_id=original_id,
            result=score(measured.observations(), row.spo2_scale),
        )

    async def set_scale(
        self, connection: ASGIConnection, patient: ChosenPatient, scale: int, note: str
    ) -> bool:
        """Score the patient's future sets on `scale`; False when it already was."""
        before = await self.scale(patient.id)
        if before == scale:
            return False
        values = {
            "tenant_id": self.me.tenant_id,
            "patient_id": patient.id,
            "spo2_scale": scale,
            "note": note.strip() or None,
            "changed_by": self.me.user_id,
        }
        statement = pg_insert(VitalsSettings).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "patient_id"],
            set_={
                "spo2_scale": scale,
                "note": values["note"],
                "changed_by": self.me.user_id,
                "changed_at": func.now(),
            },
        )
        await self.db.execute(statement)
        await record(
            self.db,
            self.me,
            connection,
            "vitals.scale",
            "vitals_settings",
            object_id=patient.id,
            patient_id=patient.id,
            detail={"from": before, "to": scale},
        )
        return True

    def _row(self, patient_id: uuid.UUID, measured: Measured, scale: int) -> VitalsObservation:
        return observation_row(self.me.tenant_id, patient_id, self.me.user_id, measured, scale)


def observation_row(
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    recorded_by: uuid.UUID,
    measured: Measured,
    scale: int,
) -> VitalsObservation:
    """A new set, scored on `scale` (no score when a parameter is missing)."""
    result = score(measured.observations(), scale)
    columns = measured.columns()
    level = columns.pop("consciousness")
    return VitalsObservation(
        tenant_id=tenant_id,
        patient_id=patient_id,
        recorded_by=recorded_by,
        consciousness=str(level) if level is not None else None,
        spo2_scale=scale,
        news2=result.total if result else None,
        news2_risk=str(result.risk) if result else None,
        **columns,
    )
