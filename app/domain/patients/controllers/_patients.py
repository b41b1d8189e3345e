"""Patients: the list and search, a patient's page and photo, adding and editing one."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.domain.patients.chosen import ChosenPatient
from app.domain.patients.controllers._context import (
    done_message,
    identifier_kinds,
    patient_context,
)
from app.domain.patients.dates import show_day, today
from app.domain.patients.deps import Grants, Patients, provide_grants, provide_patients
from app.domain.patients.forms import PatientForm, checked_photo
from app.domain.patients.nav import patient_frame
from app.domain.patients.photos import MAX_BYTES
from app.domain.patients.services import Listing, PhotoChange, parse_id
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _

QUERY_MAX = 200
# Above this the request is refused before the form is read (Litestar's 413 page); between
# the photo limit and this, the form comes back with the photo's error and the text kept.
BODY_MAX = 2 * MAX_BYTES

PatientBody = Annotated[PatientForm, Body(media_type=RequestEncodingType.MULTI_PART)]


def _after(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None  # a mangled "next page" link starts again from the first page


def _list_url(**params: Any) -> str:
    kept = {key: value for key, value in params.items() if value}
    return "/patients" + (f"?{urlencode(kept)}" if kept else "")


def _listing_context(listing: Listing, query: str, archived: bool, paged: bool) -> dict[str, Any]:
    return {
        "q": query,
        "archived": archived,
        "searching": listing.searching,
        "rows": [
            {
                "id": str(row.id),
                "name": row.display_name,
                "born": show_day(row.date_of_birth) if row.date_of_birth else None,
                "archived": row.archived,
            }
            for row in listing.rows
        ],
        "next_url": (
            _list_url(q=query, archived="1" if archived else "", after=str(listing.next_after))
            if listing.next_after
            else None
        ),
        "first_url": _list_url(q=query, archived="1" if archived else "") if paged else None,
    }


def _form_page(
    request: Request,
    form: PatientForm,
    errors: FieldErrors,
    *,
    day: date,
    patient_id: uuid.UUID | None = None,
    has_photo: bool = False,
    status: int = 200,
) -> Template:
    context = {
        "form": form.values(),
        "errors": errors,
        "kinds": identifier_kinds(),
        "today": day.isoformat(),
        "patient_id": str(patient_id) if patient_id else None,
        "has_photo": has_photo,
        # A browser cannot be handed a file back: say so rather than lose it silently.
        "photo_again": bool(errors) and form.photo_chosen and "photo" not in errors,
        "form_error": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
    }
    return render(request, "patients/form.html", context=context, status_code=status)


class PatientController(Controller):
    path = "/patients"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "patients": Provide(provide_patients),
        "grants": Provide(provide_grants),
    }

    @get("/", name="patients")
    async def index(
        self,
        request: Request,
        me: Me,
        patients: Patients,
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[str] = "",
        after: FromQuery[str | None] = None,
        archived: FromQuery[bool] = False,
    ) -> Template:
        """The patients this person may see, newest first, 50 a page; `q` searches."""
        query = q.strip()[:QUERY_MAX]
        archived = archived and me.is_admin
        after_id = _after(after)
        listing = await patients.browse(query, after_id, include_archived=archived)
        await release_chain(db_session)
        context = _listing_context(listing, query, archived, paged=after_id is not None)
        return render(request, "patients/list.html", "patients/partials/_results.html", context)

    @get("/new", guards=[admin_only])
    async def new(self, request: Request, patients: Patients) -> Template:
        """An empty form for a new patient."""
        return _form_page(request, PatientForm(), {}, day=today(await patients.zone()))

    @post("/new", guards=[admin_only], request_max_body_size=BODY_MAX)
    async def create(
        self, request: Request, patients: Patients, data: PatientBody
    ) -> Template | Redirect:
        """Add the patient and go to their page; or the form again with what to fix."""
        day = today(await patients.zone())
        errors = data.errors(day)
        photo = await checked_photo(data, errors)
        if errors:
            return _form_page(request, data, errors, day=day, status=422)
        identity = data.identity()
        identity.photo = photo
        patient = await patients.create(identity)
        return Redirect(f"/patients/{patient.id}?done=created", status_code=303)

    @get("/{patient_id:str}")
    async def show(
        self,
        request: Request,
        me: Me,
        patients: Patients,
        grants: Grants,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The patient's page; every view is audited. Admins also manage access here."""
        view = await patients.view(parse_id(patient_id))
        context = await patient_context(me, patients, grants, view, await patients.zone())
        await release_chain(db_session)
        context["notice"] = done_message(done)
        chosen = ChosenPatient(view.patient.id, view.identity.display_name, view.archived)
        context.update(patient_frame(me, chosen, "details"))
        return render(request, "patients/detail.html", context=context)

    @get("/{patient_id:str}/photo")
    async def photo(
        self,
        patients: Patients,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Response[bytes]:
        """The photo, decrypted for this response only and never stored by any cache;
        204 when the patient (whom this person may see) has none."""
        content = await patients.photo(parse_id(patient_id))
        await release_chain(db_session)
        if content is None:
            return Response(b"", status_code=HTTP_204_NO_CONTENT)
        return Response(
            content,
            media_type="image/jpeg",
            headers={"Cache-Control": "no-store", "Content-Disposition": "inline"},
        )

    @get("/{patient_id:str}/edit", guards=[admin_only])
    async def edit(
        self, request: Request, patients: Patients, patient_id: FromPath[str]
    ) -> Template:
        """The patient's details in a form to change them (viewing them is audited)."""
        view = await patients.view(parse_id(patient_id), purpose="edit")
        form = PatientForm.from_identity(view.identity)
        return _form_page(
            request,
            form,
            {},
            day=today(await patients.zone()),
            patient_id=view.patient.id,
            has_photo=view.has_photo,
        )

    @post("/{patient_id:str}/edit", guards=[admin_only], request_max_body_size=BODY_MAX)
    async def update(
        self, request: Request, patients: Patients, patient_id: FromPath[str], data: PatientBody
    ) -> Template | Redirect:
        """Save the changes; or the form again with what to fix."""
        patient = await patients.visible(parse_id(patient_id))
        day = today(await patients.zone())
        errors = data.errors(day)
        photo = await checked_photo(data, errors)
        if errors:
            return _form_page(
                request,
                data,
                errors,
                day=day,
                patient_id=patient.id,
                has_photo=await patients.has_photo(patient.id),
                status=422,
            )
        change = PhotoChange(new=photo, remove=bool(data.remove_photo))
        changed = await patients.update(patient.id, data.identity(), change)
        done = "updated" if changed else "unchanged"
        return Redirect(f"/patients/{patient.id}?done={done}", status_code=303)
