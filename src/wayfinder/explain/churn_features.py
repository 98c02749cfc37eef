"""Churn drivers' population and candidate features: who could have churned, who did, and what
each unit looked like in the lookback window before its reference date (never after it).

Units come from subscriptions (one per subscription life; a plan change keeps the life) or from
inactivity (people or accounts that went silent). Every feature is a distinct row ``unit_id``,
``feature``, ``label``, ``kind``, measured only in ``[ref - lookback, ref)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population

#: "At least N" ladders: one feature per rung, so the data says where the effect starts.
COUNT_LADDER = (1, 3, 5, 8)
#: Seat usage (seats_used / seats) below these shares.
USAGE_THRESHOLDS = (0.4, 0.6)
#: Company size bands by employees: (lowest, label).
SIZE_BANDS = ((1000, "1000+"), (250, "250-999"), (50, "50-249"), (0, "1-49"))
#: Statuses of a subscription that is over; ``superseded`` is a plan change, not an end.
CANCELED = ("canceled", "cancelled")
#: Our own sends are not something the customer did.
NOT_BEHAVIOUR = ("email_sent",)
#: Interaction types in words (plural); others read "'type' interactions".
INTERACTION_WORDS = {
    "support_ticket": "support tickets",
    "call": "calls",
    "meeting": "meetings",
    "chat": "chats",
    "email_opened": "e-mail opens",
    "email_clicked": "e-mail clicks",
    "webinar_registered": "webinar registrations",
    "webinar_attended": "webinars attended",
}
_FEATURES = ("unit_id", "feature", "label", "kind")


def subscription_units(subs: ir.Table, end: datetime, *, min_tenure_days: int) -> ir.Table:
    """One row per subscription life seen by ``end``: its last subscription, ``success`` = it
    was canceled before ``end``, ``ref`` = the cancellation or ``end``, ``life_start``.

    A life starts with a subscription that does not continue a superseded one (same account,
    started when the other ended) and runs through its plan changes; lives started less than
    ``min_tenure_days`` before ``end`` had no time to churn and are left out.
    """
    subs = subs.filter(subs.started_at < end)
    status = subs.status.lower().fill_null("")
    w = ibis.window(group_by=subs.account_id, order_by=[subs.started_at, subs.subscription_id])
    prev_status = status.lag().over(w)
    prev_end = subs.ended_at.lag().over(w)
    continues = (prev_status == "superseded") & (prev_end == subs.started_at)
    subs = subs.mutate(
        _status=status, _new=ibis.ifelse(continues.fill_null(False), 0, 1).cast("int64")
    )
    w2 = ibis.window(
        group_by=subs.account_id,
        order_by=[subs.started_at, subs.subscription_id],
        preceding=None,
        following=0,
    )
    subs = subs.mutate(_life=subs._new.sum().over(w2))
    starts = subs.group_by("account_id", "_life").aggregate(life_start=subs.started_at.min())
    # A superseded subscription is never a life's last one (its successor is), unless the
    # successor starts after ``end``: then the life is still on its old plan.
    ended = subs.ended_at.notnull() & (subs.ended_at < end)
    last = subs.filter(~((subs._status == "superseded") & ended))
    last = last.mutate(
        _rank=ibis.row_number().over(
            ibis.window(
                group_by=[last.account_id, last._life],
                order_by=[last.started_at.desc(), last.subscription_id.desc()],
            )
        )
    )
    last = last.filter(last._rank == 0)
    starts = starts.view()
    joined = last.join(
        starts, (last.account_id == starts.account_id) & (last._life == starts._life)
    )
    churned = ended & last._status.isin(CANCELED)
    joined = joined.select(
        unit_id=last.subscription_id,
        success=churned,
        ref=ibis.ifelse(churned, last.ended_at, ibis.literal(end)).cast("timestamp"),
        account_id=last.account_id,
        contact_id=last.contact_id,
        life_start=starts.life_start,
        plan=last.plan,
        billing_period=last.billing_period,
        seats=last.seats,
        seats_used=last.seats_used,
        _status=last._status,
    )
    # Still running, or canceled: other final states (paused, expired) are not clear churn.
    keep = joined._status.isin(("active", "trialing", "past_due", "", *CANCELED))
    old_enough = joined.life_start <= ibis.literal(end - timedelta(days=min_tenure_days))
    return joined.filter(keep & old_enough).drop("_status")


def inactivity_units(
    events: ir.Table,
    end: datetime,
    *,
    key: str,
    inactive_days: int,
    min_tenure_days: int,
) -> ir.Table:
    """People (``key="person_id"``) or accounts (``key="account_id"``) first seen at least
    ``min_tenure_days`` before ``end`` and active before the last ``inactive_days``; churned
    when they did nothing in those days. ``ref`` is the start of the silent window for all, so
    features of churned and retained units cover the same kind of period."""
    silent_from = end - timedelta(days=inactive_days)
    events = events.filter(events[key].notnull() & (events.timestamp < end))
    per = events.group_by(unit_id=events[key]).aggregate(
        first=events.timestamp.min(),
        last=events.timestamp.max(),
    )
    per = per.filter(
        (per["first"] <= ibis.literal(end - timedelta(days=min_tenure_days)))
        & (per["first"] < silent_from)
    )
    return per.select(
        unit_id=per.unit_id.cast("string"),
        success=per["last"] < silent_from,
        ref=ibis.literal(silent_from).cast("timestamp"),
    )


def members(units: ir.Table, profiles: ir.Table, *, level: str) -> ir.Table:
    """``unit_id``, ``person_id``: the people whose behaviour counts for each unit (every
    person of the account at account level, the unit's own person at person level)."""
    if level != "account":
        return units.filter(units.person_id.notnull()).select("unit_id", "person_id").distinct()
    p = profiles.select(_person=profiles.person_id, _account=profiles.account_id)
    u = units.select("unit_id", "account_id")
    j = u.join(p, u.account_id == p._account)
    return j.select(unit_id=j.unit_id, person_id=j._person).distinct()


def _window(t: ir.Table, refs: ir.Table, on, days: int) -> ir.Table:
    """Rows of ``t`` joined to ``refs`` (``unit_id``, ``_ref``) on ``on``, inside the lookback:
    ``[ref - days, ref)``. Nothing at or after the reference date is read."""
    j = t.join(refs, on(t, refs))
    return j.filter((j.timestamp < j._ref) & (j.timestamp >= j._ref - ibis.interval(days=days)))


def _ladder(counts: ir.Table, key: ibis.Value, label, kind: str) -> ir.Table:
    """One row per rung of ``COUNT_LADDER`` the unit's ``n`` reaches; ``label(rung)`` words it."""
    parts = [
        counts.filter(counts.n >= rung).select(
            unit_id=counts.unit_id,
            feature=key.concat(f">={rung}"),
            label=label(rung),
            kind=ibis.literal(kind),
        )
        for rung in COUNT_LADDER
    ]
    return ibis.union(*parts)


def interaction_features(
    units: ir.Table, interactions: ir.Table, idmap: ir.Table, *, level: str, days: int
) -> ir.Table:
    """Interactions of each type (support tickets, calls, webinars, e-mail opens) at least N
    times in the lookback: the account's at account level, the person's at person level."""
    refs = units.select("unit_id", "account_id", "person_id", _ref=units.ref)
    i = interactions.filter(~interactions.type.isin(NOT_BEHAVIOUR))
    if level == "account":
        i = i.select("type", "timestamp", _key=i.account_id)
        j = _window(i, refs, lambda a, b: a._key == b.account_id, days)
    else:
        ident = ibis.ifelse(
            i.email.notnull(), "email:" + i.email.lower(), "contact_id:" + i.contact_id
        )
        i = i.select("type", "timestamp", _ident=ident)
        m = idmap.select(_identifier=idmap.identifier, _key=idmap.person_id)
        i = i.join(m, i._ident == m._identifier).select("type", "timestamp", "_key")
        j = _window(i, refs, lambda a, b: a._key == b.person_id, days)
    counts = j.group_by("unit_id", "type").aggregate(n=j.count())
    words = ibis.cases(
        *[(counts.type == t, w) for t, w in INTERACTION_WORDS.items()],
        else_="'" + counts.type + "' interactions",
    )
    return _ladder(
        counts, "interaction:" + counts.type, lambda n: f"had {n}+ " + words, "interaction"
    )


def web_features(units: ir.Table, events: ir.Table, people: ir.Table, *, days: int) -> ir.Table:
    """Page views and other tracked actions by the unit's people, at least N in the lookback."""
    refs = units.select("unit_id", _ref=units.ref)
    e = events.filter(events.type.isin(("page", "track")))
    e = e.select(
        "timestamp",
        _person=e.person_id,
        _what=ibis.ifelse(e.type == "page", "page views", e.event.fill_null("track")),
    )
    m = people.select(_unit=people.unit_id, _member=people.person_id)
    e = e.join(m, e._person == m._member).select("timestamp", "_what", unit_id=m._unit)
    j = _window(e, refs.view(), lambda a, b: a.unit_id == b.unit_id, days)
    counts = j.group_by(unit_id=j.unit_id, what=j._what).aggregate(n=j.count())

    def label(n: int) -> ir.StringValue:
        return ibis.ifelse(
            counts.what == "page views",
            f"viewed {n}+ pages",
            "did '" + counts.what + f"' {n}+ times",
        )

    return _ladder(counts, "web:" + counts.what, label, "frequency")


def feedback_features(
    units: ir.Table, feedback: ir.Table, idmap: ir.Table, people: ir.Table, *, days: int
) -> ir.Table:
    """NPS answers in the lookback as detractor (0-6), passive (7-8), promoter (9-10), and any
    other kind of feedback given: symptoms of churn as much as causes."""
    subject = feedback.subject.strip()
    ident = ibis.ifelse(subject.contains("@"), "email:" + subject.lower(), subject)
    f = feedback.select("type", "score", "timestamp", _ident=ident)
    m = idmap.select(_identifier=idmap.identifier, _person=idmap.person_id)
    f = f.join(m, f._ident == m._identifier).select("type", "score", "timestamp", "_person")
    p = people.select(_unit=people.unit_id, _member=people.person_id)
    f = f.join(p, f._person == p._member).select("type", "score", "timestamp", unit_id=p._unit)
    refs = units.select(_u=units.unit_id, _ref=units.ref)
    j = _window(f, refs, lambda a, b: a.unit_id == b._u, days)
    is_nps = j.type.lower() == "nps"
    band = ibis.cases(
        (j.score <= 6, "0-6 (detractor)"), (j.score <= 8, "7-8 (passive)"), else_="9-10 (promoter)"
    )
    key = ibis.ifelse(is_nps & j.score.notnull(), "nps:" + band, "feedback:" + j.type.lower())
    label = ibis.ifelse(
        is_nps & j.score.notnull(), "gave an NPS of " + band, "gave feedback (" + j.type + ")"
    )
    return j.select("unit_id", feature=key, label=label, kind=ibis.literal("feedback")).distinct()


def property_features(units: ir.Table, accounts: ir.Table) -> ir.Table:
    """Plan, billing period, seat usage (subscriptions), industry, country and size band of the
    unit's account: what the unit is, not what it did."""
    a = accounts.select(
        _acc=accounts.account_id,
        industry=accounts.industry,
        country=accounts.country,
        account_plan=accounts.plan,
        size=ibis.cases(
            *[(accounts.employees >= low, label) for low, label in SIZE_BANDS[:-1]],
            else_=ibis.ifelse(accounts.employees.notnull(), SIZE_BANDS[-1][1], ibis.null("string")),
        ),
    )
    has_subs = "plan" in units.columns
    cols = ["unit_id", "account_id"] + (
        ["plan", "billing_period", "seats", "seats_used"] if has_subs else []
    )
    u = units.select(*cols)
    j = u.left_join(a, u.account_id == a._acc)
    # name: (value, words before it, words after it): labels read "Accounts that <label>".
    props = {
        "industry": (j.industry, "are in ", ""),
        "country": (j.country, "are based in ", ""),
        "size": (j.size, "have ", " employees"),
        "plan": (j.plan if has_subs else j.account_plan, "are on the ", " plan"),
    }
    if has_subs:
        props["billing_period"] = (j.billing_period, "are billed by the ", "")
    parts = [
        j.filter(value.notnull()).select(
            unit_id=j.unit_id,
            feature=f"account:{name}=" + value.cast("string"),
            label=before + value.cast("string") + after,
            kind=ibis.literal("account"),
        )
        for name, (value, before, after) in props.items()
    ]
    if has_subs:
        usage = j.seats_used.cast("float64") / j.seats.nullif(0).cast("float64")
        parts += [
            j.filter(usage < share).select(
                unit_id=j.unit_id,
                feature=ibis.literal(f"usage:seats<{share}"),
                label=ibis.literal(f"used fewer than {share:.0%} of their seats"),
                kind=ibis.literal("usage"),
            )
            for share in USAGE_THRESHOLDS
        ]
    return ibis.union(*parts)


def churn_features(
    pop: Population, units: ir.Table, *, level: str, days: int
) -> tuple[ir.Table, ir.Table]:
    """Every candidate feature of every unit (distinct rows) and the ``members`` table
    (``unit_id``, ``person_id``) that links units to their people."""
    ws = pop.ws
    idmap = ws.table("identity_map")
    people = members(units, pop.profiles(), level=level)
    parts = [
        property_features(units, ws.table("accounts")),
        interaction_features(units, ws.table("interactions"), idmap.view(), level=level, days=days),
        web_features(units, pop.events(in_range=False), people.view(), days=days),
        feedback_features(units, ws.table("feedback"), idmap.view(), people.view(), days=days),
    ]
    parts = [
        p.select(*_FEATURES).cast(
            {"unit_id": "string", "feature": "string", "label": "string", "kind": "string"}
        )
        for p in parts
    ]
    return ibis.union(*parts, distinct=True), people
