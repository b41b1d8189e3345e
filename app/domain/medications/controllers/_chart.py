"""The MAR chart: one day in detail, or a week as a grid (rows medicines, columns days)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.audit.services import release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.medications.chart import chart_days, day_columns, week_of
from app.domain.medications.chart_data import ChartService
from app.domain.medications.controllers._shared import base_url, frame, patient_and_service
from app.domain.medications.schedule import day_bounds
from app.domain.patients.dates import show_day, today
from app.lib.day_ranges import RECORD_DAYS
from app.lib.htmx import render
from app.lib.i18n import _


def _day(value: str | None, fallback: date) -> date:
    """The day asked for (today when it is not a date). A date no chart can be about
    answers 400: showing another day instead would pass it off as the one asked for."""
    try:
        chosen = date.fromisoformat(value) if value else fallback
    except ValueError:
        return fallback
    if chosen not in RECORD_DAYS:
        raise ClientException(detail="day out of range")  # i18n: not shown (the 400 page is)
    return chosen


class ChartController(Controller):
    path = "/patients/{patient_id:str}/medicines"
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    @get("/chart")
    async def chart(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        patient_id: FromPath[str],
        day: FromQuery[str | None] = None,
        view: FromQuery[str] = "day",
        done: FromQuery[str | None] = None,
    ) -> Template:
        """The medicine chart of a day or a week, every dose with its outcome; audited."""
        patient, service = await patient_and_service(
            request, db_session, me, patient_id, ChartService
        )
        zone = me.zone
        chosen = _day(day, today(zone))
        week = view == "week"
        days = week_of(chosen) if week else [chosen]
        start, _ignored = day_bounds(days[0], zone)
        _ignored, end = day_bounds(days[-1], zone)
        data = await service.chart(patient, start, end)
        await release_chain(db_session)
        now = datetime.now(UTC)
        base = base_url(patient)
        step = timedelta(days=7 if week else 1)
        mode = "week" if week else "day"
        context = frame(
            me,
            patient,
            week=week,
            rows=chart_days(data, days, zone, now, me.dose_window_minutes, base),
            columns=day_columns(days),
            title_day=show_day(chosen),
            previous_url=f"{base}/chart?view={mode}&day={(chosen - step).isoformat()}",
            next_url=f"{base}/chart?view={mode}&day={(chosen + step).isoformat()}",
            day_url=f"{base}/chart?view=day&day={chosen.isoformat()}",
            week_url=f"{base}/chart?view=week&day={chosen.isoformat()}",
            notice=_("Dose recorded") if done == "recorded" else None,
        )
        return render(
            request, "medications/chart.html", "medications/partials/_chart.html", context
        )
