"""Journeys for attribution, built in the engine: each conversion's touches within the lookback
window, and each person's (or account's) touches that led to no conversion.

Only aggregates leave the engine: the path table (one row per distinct sequence of touches) for
the path-based models, and the credit of the two models that need each touch's time or channel
(time decay, last non-direct touch) grouped by dimension value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from wayfinder.analyses.attribution import CONTENT_COLUMNS, IGNORED_TOUCHES
from wayfinder.attribution.path_table import PathTable

if TYPE_CHECKING:
    from wayfinder.analyses.attribution import AttributionSpec
    from wayfinder.analyses.population import Population

#: A touch without a value of the dimension (a visit with no campaign).
NOT_SET = "(not set)"
#: The one touch of a conversion with no touch in its lookback window.
NO_TOUCH = "(no touchpoint)"
#: Joins the dimension's columns into one value, and tokens into a path inside the engine
#: (a control character: no campaign or title contains it).
VALUE_SEP, TOKEN_SEP = " / ", "\x1f"


def touches(spec: AttributionSpec, pop: Population) -> ir.Table:
    """The touches that count: ``unit, person_id, ts, touch_id, token, direct``.

    ``unit`` is the person, or their account at account level (touches of people without an
    account are left out there). Event-scope filters select touches by their columns.
    """
    t = pop.ws.touchpoints()
    if spec.touch_types is not None:
        t = t.filter(t.touch_type.isin(spec.touch_types))
    else:
        t = t.filter(~t.touch_type.isin(IGNORED_TOUCHES))
    if not any(c in CONTENT_COLUMNS for c in spec.by):
        # A content view sits inside a visit that is already a touch of its channel.
        t = t.filter(t.touch_type != "content_view")
    for f in spec.filters:
        if f.on == "event":
            t = t.filter(f.compile(t))
    t = pop.allowed(t, "person_id")
    parts = [ibis.coalesce(t[c].cast("string"), ibis.literal(NOT_SET)) for c in spec.by]
    token = parts[0]
    for part in parts[1:]:
        token = token + VALUE_SEP + part
    unit = t.person_id if spec.level == "person" else t.account_id
    t = t.filter(unit.notnull())
    return t.select(
        unit=unit,
        person_id=t.person_id,
        ts=t.timestamp.cast("timestamp"),
        touch_id=t.touch_id,
        token=token,
        direct=t.channel.isin(spec.direct).fill_null(False),
    )


def conversions(spec: AttributionSpec, pop: Population) -> ir.Table:
    """The goal's conversions in the range: ``jid, c_unit, c_person, c_ts, c_value``."""
    occ = pop.ws.catalog.goal(spec.goal).occurrences(pop.ws)
    occ = pop.in_range(occ, occ.timestamp)
    if spec.level == "person":
        occ = pop.allowed(occ, "person_id")
    unit = occ.person_id if spec.level == "person" else occ.account_id
    occ = occ.filter(unit.notnull()).mutate(_unit=unit)
    occ = occ.mutate(_nth=ibis.row_number().over(group_by="_unit", order_by=["timestamp", "value"]))
    return occ.select(
        jid=occ._unit + "#" + occ._nth.cast("string"),
        c_unit=occ._unit,
        c_person=occ.person_id,
        c_ts=occ.timestamp.cast("timestamp"),
        c_value=occ.value.cast("float64").fill_null(0.0),
    )


def journey_touches(spec: AttributionSpec, pop: Population) -> ir.Table:
    """Every touch of every journey: ``jid, converted, value, person_id, ts, touch_id, token,
    direct, hours`` (hours before the conversion; null on journeys that did not convert).

    A converting journey holds the unit's touches from ``lookback`` before the conversion up to
    it; a touch may count for two conversions close together (as GA4 does). A conversion with no
    touch keeps one ``NO_TOUCH`` touch, so every model still counts it. A non-converting journey
    is a unit's touches in the range that are in no converting journey, cut to ``lookback``
    before the last of them.
    """
    t = touches(spec, pop)
    c = conversions(spec, pop)
    window = ibis.interval(seconds=spec.lookback_seconds)
    j = c.left_join(t, (t.unit == c.c_unit) & (t.ts <= c.c_ts) & (t.ts >= c.c_ts - window))
    hours = (j.c_ts.epoch_seconds() - j.ts.epoch_seconds()).cast("float64") / 3600
    won = j.select(
        jid=j.jid,
        converted=ibis.literal(True),
        value=j.c_value,
        person_id=ibis.coalesce(j.person_id, j.c_person),
        ts=ibis.coalesce(j.ts, j.c_ts),
        touch_id=ibis.coalesce(j.touch_id, ibis.literal("")),
        token=ibis.coalesce(j.token, ibis.literal(NO_TOUCH)),
        direct=j.direct.fill_null(False),
        hours=hours.fill_null(0.0),
    )
    covered = won.select("touch_id")
    rest = pop.in_range(t, t.ts)
    rest = rest.filter(~rest.touch_id.isin(covered.touch_id))
    rest = rest.mutate(_last=rest.ts.max().over(group_by="unit"))
    rest = rest.filter(rest.ts >= rest._last - window)
    lost = rest.select(
        jid=rest.unit + "#null",
        converted=ibis.literal(False),
        value=ibis.literal(0.0),
        person_id=rest.person_id,
        ts=rest.ts,
        touch_id=rest.touch_id,
        token=rest.token,
        direct=rest.direct,
        hours=ibis.null("float64"),
    )
    return ibis.union(won, lost, distinct=False)


