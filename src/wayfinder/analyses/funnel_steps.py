"""Who reached which funnel step, and when: step rows, attempts and each person's furthest step.

Everything here builds Ibis expressions; nothing runs. ``reach(spec, pop)`` is one row per person
who entered the funnel: their furthest step, breakdown value and time to convert to each step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.steps import event_condition, step_rows
from wayfinder.semantic.conditions import read_column

if TYPE_CHECKING:
    from wayfinder.analyses.funnels import FunnelSpec
    from wayfinder.analyses.population import Population

#: Event types that make up a person's sequence in a strict funnel (not identify, group, alias).
BEHAVIOUR = ("track", "page", "screen")


def step_events(spec: FunnelSpec, pop: Population) -> ir.Table:
    """One row per event that matches a step or an exclusion: ``person_id, ts, mid, value``,
    ``m1..mn`` (matches step k), ``x`` (matches an exclusion), ``seq`` (the person's order,
    when ``needs_seq``).

    A strict funnel keeps every behaviour event, since any event between two steps breaks it.
    Events before the range cannot be in an attempt (attempts start in it); events after the
    range's end count up to the window's length, so later steps may fall past the range's end.
    """
    catalog = pop.ws.catalog
    events = pop.events(in_range=False)
    if pop.start is not None:
        events = events.filter(events.timestamp >= pop.start)
    if pop.end is not None:
        events = events.filter(events.timestamp <= pop.end + spec.window_delta)
    n = len(spec.steps)
    conds = [event_condition(s, events, catalog) for s in spec.steps]
    xconds = [event_condition(s, events, catalog) for s in spec.exclusions]
    flags = {f"m{k}": c if c is not None else ibis.literal(False) for k, c in enumerate(conds, 1)}
    flags["x"] = _any([c for c in xconds if c is not None])
    if spec.order == "strict":
        keep = events.type.isin(BEHAVIOUR)
    else:
        keep = _any([c for c in [*conds, *xconds] if c is not None])
    value = ibis.null("string")
    if spec.breakdown is not None and spec.breakdown.on == "event":
        value = read_column(events, spec.breakdown.property).cast("string")
    rows = events.filter(keep).select(
        person_id=events.person_id,
        ts=events.timestamp,
        mid=events.message_id,
        value=value,
        **flags,
    )
    # Goals kept in other tables (won deals) join as rows of their own; the id sorts them after
    # events of the same instant, in step order, so ties resolve the same on every engine.
    for k, (step, cond) in enumerate(zip(spec.steps, conds, strict=True), 1):
        if cond is None:
            rows = rows.union(_goal_rows(spec, pop, step, f"~goal{k:02d}", k, n, rows.schema()))
    for i, (step, cond) in enumerate(zip(spec.exclusions, xconds, strict=True)):
        if cond is None:
            rows = rows.union(_goal_rows(spec, pop, step, f"~excl{i:02d}", 0, n, rows.schema()))
    if not needs_seq(spec):
        return rows
    seq = ibis.row_number().over(group_by=rows.person_id, order_by=[rows.ts, rows.mid])
    return rows.mutate(seq=seq)


def needs_seq(spec: FunnelSpec) -> bool:
    """Whether rows need their number: to compare positions (exclusions, gap joins, any order)
    or to pick one event's breakdown value. A plain funnel orders its windows by time and id
    instead, which spares the engine one window pass."""
    by_event = spec.breakdown is not None and spec.breakdown.on == "event"
    gaps = spec.order == "ordered" and any(s.has_gap for s in spec.steps)
    return spec.order == "any" or bool(spec.exclusions) or by_event or gaps


def _order(rows: ir.Table) -> list[ir.Value]:
    return [rows.seq] if "seq" in rows.columns else [rows.ts, rows.mid]


def _goal_rows(spec, pop, step, mid: str, k: int, n: int, schema: ibis.Schema) -> ir.Table:
    t = step_rows(pop, step, in_range=False)
    if pop.start is not None:
        t = t.filter(t.timestamp >= pop.start)
    if pop.end is not None:
        t = t.filter(t.timestamp <= pop.end + spec.window_delta)
    flags = {f"m{j}": ibis.literal(j == k) for j in range(1, n + 1)}
    rows = t.select(
        person_id=t.person_id,
        ts=t.timestamp,
        mid=ibis.literal(mid),
        value=ibis.null("string"),
        **flags,
        x=ibis.literal(k == 0),
    )
    return rows.cast(schema)


def _any(conds: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = ibis.literal(False)
    for c in conds:
        out = out | c
    return out


def _in_range(pop: Population, ts: ir.TimestampValue) -> ir.BooleanValue:
    cond = ibis.literal(True)
    if pop.start is not None:
        cond &= ts >= pop.start
    if pop.end is not None:
        cond &= ts < pop.end
    return cond


def _when(cond: ir.BooleanValue, value: ir.Value) -> ir.Value:
    return ibis.cases((cond, value))


def _secs(ts: ir.TimestampValue) -> ir.IntegerValue:
    # Whole seconds since the epoch: DuckDB's epoch() has a fraction, Spark's has none.
    return ts.epoch_seconds().floor().cast("int64")


# -- ordered and strict: a chain of events, one per step, in order ------------------------------
def chains(spec: FunnelSpec, pop: Population, rows: ir.Table) -> ir.Table:
    """Per row and step k: ``v{k}`` (a valid attempt reaches step k at this event) and the
    latest start of such an attempt (``st{k}`` its time, ``s{k}`` its seq when rows have one).

    The latest start is enough: a later start leaves more of the window and fewer events
    between it and the step for an exclusion, while gaps depend on neighbouring steps only.
    """
    window = ibis.interval(seconds=spec.window_seconds)
    # Without exclusions the last one's position is always null: spare the engine a window.
    last_exclusion = (
        _when(rows.x, rows.seq).max().over(_before(rows)) if spec.exclusions else ibis.null("int64")
    )
    numbered = "seq" in rows.columns
    rows = rows.mutate(v1=rows.m1 & _in_range(pop, rows.ts), lastx=last_exclusion)
    rows = rows.mutate(
        st1=_when(rows.v1, rows.ts), **({"s1": _when(rows.v1, rows.seq)} if numbered else {})
    )
    for k, step in enumerate(spec.steps[1:], 2):
        v, s, st = f"v{k - 1}", f"s{k - 1}", f"st{k - 1}"
        if step.has_gap:
            rows = _best_start_within_gaps(rows, k, step)
        else:
            before = _before(rows)
            found = {"_ct": _when(rows[v], rows[st]).max().over(before)}
            if numbered:
                found["_cs"] = _when(rows[v], rows[s]).max().over(before)
            rows = rows.mutate(**found)
        clean = (rows.lastx.isnull() | (rows.lastx <= rows._cs)) if spec.exclusions else True
        valid = rows[f"m{k}"] & rows._ct.notnull() & (rows.ts <= rows._ct + window) & clean
        valid = valid.fill_null(False)
        rows = rows.mutate(**{f"v{k}": valid})
        starts = {f"st{k}": _when(rows[f"v{k}"], rows._ct)}
        if numbered:
            starts[f"s{k}"] = _when(rows[f"v{k}"], rows._cs)
        rows = rows.mutate(**starts).drop(*[c for c in ("_cs", "_ct") if c in rows.columns])
    return rows


def strict_chains(spec: FunnelSpec, pop: Population, rows: ir.Table) -> ir.Table:
    """``chains`` for strict funnels, where a chain reaching step k at a row is the k rows
    ending there: the previous rows' flags and times (``lag``), all in one window pass.

    The only events strictly between the chain's first and last are its own middle steps,
    so an exclusion can only be one of those.
    """
    window = ibis.interval(seconds=spec.window_seconds)
    back = ibis.window(group_by=rows.person_id, order_by=_order(rows))
    n, numbered = len(spec.steps), "seq" in rows.columns

    def lag(column: str, d: int) -> ir.Value:
        return rows[column] if d == 0 else rows[column].lag(d).over(back)

    # Each (column, distance) once: the engine computes them in one pass over sorted rows.
    needed = {(f"m{j}", k - j) for k in range(1, n + 1) for j in range(1, k + 1)}
    needed |= {("ts", d) for d in range(1, n)}
    needed |= {("x", d) for d in range(1, n - 1)} if spec.exclusions else set()
    needed |= {("seq", d) for d in range(1, n)} if numbered else set()
    rows = rows.mutate(**{f"_{c}_{d}": lag(c, d) for c, d in needed if d > 0})

    def at(column: str, d: int) -> ir.Value:
        return rows[column] if d == 0 else rows[f"_{column}_{d}"]

    out: dict[str, ir.Value] = {}
    for k in range(1, n + 1):
        start = at("ts", k - 1)
        ok = _all([at(f"m{j}", k - j) for j in range(1, k + 1)])
        ok &= _in_range(pop, start) & (rows.ts <= start + window)
        for j in range(2, k + 1):  # step j is k-j rows back, the previous step one more
            ok &= _gap_ok(spec.steps[j - 1], at("ts", k - j + 1), at("ts", k - j))
        if spec.exclusions:
            ok &= _all([~at("x", d).fill_null(False) for d in range(1, k - 1)])
        out[f"v{k}"] = ok.fill_null(False)
        out[f"st{k}"] = _when(out[f"v{k}"], start)
        if numbered:
            out[f"s{k}"] = _when(out[f"v{k}"], at("seq", k - 1))
    rows = rows.mutate(**out)
    return rows.drop(*[f"_{c}_{d}" for c, d in needed if d > 0])


def _before(rows: ir.Table) -> Any:
    """The rows of the same person before this one."""
    return ibis.window(group_by=rows.person_id, order_by=_order(rows), rows=(None, -1))


def _gap_ok(step, prev_ts: ir.TimestampValue, ts: ir.TimestampValue) -> ir.BooleanValue:
    from wayfinder.analyses.funnels import seconds

    ok = ibis.literal(True)
    if step.min_gap:
        ok &= ts >= prev_ts + ibis.interval(seconds=seconds(step.min_gap))
    if step.max_gap:
        ok &= ts <= prev_ts + ibis.interval(seconds=seconds(step.max_gap))
    return ok


def _best_start_within_gaps(rows: ir.Table, k: int, step) -> ir.Table:
    """``_cs``/``_ct`` for step k when it has gap bounds: the latest start over the valid step
    k-1 events within the gap, found by a join of the person's two kinds of rows (small per
    person, and only for steps with gaps: a running maximum cannot forget old rows)."""
    prev = rows.filter(rows[f"v{k - 1}"]).select(
        _pp=rows.person_id, _pseq=rows.seq, _pts=rows.ts, _ps=rows[f"s{k - 1}"],
        _pst=rows[f"st{k - 1}"],
    )  # fmt: skip
    cur = rows.filter(rows[f"m{k}"]).select(_cp=rows.person_id, _cseq=rows.seq, _cts=rows.ts)
    joined = cur.join(
        prev,
        [cur._cp == prev._pp, prev._pseq < cur._cseq, _gap_ok(step, prev._pts, cur._cts)],
    )
    best = joined.group_by(["_cp", "_cseq"]).aggregate(_cs=joined._ps.max(), _ct=joined._pst.max())
    out = rows.left_join(best, [rows.person_id == best._cp, rows.seq == best._cseq])
    return out.drop("_cp", "_cseq")


# -- any order: every step within the window of the attempt's first event -----------------------
def sets(spec: FunnelSpec, pop: Population, rows: ir.Table) -> ir.Table:
    """Per row (an attempt starting at this event, if in range) and step k: ``v{k}`` (each of
    steps 1..k happens within the window from here, no exclusion before the last of them),
    ``e{k}`` the seq and ``et{k}`` the time of the event completing them.

    For one start, the first event of each step at or after it is the best choice: nothing
    comes earlier, so the span and the events it covers are the smallest possible.
    """
    window = ibis.interval(seconds=spec.window_seconds)
    here_on = ibis.window(group_by=rows.person_id, order_by=rows.seq, rows=(0, None))
    after = ibis.window(group_by=rows.person_id, order_by=rows.seq, rows=(1, None))
    n = len(spec.steps)
    starts = _any([rows[f"m{j}"] for j in range(1, n + 1)]) & _in_range(pop, rows.ts)
    rows = rows.mutate(
        _start=starts,
        _nx=_when(rows.x, rows.seq).min().over(after) if spec.exclusions else ibis.null("int64"),
        **{f"_n{j}": _when(rows[f"m{j}"], rows.seq).min().over(here_on) for j in range(1, n + 1)},
        **{f"_t{j}": _when(rows[f"m{j}"], rows.ts).min().over(here_on) for j in range(1, n + 1)},
    )
    for k in range(1, n + 1):
        end = ibis.greatest(*[rows[f"_n{j}"] for j in range(1, k + 1)]) if k > 1 else rows._n1
        end_ts = ibis.greatest(*[rows[f"_t{j}"] for j in range(1, k + 1)]) if k > 1 else rows._t1
        found = _all([rows[f"_n{j}"].notnull() for j in range(1, k + 1)])
        valid = (
            rows._start
            & found
            & (end_ts <= rows.ts + window)
            & (rows._nx.isnull() | (rows._nx >= end))
        ).fill_null(False)
        rows = rows.mutate(**{f"v{k}": valid, f"e{k}": _when(valid, end), f"et{k}": end_ts})
    return rows


def _all(conds: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = ibis.literal(True)
    for c in conds:
        out = out & c
    return out


# -- per person ---------------------------------------------------------------------------------
def reach(spec: FunnelSpec, pop: Population) -> ir.Table:
    """One row per person who reached step 1: ``person_id``, ``furthest`` (1..n), ``value``
    (the breakdown value, null when none), ``t2..tn`` (seconds from the start of the quickest
    attempt reaching that step) and ``anchor_ts`` (the last time they reached their furthest
    step, where the dropped-paths table starts).
    """
    n = len(spec.steps)
    rows = step_events(spec, pop)
    ordered = spec.order != "any"
    build = {"ordered": chains, "strict": strict_chains, "any": sets}[spec.order]
    rows = build(spec, pop, rows)
    aggs: dict[str, ir.Value] = {}
    for k in range(1, n + 1):
        v = rows[f"v{k}"]
        aggs[f"r{k}"] = v.any()
        if k > 1:
            span = (
                _secs(rows.ts) - _secs(rows[f"st{k}"])
                if ordered
                else (_secs(rows[f"et{k}"]) - _secs(rows.ts))
            )
            aggs[f"t{k}"] = _when(v, span).min()
        # Any order: the time of the event completing step k in the latest attempt.
        aggs[f"a_ts{k}"] = _when(v, rows.ts if ordered else rows[f"et{k}"]).max()
    by_event = spec.breakdown is not None and spec.breakdown.on == "event"
    if by_event:
        # first touch: the start of the person's earliest attempt reaching step 1.
        aggs["first_value"] = rows.value.argmin(rows.seq, where=rows.v1)
        for k in range(1, n + 1):
            v = rows[f"v{k}"]
            if ordered:
                aggs[f"last_value{k}"] = rows.value.argmax(rows.seq, where=v)
                aggs[f"step_value{k}"] = rows.value.argmin(rows.seq, where=v)
            else:
                # The seqs of the events whose values count, looked up below.
                aggs[f"last_seq{k}"] = _when(v, rows[f"e{k}"]).max()
                aggs[f"step_seq{k}"] = _when(v, rows[f"_n{k}"]).min()
    person = rows.group_by("person_id").aggregate(**aggs)
    person = person.filter(person.r1)
    furthest = sum((person[f"r{k}"].cast("int64") for k in range(1, n + 1)), ibis.literal(0))
    person = person.mutate(furthest=furthest)

    def at_furthest(prefix: str) -> ir.Value:
        branches = [(person.furthest == k, person[f"{prefix}{k}"]) for k in range(1, n + 1)]
        return ibis.cases(*branches)

    out = {"person_id": person.person_id, "furthest": person.furthest}
    out.update({f"t{k}": person[f"t{k}"] for k in range(2, n + 1)})
    out["anchor_ts"] = at_furthest("a_ts")
    value: ir.Value = ibis.null("string")
    if by_event and spec.attribution == "first_touch":
        value = person.first_value
    elif by_event and ordered:
        value = (
            at_furthest("last_value")
            if spec.attribution == "last_touch"
            else person[f"step_value{spec.attribution_step}"]
        )
    elif by_event:
        k = spec.attribution_step
        out["_vseq"] = at_furthest("last_seq") if k is None else person[f"step_seq{k}"]
    out["value"] = value
    person = person.select(**out)
    if "_vseq" in person.columns:
        pick = rows.select(_p=rows.person_id, _s=rows.seq, _v=rows.value)
        joined = person.left_join(pick, [person.person_id == pick._p, person._vseq == pick._s])
        person = joined.select(
            *[c for c in person.columns if c not in ("value", "_vseq")], value=joined._v
        )
    if spec.breakdown is not None and spec.breakdown.on != "event":
        person = _with_profile_value(pop, person, spec)
    return person


def _with_profile_value(pop: Population, person: ir.Table, spec: FunnelSpec) -> ir.Table:
    """The breakdown value from the person's profile or their account's row."""
    from wayfinder.store.schema import ACCOUNTS, PROFILES

    b = spec.breakdown
    assert b is not None
    profiles = pop.ws.table(PROFILES.name)
    if b.on == "person":
        values = profiles.select(
            _p=profiles.person_id, _v=read_column(profiles, b.property).cast("string")
        )
    else:
        accounts = pop.ws.table(ACCOUNTS.name)
        j = profiles.left_join(accounts, profiles.account_id == accounts.account_id)
        col = (
            profiles.account_id if b.property == "account_id" else read_column(accounts, b.property)
        )
        values = j.select(_p=profiles.person_id, _v=col.cast("string"))
    joined = person.left_join(values, person.person_id == values._p)
    return joined.select(*[c for c in person.columns if c != "value"], value=joined._v)
