"""The periods a question names: "last quarter", "since Black Friday", "Q3 vs Q2", "within 60
days", found in the question's words and resolved to dates against the day it is asked.

The phrases are a lark grammar (``dates.lark``, LALR); ``find_periods`` takes the longest match
from each word, resolves it (``date_resolve``, ``date_named``) and gives it a role: the
question's time range, a comparison period, or a conversion window. Conventions and examples:
``docs/ask-dates.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import resources
from typing import Literal

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from wayfinder.ask.date_calendar import (
    Recurring,
    Span,
    add_months,
    is_whole_months,
    month_count,
    month_end,
)
from wayfinder.ask.date_resolve import Resolver
from wayfinder.ask.date_values import (
    NotAPeriod,
    NotData,
    OpenStart,
    Shift,
    Unresolvable,
    Value,
    Window,
    settle,
    shift,
    unit_span,
)
from wayfinder.ask.date_words import tokenize
from wayfinder.ask.frame import Period
from wayfinder.errors import ConfigError

__all__ = ["FoundPeriod", "find_periods", "resolve_period"]

Role = Literal["range", "compare", "window"]


@dataclass(frozen=True)
class FoundPeriod:
    """A period named in a question.

    ``span`` covers every word the phrase used (with "in", "vs", "compared with"); ``text`` is
    the period as written, without a bare leading "in", "during", "for", "on", "at" or "from"
    ("customers from last month": "last month") and without the comparison words. ``period``
    has no dates when the words cannot be resolved ("Q5", "since launch", "fiscal Q2"), and no
    start for an open range ("until March": from the beginning of the data). ``days`` is the
    length of a window.
    """

    span: tuple[int, int]
    text: str
    period: Period | None
    role: Role
    days: int | None = None


# Words after a named period that make it a campaign's name ("the Black Friday campaign").
_CAMPAIGN_WORDS = {
    "campaign", "campaigns", "sale", "sales", "promo", "promos", "promotion", "promotions",
    "email", "emails", "newsletter", "newsletters", "ad", "ads", "offer", "offers", "deal", "deals",
    "discount", "discounts", "code", "codes", "push", "creative", "creatives", "collection",
    "collections", "banner", "banners", "event", "events", "special", "specials", "bundle",
    "bundles", "blast", "drop", "edition", "catalog", "catalogue", "lookbook", "giveaway",
    "contest", "flash", "launch", "series", "webinar", "webinars",
}  # fmt: skip
# Words after a bare year that make it a number ("2000 customers").
_COUNTED = {
    "users", "customers", "people", "visitors", "visits", "sessions", "orders", "signups",
    "leads", "accounts", "deals", "dollars", "usd", "eur", "gbp", "members", "subscribers",
    "items", "products", "rows", "events", "times", "clicks", "views", "impressions", "emails",
}  # fmt: skip
# Words before a bare year that make it a number or an identifier ("customer 2024").
_BEFORE_NUMBERS = {"top", "bottom", "first", "customer", "user", "account", "order", "id",
                   "number", "no", "#", "person", "member", "ticket", "invoice"}  # fmt: skip
# Words before a second period that make it a comparison ("compare March and April").
_COMPARE_CUES = {"compare", "compared", "comparing", "comparison", "vs", "versus", "against",
                 "than", "difference", "differences", "relative", "change", "changed"}  # fmt: skip
# Words after "Tuesday's" that make it the day of a conversation, not a period of data
# ("the period we discussed on Tuesday's call").
_MEETING_WORDS = {"call", "calls", "meeting", "meetings", "sync", "standup", "huddle", "chat",
                  "conversation", "discussion", "presentation", "catchup", "offsite"}  # fmt: skip
_RETENTION_WORDS = ("retent", "retain", "churn", "active", "return", "cohort")
# The named periods a campaign can be called after.
_NAMEABLE = {"month", "quarter", "half", "season", "holiday", "weekday", "year", "holiday_year",
             "month_year", "quarter_year", "season_year", "half_year", "holiday_week"}  # fmt: skip
_UNSTRIPPED_PREPS = {"over", "within", "inside"}
_NEVER_START = {"WORD", "OTHER", "POSS", "COMMA", "DASH"}


@functools.cache
def _parser() -> tuple[Lark, dict[str, str]]:
    """The LALR parser (built once, ~0.1 s) and the grammar's keywords by lower-case word."""
    grammar = resources.files(__package__).joinpath("dates.lark").read_text("utf-8")
    parser = Lark(
        grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False
    )
    keywords = {
        t.pattern.value.lower(): t.name for t in parser.terminals if t.pattern.type == "str"
    }
    return parser, keywords


