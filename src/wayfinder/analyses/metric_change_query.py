"""What a metric change reads in the engine: the events of the period and of the periods it is
compared with, each tagged with its slot, visit and dimension value, and one grouped aggregate
per dimension (a few numbers per value and slot) that is all that comes back.

Slot 0 is the period; slots 1..n are the periods compared with (the n periods just before, or
the given comparison period). Sessions are cut from a day before the first slot, so a visit's
channel is that of its first event even when the visit starts before the slot does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.population import as_text, with_profile_value
from wayfinder.analyses.spec import Breakdown
from wayfinder.analyses.steps import Step, event_condition
from wayfinder.semantic.conditions import Condition, read_column, read_number

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population

#: Dimension names a marketer uses for the columns of an event's visit.
VISIT_DIMENSIONS = {
    "channel": "session_channel",
    "campaign": "session_campaign",
    "source": "session_source_name",
}
NEW_VS_RETURNING = "new_vs_returning"
OTHER = "Other"
NONE = "(none)"
#: How far before the first slot events are read to cut the visits that run into it.
_VISIT_MARGIN = timedelta(days=1)

PartAgg = Literal["count", "unique", "sum"]


@dataclass(frozen=True)
class Part:
    """One number a metric needs per value and slot: ``count`` of rows, ``unique`` people or
    ``sum`` of ``property`` over the events that are ``step`` (every event when None)."""

    agg: PartAgg
    step: Step | None = None
    property: str | None = None
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Slots:
    """``[start, end)`` of the period and of each period compared with (naive UTC)."""

    start: datetime
    end: datetime
    bases: tuple[tuple[datetime, datetime], ...]

    @property
    def first(self) -> datetime:
        return min(b[0] for b in self.bases)

    def slot(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """The slot of each event time; null outside every slot."""
        ranges = [(self.start, self.end), *self.bases]
        return ibis.cases(
            *(((ts >= lo) & (ts < hi), k) for k, (lo, hi) in enumerate(ranges)),
            else_=ibis.null("int64"),
        )

    def slot_start(self, slot: ir.IntegerValue) -> ir.TimestampValue:
        ranges = [(self.start, self.end), *self.bases]
        return ibis.cases(*((slot == k, ibis.literal(lo)) for k, (lo, _) in enumerate(ranges)))


def measured_events(pop: Population, parts: tuple[Part, ...], slots: Slots) -> ir.Table:
    """The population's events in the slots, with ``_slot``, ``session_id`` and, per part ``i``,
    ``_m{i}`` (the row counts for it) and ``_v{i}`` (the number it sums)."""
    from wayfinder.analyses.population import Population
    from wayfinder.model.sessions import sessionize

    # Visits are cut before event filters apply, so a filter cannot split a visit.
    people_only = pop.spec.model_copy(
        update={"filters": tuple(f for f in pop.spec.filters if f.on != "event")}
    )
    everyone = Population(pop.ws, people_only, pop.start, pop.end, pop.excluded)
    events = everyone.events(in_range=False)
    events = events.filter(
        (events.timestamp >= slots.first - _VISIT_MARGIN) & (events.timestamp < slots.end)
    )
    events = sessionize(events, person_key="person_id")
    for f in pop.spec.filters:
        if f.on == "event":
            events = events.filter(f.compile(events))
    return _measured(pop, events, parts, slots)


def counted_events(pop: Population, parts: tuple[Part, ...], slots: Slots) -> ir.Table:
    """``measured_events`` without the visits (no ``session_id``): enough for the totals, and
    far cheaper, for deciding whether a change is worth splitting at all."""
    events = pop.events(in_range=False)
    events = events.filter((events.timestamp >= slots.first) & (events.timestamp < slots.end))
    return _measured(pop, events, parts, slots)


def _measured(pop: Population, events: ir.Table, parts: tuple[Part, ...], slots: Slots):
    events = events.mutate(_slot=slots.slot(events.timestamp))
    events = events.filter(events._slot.notnull())
    catalog = pop.ws.catalog
    columns: dict[str, ir.Value] = {}
    for i, part in enumerate(parts):
        cond = ibis.literal(True)
        if part.step is not None:
            found = event_condition(part.step, events, catalog)
            assert found is not None, "validate() admits goals on events only"
            cond = found
        for c in part.where:
            cond &= c.compile(events)
        columns[f"_m{i}"] = cond.fill_null(False)
        value = read_number(events, part.property) if part.property else ibis.null("float64")
        columns[f"_v{i}"] = value.cast("float64")
    return events.mutate(**columns)


def with_key(pop: Population, rows: ir.Table, dimension: Breakdown, slots: Slots) -> ir.Table:
    """``rows`` with ``_key``: the dimension's value as text, ``(none)`` when unknown."""
    if dimension.on == "event" and dimension.property == NEW_VS_RETURNING:
        firsts = pop.events(in_range=False)
        firsts = firsts.group_by(_pid=firsts.person_id).aggregate(_first=firsts.timestamp.min())
        firsts = firsts.view()
        joined = rows.left_join(firsts, rows.person_id == firsts._pid)
        is_new = joined._first >= slots.slot_start(joined._slot)
        key = ibis.ifelse(is_new.fill_null(True), "new", "returning")
        return joined.select(*[joined[c] for c in rows.columns], _key=key)
    if dimension.on == "event":
        column = VISIT_DIMENSIONS.get(dimension.property, dimension.property)
        return rows.mutate(_key=as_text(read_column(rows, column)))
    return with_profile_value(pop, rows, dimension.on, dimension.property, "_key")


