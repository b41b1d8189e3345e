"""One patient's alerts, in their record, and raising a concern about them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.alerts.controllers._context import list_context, parse_after
from app.domain.alerts.deps import Alerts, provide_alerts
from app.domain.alerts.forms import TEXT_MAX, ConcernForm, severity_choices
from app.domain.alerts.services import state_filter
from app.domain.audit.services import release_chain
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.nav import patient_frame
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

ConcernBody = Annotated[ConcernForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
CONCERN_PAGE = "alerts/concern.html"
CONCERN_FORM = "alerts/partials/_concern_form.html"


def _concern_context(
    me: AccessScope, patient: ChosenPatient, form: dict[str, Any], errors: FieldErrors
) -> dict[str, Any]:
    return {
        **patient_frame(me, patient, "alerts"),
        "concern_url": f"/patients/{patient.id}/alerts/concern",
        "form": form,
        "errors": errors,
        "severities": severity_choices(),
        "text_max": TEXT_MAX,
        "form_error": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
    }


def _closed(request: Request, me: AccessScope, patient: ChosenPatient) -> Template:
    """409: an archived patient's record is read-only."""
    context = {
        **patient_frame(me, patient, "alerts"),
        "level": "warning",
        "title": _("This record is closed"),
        "detail": _("Archived: care can no longer be recorded for this patient."),
    }
    headers = {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"} if wants_partial(request) else {}
    return render(
        request,
        "alerts/closed.html",
        "components/_alert.html",
        context,
        status_code=409,
        headers=headers,
    )


class PatientAlertsController(Controller):
    path = "/patients/{patient_id:str}/alerts"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "alerts": Provide(provide_alerts),
    }

    @get("/", name="patient_alerts")
    async def index(
        self,
        request: Request,
        me: Me,
        alerts: Alerts,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        shown: Annotated[str | None, QueryParameter(name="state")] = None,
        after: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The patient's alerts, newest first, 20 a page; by state (not resolved unless
        asked)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        chosen = state_filter(shown, me)
        after_id = parse_after(after)
        listing = await alerts.listing(chosen, patient, after_id)
        await release_chain(db_session)
        base = f"/patients/{patient.id}/alerts"
        notice = None
        if done == "concern":
            notice = {"level": "info", "text": _("Concern raised: the care team can see it now.")}
        context = {
            **patient_frame(me, patient, "alerts"),
            **list_context(me, base, chosen, listing, after_id),
            "everyone": False,
            "notice": notice,
            "concern_url": f"{base}/concern",
        }
        return render(request, "alerts/patient.html", "alerts/partials/_results.html", context)

    @get("/concern", guards=[care_writer])
    async def concern_form(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        place: FromQuery[str] = "page",
    ) -> Template:
        """An empty concern form: a page of its own, or in place on any patient screen."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return _closed(request, me, patient)
        where = "inline" if place == "inline" and wants_partial(request) else "page"
        form = ConcernForm(place=where)
        context = _concern_context(me, patient, form.values(), {})
        return render(request, CONCERN_PAGE, CONCERN_FORM, context)

    @post("/concern")
    async def raise_concern(
        self,
        request: Request,
        me: Me,
        alerts: Alerts,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: ConcernBody,
    ) -> Template | Redirect:
        """Raise the concern: in place with a toast (htmx), or to the patient's alerts (a
        plain form); or the form again with what was typed and what to fix (422)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return _closed(request, me, patient)
        errors = data.errors()
        if errors:
            context = _concern_context(me, patient, data.values(), errors)
            return render(request, CONCERN_PAGE, CONCERN_FORM, context, status_code=422)
        text, severity = data.cleaned()
        alert_id = await alerts.concern(patient, text, severity)
        if not wants_partial(request):
            return Redirect(f"/patients/{patient.id}/alerts?done=concern", status_code=303)
        context = {
            **patient_frame(me, patient, "alerts"),
            "alert_url": f"/alerts/{alert_id}",
            "inline": data.inline,
        }
        return render(
            request,
            "alerts/partials/_concern_done.html",
            context=context,
            headers=toast(_("Concern raised")),
        )
