"""Who entered, who converted, and the candidate features of each person or account, built in the
engine for the conversion drivers: events, pages, content, repeats, first touch, properties.

No leakage: a feature counts only when it happened between the unit's entry and its conversion
(or the end of its window), and never the goal's own events. First touch and properties are
known at entry. Every feature table has the columns ``unit_id, feature, label, kind``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.steps import event_condition, step_rows
from wayfinder.semantic.conditions import glob_to_regex
from wayfinder.semantic.sources import current_rows
from wayfinder.store.schema import ACCOUNTS

if TYPE_CHECKING:
    from wayfinder.analyses.conversion_drivers import ConversionDriversSpec
    from wayfinder.analyses.population import Population

#: Kinds of candidate feature, in the order the docs list them.
KINDS = (
    "event",
    "page",
    "content",
    "frequency",
    "channel",
    "campaign",
    "property",
    "account",
    "interaction",
)
#: "At least N times" and "within D days" ladders of the repeat features.
TIMES = (2, 3, 5, 10)
DAYS = (1, 7, 14)
#: Kinds read from the touchpoints table (built once per workspace on demand).
_TOUCH_KINDS = ("content", "channel", "campaign", "interaction")
_INTERACTION_WORDS = {
    "call": "had a call with a rep",
    "meeting": "had a meeting with a rep",
    "webinar_attended": "attended a webinar",
    "webinar_registered": "registered for a webinar",
    "email_clicked": "clicked a marketing e-mail",
    "email_opened": "opened a marketing e-mail",
    "email_sent": "were sent a marketing e-mail",
    "support_ticket": "opened a support ticket",
}
_SIZES = ((0, 50, "1-49"), (50, 250, "50-249"), (250, 1000, "250-999"), (1000, None, "1000+"))


def unit_keys(pop: Population, level: str) -> ir.Table | None:
    """``person_id -> unit_id`` for account level (people without an account drop out); None
    at person level, where the unit is the person."""
    if level == "person":
        return None
    profiles = pop.profiles()
    profiles = profiles.filter(profiles.account_id.notnull())
    return profiles.select(_person=profiles.person_id, _unit=profiles.account_id.cast("string"))


def keyed(t: ir.Table, keys: ir.Table | None) -> ir.Table:
    """``t`` (with ``person_id``) with its unit's ``unit_id``."""
    if keys is None:
        return t.mutate(unit_id=t.person_id.cast("string"))
    # Keys on the left: ``t`` is often an unfinished join chain (events and identity_map), which
    # Ibis cannot extend with a predicate on its own projected columns.
    keys = keys.view()
    joined = keys.join(t, keys._person == t.person_id)
    return joined.select(*[joined[c] for c in t.columns], unit_id=joined._unit)


def population_units(spec: ConversionDriversSpec, pop: Population) -> tuple[ir.Table, ir.Table]:
    """``(units, entries)``: one row per unit that entered in the range (``unit_id``,
    ``entered_at``, ``converted_at``, ``success``, ``until``: the conversion or the window's end,
    where features stop), and the entry events (every event column when the entry is an event)."""
    keys = unit_keys(pop, spec.level)
    entries = step_rows(pop, spec.entry) if spec.entry is not None else pop.events()
    entries = keyed(entries, keys)
    entered = entries.group_by("unit_id").aggregate(entered_at=entries.timestamp.min())
    window = ibis.interval(seconds=spec.window_seconds)

    goals = keyed(step_rows(pop, spec.goal, in_range=False).select("person_id", "timestamp"), keys)
    e = entered.view()
    g = goals.join(e, goals.unit_id == e.unit_id)
    g = g.filter((g.timestamp >= g.entered_at) & (g.timestamp < g.entered_at + window))
    converted = g.group_by(_unit="unit_id").aggregate(converted_at=g.timestamp.min())

    joined = entered.left_join(converted, entered.unit_id == converted._unit)
    units = joined.select(
        unit_id=joined.unit_id,
        entered_at=joined.entered_at.cast("timestamp"),
        converted_at=joined.converted_at.cast("timestamp"),
        success=joined.converted_at.notnull(),
        until=ibis.coalesce(joined.converted_at, joined.entered_at + window).cast("timestamp"),
    )
    return units, entries


