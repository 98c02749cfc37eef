"""Journeys as paths, built in the engine: items labelled, cleaned and grouped, anchored at a
start or goal, repeats collapsed, long paths elided; one row per journey (``item_1`` ...)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.steps import Step, event_condition, step_rows

if TYPE_CHECKING:
    from wayfinder.analyses.paths import PathsSpec
    from wayfinder.analyses.population import Population

#: The item standing for the elided part of a long path.
ELLIPSIS = "…"
#: A session ends after this many minutes without any event of the person.
SESSION_MINUTES = 30
#: Characters a group glob may not hold: they change meaning inside a regex character class.
_GLOB_FORBIDDEN = set("[]\\^")

Anchoring = Literal["none", "start", "goal", "both"]


def anchoring(spec: PathsSpec) -> Anchoring:
    if spec.start is not None and spec.goal is not None:
        return "both"
    return "start" if spec.start is not None else "goal" if spec.goal is not None else "none"


def item_column(j: int) -> str:
    return f"item_{j}"


def ellipsis_slot(spec: PathsSpec) -> int:
    """Where "…" goes in a path longer than ``steps``: first before a goal, in the middle
    between a start and a goal, last otherwise."""
    mode = anchoring(spec)
    if mode == "goal":
        return 1
    if mode == "both":
        return (spec.steps + 1) // 2 + 1
    return spec.steps + 1


def glob_regex(glob: str) -> str:
    """An anchored regex for a group glob (``*`` any text, ``?`` one character), portable:
    other characters are literal, written as one-character classes rather than backslashes.

    >>> glob_regex("/p/*")
    '^[/]p[/].*$'
    >>> glob_regex("Product ?")
    '^Product[ ].$'
    """
    bad = _GLOB_FORBIDDEN & set(glob)
    if bad:
        raise ValueError(f"a group glob cannot hold {''.join(sorted(bad))!r}")
    out = []
    for ch in glob:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch.isalnum() or ch == "_":
            out.append(ch)
        else:
            out.append(f"[{ch}]")
    return "^" + "".join(out) + "$"


def item_label(spec: PathsSpec, events: ir.Table) -> ir.StringValue:
    """An event's item: its page path, screen name or event name, cleaned and grouped; null
    when the event is not of the kind, or when cleaning leaves empty text (a way to drop items).
    """
    if spec.items == "page":
        raw = ibis.cases((events.type == "page", events.path), else_=ibis.null("string"))
    elif spec.items == "screen":
        raw = ibis.cases((events.type == "screen", events.name), else_=ibis.null("string"))
    else:
        raw = ibis.cases((events.type == "track", events.event), else_=ibis.null("string"))
    for rule in spec.clean:
        raw = raw.re_replace(rule.regex, rule.replace)
    if spec.groups:
        raw = ibis.cases(*[(raw.re_search(glob_regex(g)), g) for g in spec.groups], else_=raw)
    return raw.nullif("")


def anchor_rows(pop: Population, spec: PathsSpec) -> tuple[ir.Table, list[str]]:
    """Events with their label and anchor flags, plus occurrences of anchors kept on other
    tables (a won deal), which sort after the events of the same instant; and the sort order.

    A row matching both the start and the goal counts as the start. Its label is the anchor's
    name for an anchor, else the item; rows with no label take no part in a path.
    """
    events = pop.events()
    catalog = pop.ws.catalog
    flags: dict[str, ir.BooleanValue] = {}
    others: list[tuple[str, Step]] = []
    for name, step in (("_goal", spec.goal), ("_start", spec.start)):
        cond = None if step is None else event_condition(step, events, catalog)
        if step is not None and cond is None:
            others.append((name, step))
        flags[name] = ibis.literal(False) if cond is None else cond
    ts_type = events.timestamp.type()
    rows = events.select(
        "person_id",
        timestamp=events.timestamp,
        message_id=events.message_id,
        _tie=ibis.literal(0, "int8"),
        _item=item_label(spec, events),
        **flags,
    )
    for name, step in others:
        occ = step_rows(pop, step)
        rows = rows.union(
            occ.select(
                person_id=occ.person_id.cast("string"),
                timestamp=occ.timestamp.cast(ts_type),
                message_id=ibis.literal("", "string"),
                _tie=ibis.literal(1, "int8"),
                _item=ibis.null("string"),
                _goal=ibis.literal(name == "_goal"),
                _start=ibis.literal(name == "_start"),
            )
        )
    if spec.start is not None and spec.goal is not None:
        rows = rows.mutate(_goal=rows._goal & ~rows._start)
    branches = []
    if spec.start is not None:
        branches.append((rows._start, ibis.literal(spec.start.name)))
    if spec.goal is not None:
        branches.append((rows._goal, ibis.literal(spec.goal.name)))
    label = ibis.cases(*branches, else_=rows._item) if branches else rows._item
    rows = rows.mutate(_label=label).drop("_item")
    # The tie column only matters when rows from other tables are mixed in; a shorter sort
    # key is a cheaper sort.
    order = ["timestamp", "_tie", "message_id"] if others else ["timestamp", "message_id"]
    return rows, order


def journey_paths(spec: PathsSpec, pop: Population) -> ir.Table:
    """One row per journey (a person, or a session of one): ``person_id`` and ``item_1`` ...
    ``item_<steps + 1>``, null past the path's end.

    Window functions over journeys ordered by (timestamp, message_id), then a group-by with one
    conditional aggregate per slot: the same SQL on every engine, where ordered list
    aggregation is not (Spark).
    """
    mode = anchoring(spec)
    rows, order = anchor_rows(pop, spec)
    rows = _narrowed(rows, spec, mode)
    journey = ["person_id"]
    if spec.per == "session":
        rows = _sessions(rows, order)
        journey.append("_session")
    rows = rows.filter(rows._label.notnull())
    rows = _collapsed(rows, spec, mode, journey, order)
    if mode == "both":
        rows = _ended_at_goal(rows, journey, order)
    return _pivoted(_displayed(rows, spec, mode, journey, order), spec, journey)


def _narrowed(rows: ir.Table, spec: PathsSpec, mode: Anchoring) -> ir.Table:
    """Only the rows an anchored journey can use, before any sorting: a hash join against each
    person's first anchor time (a small aggregate) is far cheaper than sorting every row.

    Per person, paths to a goal need rows up to the first goal, paths from a start rows from
    the first start; per session, only people with an anchor at all. Rows at the anchor's
    instant are kept: the ordered pass settles ties by message id.
    """
    if mode == "none":
        return rows
    anchor = rows._goal if mode == "goal" else rows._start
    firsts = rows.filter(anchor).group_by("person_id").aggregate(_at=rows.timestamp.min())
    joined = rows.join(firsts, "person_id")
    if spec.per == "session":
        return joined.drop("_at")
    cut = joined.timestamp <= joined._at if mode == "goal" else joined.timestamp >= joined._at
    return joined.filter(cut).drop("_at")


def _sessions(rows: ir.Table, order: list[str]) -> ir.Table:
    """Each row's session number. Cut on every event of the person, not just the items: a
    product view between two page views keeps the visit going."""
    by_person = ibis.window(group_by="person_id", order_by=order)
    rows = rows.mutate(_prev_ts=rows.timestamp.lag().over(by_person))
    cut = rows._prev_ts.isnull() | (
        rows.timestamp > rows._prev_ts + ibis.interval(minutes=SESSION_MINUTES)
    )
    rows = rows.mutate(_cut=cut.fill_null(True).cast("int64"))
    rows = rows.mutate(_session=rows._cut.cumsum(group_by="person_id", order_by=order))
    return rows.drop("_prev_ts", "_cut")


def _collapsed(
    rows: ir.Table, spec: PathsSpec, mode: Anchoring, journey: list[str], order: list[str]
) -> ir.Table:
    """The rows inside the anchored window, consecutive repeats of a label dropped, in one
    ordered pass: running counts of starts and goals place each row relative to the first
    start and the first goal. The first start and the goal ending a path are never dropped.
    """
    w = ibis.window(group_by=journey, order_by=order)
    windows: dict[str, ir.Value] = {"_prev": rows._label.lag().over(w)}
    if mode in ("start", "both"):
        windows["_s"] = rows._start.cast("int64").cumsum(group_by=journey, order_by=order)
    if mode == "goal":
        windows["_g"] = rows._goal.cast("int64").cumsum(group_by=journey, order_by=order)
        if spec.per == "session":
            # Per person, ``_narrowed`` kept only people with a goal; sessions may lack one.
            windows["_has_goal"] = rows._goal.max().over(ibis.window(group_by=journey))
    rows = rows.mutate(**windows)
    protected = rows._goal
    if mode == "goal":
        inside = (rows._g - rows._goal.cast("int64")) == 0
        if spec.per == "session":
            inside &= rows._has_goal
    elif mode in ("start", "both"):
        inside = rows._s >= 1
        protected = protected | (rows._start & (rows._s == 1))
    else:
        inside = ibis.literal(True)
    keep = inside & (protected | rows._prev.isnull() | (rows._label != rows._prev))
    rows = rows.filter(keep.fill_null(False))
    return rows.select(*journey, *order, "_label", "_goal")


def _ended_at_goal(rows: ir.Table, journey: list[str], order: list[str]) -> ir.Table:
    """Start-to-goal journeys: keep those with a goal after the start, cut at the first one."""
    rows = rows.mutate(
        _e=rows._goal.cast("int64").cumsum(group_by=journey, order_by=order),
        _has_end=rows._goal.max().over(ibis.window(group_by=journey)),
    )
    inside = ((rows._e - rows._goal.cast("int64")) == 0) & rows._has_end
    return rows.filter(inside).drop("_e", "_has_end")


def _displayed(
    rows: ir.Table, spec: PathsSpec, mode: Anchoring, journey: list[str], order: list[str]
) -> ir.Table:
    """Each kept row's slot in the shown path; rows in the elided part are dropped."""
    steps = spec.steps
    rows = rows.mutate(
        _pos=ibis.row_number().over(ibis.window(group_by=journey, order_by=order)) + 1,
        _n=rows._label.count().over(ibis.window(group_by=journey)),
    )
    pos, n = rows._pos, rows._n
    long = n > steps
    if mode == "goal":
        keep = pos > n - steps
        slot = ibis.cases((long, pos - (n - steps) + 1), else_=pos)
    elif mode == "both":
        head, tail = (steps + 1) // 2, steps // 2
        keep = ~long | (pos <= head) | (pos > n - tail)
        slot = ibis.cases((long & (pos > head), pos - (n - tail) + head + 1), else_=pos)
    else:
        keep = pos <= steps
        slot = pos
    return rows.filter(keep).select(*journey, "_label", _slot=slot, _n=n)


