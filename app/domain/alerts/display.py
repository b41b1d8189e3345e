"""Alerts made ready for templates: a title per kind from its params, severity as icon,
word and colour, times in the care account's zone, and who did what when."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.domain.alerts.kinds import Kind, Severity
from app.domain.alerts.repository import AlertRow
from app.domain.medications.views import show_time
from app.domain.patients.dates import show_moment
from app.domain.vitals.forms import measurement_label
from app.lib.i18n import _


def _name(name: str | None) -> str:
    return name or _("A former member")


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _clock(value: Any, zone: ZoneInfo) -> str:
    moment = _moment(value)
    return show_time(moment, zone) if moment is not None else ""


def _with_time(name: str, clock: str) -> str:
    return f"{name} {clock}".strip()


def severity_view(severity: str) -> dict[str, str]:
    """Never colour alone: an icon and a word go with it."""
    views = {
        Severity.URGENT: {"icon": "!", "word": _("Urgent"), "level": "error"},
        Severity.WARNING: {"icon": "▲", "word": _("Warning"), "level": "warning"},
        Severity.INFO: {"icon": "i", "word": _("Information"), "level": "info"},
    }
    return {"value": severity, **views.get(Severity(severity), views[Severity.INFO])}


def state_label(state: str) -> str:
    labels = {
        "open": _("New"),  # not yet acknowledged (and not the verb "open")
        "acknowledged": _("Acknowledged"),
        "resolved": _("Resolved"),
    }
    return labels.get(state, state)


def state_choices(admin: bool) -> list[dict[str, str]]:
    """The list's filter, in the order people look for them."""
    choices = [
        {"value": "unresolved", "label": _("Not resolved")},
        {"value": "open", "label": _("New")},
        {"value": "acknowledged", "label": _("Acknowledged")},
        {"value": "resolved", "label": _("Resolved")},
        {"value": "all", "label": _("All")},
    ]
    if admin:
        choices.append({"value": "escalated", "label": _("Escalated, not acknowledged")})
    return choices


def _news2_title(kind: str, params: dict[str, Any]) -> str:
    score = params.get("score", "?")
    if kind == Kind.NEWS2_HIGH:
        return _("NEWS2 of %(score)s — high risk", score=score)
    if kind == Kind.NEWS2_MEDIUM:
        return _("NEWS2 of %(score)s — medium risk", score=score)
    names = ", ".join(
        measurement_label(name) for name in params.get("threes", []) if isinstance(name, str)
    )
    return _("NEWS2 of %(score)s — %(names)s scored 3", score=score, names=names or "?")


def alert_title(kind: str, params: dict[str, Any], raised_by: str | None, zone: ZoneInfo) -> str:
    """What the alert is about, in a line, in the reader's language."""
    if kind in (Kind.NEWS2_HIGH, Kind.NEWS2_MEDIUM, Kind.NEWS2_SINGLE):
        return _news2_title(kind, params)
    medicine = str(params.get("medicine") or _("A medicine"))
    if kind == Kind.DOSE_NOT_GIVEN:
        dose = _with_time(medicine, _clock(params.get("scheduled"), zone))
        if params.get("outcome") == "missed":
            return _("%(dose)s missed", dose=dose)
        return _("%(dose)s refused", dose=dose)
    if kind == Kind.DOSE_UNRECORDED:
        dose = _with_time(medicine, _clock(params.get("scheduled"), zone))
        return _("Dose not recorded: %(dose)s", dose=dose)
    if kind == Kind.TASK_OVERDUE:
        return _("Care-plan task overdue: %(task)s", task=params.get("task") or "?")
    if kind == Kind.CONCERN:
        return _("Concern raised by %(name)s", name=_name(raised_by))
    return kind


def alert_view(row: AlertRow, zone: ZoneInfo, patient_name: str | None = None) -> dict[str, Any]:
    """What an alert's row and page show."""
    alert = row.alert
    url = f"/alerts/{alert.id}"
    raised_by = _name(row.raised_by) if alert.raised_by else None
    history = [
        {
            "what": _("Raised by %(name)s", name=raised_by) if raised_by else _("Raised by Tend"),
            "when": show_moment(alert.raised_at, zone),
            "iso": alert.raised_at.isoformat(),
            "note": None,
        }
    ]
    if alert.escalated_at is not None:
        history.append(
            {
                "what": _("Escalated to administrators"),
                "when": show_moment(alert.escalated_at, zone),
                "iso": alert.escalated_at.isoformat(),
                "note": None,
            }
        )
    if alert.acknowledged_at is not None and alert.acknowledged_at != alert.resolved_at:
        history.append(
            {
                "what": _("Acknowledged by %(name)s", name=_name(row.acknowledged_by)),
                "when": show_moment(alert.acknowledged_at, zone),
                "iso": alert.acknowledged_at.isoformat(),
                "note": alert.acknowledgement_note,
            }
        )
    if alert.resolved_at is not None:
        history.append(
            {
                "what": _("Resolved by %(name)s", name=_name(row.resolved_by)),
                "when": show_moment(alert.resolved_at, zone),
                "iso": alert.resolved_at.isoformat(),
                "note": alert.resolution_note,
            }
        )
    return {
        "id": str(alert.id),
        "patient_id": str(alert.patient_id),
        "patient_name": patient_name,
        "kind": alert.kind,
        "title": alert_title(alert.kind, alert.params or {}, row.raised_by, zone),
        "detail": alert.detail,
        "severity": severity_view(alert.severity),
        "state": alert.state,
        "state_label": state_label(alert.state),
        "raised": show_moment(alert.raised_at, zone),
        "raised_iso": alert.raised_at.isoformat(),
        "escalated": alert.escalated_at is not None and alert.state == "open",
        "read": row.read,
        "history": history,
        "link": alert.link,
        "url": url,
        "acknowledge_url": f"{url}/acknowledge",
        "resolve_url": f"{url}/resolve",
        "can_acknowledge": alert.state == "open",
        "can_resolve": alert.state != "resolved",
    }
