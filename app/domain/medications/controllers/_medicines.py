"""The medicine list, and adding, changing and stopping a medicine.

Carers as well as admins add, change and stop medicines: many care accounts are a family
with no pharmacist or admin on hand when a GP changes a prescription, and every change is
versioned and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.medications.controllers._shared import (
    base_url,
    form_choices,
    frame,
    parse_uuid,
    patient_and_service,
    require_active,
)
from app.domain.medications.forms import MedicineForm, StopForm
from app.domain.medications.labels import weekday_label
from app.domain.medications.services import MedicationService
from app.domain.medications.views import medicine_view
from app.domain.patients.dates import show_moment, today
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _

MedicineBody = Annotated[MedicineForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
StopBody = Annotated[StopForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _notice(done: str | None) -> str | None:
    messages = {
        "created": _("Medicine added."),
        "updated": _("Medicine changed. The earlier version is kept."),
        "unchanged": _("Nothing was changed."),
        "stopped": _("Medicine stopped. Its history is kept."),
        "missing": _("That medicine is not on this patient's list."),
    }
    return messages.get(done or "")


def _form_context(form: MedicineForm, errors: FieldErrors, medication_id: str | None) -> dict:
    return {
        "form": form.values(),
        "errors": errors,
        "medication_id": medication_id,
        "versions": [],
        "weekdays": [{"value": str(d), "label": weekday_label(d)} for d in range(7)],
        "form_error": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
        **form_choices(),
    }


class MedicineController(Controller):
    path = "/patients/{patient_id:str}/medicines"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/", name="medicines")
    async def index(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The patient's medicines, current then stopped; the view is audited."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        medicines = await service.listing(patient)
        await release_chain(db_session)
        views = [medicine_view(m, me.zone) for m in medicines]
        context = frame(
            me,
            patient,
            current=[v for v in views if not v["stopped"]],
            stopped=[v for v in views if v["stopped"]],
            notice=_notice(done),
        )
        return render(request, "medications/list.html", "medications/partials/_list.html", context)

    @get("/new", guards=[care_writer])
    async def new(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Template:
        """An empty form for a new medicine, starting today."""
        patient, _service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        form = MedicineForm.blank(today(me.zone))
        context = frame(me, patient, **_form_context(form, {}, None))
        return render(request, "medications/form.html", "medications/partials/_form.html", context)

    @post("/new")
    async def create(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: MedicineBody,
    ) -> Template | Redirect:
        """Add the medicine and go back to the list; or the form again with what to fix."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        errors = data.errors()
        if errors:
            context = frame(me, patient, **_form_context(data, errors, None))
            return render(
                request,
                "medications/form.html",
                "medications/partials/_form.html",
                context,
                status_code=422,
            )
        await service.create(patient, data.checked())
        return Redirect(f"{base_url(patient)}?done=created", status_code=303)

    @get("/{medication_id:str}/edit", guards=[care_writer])
    async def edit(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        medication_id: FromPath[str],
    ) -> Template | Redirect:
        """The medicine in a form to change it, with its earlier versions."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        wanted = parse_uuid(medication_id)
        medicine = await service.find(patient, wanted) if wanted else None
        if medicine is None or medicine.stopped_at is not None:
            return Redirect(f"{base_url(patient)}?done=missing", status_code=303)
        form = MedicineForm.from_medicine(medicine)
        context = frame(me, patient, **_form_context(form, {}, str(medicine.id)))
        context["versions"] = [
            {
                "version": v.version,
                "when": show_moment(v.changed_at, me.zone),
                "name": v.snapshot.get("name", ""),
                "dose": v.snapshot.get("dose", ""),
                "times": ", ".join(v.snapshot.get("times") or []),
            }
            for v in await service.versions(medicine)
        ]
        return render(request, "medications/form.html", "medications/partials/_form.html", context)

    @post("/{medication_id:str}/edit")
    async def update(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        medication_id: FromPath[str],
        data: MedicineBody,
    ) -> Template | Redirect:
        """Save a new version of the medicine; or the form again with what to fix."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        errors = data.errors()
        if errors:
            context = frame(me, patient, **_form_context(data, errors, medication_id))
            return render(
                request,
                "medications/form.html",
                "medications/partials/_form.html",
                context,
                status_code=422,
            )
        wanted = parse_uuid(medication_id)
        medicine = await service.find(patient, wanted) if wanted else None
        if medicine is None or medicine.stopped_at is not None:
            return Redirect(f"{base_url(patient)}?done=missing", status_code=303)
        changed = await service.update(patient, medicine, data.checked())
        done = "updated" if changed else "unchanged"
        return Redirect(f"{base_url(patient)}?done={done}", status_code=303)

    @get("/{medication_id:str}/stop", guards=[care_writer])
    async def confirm_stop(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        medication_id: FromPath[str],
    ) -> Template | Redirect:
        """Ask why the medicine is stopped."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        wanted = parse_uuid(medication_id)
        medicine = await service.find(patient, wanted) if wanted else None
        if medicine is None or medicine.stopped_at is not None:
            return Redirect(f"{base_url(patient)}?done=missing", status_code=303)
        context = frame(
            me, patient, medicine=medicine_view(medicine, me.zone), form={"reason": ""}, errors={}
        )
        return render(request, "medications/stop.html", context=context)

    @post("/{medication_id:str}/stop")
    async def stop(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        medication_id: FromPath[str],
        data: StopBody,
    ) -> Template | Redirect:
        """Stop the medicine now: no doses after this moment; its history stays."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, MedicationService
        )
        require_active(patient)
        wanted = parse_uuid(medication_id)
        medicine = await service.find(patient, wanted) if wanted else None
        if medicine is None or medicine.stopped_at is not None:
            return Redirect(f"{base_url(patient)}?done=missing", status_code=303)
        errors = data.errors()
        if errors:
            context: dict[str, Any] = frame(
                me,
                patient,
                medicine=medicine_view(medicine, me.zone),
                form={"reason": data.reason},
                errors=errors,
            )
            return render(request, "medications/stop.html", context=context, status_code=422)
        await service.stop(patient, medicine, data.reason, datetime.now(UTC))
        return Redirect(f"{base_url(patient)}?done=stopped", status_code=303)
