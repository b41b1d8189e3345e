"""What the medicine pages share: the service, the patient frame, write checks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.identity.access import AccessScope
from app.domain.medications.labels import FORMS, ROUTES, choices, form_label, route_label
from app.domain.medications.scoped import ScopedService
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.nav import patient_frame
from app.lib.i18n import _

Service = TypeVar("Service", bound=ScopedService)


async def patient_and_service(
    request: Request, db: AsyncSession, me: AccessScope, patient_id: str, kind: type[Service]
) -> tuple[ChosenPatient, Service]:
    """The patient named in the path, and a service of `kind` (medicines, doses, chart)."""
    patient = await chosen_patient(db, request.app.state.keyring, me, patient_id)
    return patient, kind(db, me, request)


def require_active(patient: ChosenPatient) -> None:
    """Care is not recorded for an archived patient."""
    if patient.archived:
        raise PermissionDeniedException(_("Archived: care can no longer be recorded."))


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def dose_key(medication_id: uuid.UUID | str, scheduled_for: datetime | None) -> str:
    """The id a dose's row and form share, so a swap replaces the one with the other."""
    stamp = int(scheduled_for.timestamp()) if scheduled_for else "prn"
    return f"dose-{medication_id}-{stamp}"


def frame(me: AccessScope, patient: ChosenPatient, **context: Any) -> dict[str, Any]:
    return {**patient_frame(me, patient, "medications"), **context}


def form_choices() -> dict[str, Any]:
    return {"forms": choices(FORMS, form_label), "routes": choices(ROUTES, route_label)}


def base_url(patient: ChosenPatient) -> str:
    return f"/patients/{patient.id}/medicines"
