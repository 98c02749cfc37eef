"""A trend's aggregates shaped into its series: every period filled, the comparison lined up,
ratio metrics divided, the drill-down to people, and the metrics the semantic layer computes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from wayfinder.analyses import periods as P
from wayfinder.analyses import trend_query as Q
from wayfinder.analyses.runner import Output
from wayfinder.analyses.trend_view import Series, output
from wayfinder.analyses.trend_why import last_change
from wayfinder.errors import ConfigError

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.analyses.trends import TrendSpec

_TINY = timedelta(microseconds=1)


def shape(spec: TrendSpec, pop: Population, win: Q.Windows, parts: list[tuple]) -> Output:
    """The Output of a trend from one aggregate per measure (two for a ratio metric)."""
    figures = [_figures(win, measure, rows, people) for measure, _, rows, people in parts]
    cells, totals = figures[0]
    integer = parts[0][0].agg in ("count", "unique_people") and len(parts) == 1
    if len(figures) == 2:
        cells, totals = _divide(figures[0], figures[1])
    ranks: dict[str | None, int] = {}
    for (_, _, group), (_, rank) in cells.items():
        ranks[group] = min(rank, ranks.get(group, rank))
    groups = sorted(ranks, key=lambda g: (ranks[g], g or ""))
    top = spec.breakdown.top if spec.breakdown is not None else 0
    series = Series(
        periods=_periods(spec, pop, [p for (c, p, _) in cells if not c]),
        groups=groups if spec.breakdown is not None else [None],
        value={},
        total=totals.get(False),
        compare_total=totals.get(True),
        kept=[g for g in groups if g is not None and ranks[g] <= top],
        integer=integer,
        percent=_percent(spec, pop),
    )
    empty = 0 if parts[0][0].agg in ("count", "unique_people", "sum") and len(parts) == 1 else None
    covered = _coverage(spec, win)
    for p in series.periods:
        for g in series.groups:
            found = cells.get((False, p, g))
            series.value[p, g] = found[0] if found else empty
            if win.comparing:
                found = cells.get((True, p, g))
                series.compare[p, g] = found[0] if found else (empty if covered(p) else None)
    drill = _drill(spec, win, parts[0][1], series.kept)
    change = last_change(spec, pop, tuple(m for m, *_ in parts), series)
    if change.drill is not None:
        drill = _with_split(drill, change.drill)
    return output(spec, win, series, drill, change.reasons)


def _figures(win: Q.Windows, measure: Q.Measure, rows: list[dict], people: list | None):
    """``{(compare, period, group): (value, rank)}`` and ``{compare: total}`` of one measure."""
    sums: dict[tuple, dict[str, float]] = {}
    ranks: dict[tuple, int] = {}
    for r in rows:
        period = r["_period"]
        if r["_cmp"] and win.months:
            period = P.add_months(period, win.months)
        key = (bool(r["_cmp"]), period, r["_group"])
        acc = sums.setdefault(key, {"n": 0, "s": 0.0, "c": 0, "u": 0})
        for name in ("n", "s", "c", "u"):
            acc[name] += r.get(name) or 0
        ranks[key] = int(r["_rank"])
    cells = {k: (_value(measure.agg, acc), ranks[k]) for k, acc in sums.items()}
    totals: dict[bool, float | None] = {}
    for compare in (False, True):
        accs = [acc for k, acc in sums.items() if k[0] == compare]
        whole = {name: sum(a[name] for a in accs) for name in ("n", "s", "c", "u")}
        totals[compare] = _value(measure.agg, whole)
    if people is not None:
        totals = {False: 0, True: 0} | {bool(r["_cmp"]): int(r["u"]) for r in people}
    return cells, totals


def _value(agg: str, acc: dict[str, float]) -> float | None:
    if agg == "count":
        return int(acc["n"])
    if agg == "unique_people":
        return int(acc["u"])
    if agg == "sum":
        return float(acc["s"])
    return acc["s"] / acc["c"] if acc["c"] else None


def _divide(num: tuple, den: tuple) -> tuple[dict, dict]:
    """A ratio metric per period and over the ranges: numerator / denominator, None over 0."""
    (n_cells, n_totals), (d_cells, d_totals) = num, den

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if not b else (a or 0) / b

    keys = set(n_cells) | set(d_cells)
    cells = {k: (ratio(n_cells.get(k, (0, 0))[0], d_cells.get(k, (0, 0))[0]), 0) for k in keys}
    totals = {c: ratio(n_totals.get(c), d_totals.get(c)) for c in (False, True)}
    return cells, totals


def _periods(spec: TrendSpec, pop: Population, seen: list[datetime]) -> list[datetime]:
    """Every period of the range; an open side ends at the first or last period with data."""
    tz = spec.zone
    first = P.to_local(pop.start, tz) if pop.start is not None else (min(seen) if seen else None)
    last = P.to_local(pop.end, tz) - _TINY if pop.end is not None else (max(seen) if seen else None)
    if first is None or last is None or last < first:
        return []
    return P.series(first, last, spec.interval)


def _coverage(spec: TrendSpec, win: Q.Windows):
    """Whether a period of the range has a comparison period (a given period may be shorter)."""
    if not win.comparing:
        return lambda p: False
    tz = spec.zone
    lo, hi = (_moved(P.to_local(b, tz), win) for b in (win.compare_start, win.compare_end))
    return lambda p: p < hi and P.add(p, spec.interval) > lo


def _moved(moment: datetime, win: Q.Windows) -> datetime:
    """A comparison-range time moved onto the range (by wall-clock shift, or by months)."""
    if not win.months:
        return moment + win.shift
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return P.add_months(start, win.months) + (moment - start)


def _drill(spec: TrendSpec, win: Q.Windows, keyed: Any, kept: list[str]):
    def people(period: Any = None, breakdown: str | None = None, compare: bool = False):
        if period is None:
            raise ConfigError("say which period", hint="people(period='2026-03-02')")
        if breakdown is not None and spec.breakdown is None:
            raise ConfigError("this trend has no breakdown", value=breakdown)
        if compare and not win.comparing:
            raise ConfigError("this trend has no comparison")
        p = P.parse_period(period, spec.interval)
        if compare and win.months:
            p = P.add_months(p, -win.months)
        return Q.drill_rows(keyed, compare=compare, period=p, group=breakdown, kept=kept)

    return people


def _with_split(drill: Any, split: Any):
    """The trend's drill-down, and the people behind a reason of the last period's split:
    ``people(period="2026-11-16", dimension="channel", value="Paid Search")``."""

    def people(
        period: Any = None,
        breakdown: str | None = None,
        compare: bool = False,
        dimension: str | None = None,
        value: str | None = None,
    ):
        if dimension is not None:
            return split(period, dimension, value)
        return drill(period, breakdown, compare)

    return people


def _percent(spec: TrendSpec, pop: Population) -> bool:
    return (
        spec.metric is not None
        and pop.ws.catalog.metric(spec.metric).definition.format == "percent"
    )


# -- metrics the semantic layer computes -----------------------------------------------------------
def semantic_metric(spec: TrendSpec, pop: Population, win: Q.Windows) -> Output:
    """A metric the trend cannot read row by row (MRR, open pipeline, CRM tables), computed by
    the semantic layer as defined: UTC periods, no filters or breakdown, whole tables."""
    if spec.timezone != "UTC" or spec.filters or spec.breakdown is not None:
        raise ConfigError(
            f"metric {spec.metric} is computed by the semantic layer as defined",
            hint="it takes UTC periods and no filters or breakdown",
        )
    if pop.leaves_people_out():
        # These metrics read whole tables; counting people the workspace's rules leave out
        # (withdrawn consent, exclusions) would break the rules every analysis must honour.
        raise ConfigError(
            f"metric {spec.metric} reads whole tables, and this workspace leaves people out "
            "(withdrawn analytics consent or excluded people)",
            hint="trend its goal's events instead, or a metric defined over events",
        )
    ws, engine = pop.ws, pop.ws.engine
    ref = ws.catalog.metric(spec.metric)

    def run(start: datetime | None, end: datetime | None) -> tuple[list, float | None]:
        rows = engine.to_arrow(ref.compute(ws, start, end, by=spec.interval)).to_pylist()
        total = engine.to_arrow(ref.compute(ws, start, end)).to_pylist()[0][ref.name]
        return [(r["period"], r[ref.name]) for r in rows], total

    main, total = run(pop.start, pop.end)
    periods = [p for p, _ in main]
    series = Series(periods, [None], {(p, None): v for p, v in main}, total=total, integer=False)
    series.percent = _percent(spec, pop)
    if win.comparing:
        before, series.compare_total = run(win.compare_start, win.compare_end)
        values = [v for _, v in before] + [None] * len(periods)
        series.compare = {(p, None): values[i] for i, p in enumerate(periods)}
    return output(spec, win, series)
