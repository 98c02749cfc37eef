"""Calendar arithmetic for the date grammar: whole-day spans, month steps, named days, and
recurring periods ("March", "Q3", "Black Friday") found at their most recent occurrence.

Everything here is pure and works on ``datetime.date``; ``dates.py`` turns words into these.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

#: How far a recurring period is looked for, in its own steps (years, months or weeks). Twelve
#: steps reach the previous February 29th from any day.
_SEARCH = 12


@dataclass(frozen=True)
class Span:
    """Whole days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_end(year: int, month: int) -> date:
    """The last day of a month.

    >>> month_end(2028, 2)
    datetime.date(2028, 2, 29)
    """
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, n: int) -> date:
    """``day`` moved by ``n`` months, the day of month clamped to the month's length.

    >>> add_months(date(2026, 3, 31), -1)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date value out of range")  # as timedelta arithmetic raises
    return date(year, month + 1, min(day.day, month_end(year, month + 1).day))


def month_span(year: int, month: int) -> Span:
    return Span(date(year, month, 1), month_end(year, month))


def months_span(first: date, n: int) -> Span:
    """``n`` whole calendar months starting with the month of ``first``."""
    start = first.replace(day=1)
    last = add_months(start, n - 1)
    return Span(start, month_end(last.year, last.month))


def weeks_span(monday: date, n: int) -> Span:
    """``n`` whole Monday-Sunday weeks from ``monday``."""
    return Span(monday, monday + timedelta(days=7 * n - 1))


def is_whole_months(span: Span) -> bool:
    """True when a span starts on a 1st and ends on a month's last day."""
    return span.start.day == 1 and span.end == month_end(span.end.year, span.end.month)


def month_count(span: Span) -> int:
    return (span.end.year - span.start.year) * 12 + span.end.month - span.start.month + 1


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month; ``n=-1`` for the last one.

    >>> nth_weekday(2026, 11, 3, 4)  # US Thanksgiving 2026: the fourth Thursday of November
    datetime.date(2026, 11, 26)
    """
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = month_end(year, month)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian computus).

    >>> easter(2026), easter(2027)
    (datetime.date(2026, 4, 5), datetime.date(2027, 3, 28))
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _thanksgiving(year: int) -> date:
    return nth_weekday(year, 11, 3, 4)


#: Named days by year. US dates where countries differ (Thanksgiving, Mother's Day, Labor Day);
#: a day whose date nobody can know from the calendar (Prime Day) maps to None.
HOLIDAYS: dict[str, Callable[[int], date] | None] = {
    "thanksgiving": _thanksgiving,
    "black_friday": lambda y: _thanksgiving(y) + timedelta(days=1),
    "cyber_monday": lambda y: _thanksgiving(y) + timedelta(days=4),
    "christmas_eve": lambda y: date(y, 12, 24),
    "christmas": lambda y: date(y, 12, 25),
    "boxing_day": lambda y: date(y, 12, 26),
    "new_years_eve": lambda y: date(y, 12, 31),
    "new_year": lambda y: date(y, 1, 1),
    "valentines_day": lambda y: date(y, 2, 14),
    "st_patricks_day": lambda y: date(y, 3, 17),
    "good_friday": lambda y: easter(y) - timedelta(days=2),
    "easter": easter,
    "easter_monday": lambda y: easter(y) + timedelta(days=1),
    "mothers_day": lambda y: nth_weekday(y, 5, 6, 2),
    "memorial_day": lambda y: nth_weekday(y, 5, 0, -1),
    "fathers_day": lambda y: nth_weekday(y, 6, 6, 3),
    "independence_day": lambda y: date(y, 7, 4),
    "labor_day": lambda y: nth_weekday(y, 9, 0, 1),
    "halloween": lambda y: date(y, 10, 31),
    "singles_day": lambda y: date(y, 11, 11),
    "prime_day": None,
}

#: Named stretches of days by year. The holiday season is November and December: it takes in
#: Thanksgiving, Black Friday and Cyber Monday, Christmas and the year-end sales.
HOLIDAY_PERIODS: dict[str, Callable[[int], Span]] = {
    "holidays": lambda y: Span(date(y, 11, 1), date(y, 12, 31)),
}

#: Meteorological seasons of the northern hemisphere: first month and length. Winter ``y`` is
#: December ``y`` to February ``y + 1``.
SEASONS: dict[str, int] = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}


@dataclass(frozen=True)
class Recurring:
    """A period that comes back ("March", "Q3", "Black Friday", "the 15th", "Monday").

    ``nth(k)`` is its occurrence number ``k`` (a year, a month number or a week number, as
    ``step`` says), or None when it does not occur then (February 29th in 2027).
    """

    nth: Callable[[int], Span | None]
    step: str = "year"

    def _index(self, day: date) -> int:
        if self.step == "year":
            return day.year
        if self.step == "month":
            return day.year * 12 + day.month - 1
        return (day.toordinal() - 1) // 7  # weeks: ordinal 1 (0001-01-01) is a Monday

    def _around(self, day: date, direction: int) -> list[Span]:
        k = self._index(day) + (1 if direction < 0 else -1)
        found = (self.nth(k + direction * i) for i in range(_SEARCH + 2))
        return [s for s in found if s is not None]

    def latest_started(self, today: date) -> Span | None:
        """The most recent occurrence that has started by ``today`` (it may not have ended)."""
        return next((s for s in self._around(today, -1) if s.start <= today), None)

    def latest_ended(self, today: date) -> Span | None:
        """The most recent occurrence that ended before ``today``."""
        return next((s for s in self._around(today, -1) if s.end < today), None)

    def first_starting_from(self, day: date) -> Span | None:
        """The first occurrence that starts on or after ``day``."""
        return next((s for s in self._around(day, 1) if s.start >= day), None)

    def in_year(self, year: int) -> Span | None:
        """The occurrence of a yearly period in ``year``."""
        assert self.step == "year", "only yearly periods have one occurrence per year"
        return self.nth(year)


def _valid(make: Callable[[], Span]) -> Span | None:
    try:
        return make()
    except ValueError:  # a day the month does not have
        return None


def valid_day(year: int, month: int, day: int) -> Span | None:
    """That one day, or None when the month does not have it."""
    return _valid(lambda: Span(date(year, month, day), date(year, month, day)))


def long_weekend(s: Span) -> Span:
    """The long weekend around a day: Friday-Sunday for a Friday (Thursday-Sunday for a
    Thursday), Saturday-Monday for a Monday, else that week's Saturday-Sunday."""
    day, weekday = s.start, s.start.weekday()
    if weekday == 0:  # a Monday holiday: Saturday to Monday
        return Span(day - timedelta(days=2), day)
    if weekday in (3, 4):  # Thursday or Friday: to the Sunday
        return Span(day, day + timedelta(days=6 - weekday))
    saturday = week_start(day) + timedelta(days=5)
    return Span(saturday, saturday + timedelta(days=1))


