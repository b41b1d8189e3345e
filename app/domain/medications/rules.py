"""The eMAR's rules as pure functions: late doses, PRN intervals and daily maximums."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

DAY = timedelta(hours=24)


def is_late(scheduled_for: datetime, given_at: datetime, window_minutes: int) -> bool:
    """Given outside ± the care account's dose window."""
    return abs(given_at - scheduled_for) > timedelta(minutes=window_minutes)


def prn_next_allowed(
    given: Iterable[datetime],
    at: datetime,
    min_interval_minutes: int | None,
    max_per_day: int | None,
) -> datetime | None:
    """None when an as-needed dose may be given at `at`; otherwise the earliest moment
    it may, given the earlier doses `given` (the minimum interval and the 24 h maximum)."""
    earlier = sorted(moment for moment in given if moment <= at)
    waits: list[datetime] = []
    if earlier and min_interval_minutes:
        ready = earlier[-1] + timedelta(minutes=min_interval_minutes)
        if ready > at:
            waits.append(ready)
    if max_per_day:
        recent = [moment for moment in earlier if moment > at - DAY]
        if len(recent) >= max_per_day:
            waits.append(recent[-max_per_day] + DAY)
    return max(waits) if waits else None


def dose_state(scheduled_for: datetime, now: datetime, window_minutes: int) -> str:
    """`upcoming`, `due` (inside the window) or `overdue` (window passed), for a dose
    with no outcome yet."""
    window = timedelta(minutes=window_minutes)
    if now < scheduled_for - window:
        return "upcoming"
    if now <= scheduled_for + window:
        return "due"
    return "overdue"
