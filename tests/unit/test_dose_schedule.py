"""Scheduled doses: local wall-clock times across days, zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.medications.schedule import (
    Regimen,
    day_bounds,
    doses_between,
    doses_on,
    is_scheduled,
    local_moment,
    parse_times,
)

LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
START = date(2026, 1, 1)


def regimen(*times: str, **kwargs) -> Regimen:  # type: ignore[no-untyped-def]
    return Regimen(times=parse_times(times), starts_on=kwargs.pop("starts_on", START), **kwargs)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_two_times_a_day_in_utc() -> None:
    doses = doses_on(regimen("08:00", "20:00"), date(2026, 2, 3), ZoneInfo("UTC"))
    assert doses == [utc(2026, 2, 3, 8), utc(2026, 2, 3, 20)]


def test_times_are_sorted_and_distinct() -> None:
    assert parse_times(["20:00", "08:00", "08:00"]) == (time(8), time(20))


def test_eight_oclock_stays_eight_oclock_across_the_spring_change_in_london() -> None:
    before = doses_on(regimen("08:00"), date(2026, 3, 28), LONDON)
    after = doses_on(regimen("08:00"), date(2026, 3, 29), LONDON)
    assert before == [utc(2026, 3, 28, 8)]  # GMT
    assert after == [utc(2026, 3, 29, 7)]  # BST
    assert after[0].astimezone(LONDON).time() == time(8)


def test_eight_oclock_stays_eight_oclock_across_the_autumn_change_in_london() -> None:
    before = doses_on(regimen("08:00"), date(2026, 10, 24), LONDON)
    after = doses_on(regimen("08:00"), date(2026, 10, 25), LONDON)
    assert before == [utc(2026, 10, 24, 7)]
    assert after == [utc(2026, 10, 25, 8)]


def test_a_time_skipped_in_spring_is_moved_forward() -> None:
    doses = doses_on(regimen("01:30"), date(2026, 3, 29), LONDON)
    assert len(doses) == 1
    assert doses[0].astimezone(LONDON).time() == time(2, 30)


def test_a_skipped_time_and_the_time_it_moves_to_make_one_dose() -> None:
    doses = doses_on(regimen("01:30", "02:30"), date(2026, 3, 29), LONDON)
    assert doses == [utc(2026, 3, 29, 1, 30)]


def test_a_time_repeated_in_autumn_happens_once() -> None:
    doses = doses_on(regimen("01:30"), date(2026, 10, 25), LONDON)
    assert doses == [utc(2026, 10, 25, 0, 30)]  # the first 01:30 (BST)


def test_a_far_zone_puts_the_morning_dose_on_the_previous_utc_day() -> None:
    doses = doses_on(regimen("08:00"), date(2026, 6, 10), KIRITIMATI)
    assert doses == [utc(2026, 6, 9, 18)]


def test_sydney_daylight_saving_in_the_southern_spring() -> None:
    # Clocks go forward on 4 October 2026 at 02:00 (AEST → AEDT).
    before = doses_on(regimen("09:00"), date(2026, 10, 3), SYDNEY)
    after = doses_on(regimen("09:00"), date(2026, 10, 4), SYDNEY)
    assert before == [utc(2026, 10, 2, 23)]
    assert after == [utc(2026, 10, 3, 22)]


def test_days_of_week_are_respected() -> None:
    mondays_and_thursdays = 0b0001001
    week = [date(2026, 2, 2) + timedelta(days=n) for n in range(7)]  # Monday to Sunday
    counts = [len(doses_on(regimen("08:00", days=mondays_and_thursdays), d, LONDON)) for d in week]
    assert counts == [1, 0, 0, 1, 0, 0, 0]


def test_no_doses_before_the_start_or_after_the_end() -> None:
    plan = regimen("08:00", starts_on=date(2026, 2, 2), ends_on=date(2026, 2, 4))
    assert doses_on(plan, date(2026, 2, 1), LONDON) == []
    assert len(doses_on(plan, date(2026, 2, 4), LONDON)) == 1
    assert doses_on(plan, date(2026, 2, 5), LONDON) == []


def test_a_stopped_medicine_has_no_doses_after_it_was_stopped() -> None:
    plan = regimen("08:00", "20:00", stopped_at=utc(2026, 2, 3, 12))
    assert doses_on(plan, date(2026, 2, 3), ZoneInfo("UTC")) == [utc(2026, 2, 3, 8)]
    assert doses_on(plan, date(2026, 2, 4), ZoneInfo("UTC")) == []


def test_as_needed_medicines_have_no_scheduled_doses() -> None:
    assert doses_on(regimen("08:00", prn=True), date(2026, 2, 3), LONDON) == []


def test_doses_over_a_range_cross_the_spring_change() -> None:
    start = local_moment(date(2026, 3, 28), time(0), LONDON)
    end = local_moment(date(2026, 3, 31), time(0), LONDON)
    doses = doses_between(regimen("08:00", "22:00"), start, end, LONDON)
    assert len(doses) == 6
    assert {d.astimezone(LONDON).time() for d in doses} == {time(8), time(22)}


def test_a_range_is_half_open() -> None:
    doses = doses_between(regimen("08:00"), utc(2026, 2, 3, 8), utc(2026, 2, 4, 8), ZoneInfo("UTC"))
    assert doses == [utc(2026, 2, 3, 8)]


def test_is_scheduled_knows_the_doses_and_nothing_else() -> None:
    plan = regimen("08:00")
    assert is_scheduled(plan, utc(2026, 3, 29, 7), LONDON)
    assert not is_scheduled(plan, utc(2026, 3, 29, 8), LONDON)


def test_the_spring_day_is_23_hours_long() -> None:
    start, end = day_bounds(date(2026, 3, 29), LONDON)
    assert end - start == timedelta(hours=23)
