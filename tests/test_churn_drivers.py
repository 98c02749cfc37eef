"""Churn drivers: population and features against a pure-Python reference on hand-written
subscriptions (both engines), no leakage from after the reference date, inactivity churn, and
the planted churn causes (truth 10) on the demo across three seeds."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

import wayfinder
from conftest import ENGINES
from journeys import load, page, track
from wayfinder.analyses.churn_drivers import (
    ChurnDriversRunner,
    ChurnDriversSpec,
    churn_units,
    data_end,
)
from wayfinder.analyses.population import Population
from wayfinder.analyses.runner import run
from wayfinder.engines import connect
from wayfinder.explain import churn_features as cf
from wayfinder.store.schema import INPUT_TABLES, SYSTEM_TABLES

RUNNERS = {"churn_drivers": ChurnDriversRunner()}
D = datetime
#: The newest event is on 2026-05-31, so the data ends at midnight on 2026-06-01.
END = D(2026, 6, 1)

ACCOUNTS = [
    {"account_id": "a", "industry": "Retail", "country": "DE", "employees": 40, "plan": "Growth"},
    {"account_id": "b", "industry": "Software", "country": "US", "employees": 300,
     "plan": "Starter"},
    {"account_id": "c", "industry": "Retail", "country": "US", "employees": 2000, "plan": "Growth"},
    {"account_id": "d", "industry": "Finance", "country": "FR", "employees": 60, "plan": "Starter"},
    {"account_id": "e", "industry": "Software", "country": "DE", "employees": None, "plan": None},
    {"account_id": "g", "industry": "Energy", "country": "FR", "employees": 900, "plan": "Growth"},
]  # fmt: skip


def sub(sid, account, start, end=None, status="active", seats=10, used=8, plan="Growth",
        billing="month", contact=None):  # fmt: skip
    return {
        "subscription_id": sid, "account_id": account, "contact_id": contact, "plan": plan,
        "mrr": 100.0, "seats": seats, "seats_used": used, "status": status,
        "billing_period": billing, "started_at": start, "ended_at": end,
    }  # fmt: skip


SUBSCRIPTIONS = [
    # a: a plan change keeps the life (started 2025-06-01); canceled 2026-04-01, low usage.
    sub("a1", "a", D(2025, 6, 1), D(2025, 12, 1), "superseded", plan="Starter"),
    sub("a2", "a", D(2025, 12, 1), D(2026, 4, 1), "canceled", seats=10, used=2),
    # b: active for a long time, nearly all seats used.
    sub("b1", "b", D(2025, 1, 1), seats=10, used=9, billing="year"),
    # c: too young to have had time to churn (started after 2026-02-01).
    sub("c1", "c", D(2026, 3, 1)),
    # d: churned, then came back: two lives, the second old enough.
    sub("d1", "d", D(2025, 3, 1), D(2025, 9, 1), "canceled", seats=20, used=10),
    sub("d2", "d", D(2025, 12, 1), seats=20, used=11),
    # e: a recent plan change: the life started long ago, so it counts (with its new plan).
    sub("e1", "e", D(2025, 1, 1), D(2026, 5, 1), "superseded", plan="Starter"),
    sub("e2", "e", D(2026, 5, 1), seats=0, used=0),
    # g: canceled ten days before the end.
    sub("g1", "g", D(2025, 2, 1), D(2026, 5, 20), "canceled", seats=5, used=1),
]


def ticket(n, account, at):
    return {"interaction_id": f"tk-{n}", "type": "support_ticket", "timestamp": at,
            "account_id": account}  # fmt: skip


INTERACTIONS = [
    # a: three tickets before the cancellation; one after it must not count (no leakage).
    ticket(1, "a", D(2026, 1, 10)), ticket(2, "a", D(2026, 2, 10)), ticket(3, "a", D(2026, 3, 31)),
    ticket(4, "a", D(2026, 4, 15)),
    # a ticket before the lookback (90 days before 2026-04-01 is 2026-01-01).
    ticket(5, "a", D(2025, 12, 20)),
    # b: one in the lookback, one before it.
    ticket(6, "b", D(2026, 5, 1)), ticket(7, "b", D(2026, 1, 1)),
    # d's first life: five tickets before its cancellation.
    *[ticket(10 + i, "d", D(2025, 8, 1) + timedelta(days=i)) for i in range(5)],
    {"interaction_id": "call-1", "type": "call", "timestamp": D(2026, 5, 10), "account_id": "g"},
    {"interaction_id": "sent-1", "type": "email_sent", "timestamp": D(2026, 5, 10),
     "account_id": "g"},
]  # fmt: skip

#: Contacts: person ids are ``user_id:<name>`` (the journeys' identity keys).
PROFILES = {"ann": "a", "bob": "b", "gus": "g", "dan": "d", "eve": "e"}
JOURNEYS = {
    "ann": [page("/docs", D(2026, 3, 1)), page("/docs", D(2026, 3, 2)),
            page("/docs", D(2026, 3, 3)),
            page("/pricing", D(2026, 4, 2))],  # the last after a's cancellation
    "bob": [page("/", D(2026, 5, 31)), track("Report Exported", D(2026, 5, 30))],
    "gus": [page("/", D(2025, 6, 1))],
}  # fmt: skip
FEEDBACK = [
    {"feedback_id": "f1", "type": "nps", "subject": "gus@g.example", "timestamp": D(2026, 5, 1),
     "score": 3.0},
    {"feedback_id": "f2", "type": "nps", "subject": "gus@g.example", "timestamp": D(2026, 5, 25),
     "score": 10.0},  # after g's cancellation: not a feature
    {"feedback_id": "f3", "type": "vote", "subject": "bob@b.example", "timestamp": D(2026, 4, 1),
     "score": 1.0},
]  # fmt: skip


def _insert(ws, name, rows):
    spec = INPUT_TABLES.get(name) or SYSTEM_TABLES[name]
    full = [{c: r.get(c) for c in spec.schema.names} for r in rows]
    ws.engine.insert(name, ws.name, pa.Table.from_pylist(full, schema=spec.schema.to_pyarrow()))


def load_b2b(engine, name, journeys=JOURNEYS):
    ws = load(engine, name, journeys)
    _insert(ws, "accounts", ACCOUNTS)
    _insert(ws, "subscriptions", SUBSCRIPTIONS)
    _insert(ws, "interactions", INTERACTIONS)
    _insert(ws, "feedback", FEEDBACK)
    people = [{"person_id": f"user_id:{p}", "account_id": a} for p, a in PROFILES.items()]
    _insert(ws, "profiles", people)
    idmap = [{"identifier": f"email:{p}@{a}.example", "person_id": f"user_id:{p}"}
             for p, a in PROFILES.items()]  # fmt: skip
    _insert(ws, "identity_map", idmap)
    return ws


# -- the pure-Python reference -------------------------------------------------------------------


def reference_units(subs, end, tenure=120):
    """Lives by walking each account's subscriptions in order of start."""
    units = {}
    by_account = {}
    for s in sorted(subs, key=lambda s: (s["started_at"], s["subscription_id"])):
        if s["started_at"] < end:
            by_account.setdefault(s["account_id"], []).append(s)
    for rows in by_account.values():
        lives, prev = [], None
        for s in rows:
            if prev and prev["status"] == "superseded" and prev["ended_at"] == s["started_at"]:
                lives[-1].append(s)
            else:
                lives.append([s])
            prev = s
        for life in lives:
            last = life[-1]
            if life[0]["started_at"] > end - timedelta(days=tenure):
                continue
            churned = last["status"] == "canceled" and last["ended_at"] < end
            ref = last["ended_at"] if churned else end
            units[last["subscription_id"]] = (churned, ref, last)
    return units


