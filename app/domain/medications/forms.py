"""The medicine, stop, dose and effect forms: what was typed, kept as typed, checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from app.domain.medications.labels import EFFECTS, FORMS, OUTCOMES, ROUTES
from app.domain.medications.schedule import ALL_DAYS
from app.lib.day_ranges import RECORD_DAYS, plan_days
from app.lib.forms import FieldErrors
from app.lib.i18n import _

NAME_MAX = 200
SHORT_MAX = 100
TEXT_MAX = 2000
REASON_MAX = 500
MAX_TIMES = 12
INTERVAL_HOURS_MAX = 168


def _many(value: list[str] | str) -> list[str]:
    """A field that may come once (a string) or several times (a list)."""
    values = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in values if v and v.strip()]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _time(value: str) -> time | None:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0)


def _whole(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class MedicineValues:
    """A checked medicine, ready to store."""

    name: str
    strength: str
    form: str
    dose: str
    route: str
    instructions: str
    starts_on: date
    ends_on: date | None
    prn: bool
    times: list[str]
    days: int
    prn_reason: str
    min_interval_minutes: int | None
    max_per_day: int | None
    controlled: bool

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "strength": self.strength,
            "form": self.form,
            "dose": self.dose,
            "route": self.route,
            "instructions": self.instructions,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "prn": self.prn,
            "times": list(self.times),
            "days": self.days,
            "prn_reason": self.prn_reason,
            "min_interval_minutes": self.min_interval_minutes,
            "max_per_day": self.max_per_day,
            "controlled": self.controlled,
        }


@dataclass
class MedicineForm:
    """Text as typed; `times` and `days` repeat (several time inputs, one box per day)."""

    name: str = ""
    strength: str = ""
    form: str = ""
    dose: str = ""
    route: str = ""
    instructions: str = ""
    starts_on: str = ""
    ends_on: str = ""
    kind: str = "scheduled"
    times: list[str] | str = field(default_factory=list)
    days: list[str] | str = field(default_factory=list)
    prn_reason: str = ""
    min_interval: str = ""
    interval_unit: str = "hours"
    max_per_day: str = ""
    controlled: str = ""

    @classmethod
    def blank(cls, day: date) -> MedicineForm:
        return cls(starts_on=day.isoformat(), times=["08:00"], days=[str(d) for d in range(7)])

    @classmethod
    def from_medicine(cls, medicine: Any) -> MedicineForm:
        interval = medicine.min_interval_minutes
        in_hours = interval is not None and interval % 60 == 0
        return cls(
            name=medicine.name,
            strength=medicine.strength,
            form=medicine.form,
            dose=medicine.dose,
            route=medicine.route,
            instructions=medicine.instructions,
            starts_on=medicine.starts_on.isoformat(),
            ends_on=medicine.ends_on.isoformat() if medicine.ends_on else "",
            kind="prn" if medicine.prn else "scheduled",
            times=list(medicine.times),
            days=[str(d) for d in range(7) if medicine.days & (1 << d)],
            prn_reason=medicine.prn_reason,
            min_interval="" if interval is None else str(interval // 60 if in_hours else interval),
            interval_unit="hours" if in_hours or interval is None else "minutes",
            max_per_day="" if medicine.max_per_day is None else str(medicine.max_per_day),
            controlled="on" if medicine.controlled else "",
        )

    def values(self) -> dict[str, Any]:
        """What to put back in the form."""
        times = _many(self.times)
        return {
            "name": self.name,
            "strength": self.strength,
            "form": self.form,
            "dose": self.dose,
            "route": self.route,
            "instructions": self.instructions,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "kind": self.kind,
            "times": times + [""] * max(0, 3 - len(times)),
            "days": set(_many(self.days)),
            "prn_reason": self.prn_reason,
            "min_interval": self.min_interval,
            "interval_unit": self.interval_unit,
            "max_per_day": self.max_per_day,
            "controlled": bool(self.controlled),
        }

    def _text(self, errors: FieldErrors, name: str, limit: int, message: str | None) -> None:
        value = getattr(self, name).strip()
        if message and not value:
            errors[name] = message
        elif len(value) > limit:
            errors[name] = _("Use at most %(count)s characters.", count=limit)

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        self._text(errors, "name", NAME_MAX, _("Give the medicine's name."))
        self._text(errors, "strength", SHORT_MAX, None)
        self._text(errors, "dose", SHORT_MAX, _("Say how much to give, e.g. 1 tablet or 5 ml."))
        self._text(errors, "instructions", TEXT_MAX, None)
        if self.form not in FORMS:
            errors["medicine_form"] = _("Choose the form of the medicine.")
        if self.route not in ROUTES:
            errors["route"] = _("Choose how the medicine is given.")
        starts = _date(self.starts_on)
        # Today in UTC: a day's difference from the care account's zone is nothing
        # against a range of years.
        plan = plan_days(datetime.now(UTC).date())
        if starts is None:
            errors["starts_on"] = _("Enter the day the medicine starts.")
        elif starts not in plan:
            errors["starts_on"] = plan.message()
        if self.ends_on.strip():
            ends = _date(self.ends_on)
            if ends is None:
                errors["ends_on"] = _("Enter a date, or leave it empty.")
            elif ends not in plan:
                errors["ends_on"] = plan.message()
            elif starts is not None and ends < starts:
                errors["ends_on"] = _("The end cannot be before the start.")
        if self.kind == "prn":
            self._prn_errors(errors)
        elif self.kind == "scheduled":
            self._schedule_errors(errors)
        else:
            errors["kind"] = _("Choose a schedule or as needed.")
        return errors

    def _schedule_errors(self, errors: FieldErrors) -> None:
        times = _many(self.times)
        if not times:
            errors["times"] = _("Give at least one time of day.")
        elif len(times) > MAX_TIMES or any(_time(t) is None for t in times):
            errors["times"] = _("Enter times of day such as 08:00.")
        days = _many(self.days)
        if not days:
            errors["days"] = _("Choose at least one day.")
        elif any(d not in {"0", "1", "2", "3", "4", "5", "6"} for d in days):
            errors["days"] = _("Choose days of the week.")

    def _prn_errors(self, errors: FieldErrors) -> None:
        self._text(errors, "prn_reason", 300, _("Say what the medicine is for, e.g. pain."))
        interval = _whole(self.min_interval)
        high = INTERVAL_HOURS_MAX if self.interval_unit == "hours" else INTERVAL_HOURS_MAX * 60
        if self.interval_unit not in ("hours", "minutes"):
            errors["min_interval"] = _("Choose hours or minutes.")
        elif interval is None or not 1 <= interval <= high:
            errors["min_interval"] = _(
                "Enter a whole number from %(low)s to %(high)s.", low=1, high=high
            )
        most = _whole(self.max_per_day)
        if most is None or not 1 <= most <= 48:
            errors["max_per_day"] = _(
                "Enter a whole number from %(low)s to %(high)s.", low=1, high=48
            )

    def checked(self) -> MedicineValues:
        """The medicine; only after `errors()` found none."""
        prn = self.kind == "prn"
        starts = _date(self.starts_on)
        assert starts is not None
        interval = None
        if prn:
            amount = _whole(self.min_interval) or 0
            interval = amount * 60 if self.interval_unit == "hours" else amount
        days = ALL_DAYS
        times: list[str] = []
        if not prn:
            days = sum(1 << int(d) for d in set(_many(self.days)))
            times = sorted({_time(t).strftime("%H:%M") for t in _many(self.times)})  # type: ignore[union-attr]
        return MedicineValues(
            name=self.name.strip(),
            strength=self.strength.strip(),
            form=self.form,
            dose=self.dose.strip(),
            route=self.route,
            instructions=self.instructions.strip(),
            starts_on=starts,
            ends_on=_date(self.ends_on) if self.ends_on.strip() else None,
            prn=prn,
            times=times,
            days=days,
            prn_reason=self.prn_reason.strip() if prn else "",
            min_interval_minutes=interval,
            max_per_day=_whole(self.max_per_day) if prn else None,
            controlled=bool(self.controlled),
        )


@dataclass
class StopForm:
    reason: str = ""

    def errors(self) -> FieldErrors:
        if not self.reason.strip():
            return {"reason": _("Say why the medicine is stopped.")}
        if len(self.reason.strip()) > REASON_MAX:
            return {"reason": _("Use at most %(count)s characters.", count=REASON_MAX)}
        return {}


@dataclass
class DoseForm:
    """One dose's outcome. `scheduled_for` names a scheduled dose (empty for PRN);
    `corrects` names the record a correction replaces."""

    medication_id: str = ""
    scheduled_for: str = ""
    outcome: str = ""
    note: str = ""
    given_time: str = ""
    prn_reason: str = ""
    override_reason: str = ""
    witness_email: str = ""
    witness_password: str = ""
    witness_code: str = ""
    corrects: str = ""

    def medicine_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.medication_id.strip())
        except ValueError:
            return None

    def correction_of(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.corrects.strip()) if self.corrects.strip() else None
        except ValueError:
            return None

    def scheduled_moment(self) -> datetime | None:
        try:
            moment = datetime.fromisoformat(self.scheduled_for.strip())
        except ValueError:
            return None
        if moment.tzinfo is None or moment.date() not in RECORD_DAYS:
            return None  # no dose is due then (and 9999-12-31 cannot be shown in a zone)
        return moment

    def given_clock(self) -> time | None:
        return _time(self.given_time) if self.given_time.strip() else None

    def values(self) -> dict[str, Any]:
        """What to put back in the form: never the witness's password or code."""
        return {
            "medication_id": self.medication_id,
            "scheduled_for": self.scheduled_for,
            "outcome": self.outcome,
            "note": self.note,
            "given_time": self.given_time,
            "prn_reason": self.prn_reason,
            "override_reason": self.override_reason,
            "witness_email": self.witness_email,
            "corrects": self.corrects,
        }

    def errors(self, *, prn: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if self.outcome not in OUTCOMES:
            errors["outcome"] = _("Choose what happened with this dose.")
        elif self.outcome != "given" and not self.note.strip():
            errors["note"] = _("Add a note: say why the dose was not given.")
        if len(self.note) > TEXT_MAX:
            errors["note"] = _("Use at most %(count)s characters.", count=TEXT_MAX)
        if self.given_time.strip() and self.given_clock() is None:
            errors["given_time"] = _("Enter a time such as 08:15.")
        if prn and self.outcome == "given" and not self.prn_reason.strip():
            errors["prn_reason"] = _("Say why the dose is needed now.")
        if len(self.prn_reason) > 300 or len(self.override_reason) > REASON_MAX:
            errors["override_reason"] = _("Use at most %(count)s characters.", count=REASON_MAX)
        if not prn and self.scheduled_moment() is None:
            errors["form"] = _("This dose could not be found. Open it again from the chart.")
        if self.corrects.strip() and self.correction_of() is None:
            errors["form"] = _("This dose could not be found. Open it again from the chart.")
        return errors


@dataclass
class EffectForm:
    effect: str = ""
    note: str = ""

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if self.effect not in EFFECTS:
            errors["effect"] = _("Choose how well the dose worked.")
        if self.effect == "did_not_help" and not self.note.strip():
            errors["note"] = _("Add a note: what happened, and who was told.")
        if len(self.note) > TEXT_MAX:
            errors["note"] = _("Use at most %(count)s characters.", count=TEXT_MAX)
        return errors