def find_periods(question: str, today: date) -> list[FoundPeriod]:
    """Every period the question names, in order, with its role.

    >>> for p in find_periods("Signups last month vs the month before", date(2026, 11, 22)):
    ...     print(p.text, p.period.iso, p.role)
    last month 2026-10-01/2026-10-31 range
    the month before 2026-09-01/2026-09-30 compare
    """
    tokens = tokenize(question, _parser()[1])
    found: list[_Found] = []
    i = 0
    while i < len(tokens):
        match = _longest(tokens, i, question, today)
        if match is None:
            i += 1
            continue
        found += match[1]
        i = match[0]
    return _roles(found, question, today)


def resolve_period(text: str, today: date) -> Period:
    """One period phrase ("last quarter", "since July", "Q3 2025") resolved against ``today``.

    Raises ConfigError, with a hint, when the words are not a period or cannot be resolved.
    "until March" has no start (from the beginning of the data).

    >>> resolve_period("last quarter", date(2026, 11, 22)).iso
    '2026-07-01/2026-09-30'
    """
    words = text.strip()
    tokens = [t for t in tokenize(words, _parser()[1]) if t.type != "OTHER" or t.isalnum()]
    match = _longest(tokens, 0, words, today, whole=True) if tokens else None
    if match is None or match[0] != len(tokens):
        raise ConfigError("not a period", value=text, hint="try 'last month', 'Q3 2025' or "
                          "'2026-03-01 to 2026-03-31'")  # fmt: skip
    if not match[1]:  # words with no period of data in them
        raise ConfigError("no period of data", value=text, hint="'next week' is still to come "
                          "and 'week over week' is a granularity: name a period that has "
                          "started")  # fmt: skip
    (item,) = [f for f in match[1] if f.role != "compare"] or match[1]
    value = item.value
    if isinstance(value, Shift):
        raise ConfigError("a comparison period needs a time range", value=text,
                          hint="say which period it is compared with")  # fmt: skip
    if isinstance(value, Window):
        raise ConfigError("a conversion window, not a period", value=text,
                          hint="a window counts days from each person's event")  # fmt: skip
    if isinstance(value, Unresolvable):
        raise ConfigError("cannot resolve the period", value=text, hint=str(value))
    return _period(words, value, today)


# ---- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """One period found, before roles are settled."""

    span: tuple[int, int]
    text_span: tuple[int, int]
    value: Value | Unresolvable
    role: Role | None  # None: a range unless the question compares
    first_of_pair: bool = False


def _longest(
    tokens: list[Token], i: int, question: str, today: date, whole: bool = False
) -> tuple[int, list[_Found]] | None:
    """The longest phrase from token ``i`` that resolves: its end and what it names."""
    if tokens[i].type in _NEVER_START:
        return None
    for end, tree in reversed(list(_accepted(tokens, i))):
        if whole and end != len(tokens):
            continue
        try:
            found = _interpret(tree, tokens, i, end, question, today)
        except NotData:
            return end, []  # the words are spent: no shorter period inside them
        except NotAPeriod:
            continue
        if found:
            return end, found
    return None


