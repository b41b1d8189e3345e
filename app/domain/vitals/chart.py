"""The vitals chart: small panels of inline SVG, drawn on the server, one per measurement.

Geometry only: the template draws what this computes. 360 units wide, so it is drawn
1:1 on a 390 px phone; each panel shades the band that scores 0 on NEWS2, so a point
outside the shading is one that scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from app.db.models.vitals import VitalsObservation
from app.domain.vitals.forms import measurement_label
from app.domain.vitals.numbers import show_number
from app.lib.i18n import _, current_locale

WIDTH = 360
LEFT = 36  # room for the y labels
RIGHT = 8
PANEL = 76
TITLE = 26  # room for the panel's name above it
BOTTOM = 22  # room for the day labels
RANGES = (7, 30, 90)


@dataclass(frozen=True)
class Series:
    name: str
    label: Callable[[], str]
    low: float
    high: float
    normal: tuple[float, float] | None  # the band that scores 0
    marks: tuple[float, ...] = ()  # reference lines (NEWS2 5 and 7)
    decimals: int | None = None


def _news2_label() -> str:
    return _("NEWS2")


def _series(scale: int) -> list[Series]:
    spo2_normal = (88.0, 92.0) if scale == 2 else (96.0, 100.0)
    return [
        Series("news2", _news2_label, 0, 10, None, marks=(5, 7)),
        Series("pulse", lambda: measurement_label("pulse"), 40, 140, (51, 90)),
        Series("systolic", lambda: measurement_label("systolic"), 80, 200, (111, 200)),
        Series("spo2", lambda: measurement_label("spo2"), 85, 100, spo2_normal),
        Series(
            "temperature", lambda: measurement_label("temperature"), 35, 40, (36.1, 38.0), (), 1
        ),
    ]


def _value(row: VitalsObservation, name: str) -> float | None:
    value = getattr(row, name)
    return float(value) if value is not None else None


def build_chart(
    rows: Sequence[VitalsObservation], start: datetime, end: datetime, zone: ZoneInfo, scale: int
) -> dict[str, Any]:
    """Panels with their points in SVG units, axis labels and the day ticks."""
    span = max((end - start).total_seconds(), 1.0)
    inner = WIDTH - LEFT - RIGHT

    def x_of(moment: datetime) -> float:
        return round(LEFT + inner * (moment - start).total_seconds() / span, 1)

    panels = []
    top = 0.0
    for series in _series(scale):
        values = [(row.taken_at, _value(row, series.name)) for row in rows]
        present = [(moment, v) for moment, v in values if v is not None]
        low = min([series.low, *(v for _, v in present)])
        high = max([series.high, *(v for _, v in present)])
        panel_top = top + TITLE

        def y_of(
            value: float, low: float = low, high: float = high, top: float = panel_top
        ) -> float:
            return round(top + PANEL - PANEL * (value - low) / (high - low), 1)

        points = [{"x": x_of(moment), "y": y_of(v)} for moment, v in present]
        band = None
        if series.normal:
            band_low, band_high = max(series.normal[0], low), min(series.normal[1], high)
            band = {"y": y_of(band_high), "height": round(y_of(band_low) - y_of(band_high), 1)}
        panels.append(
            {
                "name": series.name,
                "label": series.label(),
                "top": panel_top,
                "title_y": panel_top - 8,
                "bottom": panel_top + PANEL,
                "points": points,
                "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
                "band": band,
                "marks": [
                    {"y": y_of(mark), "label": show_number(Decimal(str(mark)))}
                    for mark in series.marks
                    if low <= mark <= high
                ],
                "high": show_number(Decimal(str(high)), series.decimals),
                "low": show_number(Decimal(str(low)), series.decimals),
                "high_y": panel_top + 10,
                "low_y": panel_top + PANEL,
                "empty": not points,
            }
        )
        top = panel_top + PANEL
    height = top + BOTTOM
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "panels": panels,
        "ticks": _ticks(start, end, zone, x_of, height - 6),
    }


def _ticks(
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    x_of: Callable[[datetime], float],
    y: float,
) -> list[dict[str, Any]]:
    """Day labels at local midnights, at most five of them."""
    first = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    days = max((end - start).days, 1)
    step = max(1, -(-days // 5))
    ticks = []
    day = first + timedelta(days=1)
    while day <= end:
        ticks.append(
            {
                "x": x_of(day),
                "y": y,
                "label": format_skeleton("MMMd", day, locale=current_locale()),
            }
        )
        day = (day + timedelta(days=step)).replace(hour=0)
    return ticks
