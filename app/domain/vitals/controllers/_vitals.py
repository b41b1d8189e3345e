"""Reading vitals: the latest set and its NEWS2, the history, one set, the chart, the card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import record, release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.patients.chosen import chosen_patient
from app.domain.patients.nav import patient_frame
from app.domain.vitals.chart import RANGES, build_chart
from app.domain.vitals.controllers._context import (
    done_message,
    gone,
    now,
    parse_set_id,
)
from app.domain.vitals.display import scale_label, set_view
from app.domain.vitals.services import Cursor, VitalsService
from app.domain.vitals.today import today_section
from app.lib.htmx import render

RECENT = 5


class VitalsController(Controller):
    path = "/patients/{patient_id:str}/vitals"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/", name="vitals")
    async def show(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The latest set with its NEWS2 and risk, the last few sets, and the scale."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        vitals = VitalsService(db_session, me)
        latest = await vitals.latest(patient.id)
        scored = latest
        if latest is not None and latest.news2 is None:
            scored = await vitals.latest(patient.id, scored=True)
        recent, _cursor = await vitals.page(patient.id, None, RECENT)
        setting = await vitals.scale_setting(patient.id)
        names = await vitals.names({row.recorded_by for row in recent})
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals",
            patient_id=patient.id,
            detail={"view": "latest"},
        )
        await release_chain(db_session)
        scale = setting.spo2_scale if setting else 1
        context = {
            **patient_frame(me, patient, "vitals"),
            "latest": set_view(latest, me.zone) if latest else None,
            "scored": set_view(scored, me.zone) if scored and scored is not latest else None,
            "recent": [
                {**set_view(row, me.zone), "by": names.get(row.recorded_by, "")} for row in recent
            ],
            "scale": scale,
            "scale_label": scale_label(scale),
            "scale_note": setting.note if setting else "",
            "notice": done_message(done),
        }
        return render(request, "vitals/page.html", context=context)

    @get("/history")
    async def history(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        after: FromQuery[str | None] = None,
    ) -> Template:
        """Every current set, newest first, a page at a time; htmx asks for the next rows."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        vitals = VitalsService(db_session, me)
        cursor = Cursor.decode(after)
        rows, next_cursor = await vitals.page(patient.id, cursor)
        names = await vitals.names({row.recorded_by for row in rows})
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals",
            patient_id=patient.id,
            detail={"view": "history", "page": "next" if cursor else "first"},
        )
        await release_chain(db_session)
        base = f"/patients/{patient.id}/vitals/history"
        context = {
            **patient_frame(me, patient, "vitals"),
            "rows": [
                {**set_view(row, me.zone), "by": names.get(row.recorded_by, "")} for row in rows
            ],
            "next_url": f"{base}?after={next_cursor.encode()}" if next_cursor else None,
            "first_url": base if cursor else None,
        }
        return render(request, "vitals/history.html", "vitals/partials/_history_rows.html", context)

    @get("/chart")
    async def chart(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        days: FromQuery[int] = 7,
    ) -> Template:
        """NEWS2, pulse, systolic pressure, SpO₂ and temperature over 7, 30 or 90 days, as
        an SVG and as a table with the same numbers."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        days = days if days in RANGES else RANGES[0]
        vitals = VitalsService(db_session, me)
        end = now()
        start = end - timedelta(days=days)
        rows = await vitals.since(patient.id, start)
        scale = await vitals.scale(patient.id)
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals",
            patient_id=patient.id,
            detail={"view": "chart", "days": days},
        )
        await release_chain(db_session)
        context: dict[str, Any] = {
            **patient_frame(me, patient, "vitals"),
            "days": days,
            "ranges": RANGES,
            "chart": build_chart(rows, start, end, me.zone, scale),
            "rows": [set_view(row, me.zone) for row in reversed(rows)],
        }
        return render(request, "vitals/chart.html", "vitals/partials/_chart.html", context)

    @get("/sets/{set_id:str}")
    async def one(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        set_id: FromPath[str],
    ) -> Template | Redirect:
        """One set, and what it said before each correction (who, when, why)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        vitals = VitalsService(db_session, me)
        wanted = parse_set_id(set_id)
        row = await vitals.find(patient.id, wanted) if wanted else None
        if row is None:
            return gone(patient)
        versions = await vitals.earlier_versions(row)
        names = await vitals.names({v.recorded_by for v in (row, *versions)})
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals_observation",
            object_id=row.id,
            patient_id=patient.id,
            detail={"view": "set"},
        )
        await release_chain(db_session)
        context = {
            **patient_frame(me, patient, "vitals"),
            "set": {**set_view(row, me.zone), "by": names.get(row.recorded_by, "")},
            "versions": [
                {**set_view(v, me.zone), "by": names.get(v.recorded_by, "")} for v in versions
            ],
        }
        return render(request, "vitals/set.html", context=context)

    @get("/today")
    async def today_card(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
    ) -> Template:
        """The Today card on its own (htmx puts it back when a form opened in its place
        is cancelled)."""
        patient = await chosen_patient(db_session, request.app.state.keyring, me, patient_id)
        section = await today_section(db_session, me, patient, now())
        await record(
            db_session,
            me,
            request,
            "vitals.list",
            "vitals",
            patient_id=patient.id,
            detail={"view": "today"},
        )
        await release_chain(db_session)
        context = {**patient_frame(me, patient, "vitals"), "section": section}
        return render(request, "vitals/today_card.html", "vitals/partials/_today.html", context)