def path_table(rows: ir.Table, engine: object) -> PathTable:
    """Journeys grouped by their sequence of tokens (ordered by time, then touch id)."""
    step = ibis.struct({"ts": rows.ts, "touch_id": rows.touch_id, "token": rows.token})
    per_journey = rows.group_by("jid").aggregate(
        steps=step.collect(), converted=rows.converted.max(), value=rows.value.max()
    )
    per_journey = per_journey.mutate(
        path=per_journey.steps.sort().map(lambda s: s.token).join(TOKEN_SEP)
    )
    grouped = per_journey.group_by("path").aggregate(
        conversions=per_journey.converted.cast("int64").sum(),
        nulls=(~per_journey.converted).cast("int64").sum(),
        value=per_journey.value.sum(),
    )
    table: pa.Table = engine.to_arrow(grouped.order_by("path"))  # type: ignore[attr-defined]
    if table.num_rows == 0:
        return PathTable((), np.zeros(0), np.zeros(0), np.zeros(0))
    return PathTable(
        tuple(tuple(p.split(TOKEN_SEP)) for p in table["path"].to_pylist()),
        np.asarray(table["conversions"].to_numpy(zero_copy_only=False), dtype="float64"),
        np.asarray(table["nulls"].to_numpy(zero_copy_only=False), dtype="float64"),
        np.nan_to_num(np.asarray(table["value"].to_numpy(zero_copy_only=False), dtype="float64")),
    )


def touch_credit(spec: AttributionSpec, rows: ir.Table, engine: object) -> pa.Table:
    """Credit of time decay and last non-direct touch by token, from converting journeys.

    Time decay weighs a touch ``0.5 ** (hours before the conversion / half-life)``, shares
    normalised per journey. Last non-direct credits a journey's last touch whose channel is not
    in ``spec.direct``, or its last touch when all are direct.
    """
    r = rows.filter(rows.converted)
    weight = ibis.literal(0.5) ** (r.hours / spec.half_life_hours)
    r = r.mutate(_w=weight)
    r = r.mutate(
        _share=r._w / r._w.sum().over(group_by="jid"),
        _rank=ibis.row_number().over(group_by="jid", order_by=["ts", "touch_id"]),
    )
    non_direct = ibis.cases((~r.direct, r._rank), else_=ibis.null("int64"))
    r = r.mutate(
        _chosen=ibis.coalesce(
            non_direct.max().over(group_by="jid"), r._rank.max().over(group_by="jid")
        )
    )
    r = r.mutate(_last=(r._rank == r._chosen).cast("float64"))
    credit = r.group_by("token").aggregate(
        time_decay=r._share.sum(),
        time_decay_value=(r._share * r.value).sum(),
        last_non_direct=r._last.sum(),
        last_non_direct_value=(r._last * r.value).sum(),
    )
    return engine.to_arrow(credit.order_by("token"))  # type: ignore[attr-defined]


def journey_people(rows: ir.Table, token: str | None, converted: bool | None) -> ir.Table:
    """The people behind a number: whose journeys touched ``token`` (and converted or not)."""
    r = rows
    if converted is not None:
        r = r.filter(r.converted == converted)
    if token is not None:
        journeys = r.filter(r.token == token).select(j_id=r.jid)
        r = r.filter(r.jid.isin(journeys.j_id))
    return r.select("person_id").filter(r.person_id.notnull()).distinct()
