"""Lifecycle: per period, how many people doing an event were new, returning or resurrecting,
and how many went dormant; "new" is the period of a person's first-ever qualifying event.

One row per person and active period, then a window over each person's periods (previous,
next, first) in the engine; only counts per period and status come back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

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

#: In the order they stack; dormant people are counted negative, below the axis.
STATUSES = ("new", "returning", "resurrecting", "dormant")
_COLOURS = {
    "new": "#2ca02c",
    "returning": "#1f77b4",
    "resurrecting": "#ff7f0e",
    "dormant": "#d62728",
}


class LifecycleSpec(SpecBase):
    """Lifecycle of the people doing an event: ``{"kind": "lifecycle", "event": "purchase"}``.

    In each period, a person who did the event is *new* (their first-ever qualifying event is in
    it), *returning* (also active the period before) or *resurrecting* (not the period before,
    but some time earlier); a person active the period before and not in this one is *dormant*.
    """

    kind: Literal["lifecycle"] = "lifecycle"
    #: What makes a person active in a period.
    event: Step
    interval: Interval = "week"
    #: Split people by a property; event properties are read at the person's first-ever event.
    breakdown: Breakdown | None = None

    def describe(self) -> str:
        text = f"{ADVERB[self.interval]} lifecycle of people doing {self.event}"
        text += f" (new, returning, resurrecting, dormant), over {self.describe_scope()}"
        if self.breakdown:
            text += f", by {self.breakdown}"
        return text


class LifecycleRunner(Runner):
    kind = "lifecycle"
    spec_type = LifecycleSpec

    def validate(self, spec: SpecBase, ws: Any) -> SpecBase:
        assert isinstance(spec, LifecycleSpec)
        event = as_step(spec.event, ws.catalog)
        check_breakdown(spec.breakdown, event, ws, "the event")
        return spec.model_copy(update={"event": event})

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        assert isinstance(spec, LifecycleSpec)
        clock = Clock.of(pop, spec.interval)
        if clock is None:
            return Output(
                _long([], spec),
                f"No events in {spec.describe_scope()}.",
                {"data": [], "layout": {"title": {"text": "No data"}}},
                tables={"summary": _summary([], spec)},
            )
        moves = lifecycle_moves(spec, pop, clock)
        counts = moves.group_by("_p", "status", "_bd").aggregate(people=ibis._.count())
        grid = Lifecycle(spec, clock, pop, pop.ws.engine.to_arrow(counts).to_pylist())
        return Output(
            table=_long(grid.rows(), spec),
            answer=grid.answer(),
            chart=grid.chart(),
            tables={"summary": _summary(grid.summary(), spec)},
            drill=_driller(moves, clock),
        )


def lifecycle_moves(spec: LifecycleSpec, pop: Population, clock: Clock) -> ir.Table:
    """One row per person and shown period in which they were new, returning, resurrecting or
    dormant: ``person_id``, ``_p``, ``status``, ``_bd``."""
    # All history: "new" and "the period before" may lie before the range.
    rows = flagged_rows(
        pop, {"_start": spec.event}, clock, in_range=False, breakdown=spec.breakdown
    )
    rows = rows.mutate(_p=clock.index(rows.timestamp))
    active = rows.select("person_id", "_p").distinct()
    w = ibis.window(group_by="person_id", order_by="_p")
    active = active.mutate(
        _prev=active._p.lag().over(w),
        _next=active._p.lead().over(w),
        _first=active._p.min().over(ibis.window(group_by="person_id")),
    )
    status = ibis.cases(
        (active._p == active._first, "new"),
        (active._prev == active._p - 1, "returning"),
        else_="resurrecting",
    )
    on = active.select("person_id", "_p", status=status)
    gone = active.filter(active._next.isnull() | (active._next != active._p + 1))
    gone = gone.select("person_id", _p=gone._p + 1, status=ibis.literal("dormant"))
    moves = on.union(gone)
    moves = moves.filter(moves._p <= clock.last)
    if pop.start is not None:
        moves = moves.filter(moves._p >= clock.of_moment(pop.start))
    return with_breakdown(
        moves, spec.breakdown, pop, rows, {"person_id": "person_id"}, rank_people=True
    )


class Lifecycle:
    """Counts per period, status and breakdown value, every period of the range filled."""

    def __init__(
        self, spec: LifecycleSpec, clock: Clock, pop: Population, counts: list[dict]
    ) -> None:
        self.spec, self.clock = spec, clock
        self.count = {(r["_p"], r["status"], r["_bd"]): r["people"] for r in counts}
        totals: dict[Any, int] = defaultdict(int)
        for (_, status, v), n in self.count.items():
            totals[v] += n if status != "dormant" else 0
        self.values = sorted(totals, key=lambda v: (-totals[v], v)) or (
            [] if spec.breakdown else [None]
        )
        firsts = [p for p, status, _ in self.count if status != "dormant"]
        first = clock.of_moment(pop.start) if pop.start is not None else min(firsts, default=None)
        self.periods = [] if first is None else list(range(first, clock.last + 1))

    def people(self, p: int, status: str, values: list[Any]) -> int:
        n = sum(self.count.get((p, status, v), 0) for v in values)
        return -n if status == "dormant" else n

    def rows(self) -> list[dict]:
        return [
            {
                "breakdown": v,
                "period": self.clock.label(p),
                "status": status,
                "people": self.people(p, status, [v]),
                "complete": self.clock.complete(p),
            }
            for v in self.values
            for p in self.periods
            for status in STATUSES
        ]

    def summary(self) -> list[dict]:
        out = []
        for v in self.values:
            for p in self.periods:
                row = {s: self.people(p, s, [v]) for s in STATUSES}
                out.append(
                    {
                        "breakdown": v,
                        "period": self.clock.label(p),
                        **row,
                        "active": row["new"] + row["returning"] + row["resurrecting"],
                        "complete": self.clock.complete(p),
                    }
                )
        return out

    def answer(self) -> str:
        name = self.spec.interval
        if not any(n for (_, status, _), n in self.count.items() if status != "dormant"):
            return f"Nobody did {self.spec.event} in {self.spec.describe_scope()}."
        complete = [p for p in self.periods if self.clock.complete(p)]
        p = (complete or self.periods)[-1]
        n = {s: abs(self.people(p, s, self.values)) for s in STATUSES}
        active = n["new"] + n["returning"] + n["resurrecting"]
        partial = "" if self.clock.complete(p) else f" (so far: the {name} is not over)"
        day = self.clock.label(p)
        when = {"day": f"On {day}", "week": f"In the week of {day}", "month": f"In {day:%B %Y}"}[
            name
        ]
        return (
            f"{when}{partial}, {active:,} {'person' if active == 1 else 'people'} did "
            f"{self.spec.event}: {n['new']:,} new, {n['returning']:,} returning and "
            f"{n['resurrecting']:,} resurrecting; {n['dormant']:,} went dormant "
            f"(active the {name} before, not this one)."
        )

    def chart(self) -> dict[str, Any]:
        x = [self.clock.label(p).isoformat() for p in self.periods]
        data = [
            {
                "type": "bar",
                "name": s,
                "x": x,
                "marker": {"color": _COLOURS[s]},
                "y": [self.people(p, s, self.values) for p in self.periods],
            }
            for s in STATUSES
        ]
        title = f"{ADVERB[self.spec.interval].capitalize()} lifecycle of {self.spec.event.name}"
        layout = {
            "title": {"text": title},
            "barmode": "relative",
            "xaxis": {"type": "category"},
            "yaxis": {"title": {"text": "people"}},
        }
        return {"data": data, "layout": layout}


def _driller(moves: ir.Table, clock: Clock) -> Any:
    def drill(period: Any = None, status: str | None = None, breakdown: Any = None) -> ir.Table:
        """The people of one period (``period="2026-03-02"``) and ``status``; without a status,
        the people active then."""
        chosen = moves
        if status is not None and status not in STATUSES:
            raise ConfigError("no such status", value=status, hint=", ".join(STATUSES))
        if period is not None:
            chosen = chosen.filter(chosen._p == clock.of_day(clock.parse(period)))
        if status is not None:
            chosen = chosen.filter(chosen.status == status)
        else:
            chosen = chosen.filter(chosen.status != "dormant")
        if breakdown is not None:
            chosen = chosen.filter(chosen._bd == str(breakdown))
        return chosen.select("person_id")

    return drill


def _long(rows: list[dict], spec: LifecycleSpec) -> pa.Table:
    fields = {"period": pa.date32(), "status": pa.string(), "people": pa.int64()}
    return rows_table(rows, fields | {"complete": pa.bool_()}, spec.breakdown is not None)


def _summary(rows: list[dict], spec: LifecycleSpec) -> pa.Table:
    fields = {"period": pa.date32()} | {s: pa.int64() for s in (*STATUSES, "active")}
    return rows_table(rows, fields | {"complete": pa.bool_()}, spec.breakdown is not None)


__all__ = ["STATUSES", "LifecycleRunner", "LifecycleSpec", "lifecycle_moves"]
