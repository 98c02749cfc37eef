"""The why of a trend without a breakdown: the last period's change against the period before,
split by the default dimensions (channel, campaign, device, country, new vs returning) with the
metric-change machinery, when the change is notable; otherwise no reason.

Bounded: one totals query decides whether the change is notable (moved by more than 5% and beyond
its sampling noise) before any dimension is split (``metric_change.explain``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from wayfinder.analyses import metric_change_query as MQ
from wayfinder.analyses import periods as P
from wayfinder.analyses.population import Population
from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.spec import TimeRange
from wayfinder.errors import ConfigError
from wayfinder.semantic.definitions import AggregateMetric, EventGoal, PageGoal

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wayfinder.analyses.metric_change import Plan
    from wayfinder.analyses.trend_query import Measure
    from wayfinder.analyses.trend_view import Series
    from wayfinder.analyses.trends import TrendSpec

_AGG = {"count": "count", "unique_people": "unique", "sum": "sum"}
#: The last period is compared with the average of up to this many periods before it (fewer
#: when the trend has fewer): one period alone is too noisy a base (metric_change's default).
BEFORE = 4


@dataclass
class ChangeWhy:
    """The reasons, and the drill-down their ``people`` selectors take
    (``period``, ``dimension``, ``value``)."""

    reasons: list[Reason]
    drill: Callable[..., ir.Table] | None = None


def last_change(
    spec: TrendSpec, pop: Population, measures: tuple[Measure, ...], series: Series
) -> ChangeWhy:
    """The last period against the average of the (up to ``BEFORE``) periods before it, split
    by dimension when the change is notable; the compared periods are scaled to the last one's
    length when the data or the range ends inside it."""
    if not spec.why or spec.breakdown is not None or len(series.periods) < 2:
        return ChangeWhy([])
    plan = _plan(spec, pop, measures)
    if plan is None:
        return ChangeWhy([])
    from wayfinder.analyses.metric_change import MetricChangeSpec, explain

    last = series.periods[-1]
    before = series.periods[-1 - min(BEFORE, len(series.periods) - 1) : -1]
    end = min(P.add(last, spec.interval), _range_end(spec, pop))
    if end <= last:
        return ChangeWhy([])
    change_spec = MetricChangeSpec(
        metric=plan.name,
        time=TimeRange(start=last, end=end),
        periods_before=len(before),
        filters=spec.filters,
        timezone=spec.timezone,
    )
    change_pop = Population.of(pop.ws, change_spec)
    # Each compared period is a slot of its own, so "new" means first seen in that period.
    tz = spec.zone
    edges = [*before, last]
    bases = tuple(
        (P.to_utc(a, tz), P.to_utc(b, tz)) for a, b in zip(edges, edges[1:], strict=False)
    )
    slots = MQ.Slots(P.to_utc(last, tz), P.to_utc(end, tz), bases[::-1])
    out = explain(change_spec, change_pop, plan, notable_only=True, slots=slots)
    if out is None or out.drill is None:
        return ChangeWhy([])
    labels = (str(P.label(last, spec.interval)), str(P.label(before[0], spec.interval)))
    n = len(before)
    versus = f"the {spec.interval} before" if n == 1 else f"the average of the {n} before"
    partial = " (scaled to the part of it with data)" if end < P.add(last, spec.interval) else ""
    head = f"In the {spec.interval} of {labels[0]}{partial}, against {versus}: "
    reasons = [
        replace(
            r,
            sentence=head + _uncapitalized(r.sentence, str(r.evidence.get("value") or "")),
            evidence=r.evidence | {"period": labels[0], "before": labels[1]},
            people={k: v for k, v in (r.people or {}).items() if k != "period"}
            | {"period": labels[0]},
        )
        for r in out.why
    ]
    return ChangeWhy(reasons, _drill(out.drill, labels))


def _uncapitalized(sentence: str, value: str) -> str:
    """A reason's sentence inside another: its value as written again ("mobile", not
    "Mobile")."""
    if value and sentence.startswith(value[:1].upper() + value[1:]):
        return value + sentence[len(value) :]
    return sentence


def _plan(spec: TrendSpec, pop: Population, measures: tuple[Measure, ...]) -> Plan | None:
    """The trend's measure as a metric change's parts; None when it cannot be split by the
    dimensions of an event's visit (goals on deals or subscriptions, an average in a ratio)."""
    from wayfinder.analyses.metric_change import Plan

    catalog = pop.ws.catalog
    parts = []
    for m in measures:
        if m.step is not None and m.step.goal is not None:
            d = catalog.goal(m.step.goal).definition.definition
            if not isinstance(d, EventGoal | PageGoal):
                return None
        if m.agg == "average":
            if len(measures) > 1:
                return None
            parts += [MQ.Part("sum", m.step, m.property, m.where), MQ.Part("count", m.step)]
        else:
            prop = m.property if m.agg == "sum" else None
            parts.append(MQ.Part(_AGG[m.agg], m.step, prop, m.where))  # type: ignore[arg-type]
    if spec.metric is not None:
        ref = catalog.metric(spec.metric)
        return Plan(ref.name, ref.definition.format, tuple(parts))
    named = _catalog_name(spec, catalog)
    if named is not None:
        return Plan(named, "count", tuple(parts))
    name = spec.event.name if spec.event is not None else "events"
    what = {"count": f"{name} events", "unique_people": f"people who did {name}"}.get(
        spec.measure, f"{spec.property or 'value'} of {name}"
    )
    fmt = "count" if spec.measure in ("count", "unique_people") else "number"
    return Plan(what, fmt, tuple(parts))


def _catalog_name(spec: TrendSpec, catalog: Any) -> str | None:
    """The catalog's name for a goal counted or its people counted ("orders", "buyers" for
    purchases), so the words say what a marketer calls it."""
    agg = {"count": "count", "unique_people": "unique"}.get(spec.measure)
    if agg is None or spec.event is None or spec.event.goal is None or spec.event.where:
        return None
    for name, metric in catalog.metrics.items():
        d = metric.definition
        if (
            isinstance(d, AggregateMetric)
            and (d.agg, d.goal) == (agg, spec.event.goal)
            and not (d.where or d.snapshot or d.level == "account")
        ):
            return name
    return None


def _range_end(spec: TrendSpec, pop: Population) -> datetime:
    """Where the trend's data ends on the wall clock: the range's end, else just after the
    newest event the trend may read."""
    if pop.end is not None:
        return P.to_local(pop.end, spec.zone)
    events = pop.events(in_range=False)
    newest = pop.ws.engine.scalar(events.timestamp.max())
    return P.to_local(newest, spec.zone) + timedelta(microseconds=1)


def _drill(change_drill: Callable[..., ir.Table], labels: tuple[str, str]) -> Callable[..., Any]:
    """The people behind a reason: ``people(period=<last period>, dimension=..., value=...)``
    (``period=<the first compared period>`` for the compared ones)."""

    def drill(period: Any, dimension: str, value: str | None = None) -> ir.Table:
        wanted = str(period)
        if wanted not in labels:
            raise ConfigError(
                "the split compares two periods only", value=wanted, hint=" or ".join(labels)
            )
        side = "current" if wanted == labels[0] else "base"
        return change_drill(dimension=dimension, value=value, period=side)

    return drill


__all__ = ["ChangeWhy", "last_change"]
