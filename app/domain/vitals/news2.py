"""NEWS2, exactly as the Royal College of Physicians' chart (2017) scores it.

Pure functions, no I/O. Every band edge is written as the chart prints it, so the code
reads against the chart line by line.

Temperature is recorded to one decimal place, as the chart's bands are (35.0 | 35.1):
a value between two bands (35.05) has no score on the chart, so `score()` refuses it
(ValueError) rather than round it into a band; the record form refuses it first, with
a message asking for one decimal place.

A set missing any of the seven parameters gets no score at all: a partial sum would look
like a reassuringly low score when it is only an incomplete one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

TENTH = Decimal("0.1")


class Scale(IntEnum):
    """SpO₂ scoring scale: 1 for everyone, 2 only for hypercapnic respiratory failure
    (target 88–92%) when a clinician has said so."""

    ONE = 1
    TWO = 2


class Consciousness(StrEnum):
    """ACVPU: Alert, new Confusion, Voice, Pain, Unresponsive."""

    ALERT = "A"
    CONFUSION = "C"
    VOICE = "V"
    PAIN = "P"
    UNRESPONSIVE = "U"


class Risk(StrEnum):
    """The chart's clinical risk, with the response it asks for."""

    LOW = "low"  # aggregate 0–4
    LOW_MEDIUM = "low_medium"  # a single parameter scoring 3, aggregate ≤ 4
    MEDIUM = "medium"  # aggregate 5–6
    HIGH = "high"  # aggregate ≥ 7


PARAMETERS = (
    "respiration_rate",
    "spo2",
    "on_oxygen",
    "systolic",
    "pulse",
    "consciousness",
    "temperature",
)


@dataclass(frozen=True)
class Observations:
    """The seven scored parameters; None when not measured."""

    respiration_rate: int | None = None
    spo2: int | None = None
    on_oxygen: bool | None = None
    systolic: int | None = None
    pulse: int | None = None
    consciousness: Consciousness | None = None
    temperature: Decimal | None = None

    def missing(self) -> list[str]:
        """The parameters NEWS2 still needs, in the chart's order."""
        return [name for name in PARAMETERS if getattr(self, name) is None]


@dataclass(frozen=True)
class News2:
    total: int
    risk: Risk
    parts: dict[str, int]

    @property
    def single_three(self) -> bool:
        return any(points == 3 for points in self.parts.values())


def respiration_points(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_points(spo2: int, scale: Scale, on_oxygen: bool) -> int:
    if scale == Scale.ONE:
        if spo2 <= 91:
            return 3
        if spo2 <= 93:
            return 2
        if spo2 <= 95:
            return 1
        return 0
    # Scale 2: below target as scale 1 shifted; above 92% scores only on oxygen.
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def oxygen_points(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_points(systolic: int) -> int:
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def pulse_points(pulse: int) -> int:
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def consciousness_points(level: Consciousness) -> int:
    return 0 if level == Consciousness.ALERT else 3


def temperature_points(temperature: Decimal) -> int:
    """Points for a temperature in °C recorded to one decimal place."""
    if temperature != temperature.quantize(TENTH):
        msg = f"temperature {temperature} is not recorded to one decimal place"
        raise ValueError(msg)
    if temperature <= Decimal("35.0"):
        return 3
    if temperature <= Decimal("36.0"):
        return 1
    if temperature <= Decimal("38.0"):
        return 0
    if temperature <= Decimal("39.0"):
        return 1
    return 2


def risk_for(total: int, single_three: bool) -> Risk:
    if total >= 7:
        return Risk.HIGH
    if total >= 5:
        return Risk.MEDIUM
    if single_three:
        return Risk.LOW_MEDIUM
    return Risk.LOW


def score(observed: Observations, scale: Scale | int = Scale.ONE) -> News2 | None:
    """The NEWS2 of a complete set; None when any parameter is missing."""
    o = observed
    rate, spo2, oxygen, systolic, pulse, level, temperature = (
        o.respiration_rate,
        o.spo2,
        o.on_oxygen,
        o.systolic,
        o.pulse,
        o.consciousness,
        o.temperature,
    )
    if (
        rate is None
        or spo2 is None
        or oxygen is None
        or systolic is None
        or pulse is None
        or level is None
        or temperature is None
    ):
        return None
    parts = {
        "respiration_rate": respiration_points(rate),
        "spo2": spo2_points(spo2, Scale(scale), oxygen),
        "on_oxygen": oxygen_points(oxygen),
        "systolic": systolic_points(systolic),
        "pulse": pulse_points(pulse),
        "consciousness": consciousness_points(Consciousness(level)),
        "temperature": temperature_points(temperature),
    }
    total = sum(parts.values())
    return News2(total, risk_for(total, any(p == 3 for p in parts.values())), parts)
