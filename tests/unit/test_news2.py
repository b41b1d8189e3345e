"""NEWS2 scores every band edge as the Royal College of Physicians' chart (2017) prints it.

Each table lists both sides of every boundary on the chart; the expected points are
copied from the chart, not computed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.vitals.news2 import (
    Consciousness,
    Observations,
    Risk,
    Scale,
    consciousness_points,
    oxygen_points,
    pulse_points,
    respiration_points,
    risk_for,
    score,
    spo2_points,
    systolic_points,
    temperature_points,
)

RESPIRATION = [
    (3, 3), (8, 3),  # ≤8 → 3
    (9, 1), (11, 1),  # 9–11 → 1
    (12, 0), (20, 0),  # 12–20 → 0
    (21, 2), (24, 2),  # 21–24 → 2
    (25, 3), (70, 3),  # ≥25 → 3
]  # fmt: skip


@pytest.mark.parametrize(("rate", "points"), RESPIRATION)
def test_respiration_rate_bands(rate: int, points: int) -> None:
    assert respiration_points(rate) == points


SPO2_SCALE_1 = [
    (50, 3), (91, 3),  # ≤91 → 3
    (92, 2), (93, 2),  # 92–93 → 2
    (94, 1), (95, 1),  # 94–95 → 1
    (96, 0), (100, 0),  # ≥96 → 0
]  # fmt: skip


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_1)
@pytest.mark.parametrize("on_oxygen", [False, True])
def test_spo2_scale_1_bands_ignore_oxygen(spo2: int, points: int, on_oxygen: bool) -> None:
    assert spo2_points(spo2, Scale.ONE, on_oxygen) == points


SPO2_SCALE_2_ON_AIR = [
    (50, 3), (83, 3),  # ≤83 → 3
    (84, 2), (85, 2),  # 84–85 → 2
    (86, 1), (87, 1),  # 86–87 → 1
    (88, 0), (92, 0),  # 88–92 → 0
    (93, 0), (94, 0), (95, 0), (96, 0), (97, 0), (100, 0),  # ≥93 on air → 0
]  # fmt: skip

SPO2_SCALE_2_ON_OXYGEN = [
    (50, 3), (83, 3),
    (84, 2), (85, 2),
    (86, 1), (87, 1),
    (88, 0), (92, 0),
    (93, 1), (94, 1),  # 93–94 on oxygen → 1
    (95, 2), (96, 2),  # 95–96 on oxygen → 2
    (97, 3), (100, 3),  # ≥97 on oxygen → 3
]  # fmt: skip


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_2_ON_AIR)
def test_spo2_scale_2_on_air(spo2: int, points: int) -> None:
    assert spo2_points(spo2, Scale.TWO, on_oxygen=False) == points


@pytest.mark.parametrize(("spo2", "points"), SPO2_SCALE_2_ON_OXYGEN)
def test_spo2_scale_2_on_oxygen(spo2: int, points: int) -> None:
    assert spo2_points(spo2, Scale.TWO, on_oxygen=True) == points


def test_air_or_oxygen() -> None:
    assert oxygen_points(True) == 2
    assert oxygen_points(False) == 0


SYSTOLIC = [
    (50, 3), (90, 3),  # ≤90 → 3
    (91, 2), (100, 2),  # 91–100 → 2
    (101, 1), (110, 1),  # 101–110 → 1
    (111, 0), (219, 0),  # 111–219 → 0
    (220, 3), (300, 3),  # ≥220 → 3
]  # fmt: skip


@pytest.mark.parametrize(("systolic", "points"), SYSTOLIC)
def test_systolic_bands(systolic: int, points: int) -> None:
    assert systolic_points(systolic) == points


PULSE = [
    (20, 3), (40, 3),  # ≤40 → 3
    (41, 1), (50, 1),  # 41–50 → 1
    (51, 0), (90, 0),  # 51–90 → 0
    (91, 1), (110, 1),  # 91–110 → 1
    (111, 2), (130, 2),  # 111–130 → 2
    (131, 3), (250, 3),  # ≥131 → 3
]  # fmt: skip


@pytest.mark.parametrize(("pulse", "points"), PULSE)
def test_pulse_bands(pulse: int, points: int) -> None:
    assert pulse_points(pulse) == points


@pytest.mark.parametrize(
    ("level", "points"),
    [
        (Consciousness.ALERT, 0),
        (Consciousness.CONFUSION, 3),
        (Consciousness.VOICE, 3),
        (Consciousness.PAIN, 3),
        (Consciousness.UNRESPONSIVE, 3),
    ],
)
def test_consciousness(level: Consciousness, points: int) -> None:
    assert consciousness_points(level) == points


TEMPERATURE = [
    ("25.0", 3), ("35.0", 3),  # ≤35.0 → 3
    ("35.1", 1), ("36.0", 1),  # 35.1–36.0 → 1
    ("36.1", 0), ("38.0", 0),  # 36.1–38.0 → 0
    ("38.1", 1), ("39.0", 1),  # 38.1–39.0 → 1
    ("39.1", 2), ("45.0", 2),  # ≥39.1 → 2
    ("37", 0), ("35", 3), ("39", 1),  # whole degrees are one-decimal values too
]  # fmt: skip


@pytest.mark.parametrize(("temperature", "points"), TEMPERATURE)
def test_temperature_bands(temperature: str, points: int) -> None:
    assert temperature_points(Decimal(temperature)) == points


@pytest.mark.parametrize("between_bands", ["35.05", "36.05", "38.05", "39.05", "37.25"])
def test_a_temperature_between_bands_is_refused_not_rounded(between_bands: str) -> None:
    # The chart has no band for 35.05: it is recorded to one decimal place.
    with pytest.raises(ValueError, match="one decimal place"):
        temperature_points(Decimal(between_bands))


NORMAL = Observations(
    respiration_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic=125,
    pulse=72,
    consciousness=Consciousness.ALERT,
    temperature=Decimal("36.8"),
)


def _with(**changes: object) -> Observations:
    values = {name: getattr(NORMAL, name) for name in NORMAL.__dataclass_fields__}
    values.update(changes)
    return Observations(**values)  # type: ignore[arg-type]


def test_a_normal_set_scores_zero_and_low() -> None:
    result = score(NORMAL)
    assert result is not None
    assert result.total == 0
    assert result.risk == Risk.LOW


@pytest.mark.parametrize(
    ("changes", "total", "risk"),
    [
        # 4: pulse 111 (2) + RR 21 (2)
        ({"pulse": 111, "respiration_rate": 21}, 4, Risk.LOW),
        # 5: pulse 111 (2) + RR 21 (2) + temperature 38.1 (1)
        ({"pulse": 111, "respiration_rate": 21, "temperature": Decimal("38.1")}, 5, Risk.MEDIUM),
        # 6: oxygen (2) + pulse 111 (2) + RR 21 (2)
        ({"on_oxygen": True, "pulse": 111, "respiration_rate": 21}, 6, Risk.MEDIUM),
        # 7: oxygen (2) + pulse 111 (2) + RR 21 (2) + systolic 105 (1)
        (
            {"on_oxygen": True, "pulse": 111, "respiration_rate": 21, "systolic": 105},
            7,
            Risk.HIGH,
        ),
    ],
)
def test_aggregate_bands_at_4_5_6_7(changes: dict, total: int, risk: Risk) -> None:
    result = score(_with(**changes))
    assert result is not None
    assert (result.total, result.risk) == (total, risk)


@pytest.mark.parametrize(
    "changes",
    [
        {"respiration_rate": 8},
        {"spo2": 91},
        {"systolic": 90},
        {"pulse": 40},
        {"consciousness": Consciousness.CONFUSION},
        {"temperature": Decimal("35.0")},
    ],
)
def test_a_single_parameter_scoring_3_is_low_medium(changes: dict) -> None:
    result = score(_with(**changes))
    assert result is not None
    assert result.total == 3
    assert result.risk == Risk.LOW_MEDIUM


def test_single_three_with_an_aggregate_of_4_stays_low_medium() -> None:
    result = score(_with(pulse=40, temperature=Decimal("38.5")))  # 3 + 1
    assert result is not None
    assert (result.total, result.risk) == (4, Risk.LOW_MEDIUM)


def test_single_three_with_an_aggregate_of_5_is_medium() -> None:
    result = score(_with(pulse=40, respiration_rate=21))  # 3 + 2
    assert result is not None
    assert (result.total, result.risk) == (5, Risk.MEDIUM)


def test_risk_rule_table() -> None:
    assert [risk_for(total, False) for total in range(9)] == [
        Risk.LOW, Risk.LOW, Risk.LOW, Risk.LOW, Risk.LOW,
        Risk.MEDIUM, Risk.MEDIUM, Risk.HIGH, Risk.HIGH,
    ]  # fmt: skip
    assert risk_for(3, True) == Risk.LOW_MEDIUM
    assert risk_for(7, True) == Risk.HIGH


def test_scale_2_on_oxygen_scores_high_saturation() -> None:
    # SpO₂ 97% on oxygen: 0 on scale 1, 3 on scale 2; plus 2 for the oxygen itself.
    observed = _with(spo2=97, on_oxygen=True)
    one, two = score(observed, Scale.ONE), score(observed, Scale.TWO)
    assert one is not None and two is not None
    assert (one.parts["spo2"], one.total) == (0, 2)
    assert (two.parts["spo2"], two.total) == (3, 5)
    assert two.risk == Risk.MEDIUM


def test_scale_2_on_air_at_target_scores_nothing_for_saturation() -> None:
    observed = _with(spo2=89, on_oxygen=False)
    one, two = score(observed, Scale.ONE), score(observed, 2)
    assert one is not None and two is not None
    assert one.parts["spo2"] == 3
    assert two.parts["spo2"] == 0


@pytest.mark.parametrize(
    "missing",
    [
        "respiration_rate",
        "spo2",
        "on_oxygen",
        "systolic",
        "pulse",
        "consciousness",
        "temperature",
    ],
)
def test_a_set_missing_any_parameter_has_no_score(missing: str) -> None:
    observed = _with(**{missing: None})
    assert score(observed) is None
    assert observed.missing() == [missing]


def test_an_empty_set_lists_all_seven_missing() -> None:
    assert Observations().missing() == [
        "respiration_rate",
        "spo2",
        "on_oxygen",
        "systolic",
        "pulse",
        "consciousness",
        "temperature",
    ]
