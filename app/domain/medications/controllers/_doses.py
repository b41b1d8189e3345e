"""Recording a dose: the form from a due dose or a PRN "give a dose", the outcome saved,
a correction beside the original, and a PRN dose's effect answered later."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.medications import Medication
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.medications.controllers._shared import (
    base_url,
    dose_key,
    frame,
    parse_uuid,
    patient_and_service,
    require_active,
)
from app.domain.medications.doses import (
    DoseRefused,
    DoseService,
    clock_now,
    patient_and_locked_medicine,
)
from app.domain.medications.forms import DoseForm, EffectForm
from app.domain.medications.labels import (
    EFFECTS,
    OUTCOME_SYMBOLS,
    OUTCOMES,
    effect_label,
    outcome_label,
)
from app.domain.medications.rules import is_late
from app.domain.medications.views import medicine_view, record_view, show_time
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.services import parse_id
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

DoseBody = Annotated[DoseForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
EffectBody = Annotated[EffectForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
DOSE_PAGE = "medications/dose.html"
DOSE_FORM = "medications/partials/_dose_form.html"


def _outcomes() -> list[dict[str, str]]:
    return [{"value": o, "label": outcome_label(o), "symbol": OUTCOME_SYMBOLS[o]} for o in OUTCOMES]


def _dose_context(
    me: AccessScope,
    patient: ChosenPatient,
    medicine: Medication | None,
    form: DoseForm,
    errors: FieldErrors,
) -> dict[str, Any]:
    scheduled = form.scheduled_moment()
    medication_id = medicine.id if medicine else form.medication_id
    late = bool(
        scheduled
        and not form.corrects.strip()
        and is_late(scheduled, datetime.now(UTC), me.dose_window_minutes)
    )
    return frame(
        me,
        patient,
        medicine=medicine_view(medicine, me.zone) if medicine else None,
        form=form.values(),
        errors=errors,
        key=dose_key(medication_id, scheduled),
        scheduled_label=show_time(scheduled, me.zone) if scheduled else None,
        outcomes=_outcomes(),
        correcting=bool(form.corrects.strip()),
        late=late,
        window_minutes=me.dose_window_minutes,
        action=f"{base_url(patient)}/dose",
    )


def _refused(
    request: Request,
    me: AccessScope,
    patient: ChosenPatient,
    medicine: Medication | None,
    form: DoseForm,
    errors: FieldErrors,
    status: int,
) -> Template:
    context = _dose_context(me, patient, medicine, form, errors)
    return render(request, DOSE_PAGE, DOSE_FORM, context, status_code=status)


class DoseController(Controller):
    path = "/patients/{patient_id:str}/medicines"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/dose", guards=[care_writer])
    async def dose_form(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        medication: FromQuery[str | None] = None,
        at: FromQuery[str | None] = None,
        corrects: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """The form to record one dose: a scheduled one (`at`), a PRN one, or a correction."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, DoseService
        )
        require_active(patient)
        wanted = parse_uuid(medication)
        medicine = await service.find(patient, wanted) if wanted else None
        if medicine is None:
            return Redirect(f"{base_url(patient)}?done=missing", status_code=303)
        form = DoseForm(
            medication_id=str(medicine.id), scheduled_for=at or "", corrects=corrects or ""
        )
        if medicine.prn and not corrects:
            form.outcome = "given"
        scheduled = form.scheduled_moment()
        now = datetime.now(UTC)
        if scheduled and not corrects and is_late(scheduled, now, me.dose_window_minutes):
            form.given_time = clock_now(now, me.zone)  # a late dose: when was it given?
        return render(request, DOSE_PAGE, DOSE_FORM, _dose_context(me, patient, medicine, form, {}))

    @post("/dose")
    async def record(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: DoseBody,
    ) -> Template | Redirect:
        """Record the dose's outcome; the row answers in place of the form (htmx), or the
        chart (a plain form). A refusal comes back with the reason beside the field."""
        wanted = data.medicine_id()
        keyring = request.app.state.keyring
        found = (
            await patient_and_locked_medicine(db_session, keyring, me, parse_id(patient_id), wanted)
            if wanted
            else None
        )
        if found is None:  # which is missing: the patient (404) or the medicine (422)
            patient, medicine = await chosen_patient(db_session, keyring, me, patient_id), None
        else:
            patient, medicine = found
        require_active(patient)
        if medicine is None:
            missing = {"form": _("This dose could not be found. Open it again from the chart.")}
            return _refused(request, me, patient, None, data, missing, 422)
        service = DoseService(db_session, me, request)
        try:
            done = await service.record_dose(
                patient, medicine, data, datetime.now(UTC), locked=True
            )
        except DoseRefused as refused:
            if refused.given_time and not data.given_time.strip():
                data.given_time = refused.given_time
            return _refused(request, me, patient, medicine, data, refused.errors, refused.status)
        message = _("Dose record corrected.") if done.corrected else _("Dose recorded")
        if not wants_partial(request):
            day = (done.row.dose_at).astimezone(me.zone).date().isoformat()
            return Redirect(f"{base_url(patient)}/chart?day={day}&done=recorded", status_code=303)
        people = {me.user_id: me.display_name}
        context = frame(
            me,
            patient,
            key=dose_key(medicine.id, done.row.scheduled_for if not medicine.prn else None),
            medicine=medicine_view(medicine, me.zone),
            record=record_view(done.row, me.zone, people),
            scheduled_label=show_time(done.row.scheduled_for, me.zone)
            if done.row.scheduled_for
            else None,
        )
        return render(
            request,
            "medications/partials/_dose_done.html",
            "medications/partials/_dose_done.html",
            context,
            headers=toast(message),
        )

    @post("/effect")
    async def effect(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: EffectBody,
        record_id: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        """How well a PRN dose worked, answered once."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, DoseService
        )
        require_active(patient)
        wanted = parse_uuid(record_id)
        found = await service.dose_record(patient, wanted) if wanted else None
        errors = data.errors()
        if found is None:
            errors = {"form": _("This dose could not be found. Open it again from the chart.")}
        if errors:
            context = frame(
                me,
                patient,
                record_id=record_id or "",
                form={"effect": data.effect, "note": data.note},
                errors=errors,
                effects=[{"value": e, "label": effect_label(e)} for e in EFFECTS],
            )
            return render(
                request,
                "medications/effect.html",
                "medications/partials/_effect_form.html",
                context,
                status_code=422,
            )
        row, _medicine = found  # type: ignore[misc]
        answered = await service.record_effect(patient, row, data)
        message = (
            _("Thank you: noted how the dose worked.")
            if answered
            else _("This was already answered.")
        )
        if not wants_partial(request):
            return Redirect(f"/patients/{patient.id}/today", status_code=303)
        context = frame(me, patient, message=message, record_id=str(row.id))
        return render(
            request,
            "medications/partials/_effect_done.html",
            "medications/partials/_effect_done.html",
            context,
            headers=toast(message),
        )
