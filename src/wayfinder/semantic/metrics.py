"""Metrics compiled to Ibis: one number, or one per period (``by="week"``), computed in the engine.

The result is a table with a column named after the metric, and ``period`` (the start of each
period, weeks starting on Monday) when grouped. Grouped results list every period from the start
to the end (given, else the data's first and last), with 0 for counts and sums of empty periods.
Flows (count, sum, ...) take the rows whose time falls in ``[start, end)``; snapshots (``snapshot
= true``: MRR, open pipeline) take the rows active at the close of each period, or at ``end``
(default: now) when not grouped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.errors import ConfigError, UnknownName
from wayfinder.semantic.conditions import read_number, time_literal
from wayfinder.semantic.definitions import AggregateMetric, Goal, Metric, RatioMetric
from wayfinder.semantic.goals import occurrences
from wayfinder.semantic.sources import ROLES, attach_people, current_rows, occurrence_rows

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

Bound = datetime | date | str | None

#: Time grains: the Ibis truncation unit and the length of one period.
GRAINS: dict[str, tuple[str, dict[str, int]]] = {
    "hour": ("h", {"hours": 1}),
    "day": ("D", {"days": 1}),
    "week": ("W", {"days": 7}),
    "month": ("M", {"months": 1}),
    "quarter": ("Q", {"months": 3}),
    "year": ("Y", {"years": 1}),
}


@dataclass(frozen=True)
class Window:
    """The period a metric is computed over and how it is cut."""

    start: datetime | None = None
    end: datetime | None = None
    by: str | None = None

    @classmethod
    def of(cls, start: Bound, end: Bound, by: str | None) -> Window:
        if by is not None and by not in GRAINS:
            raise ConfigError(
                "unknown time grain", value=by, hint=f"use one of {', '.join(GRAINS)}"
            )
        return cls(
            None if start is None else time_literal(start),
            None if end is None else time_literal(end),
            by,
        )

    @property
    def unit(self) -> str:
        return GRAINS[self.by][0]

    @property
    def step(self) -> ir.IntervalScalar:
        return ibis.interval(**GRAINS[self.by][1])


def compute(
    metric: Metric,
    ws: Workspace,
    goals: Mapping[str, Goal],
    metrics: Mapping[str, Metric],
    window: Window,
    goal: str | None = None,
) -> ir.Table:
    """``metric`` as an Ibis table; ``goal`` replaces the goal of every part that reads one."""
    result = _unordered(metric, ws, goals, metrics, window, goal)
    return result.order_by("period") if window.by else result


def _unordered(
    metric: Metric,
    ws: Workspace,
    goals: Mapping[str, Goal],
    metrics: Mapping[str, Metric],
    window: Window,
    goal: str | None,
) -> ir.Table:
    d = metric.definition
    if isinstance(d, RatioMetric):
        return _ratio(metric.name, d, ws, goals, metrics, window, goal)
    if d.snapshot:
        return _snapshot(metric.name, d, ws, window)
    return _flow(metric.name, d, ws, goals, window, goal)


def _measure(d: AggregateMetric, rows: ir.Table, unit: str) -> ir.Value:
    return {
        "count": lambda: rows.count(),
        "unique": lambda: rows[unit].nunique(),
        "sum": lambda: rows.value.sum(),
        "avg": lambda: rows.value.mean(),
    }[d.agg]()


def _filled(d: AggregateMetric, value: ir.Value) -> ir.Value:
    """Empty periods count 0 and sum 0; an average of nothing stays null."""
    return value if d.agg == "avg" else ibis.coalesce(value, 0)


def _flow(
    name: str,
    d: AggregateMetric,
    ws: Workspace,
    goals: Mapping[str, Goal],
    window: Window,
    goal: str | None,
) -> ir.Table:
    if d.goal is not None:
        target = goals.get(goal or d.goal)
        if target is None:
            raise UnknownName(
                "unknown goal", value=goal or d.goal, hint=f"goals: {', '.join(goals)}"
            )
        rows = occurrences(target, ws, goals)
        unit = "account_id" if (d.level or target.level) == "account" else "person_id"
    else:
        rows = _table_rows(d, ws, time=d.time or ROLES[d.table].time)
        unit = "account_id" if d.level == "account" else "person_id"
    if window.start is not None:
        rows = rows.filter(rows.timestamp >= window.start)
    if window.end is not None:
        rows = rows.filter(rows.timestamp < window.end)
    if window.by is None:
        return rows.aggregate(**{name: _filled(d, _measure(d, rows, unit))})
    per_period = rows.group_by(_p=rows.timestamp.truncate(window.unit)).aggregate(
        _v=_measure(d, rows, unit)
    )
    spine = _periods(rows, rows.timestamp, rows.timestamp, window)
    joined = spine.left_join(per_period, spine.period == per_period._p)
    return joined.select(period=joined.period, **{name: _filled(d, joined._v)})


def _table_rows(d: AggregateMetric, ws: Workspace, *, time: str, **extra: str) -> ir.Table:
    """A table's rows, filtered, in the occurrence shape; people attached when counted."""
    role = ROLES[d.table]
    t = current_rows(ws, d.table)
    for condition in d.where:
        t = t.filter(condition.compile(t))
    column = d.column or role.value
    value = read_number(t, column) if column and d.agg in ("sum", "avg") else None
    rows = occurrence_rows(
        t,
        role,
        goal=d.table,
        time=t[time],
        value=value,
        **{k: t[c].cast("timestamp") for k, c in extra.items()},
    )
    if d.agg == "unique":
        return attach_people(ws, rows)
    return rows


