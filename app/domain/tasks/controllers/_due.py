"""Due today, ticking off and skipping in place, undo, and the history of what was done.

A tick is a POST that works without JavaScript (303 back to the list); with htmx the
occurrence's row comes back in place of itself, with a toast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.tasks import CareTask, CareTaskCompletion
from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.patients.dates import show_day, show_moment
from app.domain.tasks.controllers._context import frame, safe_next, task_gone
from app.domain.tasks.deps import Tasks, provide_tasks
from app.domain.tasks.forms import NOTE_MAX, CompletionForm, UndoForm
from app.domain.tasks.occurrences import Occurrence, names_of
from app.domain.tasks.services import UNDO_WINDOW, TaskGone, TaskService
from app.domain.tasks.views import occurrence_row, people_in, show_time, sorted_rows
from app.lib.forms import FieldErrors
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

CompletionBody = Annotated[CompletionForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
UndoBody = Annotated[UndoForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ROW = "tasks/partials/_occurrence.html"


def _due_url(patient: ChosenPatient) -> str:
    return f"/patients/{patient.id}/tasks/today"


async def _due_context(
    me: Me,
    tasks: TaskService,
    patient: ChosenPatient,
    now: datetime,
    notice: str | None = None,
    marked: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The due list of today. `marked` (a row id with its errors, typed note or message)
    decorates one row when a tick without JavaScript needs answering on the page."""
    day = now.astimezone(me.zone).date()
    found = await tasks.day(patient, day)
    names = await names_of(tasks.db, people_in(found))
    rows = sorted_rows(found, now, me, names)
    if marked:
        for row in rows:
            if row["id"] == marked["id"]:
                row.update(marked)
    return {
        **frame(me, patient),
        "rows": rows,
        "day": show_day(day),
        "open": sum(row["state"] in ("overdue", "due", "later") for row in rows),
        "notice": notice,
        "next": _due_url(patient),
        "note_max": NOTE_MAX,
    }


async def _row(
    me: Me,
    tasks: TaskService,
    task: CareTask,
    at: datetime,
    completion: CareTaskCompletion | None,
) -> dict[str, Any]:
    occurrence = Occurrence(task, at, completion)
    names = await names_of(tasks.db, people_in([occurrence]))
    return occurrence_row(occurrence, tasks.now(), me, names)


