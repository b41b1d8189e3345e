"""A set of vitals as pages show it: numbers in the reader's language, NEWS2 as icon + word."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from babel.lists import format_list

from app.db.models.vitals import VitalsObservation
from app.domain.patients.dates import show_moment
from app.domain.vitals.forms import consciousness_label, measurement_label, unit_label
from app.domain.vitals.news2 import PARAMETERS, Risk
from app.domain.vitals.numbers import show_number
from app.lib.i18n import _, current_locale

# Aria-hidden glyphs beside the word: the word and colour carry it too.
RISK_ICONS = {Risk.LOW: "✓", Risk.LOW_MEDIUM: "!", Risk.MEDIUM: "▲", Risk.HIGH: "‼"}


def risk_word(risk: Risk | str) -> str:
    words = {
        Risk.LOW: _("Low"),
        Risk.LOW_MEDIUM: _("Low–medium"),
        Risk.MEDIUM: _("Medium"),
        Risk.HIGH: _("High"),
    }
    return words[Risk(risk)]


def risk_advice(risk: Risk | str) -> str:
    """The response the chart asks for, in words a carer acts on."""
    advice = {
        Risk.LOW: _("Low clinical risk: continue observations as planned."),
        Risk.LOW_MEDIUM: _(
            "One sign is far from normal: ask the responsible clinician for an urgent review."
        ),
        Risk.MEDIUM: _("Medium clinical risk: urgent response. Ask a clinician to review now."),
        Risk.HIGH: _("High clinical risk: emergency response. Call emergency services now."),
    }
    return advice[Risk(risk)]


def scale_label(scale: int) -> str:
    if scale == 2:
        return _("Scale 2 (hypercapnic respiratory failure, target 88–92%)")
    return _("Scale 1 (standard)")


def score_view(news2: int | None, risk: str | None, missing: list[str]) -> dict[str, Any]:
    """The NEWS2 badge: the number, icon, word and class; or why there is none."""
    if news2 is None or risk is None:
        names = [measurement_label(name) for name in missing]
        if len(names) == len(PARAMETERS):
            return {
                "complete": False,
                "incomplete": _("No NEWS2: this set has none of its seven observations."),
            }
        return {
            "complete": False,
            "incomplete": _(
                "Incomplete — NEWS2 needs %(missing)s.",
                missing=format_list(names, locale=current_locale()) if names else "…",
            ),
        }
    return {
        "complete": True,
        "total": show_number(news2),
        "risk": risk,
        "icon": RISK_ICONS[Risk(risk)],
        "word": risk_word(risk),
        "advice": risk_advice(risk),
    }


def _missing(row: VitalsObservation) -> list[str]:
    return [name for name in PARAMETERS if getattr(row, name) is None]


def reading(name: str, value: Any, decimals: int | None = None) -> dict[str, str] | None:
    if value is None:
        return None
    return {
        "name": name,
        "label": measurement_label(name),
        "value": show_number(value, decimals),
        "unit": unit_label(name),
    }


def set_view(row: VitalsObservation, zone: ZoneInfo) -> dict[str, Any]:
    """Everything a page shows of one set."""
    readings = [
        reading("respiration_rate", row.respiration_rate),
        reading("spo2", row.spo2),
    ]
    if row.on_oxygen is not None:
        readings.append(
            {
                "name": "on_oxygen",
                "label": measurement_label("on_oxygen"),
                "value": _("On oxygen") if row.on_oxygen else _("Air"),
                "unit": "",
            }
        )
    if row.systolic is not None:
        pressure = show_number(row.systolic)
        if row.diastolic is not None:
            pressure += "/" + show_number(row.diastolic)
        readings.append(
            {"name": "bp", "label": _("Blood pressure"), "value": pressure, "unit": "mmHg"}
        )
    readings += [
        reading("pulse", row.pulse),
    ]
    if row.consciousness:
        readings.append(
            {
                "name": "consciousness",
                "label": measurement_label("consciousness"),
                "value": consciousness_label(row.consciousness),
                "unit": "",
            }
        )
    readings += [
        reading("temperature", row.temperature, 1),
        reading("weight", row.weight, 1),
        reading("glucose", row.glucose, 1),
    ]
    return {
        "id": str(row.id),
        "when": show_moment(row.taken_at, zone),
        "taken_at": row.taken_at.isoformat(),
        "readings": [r for r in readings if r is not None],
        "score": score_view(row.news2, row.news2_risk, _missing(row)),
        "scale": row.spo2_scale,
        "corrected": row.replaces_id is not None,
        "superseded": row.superseded_at is not None,
        "reason": row.correction_reason or "",
        "recorded_at": show_moment(row.recorded_at, zone) if row.recorded_at else "",
    }
