"""The days a person could mean, per kind of date field, defined once for every form.

A date input accepts anything from 0001-01-01 to 9999-12-31. Stored, such a day makes a
medicine or task that never comes round or has always been due; in arithmetic (the day
after, midnight in the care account's zone) it overflows and the request fails. Each
kind of field therefore has a range, and a day outside it is refused beside the field
(forms) or answered 400 (a day named in an address); a filter's bound is moved to the
nearest day of the range instead, because nothing Tend holds lies beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from app.lib.i18n import _, current_locale

# No one Tend cares for was born before this, and nothing it records is older.
EARLIEST_DAY = date(1900, 1, 1)
# Beyond any day of care; far inside what date arithmetic and PostgreSQL can hold.
LATEST_DAY = date(2199, 12, 31)
# A medicine or task plan is written for now: it starts and ends within this many years
# of today (a task's start also keeps its own one-year limit backwards).
PLAN_YEARS = 5
# Access "until" a day: within this many years; leave it empty for access without end.
ACCESS_YEARS = 5


@dataclass(frozen=True)
class DayRange:
    earliest: date
    latest: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.earliest <= day <= self.latest

    def nearest(self, day: date) -> date:
        """The day itself if in range, else the end of the range closest to it."""
        return min(max(day, self.earliest), self.latest)

    def message(self) -> str:
        """What to say beside a field whose day is outside the range."""
        return _(
            "Choose a day from %(earliest)s to %(latest)s.",
            earliest=format_date(self.earliest, format="medium", locale=current_locale()),
            latest=format_date(self.latest, format="medium", locale=current_locale()),
        )


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


# Any day that can be about care: days in addresses (a chart's day, a dose's time) and
# the bounds of filters.
RECORD_DAYS = DayRange(EARLIEST_DAY, LATEST_DAY)


def plan_days(today: date) -> DayRange:
    """Where a medicine's or a task's first and last day may fall."""
    return DayRange(_years_from(today, -PLAN_YEARS), _years_from(today, PLAN_YEARS))


def access_days(today: date) -> DayRange:
    return DayRange(today, _years_from(today, ACCESS_YEARS))
