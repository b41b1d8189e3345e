"""The words (and symbols) for medicine forms, routes, dose outcomes and effects."""

from __future__ import annotations

from app.lib.i18n import _

FORMS = ("tablet", "capsule", "liquid", "patch", "inhaler", "injection", "drops", "cream", "other")
ROUTES = (
    "oral",
    "topical",
    "inhaled",
    "subcutaneous",
    "intramuscular",
    "eye",
    "ear",
    "nasal",
    "rectal",
    "other",
)
OUTCOMES = ("given", "refused", "missed", "held", "already_taken", "not_available")
EFFECTS = ("helped", "partly", "did_not_help")
# Monday first, as `date.weekday()` counts.
WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)

# A symbol beside each word, so an outcome never rests on colour alone (also in print).
OUTCOME_SYMBOLS = {
    "given": "✓",
    "refused": "✗",
    "missed": "!",
    "held": "‖",
    "already_taken": "=",
    "not_available": "∅",
}


def form_label(value: str) -> str:
    labels = {
        "tablet": _("Tablet"),
        "capsule": _("Capsule"),
        "liquid": _("Liquid"),
        "patch": _("Patch"),
        "inhaler": _("Inhaler"),
        "injection": _("Injection"),
        "drops": _("Drops"),
        "cream": _("Cream"),
        "other": _("Other"),
    }
    return labels.get(value, labels["other"])


def route_label(value: str) -> str:
    labels = {
        "oral": _("By mouth"),
        "topical": _("On the skin"),
        "inhaled": _("Inhaled"),
        "subcutaneous": _("Under the skin (injection)"),
        "intramuscular": _("Into a muscle (injection)"),
        "eye": _("In the eye"),
        "ear": _("In the ear"),
        "nasal": _("In the nose"),
        "rectal": _("Rectal"),
        "other": _("Other"),
    }
    return labels.get(value, labels["other"])


def outcome_label(value: str) -> str:
    labels = {
        "given": _("Given"),
        "refused": _("Refused"),
        "missed": _("Missed"),
        "held": _("Held"),
        "already_taken": _("Already taken"),
        "not_available": _("Not available"),
    }
    return labels.get(value, value)


def effect_label(value: str) -> str:
    labels = {
        "helped": _("Helped"),
        "partly": _("Helped partly"),
        "did_not_help": _("Did not help"),
    }
    return labels.get(value, value)


def weekday_label(day: int) -> str:
    labels = (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )
    return labels[day]


def choices(values: tuple[str, ...], label) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [{"value": value, "label": label(value)} for value in values]
