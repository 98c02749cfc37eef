"""From a parsed period phrase to dates: the conventions of ``docs/ask-dates.md`` (calendar
"last", rolling "past N", most recent occurrence of a bare name) applied to one parse tree.

``Resolver`` walks the tree; the handlers here read bounds (since, until, between), relative
periods (last month, past 2 weeks) and windows; ``date_named`` reads names and dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from lark import Token, Tree

from wayfinder.ask import date_calendar as cal
from wayfinder.ask.date_calendar import Recurring, Span
from wayfinder.ask.date_named import NAMED_HANDLERS, part_of
from wayfinder.ask.date_values import (
    NotAPeriod,
    NotData,
    OpenStart,
    Shift,
    Unresolvable,
    Value,
    Window,
    days_of,
    in_year,
    previous_calendar,
    rolling,
    settle,
    shift,
    subtrees,
    token_of,
    tokens_of,
    unit_of,
    unit_span,
    year_of,
)

#: How far ahead "until Monday" or "before Christmas" reads as a deadline rather than a period.
_DEADLINE_AHEAD = timedelta(days=45)
#: Prepositions that make "30 days" a window ("within 30 days", "for 2 weeks").
_WINDOW_PREPS = {"within", "for", "over", "in", "at", "by", "inside", "during"}


@dataclass(frozen=True)
class Resolver:
    """Resolves parse trees against ``today``.

    ``prep`` is the preposition before the phrase ("within" makes "30 days" a window).
    ``compare`` is set for the second period of a comparison, where "the previous month" and
    "a year ago" are read against the time range rather than today. ``retention_next`` says
    the word after the phrase is about retention ("week 2 retention" is a window).
    """

    today: date
    prep: str | None = None
    compare: bool = False
    retention_next: bool = False

    def resolve(self, node: Tree | Token, *, of: bool = False) -> Value:
        """The value of one node. ``of`` marks a period after "of" ("the start of the year"),
        where "the year" is the current calendar year."""
        if isinstance(node, Token):
            raise NotAPeriod(node)
        handler = _HANDLERS.get(str(node.data))
        if handler is None:
            raise NotAPeriod(node.data)
        return handler(self, node, of)

    def span(self, node: Tree | Token, *, of: bool = False) -> Span:
        return settle(self.resolve(node, of=of), self.today)

    def window(self, node: Tree) -> Window:
        """``count UNIT`` as a window: always next to "after" ("30 days after install"),
        otherwise only when the words around make it one."""
        (amount,) = subtrees(node)
        n, unit, plural = self.amount(amount)
        if node.data == "window":
            written = amount.children[0].children  # empty for "a", "an"
            if self.prep in _WINDOW_PREPS - {"within", "inside"} and not written:
                raise NotAPeriod(node)  # "in a day", "for a week": not windows of one
            # without a preposition, "30 day retention" is a window; "7 days" or "a week"
            # ("twice a week") alone are not
            adjective = not plural and written and written[0].type == "INT" and n > 1
            if self.prep not in _WINDOW_PREPS and not adjective:
                raise NotAPeriod(node)
        return Window(days_of(n, unit))

    def amount(self, node: Tree) -> tuple[int, str, bool]:
        count, unit_token = node.children[0], node.children[1]
        unit, plural = unit_of(unit_token)
        return self.count(count), unit, plural

    def count(self, node: Tree | Token | None) -> int:
        if node is None:
            return 1
        if isinstance(node, Tree) and not node.children:
            return 1  # "a", "an"
        token = node.children[0] if isinstance(node, Tree) else node
        if token.type == "FEW":
            raise Unresolvable(f'"{token}" is not a number of days: say how many')
        if token.type in ("INT", "NUMWORD"):
            if not 1 <= int(token) <= 10_000:
                raise Unresolvable(f"{token} is not a number of days, weeks or months to count")
            return int(token)
        return 1


# ---- when: a period with its bounds ------------------------------------------------------


def _since(r: Resolver, node: Tree, of: bool) -> Value:
    (child,) = subtrees(node)
    if child.data == "ago":  # "since 3 weeks ago": from that day exactly
        n, unit, _ = r.amount(child)
        return Span(shift(r.today, unit, -n), r.today)
    start = r.span(child).start
    if start > r.today:
        raise Unresolvable("that period starts after today")
    return Span(start, r.today)


def _until(r: Resolver, node: Tree, of: bool) -> Value:
    return OpenStart(_deadline(r, node).end)


def _before(r: Resolver, node: Tree, of: bool) -> Value:
    return OpenStart(_deadline(r, node).start - timedelta(days=1))


def _deadline(r: Resolver, node: Tree) -> Span:
    """The period an open range ends at. "until Monday" or "before Christmas", when the next one
    is weeks away and nearer than the last, is a deadline to come, not a period of data."""
    value = r.resolve(subtrees(node)[0])
    if isinstance(value, Recurring):
        past = value.latest_started(r.today)
        upcoming = value.first_starting_from(r.today + timedelta(days=1))
        if upcoming and upcoming.start - r.today <= _DEADLINE_AHEAD:
            if past is None or upcoming.start - r.today < r.today - past.end:
                raise NotData(node)
    return settle(value, r.today)


def _after(r: Resolver, node: Tree, of: bool) -> Value:
    end = r.span(subtrees(node)[0]).end
    if end >= r.today:
        raise Unresolvable("that period has not ended yet")
    return Span(end + timedelta(days=1), r.today)


def _all_time(r: Resolver, node: Tree, of: bool) -> Value:
    return OpenStart(r.today)


def _between(r: Resolver, node: Tree, of: bool) -> Value:
    first, last = (c for c in node.children if isinstance(c, Tree))
    if last.data == "today":
        return Span(r.span(first).start, r.today)
    if first.data == "day":  # "between 1 and 15 March", "1-15 March": the month comes last
        d = int(first.children[0])
        return _days_to(r.resolve(last), lambda s: _with_day(s.start, d), lambda s: s.end)
    if last.data == "day":  # "March 1-15"
        d = int(last.children[0])
        return _days_to(r.resolve(first), lambda s: s.start, lambda s: _with_day(s.start, d))
    a, b = r.resolve(first), r.resolve(last)
    if isinstance(a, Recurring) and isinstance(b, Recurring):
        return cal.through(a, b)  # placed at its most recent start by the caller
    if isinstance(a, Recurring):
        end = settle(b, r.today)
        found = a.latest_started(end.start)
        if found is None:
            raise Unresolvable("no such date before the end of the range")
        return Span(found.start, end.end)
    start = settle(a, r.today)
    if isinstance(b, Recurring):
        found = b.first_starting_from(start.start)
        if found is None:
            raise Unresolvable("no such date after the start of the range")
        return Span(start.start, found.end)
    end = settle(b, r.today)
    if end.end < start.start:
        raise Unresolvable("the range ends before it starts")
    return Span(start.start, end.end)


def _with_day(day: date, d: int) -> date:
    try:
        return day.replace(day=d)
    except ValueError:
        raise Unresolvable(f"{day:%B} has no day {d}") from None


def _days_to(value: Value, start, end) -> Value:
    """A range inside one month, from one of its endpoints ("1-15 March", "March 1-15")."""

    def make(s: Span) -> Span:
        span = Span(start(s), end(s))
        if span.end < span.start:
            raise Unresolvable("the range ends before it starts")
        return span

    if isinstance(value, Recurring):
        return cal.around(value, make)
    if isinstance(value, Span) and value.start == value.end:
        return make(value)
    raise Unresolvable("a day range needs a date at its other end")


def _so_far(r: Resolver, node: Tree, of: bool) -> Value:
    span = r.span(subtrees(node)[0])
    return Span(span.start, r.today) if span.contains(r.today) else span


def _window(r: Resolver, node: Tree, of: bool) -> Value:
    return r.window(node)


def _window_adjective(r: Resolver, node: Tree, of: bool) -> Value:
    n, unit = str(node.children[0]).split()
    return Window(days_of(int(n), unit_of(Token("UNIT", unit))[0]))


def _window_day(r: Resolver, node: Tree, of: bool) -> Value:
    return Window(int(node.children[0]))


def _unresolvable(r: Resolver, node: Tree, of: bool) -> Value:
    raise Unresolvable("which dates do you mean?")


def _unresolvable_fiscal(r: Resolver, node: Tree, of: bool) -> Value:
    raise Unresolvable("fiscal years differ from company to company: give the calendar dates")


# ---- relative periods: last month, past 2 weeks, this quarter ----------------------------


def _relative(r: Resolver, node: Tree, of: bool) -> Value:
    rel = str(token_of(node, "REL"))
    unit, plural = unit_of(token_of(node, "UNIT"))
    counts = [c for c in node.children if isinstance(c, Tree) and c.data == "count"]
    n = r.count(counts[0]) if counts else None
    full = token_of(node, "FULL") is not None
    today = r.today
    if rel == "next":
        if n is not None:  # "the next 30 days": counted from an event, not from today
            return Window(days_of(n, unit))
        raise NotData(node)  # "next quarter's budget": a plan, not a period of data
    if rel == "this":
        if n is not None:
            raise NotAPeriod(node)
        if unit == "weekend" and today.weekday() < 5:  # the weekend to come is not known yet
            return unit_span("weekend", today - timedelta(days=7))
        if unit == "fortnight":
            return rolling(unit, 1, today)
        return Span(unit_span(unit, today).start, today)
    if r.compare and rel == "previous":
        return Shift("before", unit, n or 1)
    if unit == "weekend":
        return previous_calendar(unit, n or 1, today)
    if n is not None:
        return previous_calendar(unit, n, today) if full else rolling(unit, n, today)
    if rel == "past" or unit in ("fortnight", "hour"):
        return rolling(unit, 1, today)
    return previous_calendar(unit, 1, today)


def _relative_part(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the last week of March", "the final 10 days of the quarter"."""
    if str(token_of(node, "REL")) not in ("last", "past"):
        raise Unresolvable("which part of the period?")
    counts = [c for c in node.children if isinstance(c, Tree) and c.data == "count"]
    unit, _ = unit_of(token_of(node, "UNIT"))
    base = r.span(subtrees(node)[-1], of=True)
    return part_of(base, unit, r.count(counts[0]) if counts else 1, k=-1)