def reference_features(units, days=90):
    def inside(t, ref):
        return ref - timedelta(days=days) <= t < ref

    accounts = {a["account_id"]: a for a in ACCOUNTS}
    rows = set()
    for uid, (_, ref, s) in units.items():
        acc = accounts[s["account_id"]]
        props = (("industry", acc["industry"]), ("country", acc["country"]),
                 ("plan", s["plan"]), ("billing_period", s["billing_period"]))  # fmt: skip
        for name, value in props:
            rows.add((uid, f"account:{name}={value}", "account"))
        if acc["employees"] is not None:
            band = next(label for low, label in cf.SIZE_BANDS if acc["employees"] >= low)
            rows.add((uid, f"account:size={band}", "account"))
        if s["seats"]:
            for share in cf.USAGE_THRESHOLDS:
                if s["seats_used"] / s["seats"] < share:
                    rows.add((uid, f"usage:seats<{share}", "usage"))
        counts = {}
        for i in INTERACTIONS:
            if i["account_id"] == s["account_id"] and i["type"] != "email_sent":
                if inside(i["timestamp"], ref):
                    counts[i["type"]] = counts.get(i["type"], 0) + 1
        members = [p for p, a in PROFILES.items() if a == s["account_id"]]
        for p in members:
            for e in JOURNEYS.get(p, []):
                if inside(e["timestamp"], ref):
                    what = "page views" if e["type"] == "page" else e["event"]
                    counts[("web", what)] = counts.get(("web", what), 0) + 1
            for f in FEEDBACK:
                if f["subject"].startswith(p + "@") and inside(f["timestamp"], ref):
                    if f["type"] == "nps":
                        score = f["score"]
                        band = "0-6 (detractor)" if score <= 6 else (
                            "7-8 (passive)" if score <= 8 else "9-10 (promoter)")  # fmt: skip
                        rows.add((uid, f"nps:{band}", "feedback"))
                    else:
                        rows.add((uid, f"feedback:{f['type']}", "feedback"))
        for key, n in counts.items():
            for rung in cf.COUNT_LADDER:
                if n >= rung:
                    if isinstance(key, tuple):
                        rows.add((uid, f"web:{key[1]}>={rung}", "frequency"))
                    else:
                        rows.add((uid, f"interaction:{key}>={rung}", "interaction"))
    return rows


