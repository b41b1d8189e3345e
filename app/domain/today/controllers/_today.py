"""Today: a carer's patients with what is due, and one patient's day."""

from __future__ import annotations

from typing import Any, ClassVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.patients.dates import show_moment
from app.domain.patients.nav import patient_frame
from app.domain.today.services import MyPatients, TodayService
from app.lib.htmx import render
from app.lib.i18n import _


async def provide_today(
    request: Request, db_session: NamedDependency[AsyncSession], me: Me
) -> TodayService:
    return TodayService(db_session, me, request.app.state.keyring, request)


Today = NamedDependency[TodayService]


def _done_message(done: str | None) -> str | None:
    """The confirmation after a form on the day posted without JavaScript and came back."""
    messages = {"note": _("Note saved."), "dose": _("Dose recorded."), "task": _("Task recorded.")}
    return messages.get(done or "")


def _mine_context(mine: MyPatients, me: Any) -> dict[str, Any]:
    rows = []
    for patient in mine.patients:
        doses = mine.due.doses.get(patient.id, {})
        tasks = mine.due.tasks.get(patient.id, {})
        rows.append(
            {
                "id": str(patient.id),
                "name": patient.name,
                "archived": patient.archived,
                "doses_due": doses.get("due", 0),
                "doses_overdue": doses.get("overdue", 0),
                "tasks_due": tasks.get("due", 0),
                "tasks_overdue": tasks.get("overdue", 0),
                "score": mine.due.scores.get(patient.id),
            }
        )
    return {"rows": rows, "more": mine.more, "is_admin": me.is_admin}


class TodayController(Controller):
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "today": Provide(provide_today),
    }

    @get("/today", name="today")
    async def mine(self, request: Request, me: Me, today: Today) -> Template | Redirect:
        """The patients this person cares for, with what is due for each. Someone who
        follows a single patient goes straight to that patient's day."""
        mine = await today.my_patients()
        await release_chain(today.db)
        if len(mine.patients) == 1 and not me.is_admin and not mine.more:
            return Redirect(f"/patients/{mine.patients[0].id}/today", status_code=303)
        return render(request, "today/mine.html", context=_mine_context(mine, me))

    @get("/patients/{patient_id:str}/today")
    async def patient_day(
        self,
        request: Request,
        me: Me,
        today: Today,
        patient_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """One patient's day: doses and tasks due, the latest vitals, notes and handover."""
        day = await today.patient_day(patient_id)
        await release_chain(today.db)
        context = {
            **patient_frame(me, day.patient, "today"),
            "cards": day.cards,
            "since": show_moment(day.since, me.zone) if day.since else None,
            "notice": _done_message(done),
        }
        return render(request, "today/patient.html", context=context)
