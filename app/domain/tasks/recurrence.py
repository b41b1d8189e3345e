"""When a care-plan task falls due: pure calendar arithmetic, no database, no clock.

A schedule is wall-clock times ("08:00 and 20:00") on some days: chosen days of the
week, or every N days counted from the start date. Occurrences are computed in the care
account's time zone and returned in UTC, so 08:00 stays 08:00 on both sides of a
daylight-saving change. A time that does not exist on the day the clocks go forward
(01:30 in Europe/London) happens at the same distance past midnight, i.e. just after the
change (02:30 BST): done late is better than not asked for at all. A time that happens
twice when the clocks go back is asked for once, the first time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONDAY, SUNDAY = 0, 6


@dataclass(frozen=True)
class Schedule:
    """A task's recurrence. Exactly one of `days_of_week` (0 = Monday … 6 = Sunday) and
    `every_days` is set; `end` is the last day it applies (inclusive)."""

    times: tuple[time, ...]
    start: date
    end: date | None = None
    days_of_week: frozenset[int] | None = None
    every_days: int | None = None

    def __post_init__(self) -> None:
        if not self.times:
            raise ValueError("a schedule needs at least one time of day")
        if (self.days_of_week is None) == (self.every_days is None):
            raise ValueError("give either days of the week or every N days")
        if self.every_days is not None and self.every_days < 1:
            raise ValueError("every N days needs N ≥ 1")
        if self.days_of_week is not None and (
            not self.days_of_week or not self.days_of_week <= set(range(MONDAY, SUNDAY + 1))
        ):
            raise ValueError("days of the week are 0 (Monday) to 6 (Sunday), at least one")

    @property
    def sorted_times(self) -> tuple[time, ...]:
        return tuple(sorted(set(self.times)))

    def occurs_on(self, day: date) -> bool:
        """Whether the task is asked for on this local day (ignoring a stop)."""
        if day < self.start or (self.end is not None and day > self.end):
            return False
        if self.every_days is not None:
            return (day - self.start).days % self.every_days == 0
        assert self.days_of_week is not None
        return day.weekday() in self.days_of_week


def at_wall_clock(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time on a local day (see the module note for
    the two days a year when that is not one-to-one)."""
    local = datetime.combine(day, moment.replace(tzinfo=None), tzinfo=zone)  # fold=0
    return local.astimezone(UTC)


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    """Every local day that overlaps [start, end)."""
    day = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of a day, in UTC (23 or 25 hours on DST days)."""
    begin = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return begin, end


def occurrences(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    active_from: datetime | None = None,
    stopped_at: datetime | None = None,
) -> list[datetime]:
    """The task's occurrences in [start, end), in UTC, in order.

    `active_from`: none before it (a task added at 14:00 does not owe its 08:00 of the same
    day). `stopped_at`: none at or after it (stopping keeps the past, asks for no more).
    """
    found: set[datetime] = set()
    for day in local_days(start, end, zone):
        if not schedule.occurs_on(day):
            continue
        for moment in schedule.sorted_times:
            at = at_wall_clock(day, moment, zone)
            if not start <= at < end:
                continue
            if active_from is not None and at < active_from:
                continue
            if stopped_at is not None and at >= stopped_at:
                continue
            found.add(at)
    return sorted(found)


def occurrences_on(
    schedule: Schedule,
    day: date,
    zone: ZoneInfo,
    *,
    active_from: datetime | None = None,
    stopped_at: datetime | None = None,
) -> list[datetime]:
    """The task's occurrences on one local day, in UTC."""
    begin, end = day_bounds(day, zone)
    return occurrences(schedule, begin, end, zone, active_from=active_from, stopped_at=stopped_at)


def is_occurrence(
    schedule: Schedule,
    at: datetime,
    zone: ZoneInfo,
    *,
    active_from: datetime | None = None,
    stopped_at: datetime | None = None,
) -> bool:
    """Whether `at` is one of the task's occurrences (so a completion may be recorded)."""
    day = at.astimezone(zone).date()
    return at in occurrences_on(schedule, day, zone, active_from=active_from, stopped_at=stopped_at)
