"""The trend analysis: how often something happened, how many people did it, or the sum or average
of a number, per hour, day, ISO week or month, with a breakdown and a comparison period.

    wf.trend(event="purchase", measure="unique_people", interval="week", time={"last": "8w"},
             breakdown="device_type", compare="previous_period")

Periods are those of the spec's time zone; every period of the range is listed, empty ones as 0.
The engine returns one grouped aggregate; the series, the answer and the chart are shaped here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from wayfinder.analyses import periods as P
from wayfinder.analyses import trend_query as Q
from wayfinder.analyses import trend_shape as S
from wayfinder.analyses import trend_view as V
from wayfinder.analyses.periods import Interval
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import Breakdown, SpecBase, TimeRange, offset_changes
from wayfinder.analyses.steps import Step, as_step
from wayfinder.errors import ConfigError
from wayfinder.semantic.conditions import check_column
from wayfinder.semantic.definitions import EventGoal, PageGoal
from wayfinder.store.schema import ACCOUNTS, EVENTS, PROFILES

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace

Measure = Literal["count", "unique_people", "sum", "average"]


class TrendSpec(SpecBase):
    """A measure per period: ``event`` and ``measure`` (and ``property``), or a named ``metric``."""

    kind: Literal["trend"] = "trend"
    #: What is counted: an event, page glob, screen or goal (``"purchase"``, ``"page:/blog/*"``);
    #: None counts every event.
    event: Step | None = None
    #: ``count`` of rows, ``unique_people`` who did it, ``sum`` or ``average`` of ``property``.
    measure: Measure = "count"
    #: The number summed or averaged: an events column (``revenue``) or ``properties.<key>``;
    #: by default the value of the goal counted (a purchase's revenue).
    property: str | None = None
    #: A metric of the semantic layer (``revenue``, ``conversion_rate``, ``mrr``), instead of
    #: ``event`` and ``measure``.
    metric: str | None = None
    interval: Interval = "week"
    #: Split by one property; the ``top`` values by their total over the range, the rest "Other".
    breakdown: Breakdown | None = None
    #: ``"previous_period"`` (the range just before, of the same length) or a period
    #: ``{start, end}``; each period is lined up with the one at the same place in it.
    compare: Literal["previous_period"] | TimeRange | None = None
    #: Attach the why: with a breakdown, the value that moved the last period most; without,
    #: the last period's change split by channel, campaign, device, country and new vs
    #: returning when it is notable (one more totals query, the split only then).
    why: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> TrendSpec:
        if self.metric is not None and (
            self.event is not None or self.measure != "count" or self.property is not None
        ):
            raise ValueError("a metric says what is measured: give metric, or event and measure")
        if self.property is not None and self.measure not in ("sum", "average"):
            raise ValueError("property is what a sum or average reads; measure is " + self.measure)
        if isinstance(self.compare, TimeRange) and (
            self.compare.last or not (self.compare.start and self.compare.end)
        ):
            raise ValueError("compare with a period needs its start and end")
        return self

    def describe(self) -> str:
        text = f"{V.measure_phrase(self)} by {self.interval}"
        if self.breakdown is not None:
            text += f", broken down by {self.breakdown} (top {self.breakdown.top})"
        if self.compare == "previous_period":
            text += ", compared with the previous period"
        elif self.compare is not None:
            text += f", compared with {self.compare}"
        return f"{text}, {self.describe_scope()}"


class TrendRunner(Runner):
    kind = "trend"
    spec_type = TrendSpec

    def validate(self, spec: SpecBase, ws: Workspace) -> TrendSpec:
        assert isinstance(spec, TrendSpec)
        catalog = ws.catalog
        update: dict[str, Any] = {}
        if spec.metric is not None:
            update["metric"] = catalog.metric(spec.metric).name
        step = as_step(spec.event, catalog) if spec.event is not None else None
        update["event"] = step
        on_events = step is None or _on_events(step, catalog)
        if spec.property is not None:
            _check(EVENTS, spec.property, "cannot sum or average")
            if not on_events:
                raise ConfigError(
                    "a goal from a table other than events sums its own value; leave property out",
                    value=step,
                )
        elif spec.measure in ("sum", "average") and spec.metric is None:
            update["property"] = Q.goal_value(step, catalog)
        if spec.breakdown is not None:
            _check_breakdown(spec.breakdown, on_events)
        if not on_events and any(f.on == "event" for f in spec.filters):
            raise ConfigError("event filters cannot apply to a goal on another table", value=step)
        if spec.compare is not None and not (spec.time.last or (spec.time.start and spec.time.end)):
            raise ConfigError(
                "a comparison needs a time range with a start and an end",
                hint="give last (8w) or start and end",
            )
        return spec.model_copy(update=update)

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        assert isinstance(spec, TrendSpec)
        catalog = pop.ws.catalog
        if spec.metric is not None:
            metric = catalog.metric(spec.metric).definition
            measures = Q.metric_measures(metric, catalog.metrics)
            if measures is None:
                return S.semantic_metric(spec, pop, windows(spec, pop))
            if len(measures) == 2 and spec.breakdown is not None:
                raise ConfigError(
                    "a ratio metric has no breakdown in a trend",
                    value=spec.metric,
                    hint="break down its numerator and denominator as two trends",
                )
        else:
            measures = (Q.Measure(spec.event, spec.measure, spec.property),)
        win = windows(spec, pop)
        parts = []
        for measure in measures:
            rows = Q.measured_rows(pop, measure, spec.breakdown)
            keyed = Q.keyed_rows(rows, win, spec.zone, spec.interval, _span(spec, pop, rows, win))
            table = pop.ws.engine.to_arrow(Q.aggregate(keyed, measure.agg, spec.breakdown))
            people = None
            if measure.agg == "unique_people":
                people = pop.ws.engine.to_arrow(Q.distinct_people(keyed)).to_pylist()
            parts.append((measure, keyed, table.to_pylist(), people))
        return S.shape(spec, pop, win, parts)


def windows(spec: TrendSpec, pop: Population) -> Q.Windows:
    """The range, the comparison range and how comparison periods line up with the range's.

    Lengths are taken on the wall clock, so a range across a DST change still compares whole
    days and weeks; a monthly trend over whole months (``last: 3m``) compares month by month.
    """
    if spec.compare is None:
        return Q.Windows(pop.start, pop.end)
    assert pop.start is not None and pop.end is not None
    tz = spec.zone
    start, end = P.to_local(pop.start, tz), P.to_local(pop.end, tz)
    if spec.compare == "previous_period":
        months = P.months_between(start, end) if spec.interval == "month" else None
        if months:
            c_start = P.to_utc(P.add_months(start, -months), tz)
            return Q.Windows(pop.start, pop.end, c_start, pop.start, months=months)
        length = end - start
        c_start = P.to_utc(start - length, tz)
        return Q.Windows(pop.start, pop.end, c_start, pop.start, shift=length)
    c_start_utc, c_end_utc = spec.compare.bounds(tz, None)
    assert c_start_utc is not None and c_end_utc is not None
    c_start = P.to_local(c_start_utc, tz)
    months = P.months_between(c_start, start) if spec.interval == "month" else None
    if months:
        return Q.Windows(pop.start, pop.end, c_start_utc, c_end_utc, months=months)
    return Q.Windows(pop.start, pop.end, c_start_utc, c_end_utc, shift=start - c_start)


def _span(
    spec: TrendSpec, pop: Population, rows: Any, win: Q.Windows
) -> tuple[datetime | None, datetime | None]:
    """The instants the time-zone shift must be exact for: the ranges, else the data's span.

    Zones without offset changes need none; an open range in a zone with DST asks the engine
    for the first and last time so the shift has only the branches it needs.
    """
    bounds = [b for b in (win.start, win.compare_start) if b is not None]
    ends = [b for b in (win.end, win.compare_end) if b is not None]
    since = min(bounds) if win.start is not None else None
    until = max(ends) if win.end is not None else None
    if since is not None and until is not None:
        return since, until
    if len(offset_changes(spec.timezone, datetime(1970, 1, 1), datetime(2100, 1, 1))) == 1:
        return since, until
    span = pop.ws.engine.to_arrow(Q.data_span(rows)).to_pylist()[0]
    if span["lo"] is None:
        return since, until
    return (
        since if since is not None else span["lo"] - timedelta(days=1),
        until if until is not None else span["hi"] + timedelta(days=1),
    )


def _on_events(step: Step, catalog: Any) -> bool:
    """Whether the step's rows are events (and so carry event columns for breakdowns)."""
    if step.goal is None:
        return True
    return isinstance(catalog.goal(step.goal).definition.definition, EventGoal | PageGoal)


def _check(table: Any, column: str, what: str) -> None:
    if problem := check_column(table, column):
        raise ConfigError(f"{what} {table.name} column", value=column, hint=problem)


def _check_breakdown(breakdown: Breakdown, on_events: bool) -> None:
    if breakdown.on == "event":
        if not on_events:
            raise ConfigError(
                "a goal from a table other than events has no event columns to break down by",
                value=breakdown.property,
                hint="break down by a person or account property",
            )
        if breakdown.property not in Q.SESSION_BREAKDOWNS:
            _check(EVENTS, breakdown.property, "cannot break down by")
    elif breakdown.on == "person":
        _check(PROFILES, breakdown.property, "cannot break down by")
    else:
        _check(ACCOUNTS, breakdown.property, "cannot break down by")


__all__ = ["TrendRunner", "TrendSpec"]
