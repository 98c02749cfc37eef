"""What a trend measures and the one grouped aggregate that measures it in the engine: the rows a
step (or a metric's goal) counts, bucketed into local periods, with the top breakdown values kept.

Only aggregates leave the engine: one row per (range, period, breakdown value), at most
``2 x periods x (top + 1)`` rows. "Other" is folded in the engine from the rows themselves, so
distinct people of "Other" are distinct people, not a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.periods import Interval, bucket
from wayfinder.analyses.population import as_text, with_profile_value
from wayfinder.analyses.spec import Breakdown, local_time
from wayfinder.analyses.steps import Step, event_condition
from wayfinder.errors import ConfigError
from wayfinder.model.sessions import sessionize
from wayfinder.semantic.conditions import Condition, read_column, read_number
from wayfinder.semantic.definitions import AggregateMetric, EventGoal, Metric, PageGoal

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from wayfinder.analyses.population import Population
    from wayfinder.semantic.catalog import Catalog

Agg = Literal["count", "unique_people", "sum", "average"]
#: Breakdowns on an event's visit (30-minute sessions, GA4 channel grouping): they sessionize.
SESSION_BREAKDOWNS = ("session_channel", "session_source_name", "session_campaign")
OTHER = "Other"
NONE = "(none)"
_AGG_OF_METRIC: dict[str, Agg] = {
    "count": "count",
    "unique": "unique_people",
    "sum": "sum",
    "avg": "average",
}


@dataclass(frozen=True)
class Measure:
    """One number per period: ``agg`` over the rows of ``step`` (every event when None)."""

    step: Step | None
    agg: Agg
    #: The number summed or averaged: an events column or ``properties.key``; None reads the
    #: value of the step's goal (a purchase's revenue, a deal's amount).
    property: str | None = None
    #: Extra conditions on the event row (from a metric on the events table).
    where: tuple[Condition, ...] = ()


def metric_measures(metric: Metric, metrics: dict[str, Metric]) -> tuple[Measure, ...] | None:
    """A metric as the trend's own measures: one for an aggregate, (numerator, denominator) for
    a ratio. None for metrics the trend cannot read row by row (snapshots, tables other than
    events, unique accounts); those are computed by the semantic layer as defined.
    """
    d = metric.definition
    if not isinstance(d, AggregateMetric):
        parts = [metrics.get(d.numerator), metrics.get(d.denominator)]
        if any(p is None or not isinstance(p.definition, AggregateMetric) for p in parts):
            return None
        found = [metric_measures(p, metrics) for p in parts]  # type: ignore[arg-type]
        if any(f is None for f in found):
            return None
        return (found[0][0], found[1][0])  # type: ignore[index]
    if d.snapshot or d.level == "account":
        return None
    agg = _AGG_OF_METRIC[d.agg]
    if d.goal is not None:
        return (Measure(Step(goal=d.goal), agg),)
    if d.table != "events" or (d.time or "timestamp") != "timestamp":
        return None
    column = (d.column or "revenue") if agg in ("sum", "average") else None
    return (Measure(None, agg, column, d.where),)


# -- rows ----------------------------------------------------------------------------------------
def measured_rows(pop: Population, measure: Measure, breakdown: Breakdown | None) -> ir.Table:
    """Every row the measure reads, all time: ``person_id``, ``timestamp``, ``_value``
    (float64, null when nothing is summed) and ``_group`` (the breakdown value as text)."""
    catalog: Catalog = pop.ws.catalog
    step = measure.step.resolved(catalog) if measure.step is not None else None
    visits = breakdown is not None and breakdown.on == "event"
    visits = visits and breakdown.property in SESSION_BREAKDOWNS  # type: ignore[union-attr]
    events = _with_visits(pop) if visits else pop.events(in_range=False)
    cond = event_condition(step, events, catalog) if step is not None else ibis.literal(True)
    if cond is None:
        return _goal_rows(pop, step, breakdown)  # a goal on deals, subscriptions, ...
    for c in measure.where:
        cond &= c.compile(events).fill_null(False)
    rows = events.filter(cond)
    if measure.property is not None:
        value = read_number(rows, measure.property)
    elif measure.agg in ("sum", "average"):
        value = read_number(rows, goal_value(step, catalog) or "revenue")
    else:
        value = ibis.null("float64")
    rows = rows.mutate(_value=value.cast("float64"))
    return _with_group(pop, rows, breakdown).select("person_id", "timestamp", "_value", "_group")


def _with_visits(pop: Population) -> ir.Table:
    """The population's events, all time, each with its visit (session) columns.

    Visits are cut from all of a person's events, before the event filters, so a filter
    cannot split a visit or change its channel.
    """
    from wayfinder.analyses.population import Population

    people_only = pop.spec.model_copy(
        update={"filters": tuple(f for f in pop.spec.filters if f.on != "event")}
    )
    everything = Population(pop.ws, people_only, pop.start, pop.end, pop.excluded)
    events = everything.events(in_range=False)
    events = sessionize(events, person_key="person_id")
    for f in pop.spec.filters:
        if f.on == "event":
            events = events.filter(f.compile(events))
    return events


def goal_value(step: Step | None, catalog: Catalog) -> str | None:
    """What a sum or average of a step reads when no property is given: its goal's value
    column (None for a goal on another table, whose occurrences carry their value)."""
    if step is not None and step.goal is not None:
        d = catalog.goal(step.goal).definition.definition
        if isinstance(d, EventGoal) and d.value:
            return d.value
        if not isinstance(d, EventGoal | PageGoal):
            return None
    raise ConfigError(
        "a sum or average needs a property", hint="give property, e.g. revenue or properties.price"
    )


def _goal_rows(pop: Population, step: Step | None, breakdown: Breakdown | None) -> ir.Table:
    """Occurrences of a goal on another table (won deals, paid subscriptions) of allowed people."""
    assert step is not None and step.goal is not None
    occ = pop.ws.catalog.goal(step.goal).occurrences(pop.ws)
    occ = pop.allowed(occ.filter(occ.person_id.notnull()))
    rows = occ.select("person_id", "timestamp", _value=occ.value.cast("float64"))
    return _with_group(pop, rows, breakdown).select("person_id", "timestamp", "_value", "_group")


def _with_group(pop: Population, rows: ir.Table, breakdown: Breakdown | None) -> ir.Table:
    """``rows`` with ``_group``: the breakdown value as text, ``(none)`` when null."""
    if breakdown is None:
        return rows.mutate(_group=ibis.null("string"))
    if breakdown.on == "event":
        return rows.mutate(_group=as_text(read_column(rows, breakdown.property)))
    return with_profile_value(pop, rows, breakdown.on, breakdown.property, "_group")


# -- the aggregate -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Windows:
    """The range measured and the range compared with, as naive UTC ``[start, end)``.

    Comparison rows are moved onto the range's periods: by ``shift`` on the wall clock in the
    engine, then their periods by ``months`` in Python (whole-month ranges line up by month).
    """

    start: datetime | None
    end: datetime | None
    compare_start: datetime | None = None
    compare_end: datetime | None = None
    shift: timedelta = timedelta(0)
    months: int = 0

    @property
    def comparing(self) -> bool:
        return self.compare_start is not None


def keyed_rows(
    rows: ir.Table, windows: Windows, tz: ZoneInfo, interval: Interval, span: tuple
) -> ir.Table:
    """Rows in the range (``_cmp`` false) and in the comparison range (true), each with the
    ``_period`` (local wall-clock start) it counts in.

    Ranges that do not overlap (the previous period always) are read in one pass; a given
    comparison period that overlaps the range takes a second pass for the rows in both.
    """
    since, until = span
    shift = ibis.interval(seconds=int(windows.shift.total_seconds()))

    def keyed(t: ir.Table, compare: ir.BooleanValue) -> ir.Table:
        at = local_time(t.timestamp, tz, since, until)
        if windows.shift:
            at = ibis.ifelse(compare, at + shift, at)
        return t.mutate(_cmp=compare, _period=bucket(at, interval))

    main = rows.filter(_within(rows, windows.start, windows.end))
    if not windows.comparing:
        return keyed(main, ibis.literal(False))
    in_compare = _within(rows, windows.compare_start, windows.compare_end)
    assert windows.start is not None and windows.end is not None
    assert windows.compare_start is not None and windows.compare_end is not None
    if windows.compare_end <= windows.start or windows.compare_start >= windows.end:
        both = rows.filter(_within(rows, windows.start, windows.end) | in_compare)
        return keyed(both, ~_within(both, windows.start, windows.end))
    other = keyed(rows.filter(in_compare), ibis.literal(True))
    return ibis.union(keyed(main, ibis.literal(False)), other, distinct=False)


def _within(t: ir.Table, start: datetime | None, end: datetime | None) -> ir.BooleanValue:
    cond = ibis.literal(True)
    if start is not None:
        cond &= t.timestamp >= start
    if end is not None:
        cond &= t.timestamp < end
    return cond


def aggregate(keyed: ir.Table, agg: Agg, breakdown: Breakdown | None) -> ir.Table:
    """One row per ``(_cmp, _period, _group)``: ``n`` rows, ``s`` sum and ``c`` count of values,
    ``u`` distinct people; with a breakdown only the top values by their total over the range
    keep their name (ties by name), the others are ``Other``, and ``_rank`` orders them."""
    keys = ["_cmp", "_period", "_group"]
    if breakdown is None:
        return keyed.group_by(keys).aggregate(**_measures(keyed, agg)).mutate(_rank=0)
    if agg == "unique_people":
        main = keyed.filter(~keyed._cmp)
        totals = main.group_by("_group").aggregate(_total=main.person_id.nunique())
        return _fold(keyed, totals, agg, breakdown.top)
    # Additive measures fold pre-aggregated rows: the rows are read once.
    pre = keyed.group_by(keys).aggregate(**_measures(keyed, agg))
    main = pre.filter(~pre._cmp)
    total = main[{"count": "n", "sum": "s", "average": "c"}[agg]].sum()
    totals = main.group_by("_group").aggregate(_total=ibis.coalesce(total, 0))
    return _fold(pre, totals, agg, breakdown.top)


def _measures(t: ir.Table, agg: Agg) -> dict[str, ir.Value]:
    if agg == "unique_people":
        return {"u": t.person_id.nunique()}
    if agg == "count":
        return {"n": t.count()}
    return {"n": t.count(), "s": t._value.sum(), "c": t._value.count()}


def _fold(t: ir.Table, totals: ir.Table, agg: Agg, top: int) -> ir.Table:
    ranked = totals.mutate(
        _r=ibis.row_number().over(order_by=[ibis.desc(totals._total), totals._group])
    )
    kept = ranked.filter(ranked._r < top).select(_g=ranked._group, _r=ranked._r + 1)
    joined = t.left_join(kept, t._group == kept._g)
    mapped = joined.select(
        "_cmp",
        "_period",
        _group=ibis.ifelse(joined._g.notnull(), joined._group, ibis.literal(OTHER)),
        _rank=ibis.coalesce(joined._r, top + 1),
        **{c: joined[c] for c in t.columns if c not in ("_cmp", "_period", "_group")},
    )
    keys = ["_cmp", "_period", "_group", "_rank"]
    if agg == "unique_people":
        return mapped.group_by(keys).aggregate(u=mapped.person_id.nunique())
    sums = {c: mapped[c].sum() for c in ("n", "s", "c") if c in mapped.columns}
    return mapped.group_by(keys).aggregate(**sums)


def distinct_people(keyed: ir.Table) -> ir.Table:
    """Distinct people over the whole range and the whole comparison range."""
    return keyed.group_by("_cmp").aggregate(u=keyed.person_id.nunique())


def data_span(rows: ir.Table) -> ir.Table:
    """First and last time of the rows (to bound the time-zone shift of open ranges)."""
    return rows.aggregate(lo=rows.timestamp.min(), hi=rows.timestamp.max())


def drill_rows(
    keyed: ir.Table,
    *,
    compare: bool,
    period: datetime,
    group: str | None,
    kept: list[str],
) -> ir.Table:
    """The people behind one cell: rows of one period (and breakdown value) of one range."""
    t = keyed.filter((keyed._cmp == compare) & (keyed._period == period))
    if group == OTHER:
        t = t.filter(~t._group.isin(kept)) if kept else t
    elif group is not None:
        t = t.filter(t._group == group)
    return t.select("person_id")
