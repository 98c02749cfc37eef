"""Why a metric changed: the metric in a period and in the periods it is compared with, split by
dimensions (channel, campaign, device, country, new vs returning, any property), ranked, in words.

    wf.metric_change(metric="orders")        # the last 7 days vs the weekly average of the 4 before
    wf.metric_change(metric="conversion_rate", time={"start": "2026-11-15", "end": "2026-11-21"},
                     compare="previous_period", dimensions=["channel", "person: country"])

Counts and sums split into each value's contribution; ratios (conversion rate, order value) into
rate, mix and interaction effects (``wayfinder.explain.decompose``). One grouped query per
dimension runs in the engine; only a few numbers per value and period come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ibis
from pydantic import Field, field_validator, model_validator

from wayfinder.analyses import metric_change_query as Q
from wayfinder.analyses import metric_change_split as S
from wayfinder.analyses import metric_change_tables as T
from wayfinder.analyses import metric_change_words as W
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import Breakdown, SpecBase, TimeRange
from wayfinder.analyses.steps import Step
from wayfinder.analyses.trend_query import goal_value, metric_measures
from wayfinder.errors import ConfigError, UnknownName
from wayfinder.explain import decompose as D
from wayfinder.semantic.conditions import check_column
from wayfinder.semantic.definitions import EventGoal, PageGoal
from wayfinder.store.schema import ACCOUNTS, EVENTS, PROFILES

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace

DEFAULT_DIMENSIONS = ("channel", "campaign", "device_type", "country", Q.NEW_VS_RETURNING)


class MetricChangeSpec(SpecBase):
    """A metric in ``time`` (the period; default the last 7 days, ending with the newest event's
    day) against ``compare``: ``"previous_periods"`` (the average of the ``periods_before``
    periods of the same length just before: default the 4 weeks before, scaled to one week),
    ``"previous_period"`` (the one just before) or a period ``{start, end}`` (scaled to the
    period's length). ``metric``: a catalog metric (``orders``, ``revenue``, ``conversion_rate``,
    ``aov``) or a goal, counted. ``dimensions``: ``channel``, ``campaign``, ``source`` (of the
    visit), ``new_vs_returning``, an events column or ``properties.<key>``, ``person: <column>``,
    ``account: <column>``; each keeps its ``top`` values, the rest are "Other"."""

    kind: Literal["metric_change"] = "metric_change"
    metric: str
    time: TimeRange = TimeRange(last="7d")
    compare: Literal["previous_periods", "previous_period"] | TimeRange = "previous_periods"
    periods_before: int = Field(4, ge=1, le=52)
    dimensions: tuple[Breakdown, ...] = tuple(Breakdown(property=d) for d in DEFAULT_DIMENSIONS)
    top: int = Field(10, ge=1, le=100)

    @field_validator("dimensions", mode="before")
    @classmethod
    def _dimensions(cls, value: Any) -> Any:
        value = (value,) if isinstance(value, str | dict) else value
        return tuple(_named(v) for v in value)

    @model_validator(mode="after")
    def _consistent(self) -> MetricChangeSpec:
        if not (self.time.last or (self.time.start and self.time.end)):
            raise ValueError("the period needs last (7d) or a start and an end")
        if isinstance(self.compare, TimeRange) and (
            self.compare.last or not (self.compare.start and self.compare.end)
        ):
            raise ValueError("compare with a period needs its start and end")
        if not self.dimensions:
            raise ValueError("name at least one dimension")
        return self

    def describe(self) -> str:
        dims = ", ".join(W.dimension_name(d) for d in self.dimensions)
        return (
            f"why {self.metric} changed: {self.describe_scope()} vs {W.compare_words(self)}, "
            f"split by {dims} (top {self.top} values each)"
        )


def _named(value: Any) -> Any:
    """Dimension words to columns: "new vs returning" is one dimension, "device" the device."""
    if isinstance(value, str):
        words = value.strip().lower().replace("-", " ").replace("_", " ")
        if words in ("new vs returning", "new or returning", "new and returning"):
            return {"property": Q.NEW_VS_RETURNING}
        if words in ("device", "device type"):
            return {"property": "device_type"}
    return value


@dataclass(frozen=True)
class Plan:
    """How the metric is measured: one additive part, or a numerator and a denominator."""

    name: str
    format: str
    parts: tuple[Q.Part, ...]

    @property
    def ratio(self) -> bool:
        return len(self.parts) == 2


def plan(metric: str, ws: Workspace) -> Plan:
    """The metric as parts read off events; goals on other tables are refused before running."""
    catalog = ws.catalog
    try:
        ref = catalog.metric(metric)
    except UnknownName:
        found = catalog.resolve(metric, kind="goal")
        if found is None:
            raise ConfigError(
                "unknown metric or goal", value=metric, hint="`wayfinder catalog` lists them"
            ) from None
        return _checked(Plan(found[1], "count", (Q.Part("count", Step(goal=found[1])),)), ws)
    measures = metric_measures(ref.definition, catalog.metrics)
    if measures is None:
        raise ConfigError(
            "why-changed reads metrics measured on events",
            value=ref.name,
            hint="snapshots and metrics of other tables are not split by dimension yet",
        )
    parts = []
    for m in measures:
        prop = m.property
        if m.agg in ("sum", "average") and prop is None:
            prop = goal_value(m.step, catalog)
        if m.agg == "average":
            parts += [Q.Part("sum", m.step, prop, m.where), Q.Part("count", m.step, None, m.where)]
        else:
            agg = {"count": "count", "unique_people": "unique", "sum": "sum"}[m.agg]
            parts.append(Q.Part(agg, m.step, prop, m.where))  # type: ignore[arg-type]
    return _checked(Plan(ref.name, ref.definition.format, tuple(parts)), ws)


def _checked(p: Plan, ws: Workspace) -> Plan:
    for part in p.parts:
        if part.step is not None and part.step.goal is not None:
            d = ws.catalog.goal(part.step.goal).definition.definition
            if not isinstance(d, EventGoal | PageGoal):
                raise ConfigError(
                    "why-changed reads goals reached on events",
                    value=part.step.goal,
                    hint="goals on deals or subscriptions are not split by dimension yet",
                )
    return p


class MetricChangeRunner(Runner):
    kind = "metric_change"
    spec_type = MetricChangeSpec

    def validate(self, spec: SpecBase, ws: Workspace) -> MetricChangeSpec:
        assert isinstance(spec, MetricChangeSpec)
        p = plan(spec.metric, ws)
        tables = {"event": EVENTS, "person": PROFILES, "account": ACCOUNTS}
        for d in spec.dimensions:
            if d.on == "event" and (d.property in Q.VISIT_DIMENSIONS or d.property in (
                Q.NEW_VS_RETURNING, *Q.VISIT_DIMENSIONS.values()
            )):  # fmt: skip
                continue
            if problem := check_column(tables[d.on], d.property):
                raise ConfigError(
                    f"cannot split by {d.on} property", value=d.property, hint=problem
                )
        return spec.model_copy(update={"metric": p.name})

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        assert isinstance(spec, MetricChangeSpec)
        out = explain(spec, pop, plan(spec.metric, pop.ws))
        assert out is not None
        return out


def explain(
    spec: MetricChangeSpec,
    pop: Population,
    p: Plan,
    *,
    notable_only: bool = False,
    slots: Q.Slots | None = None,
) -> Output | None:
    """The metric change of ``spec`` measured as ``p``; with ``notable_only`` (the why other
    analyses attach), None unless the total moved by more than ``D.MOVED`` and beyond its noise
    (``Decomposition.notable``): one totals query without visits decides before any dimension
    is split. ``slots``: the period and the compared periods when the caller has its own (a
    trend's calendar periods), instead of those of ``spec``."""
    slots = slots or _slots(spec, pop)
    engine = pop.ws.engine
    scale = _scale(slots)
    if notable_only:
        quick = engine.to_arrow(Q.totals(Q.counted_events(pop, p.parts, slots), p.parts))
        whole = S.per_slot(quick.to_pylist(), scale, p.parts)
        if not whole or not S.decompose(p, whole, whole[""], scale).notable:
            return None
    rows = Q.measured_events(pop, p.parts, slots)
    decomps: dict[str, D.Decomposition] = {}
    dims = {W.dimension_name(d): d for d in spec.dimensions}
    keyed_of: dict[str, Any] = {}
    traffic: dict[str, dict[str, tuple[float, float]]] = {}
    rank_part = 1 if p.ratio else 0
    # Cut the visits once: every dimension's aggregate reads the same tagged events.
    with rows.cache() as tagged:
        totals = engine.to_arrow(Q.totals(tagged, p.parts)).to_pylist()
        whole = S.per_slot(totals, scale, p.parts)
        overall = whole.get("", {})
        for dim in spec.dimensions:
            name = W.dimension_name(dim)
            keyed = Q.with_key(pop, tagged, dim, slots)
            agg = engine.to_arrow(Q.by_value(keyed, p.parts, rank_part, spec.top))
            values = S.per_slot(agg.to_pylist(), scale, p.parts, key="_key")
            decomps[name] = S.decompose(p, values, overall, scale)
            keyed_of[name] = Q.with_key(pop, rows, dim, slots)  # drills run later
            traffic[name] = {
                v: (x["base"]["visits"], x["current"]["visits"]) for v, x in values.items()
            }
        ranked = D.rank(decomps, exclude=W.NAMED)
        held = S.cross_check(p, pop, tagged, slots, scale, dims, ranked)
    ranked = S.reordered(ranked, held)
    words = W.Words(spec, p, slots, overall, ranked, traffic, held)
    kept = {n: [c.value for c in d.parts if c.value != Q.OTHER] for n, d in decomps.items()}

    def drill(
        dimension: str | None = None,
        value: str | None = None,
        period: str = "current",
        part: str = "numerator",
    ) -> Any:
        if period not in ("current", "base"):
            raise ConfigError("period is current or base", value=period)
        which = tuple(range(1, len(slots.bases) + 1)) if period == "base" else (0,)
        index = 1 if (part == "denominator" and p.ratio) else 0
        if dimension is None:
            everyone = rows.mutate(_key=ibis.literal(Q.NONE))
            return Q.drill(everyone, slots=which, key=None, kept=[], part=index)
        if dimension not in keyed_of:
            raise ConfigError("unknown dimension", value=dimension, hint=", ".join(keyed_of))
        return Q.drill(
            keyed_of[dimension], slots=which, key=value, kept=kept[dimension], part=index
        )

    return Output(
        table=T.table(words),
        answer=words.answer(),
        chart=T.chart(words),
        tables={"dimensions": T.dimensions_table(words)},
        drill=drill,
        why=words.reasons(),
    )


def _slots(spec: MetricChangeSpec, pop: Population) -> Q.Slots:
    start, end = pop.start, pop.end
    if start is None or end is None:
        raise ConfigError("no events to measure the period from", value=str(spec.time))
    if isinstance(spec.compare, TimeRange):
        lo, hi = spec.compare.bounds(spec.zone, None)
        assert lo is not None and hi is not None
        if lo < end and hi > start:
            raise ConfigError("the comparison period overlaps the period", value=str(spec.compare))
        return Q.Slots(start, end, ((lo, hi),))
    n = 1 if spec.compare == "previous_period" else spec.periods_before
    length = end - start
    return Q.Slots(start, end, tuple((start - k * length, start - (k - 1) * length) for k in
                                     range(1, n + 1)))  # fmt: skip


def _scale(slots: Q.Slots) -> float:
    """What the compared slots' sum is multiplied by to stand for one period's length."""
    compared = sum((hi - lo).total_seconds() for lo, hi in slots.bases)
    return (slots.end - slots.start).total_seconds() / compared
