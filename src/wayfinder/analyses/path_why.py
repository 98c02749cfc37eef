"""The why of a paths result. To a goal: what sets the people who reached it apart, read from the
items on everyone's way (the paths' own pages, screens or events, cleaned and grouped as the
paths are), with the drivers' statistics and multivariate check (``explain.drivers``). From a
start without a goal: the next steps that follow the start more often than their share of all
items would predict.

Bounded: the items are read once (the same rows the paths are built from, kept by the engine),
the drivers' grouped counts and a multivariate check over at most ``MODEL_FEATURES`` features;
the next steps add one grouped count. Both only when ``spec.why``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wayfinder.analyses.path_items import anchor_rows, anchoring, item_column
from wayfinder.analyses.reasons import Reason
from wayfinder.explain.noise import FAMILY_CHANCE, by_chance

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wayfinder.analyses.paths import PathsSpec
    from wayfinder.analyses.population import Population
    from wayfinder.explain.drivers import Drivers

#: At most this many reasons; the multivariate check takes at most this many features.
MAX_REASONS, MODEL_FEATURES = 3, 10
#: Next steps considered from a start: the most followed ones.
NEXT_CANDIDATES = 20
_THINGS = {"page": "page views", "screen": "screen views", "event": "events"}


@dataclass
class PathWhy:
    """The reasons, and the drivers behind them (their ``drill`` lists the people) when the
    paths lead to a goal."""

    reasons: list[Reason]
    drivers: Drivers | None = None


def path_why(spec: PathsSpec, pop: Population, paths: ir.Table, total: int) -> PathWhy:
    """The why of a paths result; ``paths`` is the runner's table of distinct paths with their
    count ``n`` (kept by the engine), ``total`` the journeys counted."""
    if not spec.why:
        return PathWhy([])
    mode = anchoring(spec)
    if mode in ("goal", "both"):
        return goal_drivers(spec, pop)
    if mode == "start" and total:
        return PathWhy(next_steps(spec, pop, paths, total))
    return PathWhy([])


def goal_drivers(spec: PathsSpec, pop: Population) -> PathWhy:
    """Everyone seen in the range (with a start: everyone who did it), succeeding when they
    reached the goal (after the start); their features are the items they had on the way,
    before the goal, or in the whole range when they never reached it."""
    from wayfinder.analyses.conversion_drivers import outcome_words
    from wayfinder.explain.drivers import find_drivers

    assert spec.goal is not None
    rows, _ = anchor_rows(pop, spec)
    rows = rows.select("person_id", "timestamp", "_goal", "_start", "_label")
    with rows.cache() as kept:
        units, features = _units_and_features(spec, kept)
        with features.cache() as kept_features:
            drivers = find_drivers(
                pop.ws.engine,
                units,
                kept_features,
                max_model_features=MODEL_FEATURES,
                outcome_words=outcome_words(spec.goal),
                population_word="people",
            )
    # The drill-down reads the rows again when asked.
    drivers.units, drivers.features = _units_and_features(spec, rows)
    # A driver another one explains away (/pricing?plan=pro beside /pricing) is no reason.
    held = [r for r in drivers.reasons if r.evidence["holds_when_controlled"] is not False]
    return PathWhy(held[:MAX_REASONS], drivers)


def _units_and_features(spec: PathsSpec, rows: ir.Table) -> tuple[ir.Table, ir.Table]:
    joined = rows
    if spec.start is not None:  # from each person's first start on
        starts = rows.group_by(_p=rows.person_id).aggregate(
            _from=rows.timestamp.min(where=rows._start)
        )
        starts = starts.filter(starts._from.notnull()).view()
        joined = rows.join(starts, rows.person_id == starts._p)
        joined = joined.filter(joined.timestamp >= joined._from).drop("_p", "_from")
    firsts = joined.group_by("person_id").aggregate(
        _until=joined.timestamp.min(where=joined._goal & ~joined._start)
    )
    units = firsts.select(unit_id=firsts.person_id.cast("string"), success=firsts._until.notnull())
    firsts = firsts.view()
    on_way = joined.join(firsts, joined.person_id == firsts.person_id)
    on_way = on_way.filter(
        on_way._label.notnull()
        & ~on_way._goal
        & ~on_way._start
        & (on_way._until.isnull() | (on_way.timestamp < on_way._until))
    )
    prefix = {"page": "page:", "screen": "screen:", "event": "event:"}[spec.items]
    verb = "did " if spec.items == "event" else "viewed "
    features = on_way.select(
        unit_id=on_way.person_id.cast("string"),
        feature=ibis.literal(prefix) + on_way._label,
        label=ibis.literal(verb) + on_way._label,
        kind=ibis.literal("event" if spec.items == "event" else "page"),
    ).distinct()
    return units, features


def next_steps(spec: PathsSpec, pop: Population, paths: ir.Table, total: int) -> list[Reason]:
    """From a start: the items that come next more often than their share of all items in the
    range predicts (a binomial z against that share, counted as significant when the most
    surprising of the candidates would be that far out by chance at most ``FAMILY_CHANCE``)."""
    assert spec.start is not None
    engine = pop.ws.engine
    second = paths[item_column(2)]
    nexts = paths.filter(second.notnull()).group_by(_item=second).aggregate(k=paths.n.sum())
    nexts = nexts.order_by([ibis.desc("k"), "_item"]).limit(NEXT_CANDIDATES)
    found = {r["_item"]: int(r["k"]) for r in engine.to_arrow(nexts).to_pylist()}
    if not found:
        return []
    rows, _ = anchor_rows(pop, spec)
    items = rows.filter(rows._label.notnull() & ~rows._start)
    counts = items.aggregate(
        all=items.count(),
        **{f"c{i}": items.count(where=items._label == item) for i, item in enumerate(found)},
    )
    seen = engine.to_arrow(counts).to_pylist()[0]
    everything = int(seen["all"] or 0)
    if not everything:
        return []
    candidates = []
    for i, (item, k) in enumerate(found.items()):
        share = int(seen[f"c{i}"] or 0) / everything
        if not 0 < share < 1:
            continue
        z = (k - total * share) / math.sqrt(total * share * (1 - share))
        candidates.append((z, item, k, share))
    out = []
    for z, item, k, share in sorted(candidates, reverse=True):
        chance = by_chance(z, len(candidates))
        if z <= 0 or chance > FAMILY_CHANCE or len(out) == MAX_REASONS:
            break
        out.append(_next_reason(spec, item, k, total, share, z, chance))
    return out


def _next_reason(
    spec: PathsSpec, item: str, k: int, total: int, share: float, z: float, chance: float
) -> Reason:
    assert spec.start is not None
    start, unit, things = spec.start.name, spec.unit, _THINGS[spec.items]
    followed = k / total
    sentence = (
        f"After {start}, {followed:.0%} of {unit} go to {item} next, {followed / share:.1f}x its "
        f"share of all {things} in the period ({share:.1%}; z = {z:.1f}) (an association, not "
        "proof of cause)."
    )
    evidence: dict[str, Any] = {
        "item": item, "journeys": k, "of": total, "share_next": followed, "share_all": share,
        "lift": followed / share, "z": z, "chance": chance,
    }  # fmt: skip
    experiment = (
        f"test it: make {item} easier (or harder) to reach from {start} for a random half of "
        f"{unit} and compare what they do next"
    )
    return Reason(sentence, "association", evidence, {"position": 2, "item": item}, experiment)


__all__ = ["PathWhy", "goal_drivers", "next_steps", "path_why"]
