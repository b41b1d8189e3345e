"""Archiving a patient (never deleting): a confirmation step, then archive or restore."""

from __future__ import annotations

from typing import ClassVar

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.domain.identity.guards import admin_only
from app.domain.patients.deps import Patients, provide_patients
from app.domain.patients.services import parse_id
from app.lib.htmx import render


class ArchiveController(Controller):
    path = "/patients/{patient_id:str}"
    guards: ClassVar = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {"patients": Provide(provide_patients)}

    @get("/archive")
    async def confirm(
        self, request: Request, patients: Patients, patient_id: FromPath[str]
    ) -> Template | Redirect:
        """Ask before archiving: says what archiving does, and that it can be undone."""
        view = await patients.view(parse_id(patient_id), purpose="archive")
        if view.archived:
            return Redirect(f"/patients/{view.patient.id}", status_code=303)
        context = {"patient_id": str(view.patient.id), "name": view.identity.display_name}
        return render(request, "patients/archive.html", context=context)

    @post("/archive")
    async def archive(self, patients: Patients, patient_id: FromPath[str]) -> Redirect:
        """Archive the patient: hidden from lists, and from carers and observers."""
        patient_uuid = parse_id(patient_id)
        await patients.archive(patient_uuid)
        return Redirect(f"/patients/{patient_uuid}?done=archived", status_code=303)

    @post("/unarchive")
    async def unarchive(self, patients: Patients, patient_id: FromPath[str]) -> Redirect:
        """Bring an archived patient back (nothing was lost while archived)."""
        patient_uuid = parse_id(patient_id)
        await patients.unarchive(patient_uuid)
        return Redirect(f"/patients/{patient_uuid}?done=unarchived", status_code=303)
