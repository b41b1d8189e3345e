"""The audit page and its CSV export, for a care account's administrators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Response, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tenancy import bind_tenant
from app.domain.audit.actions import AUDIT_EXPORT, AUDIT_VIEW, action_label, known_actions
from app.domain.audit.csv_export import csv_chunks
from app.domain.audit.filters import MAX_SEQ, AuditFilters, parse_filters
from app.domain.audit.services import record
from app.domain.audit.trail import AuditEntry, AuditTrail
from app.domain.identity.access import AccessScope
from app.domain.identity.deps import Me, provide_me
from app.domain.identity.guards import admin_only
from app.lib.forms import FieldErrors
from app.lib.htmx import render
from app.lib.i18n import _, current_locale

PAGE = "audit/page.html"
PARTIAL = "audit/partials/_trail.html"
OBJECT_TYPE = "audit_events"

Query = Annotated[str | None, QueryParameter(required=False)]
DateFrom = Annotated[str | None, QueryParameter(name="from", required=False)]
DateTo = Annotated[str | None, QueryParameter(name="to", required=False)]


@dataclass(frozen=True)
class EventRow:
    """One event as the page shows it: time in the reader's language and the care
    account's time zone, the action's label, and the person's name."""

    seq: int
    when: str
    when_iso: str
    actor: str
    action: str
    patient_id: str | None
    route: str
    ip: str


def _row(entry: AuditEntry, tz: ZoneInfo) -> EventRow:
    if entry.actor_id is None:
        actor = _("Tend (server operator)")
    else:
        actor = entry.actor_name or _("A former member")
    return EventRow(
        seq=entry.seq,
        when=format_datetime(entry.occurred_at, "medium", tzinfo=tz, locale=current_locale()),
        when_iso=entry.occurred_at.astimezone(UTC).isoformat(),
        actor=actor,
        action=action_label(entry.action),
        patient_id=str(entry.patient_id) if entry.patient_id else None,
        route=entry.route or "",
        ip=entry.ip or "",
    )


def _url(path: str, filters: AuditFilters, **extra: Any) -> str:
    """`path` with the filters (and `extra`) as its query string, so links keep them."""
    query = urlencode({**filters.query(), **{k: v for k, v in extra.items() if v is not None}})
    return f"{path}?{query}" if query else path


def _form_values(raw: dict[str, str | None]) -> dict[str, str]:
    """What the reader typed, given back as typed (also when it was not valid)."""
    return {key: (value or "").strip() for key, value in raw.items()}


def _parse(
    person: str | None,
    patient: str | None,
    action: str | None,
    date_from: str | None,
    date_to: str | None,
) -> tuple[AuditFilters, FieldErrors, dict[str, str]]:
    raw = {"person": person, "patient": patient, "action": action, "from": date_from, "to": date_to}
    filters, errors = parse_filters(person, patient, action, date_from, date_to)
    return filters, errors, _form_values(raw)


def _session_maker(request: Request) -> Callable[[], AsyncSession]:
    config = request.app.state.db_config
    return request.app.state[config.session_maker_app_state_key]


async def _export(
    make_session: Callable[[], AsyncSession],
    me: AccessScope,
    filters: AuditFilters,
    tz: ZoneInfo,
    upto: int,
) -> AsyncIterator[str]:
    # Its own session: the request's is committed and closed once the response starts.
    async with make_session() as db:
        await bind_tenant(db, me.tenant_id, me.user_id)
        async for chunk in csv_chunks(AuditTrail(db, me.tenant_id).batches(filters, tz, upto)):
            yield chunk


class AuditController(Controller):
    path = "/audit"
    guards: ClassVar = [admin_only]
    dependencies: ClassVar[dict[str, Provide]] = {"me": Provide(provide_me)}

    async def _page(
        self,
        request: Request,
        trail: AuditTrail,
        filters: AuditFilters,
        errors: FieldErrors,
        form: dict[str, str],
        tz: ZoneInfo,
        before: int | None,
    ) -> Template:
        page = await trail.page(filters, tz, before) if not errors else None
        actions = known_actions()
        if form["action"] and form["action"] not in {code for code, _label in actions}:
            actions.append((form["action"], form["action"]))
        context = {
            "rows": [_row(entry, tz) for entry in page.entries] if page else [],
            "older_url": (
                _url("/audit", filters, before=page.older_than)
                if page and page.older_than
                else None
            ),
            "newest_url": _url("/audit", filters) if before is not None else None,
            "export_url": _url("/audit/export.csv", filters),
            "everyone_url": _url("/audit", replace(filters, patient_id=None)),
            "filtered": filters.active,
            "form": form,
            "errors": errors,
            "people": await trail.people(),
            "actions": actions,
            "time_zone": str(tz),
        }
        status = 422 if errors else 200
        return render(request, PAGE, PARTIAL, context, status_code=status)

    @get("/", name="audit")
    async def show(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        person: Query = None,
        patient: Query = None,
        action: Query = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        before: Annotated[int | None, QueryParameter(required=False, gt=0, le=MAX_SEQ)] = None,
    ) -> Template:
        """Events of the care account, newest first, 50 to a page, filtered as asked."""
        filters, errors, form = _parse(person, patient, action, date_from, date_to)
        trail = AuditTrail(db_session, me.tenant_id)
        tz = await trail.time_zone()
        response = await self._page(request, trail, filters, errors, form, tz, before)
        if not errors:
            detail: dict[str, Any] = {"filters": filters.query()}
            if before is not None:
                detail["before"] = before
            await record(db_session, me, request, AUDIT_VIEW, OBJECT_TYPE, detail=detail)
        return response

    @get("/export.csv", name="audit_export")
    async def export(
        self,
        request: Request,
        me: Me,
        db_session: NamedDependency[AsyncSession],
        person: Query = None,
        patient: Query = None,
        action: Query = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> Response[Any]:
        """Every event matching the filters as a CSV download, streamed as it is read."""
        filters, errors, form = _parse(person, patient, action, date_from, date_to)
        trail = AuditTrail(db_session, me.tenant_id)
        tz = await trail.time_zone()
        if errors:
            return await self._page(request, trail, filters, errors, form, tz, None)
        upto = await trail.newest_seq()
        await record(
            db_session,
            me,
            request,
            AUDIT_EXPORT,
            OBJECT_TYPE,
            detail={"filters": filters.query(), "upto": upto},
        )
        filename = f"tend-audit-{datetime.now(tz).date().isoformat()}.csv"
        return Stream(
            _export(_session_maker(request), me, filters, tz, upto),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )
