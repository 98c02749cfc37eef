"""A metric change's aggregates split into decompositions: the engine's rows per value and slot
as base and current figures with their sampling noise, each dimension's split with every value's
z, and the cross-check of the best candidates against each other (what survives held out).
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

from wayfinder.analyses import metric_change_query as Q
from wayfinder.analyses import metric_change_words as W
from wayfinder.explain import decompose as D
from wayfinder.explain import noise as N

if TYPE_CHECKING:
    from wayfinder.analyses.metric_change import Plan
    from wayfinder.analyses.population import Population
    from wayfinder.analyses.spec import Breakdown

#: The best dimensions whose top values are cross-checked against each other (one grouped query
#: per pair): a value's move that is mostly another's falls behind it.
CROSS_CHECKED = 3

#: What every side of a value holds (a plan has one or two parts), zeros when absent.
_COLUMNS = ("visits", "p0", "p1", "m0", "m1", "d0", "d1")


def per_slot(
    rows: list[dict], scale: float, parts: tuple[Q.Part, ...], key: str | None = None
) -> dict[str, dict]:
    """``{value: {"base": {col: x}, "current": {col: x}}}``; the base is the compared slots'
    sum times ``scale`` (their average when they are n periods of the same length). Each side
    also has ``m{i}``, part ``i``'s second moment as a raw sum (unscaled: the noise is read from
    what was counted), and the base ``d{i}``, its raw sum."""
    out: dict[str, dict] = {}
    for r in rows:
        value = r[key] if key else ""
        entry = out.setdefault(value, {"base": {}, "current": {}})
        side = "current" if r["_slot"] == 0 else "base"
        got = entry[side]
        for col, x in r.items():
            if col in ("_slot", "_key") or col.startswith("q"):
                continue
            x = float(x or 0)
            got[col] = got.get(col, 0.0) + x * (scale if side == "base" else 1.0)
            if col.startswith("p"):
                got["d" + col[1:]] = got.get("d" + col[1:], 0.0) + x
        for i, part in enumerate(parts):
            moment = r.get(f"q{i}") if part.agg == "sum" else r.get(f"p{i}")
            got[f"m{i}"] = got.get(f"m{i}", 0.0) + float(moment or 0)
    for entry in out.values():
        for side in ("base", "current"):
            for col in _COLUMNS:
                entry[side].setdefault(col, 0.0)
    return out


def decompose(p: Plan, values: dict[str, dict], overall: dict, scale: float) -> D.Decomposition:
    """The split of the change over ``values``, with each value's sampling noise pooled over
    both periods (``noise.pooled_variances``, ``noise.rate_variances``): every value's z."""
    names = sorted(values)
    b = [values[v]["base"] for v in names]
    c = [values[v]["current"] for v in names]
    empty = {"p0": 0.0, "p1": 0.0}
    base_total = overall.get("base", empty)
    current_total = overall.get("current", empty)
    if not p.ratio:
        current_var, base_var = N.pooled_variances(
            [x["m0"] for x in c], [x["m0"] for x in b], scale
        )
        return D.additive(
            names, [x["p0"] for x in b], [x["p0"] for x in c],
            base_total=base_total["p0"], current_total=current_total["p0"],
            base_var=base_var, current_var=current_var,
        )  # fmt: skip
    current_var, base_var = N.rate_variances(
        [x["m0"] + y["m0"] for x, y in zip(c, b, strict=True)],
        [x["d0"] + y["d0"] for x, y in zip(c, b, strict=True)],
        [x["d1"] + y["d1"] for x, y in zip(c, b, strict=True)],
        [x["d1"] for x in c],
        [x["d1"] for x in b],
    )
    return D.shift_share(
        names,
        [x["p0"] for x in b], [x["p1"] for x in b],
        [x["p0"] for x in c], [x["p1"] for x in c],
        base_rate=_rate(base_total), current_rate=_rate(current_total),
        base_rate_var=base_var, current_rate_var=current_var,
    )  # fmt: skip


def cross_check(
    p: Plan,
    pop: Population,
    tagged: Any,
    slots: Q.Slots,
    scale: float,
    dims: dict[str, Breakdown],
    ranked: list[tuple[str, D.Decomposition]],
) -> dict[tuple[str, str], D.Held]:
    """``{(a, b): what of a's top value's move persists with b's top value held out}`` for the
    top values of the best ``CROSS_CHECKED`` dimensions that explain the change (a material
    surprise): per pair one grouped query returns the four cells (in or out of each value) per
    slot, and each value's change is decomposed again over the rows outside the other value."""
    found = [(n, d) for n, d in ranked[:CROSS_CHECKED] if d.score(W.NAMED) >= W.MIN_SURPRISE]
    if len(found) < 2:
        return {}
    tops = {n: d.top_of(W.NAMED) for n, d in found}
    held: dict[tuple[str, str], D.Held] = {}
    for (a, _), (b, _) in combinations(found, 2):
        top_a, top_b = tops[a], tops[b]
        assert top_a is not None and top_b is not None
        pair = ((dims[a], top_a.value), (dims[b], top_b.value))
        rows = pop.ws.engine.to_arrow(Q.crossed(pop, tagged, pair, slots, p.parts)).to_pylist()
        for r in rows:
            r["_key"] = (bool(r.pop("_a")), bool(r.pop("_b")))
        cells = per_slot(rows, scale, p.parts, key="_key")
        held[a, b] = _held(p, cells, top_a, scale, first=True)
        held[b, a] = _held(p, cells, top_b, scale, first=False)
    return held


def _held(p: Plan, cells: dict, top: D.Contribution, scale: float, first: bool) -> D.Held:
    """``top``'s surprise among the rows outside the other value: its value vs the rest there."""
    zero = dict.fromkeys(_COLUMNS, 0.0)
    nothing = {"base": zero, "current": zero}

    def cell(mine: bool) -> dict:
        return cells.get((mine, False) if first else (False, mine), nothing)

    values = {top.value: cell(True), "\0rest": cell(False)}
    outside = {
        side: {c: sum(v[side][c] for v in values.values()) for c in ("p0", "p1")}
        for side in ("base", "current")
    }
    return D.held_out(decompose(p, values, outside, scale), top.value, top)


def reordered(
    ranked: list[tuple[str, D.Decomposition]], held: dict[tuple[str, str], D.Held]
) -> list[tuple[str, D.Decomposition]]:
    """The cross-checked dimensions first, by what of their top value's move survives."""
    if not held:
        return ranked
    checked = list(dict.fromkeys(a for a, _ in held))
    of = dict(ranked)
    scores = {n: of[n].strength(W.NAMED) for n in checked}
    strengths = {k: h.strength(of[k[0]].base_total) for k, h in held.items()}
    order = D.cross_checked(checked, scores, strengths)
    return [(n, of[n]) for n in order] + [(n, d) for n, d in ranked if n not in checked]


def _rate(total: dict) -> float:
    return total["p0"] / total["p1"] if total["p1"] else 0.0