def _pivoted(rows: ir.Table, spec: PathsSpec, journey: list[str]) -> ir.Table:
    """One row per journey, the labels spread over ``item_1`` ... by slot: a fixed, small number
    of conditional aggregates, portable where ordered list aggregation is not."""
    width = spec.steps + 1
    ellipsis = ellipsis_slot(spec)
    aggs = {
        item_column(j): ibis.cases((rows._slot == j, rows._label), else_=ibis.null("string")).max()
        for j in range(1, width + 1)
    }
    per = rows.group_by(journey).aggregate(_n=rows._n.max(), **aggs)
    items = {
        item_column(j): (
            ibis.cases((per._n > spec.steps, ibis.literal(ELLIPSIS)), else_=per[item_column(j)])
            if j == ellipsis
            else per[item_column(j)]
        )
        for j in range(1, width + 1)
    }
    return per.select("person_id", **items)


def path_text(t: ir.Table, width: int) -> ir.StringValue:
    """The path as text, "A > B > C", from the item columns (no gaps: a path fills slots 1..k)."""
    text = t[item_column(1)]
    for j in range(2, width + 1):
        text = text + ibis.coalesce(" > " + t[item_column(j)], ibis.literal(""))
    return text


def check_regex(pattern: str) -> str:
    """A clean rule's regex must compile (engines read it as RE2 or Java; Python is the check)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regex {pattern!r}: {exc}") from exc
    return pattern


__all__ = [
    "ELLIPSIS",
    "SESSION_MINUTES",
    "anchor_rows",
    "anchoring",
    "check_regex",
    "ellipsis_slot",
    "glob_regex",
    "item_column",
    "item_label",
    "journey_paths",
    "path_text",
]
