"""A funnel's result from who reached which step: the step table, time to convert, the chart,
the answer and the drill-down (the paths people took instead are in ``funnel_dropped``).

Each view is one aggregate query over the per-person reach table, which is cached in the engine
while they run; only counts and quantiles come back to Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.funnel_dropped import dropped_paths
from wayfinder.analyses.funnel_steps import reach
from wayfinder.analyses.funnel_why import drill_feature, drop_drivers, group_gap
from wayfinder.analyses.runner import Output
from wayfinder.errors import ConfigError

if TYPE_CHECKING:
    from wayfinder.analyses.funnels import FunnelSpec
    from wayfinder.analyses.population import Population

#: Breakdown labels for a missing value and for values outside the top.
NONE, OTHER = "(none)", "Other"
#: Time-to-convert histogram edges (seconds), cut at the funnel's window.
EDGES = [0, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, *(d * 86400 for d in (1, 2, 4, 7, 14, 30, 60))]


def funnel_output(spec: FunnelSpec, pop: Population) -> Output:
    engine = pop.ws.engine
    names = spec.step_names()
    with reach(spec, pop).cache() as people:
        people = people.mutate(value=people.value.fill_null(NONE))
        top = _top_values(spec, people, engine)
        people = people.mutate(group=_group(spec, people, top))
        stats = engine.to_arrow(_step_stats(spec, people)).to_pylist()
        dropped = dropped_paths(spec, pop, people, engine) if spec.dropped_paths else None
        order = {v: i for i, v in enumerate([*top, OTHER])}
        stats.sort(key=lambda r: (order.get(r["group"], len(order)), r["group"]))
        table = _step_table(spec, names, stats)
        drop = drop_drivers(spec, pop, names, table, people)
    tables = {"time_to_convert": _histogram(spec, names, stats)}
    if drop.table is not None:
        tables["drivers"] = drop.table
    if dropped is not None:
        tables["dropped_paths"] = dropped
    return Output(
        table=table,
        answer=answer(spec, names, table),
        chart=chart(spec, names, table),
        tables=tables,
        drill=lambda **selector: drill(spec, pop, top, **selector),
        why=group_gap(spec, names, table) + drop.reasons,
    )


# -- breakdown groups ----------------------------------------------------------------------------
def _top_values(spec: FunnelSpec, people: ir.Table, engine: Any) -> list[str]:
    """The breakdown's ``top`` values by people entering the funnel (ties by value)."""
    if spec.breakdown is None:
        return []
    counts = people.group_by("value").aggregate(n=people.count())
    counts = counts.order_by([counts.n.desc(), counts.value]).limit(spec.breakdown.top)
    return [r["value"] for r in engine.to_arrow(counts).to_pylist()]


def _group(spec: FunnelSpec, people: ir.Table, top: list[str]) -> ir.StringValue:
    if spec.breakdown is None:
        return ibis.literal("all")
    return ibis.cases((people.value.isin(top), people.value), else_=ibis.literal(OTHER))


# -- counts and times ----------------------------------------------------------------------------
def _buckets(spec: FunnelSpec) -> list[tuple[int, int, str]]:
    """(from, to, label) histogram buckets; ``to`` is excluded except in the last bucket, which
    ends at the window (a conversion exactly at the window's end counts).

    >>> from wayfinder.analyses.funnels import FunnelSpec
    >>> _buckets(FunnelSpec(steps=["a", "b"], window="10m"))
    [(0, 60, '< 1 min'), (60, 300, '1-5 min'), (300, 600, '5-10 min')]
    """
    window = spec.window_seconds
    edges = [e for e in EDGES if e < window] + [window]
    return [(lo, hi, _label(lo, hi)) for lo, hi in zip(edges, edges[1:], strict=False)]


def _label(lo: int, hi: int) -> str:
    """A bucket's label.

    >>> _label(0, 60), _label(300, 900), _label(43200, 86400), _label(60, 90)
    ('< 1 min', '5-15 min', '12 h-1 d', '1 min-90 s')
    """
    (a, unit_a), (b, unit_b) = _unit(lo), _unit(hi)
    if lo == 0:
        return f"< {b} {unit_b}"
    return f"{a}-{b} {unit_b}" if unit_a == unit_b else f"{a} {unit_a}-{b} {unit_b}"


def _unit(s: int) -> tuple[int, str]:
    for size, name in ((86400, "d"), (3600, "h"), (60, "min")):
        if s % size == 0:
            return s // size, name
    return s, "s"


