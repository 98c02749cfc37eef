"""Named periods and dates in parse trees: March, Q3 2025, H1, summer, Black Friday, Monday,
2026-03-01, 3 March, "the first week of March", "early 2025". Handlers for ``date_resolve``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from lark import Tree

from wayfinder.ask import date_calendar as cal
from wayfinder.ask.date_calendar import Recurring, Span
from wayfinder.ask.date_values import (
    UNIT_DAYS,
    UNIT_MONTHS,
    NotAPeriod,
    Unresolvable,
    Value,
    Window,
    days_of,
    in_year,
    subtrees,
    token_of,
    unit_of,
    year_of,
)

if TYPE_CHECKING:
    from wayfinder.ask.date_resolve import Resolver


# ---- named periods: March, Q3 2025, H1, summer, Black Friday, Monday --------------------


def _month(r: Resolver, node: Tree, of: bool) -> Value:
    return cal.month_of_year(int(node.children[0]))


def _quarter(r: Resolver, node: Tree, of: bool) -> Value:
    q = int(token_of(node, "QUARTER") or node.children[0])
    if not 1 <= q <= 4:
        raise Unresolvable(f"there is no Q{q}: quarters are Q1 to Q4")
    return cal.quarter_of_year(q)


def _half(r: Resolver, node: Tree, of: bool) -> Value:
    h = int(token_of(node, "HALF") or node.children[0])
    if h not in (1, 2):
        raise Unresolvable(f"there is no H{h}: halves are H1 and H2")
    return cal.half_of_year(h)


def _season(r: Resolver, node: Tree, of: bool) -> Value:
    return cal.season_of_year(str(token_of(node, "SEASON")))


def _holiday(r: Resolver, node: Tree, of: bool) -> Value:
    name = str(token_of(node, "HOLIDAY"))
    if name not in cal.HOLIDAY_PERIODS and cal.HOLIDAYS[name] is None:
        raise Unresolvable(f"the dates of {name.replace('_', ' ')} differ each year: give them")
    return cal.holiday(name)


def _weekday(r: Resolver, node: Tree, of: bool) -> Value:
    return cal.weekday_of_week(int(node.children[0]))


def _sprint(r: Resolver, node: Tree, of: bool) -> Value:
    raise Unresolvable("sprints are not in the calendar: give the dates")


def _yearly(make):
    """A handler for "<named> <year>" and "<named> of <period>" (Q3 2025, Q3 of last year)."""

    def handler(r: Resolver, node: Tree, of: bool) -> Value:
        recurring = make(r, node, of)
        year = year_of(node)
        if year is None:  # "of <period>": the year the period starts in
            year = r.span(subtrees(node)[-1], of=True).start.year
        return in_year(recurring, year)

    return handler


def _named_in(r: Resolver, node: Tree, of: bool) -> Value:
    """ "Q3 last year", "March this year", "Black Friday last year", "last year's Q3"."""
    unit, plural = unit_of(token_of(node, "UNIT"))
    rel = str(token_of(node, "REL"))
    if unit != "year" or plural or rel == "next":
        raise NotAPeriod(node)
    year = r.today.year - (0 if rel == "this" else 1)
    recurring = r.resolve(subtrees(node)[0])
    assert isinstance(recurring, Recurring)
    if recurring.step != "year":
        raise NotAPeriod(node)
    return in_year(recurring, year)


def _year_named(r: Resolver, node: Tree, of: bool) -> Value:
    """ "2025's Q3", "2025's holiday season"."""
    recurring = r.resolve(subtrees(node)[0])
    year = year_of(node)
    if not isinstance(recurring, Recurring) or recurring.step != "year" or year is None:
        raise NotAPeriod(node)
    return in_year(recurring, year)


def _year_span(r: Resolver, node: Tree, of: bool) -> Value:
    token = node.children[0]
    year = int(token)
    if year < 100:
        year += 2000
    return cal.months_span(date(year, 1, 1), 12)


def _iso_month(r: Resolver, node: Tree, of: bool) -> Value:
    year, month = (int(p) for p in str(node.children[0]).split("-"))
    if not 1 <= month <= 12:
        raise Unresolvable(f"there is no month {month}")
    return cal.month_span(year, month)


def _holiday_week(r: Resolver, node: Tree, of: bool) -> Value:
    """ "Black Friday week" (its Monday-Sunday week), "Black Friday weekend" (Friday-Sunday),
    "Labor Day weekend" (Saturday-Monday)."""
    unit, plural = unit_of(token_of(node, "UNIT"))
    day = _holiday(r, node, of)
    assert isinstance(day, Recurring)
    if unit == "week" and not plural:
        return cal.around(day, lambda s: cal.weeks_span(cal.week_start(s.start), 1))
    if unit == "weekend" and not plural:
        return cal.around(day, cal.long_weekend)
    raise NotAPeriod(node)


# ---- explicit dates ----------------------------------------------------------------------


def _date(year: int, month: int, day: int) -> Span:
    try:
        return Span(date(year, month, day), date(year, month, day))
    except ValueError:
        raise Unresolvable(f"there is no {year}-{month:02d}-{day:02d}") from None


def _iso_date(r: Resolver, node: Tree, of: bool) -> Value:
    year, month, day = (int(p) for p in _split_date(str(node.children[0])))
    return _date(year, month, day)


def _split_date(text: str) -> list[str]:
    for sep in "-/.":
        text = text.replace(sep, " ")
    return text.split()


def _slash_date(r: Resolver, node: Tree, of: bool) -> Value:
    """3/3/2026 and 11/22/2026 and 22/11/2026 are clear; 3/4/2026 is not (March 4 or 3 April)."""
    a, b, year = (int(p) for p in _split_date(str(node.children[0])))
    year += 2000 if year < 100 else 0
    if a > 12 >= b:
        return _date(year, b, a)
    if b > 12 >= a or a == b:
        return _date(year, a, b)
    raise Unresolvable("day/month order is ambiguous: write the date as YYYY-MM-DD")


def _month_day(r: Resolver, node: Tree, of: bool) -> Value:
    month = int(token_of(node, "MONTH"))
    days = [c for c in node.children if isinstance(c, Tree) and c.data == "day"]
    day = int(days[0].children[0]) if days else int(token_of(node, "ORDINAL"))
    if not 1 <= day <= cal.month_end(2028, month).day:  # 2028: a leap year
        raise Unresolvable(f"there is no day {day} in month {month}")
    year = year_of(node)
    if year is not None:
        return _date(year, month, day)
    return cal.day_of_year(month, day)


def _day_of_month(r: Resolver, node: Tree, of: bool) -> Value:
    day = int(token_of(node, "ORDINAL"))
    if not 1 <= day <= 31:
        raise Unresolvable(f"there is no day {day} in a month")
    return cal.day_of_month(day)


def _dated_weekday(r: Resolver, node: Tree, of: bool) -> Value:
    return r.resolve(subtrees(node)[0])


# ---- parts and boundaries: the first week of March, early 2025, the end of the quarter ----


def _part(r: Resolver, node: Tree, of: bool) -> Value:
    k = int(token_of(node, "ORDINAL"))
    unit, _ = unit_of(token_of(node, "UNIT"))
    counts = [c for c in node.children if isinstance(c, Tree) and c.data == "count"]
    n = r.count(counts[0]) if counts else 1
    periods = [c for c in subtrees(node) if c.data != "count"]
    if periods:
        return part_of(r.span(periods[0], of=True), unit, n, k)
    if unit == "quarter" and not counts:
        if not 1 <= k <= 4:
            raise Unresolvable(f"there is no quarter {k}")
        return cal.quarter_of_year(k)
    if unit == "half" and not counts:
        if k not in (1, 2):
            raise Unresolvable(f"there is no half {k}")
        return cal.half_of_year(k)
    return Window(days_of(n * k, unit))  # "in the first week", "the first 30 days"


def part_of(base: Span, unit: str, n: int, k: int) -> Span:
    """Block ``k`` (``-1``: the last) of ``n`` units inside ``base``."""
    if unit == "half":
        if cal.is_whole_months(base) and cal.month_count(base) % 2 == 0:
            unit, n = "month", cal.month_count(base) // 2
        else:
            half = base.days // 2
            first = Span(base.start, base.start + timedelta(days=half - 1))
            second = Span(first.end + timedelta(days=1), base.end)
            if k not in (1, 2, -1):
                raise Unresolvable("there are two halves")
            return first if k == 1 else second
    if unit in UNIT_MONTHS:
        if not cal.is_whole_months(base):
            raise Unresolvable(f"that period is not made of whole {unit}s")
        months = n * UNIT_MONTHS[unit]
        if k == -1:
            block = cal.months_span(cal.add_months(base.end.replace(day=1), 1 - months), months)
        else:
            block = cal.months_span(cal.add_months(base.start, (k - 1) * months), months)
    else:
        length = n * UNIT_DAYS[unit] if unit != "weekend" else 2 * n
        if k == -1:
            block = Span(base.end - timedelta(days=length - 1), base.end)
        else:
            start = base.start + timedelta(days=(k - 1) * length)
            block = Span(start, start + timedelta(days=length - 1))
    if block.start < base.start or block.end > base.end:
        raise Unresolvable("that part is outside the period")
    return block


def _period_start(r: Resolver, node: Tree, of: bool) -> Value:
    start = r.span(subtrees(node)[0], of=True).start
    return Span(start, start)


def _period_end(r: Resolver, node: Tree, of: bool) -> Value:
    end = r.span(subtrees(node)[0], of=True).end
    return Span(end, end)


def _third(which: int):
    """ "early", "mid" and "late" March (days 1-10, 11-20, 21-end), 2025 (Jan-Apr, May-Aug,
    Sep-Dec) or a quarter (its months)."""

    def handler(r: Resolver, node: Tree, of: bool) -> Value:
        base = r.span(subtrees(node)[0], of=True)
        months = cal.month_count(base) if cal.is_whole_months(base) else 0
        if months == 1:
            starts = [1, 11, 21]
            start = base.start.replace(day=starts[which])
            end = base.end if which == 2 else base.start.replace(day=starts[which + 1] - 1)
            return Span(start, end)
        if months in (3, 12):
            step = months // 3
            return cal.months_span(cal.add_months(base.start, which * step), step)
        raise Unresolvable("early, mid and late work for a month, a quarter or a year")

    return handler


NAMED_HANDLERS: dict[str, Callable[[Resolver, Tree, bool], Value]] = {
    "month": _month,
    "quarter": _quarter,
    "half": _half,
    "season": _season,
    "holiday": _holiday,
    "weekday": _weekday,
    "sprint": _sprint,
    "month_year": _yearly(_month),
    "month_of": _yearly(_month),
    "season_year": _yearly(_season),
    "season_of": _yearly(_season),
    "quarter_year": _yearly(_quarter),
    "year_quarter": _yearly(_quarter),
    "year_half": _yearly(_half),
    "named_in": _named_in,
    "year_named": _year_named,
    "quarter_of": _yearly(_quarter),
    "half_year": _yearly(_half),
    "half_of": _yearly(_half),
    "holiday_year": _yearly(_holiday),
    "year": _year_span,
    "iso_month": _iso_month,
    "holiday_week": _holiday_week,
    "iso_date": _iso_date,
    "slash_date": _slash_date,
    "month_day": _month_day,
    "day_of_month": _day_of_month,
    "dated_weekday": _dated_weekday,
    "part": _part,
    "period_start": _period_start,
    "period_end": _period_end,
    "early": _third(0),
    "middle": _third(1),
    "late": _third(2),
}