def _accepted(tokens: list[Token], i: int) -> Iterator[tuple[int, Tree]]:
    """Every end ``j`` such that tokens ``i..j`` are a whole phrase of the grammar."""
    parser = _parser()[0].parse_interactive()
    for j in range(i, len(tokens)):
        try:
            parser.feed_token(tokens[j])
        except UnexpectedInput:
            return
        try:  # a shallow copy: the trees already built are shared, not copied
            yield j + 1, parser.copy(deepcopy_values=False).feed_eof(tokens[j])
        except UnexpectedInput:
            continue


def _interpret(
    tree: Tree, tokens: list[Token], i: int, end: int, question: str, today: date
) -> list[_Found]:
    """What a matched phrase names, or NotAPeriod when the words around say it is not one."""
    before = tokens[i - 1].value.lower() if i else ""
    following = [t for t in tokens[end:] if t.type != "POSS"]  # "Valentine's promo"
    after = following[0].value.lower() if following else ""
    after_is_noun = bool(following) and following[0].type == "WORD"
    if end < len(tokens) and tokens[end].type == "POSS" and after in _MEETING_WORDS:
        raise NotData(tree)
    span = (tokens[i].start_pos, tokens[end - 1].end_pos)
    prep = next((str(c) for c in tree.children if isinstance(c, Token) and c.type == "PREP"), None)
    whens = [c for c in tree.children if isinstance(c, Tree)]
    _check_context(whens[0], prep, before, after, after_is_noun, question)
    resolver = Resolver(today, prep=prep, retention_next=after.startswith(_RETENTION_WORDS))
    if tree.data == "compare_pair":
        first, second = whens
        gap = _token_after(tokens, first.meta.end_pos)
        return [
            _found(resolver, first, (first.meta.start_pos, first.meta.end_pos), None, True),
            _found(replace(resolver, compare=True), second, (gap, span[1]), "compare"),
        ]
    (when,) = whens
    if tree.data == "compare":
        return [_found(replace(resolver, compare=True), when, span, "compare")]
    if when.data == "between" and before in ("difference", "differences", "compare", "comparing"):
        first, second = (c for c in when.children if isinstance(c, Tree))
        if first.data != "day" and second.data not in ("day", "today"):
            gap = _token_after(tokens, first.meta.end_pos)
            return [
                _found(resolver, first, (span[0], first.meta.end_pos), None, True),
                _found(replace(resolver, compare=True), second, (gap, span[1]), "compare"),
            ]
    text_start = when.meta.start_pos if prep not in _UNSTRIPPED_PREPS else span[0]
    found = _found(resolver, when, span, None)
    return [replace(found, text_span=(text_start, span[1]))]


def _check_context(
    when: Tree, prep: str | None, before: str, after: str, after_is_noun: bool, question: str
) -> None:
    """Raise NotAPeriod for words that name something else here: a campaign ("the spring
    sale"), a bare season ("spring" needs "in", "last" or a year), a number ("2000 users",
    "customer 2024"), an ordinal ("the second one", "the 3rd step"; "on the 3rd" is a day)."""
    if when.data in ("season", "sprint") and prep is None:
        raise NotAPeriod(when)
    if when.data == "year" and (after in _COUNTED or before in _BEFORE_NUMBERS):
        raise NotAPeriod(when)
    last = _rightmost(when)
    if after in _CAMPAIGN_WORDS and any(node.data in _NAMEABLE for node in last):
        raise NotAPeriod(when)
    if after_is_noun and any(node.data == "day_of_month" for node in last):
        raise NotAPeriod(when)
    for node in when.iter_subtrees():
        written = question[node.meta.start_pos : node.meta.end_pos]
        if node.data == "day_of_month" and not any(c.isdigit() for c in written):
            raise NotAPeriod(when)


def _rightmost(node: Tree) -> list[Tree]:
    """The nodes that end where the phrase ends ("since [the [Black Friday]]")."""
    path = [node]
    while node.children and isinstance(node.children[-1], Tree):
        node = node.children[-1]
        path.append(node)
    return path


def _token_after(tokens: list[Token], position: int) -> int:
    return next(t.start_pos for t in tokens if t.start_pos >= position)