def _row_response(
    request: Request,
    me: Me,
    patient: ChosenPatient,
    row: dict[str, Any],
    next_url: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    context = {
        **frame(me, patient),
        "row": row,
        "next": next_url,
        "note_max": NOTE_MAX,
    }
    return Template(
        ROW, context=context, status_code=status, headers={"Vary": "HX-Request", **(headers or {})}
    )


class DueController(Controller):
    path = "/patients/{patient_id:str}/tasks"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "tasks": Provide(provide_tasks),
    }
    exception_handlers: ClassVar[dict[Any, Any]] = {TaskGone: task_gone}

    @get("/today")
    async def due(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Template:
        """Today's occurrences: overdue and due first, then later today, then recorded."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        context = await _due_context(me, tasks, patient, tasks.now())
        await tasks.audit(
            "task.list", patient, "care_plan", view="today", shown=len(context["rows"])
        )
        await release_chain(db_session)
        return render(request, "tasks/due.html", "tasks/partials/_due_list.html", context)

    @post("/{task_id:str}/done")
    async def complete(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
        data: CompletionBody,
    ) -> Template | Redirect:
        """Record an occurrence done or skipped (a skip needs a note). A second record of
        the same occurrence changes nothing and says who recorded it first (409)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        tasks.writable(patient)
        at = data.moment()
        if at is None or not tasks.may_record(task, at):
            raise TaskGone()
        next_url = safe_next(data.next, patient)
        errors = data.errors()
        if errors:
            return await _answer_invalid(
                request, me, tasks, patient, task, at, data, errors, next_url
            )
        completion = await tasks.complete(patient, task, at, data.outcome, data.note)
        if completion is None:
            return await _answer_already(request, me, tasks, patient, task, at, next_url)
        if not wants_partial(request):
            return Redirect(next_url, status_code=303)
        row = await _row(me, tasks, task, at, completion)
        message = _("Task done — undo") if data.outcome == "done" else _("Task skipped — undo")
        return _row_response(request, me, patient, row, next_url, headers=toast(message))

    @post("/{task_id:str}/completions/{completion_id:str}/undo")
    async def undo(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
        completion_id: FromPath[str],
        data: UndoBody,
    ) -> Template | Redirect:
        """Take back a record just made (by its author, within a few minutes). The record
        is kept, marked undone, and the occurrence is open again."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        completion = await tasks.completion(patient, task, completion_id)
        tasks.writable(patient)
        next_url = safe_next(data.next, patient)
        undone = await tasks.undo(patient, completion)
        if undone:
            message, level, status = _("Undone: the task is open again."), "success", 200
        else:
            message = _(
                "This can no longer be undone: only who recorded it can, within %(minutes)s "
                "minutes.",
                minutes=int(UNDO_WINDOW.total_seconds() // 60),
            )
            level, status = "warning", 409
        if not wants_partial(request):
            if undone:
                return Redirect(next_url, status_code=303)
            context = await _due_context(me, tasks, patient, tasks.now(), notice=message)
            return render(request, "tasks/due.html", context=context, status_code=status)
        live = await tasks.live_completion(task, completion.due_at)
        row = await _row(me, tasks, task, completion.due_at, live)
        return _row_response(
            request, me, patient, row, next_url, status=status, headers=toast(message, level)
        )

    @get("/history")
    async def history(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        before: FromQuery[str | None] = None,
    ) -> Template:
        """What was done and skipped (and undone), latest first, a page at a time."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        page = await tasks.history(patient, before)
        completions = [c for c, _title in page.rows]
        people = {c.recorded_by for c in completions} | {c.undone_by for c in completions}
        names = await names_of(db_session, people)
        await tasks.audit("task.list", patient, "care_plan", view="history", shown=len(page.rows))
        await release_chain(db_session)
        base = f"/patients/{patient.id}/tasks/history"
        context = {
            **frame(me, patient),
            "rows": [_history_row(c, title, names, me) for c, title in page.rows],
            "next_url": f"{base}?before={page.next_cursor}" if page.next_cursor else None,
            "first_url": base if before else None,
        }
        return render(request, "tasks/history.html", "tasks/partials/_history_rows.html", context)


def _history_row(
    completion: CareTaskCompletion, title: str, names: dict[Any, str], me: Me
) -> dict[str, Any]:
    return {
        "id": str(completion.id),
        "title": title,
        "outcome": completion.outcome,
        "due": show_moment(completion.due_at, me.zone),
        "by": names.get(completion.recorded_by, ""),
        "when": show_time(completion.recorded_at, me.zone),
        "note": completion.note,
        "undone": completion.undone_at is not None,
        "undone_by": names.get(completion.undone_by, "") if completion.undone_by else "",
        "undone_when": show_time(completion.undone_at, me.zone) if completion.undone_at else "",
    }


async def _answer_invalid(
    request: Request,
    me: Me,
    tasks: TaskService,
    patient: ChosenPatient,
    task: CareTask,
    at: datetime,
    data: CompletionForm,
    errors: FieldErrors,
    next_url: str,
) -> Template:
    """422: the row again, open at the skip note, with what was typed and the error."""
    marked = {"errors": errors, "typed_note": data.note, "skipping": True}
    if wants_partial(request):
        row = await _row(me, tasks, task, at, None)
        row.update(marked)
        return _row_response(request, me, patient, row, next_url, status=422)
    row_id = f"task-{task.id}-{int(at.timestamp())}"
    context = await _due_context(me, tasks, patient, tasks.now(), marked={"id": row_id, **marked})
    return render(request, "tasks/due.html", context=context, status_code=422)


async def _answer_already(
    request: Request,
    me: Me,
    tasks: TaskService,
    patient: ChosenPatient,
    task: CareTask,
    at: datetime,
    next_url: str,
) -> Template:
    """409: someone (perhaps this same thumb, twice) recorded it first; show theirs."""
    existing = await tasks.live_completion(task, at)
    row = await _row(me, tasks, task, at, existing)
    by = row["completion"]["by"] if row["completion"] else ""
    message = _("Already recorded by %(name)s — nothing was changed.", name=by)
    if wants_partial(request):
        return _row_response(
            request, me, patient, row, next_url, status=409, headers=toast(message, "warning")
        )
    context = await _due_context(me, tasks, patient, tasks.now(), notice=message)
    return render(request, "tasks/due.html", context=context, status_code=409)
