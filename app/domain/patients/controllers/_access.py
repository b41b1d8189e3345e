"""Who may see a patient: grant access (optionally until a day) and revoke it (admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from app.domain.identity.guards import admin_only
from app.domain.patients.controllers._context import access_context
from app.domain.patients.dates import end_of_day, today
from app.domain.patients.deps import Grants, Patients, provide_grants, provide_patients
from app.domain.patients.forms import GrantForm
from app.domain.patients.grants import NotGrantable
from app.domain.patients.services import parse_id
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _


class AccessController(Controller):
    path = "/patients/{patient_id:str}/access"
    guards: ClassVar = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {
        "patients": Provide(provide_patients),
        "grants": Provide(provide_grants),
    }

    @post("/")
    async def grant(
        self,
        request: Request,
        patients: Patients,
        grants: Grants,
        patient_id: FromPath[str],
        data: Annotated[GrantForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """Give a carer or observer access; htmx gets the refreshed panel, a browser the
        patient's page again."""
        patient = await patients.visible(parse_id(patient_id))
        zone = await patients.zone()
        who, last, errors = data.parsed(today(zone))
        if who is not None and not errors:
            try:
                await grants.grant(patient, who, end_of_day(last, zone) if last else None)
            except NotGrantable:
                errors["user_id"] = _("Choose a carer or observer of this care account.")
        if errors:
            context = await access_context(grants, patient, zone, asdict(data), errors)
            return render(
                request,
                "patients/access.html",
                "patients/partials/_access.html",
                context,
                status_code=422,
            )
        if wants_partial(request):
            context = await access_context(grants, patient, zone)
            return render(
                request,
                "patients/access.html",
                "patients/partials/_access.html",
                context,
                headers=toast(_("Access saved.")),
            )
        return Redirect(f"/patients/{patient.id}?done=granted#access", status_code=303)

    @get("/{user_id:str}/revoke")
    async def confirm_revoke(
        self,
        request: Request,
        patients: Patients,
        grants: Grants,
        patient_id: FromPath[str],
        user_id: FromPath[str],
    ) -> Template | Redirect:
        """Ask before taking someone's access away (nothing to ask when they have none)."""
        patient = await patients.visible(parse_id(patient_id))
        grant = await grants.grant_of(patient, parse_id(user_id))
        if grant is None:
            return Redirect(f"/patients/{patient.id}#access", status_code=303)
        view = await patients.view(patient.id, purpose="revoke")
        context = {
            "patient_id": str(patient.id),
            "name": view.identity.display_name,
            "user_id": str(grant.user_id),
            "person": grant.name,
        }
        return render(request, "patients/revoke.html", context=context)

    @post("/{user_id:str}/revoke")
    async def revoke(
        self, patients: Patients, grants: Grants, patient_id: FromPath[str], user_id: FromPath[str]
    ) -> Redirect:
        """Take the access away; the person no longer sees the patient from their next page.
        Revoking access nobody holds changes nothing (a repeated or stale click)."""
        patient = await patients.visible(parse_id(patient_id))
        removed = await grants.revoke(patient, parse_id(user_id))
        done = "?done=revoked" if removed else ""
        return Redirect(f"/patients/{patient.id}{done}#access", status_code=303)
