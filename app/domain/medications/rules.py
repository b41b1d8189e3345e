"""The eMAR's rules as pure functions: late doses, PRN intervals and daily maximums."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(hours=24)


def is_late(scheduled_for: datetime, given_at: datetime, window_minutes: int) -> bool:
    """Given outside ± the care account's dose window."""
    return abs(given_at - scheduled_for) > timedelta(minutes=window_minutes)


@dataclass(frozen=True)
class PrnWait:
    """Why an as-needed dose may not be given at a moment, without an override."""

    until: datetime  # the earliest moment from then on that it may be given
    by_later: bool  # only doses recorded after that moment stand in the way (backdated)


def _too_close(doses: list[datetime], at: datetime, min_interval: timedelta | None) -> bool:
    """Closer than the minimum interval to a dose on either side of `at`."""
    return min_interval is not None and any(abs(at - d) < min_interval for d in doses)


def _too_many(doses: list[datetime], at: datetime, max_per_day: int | None) -> bool:
    """A dose at `at` would make more than `max_per_day` in some 24 h window holding it:
    some `max_per_day` doses (consecutive in time) fit with `at` in less than 24 h."""
    if not max_per_day:
        return False
    for first in range(len(doses) - max_per_day + 1):
        run = doses[first : first + max_per_day]
        if max(run[-1], at) - min(run[0], at) < DAY:
            return True
    return False


def _refused(
    doses: list[datetime], at: datetime, min_interval: timedelta | None, max_per_day: int | None
) -> bool:
    return _too_close(doses, at, min_interval) or _too_many(doses, at, max_per_day)


def prn_wait(
    given: Iterable[datetime],
    at: datetime,
    min_interval_minutes: int | None,
    max_per_day: int | None,
) -> PrnWait | None:
    """None when an as-needed dose may be given at `at`, against every dose `given`
    before and after it (a backdated dose keeps the same limits as one given in time
    order): the minimum interval from the nearest dose on each side, and at most
    `max_per_day` in every 24 h window that holds it."""
    interval = timedelta(minutes=min_interval_minutes) if min_interval_minutes else None
    doses = sorted(given)
    if not _refused(doses, at, interval, max_per_day):
        return None
    # The earliest allowed moment ends one of the refused spans: a dose's interval, or a
    # 24 h window that stops holding its first dose.
    ends = {d + step for d in doses for step in (interval, DAY) if step is not None}
    until = min(m for m in ends if m > at and not _refused(doses, m, interval, max_per_day))
    earlier = [d for d in doses if d <= at]
    return PrnWait(until, by_later=not _refused(earlier, at, interval, max_per_day))


def prn_next_allowed(
    given: Iterable[datetime],
    at: datetime,
    min_interval_minutes: int | None,
    max_per_day: int | None,
) -> datetime | None:
    """None when an as-needed dose may be given at `at`; otherwise the earliest moment
    after it that it may (see `prn_wait`)."""
    wait = prn_wait(given, at, min_interval_minutes, max_per_day)
    return wait.until if wait else None


def dose_state(scheduled_for: datetime, now: datetime, window_minutes: int) -> str:
    """`upcoming`, `due` (inside the window) or `overdue` (window passed), for a dose
    with no outcome yet."""
    window = timedelta(minutes=window_minutes)
    if now < scheduled_for - window:
        return "upcoming"
    if now <= scheduled_for + window:
        return "due"
    return "overdue"
