"""The paths people took instead: after the last time a person reached the step they dropped
at, their next few page, screen or track calls, counted per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.funnel_steps import BEHAVIOUR
from wayfinder.store.schema import EVENTS

if TYPE_CHECKING:
    from wayfinder.analyses.funnels import FunnelSpec
    from wayfinder.analyses.population import Population

#: What the table says for people who did nothing more within the window.
NOTHING = "(no further events)"
#: Most common next paths shown per step.
DROPPED_TOP = 5


def dropped_paths(spec: FunnelSpec, pop: Population, people: ir.Table, engine: Any) -> pa.Table:
    """For people whose furthest step is k < n: their next events after the last time they
    reached step k (strictly later, within the window), as page paths, screen or event names."""
    n, depth = len(spec.steps), spec.dropped_paths
    anchors = people.filter(people.furthest < n).select(
        _p=people.person_id, _k=people.furthest, _ats=people.anchor_ts
    )
    nxt = _events_after(spec, pop, anchors)
    nxt = nxt.mutate(_i=ibis.row_number().over(group_by=nxt._p, order_by=[nxt._ts, nxt._mid]))
    nxt = nxt.filter(nxt._i < depth)
    items = nxt.group_by(["_p", "_k"]).aggregate(
        **{f"i{i}": nxt._label.max(where=nxt._i == i) for i in range(depth)}
    )
    # People with no event after the step still count, as "(no further events)".
    full = anchors.left_join(items, [anchors._p == items._p, anchors._k == items._k])
    full = full.select(_k=anchors._k, **{f"i{i}": full[f"i{i}"] for i in range(depth)})
    counts = full.group_by(["_k", *[f"i{i}" for i in range(depth)]]).aggregate(n=full.count())
    names = spec.step_names()
    by_step: dict[int, list[tuple[str, int]]] = {}
    for r in engine.to_arrow(counts).to_pylist():
        items_ = [r[f"i{i}"] for i in range(depth) if r[f"i{i}"] is not None]
        by_step.setdefault(r["_k"], []).append((" > ".join(items_) or NOTHING, r["n"]))
    rows = []
    for k in sorted(by_step):
        total = sum(c for _, c in by_step[k])
        for path, count in sorted(by_step[k], key=lambda pc: (-pc[1], pc[0]))[:DROPPED_TOP]:
            rows.append(
                {
                    "step": k,
                    "step_name": names[k - 1],
                    "next": path,
                    "people": count,
                    "share": count / total,
                }
            )
    schema = pa.schema(
        [
            ("step", pa.int64()),
            ("step_name", pa.string()),
            ("next", pa.string()),
            ("people", pa.int64()),
            ("share", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _events_after(spec: FunnelSpec, pop: Population, anchors: ir.Table) -> ir.Table:
    """Each anchor person's page, screen and track calls after ``_ats`` and within the window:
    ``_p, _k, _ts, _mid, _label``. The people's identifiers are found first, so the events
    table is probed once against a small key set (as ``Population.events`` maps identity keys
    to people, event filters applied), not joined to the whole identity map and then to them."""
    events = pop.ws.table(EVENTS.name)
    events = events.filter(events.type.isin(BEHAVIOUR))
    if pop.start is not None:
        events = events.filter(events.timestamp >= pop.start)
    for f in pop.spec.filters:
        if f.on == "event":
            events = events.filter(f.compile(events))
    idmap = pop.ws.table("identity_map")
    stitched = idmap.join(anchors, idmap.person_id == anchors._p).select(
        _key=idmap.identifier, _p=anchors._p, _k=anchors._k, _ats=anchors._ats
    )
    # Unstitched people are their own identity key.
    own = anchors.anti_join(idmap, anchors._p == idmap.identifier)
    keys = stitched.union(own.select(_key=own._p, _p=own._p, _k=own._k, _ats=own._ats))
    window = ibis.interval(seconds=spec.window_seconds)
    nxt = events.join(
        keys,
        [
            events.identity_key == keys._key,
            events.timestamp > keys._ats,
            events.timestamp <= keys._ats + window,
        ],
    )
    label = ibis.cases(
        (nxt.type == "page", nxt.path),
        (nxt.type == "screen", nxt.name),
        else_=nxt.event,
    ).fill_null("(unnamed)")
    return nxt.select(_p=nxt._p, _k=nxt._k, _ts=nxt.timestamp, _mid=nxt.message_id, _label=label)
