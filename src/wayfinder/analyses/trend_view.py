"""How a trend reads: its table, the answer in words, and the Plotly chart, from the series
the aggregates were shaped into (``trend_shape``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from wayfinder.analyses import periods as P
from wayfinder.analyses import trend_query as Q
from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.runner import Output

if TYPE_CHECKING:
    from wayfinder.analyses.trends import TrendSpec

_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


@dataclass
class Series:
    """The numbers of a trend: per (period, breakdown value), and over the whole ranges."""

    periods: list[datetime]
    groups: list[str | None]
    value: dict[tuple[datetime, str | None], float | None]
    compare: dict[tuple[datetime, str | None], float | None] = field(default_factory=dict)
    total: float | None = None
    compare_total: float | None = None
    kept: list[str] = field(default_factory=list)
    integer: bool = True
    #: Shown as a percent (ratio metrics such as conversion rate).
    percent: bool = False


def compare_period(p: datetime, win: Q.Windows) -> datetime:
    """The start of the comparison period lined up with period ``p``."""
    return P.add_months(p, -win.months) if win.months else p - win.shift


def output(
    spec: TrendSpec,
    win: Q.Windows,
    series: Series,
    drill: Any = None,
    reasons: list[Reason] | None = None,
) -> Output:
    """``reasons``: the why found elsewhere (the last change split by dimension,
    ``trend_why``), after the breakdown's own."""
    return Output(
        table=table(spec, win, series),
        answer=answer(spec, series),
        chart=chart(spec, win, series),
        drill=drill,
        why=why(spec, series) + (reasons or []),
    )


def why(spec: TrendSpec, s: Series) -> list[Reason]:
    """With a breakdown of an additive measure, the value that moved the last period most: the
    decomposition of the change from the period before (from the trend's own numbers)."""
    from wayfinder.explain.decompose import additive

    additive_measure = spec.metric is None and spec.measure in ("count", "sum", "unique_people")
    if not spec.why or spec.breakdown is None or not additive_measure or len(s.periods) < 2:
        return []
    last, before = s.periods[-1], s.periods[-2]
    groups = [g for g in s.groups if g is not None]
    base = [s.value.get((before, g)) or 0.0 for g in groups]
    current = [s.value.get((last, g)) or 0.0 for g in groups]
    totals = {}
    if spec.measure == "unique_people":  # people may count under two values
        totals = {"base_total": s.value.get((before, None)), "current_total": None}
        totals = {k: v for k, v in totals.items() if v is not None}
    d = additive(groups, base, current, **totals)
    if not d.parts or not d.current_total - d.base_total:
        return []
    top = max(d.parts, key=lambda part: abs(part.surprise))
    moved = d.current_total - d.base_total
    direction = "rose" if moved > 0 else "fell"
    pct = f" {abs(moved) / d.base_total:.0%}" if d.base_total else ""
    share = f"{top.share:.0%} of the change" if top.share is not None else "the change"
    own = f"{(top.current - top.base) / top.base:+.0%}" if top.base else "new"
    last_label, before_label = P.label(last, spec.interval), P.label(before, spec.interval)
    sentence = (
        f"{measure_phrase(spec).capitalize()} {direction}{pct} in the period of {last_label} "
        f"against {before_label}; {top.value} ({spec.breakdown}) accounts for {share} "
        f"(its own {own}, {top.base:,.0f} -> {top.current:,.0f})."
    )
    evidence = {
        "period": str(last_label), "before": str(before_label), "value": top.value,
        "change": top.change, "share": top.share, "surprise": top.surprise,
        "total_before": d.base_total, "total": d.current_total,
    }  # fmt: skip
    selector = {"period": str(last_label), "breakdown": top.value}
    return [Reason(sentence, "decomposition", evidence, people=selector)]


def table(spec: TrendSpec, win: Q.Windows, s: Series) -> pa.Table:
    """period, [breakdown], value, [compare_period, compare_value, change]."""
    number = pa.int64() if s.integer else pa.float64()
    period_type = pa.timestamp("us") if spec.interval == "hour" else pa.date32()
    cols: dict[str, list] = {"period": []}
    if spec.breakdown is not None:
        cols["breakdown"] = []
    cols["value"] = []
    if win.comparing:
        cols |= {"compare_period": [], "compare_value": [], "change": []}
    for p in s.periods:
        for g in s.groups:
            cols["period"].append(P.label(p, spec.interval))
            if spec.breakdown is not None:
                cols["breakdown"].append(g)
            value = s.value[p, g]
            cols["value"].append(value)
            if win.comparing:
                before = s.compare[p, g]
                cols["compare_period"].append(P.label(compare_period(p, win), spec.interval))
                cols["compare_value"].append(before)
                cols["change"].append(change(value, before))
    types = {"period": period_type, "breakdown": pa.string(), "value": number}
    types |= {"compare_period": period_type, "compare_value": number, "change": pa.float64()}
    return pa.table({k: pa.array(v, type=types[k]) for k, v in cols.items()})


def change(value: float | None, before: float | None) -> float | None:
    """(value - before) / before; None when there is nothing to compare with."""
    if value is None or not before:
        return None
    return (value - before) / before


