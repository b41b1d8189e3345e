"""The care account settings form: what was typed, checked, and turned into settings."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.tenant_settings.services import (
    DOSE_WINDOW_MINUTES,
    ESCALATE_AFTER_MINUTES,
    IDLE_MINUTES,
    LIFETIME_HOURS,
    NAME_MAX,
    CareAccountSettings,
)
from app.lib.forms import FieldErrors
from app.lib.i18n import _


def _whole_number(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _range_error(value: str, bounds: tuple[int, int]) -> str | None:
    number = _whole_number(value)
    if number is None or not bounds[0] <= number <= bounds[1]:
        return _("Enter a whole number from %(low)s to %(high)s.", low=bounds[0], high=bounds[1])
    return None


@dataclass
class CareAccountForm:
    """Text as typed (numbers too), so a wrong value comes back exactly as entered."""

    name: str = ""
    idle_timeout_minutes: str = ""
    session_lifetime_hours: str = ""
    require_mfa: str = ""  # a checkbox: absent when unticked
    dose_window_minutes: str = "60"
    escalate_after_minutes: str = "15"

    @classmethod
    def from_settings(cls, settings: CareAccountSettings) -> CareAccountForm:
        return cls(
            name=settings.name,
            idle_timeout_minutes=str(settings.idle_timeout_minutes),
            session_lifetime_hours=str(settings.session_lifetime_hours),
            require_mfa="on" if settings.require_mfa else "",
            dose_window_minutes=str(settings.dose_window_minutes),
            escalate_after_minutes=str(settings.escalate_after_minutes),
        )

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if not self.name.strip():
            errors["name"] = _("Give the care account a name.")
        elif len(self.name.strip()) > NAME_MAX:
            errors["name"] = _("Use at most %(count)s characters.", count=NAME_MAX)
        for field, bounds in (
            ("idle_timeout_minutes", IDLE_MINUTES),
            ("session_lifetime_hours", LIFETIME_HOURS),
            ("dose_window_minutes", DOSE_WINDOW_MINUTES),
            ("escalate_after_minutes", ESCALATE_AFTER_MINUTES),
        ):
            problem = _range_error(getattr(self, field), bounds)
            if problem:
                errors[field] = problem
        return errors

    def settings(self) -> CareAccountSettings:
        """The settings; only after `errors()` found none."""
        return CareAccountSettings(
            name=self.name.strip(),
            idle_timeout_minutes=int(self.idle_timeout_minutes.strip()),
            session_lifetime_hours=int(self.session_lifetime_hours.strip()),
            require_mfa=bool(self.require_mfa),
            dose_window_minutes=int(self.dose_window_minutes.strip()),
            escalate_after_minutes=int(self.escalate_after_minutes.strip()),
        )