def _relative_day(r: Resolver, node: Tree, of: bool) -> Value:
    rel = str(token_of(node, "REL"))
    if rel == "last":  # last night
        return Span(r.today - timedelta(days=1), r.today - timedelta(days=1))
    if rel == "this":
        return Span(r.today, r.today)
    raise Unresolvable("which day?")


def _previous_period(r: Resolver, node: Tree, of: bool) -> Value:
    if str(token_of(node, "REL")) in ("previous", "last", "past"):
        return Shift("previous", "period")
    raise Unresolvable("which period?")


def _relative_named(r: Resolver, node: Tree, of: bool) -> Value:
    """ "last March", "this summer", "last Black Friday", "next Monday"."""
    rel = str(token_of(node, "REL"))
    recurring = r.resolve(subtrees(node)[0])
    assert isinstance(recurring, Recurring)
    if rel == "next":
        raise NotData(node)  # "next Monday": a date to come, not a period of data
    if rel == "this":
        found = recurring.latest_started(r.today)
        if found is not None and found.contains(r.today):
            found = Span(found.start, r.today)
    else:
        found = recurring.latest_ended(r.today)
    if found is None:
        raise Unresolvable("no such date in recent years")
    return found


def _ago(r: Resolver, node: Tree, of: bool) -> Value:
    n, unit, _ = r.amount(node)
    if r.compare:  # "vs a year ago": the time range a year earlier
        return Shift("back", unit, n)
    if unit == "fortnight":
        unit, n = "week", 2 * n
    if unit == "hour":
        return Span(r.today, r.today)
    return _ago_span(unit, n, r.today)