def candidate_features(
    spec: ConversionDriversSpec, pop: Population, units: ir.Table, entries: ir.Table
) -> ir.Table:
    """Every candidate feature of every unit, distinct, with the spec's exclusions applied."""
    keys = unit_keys(pop, spec.level)
    kinds = set(spec.kinds)
    parts: list[ir.Table] = []
    span = units.select(_u=units.unit_id, _from=units.entered_at, _until=units.until)

    if kinds & {"event", "page", "frequency"}:
        events = keyed(pop.events(in_range=False), keys)
        goal = event_condition(spec.goal, events, pop.ws.catalog)
        if goal is not None:
            events = events.filter(~goal)
        activity = _between(events, span)
        things = activity.select(
            "unit_id",
            "timestamp",
            thing=ibis.cases(
                ((activity.type == "track") & activity.event.notnull(), "event:" + activity.event),
                ((activity.type == "page") & activity.path.notnull(), "page:" + activity.path),
                ((activity.type == "screen") & activity.name.notnull(), "screen:" + activity.name),
                else_=ibis.null("string"),
            ),
        ).filter(lambda t: t.thing.notnull())
        if "event" in kinds:
            parts.append(_simple(things.filter(things.thing.startswith("event:")), "event"))
        if "page" in kinds:
            parts.append(_simple(things.filter(~things.thing.startswith("event:")), "page"))
        if "frequency" in kinds:
            parts.append(_repeats(things, spec.max_frequency, spec.frequency_days))

    if kinds & set(_TOUCH_KINDS):
        touches = keyed(pop.ws.touchpoints(), keys)
        parts.extend(_touch_features(touches, span, kinds))
    if "property" in kinds and "device_type" in entries.columns:
        parts.extend(_entry_properties(entries))
    if "account" in kinds:
        parts.extend(_account_properties(pop, units, spec.level))

    features = parts[0]
    for p in parts[1:]:
        features = features.union(p)
    features = features.distinct()
    for pattern in spec.exclude:
        features = features.filter(~features.feature.re_search(glob_to_regex(pattern)))
    return features


def _between(t: ir.Table, span: ir.Table) -> ir.Table:
    """Rows of ``t`` in each unit's ``[entered_at, until)``: after entry, before the outcome."""
    joined = t.join(span, t.unit_id == span._u)
    return joined.filter((joined.timestamp >= joined._from) & (joined.timestamp < joined._until))


def _simple(things: ir.Table, kind: str) -> ir.Table:
    name = things.thing.substr(things.thing.find(":") + 1)
    verb = {"event": "did ", "page": "viewed "}[kind]
    return things.select(
        unit_id=things.unit_id,
        feature=things.thing,
        label=ibis.literal(verb) + name,
        kind=ibis.literal(kind),
    ).distinct()


def _repeats(things: ir.Table, max_times: int, max_days: int) -> ir.Table:
    """ "Did X at least N times within D days": the most times each unit did each thing within
    any D days, for each D of the ladder, then one feature per (N, D) it reached."""
    seconds = things.timestamp.epoch_seconds().floor().cast("int64")
    t = things.mutate(_s=seconds)
    days = [d for d in DAYS if d <= max_days] or [max_days]
    times = [n for n in TIMES if n <= max_times]
    counts = {}
    for d in days:
        # Events within the D days up to each event (a range frame on whole seconds).
        w = ibis.range_window(
            group_by=[t.unit_id, t.thing], order_by=t._s, preceding=d * 86400 - 1, following=0
        )
        counts[f"c{d}"] = t.unit_id.count().over(w)
    t = t.mutate(**counts)
    most = t.group_by(["unit_id", "thing"]).aggregate(**{k: t[k].max() for k in counts})
    parts = []
    for d in days:
        for n in times:
            reached = most.filter(most[f"c{d}"] >= n)
            name = reached.thing.substr(reached.thing.find(":") + 1)
            verb = ibis.cases((reached.thing.startswith("event:"), "did "), else_="viewed ")
            within = "within 1 day" if d == 1 else f"within {d} days"
            parts.append(
                reached.select(
                    unit_id=reached.unit_id,
                    feature=reached.thing + f" x{n} in {d}d",
                    label=verb + name + f" at least {n} times {within}",
                    kind=ibis.literal("frequency"),
                )
            )
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p)
    return out