def _snapshot(name: str, d: AggregateMetric, ws: Workspace, window: Window) -> ir.Table:
    opened, closed = ROLES[d.table].span
    rows = _table_rows(d, ws, time=d.time or opened, _closed=closed)
    unit = "account_id" if d.level == "account" else "person_id"

    def active(at: ir.Value) -> ir.BooleanValue:
        return (rows.timestamp < at) & (rows._closed.isnull() | (rows._closed >= at))

    if window.by is None:
        at = ibis.now() if window.end is None else ibis.literal(window.end)
        live = rows.filter(active(at))
        return live.aggregate(**{name: _filled(d, _measure(d, live, unit))})
    last = ibis.greatest(rows.timestamp, ibis.coalesce(rows._closed, rows.timestamp))
    spine = _periods(rows, rows.timestamp, last, window)
    close = spine.period + window.step
    if window.end is not None:
        close = ibis.least(close, ibis.literal(window.end))
    spine = spine.mutate(_close=close)
    pairs = spine.cross_join(rows)
    live = pairs.filter(
        (pairs.timestamp < pairs._close)
        & (pairs._closed.isnull() | (pairs._closed >= pairs._close))
    )
    per_period = live.group_by(_p=live.period).aggregate(_v=_measure(d, live, unit))
    joined = spine.left_join(per_period, spine.period == per_period._p)
    return joined.select(period=joined.period, **{name: _filled(d, joined._v)})


def _periods(rows: ir.Table, first: ir.Value, last: ir.Value, window: Window) -> ir.Table:
    """One row per period start, from the start (else the first time) to the end (else the last).

    Built in the engine with ``range`` + ``unnest``, from the bounds of the data when no bound
    is given, so nothing leaves the engine to plan the query.
    """
    step = window.step
    if window.start is not None and window.end is not None:
        # Known bounds: the periods need no pass over the data.
        lo = ibis.literal(window.start).truncate(window.unit)
        periods = ibis.range(lo, ibis.literal(window.end), step).unnest().name("period")
        return periods.as_table()
    bounds = rows.aggregate(_lo=first.min(), _hi=last.max())
    lo = ibis.literal(window.start) if window.start is not None else bounds._lo
    stop = (
        ibis.literal(window.end)
        if window.end is not None
        else bounds._hi.truncate(window.unit) + step
    )
    return bounds.select(period=ibis.range(lo.truncate(window.unit), stop, step).unnest())


def _ratio(
    name: str,
    d: RatioMetric,
    ws: Workspace,
    goals: Mapping[str, Goal],
    metrics: Mapping[str, Metric],
    window: Window,
    goal: str | None,
) -> ir.Table:
    parts = []
    for part in (d.numerator, d.denominator):
        if part not in metrics:
            raise UnknownName(f"metric {name!r} divides an unknown metric", value=part)
        parts.append(_unordered(metrics[part], ws, goals, metrics, window, goal))
    num, den = parts
    num = (
        num.rename(_n=d.numerator)
        if window.by is None
        else num.rename(_n=d.numerator, _pn="period")
    )
    den = (
        den.rename(_d=d.denominator)
        if window.by is None
        else den.rename(_d=d.denominator, _pd="period")
    )
    if window.by is None:
        joined = num.cross_join(den)
        return joined.select(**{name: _divide(joined._n, joined._d)})
    joined = num.outer_join(den, num._pn == den._pd)
    return joined.select(
        period=ibis.coalesce(joined._pn, joined._pd),
        **{name: _divide(ibis.coalesce(joined._n, 0), joined._d)},
    )


def _divide(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as float64; null when the denominator is 0 or missing."""
    return numerator.cast("float64") / denominator.cast("float64").nullif(0)
