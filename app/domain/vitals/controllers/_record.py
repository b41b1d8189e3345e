"""Recording vitals, and correcting a set (the original is kept, marked superseded)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import record, release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import chosen_patient
from app.domain.patients.nav import patient_frame
from app.domain.vitals.controllers._context import (
    form_page,
    gone,
    now,
    parse_set_id,
    vitals_url,
    writable,
)
from app.domain.vitals.display import set_view
from app.domain.vitals.forms import VitalsForm
from app.domain.vitals.services import StaleCorrection, VitalsService
from app.domain.vitals.today import today_section
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

FormBody = Annotated[VitalsForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _return_to(value: str | None) -> str:
    return "today" if value == "today" else ""


class RecordVitalsController(Controller):
    path = "/patients/{patient_id:str}/vitals"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/new", guards=[care_writer])
    async def new(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        return_to: FromQuery[str | None] = None,
    ) -> Template:
        """An empty set, timed now, scored on the patient's scale when saved."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        scale = await VitalsService(db_session, me).scale(patient.id)
        form = VitalsForm.blank(now(), me.zone, _return_to(return_to))
        return form_page(request, me, patient, form, scale=scale)

    @post("/new")
    async def create(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: FormBody,
    ) -> Any:
        """Save the set with its NEWS2; or the form again (422) with what to fix or confirm.
        From the Today card (htmx), the card comes back with the new score."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        data.return_to = _return_to(data.return_to)
        vitals = VitalsService(db_session, me)
        measured, errors, unconfirmed = data.check(now(), me.zone)
        if measured is None:
            scale = await vitals.scale(patient.id)
            return form_page(
                request,
                me,
                patient,
                data,
                scale=scale,
                errors=errors,
                unconfirmed=unconfirmed,
                status=422,
            )
        await vitals.record(request, patient, measured)
        if data.return_to == "today":
            if wants_partial(request):
                section = await today_section(db_session, me, patient, now())
                context = {**patient_frame(me, patient, "vitals"), "section": section}
                return render(
                    request,
                    "vitals/today_card.html",
                    "vitals/partials/_today.html",
                    context,
                    headers=toast(_("Vitals recorded.")),
                )
            return Redirect(f"/patients/{patient.id}/today", status_code=303)
        return Redirect(vitals_url(patient, "recorded"), status_code=303)

    @get("/sets/{set_id:str}/correct", guards=[care_writer])
    async def edit(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        set_id: FromPath[str],
    ) -> Template | Redirect:
        """The set's values in a form to correct them (viewing them is audited)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        vitals = VitalsService(db_session, me)
        wanted = parse_set_id(set_id)
        original = await vitals.find(patient.id, wanted) if wanted else None
        if original is None or original.superseded_at is not None:
            return gone(patient)
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals_observation",
            object_id=original.id,
            patient_id=patient.id,
            detail={"view": "correct"},
        )
        await release_chain(db_session)
        form = VitalsForm.from_row(original, me.zone)
        return form_page(
            request,
            me,
            patient,
            form,
            scale=original.spo2_scale,
            correcting=set_view(original, me.zone),
        )

    @post("/sets/{set_id:str}/correct")
    async def correct(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        set_id: FromPath[str],
        data: FormBody,
    ) -> Template | Redirect:
        """Store the corrected set and keep the original; or the form again (422)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        vitals = VitalsService(db_session, me)
        wanted = parse_set_id(set_id)
        original = await vitals.find(patient.id, wanted) if wanted else None
        if original is None or original.superseded_at is not None:
            return gone(patient)
        data.return_to = ""
        measured, errors, unconfirmed = data.check(now(), me.zone, correcting=True)
        if measured is not None:
            try:
                await vitals.correct(request, patient, original, measured, data.reason)
            except StaleCorrection:
                errors = {"form": _("Someone corrected this set meanwhile: start again from it.")}
            else:
                return Redirect(vitals_url(patient, "corrected"), status_code=303)
        return form_page(
            request,
            me,
            patient,
            data,
            scale=original.spo2_scale,
            errors=errors,
            unconfirmed=unconfirmed,
            correcting=set_view(original, me.zone),
            status=422,
        )
