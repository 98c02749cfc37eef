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
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import ibis
from pydantic import Field, field_validator, model_validator

from wayfinder.analyses import metric_change_query as Q
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
#: The best dimensions whose top values are cross-checked against each other (one grouped query
#: per pair): a value's move that is mostly another's falls behind it.
CROSS_CHECKED = 3


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
        p = plan(spec.metric, pop.ws)
        slots = _slots(spec, pop)
        engine = pop.ws.engine
        rows = Q.measured_events(pop, p.parts, slots)
        scale = _scale(slots)
        decomps: dict[str, D.Decomposition] = {}
        dims = {W.dimension_name(d): d for d in spec.dimensions}
        keyed_of: dict[str, Any] = {}
        traffic: dict[str, dict[str, tuple[float, float]]] = {}
        rank_part = 1 if p.ratio else 0
        # Cut the visits once: every dimension's aggregate reads the same tagged events.
        with rows.cache() as tagged:
            whole = _per_slot(engine.to_arrow(Q.totals(tagged, p.parts)).to_pylist(), scale)
            overall = whole.get("", {})
            for dim in spec.dimensions:
                name = W.dimension_name(dim)
                keyed = Q.with_key(pop, tagged, dim, slots)
                agg = engine.to_arrow(Q.by_value(keyed, p.parts, rank_part, spec.top))
                values = _per_slot(agg.to_pylist(), scale, key="_key")
                decomps[name] = _decompose(p, values, overall)
                keyed_of[name] = Q.with_key(pop, rows, dim, slots)  # drills run later
                traffic[name] = {
                    v: (x["base"]["visits"], x["current"]["visits"]) for v, x in values.items()
                }
            ranked = D.rank(decomps, exclude=W.NAMED)
            held = _cross_check(p, pop, tagged, slots, scale, dims, ranked)
        ranked = _reordered(ranked, held)
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
                return Q.drill(
                    rows.mutate(_key=ibis.literal(Q.NONE)),
                    slots=which,
                    key=None,
                    kept=[],
                    part=index,
                )
            if dimension not in keyed_of:
                raise ConfigError("unknown dimension", value=dimension, hint=", ".join(keyed_of))
            return Q.drill(
                keyed_of[dimension], slots=which, key=value, kept=kept[dimension], part=index
            )

        return Output(
            table=words.table(),
            answer=words.answer(),
            chart=words.chart(),
            tables={"dimensions": words.dimensions_table()},
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


def _per_slot(rows: list[dict], scale: float, key: str | None = None) -> dict[str, dict]:
    """``{value: {"base": {col: x}, "current": {col: x}}}``; the base is the compared slots'
    sum times ``scale`` (their average when they are n periods of the same length)."""
    out: dict[str, dict] = {}
    for r in rows:
        value = r[key] if key else ""
        entry = out.setdefault(value, {"base": {}, "current": {}})
        side = "current" if r["_slot"] == 0 else "base"
        for col, x in r.items():
            if col in ("_slot", "_key"):
                continue
            x = float(x or 0) * (scale if side == "base" else 1.0)
            entry[side][col] = entry[side].get(col, 0.0) + x
    for entry in out.values():
        for side in ("base", "current"):
            for col in ("visits", "p0", "p1"):
                entry[side].setdefault(col, 0.0)
    return out


def _decompose(p: Plan, values: dict[str, dict], overall: dict) -> D.Decomposition:
    names = sorted(values)
    b = [values[v]["base"] for v in names]
    c = [values[v]["current"] for v in names]
    base_total = overall.get("base", {"p0": 0.0, "p1": 0.0})
    current_total = overall.get("current", {"p0": 0.0, "p1": 0.0})
    if not p.ratio:
        return D.additive(
            names, [x["p0"] for x in b], [x["p0"] for x in c],
            base_total=base_total["p0"], current_total=current_total["p0"],
        )  # fmt: skip
    return D.shift_share(
        names,
        [x["p0"] for x in b], [x["p1"] for x in b],
        [x["p0"] for x in c], [x["p1"] for x in c],
        base_rate=_rate(base_total), current_rate=_rate(current_total),
    )  # fmt: skip


def _cross_check(
    p: Plan,
    pop: Population,
    tagged: Any,
    slots: Q.Slots,
    scale: float,
    dims: dict[str, Breakdown],
    ranked: list[tuple[str, D.Decomposition]],
) -> dict[tuple[str, str], float]:
    """``{(a, b): a's surprise with b's top value held out, as a part of the base total}`` for
    the top values of the best ``CROSS_CHECKED`` dimensions that explain the change: per pair one
    grouped query returns the four cells (in or out of each value) per slot, and each value's
    change is decomposed again over the rows outside the other value."""
    found = [(n, d) for n, d in ranked[:CROSS_CHECKED] if d.score(W.NAMED) >= W.MIN_SURPRISE]
    if len(found) < 2:
        return {}
    tops = {n: d.top_of(W.NAMED) for n, d in found}
    held: dict[tuple[str, str], float] = {}
    for (a, d), (b, _) in combinations(found, 2):
        top_a, top_b = tops[a], tops[b]
        assert top_a is not None and top_b is not None
        pair = ((dims[a], top_a.value), (dims[b], top_b.value))
        rows = pop.ws.engine.to_arrow(Q.crossed(pop, tagged, pair, slots, p.parts)).to_pylist()
        for r in rows:
            r["_key"] = (bool(r.pop("_a")), bool(r.pop("_b")))
        cells = _per_slot(rows, scale, key="_key")
        base = abs(d.base_total) or abs(d.current_total) or 1.0
        held[a, b] = _held(p, cells, top_a, first=True) / base
        held[b, a] = _held(p, cells, top_b, first=False) / base
    return held


def _held(p: Plan, cells: dict, top: D.Contribution, first: bool) -> float:
    """``top``'s surprise among the rows outside the other value: its value vs the rest there."""
    empty = {side: {"visits": 0.0, "p0": 0.0, "p1": 0.0} for side in ("base", "current")}

    def cell(mine: bool) -> dict:
        return cells.get((mine, False) if first else (False, mine), empty)

    values = {top.value: cell(True), "\0rest": cell(False)}
    outside = {
        side: {c: sum(v[side][c] for v in values.values()) for c in ("p0", "p1")}
        for side in ("base", "current")
    }
    return D.held_out(_decompose(p, values, outside), top.value, top)


def _reordered(
    ranked: list[tuple[str, D.Decomposition]], held: dict[tuple[str, str], float]
) -> list[tuple[str, D.Decomposition]]:
    """The cross-checked dimensions first, by what of their top value's move survives."""
    if not held:
        return ranked
    checked = list(dict.fromkeys(a for a, _ in held))
    of = dict(ranked)
    scores = {n: of[n].score(W.NAMED) for n in checked}
    order = D.cross_checked(checked, scores, held)
    return [(n, of[n]) for n in order] + [(n, d) for n, d in ranked if n not in checked]


def _rate(total: dict) -> float:
    return total["p0"] / total["p1"] if total["p1"] else 0.0