@pytest.fixture(scope="module", params=ENGINES)
def b2b(request, tmp_path_factory):
    """The hand-written workspace, once per engine."""
    if request.param == "duckdb":
        engine = connect(f"duckdb:///{tmp_path_factory.mktemp('churn') / 'b2b.duckdb'}")
    else:
        engine = request.getfixturevalue("spark_engine")
    yield load_b2b(engine, f"churn_{os.getpid()}")
    if request.param == "duckdb":
        engine.close()


@pytest.fixture(scope="module")
def built(b2b):
    """The hand-written workspace's end, units and feature rows (computed once per engine)."""
    end, units, features, _ = _built(b2b)
    units = b2b.engine.to_arrow(units.select("unit_id", "success", "ref")).to_pylist()
    return end, units, b2b.engine.to_arrow(features).to_pylist()


@pytest.fixture(scope="module")
def b2b_duckdb(tmp_path_factory):
    """The same workspace on DuckDB alone, for what does not differ between engines."""
    engine = connect(f"duckdb:///{tmp_path_factory.mktemp('churn1') / 'b2b.duckdb'}")
    yield load_b2b(engine, "churn_words")
    engine.close()


def _built(ws, **spec):
    runner = ChurnDriversRunner()
    spec = runner.validate(ChurnDriversSpec(**spec), ws)
    pop = Population.of(ws, spec)
    end = data_end(pop)
    units = churn_units(spec, pop, end)
    features, people = cf.churn_features(pop, units, level=spec.level, days=spec.lookback_days)
    return end, units, features, people


def test_population_and_features_match_the_reference(built):
    end, units, rows = built
    assert end == END
    got_units = {r["unit_id"]: (r["success"], r["ref"]) for r in units}
    expected = reference_units(SUBSCRIPTIONS, END)
    assert got_units == {u: (c, ref) for u, (c, ref, _) in expected.items()}
    assert set(got_units) == {"a2", "b1", "d1", "d2", "e2", "g1"}
    got = [(r["unit_id"], r["feature"], r["kind"]) for r in rows]
    assert len(got) == len(set(got)), "feature rows are distinct"
    assert set(got) == reference_features(expected)
    labels = {r["feature"]: r["label"] for r in rows}
    assert labels["interaction:support_ticket>=3"] == "had 3+ support tickets"
    assert labels["usage:seats<0.4"] == "used fewer than 40% of their seats"
    assert labels["account:plan=Growth"] == "are on the Growth plan"
    assert labels["nps:0-6 (detractor)"] == "gave an NPS of 0-6 (detractor)"


def test_nothing_after_the_reference_date_is_a_feature(built):
    have = {(r["unit_id"], r["feature"]) for r in built[2]}
    # a had three tickets before its cancellation (and one before the lookback); the one after
    # would make four: no feature may see it.
    assert ("a2", "interaction:support_ticket>=3") in have
    assert ("a2", "interaction:support_ticket>=5") not in have
    # ann's visit after the cancellation does not count either: three page views, not four.
    assert ("a2", "web:page views>=3") in have
    assert ("a2", "web:page views>=5") not in have
    # g's promoter score came after its cancellation: only the detractor answer counts.
    assert ("g1", "nps:0-6 (detractor)") in have
    assert ("g1", "nps:9-10 (promoter)") not in have
    # d's first life saw five tickets; its second life, measured at the end, none.
    assert ("d1", "interaction:support_ticket>=5") in have
    assert not any(u == "d2" and f.startswith("interaction:") for u, f in have)
    # our own e-mail sends are not behaviour
    assert not any("email_sent" in f for _, f in have)


def test_the_runner_answers_with_drivers_reasons_and_people(b2b_duckdb):
    result = run(ChurnDriversSpec(min_support=1, fdr=0.5), b2b_duckdb, RUNNERS)
    assert result.kind == "churn_drivers"
    population = result.tables["population"].to_pylist()[0]
    assert (population["units"], population["churned"], population["level"]) == (6, 3, "account")
    assert "3 of 6 accounts churned (50%)" in result.answer
    rows = {r["feature"]: r for r in result.table.to_pylist()}
    assert (rows["usage:seats<0.4"]["a"], rows["usage:seats<0.4"]["support"]) == (2, 2)
    people = result.people(feature="usage:seats<0.4", churned=True)
    assert sorted(people["person_id"].to_pylist()) == ["user_id:ann", "user_id:gus"]
    assert "canceled" in result.interpretation