def _step_stats(spec: FunnelSpec, people: ir.Table) -> ir.Table:
    n = len(spec.steps)
    aggs: dict[str, ir.Value] = {}
    for k in range(1, n + 1):
        aggs[f"p{k}"] = (people.furthest >= k).cast("int64").sum()
        if k == 1:
            continue
        t = people[f"t{k}"]
        aggs[f"med{k}"] = t.quantile(0.5)
        aggs[f"p90_{k}"] = t.quantile(0.9)
        buckets = _buckets(spec)
        for b, (lo, hi, _) in enumerate(buckets):
            inside = (t >= lo) & ((t <= hi) if b == len(buckets) - 1 else (t < hi))
            aggs[f"h{k}_{b}"] = inside.fill_null(False).cast("int64").sum()
    return people.group_by("group").aggregate(**aggs)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _step_table(spec: FunnelSpec, names: list[str], stats: list[dict]) -> pa.Table:
    n = len(spec.steps)
    rows = []
    groups = stats or [{"group": "all", **{f"p{k}": 0 for k in range(1, n + 1)}}]
    for g in groups:
        for k in range(1, n + 1):
            people = int(g[f"p{k}"] or 0)
            first, prev = int(g["p1"] or 0), int(g[f"p{k - 1}"] or 0) if k > 1 else people
            nxt = int(g[f"p{k + 1}"] or 0) if k < n else None
            row = {} if spec.breakdown is None else {"breakdown": g["group"]}
            row.update(
                step=k,
                step_name=names[k - 1],
                people=people,
                conversion_from_first=_ratio(people, first),
                conversion_from_previous=_ratio(people, prev),
                dropped=None if nxt is None else people - nxt,
                median_seconds=_float(g.get(f"med{k}")),
                p90_seconds=_float(g.get(f"p90_{k}")),
            )
            rows.append(row)
    schema = [
        *([("breakdown", pa.string())] if spec.breakdown is not None else []),
        ("step", pa.int64()), ("step_name", pa.string()), ("people", pa.int64()),
        ("conversion_from_first", pa.float64()), ("conversion_from_previous", pa.float64()),
        ("dropped", pa.int64()), ("median_seconds", pa.float64()), ("p90_seconds", pa.float64()),
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=pa.schema(schema))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _histogram(spec: FunnelSpec, names: list[str], stats: list[dict]) -> pa.Table:
    rows = []
    for g in stats:
        for k in range(2, len(spec.steps) + 1):
            for b, (lo, hi, label) in enumerate(_buckets(spec)):
                row = {} if spec.breakdown is None else {"breakdown": g["group"]}
                row.update(
                    step=k,
                    step_name=names[k - 1],
                    bucket=label,
                    from_seconds=lo,
                    to_seconds=hi,
                    people=int(g[f"h{k}_{b}"] or 0),
                )
                rows.append(row)
    schema = [
        *([("breakdown", pa.string())] if spec.breakdown is not None else []),
        ("step", pa.int64()), ("step_name", pa.string()), ("bucket", pa.string()),
        ("from_seconds", pa.int64()), ("to_seconds", pa.int64()), ("people", pa.int64()),
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=pa.schema(schema))


# -- drill-down ----------------------------------------------------------------------------------
def drill(
    spec: FunnelSpec,
    pop: Population,
    top: list[str],
    step: int = 1,
    dropped: bool = False,
    breakdown: str | None = None,
    feature: str | None = None,
) -> ir.Table:
    """People who reached ``step`` (with ``dropped``: and went no further), of one breakdown
    value (``"Other"`` and ``"(none)"`` included) when given, with one of the why's features
    at that step when given (``feature="device:mobile"``)."""
    n = len(spec.steps)
    if not 1 <= step <= n:
        raise ConfigError("no such step", value=step, hint=f"steps are 1 to {n}")
    if dropped and step == n:
        raise ConfigError("nobody drops after the last step", value=step)
    people = reach(spec, pop)
    people = people.filter(people.furthest == step if dropped else people.furthest >= step)
    if breakdown is not None:
        if spec.breakdown is None:
            raise ConfigError("this funnel has no breakdown", value=breakdown)
        value = people.value.fill_null(NONE)
        people = people.filter(~value.isin(top) if breakdown == OTHER else value == breakdown)
    if feature is not None:
        people = drill_feature(spec, pop, people, step, feature)
    return people.select("person_id")


# -- chart and answer ----------------------------------------------------------------------------
def chart(spec: FunnelSpec, names: list[str], table: pa.Table) -> dict[str, Any]:
    rows = table.to_pylist()
    groups = list(dict.fromkeys(r.get("breakdown", "all") for r in rows))
    data = []
    for g in groups:
        mine = [r for r in rows if r.get("breakdown", "all") == g]
        trace = {
            "type": "funnel",
            "y": names,
            "x": [r["people"] for r in mine],
            "textinfo": "value+percent initial",
        }
        if spec.breakdown is not None:
            trace["name"] = g
        data.append(trace)
    title = " > ".join(names)
    layout: dict[str, Any] = {"title": {"text": title}, "yaxis": {"title": {"text": "step"}}}
    if spec.breakdown is not None:
        layout["legend"] = {"title": {"text": str(spec.breakdown)}}
        layout["funnelmode"] = "group"
    return {"data": data, "layout": layout}


def answer(spec: FunnelSpec, names: list[str], table: pa.Table) -> str:
    rows = table.to_pylist()
    n = len(spec.steps)
    from wayfinder.analyses.funnels import in_words

    steps = [
        {k: sum(r[k] for r in rows if r["step"] == s) for k in ("people",)} for s in range(1, n + 1)
    ]
    entered, converted = steps[0]["people"], steps[-1]["people"]
    path = " > ".join(names)
    if not entered:
        return f"{path}: nobody did the first step ({names[0]}) in {spec.time}."
    text = (
        f"{path}: {converted:,} of {entered:,} people ({converted / entered:.1%}) reached the last "
        f"step within {in_words(spec.window)}."
    )
    drops = [
        (1 - steps[k]["people"] / steps[k - 1]["people"], k)
        for k in range(1, n)
        if steps[k - 1]["people"]
    ]
    if drops:
        loss, k = max(drops)
        text += f" The biggest drop is {names[k - 1]} > {names[k]}: {loss:.0%} did not continue."
    if spec.breakdown is not None:
        rates = {
            r["breakdown"]: r["conversion_from_first"]
            for r in rows
            if r["step"] == n and r["conversion_from_first"] is not None
        }
        if len(rates) > 1:
            best, worst = max(rates, key=rates.get), min(rates, key=rates.get)
            text += (
                f" By {spec.breakdown}: {best} converts best ({rates[best]:.1%}), "
                f"{worst} worst ({rates[worst]:.1%})."
            )
    return text
