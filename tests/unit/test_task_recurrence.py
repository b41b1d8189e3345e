"""When care-plan tasks fall due: days, weekdays, every N days, DST, start, end and stop."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.tasks.recurrence import (
    Schedule,
    day_bounds,
    is_occurrence,
    occurrences,
    occurrences_on,
)

LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
EVERY_DAY = frozenset(range(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(moment: datetime, zone: ZoneInfo = LONDON) -> tuple[date, time]:
    shown = moment.astimezone(zone)
    return shown.date(), shown.time()


def test_every_day_over_several_days_in_order() -> None:
    schedule = Schedule(times=(time(20), time(8)), start=date(2026, 1, 1), days_of_week=EVERY_DAY)
    found = occurrences(schedule, utc(2026, 1, 5), utc(2026, 1, 8), LONDON)
    assert found == [
        utc(2026, 1, 5, 8),
        utc(2026, 1, 5, 20),
        utc(2026, 1, 6, 8),
        utc(2026, 1, 6, 20),
        utc(2026, 1, 7, 8),
        utc(2026, 1, 7, 20),
    ]


def test_range_is_half_open() -> None:
    schedule = Schedule(times=(time(8),), start=date(2026, 1, 1), days_of_week=EVERY_DAY)
    assert occurrences(schedule, utc(2026, 1, 5, 8), utc(2026, 1, 6, 8), LONDON) == [
        utc(2026, 1, 5, 8)
    ]


def test_days_of_week_only() -> None:
    # Monday (0) and Thursday (3); 5 January 2026 is a Monday.
    schedule = Schedule(times=(time(9),), start=date(2026, 1, 1), days_of_week=frozenset({0, 3}))
    found = occurrences(schedule, utc(2026, 1, 5), utc(2026, 1, 19), LONDON)
    assert [d.date() for d in found] == [
        date(2026, 1, 5),
        date(2026, 1, 8),
        date(2026, 1, 12),
        date(2026, 1, 15),
    ]
    assert all(d.weekday() in (0, 3) for d in found)


def test_every_n_days_counts_from_the_start_date() -> None:
    schedule = Schedule(times=(time(8),), start=date(2026, 1, 3), every_days=7)
    found = occurrences(schedule, utc(2026, 1, 1), utc(2026, 2, 1), LONDON)
    assert [d.date() for d in found] == [
        date(2026, 1, 3),
        date(2026, 1, 10),
        date(2026, 1, 17),
        date(2026, 1, 24),
        date(2026, 1, 31),
    ]


def test_every_three_days_is_not_every_day() -> None:
    schedule = Schedule(times=(time(8),), start=date(2026, 1, 1), every_days=3)
    assert schedule.occurs_on(date(2026, 1, 1))
    assert not schedule.occurs_on(date(2026, 1, 2))
    assert not schedule.occurs_on(date(2026, 1, 3))
    assert schedule.occurs_on(date(2026, 1, 4))


def test_nothing_before_the_start_or_after_the_end_date() -> None:
    schedule = Schedule(
        times=(time(8),), start=date(2026, 1, 5), end=date(2026, 1, 7), days_of_week=EVERY_DAY
    )
    found = occurrences(schedule, utc(2026, 1, 1), utc(2026, 1, 31), LONDON)
    assert [d.date() for d in found] == [date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7)]


def test_stopping_keeps_the_past_and_asks_for_no_more() -> None:
    schedule = Schedule(times=(time(8), time(20)), start=date(2026, 1, 1), days_of_week=EVERY_DAY)
    stopped = utc(2026, 1, 6, 12)
    found = occurrences(schedule, utc(2026, 1, 5), utc(2026, 1, 9), LONDON, stopped_at=stopped)
    assert found == [utc(2026, 1, 5, 8), utc(2026, 1, 5, 20), utc(2026, 1, 6, 8)]


def test_a_task_added_midday_does_not_owe_the_morning() -> None:
    schedule = Schedule(times=(time(8), time(20)), start=date(2026, 1, 5), days_of_week=EVERY_DAY)
    found = occurrences_on(schedule, date(2026, 1, 5), LONDON, active_from=utc(2026, 1, 5, 14))
    assert found == [utc(2026, 1, 5, 20)]


def test_wall_clock_kept_across_the_spring_change() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026 in London.
    schedule = Schedule(times=(time(8),), start=date(2026, 3, 1), days_of_week=EVERY_DAY)
    found = occurrences(schedule, utc(2026, 3, 28), utc(2026, 3, 31), LONDON)
    assert found == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]
    assert {local(d)[1] for d in found} == {time(8)}


def test_wall_clock_kept_across_the_autumn_change() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026 in London.
    schedule = Schedule(times=(time(8), time(22)), start=date(2026, 10, 1), days_of_week=EVERY_DAY)
    found = occurrences(schedule, utc(2026, 10, 24), utc(2026, 10, 26, 12), LONDON)
    assert found == [
        utc(2026, 10, 24, 7),
        utc(2026, 10, 24, 21),
        utc(2026, 10, 25, 8),
        utc(2026, 10, 25, 22),
        utc(2026, 10, 26, 8),
    ]
    assert {local(d)[1] for d in found} == {time(8), time(22)}


def test_a_time_skipped_by_the_clocks_happens_just_after_the_change() -> None:
    schedule = Schedule(times=(time(1, 30),), start=date(2026, 3, 1), days_of_week=EVERY_DAY)
    [only] = occurrences_on(schedule, date(2026, 3, 29), LONDON)
    assert only == utc(2026, 3, 29, 1, 30)
    assert local(only) == (date(2026, 3, 29), time(2, 30))


def test_a_time_repeated_by_the_clocks_is_asked_for_once() -> None:
    schedule = Schedule(times=(time(1, 30),), start=date(2026, 10, 1), days_of_week=EVERY_DAY)
    assert occurrences_on(schedule, date(2026, 10, 25), LONDON) == [utc(2026, 10, 25, 0, 30)]


def test_dst_days_are_23_and_25_hours_long() -> None:
    begin, end = day_bounds(date(2026, 3, 29), LONDON)
    assert end - begin == timedelta(hours=23)
    begin, end = day_bounds(date(2026, 10, 25), LONDON)
    assert end - begin == timedelta(hours=25)


def test_the_local_day_decides_not_the_utc_day() -> None:
    # 07:00 in Sydney on Monday 5 January is 20:00 UTC on Sunday 4 January.
    schedule = Schedule(times=(time(7),), start=date(2026, 1, 1), days_of_week=frozenset({0}))
    assert occurrences_on(schedule, date(2026, 1, 5), SYDNEY) == [utc(2026, 1, 4, 20)]


def test_every_n_days_across_dst_keeps_the_wall_clock() -> None:
    schedule = Schedule(times=(time(9),), start=date(2026, 3, 22), every_days=7)
    found = occurrences(schedule, utc(2026, 3, 20), utc(2026, 4, 6), LONDON)
    assert found == [utc(2026, 3, 22, 9), utc(2026, 3, 29, 8), utc(2026, 4, 5, 8)]


def test_is_occurrence() -> None:
    schedule = Schedule(times=(time(8),), start=date(2026, 1, 1), days_of_week=frozenset({0}))
    assert is_occurrence(schedule, utc(2026, 1, 5, 8), LONDON)
    assert not is_occurrence(schedule, utc(2026, 1, 5, 9), LONDON)
    assert not is_occurrence(schedule, utc(2026, 1, 6, 8), LONDON)
    assert not is_occurrence(schedule, utc(2026, 1, 5, 8), LONDON, stopped_at=utc(2026, 1, 5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"times": (), "days_of_week": EVERY_DAY},
        {"times": (time(8),)},
        {"times": (time(8),), "days_of_week": EVERY_DAY, "every_days": 2},
        {"times": (time(8),), "every_days": 0},
        {"times": (time(8),), "days_of_week": frozenset()},
        {"times": (time(8),), "days_of_week": frozenset({7})},
    ],
)
def test_a_schedule_must_make_sense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Schedule(start=date(2026, 1, 1), **kwargs)
