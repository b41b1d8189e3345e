"""When a medicine's scheduled doses fall: pure functions, no database.

Doses are computed, never pre-generated: a 08:00 dose is 08:00 on the care account's
clock every day, whatever the offset from UTC that day. A time that does not exist on the
spring-forward day is moved forward by the gap (01:30 becomes 02:30 in London); a time
that happens twice on the autumn day is given once, at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALL_DAYS = 0b1111111  # Monday = bit 0 … Sunday = bit 6


@dataclass(frozen=True)
class Regimen:
    """What decides a medicine's scheduled doses."""

    times: tuple[time, ...]
    starts_on: date
    ends_on: date | None = None
    stopped_at: datetime | None = None
    days: int = ALL_DAYS
    prn: bool = False

    def runs_on(self, day: date) -> bool:
        if day < self.starts_on or (self.ends_on is not None and day > self.ends_on):
            return False
        return bool(self.days & (1 << day.weekday()))


def parse_times(values: Iterable[str]) -> tuple[time, ...]:
    """ "HH:MM" strings as sorted, distinct times."""
    return tuple(sorted({time.fromisoformat(value) for value in values}))


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `zone`.

    With fold=0 zoneinfo reads a skipped time with the offset before the gap, which lands
    it after the gap by the gap's length; a repeated time resolves to its first occurrence.
    """
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def doses_on(regimen: Regimen, day: date, zone: ZoneInfo) -> list[datetime]:
    """The scheduled doses on one local day, in UTC, earliest first."""
    if regimen.prn or not regimen.runs_on(day):
        return []
    moments = {local_moment(day, at, zone) for at in regimen.times}
    if regimen.stopped_at is not None:
        moments = {moment for moment in moments if moment < regimen.stopped_at}
    return sorted(moments)


def doses_between(
    regimen: Regimen, start: datetime, end: datetime, zone: ZoneInfo
) -> list[datetime]:
    """The scheduled doses in [start, end), in UTC, earliest first."""
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    found: list[datetime] = []
    day = first
    while day <= last:
        found.extend(m for m in doses_on(regimen, day, zone) if start <= m < end)
        day += timedelta(days=1)
    return found


def is_scheduled(regimen: Regimen, moment: datetime, zone: ZoneInfo) -> bool:
    """Whether `moment` is one of the regimen's doses (checked on its local day and the
    days either side, which a moved time may cross)."""
    local_day = moment.astimezone(zone).date()
    return any(
        moment in doses_on(regimen, local_day + timedelta(days=shift), zone) for shift in (-1, 0, 1)
    )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a local day (23 or 25 hours long on a change day)."""
    start = local_moment(day, time.min, zone)
    end = local_moment(day + timedelta(days=1), time.min, zone)
    return start, end
