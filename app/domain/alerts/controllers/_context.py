"""What the alert pages share: the list's context, one alert's context, the 409 answer."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Template

from app.domain.alerts.display import alert_view, state_choices
from app.domain.alerts.repository import DEFAULT_STATE, AlertRow
from app.domain.alerts.services import Listing, StateConflict
from app.domain.identity.access import AccessScope
from app.lib.forms import FieldErrors
from app.lib.htmx import render, wants_partial
from app.lib.i18n import _

ALERT_PAGE = "alerts/alert.html"
ALERT_PARTIAL = "alerts/partials/_alert.html"


def parse_after(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None  # a mangled "older alerts" link starts again from the newest


def list_url(base: str, state: str, after: uuid.UUID | None = None) -> str:
    params = {"state": state} if state != DEFAULT_STATE else {}
    if after is not None:
        params["after"] = str(after)
    return base + (f"?{urlencode(params)}" if params else "")


def list_context(
    me: AccessScope, base: str, state: str, listing: Listing, after: uuid.UUID | None
) -> dict[str, Any]:
    """The list of alerts with its filter and pages."""
    return {
        "list_url": base,
        "state": state,
        "states": state_choices(me.is_admin),
        "filtered": state != DEFAULT_STATE,
        "alerts": [
            alert_view(row, me.zone, listing.names.get(row.alert.patient_id))
            for row in listing.rows
        ],
        "is_admin": me.is_admin,
        "next_url": list_url(base, state, listing.next_after) if listing.next_after else None,
        "first_url": list_url(base, state) if after else None,
    }


def alert_context(
    me: AccessScope,
    row: AlertRow,
    patient_name: str | None,
    *,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    failed: str | None = None,
) -> dict[str, Any]:
    """One alert with its history, and the forms to act on it for those who may."""
    return {
        "alert": alert_view(row, me.zone, patient_name),
        "patient": {"id": str(row.alert.patient_id), "name": patient_name},
        "can_handle": me.can_write_care,
        "is_admin": me.is_admin,
        "form": form or {"note": ""},
        "errors": errors or {},
        "failed": failed,  # which form the errors belong to: "acknowledge" or "resolve"
        "notice": None,
    }


def conflict(
    request: Request, me: AccessScope, conflict: StateConflict, name: str | None
) -> Template:
    """409: the alert moved on meanwhile. Said plainly: a toast (htmx) or the alert's page
    with the message above it."""
    if wants_partial(request):
        return Template(
            "components/_alert.html",
            context={"level": "warning", "title": _("Not changed"), "detail": conflict.message},
            status_code=409,
            headers={"HX-Retarget": "#toasts", "HX-Reswap": "beforeend", "Vary": "HX-Request"},
        )
    context = {
        **alert_context(me, conflict.row, name),
        "notice": {"level": "warning", "text": conflict.message},
    }
    return render(request, ALERT_PAGE, ALERT_PARTIAL, context, status_code=409)