def _found(
    resolver: Resolver, when: Tree, span: tuple[int, int], role: Role | None, first: bool = False
) -> _Found:
    try:
        value: Value | Unresolvable = resolver.resolve(when)
        if isinstance(value, Recurring):
            value = settle(value, resolver.today)
    except Unresolvable as err:
        value = err
    except OverflowError:  # "the last 9000 years": before the calendar begins
        value = Unresolvable("that is further back than the calendar goes")
    if isinstance(value, Window):
        role = "window"
    elif isinstance(value, Shift):
        role = "compare"
    text_span = (when.meta.start_pos, when.meta.end_pos)
    return _Found(span, text_span, value, role, first)


# ---- roles ------------------------------------------------------------------------------------


def _roles(found: list[_Found], question: str, today: date) -> list[FoundPeriod]:
    """The first period is the time range; a later one compares when the question does
    ("vs", "compared with", "than"); windows are windows. Comparison periods that depend on
    the range ("the same period last year") are placed against it."""
    time_range: Span | None = None
    roles: list[Role] = []
    for f in found:
        role = f.role
        if role is None:
            seen_range = "range" in roles
            cue = _has_compare_cue(question[: f.span[0]])
            role = "compare" if seen_range and cue and not f.first_of_pair else "range"
            if role == "range" and time_range is None and isinstance(f.value, Span):
                time_range = f.value
        roles.append(role)
    out = []
    for f, role in zip(found, roles, strict=True):
        value = f.value
        if isinstance(value, Shift):  # after the loop above: "MoM for 2026" names the range last
            value = _against(value, time_range, today)
        text = question[f.text_span[0] : f.text_span[1]]
        if isinstance(value, Window):
            out.append(FoundPeriod(f.span, text, None, "window", value.days))
            continue
        out.append(FoundPeriod(f.span, text, _period(text, value, today), role))
    return out


def _has_compare_cue(text: str) -> bool:
    return any(w.strip(".,:;?!").lower() in _COMPARE_CUES for w in text.split())


def _against(shift_: Shift, time_range: Span | None, today: date) -> Value | Unresolvable:
    """A comparison period placed against the time range (or, for "the month before" with no
    range, the last whole month)."""
    if shift_.named is not None:  # "the Saturday before": the one before the range (or today)
        found = shift_.named.latest_ended(time_range.start if time_range else today)
        return found or Unresolvable("no such date before the time range")
    if time_range is None:
        if shift_.kind == "before":
            return unit_span(shift_.unit, shift(today, shift_.unit, -1))
        return Unresolvable("compared with which period? give the time range")
    start, end = time_range.start, time_range.end
    if shift_.kind == "back":
        moved = Span(shift(start, shift_.unit, -shift_.n), shift(end, shift_.unit, -shift_.n))
        if is_whole_months(time_range):  # February 2029 a year back ends on the 29th
            return Span(moved.start, month_end(moved.end.year, moved.end.month))
        return moved
    if shift_.kind == "before":
        # the whole unit before a range that starts a unit ("this month vs the month before"),
        # else as long as the unit, just before ("on Saturday vs the week before": 7 days)
        if shift_.n == 1 and unit_span(shift_.unit, start).start == start:
            return unit_span(shift_.unit, start - timedelta(days=1))
        return Span(shift(start, shift_.unit, -shift_.n), start - timedelta(days=1))
    if is_whole_months(time_range):  # the previous whole months, as many
        n = month_count(time_range)
        return Span(add_months(start, -n), start - timedelta(days=1))
    length = time_range.days
    return Span(start - timedelta(days=length), start - timedelta(days=1))


def _period(text: str, value: Value | Unresolvable, today: date) -> Period:
    if isinstance(value, Unresolvable):
        return Period(text=text)
    if isinstance(value, OpenStart):
        return Period(text=text, end=value.end)
    span = settle(value, today)
    return Period(text=text, start=span.start, end=span.end)