def _aggregates(t: ir.Table, parts: tuple[Part, ...]) -> dict[str, ir.Value]:
    """``visits`` (when the rows have them), ``p{i}`` per part and, for sums, ``q{i}``: the sum
    of squares, the second moment the sampling noise of a sum is read from (a count's is the
    count itself)."""
    out: dict[str, ir.Value] = {}
    if "session_id" in t.columns:
        out["visits"] = t.session_id.nunique()
    for i, part in enumerate(parts):
        m = t[f"_m{i}"]
        if part.agg == "count":
            out[f"p{i}"] = t.count(where=m)
        elif part.agg == "unique":
            out[f"p{i}"] = t.person_id.nunique(where=m)
        else:
            v = t[f"_v{i}"]
            out[f"p{i}"] = v.sum(where=m)
            out[f"q{i}"] = (v * v).sum(where=m)
    return out


def by_value(keyed: ir.Table, parts: tuple[Part, ...], rank_part: int, top: int) -> ir.Table:
    """One row per ``(_slot, _key)``: ``visits`` and ``p{i}`` per part. The ``top`` values by the
    rows of ``rank_part`` over all slots keep their name (ties by name); the rest are "Other",
    folded from the rows themselves so unique people of "Other" are distinct people."""
    sizes = keyed.group_by("_key").aggregate(_n=keyed.count(where=keyed[f"_m{rank_part}"]))
    ranked = sizes.mutate(_r=ibis.row_number().over(order_by=[ibis.desc(sizes._n), sizes._key]))
    kept = ranked.filter(ranked._r < top)._key
    # An IN-subquery, not a join: ``kept`` derives from ``keyed`` (Ibis 12 mixes up the sides).
    mapped = keyed.mutate(_key=ibis.ifelse(keyed._key.isin(kept), keyed._key, OTHER))
    return mapped.group_by(["_slot", "_key"]).aggregate(**_aggregates(mapped, parts))


def crossed(
    pop: Population,
    rows: ir.Table,
    pair: tuple[tuple[Breakdown, str], tuple[Breakdown, str]],
    slots: Slots,
    parts: tuple[Part, ...],
) -> ir.Table:
    """One row per ``(_slot, _a, _b)``: ``visits`` and ``p{i}`` of the rows in (``True``) or out
    of each of two dimension values, the four cells of a cross-check (a value's change outside
    the other value)."""
    t = rows
    for flag, (dimension, value) in zip(("_a", "_b"), pair, strict=True):
        keyed = with_key(pop, t, dimension, slots)
        t = keyed.mutate(**{flag: keyed._key == value}).drop("_key")
    return t.group_by(["_slot", "_a", "_b"]).aggregate(**_aggregates(t, parts))


def totals(rows: ir.Table, parts: tuple[Part, ...]) -> ir.Table:
    """One row per slot: the metric's parts measured as a whole (people counted once)."""
    return rows.group_by("_slot").aggregate(**_aggregates(rows, parts))


def drill(
    keyed: ir.Table, *, slots: tuple[int, ...], key: str | None, kept: list[str], part: int
) -> ir.Table:
    """The people behind one value in some slots: those with rows measured by ``part``."""
    t = keyed.filter(keyed._slot.isin(slots) & keyed[f"_m{part}"])
    if key == OTHER:
        t = t.filter(~t._key.isin(kept)) if kept else t
    elif key is not None:
        t = t.filter(t._key == key)
    return t.select("person_id").distinct()
