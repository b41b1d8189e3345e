"""Numbers as the reader's language writes them (37.5, 37,5, ٣٧٫٥)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from app.lib.i18n import current_locale


def show_number(value: int | Decimal | None, decimals: int | None = None) -> str:
    """`value` in the current locale; `decimals` fixes the places shown (37.0, not 37)."""
    if value is None:
        return ""
    if decimals is None:
        return format_decimal(value, locale=current_locale())
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_locale())
