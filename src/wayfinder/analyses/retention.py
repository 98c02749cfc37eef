"""Cohort retention: of the people who did a start event in a period, how many came back to do a
return event 1, 2, ... N periods later; first-time or recurring cohorts, "on" or "on or after".

Events are reduced to one row per person and period in the engine before any join, so the work
grows with people times active periods, not with events; the small counts are shaped here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import Field

from wayfinder.analyses.cohorts import (
    ADVERB,
    Clock,
    Interval,
    check_breakdown,
    flagged_rows,
    rows_table,
    with_breakdown,
)
from wayfinder.analyses.population import Population
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import Breakdown, SpecBase
from wayfinder.analyses.steps import Step, as_step
from wayfinder.errors import ConfigError


class RetentionSpec(SpecBase):
    """Cohort retention: ``{"kind": "retention", "start": "signup", "back": "purchase"}``."""

    kind: Literal["retention"] = "retention"
    #: What puts a person in a cohort.
    start: Step
    #: What counts as coming back; by default the start event again.
    back: Step | None = None
    #: ``first_time``: a person's cohort is the period of their first-ever start event (over all
    #: time; they count only when it falls in the range). ``recurring``: a person is in the
    #: cohort of every period in range in which they did the start event.
    cohort: Literal["first_time", "recurring"] = "first_time"
    interval: Interval = "week"
    #: How many periods after the cohort's own (period 0) to follow.
    periods: int = Field(8, ge=1, le=400)
    #: ``on``: came back in period k; ``on_or_after``: in period k or any later one (unbounded).
    mode: Literal["on", "on_or_after"] = "on"
    #: Split cohorts by a property; event properties are read at the cohort-start event.
    breakdown: Breakdown | None = None

    @property
    def returning(self) -> Step:
        return self.back or self.start

    @property
    def again(self) -> bool:
        return self.back is None or self.back == self.start

    def describe(self) -> str:
        who = "first did" if self.cohort == "first_time" else "did"
        text = f"{ADVERB[self.interval]} retention of people who {who} {self.start}"
        text += " (first-time cohorts)" if self.cohort == "first_time" else " (recurring cohorts)"
        again = "it again" if self.again else str(self.back)
        when = "in" if self.mode == "on" else "in or after"
        text += f", coming back to do {again} {when} {self.interval} 0 to {self.periods}"
        text += f", over {self.describe_scope()}"
        if self.breakdown:
            text += f", by {self.breakdown}"
        return text


class RetentionRunner(Runner):
    kind = "retention"
    spec_type = RetentionSpec

    def validate(self, spec: SpecBase, ws: Any) -> SpecBase:
        assert isinstance(spec, RetentionSpec)
        start = as_step(spec.start, ws.catalog)
        back = as_step(spec.back, ws.catalog) if spec.back is not None else None
        check_breakdown(spec.breakdown, start, ws, "the start event")
        return spec.model_copy(update={"start": start, "back": back})

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        assert isinstance(spec, RetentionSpec)
        clock = Clock.of(pop, spec.interval)
        if clock is None:
            empty = {"average": _average([], spec), "triangle": _triangle([], spec)}
            answer = f"No events in {spec.describe_scope()}."
            return Output(_long([], spec), answer, _no_chart(), tables=empty)
        cohorts, returns = cohort_tables(spec, pop, clock)
        # Cohort sizes ride in the same query as the returns, as period -1: one round trip.
        sizes = cohorts.group_by("c", "_bd").aggregate(
            k=ibis.literal(-1, "int64"), people=ibis._.count()
        )
        counts = pop.ws.engine.to_arrow(sizes.union(_hits(returns, spec))).to_pylist()
        grid = Grid(spec, clock, pop, counts)
        return Output(
            table=_long(grid.rows(), spec),
            answer=grid.answer(),
            chart=grid.chart(),
            tables={"average": _average(grid.averages(), spec), "triangle": grid.triangle()},
            drill=_driller(spec, clock, cohorts, returns),
        )


def cohort_tables(spec: RetentionSpec, pop: Population, clock: Clock) -> tuple[ir.Table, ir.Table]:
    """``(cohorts, returns)``: one row per person and cohort (``person_id``, ``c``, ``anchor``,
    ``_bd``); and per person and cohort, each period ``k`` (0 to N) in which they came back
    (mode ``on``), or only the latest such period, uncapped (mode ``on_or_after``).
    """
    steps = {"_start": spec.start} if spec.again else {"_start": spec.start, "_back": spec.back}
    recurring = spec.cohort == "recurring"
    # First-time cohorts need each person's start events over all time; returns before the
    # range cannot count (they precede every cohort-start event in range).
    rows = flagged_rows(pop, steps, clock, in_range=recurring, breakdown=spec.breakdown)
    back_flag = rows._start if spec.again else rows._back
    rows = rows.mutate(_p=clock.index(rows.timestamp))
    # One row per person and period: the first start event and the last return in it. A return
    # in the cohort's own period counts when it is at or after the cohort-start event.
    per = rows.group_by("person_id", "_p").aggregate(
        first=rows.timestamp.min(where=rows._start), last=rows.timestamp.max(where=back_flag)
    )
    if recurring:
        cohorts = per.filter(per.first.notnull()).select("person_id", c=per._p, anchor=per.first)
    else:
        firsts = per.group_by("person_id").aggregate(anchor=per.first.min())
        if pop.start is not None:
            firsts = firsts.filter(firsts.anchor >= pop.start)
        firsts = firsts.filter(firsts.anchor < clock.until)
        cohorts = firsts.select("person_id", c=clock.index(firsts.anchor), anchor=firsts.anchor)
    keys = {"person_id": "person_id", "_p": "c"} if recurring else {"person_id": "person_id"}
    cohorts = with_breakdown(cohorts, spec.breakdown, pop, rows.filter(rows._start), keys)
    back = per.filter(per.last.notnull())
    if spec.mode == "on_or_after":
        # Returning in k or later only needs each person's latest return: one row per person,
        # so the join stays linear however many periods people are active in.
        back = back.group_by("person_id").aggregate(_bp=back._p.max(), _last=back.last.max())
        back = back.rename(_person="person_id")
    else:
        back = back.select(_person="person_id", _bp="_p", _last="last")
    joined = cohorts.join(back, cohorts.person_id == back._person)
    k = joined._bp - joined.c
    came = (k > 0) | ((k == 0) & (joined._last >= joined.anchor))
    if spec.mode == "on":
        came &= k <= spec.periods
    return cohorts, joined.filter(came).select("person_id", "c", "_bd", k=k)


def _hits(returns: ir.Table, spec: RetentionSpec) -> ir.Table:
    """People per cohort, breakdown value and period k: who came back in k (``on``), or whose
    latest return was in k (``on_or_after``, capped at N; summed from the right in Python)."""
    k = returns.k if spec.mode == "on" else ibis.least(returns.k, spec.periods)
    return returns.group_by("c", "_bd", k=k).aggregate(people=ibis._.count())


class Grid:
    """The cohorts by period counts, with unobserved periods null, and their averages."""

    def __init__(
        self,
        spec: RetentionSpec,
        clock: Clock,
        pop: Population,
        counts: list[dict],
    ) -> None:
        self.spec, self.clock = spec, clock
        self.size = {(r["c"], r["_bd"]): r["people"] for r in counts if r["k"] == -1}
        hit = {(r["c"], r["_bd"], r["k"]): r["people"] for r in counts if r["k"] >= 0}
        n = spec.periods
        if spec.mode == "on_or_after":
            for c, v in self.size:
                total = 0
                for k in range(n, -1, -1):
                    total += hit.get((c, v, k), 0)
                    hit[(c, v, k)] = total
        self.hit = hit
        totals: dict[Any, int] = defaultdict(int)
        for (_, v), size in self.size.items():
            totals[v] += size
        self.values = sorted(totals, key=lambda v: (-totals[v], v)) or (
            [] if spec.breakdown else [None]
        )
        firsts = [c for c, _ in self.size]
        first = clock.of_moment(pop.start) if pop.start is not None else min(firsts, default=None)
        self.cohorts = [] if first is None else list(range(first, clock.last + 1))

    def people(self, c: int, v: Any, k: int) -> int | None:
        if not self.clock.observed(c + k):
            return None
        return self.hit.get((c, v, k), 0)

    def rows(self) -> list[dict]:
        out = []
        for v in self.values:
            for c in self.cohorts:
                size = self.size.get((c, v), 0)
                for k in range(self.spec.periods + 1):
                    people = self.people(c, v, k)
                    out.append(
                        {
                            "breakdown": v,
                            "cohort": self.clock.label(c),
                            "cohort_size": size,
                            "period": k,
                            "people": people,
                            "rate": people / size if people is not None and size else None,
                            "complete": self.clock.complete(c + k),
                        }
                    )
        return out

    def average(self, values: list[Any], k: int) -> dict:
        """The size-weighted average over the cohorts whose period k is complete."""
        done = [
            (self.size[(c, v)], self.hit.get((c, v, k), 0))
            for v in values
            for c in self.cohorts
            if self.size.get((c, v)) and self.clock.complete(c + k)
        ]
        size, people = sum(n for n, _ in done), sum(p for _, p in done)
        return {
            "period": k,
            "cohorts": len(done),
            "cohort_size": size,
            "people": people if done else None,
            "rate": people / size if size else None,
        }

    def averages(self) -> list[dict]:
        return [
            {"breakdown": v, **self.average([v], k)}
            for v in self.values
            for k in range(self.spec.periods + 1)
        ]

    def triangle(self) -> pa.Table:
        """The classic view: one row per cohort, a rate column per period, an average row."""
        name = self.spec.interval
        rows = []
        for v in self.values:
            for c in self.cohorts:
                size = self.size.get((c, v), 0)
                row = {
                    "breakdown": v,
                    "cohort": self.clock.label(c).isoformat(),
                    "cohort_size": size,
                }
                for k in range(self.spec.periods + 1):
                    people = self.people(c, v, k)
                    row[f"{name} {k}"] = people / size if people is not None and size else None
                rows.append(row)
            avg = {
                "breakdown": v,
                "cohort": "average",
                "cohort_size": sum(self.size.get((c, v), 0) for c in self.cohorts),
            }
            for k in range(self.spec.periods + 1):
                avg[f"{name} {k}"] = self.average([v], k)["rate"]
            if self.cohorts:
                rows.append(avg)
        return _triangle(rows, self.spec)

    def answer(self) -> str:
        spec, name = self.spec, self.spec.interval
        total = sum(self.size.values())
        filled = len({c for (c, _), n in self.size.items() if n})
        if not total:
            return f"Nobody did {spec.start} in {spec.describe_scope()}."
        who = "did" if spec.cohort == "recurring" else "first did"
        members = "cohort members" if spec.cohort == "recurring" else "people"
        head = (
            f"{total:,} {members} {who} {spec.start} in {filled} "
            f"{ADVERB[name]} cohort{'s' if filled != 1 else ''}."
        )
        curve = [self.average(self.values, k) for k in range(1, spec.periods + 1)]
        known = [a for a in curve if a["rate"] is not None]
        if not known:
            return head + f" Too soon to tell: no cohort has a complete {name} 1 yet."
        again = "it again" if spec.again else str(spec.returning)
        when = "" if spec.mode == "on" else " or later"
        text = f" On average {known[0]['rate']:.1%} did {again} in {name} 1{when}"
        if len(known) > 1:
            text += f" and {known[-1]['rate']:.1%} in {name} {known[-1]['period']}{when}"
        return head + text + f" (complete {name}s only)."

    def chart(self) -> dict[str, Any]:
        name = self.spec.interval
        x = [f"{name} {k}" for k in range(self.spec.periods + 1)]
        title = f"{ADVERB[name].capitalize()} retention"
        if self.spec.breakdown:
            data = [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": str(v),
                    "x": x,
                    "y": [self.average([v], k)["rate"] for k in range(len(x))],
                }
                for v in self.values
            ]
            layout = {
                "title": {"text": title + " (average of complete periods)"},
                "yaxis": {"tickformat": ".0%", "rangemode": "tozero"},
            }
            return {"data": data, "layout": layout}
        z, text = [], []
        for c in self.cohorts:
            size = self.size.get((c, None), 0)
            people = [self.people(c, None, k) for k in range(len(x))]
            z.append([p / size if p is not None and size else None for p in people])
            text.append(["" if p is None else f"{p:,}" for p in people])
        y = [f"{self.clock.label(c)} ({self.size.get((c, None), 0):,})" for c in self.cohorts]
        data = [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                # Light for low, dark for high, spelt out: "Blues" runs the other way in
                # plotly.js than in Plotly for Python.
                "colorscale": [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]],
                "colorbar": {"tickformat": ".0%"},
                "zmin": 0,
                "zmax": 1,
                "hovertemplate": "%{y}, %{x}: %{z:.1%} (%{text} people)<extra></extra>",
            }
        ]
        layout = {
            "title": {"text": title},
            "xaxis": {"side": "top"},
            "yaxis": {"autorange": "reversed", "type": "category"},
        }
        return {"data": data, "layout": layout}


def _driller(spec: RetentionSpec, clock: Clock, cohorts: ir.Table, returns: ir.Table) -> Any:
    def drill(
        cohort: Any = None, period: int | None = None, breakdown: Any = None, returned: bool = True
    ) -> ir.Table:
        """People of a cohort (``cohort="2026-03-02"``, ``breakdown=...``) and, with ``period``,
        those who came back then (``returned=False``: those who did not)."""
        chosen, hits = cohorts, returns
        if cohort is not None:
            c = clock.of_day(clock.parse(cohort))
            chosen, hits = chosen.filter(chosen.c == c), hits.filter(hits.c == c)
        if breakdown is not None:
            chosen = chosen.filter(chosen._bd == str(breakdown))
            hits = hits.filter(hits._bd == str(breakdown))
        if period is None:
            return chosen.select("person_id")
        period = int(period)
        if not 0 <= period <= spec.periods:
            raise ConfigError("no such period", value=period, hint=f"0 to {spec.periods}")
        hits = hits.filter(hits.k == period if spec.mode == "on" else hits.k >= period)
        if returned:
            return hits.select("person_id")
        hits = hits.select(_person="person_id", _c="c").distinct()
        missed = chosen.anti_join(hits, [chosen.person_id == hits._person, chosen.c == hits._c])
        return missed.select("person_id")

    return drill


def _long(rows: list[dict], spec: RetentionSpec) -> pa.Table:
    fields = {"cohort": pa.date32(), "cohort_size": pa.int64(), "period": pa.int64()}
    fields |= {"people": pa.int64(), "rate": pa.float64(), "complete": pa.bool_()}
    return rows_table(rows, fields, spec.breakdown is not None)


def _average(rows: list[dict], spec: RetentionSpec) -> pa.Table:
    fields = {"period": pa.int64(), "cohorts": pa.int64(), "cohort_size": pa.int64()}
    fields |= {"people": pa.int64(), "rate": pa.float64()}
    return rows_table(rows, fields, spec.breakdown is not None)


def _triangle(rows: list[dict], spec: RetentionSpec) -> pa.Table:
    fields = {"cohort": pa.string(), "cohort_size": pa.int64()}
    fields |= {f"{spec.interval} {k}": pa.float64() for k in range(spec.periods + 1)}
    return rows_table(rows, fields, spec.breakdown is not None)


def _no_chart() -> dict[str, Any]:
    return {"data": [], "layout": {"title": {"text": "No data"}}}


__all__ = ["RetentionRunner", "RetentionSpec", "cohort_tables"]