def test_inactivity_churn_when_there_are_no_subscriptions(engine, workspace_name):
    """People active before the last 60 days; churned when silent in them. Features are read
    before the start of the silent window, for churned and retained alike."""
    t = D(2026, 1, 1)
    journeys = {
        "old_quiet": [page("/", t - timedelta(days=200)), page("/", D(2026, 3, 1))],
        "old_busy": [
            page("/", t - timedelta(days=200)),
            page("/a", D(2026, 3, 20)),
            page("/b", D(2026, 5, 30)),
        ],  # fmt: skip
        "new": [page("/", D(2026, 5, 1)), page("/", D(2026, 5, 31))],  # too recent
        "late": [page("/", D(2025, 10, 1)), page("/", D(2026, 4, 15))],  # active late only
    }
    ws = load(engine, workspace_name, journeys)
    if engine.name == "duckdb":  # the whole run once; Spark checks the population and features
        result = run(ChurnDriversSpec(min_support=1, fdr=0.9), ws, RUNNERS)
        assert result.spec.source == "inactivity" and result.spec.level == "person"
        assert "1 of 3 people churned" in result.answer
    _, units, features, _ = _built(ws)
    got = {r["unit_id"]: r["success"] for r in ws.engine.to_arrow(units).to_pylist()}
    assert got == {"user_id:old_quiet": True, "user_id:old_busy": False, "user_id:late": False}
    have = {(r["unit_id"], r["feature"]) for r in ws.engine.to_arrow(features).to_pylist()}
    # silent window from 2026-04-02: old_busy's page of 30 May is after the reference date.
    assert ("user_id:old_busy", "web:page views>=1") in have
    assert ("user_id:late", "web:page views>=1") not in have
    assert ("user_id:old_quiet", "web:page views>=1") in have


def test_bad_churn_specs_say_what_is_wrong(b2b_duckdb, workspace_name):
    with pytest.raises(ValueError):
        ChurnDriversSpec(inactive_days=0)
    empty = load(b2b_duckdb.engine, workspace_name, {"x": [page("/", D(2026, 1, 1))]})
    with pytest.raises(wayfinder.errors.ConfigError, match="no subscriptions"):
        run(ChurnDriversSpec(source="subscriptions"), empty, RUNNERS)


# -- the planted truth on the demo: low seat usage and many tickets cause churn -------------------

SEEDS = (0, 1, 2)
USAGE = "usage:seats<0.4"
TICKETS = ("interaction:support_ticket>=3", "interaction:support_ticket>=5")


@pytest.fixture(scope="module")
def demos(demo_seeds):
    return demo_seeds


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_churn_causes_come_first(demos, seed):
    ws = wayfinder.open(f"duckdb:///{demos[seed]}", "b2b")
    try:
        result = run(ChurnDriversSpec(), ws, RUNNERS)
    finally:
        ws.close()
    rows = [r for r in result.table.to_pylist() if r["significant"]]
    # The drivers that hold when the others are controlled for (near-duplicates such as "3+" vs
    # "5+ tickets" drop out); NPS answers are symptoms that follow the survey calendar, not causes.
    causes = [r for r in rows if r["kind"] != "feedback" and r["holds_when_controlled"]]
    print(f"\nseed {seed}: {result.answer}")
    for r in rows[:6]:
        print(f"  {r['feature']}: lift {r['lift']:.2f}, q {r['q_value']:.1g}, "
              f"holds {r['holds_when_controlled']}")  # fmt: skip
    first_two = {causes[0]["feature"], causes[1]["feature"]}
    assert USAGE in first_two and first_two & set(TICKETS), first_two
    for r in causes[:2]:
        assert r["lift"] > 1.5 and r["lift_low"] > 1, r
    # Effect sizes within docs/demo-data.md's tolerance (truth 10, in added churn probability):
    # low usage +0.18-0.42, many tickets (>= 5 in the 90 days) +0.13-0.37.
    table = {r["feature"]: r for r in result.table.to_pylist()}
    for feature, (low, high) in ((USAGE, (0.18, 0.42)), (TICKETS[1], (0.13, 0.37))):
        added = table[feature]["rate_with"] - table[feature]["rate_without"]
        assert low <= added <= high, (feature, added)
    # Nothing about the account itself matters: industry, plan, country are never drivers.
    assert not [r["feature"] for r in rows if r["kind"] == "account"]
    assert result.why[0].people == {"feature": rows[0]["feature"]}
