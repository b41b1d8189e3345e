"""The patient's SpO₂ scale: scale 2 only when a clinician has said so, confirmed first."""

from __future__ import annotations

from typing import Annotated, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import record, release_chain
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.nav import patient_frame
from app.domain.vitals.controllers._context import vitals_url, writable
from app.domain.vitals.display import scale_label
from app.domain.vitals.forms import ScaleForm
from app.domain.vitals.services import VitalsService
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _

ScaleBody = Annotated[ScaleForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _page(
    request: Request,
    me: AccessScope,
    patient: ChosenPatient,
    current: int,
    form: ScaleForm,
    errors: FieldErrors,
    status: int = 200,
) -> Template:
    context = {
        **patient_frame(me, patient, "vitals"),
        "current": current,
        "current_label": scale_label(current),
        "choices": [{"value": str(n), "label": scale_label(n)} for n in (1, 2)],
        "form": form,
        "errors": errors,
        "summary": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
    }
    return render(
        request,
        "vitals/scale.html",
        "vitals/partials/_scale_form.html",
        context,
        status_code=status,
    )


class ScaleController(Controller):
    path = "/patients/{patient_id:str}/vitals/scale"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/", guards=[care_writer])
    async def edit(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Template:
        """The scale in use, and the form to change it with its confirmation."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        current = await VitalsService(db_session, me).scale(patient.id)
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals_settings",
            object_id=patient.id,
            patient_id=patient.id,
            detail={"view": "scale"},
        )
        await release_chain(db_session)
        return _page(request, me, patient, current, ScaleForm(spo2_scale=str(current)), {})

    @post("/")
    async def save(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: ScaleBody,
    ) -> Template | Redirect:
        """Change the scale for sets recorded from now on (sets already scored keep the
        scale they were scored with); audited."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        writable(me, patient)
        vitals = VitalsService(db_session, me)
        current = await vitals.scale(patient.id)
        scale, errors = data.check(current)
        if scale is None:
            return _page(request, me, patient, current, data, errors, status=422)
        changed = await vitals.set_scale(request, patient, scale, data.note)
        return Redirect(vitals_url(patient, "scale" if changed else None), status_code=303)
