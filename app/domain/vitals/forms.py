"""The vitals forms: what was typed, kept as typed, checked field by field.

Limits, each a decision (the same ones stand as CHECK constraints in migration 0007):

| measurement | refused outside (impossible or a typing slip) | asks to confirm (rare, possible) |
|---|---|---|
| respiration rate /min | 3–70, whole numbers | below 8 or above 35 |
| SpO₂ % | 50–100, whole numbers | below 85 |
| systolic BP mmHg | 50–300, whole numbers | below 80 or above 200 |
| diastolic BP mmHg | 20–200, below the systolic | below 40 or above 130 |
| pulse /min | 20–250, whole numbers | below 40 or above 150 |
| temperature °C | 25.0–45.0, one decimal place | below 35.0 or above 40.0 |
| weight kg | above 0 up to 400, one decimal place | below 30 or above 250 |
| blood glucose mmol/L | 0.5–50.0, one decimal place | below 3.0 or above 25.0 |

The time taken may not be in the future (5 minutes' grace for clocks) nor more than
30 days ago. A comma is accepted as the decimal sign ("37,5"), as phones type it.
A confirmation holds for the value confirmed only: change the value and it is asked again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from app.domain.vitals.news2 import Consciousness, Observations
from app.domain.vitals.numbers import show_number
from app.lib.forms import FieldErrors
from app.lib.i18n import _

TIME_GRACE = timedelta(minutes=5)
OLDEST = timedelta(days=30)
REASON_MAX = 300
NOTE_MAX = 200
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Limit:
    low: Decimal
    high: Decimal
    unusual_below: Decimal | None
    unusual_above: Decimal | None
    decimals: int  # 0: whole numbers; 1: one decimal place


def _limit(low: str, high: str, below: str | None, above: str | None, decimals: int) -> Limit:
    return Limit(
        Decimal(low),
        Decimal(high),
        Decimal(below) if below else None,
        Decimal(above) if above else None,
        decimals,
    )


LIMITS: dict[str, Limit] = {
    "respiration_rate": _limit("3", "70", "8", "35", 0),
    "spo2": _limit("50", "100", "85", None, 0),
    "systolic": _limit("50", "300", "80", "200", 0),
    "diastolic": _limit("20", "200", "40", "130", 0),
    "pulse": _limit("20", "250", "40", "150", 0),
    "temperature": _limit("25.0", "45.0", "35.0", "40.0", 1),
    "weight": _limit("0.1", "400.0", "30", "250", 1),
    "glucose": _limit("0.5", "50.0", "3.0", "25.0", 1),
}
MEASUREMENTS = tuple(LIMITS)


def measurement_label(name: str) -> str:
    labels = {
        "respiration_rate": _("Respiration rate"),
        "spo2": _("Oxygen saturation (SpO₂)"),
        "on_oxygen": _("Air or oxygen"),
        "systolic": _("Systolic blood pressure"),
        "diastolic": _("Diastolic blood pressure"),
        "pulse": _("Pulse"),
        "consciousness": _("Consciousness (ACVPU)"),
        "temperature": _("Temperature"),
        "weight": _("Weight"),
        "glucose": _("Blood glucose"),
    }
    return labels[name]


def unit_label(name: str) -> str:
    units = {
        "respiration_rate": _("breaths per minute"),
        "spo2": "%",
        "systolic": "mmHg",
        "diastolic": "mmHg",
        "pulse": _("beats per minute"),
        "temperature": "°C",
        "weight": "kg",
        "glucose": "mmol/L",
    }
    return units.get(name, "")


def consciousness_label(level: str) -> str:
    labels = {
        "A": _("Alert"),
        "C": _("New confusion"),
        "V": _("Responds to voice"),
        "P": _("Responds to pain"),
        "U": _("Unresponsive"),
    }
    return labels.get(level, level)


def _number(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _range_message(name: str, limit: Limit) -> str:
    low, high = show_number(limit.low), show_number(limit.high)
    if limit.decimals == 0:
        return _(
            "Enter a whole number from %(low)s to %(high)s %(unit)s.",
            low=low,
            high=high,
            unit=unit_label(name),
        )
    return _(
        "Enter a number from %(low)s to %(high)s %(unit)s, with at most one decimal place.",
        low=low,
        high=high,
        unit=unit_label(name),
    )


def parse_time(text: str, zone: ZoneInfo) -> datetime | None:
    """A `datetime-local` value ("2026-11-22T09:30") read in the care account's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def local_time_value(moment: datetime, zone: ZoneInfo) -> str:
    """What a `datetime-local` input shows for a moment, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Measured:
    """A checked set, ready to store and score."""

    taken_at: datetime
    respiration_rate: int | None
    spo2: int | None
    on_oxygen: bool | None
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    consciousness: Consciousness | None
    temperature: Decimal | None
    weight: Decimal | None
    glucose: Decimal | None

    def observations(self) -> Observations:
        return Observations(
            respiration_rate=self.respiration_rate,
            spo2=self.spo2,
            on_oxygen=self.on_oxygen,
            systolic=self.systolic,
            pulse=self.pulse,
            consciousness=self.consciousness,
            temperature=self.temperature,
        )

    def columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class VitalsForm:
    """Text as typed, so a refused value comes back exactly as entered.

    `confirm_<field>` carries the value the person confirmed as right (a checkbox whose
    value is that value): it holds for that value only.
    """

    taken_at: str = ""
    respiration_rate: str = ""
    spo2: str = ""
    oxygen: str = ""  # "air" | "oxygen"
    systolic: str = ""
    diastolic: str = ""
    pulse: str = ""
    consciousness: str = ""
    temperature: str = ""
    weight: str = ""
    glucose: str = ""
    confirm_respiration_rate: str = ""
    confirm_spo2: str = ""
    confirm_systolic: str = ""
    confirm_diastolic: str = ""
    confirm_pulse: str = ""
    confirm_temperature: str = ""
    confirm_weight: str = ""
    confirm_glucose: str = ""
    reason: str = ""  # corrections only
    return_to: str = ""  # "today" when opened from the Today card

    @classmethod
    def blank(cls, now: datetime, zone: ZoneInfo, return_to: str = "") -> VitalsForm:
        return cls(taken_at=local_time_value(now, zone), return_to=return_to)

    @classmethod
    def from_row(cls, row: Any, zone: ZoneInfo) -> VitalsForm:
        def text(value: Any) -> str:
            return "" if value is None else str(value)

        oxygen = "" if row.on_oxygen is None else ("oxygen" if row.on_oxygen else "air")
        return cls(
            taken_at=local_time_value(row.taken_at, zone),
            oxygen=oxygen,
            consciousness=row.consciousness or "",
            **{name: text(getattr(row, name)) for name in MEASUREMENTS},
        )

    def values(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def _checked_numbers(self, errors: FieldErrors) -> dict[str, Decimal | None]:
        numbers: dict[str, Decimal | None] = {}
        for name, limit in LIMITS.items():
            text = getattr(self, name)
            numbers[name] = None
            if not text.strip():
                continue
            value = _number(text)
            if (
                value is None
                or not limit.low <= value <= limit.high
                or value != value.quantize(Decimal(1).scaleb(-limit.decimals))
            ):
                errors[name] = _range_message(name, limit)
                continue
            numbers[name] = value
        return numbers

    def check(
        self, now: datetime, zone: ZoneInfo, *, correcting: bool = False
    ) -> tuple[Measured | None, FieldErrors, FieldErrors]:
        """(the checked set or None, errors, values that need confirming).

        Errors must be fixed; a value needing confirmation is saved once the person ticks
        that it is right. The set is returned only when there is neither.
        """
        errors: FieldErrors = {}
        taken = parse_time(self.taken_at, zone)
        if taken is None:
            errors["taken_at"] = _("Enter the date and time the vitals were taken.")
        elif taken > now + TIME_GRACE:
            errors["taken_at"] = _("The time cannot be in the future.")
        elif taken < now - OLDEST:
            errors["taken_at"] = _("Enter a time within the last 30 days.")
        numbers = self._checked_numbers(errors)
        systolic, diastolic = numbers["systolic"], numbers["diastolic"]
        if diastolic is not None and "systolic" not in errors:
            if systolic is None:
                errors["systolic"] = _("Enter the systolic pressure with the diastolic.")
            elif diastolic >= systolic:
                errors["diastolic"] = _(
                    "The diastolic pressure must be lower than the systolic: check both."
                )
        oxygen: bool | None = None
        if self.oxygen in ("air", "oxygen"):
            oxygen = self.oxygen == "oxygen"
        elif self.oxygen:
            errors["oxygen"] = _("Choose air or oxygen.")
        elif numbers["spo2"] is not None:
            errors["oxygen"] = _(
                "Say whether they were breathing air or on oxygen: NEWS2 scores the saturation "
                "with it."
            )
        level: Consciousness | None = None
        if self.consciousness:
            try:
                level = Consciousness(self.consciousness)
            except ValueError:
                errors["consciousness"] = _("Choose one of the ACVPU answers.")
        nothing = all(value is None for value in numbers.values()) and level is None
        if nothing and not any(name in errors for name in LIMITS):
            errors["form"] = _("Enter at least one measurement.")
        if correcting:
            if not self.reason.strip():
                errors["reason"] = _("Say what was wrong, for whoever reads the record later.")
            elif len(self.reason.strip()) > REASON_MAX:
                errors["reason"] = _("Use at most %(count)s characters.", count=REASON_MAX)
        unconfirmed = self._unconfirmed(numbers, errors)
        if errors or unconfirmed or taken is None:
            return None, errors, unconfirmed

        def whole(name: str) -> int | None:
            value = numbers[name]
            return int(value) if value is not None else None

        def tenth(name: str) -> Decimal | None:
            value = numbers[name]
            return value.quantize(TENTH) if value is not None else None

        measured = Measured(
            taken_at=taken,
            respiration_rate=whole("respiration_rate"),
            spo2=whole("spo2"),
            on_oxygen=oxygen,
            systolic=whole("systolic"),
            diastolic=whole("diastolic"),
            pulse=whole("pulse"),
            consciousness=level,
            temperature=tenth("temperature"),
            weight=tenth("weight"),
            glucose=tenth("glucose"),
        )
        return measured, {}, {}

    def _unconfirmed(self, numbers: dict[str, Decimal | None], errors: FieldErrors) -> FieldErrors:
        unconfirmed: FieldErrors = {}
        for name, limit in LIMITS.items():
            value = numbers[name]
            if value is None or name in errors:
                continue
            low = limit.unusual_below is not None and value < limit.unusual_below
            high = limit.unusual_above is not None and value > limit.unusual_above
            if (low or high) and getattr(self, f"confirm_{name}") != confirmation(value):
                unconfirmed[name] = _(
                    "This is an unusual value. Please confirm this value is right, or correct it."
                )
        return unconfirmed


def confirmation(value: Decimal) -> str:
    """The value a confirm box carries for a value: its normalised text."""
    return format(value.normalize(), "f")


def confirmations(form: VitalsForm, unconfirmed: FieldErrors) -> dict[str, str]:
    """The confirm box's value beside each value to confirm."""
    found: dict[str, str] = {}
    for name in unconfirmed:
        value = _number(getattr(form, name))
        if value is not None:
            found[name] = confirmation(value)
    return found


@dataclass
class ScaleForm:
    spo2_scale: str = ""
    clinician_said: str = ""  # a checkbox
    note: str = ""

    def check(self, current: int) -> tuple[int | None, FieldErrors]:
        errors: FieldErrors = {}
        scale: int | None = None
        if self.spo2_scale in ("1", "2"):
            scale = int(self.spo2_scale)
        else:
            errors["spo2_scale"] = _("Choose scale 1 or scale 2.")
        if scale == 2 and scale != current and not self.clinician_said:
            errors["clinician_said"] = _(
                "Scale 2 is used only when a clinician has said so: tick the box to confirm."
            )
        if len(self.note.strip()) > NOTE_MAX:
            errors["note"] = _("Use at most %(count)s characters.", count=NOTE_MAX)
        return (scale if not errors else None), errors