def measure_phrase(spec: TrendSpec) -> str:
    """What is measured, in words (for the interpretation)."""
    if spec.metric is not None:
        return f"metric {spec.metric}"
    what = str(spec.event) if spec.event is not None else "every event"
    prop = spec.property or "value"
    return {
        "count": f"count of {what}",
        "unique_people": f"people who did {what}",
        "sum": f"sum of {prop} of {what}",
        "average": f"average {prop} of {what}",
    }[spec.measure]


def subject(spec: TrendSpec) -> str:
    """What is measured, as the answer's opening words."""
    if spec.metric is not None:
        # Short metric names are acronyms: MRR, AOV.
        text = spec.metric.upper() if len(spec.metric) <= 3 else spec.metric.replace("_", " ")
    else:
        name = spec.event.name if spec.event is not None else None
        if name and spec.event is not None and spec.event.goal and not spec.event.label:
            name = name.replace("_", " ")
        prop = spec.property or "value"
        text = {
            "count": name or "events",
            "unique_people": f"people who did {name}" if name else "people with any event",
            "sum": f"{prop} of {name or 'all events'}",
            "average": f"average {prop} of {name or 'all events'}",
        }[spec.measure]
    return text[:1].upper() + text[1:]


def fmt(value: float | None, s: Series) -> str:
    if value is None:
        return "n/a"
    if s.percent:
        return f"{value:.1%}"
    return f"{value:,.0f}" if s.integer else f"{value:,.2f}"


def range_phrase(spec: TrendSpec) -> str:
    t = spec.time
    if t.last:
        n, unit = int(t.last[:-1]), _UNITS[t.last[-1]]
        return f"in the last {n} {unit}s" if n != 1 else f"in the last {unit}"
    if t.start and t.end:
        return f"from {t.start} to {t.end}"
    if t.start:
        return f"since {t.start}"
    if t.end:
        return f"until {t.end}"
    return "over all time"


def compare_phrase(spec: TrendSpec) -> str:
    if spec.compare == "previous_period":
        if spec.time.last:
            n, unit = int(spec.time.last[:-1]), _UNITS[spec.time.last[-1]]
            return f"the {n} {unit}s before" if n != 1 else f"the {unit} before"
        return "the period before"
    assert spec.compare is not None and not isinstance(spec.compare, str)
    return f"{spec.compare.start} to {spec.compare.end}"


def answer(spec: TrendSpec, s: Series) -> str:
    """One or two sentences: the total, the change on the comparison, the peak or top value."""
    if not s.periods:
        return f"{subject(spec)}: nothing {range_phrase(spec)}."
    text = f"{subject(spec)}: {fmt(s.total, s)} {range_phrase(spec)}"
    if spec.compare is not None:
        before = s.compare_total
        rate = change(s.total, before)
        if rate is None:
            text += f", against {fmt(before, s)} in {compare_phrase(spec)}"
        else:
            way = "up" if rate > 0 else "down"
            text += (
                f", {way} {abs(rate):.0%} on {compare_phrase(spec)} ({fmt(before, s)})"
                if round(abs(rate), 2)
                else f", level with {compare_phrase(spec)}"
            )
    text += "."
    if spec.breakdown is None and len(s.periods) > 1:
        known = [(v, p) for (p, _), v in s.value.items() if v is not None]
        if known:
            best, when = max(known, key=lambda vp: (vp[0], -vp[1].timestamp()))
            at = P.label(when, spec.interval)
            text += f" Peak {spec.interval} of {at} with {fmt(best, s)}."
    elif spec.breakdown is not None and s.kept:
        top = s.kept[0]
        if spec.measure in ("count", "sum") and spec.metric is None:
            total = sum(v or 0 for (_, g), v in s.value.items() if g == top)
            text += f" Most from {top} ({fmt(total, s)})."
        else:
            text += f" Largest {spec.breakdown}: {top}."
    return text


def chart(spec: TrendSpec, win: Q.Windows, s: Series) -> dict[str, Any]:
    """A Plotly line chart: one line per breakdown value, the comparison dashed."""
    x = [P.label(p, spec.interval).isoformat() for p in s.periods]
    data = []
    for g in s.groups:
        name = g if g is not None else subject(spec)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "legendgroup": name,
                "x": x,
                "y": [s.value[p, g] for p in s.periods],
            }
        )
        if win.comparing:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{name}, {compare_phrase(spec)}",
                    "legendgroup": name,
                    "line": {"dash": "dash"},
                    "x": x,
                    "y": [s.compare[p, g] for p in s.periods],
                    "customdata": [
                        P.label(compare_period(p, win), spec.interval).isoformat()
                        for p in s.periods
                    ],
                }
            )
    return {
        "data": data,
        "layout": {
            "title": {"text": f"{subject(spec)} by {spec.interval}"},
            "xaxis": {"title": {"text": spec.interval}},
            "yaxis": {"title": {"text": measure_phrase(spec)}, "rangemode": "tozero"},
            "hovermode": "x unified",
        },
    }
