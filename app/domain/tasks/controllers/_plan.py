"""The care plan: its tasks, adding one, a task and its versions, editing and stopping.

Who changes the care plan: admins and carers (`care_writer`). Many care accounts are a
family with no administrator clinician, so the people giving the care keep its plan;
observers read it. Every view and change is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.tasks import CareTask
from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import care_writer
from app.domain.patients.chosen import ChosenPatient, chosen_patient
from app.domain.tasks.controllers._context import done_message, frame, task_gone, weekdays
from app.domain.tasks.deps import Tasks, provide_tasks
from app.domain.tasks.forms import DETAILS_MAX, REASON_MAX, TITLE_MAX, StopForm, TaskForm
from app.domain.tasks.occurrences import names_of
from app.domain.tasks.services import TaskGone, TaskService
from app.domain.tasks.views import task_card, version_row
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _

TaskBody = Annotated[TaskForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
StopBody = Annotated[StopForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


async def _form_page(
    request: Request,
    me: Me,
    tasks: TaskService,
    patient: ChosenPatient,
    form: TaskForm,
    errors: FieldErrors,
    *,
    task: CareTask | None = None,
    status: int = 200,
) -> Template:
    base = f"/patients/{patient.id}/tasks"
    context = {
        **frame(me, patient),
        "form": form.values(),
        "errors": errors,
        "assignees": await _assignee_choices(tasks, patient, task),
        "weekdays": weekdays(),
        "task_id": str(task.id) if task else None,
        "action": f"{base}/{task.id}/edit" if task else f"{base}/new",
        "cancel": f"{base}/{task.id}" if task else base,
        "limits": {"title": TITLE_MAX, "details": DETAILS_MAX},
        "form_error": _("Some answers need checking: see the messages beside them.")
        if errors
        else None,
    }
    return render(request, "tasks/form.html", context=context, status_code=status)


async def _assignee_choices(
    tasks: TaskService, patient: ChosenPatient, task: CareTask | None
) -> list[dict[str, str]]:
    """The patient's care team; plus, when editing, whoever the task is given to now (who
    may have left the team since), so saving does not silently take it off them."""
    choices = await tasks.assignees(patient)
    if task is not None and task.assignee_id not in (None, *(i for i, _n in choices)):
        names = await names_of(tasks.db, {task.assignee_id})
        choices.append((task.assignee_id, names.get(task.assignee_id, "")))  # type: ignore[arg-type]
    return [{"id": str(i), "name": n} for i, n in choices]


def _today(me: Me, tasks: TaskService) -> date:
    return tasks.now().astimezone(me.zone).date()


class PlanController(Controller):
    path = "/patients/{patient_id:str}/tasks"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "tasks": Provide(provide_tasks),
    }
    exception_handlers: ClassVar[dict[Any, Any]] = {TaskGone: task_gone}

    @get("/", name="tasks")
    async def plan(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The patient's care plan: active tasks with their schedule in words, and the
        stopped ones (most recent first) folded away."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        active, stopped = await tasks.plan(patient)
        people = {t.assignee_id for t in active + stopped} | {t.stopped_by for t in stopped}
        names = await names_of(db_session, people)
        await tasks.audit(
            "task.list", patient, "care_plan", view="plan", active=len(active), stopped=len(stopped)
        )
        await release_chain(db_session)
        context = {
            **frame(me, patient),
            "active": [task_card(t, names, me.zone) for t in active],
            "stopped": [task_card(t, names, me.zone) for t in stopped],
            "notice": done_message(done),
        }
        return render(request, "tasks/plan.html", context=context)

    @get("/new", guards=[care_writer])
    async def new(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Template:
        """An empty task form (every day, from today)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        tasks.writable(patient)
        page = await _form_page(request, me, tasks, patient, TaskForm.blank(_today(me, tasks)), {})
        # The form lists the patient's care team by name: a read of the record.
        await tasks.audit("task.list", patient, "care_plan", view="new")
        await release_chain(db_session)
        return page

    @post("/new")
    async def create(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        data: TaskBody,
    ) -> Template | Redirect:
        """Add the task and return to the plan; or the form again with what to fix."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        tasks.writable(patient)
        allowed = {i for i, _n in await tasks.assignees(patient)}
        fields, errors = data.checked(_today(me, tasks), allowed)
        if fields is None:
            return await _form_page(request, me, tasks, patient, data, errors, status=422)
        await tasks.create(patient, fields)
        return Redirect(f"/patients/{patient.id}/tasks?done=created", status_code=303)

    @get("/{task_id:str}")
    async def show(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
    ) -> Template:
        """One task and every earlier version of it (who changed it, when)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        versions = await tasks.versions(task)
        people = {v.changed_by for v in versions} | {v.assignee_id for v in versions}
        names = await names_of(db_session, people | {task.assignee_id, task.stopped_by})
        await tasks.audit("task.list", patient, "care_task", task.id, view="task")
        await release_chain(db_session)
        context = {
            **frame(me, patient),
            "task": task_card(task, names, me.zone),
            "versions": [version_row(v, names, me.zone) for v in versions],
        }
        return render(request, "tasks/task.html", context=context)

    @get("/{task_id:str}/edit", guards=[care_writer])
    async def edit(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
    ) -> Template | Redirect:
        """The task in a form to change it (the current version is kept when saved)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        tasks.writable(patient)
        if task.stopped_at is not None:
            return Redirect(f"/patients/{patient.id}/tasks/{task.id}", status_code=303)
        page = await _form_page(
            request, me, tasks, patient, TaskForm.from_task(task), {}, task=task
        )
        await tasks.audit("task.list", patient, "care_task", task.id, view="edit")
        await release_chain(db_session)
        return page

    @post("/{task_id:str}/edit")
    async def update(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
        data: TaskBody,
    ) -> Template | Redirect:
        """Save a new version; or the form again with what to fix."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        tasks.writable(patient)
        allowed = {i for i, _n in await tasks.assignees(patient)}
        if task.assignee_id is not None:
            # Someone who has since left the team may stay on a task until it is changed.
            allowed.add(task.assignee_id)
        fields, errors = data.checked(_today(me, tasks), allowed, original_start=task.start_date)
        if fields is None:
            return await _form_page(
                request, me, tasks, patient, data, errors, task=task, status=422
            )
        changed = await tasks.update(patient, task, fields)
        done = "updated" if changed else "unchanged"
        return Redirect(f"/patients/{patient.id}/tasks?done={done}", status_code=303)

    @get("/{task_id:str}/stop", guards=[care_writer])
    async def confirm_stop(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
    ) -> Template:
        """Ask before stopping a task (with an optional reason)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        tasks.writable(patient)
        names = await names_of(db_session, {task.assignee_id})
        await tasks.audit("task.list", patient, "care_task", task.id, view="stop")
        await release_chain(db_session)
        return _stop_page(request, me, patient, task_card(task, names, me.zone), StopForm(), {})

    @post("/{task_id:str}/stop")
    async def stop(
        self,
        request: Request,
        me: Me,
        tasks: Tasks,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        task_id: FromPath[str],
        data: StopBody,
    ) -> Template | Redirect:
        """Stop the task from now on; its history stays."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        task = await tasks.task(patient, task_id)
        tasks.writable(patient)
        errors = data.errors()
        if errors:
            names = await names_of(db_session, {task.assignee_id})
            card = task_card(task, names, me.zone)
            return _stop_page(request, me, patient, card, data, errors, status=422)
        stopped = await tasks.stop(patient, task, data.reason)
        done = "stopped" if stopped else "unchanged"
        return Redirect(f"/patients/{patient.id}/tasks?done={done}", status_code=303)


def _stop_page(
    request: Request,
    me: Me,
    patient: ChosenPatient,
    card: dict[str, Any],
    form: StopForm,
    errors: FieldErrors,
    *,
    status: int = 200,
) -> Template:
    context = {
        **frame(me, patient),
        "task": card,
        "form": {"reason": form.reason},
        "errors": errors,
        "reason_max": REASON_MAX,
    }
    return render(request, "tasks/stop.html", context=context, status_code=status)