def month_of_year(month: int) -> Recurring:
    return Recurring(lambda y: month_span(y, month))


def quarter_of_year(q: int) -> Recurring:
    return Recurring(lambda y: months_span(date(y, 3 * q - 2, 1), 3))


def half_of_year(h: int) -> Recurring:
    return Recurring(lambda y: months_span(date(y, 6 * h - 5, 1), 6))


def season_of_year(name: str) -> Recurring:
    return Recurring(lambda y: months_span(date(y, SEASONS[name], 1), 3))


def day_of_year(month: int, day: int) -> Recurring:
    return Recurring(lambda y: _valid(lambda: Span(date(y, month, day), date(y, month, day))))


def day_of_month(day: int) -> Recurring:
    def nth(k: int) -> Span | None:
        return _valid(lambda: Span(date(k // 12, k % 12 + 1, day), date(k // 12, k % 12 + 1, day)))

    return Recurring(nth, step="month")


def weekday_of_week(weekday: int) -> Recurring:
    def nth(k: int) -> Span:
        day = date.fromordinal(k * 7 + 1 + weekday)
        return Span(day, day)

    return Recurring(nth, step="week")


def iso_week(week: int) -> Recurring:
    def nth(y: int) -> Span | None:
        return _valid(lambda: weeks_span(date.fromisocalendar(y, week, 1), 1))

    return Recurring(nth)


def holiday(name: str) -> Recurring:
    """A named day ("Black Friday") or a named stretch of days ("the holiday season")."""
    if name in HOLIDAY_PERIODS:
        return Recurring(HOLIDAY_PERIODS[name])
    at = HOLIDAYS[name]
    assert at is not None, f"{name} has no date"
    return Recurring(lambda y: Span(at(y), at(y)))


def around(base: Recurring, make: Callable[[Span], Span]) -> Recurring:
    """A period built from each occurrence of another ("Black Friday weekend")."""

    def nth(k: int) -> Span | None:
        found = base.nth(k)
        return found and make(found)

    return Recurring(nth, base.step)


def through(first: Recurring, last: Recurring) -> Recurring:
    """From an occurrence of ``first`` to the next occurrence of ``last`` ("Jan-Mar")."""

    def nth(k: int) -> Span | None:
        begin = first.nth(k)
        end = begin and last.first_starting_from(begin.start)
        return end and Span(begin.start, end.end)

    return Recurring(nth, first.step)
