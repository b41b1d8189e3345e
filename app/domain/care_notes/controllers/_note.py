"""One note: its page with every earlier version, changing it, and its photo."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.care_notes.categories import category_choices
from app.domain.care_notes.controllers._context import closed, frame
from app.domain.care_notes.deps import Notes, provide_notes
from app.domain.care_notes.display import show_note, show_version
from app.domain.care_notes.forms import EditForm
from app.domain.care_notes.repository import NoteRow
from app.domain.care_notes.services import EditConflict, parse_note_id
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

EditBody = Annotated[EditForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _edit_page(
    request: Request,
    me: AccessScope,
    patient: ChosenPatient,
    row: NoteRow,
    form: dict[str, Any],
    errors: FieldErrors,
    *,
    status: int = 200,
    conflict: bool = False,
) -> Template:
    """The edit form: a page of its own, or in place of the note's row (htmx)."""
    form_error = None
    if conflict:
        form_error = _(
            "Someone else changed this note while you were editing it. Their version is "
            "below under “Now”; your text is still in the form. Check it, then save again."
        )
    elif errors:
        form_error = _("Some answers need checking: see the messages beside them.")
    context = {
        **frame(me, patient),
        "note": show_note(row, me.zone),
        "form": form,
        "errors": errors,
        "categories": category_choices(),
        "inline": wants_partial(request),
        "form_error": form_error,
    }
    return render(
        request,
        "care_notes/edit.html",
        "care_notes/partials/_edit.html",
        context,
        status_code=status,
    )


class NoteController(Controller):
    path = "/patients/{patient_id:str}/notes/{note_id:str}"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "notes": Provide(provide_notes),
    }

    @get("/")
    async def show(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        note_id: FromPath[str],
    ) -> Template:
        """The note as it reads now, and every earlier version with who wrote it and when;
        for htmx, the note's row alone (an edit cancelled in place)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        row, versions = await notes.view(patient, parse_note_id(patient, note_id))
        await release_chain(db_session)
        context = {
            **frame(me, patient),
            "note": show_note(row, me.zone),
            "versions": [show_version(version, me.zone) for version in versions],
        }
        return render(request, "care_notes/note.html", "care_notes/partials/_note.html", context)

    @get("/edit", guards=[care_writer])
    async def edit(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        note_id: FromPath[str],
    ) -> Template:
        """The note in a form to change it (reading it is audited)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return closed(request, me, patient)
        row, _versions = await notes.view(patient, parse_note_id(patient, note_id), "edit")
        await release_chain(db_session)
        form = EditForm(row.category, row.body, "1" if row.handover else "", str(row.version))
        return _edit_page(request, me, patient, row, form.values(), {})

    @post("/edit")
    async def update(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        note_id: FromPath[str],
        data: EditBody,
    ) -> Template | Redirect:
        """Save the change as a new version (the old one is kept); or the form again."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        if not patient.active:
            return closed(request, me, patient)
        wanted = parse_note_id(patient, note_id)
        errors = data.errors()
        if errors:
            row, _versions = await notes.view(patient, wanted, "edit")
            return _edit_page(request, me, patient, row, data.values(), errors, status=422)
        try:
            row, changed = await notes.update(
                patient, wanted, data.draft(), data.expected_version()
            )
        except EditConflict as conflict:
            form = {**data.values(), "version": str(conflict.current.version)}
            return _edit_page(
                request, me, patient, conflict.current, form, {}, status=409, conflict=True
            )
        if not wants_partial(request):
            return Redirect(
                f"/patients/{patient.id}/notes?done={'updated' if changed else ''}",
                status_code=303,
            )
        message = _("Note updated") if changed else _("Nothing was changed")
        context = {**frame(me, patient), "note": show_note(row, me.zone)}
        return render(
            request,
            "care_notes/note.html",
            "care_notes/partials/_note.html",
            context,
            headers=toast(message, "success" if changed else "info"),
        )

    @get("/photo")
    async def photo(
        self,
        request: Request,
        me: Me,
        notes: Notes,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        note_id: FromPath[str],
    ) -> Response[bytes]:
        """The photo, decrypted for this response only and never stored by any cache;
        204 when the note has none."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        content = await notes.photo(patient, parse_note_id(patient, note_id))
        await release_chain(db_session)
        if content is None:
            return Response(b"", status_code=HTTP_204_NO_CONTENT)
        return Response(
            content,
            media_type="image/jpeg",
            headers={"Cache-Control": "no-store", "Content-Disposition": "inline"},
        )
