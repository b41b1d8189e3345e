"""What a note is about: stable codes stored in the database, labels in the user's language."""

from __future__ import annotations

from app.lib.i18n import _

# Stored codes: never renamed (the migration checks them); labels may change freely.
CATEGORIES = (
    "personal_care",
    "meals_fluids",
    "mood",
    "sleep",
    "mobility",
    "continence",
    "general",
)
DEFAULT_CATEGORY = "general"


def category_label(code: str) -> str:
    labels = {
        "personal_care": _("Personal care"),
        "meals_fluids": _("Meals and fluids"),
        "mood": _("Mood"),
        "sleep": _("Sleep"),
        "mobility": _("Mobility"),
        "continence": _("Continence"),
        "general": _("General"),
    }
    return labels.get(code, labels["general"])


def category_choices() -> list[dict[str, str]]:
    """[{value, label}] in the order the form offers them."""
    return [{"value": code, "label": category_label(code)} for code in CATEGORIES]
