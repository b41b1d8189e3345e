"""PRN limits hold whatever order doses are entered in: the minimum interval against the
nearest dose on each side, the 24-hour maximum over every 24 h window holding the dose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.medications.rules import prn_next_allowed, prn_wait

DAY_ONE = datetime(2026, 3, 10, tzinfo=UTC)


def at(clock: str, day: int = 0) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return DAY_ONE + timedelta(days=day, hours=hours, minutes=minutes)


# (recorded doses, new dose, minimum interval in minutes, max in 24 h, refused, by_later)
CASES = [
    # The case, 4 h minimum: 19:06 first, then 18:06 and 16:06 backdated.
    (["19:06"], "18:06", 240, None, True, True),
    (["19:06"], "16:06", 240, None, True, True),
    (["16:06", "19:06"], "18:06", 240, None, True, False),
    # Time order, as before.
    (["16:06"], "18:06", 240, None, True, False),
    (["16:06"], "20:06", 240, None, False, False),
    # Backdated but far enough from both sides.
    (["08:00", "20:00"], "14:00", 240, None, False, False),
    (["08:00", "20:00"], "16:01", 240, None, True, True),
    (["20:00"], "16:00", 240, None, False, False),
    # Max 2 in 24 h: 4 doses within 6 h, the first entered last, then backdated.
    (["14:00"], "12:00", 60, 2, False, False),
    (["12:00", "14:00"], "10:00", 60, 2, True, True),
    (["12:00", "14:00"], "08:00", 60, 2, True, True),
    (["10:00", "14:00"], "12:00", 60, 2, True, True),
    # A window holding the new dose and two doses after it, none before.
    (["08:00", "20:00"], "07:00", None, 2, True, True),
    # 24 h apart exactly is allowed on either side.
    (["12:00", "12:00@1"], "12:00@2", None, 2, False, False),
    (["12:00@1", "12:00@2"], "12:00", None, 2, False, False),
    (["11:58@1", "11:59@1"], "12:00", None, 2, True, True),
    # Time order for the maximum, as before.
    (["08:00", "10:00"], "12:00", 60, 2, True, False),
    (["08:00", "10:00"], "08:00@1", 60, 2, False, False),
    # No limits, no refusal.
    (["08:00", "08:01"], "08:02", None, None, False, False),
]


def _moment(text: str) -> datetime:
    clock, _sep, day = text.partition("@")
    return at(clock, int(day or 0))


@pytest.mark.parametrize(("recorded", "new", "interval", "most", "refused", "by_later"), CASES)
def test_prn_limits_on_both_sides(
    recorded: list[str],
    new: str,
    interval: int | None,
    most: int | None,
    refused: bool,
    by_later: bool,
) -> None:
    wait = prn_wait([_moment(r) for r in recorded], _moment(new), interval, most)
    assert (wait is not None) == refused
    if wait is not None:
        assert wait.by_later == by_later
        assert wait.until > _moment(new)
        # The moment offered is allowed itself.
        assert prn_wait([_moment(r) for r in recorded], wait.until, interval, most) is None


@pytest.mark.parametrize(
    ("recorded", "new", "interval", "most", "until"),
    [
        (["16:06"], "18:06", 240, None, "20:06"),
        (["16:06", "19:06"], "18:06", 240, None, "23:06"),
        (["08:00", "10:00"], "12:00", 60, 2, "08:00@1"),
        (["12:00", "14:00"], "10:00", 60, 2, "12:00@1"),
    ],
)
def test_the_next_allowed_moment_keeps_every_limit(
    recorded: list[str], new: str, interval: int | None, most: int | None, until: str
) -> None:
    found = prn_next_allowed([_moment(r) for r in recorded], _moment(new), interval, most)
    assert found == _moment(until)
