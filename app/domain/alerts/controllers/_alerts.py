"""Alerts across every patient `me` may see: the list, one alert, acting on it, figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.alerts.controllers._context import (
    ALERT_PAGE,
    ALERT_PARTIAL,
    alert_context,
    conflict,
    list_context,
    parse_after,
)
from app.domain.alerts.deps import Alerts, provide_alerts
from app.domain.alerts.figures import DAYS, alert_figures
from app.domain.alerts.forms import NoteForm
from app.domain.alerts.services import StateConflict, parse_alert_id, state_filter
from app.domain.audit.services import record, release_chain
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.lib.htmx import render, toast, wants_partial
from app.lib.i18n import _

NoteBody = Annotated[NoteForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _notice(done: str | None) -> dict[str, str] | None:
    messages = {
        "read": _("Every alert is marked as read."),
        "acknowledged": _("Alert acknowledged."),
        "resolved": _("Alert resolved."),
    }
    if done in messages:
        return {"level": "info", "text": messages[done]}
    return None


def _duration(value) -> str | None:  # type: ignore[no-untyped-def]
    if value is None:
        return None
    minutes = round(value.total_seconds() / 60)
    if minutes < 120:
        return _("%(count)s min", count=minutes)
    return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)


class AlertsController(Controller):
    """Alerts are always on, whatever the plan. Everyone reads those of patients they may
    see; carers and admins acknowledge and resolve them."""

    path = "/alerts"
    dependencies: ClassVar[dict[str, Provide]] = {
        "me": Provide(provide_me),
        "alerts": Provide(provide_alerts),
    }

    @get("/", name="alerts")
    async def index(
        self,
        request: Request,
        me: Me,
        alerts: Alerts,
        db_session: NamedDependency[AsyncSession],
        shown: Annotated[str | None, QueryParameter(name="state")] = None,
        after: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        """Alerts of every patient `me` may see, newest first, 20 a page; by state (not
        resolved unless asked)."""
        chosen = state_filter(shown, me)
        after_id = parse_after(after)
        listing = await alerts.listing(chosen, None, after_id)
        await release_chain(db_session)
        context = {
            **list_context(me, "/alerts", chosen, listing, after_id),
            "everyone": True,
            "notice": _notice(done),
        }
        return render(request, "alerts/list.html", "alerts/partials/_results.html", context)

    @post("/read", opt={"observer_may_write": True})
    async def read_all(self, request: Request, alerts: Alerts) -> Template | Redirect:
        """Mark every alert not resolved as read by `me` (observers too: it is their own)."""
        await alerts.mark_all_read()
        if not wants_partial(request):
            return Redirect("/alerts?done=read", status_code=303)
        return Template(
            "alerts/partials/_read_all.html",
            context={},
            headers={**toast(_("Every alert is marked as read.")), "Vary": "HX-Request"},
        )

    @get("/figures", guards=[admin_only])
    async def figures(
        self, request: Request, me: Me, db_session: NamedDependency[AsyncSession]
    ) -> Template:
        """How fast alerts were acknowledged and resolved over the last 30 days."""
        found = await alert_figures(db_session, me.tenant_id, datetime.now(UTC))
        await record(db_session, me, request, "alert.figures", "alert", detail={"days": DAYS})
        await release_chain(db_session)
        share = found.share_within_day
        context = {
            "days": DAYS,
            "figures": found,
            "median_acknowledge": _duration(found.median_acknowledge),
            "median_resolve": _duration(found.median_resolve),
            "share_within_day": round(share * 100) if share is not None else None,
        }
        return render(request, "alerts/figures.html", None, context)

    @get("/{alert_id:str}")
    async def show(
        self,
        request: Request,
        me: Me,
        alerts: Alerts,
        db_session: NamedDependency[AsyncSession],
        alert_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Template:
        """One alert with its history; opening it is reading it (`me`'s receipt)."""
        row = await alerts.view(parse_alert_id(alert_id))
        names = await alerts.names({row.alert.patient_id})
        await release_chain(db_session)
        context = alert_context(me, row, names.get(row.alert.patient_id))
        context["notice"] = _notice(done)
        return render(request, ALERT_PAGE, ALERT_PARTIAL, context)

    async def _change(
        self,
        request: Request,
        me: Me,
        alerts: Alerts,
        alert_id: str,
        data: NoteForm,
        action: str,
    ) -> Template | Redirect:
        wanted = parse_alert_id(alert_id)
        resolving = action == "resolve"
        errors = data.errors(required=resolving)
        if errors:
            row = await alerts.view(wanted)
            name = (await alerts.names({row.alert.patient_id})).get(row.alert.patient_id)
            context = alert_context(me, row, name, form=data.values(), errors=errors, failed=action)
            return render(request, ALERT_PAGE, ALERT_PARTIAL, context, status_code=422)
        try:
            if resolving:
                row = await alerts.resolve(wanted, data.cleaned() or "")
            else:
                row = await alerts.acknowledge(wanted, data.cleaned())
        except StateConflict as refused:
            name = (await alerts.names({refused.row.alert.patient_id})).get(
                refused.row.alert.patient_id
            )
            return conflict(request, me, refused, name)
        if not wants_partial(request):
            done = "resolved" if resolving else "acknowledged"
            return Redirect(f"/alerts/{wanted}?done={done}", status_code=303)
        name = (await alerts.names({row.alert.patient_id})).get(row.alert.patient_id)
        message = _("Alert resolved") if resolving else _("Alert acknowledged")
        return render(
            request,
            ALERT_PAGE,
            ALERT_PARTIAL,
            alert_context(me, row, name),
            headers=toast(message),
        )

    @post("/{alert_id:str}/acknowledge")
    async def acknowledge(
        self, request: Request, me: Me, alerts: Alerts, alert_id: FromPath[str], data: NoteBody
    ) -> Template | Redirect:
        """Acknowledge the alert (a note is optional): in place with a toast, or back to
        its page; 409 when it is no longer open."""
        return await self._change(request, me, alerts, alert_id, data, "acknowledge")

    @post("/{alert_id:str}/resolve")
    async def resolve(
        self, request: Request, me: Me, alerts: Alerts, alert_id: FromPath[str], data: NoteBody
    ) -> Template | Redirect:
        """Resolve the alert with a note of what was done (422 beside the field without
        one); 409 when it is resolved already."""
        return await self._change(request, me, alerts, alert_id, data, "resolve")
