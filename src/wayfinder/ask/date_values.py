"""What a period phrase resolves to (days, a recurring period, a window, an open start, a
comparison to place), the arithmetic of units (rolling, calendar, shifted), and small readers of
parse trees shared by ``date_resolve`` and ``date_named``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from lark import Token, Tree

from wayfinder.ask import date_calendar as cal
from wayfinder.ask.date_calendar import Recurring, Span


@dataclass(frozen=True)
class Window:
    """A conversion or return window ("within 7 days"), in days: never a time range."""

    days: int


@dataclass(frozen=True)
class OpenStart:
    """A period with no start ("until March"): from the beginning of the data to ``end``."""

    end: date


@dataclass(frozen=True)
class Shift:
    """A comparison period defined by the time range it is compared with.

    ``previous``: the period just before, same length ("week over week", "the previous period");
    ``back``: the same period ``n`` units earlier ("the same period last year");
    ``before``: the ``n`` whole units (or rolling units) just before ("than the previous month"),
    or with ``named``, its occurrence just before ("the Saturday before").
    """

    kind: Literal["previous", "back", "before"]
    unit: str
    n: int = 1
    named: Recurring | None = None


Value = Span | Recurring | Window | OpenStart | Shift


class Unresolvable(Exception):
    """The words name a period that cannot be dated ("Q5", "since launch"); carries a hint."""


class NotAPeriod(Exception):
    """The grammar matched words that are not a period here ("a week" in "twice a week")."""


class NotData(NotAPeriod):
    """Words about a time to come ("until Monday", "next quarter's budget"): no period of
    data, and no shorter period inside them either."""


#: Units: length in days for windows and day-based steps, or in months for calendar steps.
UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14, "weekend": 7, "month": 30, "quarter": 91,
         "half": 182, "year": 365, "hour": 1}  # fmt: skip
UNIT_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def unit_of(token: Token) -> tuple[str, bool]:
    """A UNIT token's canonical singular and whether it was written as a plural."""
    value = str(token)
    if value == "halves":
        return "half", True
    return (value[:-1], True) if value.endswith("s") else (value, False)


def unit_span(unit: str, day: date) -> Span:
    """The calendar unit (Monday-Sunday week, month, quarter...) holding ``day``."""
    if unit in ("day", "hour"):
        return Span(day, day)
    if unit == "week":
        return cal.weeks_span(cal.week_start(day), 1)
    if unit == "weekend":
        saturday = cal.week_start(day) + timedelta(days=5)
        return Span(saturday, saturday + timedelta(days=1))
    if unit == "fortnight":
        return Span(day - timedelta(days=13), day)
    months = UNIT_MONTHS[unit]
    first = date(day.year, (day.month - 1) // months * months + 1, 1)
    return cal.months_span(first, months)


def shift(day: date, unit: str, n: int) -> date:
    """``day`` moved by ``n`` units (months clamp the day of month)."""
    if unit in UNIT_MONTHS:
        return cal.add_months(day, n * UNIT_MONTHS[unit])
    return day + timedelta(days=n * UNIT_DAYS[unit])


def rolling(unit: str, n: int, today: date) -> Span:
    """The last ``n`` units up to and including today: "last 14 days" is today-13..today;
    "last 6 months" starts on the same day of month six months back."""
    if unit == "hour":
        return Span(today - timedelta(days=-(-n // 24)), today)
    if unit in UNIT_MONTHS:
        return Span(shift(today, unit, -n), today)
    return Span(today - timedelta(days=n * UNIT_DAYS[unit] - 1), today)


def previous_calendar(unit: str, n: int, today: date) -> Span:
    """The ``n`` whole calendar units before the current one ("last 3 full months")."""
    current = unit_span(unit, today)
    if unit == "weekend":  # Saturday n weeks back to last Sunday
        return Span(current.start - timedelta(days=7 * n), current.start - timedelta(days=6))
    return Span(unit_span(unit, shift(current.start, unit, -n)).start, current.start - timedelta(1))


def settle(value: Value, today: date) -> Span:
    """A period's dates: a recurring one at its most recent occurrence that has started."""
    if isinstance(value, Recurring):
        found = value.latest_started(today)
        if found is None:
            raise Unresolvable("no such date in recent years")
        return found
    if isinstance(value, Span):
        return value
    raise NotAPeriod(value)


def days_of(n: int, unit: str) -> int:
    if unit == "hour":
        return max(1, -(-n // 24))
    return n * UNIT_DAYS[unit]


def tokens_of(node: Tree, kind: str) -> list[Token]:
    return [c for c in node.children if isinstance(c, Token) and c.type == kind]


def token_of(node: Tree, kind: str) -> Token | None:
    found = tokens_of(node, kind)
    return found[0] if found else None


def subtrees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree)]


def year_of(node: Tree) -> int | None:
    token = token_of(node, "YEAR") or token_of(node, "SHORT_YEAR")
    return int(token) if token else None


def in_year(recurring: Recurring, year: int) -> Span:
    found = recurring.in_year(year)
    if found is None:
        raise Unresolvable(f"no such date in {year}")
    return found
