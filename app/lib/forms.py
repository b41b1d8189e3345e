"""Small helpers for forms: field errors beside the fields, and what the user typed kept."""

from __future__ import annotations

import re
from dataclasses import asdict, is_dataclass
from typing import Any

FieldErrors = dict[str, str]

# Deliberately loose: one @, something either side, a dot in the domain. Delivery is the
# real test of an address; this only catches typing slips.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL.match(value.strip())) and len(value.strip()) <= 254


def form_values(form: Any, *, without: tuple[str, ...] = ("password",)) -> dict[str, Any]:
    """What to put back in the form on an error: everything typed, except secrets."""
    values = asdict(form) if is_dataclass(form) else dict(form)
    return {key: ("" if key in without else value) for key, value in values.items()}
