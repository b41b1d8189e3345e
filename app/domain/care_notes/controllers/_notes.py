"""The notes of a patient: the list with its filters, and writing a new note."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.care_notes.categories import category_choices
from app.domain.care_notes.controllers._context import BODY_MAX, closed, form_context, frame
from app.domain.care_notes.deps import Notes, provide_notes
from app.domain.care_notes.display import show_note
from app.domain.care_notes.forms import Filters, NoteForm, checked_photo
from app.domain.care_notes.services import KeyReused
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

NoteBody = Annotated[NoteForm, Body(media_type=RequestEncodingType.MULTI_PART)]
DAY_MAX = 10  # "2026-03-12": anything longer is not a date


def _after(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None  # a mangled "older notes" link starts again from the newest


def _list_url(patient: ChosenPatient, filters: Filters, after: uuid.UUID | None = None) -> str:
    params = {key: value for key, value in filters.values().items() if value}
    if after is not None:
        params["after"] = str(after)
    return f"/patients/{patient.id}/notes" + (f"?{urlencode(params)}" if params else "")


def _notice(done: str | None, missing: bool) -> dict[str, str] | None:
    if missing:
        return {
            "level": "warning",
            "text": _("That note could not be found. Here are this patient's notes."),
        }
    messages = {"created": _("Note saved."), "updated": _("Note updated.")}
    if done in messages:
        return {"level": "info", "text": messages[done]}
    return None


class NotesController(Controller):
    path = "/patients/{patient_id:str}/notes"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "notes": Provide(provide_notes),
    }

    @get("/", name="care_notes")
    async def index(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        category: FromQuery[str] = "",
        date_from: Annotated[str, QueryParameter(name="from")] = "",
        date_to: Annotated[str, QueryParameter(name="to")] = "",
        after: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
        missing: FromQuery[bool] = False,
    ) -> Template:
        """The patient's notes, newest first, 20 a page; filtered by category and days."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        filters = Filters(category[:40], date_from[:DAY_MAX], date_to[:DAY_MAX])
        window, filter_errors = filters.window(me.zone)
        after_id = _after(after)
        listing = await notes.listing(patient, window, after_id)
        await release_chain(db_session)
        context: dict[str, Any] = {
            **frame(me, patient),
            "filters": filters.values(),
            "filter_errors": filter_errors,
            "filtered": filters.active,
            "categories": category_choices(),
            "notes": [show_note(row, me.zone) for row in listing.rows],
            "next_url": _list_url(patient, filters, listing.next_after)
            if listing.next_after
            else None,
            "first_url": _list_url(patient, filters) if after_id else None,
            "notice": _notice(done, missing),
            # For the form kept in the page, used when "Write a note" is offline.
            "blank_form": NoteForm().values(),
        }
        return render(request, "care_notes/list.html", "care_notes/partials/_results.html", context)

    @get("/new", guards=[care_writer])
    async def new(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        place: FromQuery[str] = "page",
    ) -> Template:
        """An empty note form: a page of its own, or in place (the list, the Today card)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return closed(request, me, patient)
        form = NoteForm(place=place)
        where = form.where if wants_partial(request) else "page"
        context = form_context(me, patient, form.values(), {}, place=where)
        return render(request, "care_notes/new.html", "care_notes/partials/_form.html", context)

    @post("/", request_max_body_size=BODY_MAX)
    async def create(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: NoteBody,
    ) -> Template | Redirect:
        """Save the note: in place with a toast (htmx), or back to the list (a plain form);
        or the form again, with what was typed and what to fix (422)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return closed(request, me, patient)
        in_place = wants_partial(request) and data.where != "page"
        errors = data.errors()
        photo = await checked_photo(data, errors)
        form = data.values()
        form_error = None
        if not errors:
            try:
                row, _new = await notes.create(patient, data.draft(), photo, data.key)
            except KeyReused:
                form["idempotency_key"] = str(uuid.uuid4())
                form_error = _(
                    "This form had already been used for another note. Your note is still "
                    "in the form: check it, then save it again."
                )
        if errors or form_error:
            context = form_context(
                me,
                patient,
                form,
                errors,
                place=data.where if in_place else "page",
                photo_again=data.photo_chosen and "photo" not in errors,
            )
            if form_error:
                context["form_error"] = form_error
            headers = {"HX-Retarget": "#note-form", "HX-Reswap": "outerHTML"} if in_place else {}
            return render(
                request,
                "care_notes/new.html",
                "care_notes/partials/_form.html",
                context,
                status_code=422 if errors else 409,
                headers=headers,
            )
        if not in_place:
            if data.where == "today":
                return Redirect(f"/patients/{patient.id}/today?done=note", status_code=303)
            return Redirect(f"/patients/{patient.id}/notes?done=created", status_code=303)
        context = {
            **frame(me, patient),
            "note": show_note(row, me.zone),
            "place": data.where,
        }
        return render(
            request,
            "care_notes/partials/_created.html",
            context=context,
            headers=toast(_("Note saved")),
        )
