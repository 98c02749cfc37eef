"""Why people drop out of a funnel. With a breakdown: the group that lags most at a step (from the
funnel's own counts). Without: at the step with the largest drop-off, the drivers of going on
among the people who reached the step before it (``explain.drivers``): the device, operating
system and country of that step's event and the channel they first came through.

Bounded: two small feature queries over the people who reached that step, the grouped counts and
a multivariate check over at most ``MODEL_FEATURES`` features, only when ``spec.why``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import pyarrow as pa

from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.steps import event_condition, step_rows
from wayfinder.model.channels import with_channels

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wayfinder.analyses.funnels import FunnelSpec
    from wayfinder.analyses.population import Population

#: A step needs this many people who reached the step before it for any why at all.
MIN_PEOPLE = 30
#: At most this many reasons; the multivariate check takes at most this many features.
MAX_REASONS, MODEL_FEATURES = 3, 10
#: Columns of the step's event read as features, with their words.
_PROPERTIES = (
    ("device_type", "device", "were on {} (device)"),
    ("os_name", "os", "used {} (operating system)"),
    ("country", "country", "were in {} (country)"),
)
_FIRST_TOUCH = ("utm_source", "utm_medium", "utm_campaign", "click_id_type", "referrer", "url")


def group_gap(spec: FunnelSpec, names: list[str], table: pa.Table) -> list[Reason]:
    """With a breakdown: the step where groups differ most, and the group that lags there, with
    its conversion against everyone else's at that step (from the funnel's own counts)."""
    if spec.breakdown is None or not spec.why:
        return []
    rows = table.to_pylist()
    best: tuple[float, int, str, float, float] | None = None
    for k in range(2, len(names) + 1):
        reached = {r["breakdown"]: r["people"] for r in rows if r["step"] == k}
        before = {r["breakdown"]: r["people"] for r in rows if r["step"] == k - 1}
        for group, n_before in before.items():
            rest_before = sum(before.values()) - n_before
            if n_before < MIN_PEOPLE or rest_before < MIN_PEOPLE:  # too few to say anything
                continue
            rate = reached.get(group, 0) / n_before
            rest = (sum(reached.values()) - reached.get(group, 0)) / rest_before
            if rest and (best is None or rate / rest < best[0]):
                best = (rate / rest, k, group, rate, rest)
    if best is None or best[0] > 0.9:
        return []
    ratio, k, group, rate, rest = best
    sentence = (
        f"At {names[k - 2]} > {names[k - 1]}, {group} ({spec.breakdown}) continues {rate:.0%} "
        f"of the time against {rest:.0%} for everyone else ({ratio:.2f}x): the biggest gap "
        f"between groups in this funnel."
    )
    evidence = {"step": k, "group": group, "rate": rate, "rate_others": rest, "ratio": ratio}
    people = {"step": k - 1, "dropped": True, "breakdown": group}
    return [Reason(sentence, "decomposition", evidence, people=people)]


def biggest_drop(names: list[str], table: pa.Table) -> tuple[int, float] | None:
    """``(k, loss)``: the step k (2..n) that the most of those at step k - 1 fail to reach,
    among steps with at least ``MIN_PEOPLE`` people before them; None when nobody drops.

    >>> t = pa.table({"step": [1, 2, 3], "people": [100, 90, 40]})
    >>> biggest_drop(["a", "b", "c"], t)
    (3, 0.5555555555555556)
    """
    counts = dict(zip(table["step"].to_pylist(), table["people"].to_pylist(), strict=True))
    drops = [
        (1 - counts[k] / counts[k - 1], k)
        for k in range(2, len(names) + 1)
        if counts.get(k - 1, 0) >= MIN_PEOPLE
    ]
    if not drops:
        return None
    loss, k = max(drops)
    return (k, loss) if loss > 0 else None


@dataclass
class DropWhy:
    """The reasons for the biggest drop, the step whose people they compare, and the drivers
    table behind them."""

    reasons: list[Reason]
    step: int | None = None
    table: pa.Table | None = None


def drop_drivers(
    spec: FunnelSpec, pop: Population, names: list[str], table: pa.Table, people: ir.Table
) -> DropWhy:
    """Without a breakdown: the drivers of going on at the biggest drop. ``people`` is the reach
    table (``person_id``, ``furthest``), ``table`` the step table."""
    from wayfinder.explain.drivers import find_drivers

    found = biggest_drop(names, table) if spec.breakdown is None and spec.why else None
    if found is None:
        return DropWhy([])
    k, loss = found
    units = people.filter(people.furthest >= k - 1)
    units = units.select(unit_id=units.person_id.cast("string"), success=units.furthest >= k)
    features = step_features(spec, pop, people, k - 1)
    with features.cache() as kept:
        drivers = find_drivers(
            pop.ws.engine,
            units,
            kept,
            max_model_features=MODEL_FEATURES,
            outcome_words=(f"went on to {names[k - 1]}", f"go on to {names[k - 1]}"),
            population_word="people",
        )
    head = (
        f"At {names[k - 2]} > {names[k - 1]}, the biggest drop ({loss:.0%} of the "
        f"{drivers.total:,} who reached {names[k - 2]} did not go on): "
    )
    reasons = []
    # A driver another one explains away (desktop beside mobile) is no reason of its own.
    held = [r for r in drivers.reasons if r.evidence["holds_when_controlled"] is not False]
    for r in held[:MAX_REASONS]:
        selector = {"step": k - 1, "dropped": True, **(r.people or {})}
        evidence = r.evidence | {"step": k, "loss": loss}
        sentence = head + r.sentence[:1].lower() + r.sentence[1:]
        reasons.append(Reason(sentence, r.claim, evidence, selector, r.experiment))
    return DropWhy(reasons, k - 1, drivers.table)


def step_features(spec: FunnelSpec, pop: Population, people: ir.Table, step: int) -> ir.Table:
    """``unit_id, feature, label, kind`` of the people who reached ``step`` (1-based): the
    device, operating system and country of their first event of that step in the range (of the
    first step when that one is not an event), and the channel of their first event ever."""
    reached = people.filter(people.furthest >= step).select(_pid=people.person_id)
    parts = []
    events = pop.events(in_range=False)
    chosen = next(
        (
            s
            for s in (spec.steps[step - 1], spec.steps[0])
            if event_condition(s, events, pop.ws.catalog) is not None
        ),
        None,
    )
    if chosen is not None:
        rows = step_rows(pop, chosen, in_range=False)
        if pop.start is not None:
            rows = rows.filter(rows.timestamp >= pop.start)
        rows = rows.filter(rows.person_id.isin(reached._pid))
        first = rows.group_by("person_id").aggregate(
            **{column: rows[column].argmin(rows.timestamp) for column, _, _ in _PROPERTIES}
        )
        for column, key, words in _PROPERTIES:
            parts.append(_feature(first, first[column], key, words, "property"))
    mine = events.filter(events.person_id.isin(reached._pid))
    if pop.end is not None:
        mine = mine.filter(mine.timestamp < pop.end)
    first_touch = mine.group_by("person_id").aggregate(
        **{c: mine[c].argmin(mine.timestamp) for c in _FIRST_TOUCH}
    )
    touched = with_channels(first_touch)
    parts.append(_feature(touched, touched.channel, "channel", "first came through {}", "channel"))
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out.distinct()


def _feature(t: ir.Table, value: ir.Value, key: str, words: str, kind: str) -> ir.Table:
    before, _, after = words.partition("{}")
    t = t.mutate(_v=value.cast("string")).filter(lambda x: x._v.notnull() & (x._v != ""))
    return t.select(
        unit_id=t.person_id.cast("string"),
        feature=ibis.literal(f"{key}:") + t._v,
        label=ibis.literal(before) + t._v + ibis.literal(after),
        kind=ibis.literal(kind),
    )


def drill_feature(
    spec: FunnelSpec, pop: Population, people: ir.Table, step: int, feature: str
) -> ir.Table:
    """``people`` (rows of the reach table) who have ``feature`` at ``step``."""
    having = step_features(spec, pop, people, step)
    having = having.filter(having.feature == feature)
    return people.filter(people.person_id.cast("string").isin(having.unit_id))


__all__ = ["DropWhy", "biggest_drop", "drill_feature", "drop_drivers", "group_gap"]