def _touch_features(touches: ir.Table, span: ir.Table, kinds: set[str]) -> list[ir.Table]:
    parts = []
    within = _between(touches, span)
    if "content" in kinds:
        read = within.filter((within.touch_type == "content_view") & within.content_id.notnull())
        title = ibis.coalesce(read.content_title, read.content_id)
        parts.append(
            read.select(
                unit_id=read.unit_id,
                feature="content:" + read.content_id.cast("string"),
                label='read "' + title + '"',
                kind=ibis.literal("content"),
            )
        )
    if "interaction" in kinds:
        done = within.filter(~within.touch_type.isin(("session", "content_view")))
        words = ibis.cases(
            *((done.touch_type == k, v) for k, v in _INTERACTION_WORDS.items()),
            else_="had a " + done.touch_type.re_replace("_", " "),
        )
        parts.append(
            done.select(
                unit_id=done.unit_id,
                feature="interaction:" + done.touch_type,
                label=words,
                kind=ibis.literal("interaction"),
            )
        )
    if kinds & {"channel", "campaign"}:
        # First touch: the unit's first visit before its outcome (usually before its entry).
        before = touches.join(span, touches.unit_id == span._u)
        before = before.filter(
            (before.touch_type == "session") & (before.timestamp < before._until)
        )
        first = before.group_by("unit_id").aggregate(
            channel=before.channel.argmin(before.timestamp),
            campaign=before.campaign.argmin(before.timestamp),
        )
        if "channel" in kinds:
            c = first.filter(first.channel.notnull())
            parts.append(
                c.select(
                    unit_id=c.unit_id,
                    feature="channel:" + c.channel,
                    label="first came through " + c.channel,
                    kind=ibis.literal("channel"),
                )
            )
        if "campaign" in kinds:
            c = first.filter(first.campaign.notnull() & (first.campaign != ""))
            parts.append(
                c.select(
                    unit_id=c.unit_id,
                    feature="campaign:" + c.campaign,
                    label="first came through the campaign " + c.campaign,
                    kind=ibis.literal("campaign"),
                )
            )
    return parts


def _entry_properties(entries: ir.Table) -> list[ir.Table]:
    """Device and country of each unit's entry event (known when the unit enters)."""
    first = entries.group_by("unit_id").aggregate(
        device=entries.device_type.argmin(entries.timestamp),
        country=entries.country.argmin(entries.timestamp),
    )
    parts = []
    for column, key, words in (
        ("device", "device", "were on "),
        ("country", "country", "were in "),
    ):
        t = first.filter(first[column].notnull() & (first[column] != ""))
        parts.append(
            t.select(
                unit_id=t.unit_id,
                feature=f"{key}:" + t[column],
                label=words + t[column] + (" (device)" if key == "device" else " (country)"),
                kind=ibis.literal("property"),
            )
        )
    return parts


def _account_properties(pop: Population, units: ir.Table, level: str) -> list[ir.Table]:
    """Industry, plan, size band and country of the unit's account."""
    accounts = current_rows(pop.ws, ACCOUNTS.name)
    if level == "person":
        profiles = pop.profiles().filter(lambda p: p.account_id.notnull())
        link = profiles.select(_u=profiles.person_id.cast("string"), _a=profiles.account_id)
    else:
        link = units.select(_u=units.unit_id, _a=units.unit_id)
    link = link.filter(link._u.isin(units.unit_id))
    joined = link.join(accounts, link._a == accounts.account_id.cast("string"))
    size = ibis.cases(
        *(
            (
                (joined.employees >= lo) & ((joined.employees < hi) if hi else ibis.literal(True)),
                band,
            )
            for lo, hi, band in _SIZES
        ),
        else_=ibis.null("string"),
    )
    parts = []
    for key, value, words in (
        ("industry", joined.industry, "are in "),
        ("plan", joined.plan, "are on the plan "),
        ("size", size, "have employees: "),
        ("account_country", joined.country, "have their account in "),
    ):
        t = joined.select(unit_id=joined._u, _v=value.cast("string"))
        t = t.filter(t._v.notnull() & (t._v != ""))
        parts.append(
            t.select(
                unit_id=t.unit_id,
                feature=f"{key}:" + t._v,
                label=words + t._v,
                kind=ibis.literal("account"),
            )
        )
    return parts


__all__ = ["KINDS", "candidate_features", "population_units", "unit_keys"]