def _before_last(r: Resolver, node: Tree, of: bool) -> Value:
    if str(token_of(node, "REL")) != "last" or _direction(node) != "before":
        raise NotAPeriod(node)
    unit, _ = unit_of(token_of(node, "UNIT"))
    if unit in ("hour", "fortnight"):
        raise NotAPeriod(node)
    return _ago_span(unit, 2, r.today)


def _direction(node: Tree) -> str:
    (word,) = (c for c in node.children if isinstance(c, Tree) and c.data == "before_after")
    return str(word.children[0]).lower()


def _next_to(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the week after Black Friday", "the 7 days before Christmas", "the day before
    yesterday": whole units counted from the period's end or back from its start."""
    amounts = [c for c in node.children if isinstance(c, Tree) and c.data == "amount"]
    n, unit, _ = r.amount(amounts[0]) if amounts else (1, *unit_of(token_of(node, "UNIT")))
    if unit in ("hour", "weekend"):
        raise NotAPeriod(node)
    after = _direction(node) != "before"

    def make(s: Span) -> Span:
        if after:
            return Span(s.end + timedelta(days=1), shift(s.end, unit, n))
        return Span(shift(s.start, unit, -n), s.start - timedelta(days=1))

    return _each(r.resolve(subtrees(node)[-1]), make)


def _each(value: Value, make) -> Value:
    """``make`` applied to a period, or to each occurrence of a recurring one."""
    if isinstance(value, Recurring):
        return cal.around(value, make)
    if isinstance(value, Span):
        return make(value)
    raise NotAPeriod(value)


def _unit_of(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the week of Nov 9", "the week of Black Friday", "the month of October"."""
    unit, plural = unit_of(token_of(node, "UNIT"))
    if plural or unit in ("hour", "fortnight"):
        raise NotAPeriod(node)
    make = cal.long_weekend if unit == "weekend" else (lambda s: unit_span(unit, s.start))
    return _each(r.resolve(subtrees(node)[-1]), make)


def _day_of(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the 1st of the month", "the 15th of last month", "the 3rd of March"."""
    day = int(subtrees(node)[0].children[0])
    if not 1 <= day <= 31:
        raise Unresolvable(f"there is no day {day} in a month")
    base = r.resolve(subtrees(node)[-1], of=True)
    if isinstance(base, Recurring):

        def nth(k: int) -> Span | None:
            found = base.nth(k)
            return found and cal.valid_day(found.start.year, found.start.month, day)

        return Recurring(nth, base.step)
    span = settle(base, r.today)
    found = cal.valid_day(span.start.year, span.start.month, day)
    if found is None:
        raise Unresolvable(f"{span.start:%B %Y} has no day {day}")
    return found


def _ago_span(unit: str, n: int, today: date) -> Span:
    return unit_span(unit, shift(today, unit, -n))


def _unit_before(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the month before", "the year prior": the unit before the time range."""
    unit, plural = unit_of(token_of(node, "UNIT"))
    if plural or unit == "hour":
        raise NotAPeriod(node)
    return Shift("before", unit)


def _named_before(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the Saturday before", "the March before": its occurrence before the time range."""
    recurring = r.resolve(subtrees(node)[0])
    assert isinstance(recurring, Recurring)
    return Shift("before", recurring.step, named=recurring)


def _named_next_to(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the Saturday before Christmas", "the Monday after Black Friday": the nearest
    occurrence on that side of the period."""
    named, base = subtrees(node)[0], subtrees(node)[-1]
    recurring = r.resolve(named)
    assert isinstance(recurring, Recurring)
    after = _direction(node) != "before"

    def make(s: Span) -> Span | None:
        if after:
            return recurring.first_starting_from(s.end + timedelta(days=1))
        return recurring.latest_ended(s.start)

    value = r.resolve(base)
    if isinstance(value, Recurring):
        return cal.around(value, make)
    found = make(settle(value, r.today))
    if found is None:
        raise Unresolvable("no such date near that period")
    return found


def _trailing_year(r: Resolver, node: Tree, of: bool) -> Value:
    return rolling("year", 1, r.today)


def _to_date(r: Resolver, node: Tree, of: bool) -> Value:
    unit, _ = unit_of(node.children[0])
    if unit in ("hour", "fortnight"):
        raise NotAPeriod(node)
    return Span(unit_span(unit, r.today).start, r.today)


def _today(r: Resolver, node: Tree, of: bool) -> Value:
    return Span(r.today, r.today)


def _yesterday(r: Resolver, node: Tree, of: bool) -> Value:
    return Span(r.today - timedelta(days=1), r.today - timedelta(days=1))


def _the_unit(r: Resolver, node: Tree, of: bool) -> Value:
    """ "the year" in "the start of the year" is the current calendar year; "the weekend" alone
    is the most recent one."""
    unit, plural = unit_of(token_of(node, "UNIT"))
    if plural:
        raise NotAPeriod(node)
    if of:
        return unit_span(unit, r.today)
    if unit == "weekend":
        return Recurring(lambda k: unit_span("weekend", date.fromordinal(k * 7 + 1)), "week")
    raise NotAPeriod(node)


def _unit_number(r: Resolver, node: Tree, of: bool) -> Value:
    """ "week 47", "week 2 retention", "day 30", "month 13"."""
    unit, _ = unit_of(token_of(node, "UNIT"))
    n = int(token_of(node, "INT"))
    if r.retention_next or unit == "day":
        return Window(days_of(n, unit))
    if unit == "week":
        if not 1 <= n <= 53:
            raise Unresolvable(f"there is no week {n}")
        year = year_of(node)
        return in_year(cal.iso_week(n), year) if year else cal.iso_week(n)
    if unit == "quarter" and 1 <= n <= 4:
        return cal.quarter_of_year(n)
    raise Unresolvable(f"which {unit} is {unit} {n}?")


def _x_over_x(r: Resolver, node: Tree, of: bool) -> Value:
    # "week over week", "MoM", "YoY" say how a series is read (its granularity and what each
    # point is set against), not a second period of data.
    raise NotData(node)


def _same_period(r: Resolver, node: Tree, of: bool) -> Value:
    unit, _ = unit_of(tokens_of(node, "UNIT")[-1])
    counts = [c for c in node.children if isinstance(c, Tree) and c.data == "count"]
    return Shift("back", unit, r.count(counts[0]) if counts else 1)


#: One handler per tree node name (the aliases of ``dates.lark``).
Handler = Callable[[Resolver, Tree, bool], Value]
_HANDLERS: dict[str, Handler] = {
    "since": _since,
    "until": _until,
    "before": _before,
    "after": _after,
    "all_time": _all_time,
    "between": _between,
    "so_far": _so_far,
    "window": _window,
    "window_after": _window,
    "window_adjective": _window_adjective,
    "window_day": _window_day,
    "unresolvable": _unresolvable,
    "unresolvable_fiscal": _unresolvable_fiscal,
    "relative": _relative,
    "relative_part": _relative_part,
    "relative_day": _relative_day,
    "previous_period": _previous_period,
    "relative_named": _relative_named,
    "ago": _ago,
    "before_last": _before_last,
    "to_date": _to_date,
    "unit_before": _unit_before,
    "named_before": _named_before,
    "named_next_to": _named_next_to,
    "trailing_year": _trailing_year,
    "today": _today,
    "yesterday": _yesterday,
    "next_to": _next_to,
    "unit_of": _unit_of,
    "day_of": _day_of,
    "the_unit": _the_unit,
    "unit_number": _unit_number,
    "x_over_x": _x_over_x,
    "same_period": _same_period,
    **NAMED_HANDLERS,
}
