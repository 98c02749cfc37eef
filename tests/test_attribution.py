"""The attribution runner against a pure-Python reference: journeys built from hand-written and
random touches (DuckDB and PySpark), every model's credit, drill-down, account journeys, CLI."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ENGINES, emptied
from journeys import T0, person, replace_events, track
from wayfinder.analyses import parse_spec
from wayfinder.attribution import from_paths
from wayfinder.errors import ConfigError
from wayfinder.model.touchpoints import TOUCHPOINTS
from wayfinder.store.schema import DEALS

CONTENT_COLUMNS = ("content_id", "content_title", "author")
IGNORED = {"email_sent", "email_opened", "email_clicked", "webinar_registered", "support_ticket"}
PATH_MODELS = ("first_touch", "last_touch", "linear", "linear_distinct", "position_based")


# -- hand-written touches ---------------------------------------------------------------------
def touch(who: str, minutes: float, channel: str | None, **extra) -> dict:
    """One touchpoint of ``who`` at ``minutes`` after T0 (a visit unless ``touch_type`` says)."""
    row = {c: None for c in TOUCHPOINTS.schema.names}
    row.update(
        touch_id=f"{extra.get('touch_type', 'session')}:{who}-{minutes:g}-{channel}",
        person_id=person(who),
        timestamp=T0 + timedelta(minutes=minutes),
        touch_type="session",
        channel=channel,
    )
    row.update(extra)
    return row


def write_touches(ws, rows: list[dict]) -> None:
    table = pa.Table.from_pylist(rows, schema=TOUCHPOINTS.schema.to_pyarrow())
    ws.engine.replace_table(TOUCHPOINTS.name, ws.name, table)


DAY = 24 * 60

TOUCHES = [
    touch("ann", 0, "Paid Social", campaign="spring"),
    touch("ann", 2 * DAY, "Organic Search"),
    touch("ann", 3 * DAY, "Direct"),
    touch("ann", 3 * DAY, "Email", touch_type="email_sent"),  # ignored by default
    touch("bob", 0, "Email", campaign="newsletter"),
    touch("bob", 40 * DAY, "Paid Search"),  # too old for bob's conversion at day 75
    touch("bob", 70 * DAY, "Direct"),
    touch("cat", 0, "Paid Search"),
    touch("cat", 1 * DAY, "Email"),
    touch("dan", 5 * DAY, "Organic Search"),
    touch("dan", 6 * DAY, "Direct"),
    touch("dan", 6 * DAY, None, touch_type="content_view", content_title="Guide"),
]
EVENTS = {
    "ann": [track("Order Completed", 3 * DAY + 10, revenue=100.0)],
    "bob": [track("Order Completed", 75 * DAY, revenue=50.0)],
    "cat": [
        track("Order Completed", 2 * DAY, revenue=30.0),
        track("Order Completed", 2 * DAY + 60, revenue=20.0),
    ],  # fmt: skip
    "eve": [track("Order Completed", 9 * DAY, revenue=10.0)],  # no touch at all
}


# -- the reference ------------------------------------------------------------------------------
def reference(touches: list[dict], events: dict, *, lookback_days=30, half_life_h=168.0,
              by=("channel",), types=None, start=None, end=None):  # fmt: skip
    """Journeys and the two touch-level models, by brute force over each person's rows."""
    keep = [
        t for t in touches
        if (t["touch_type"] in types if types else t["touch_type"] not in IGNORED)
        and (t["touch_type"] != "content_view" or any(c in by for c in CONTENT_COLUMNS))
    ]  # fmt: skip
    look = timedelta(days=lookback_days)
    label = lambda t: " / ".join(t[c] if t[c] is not None else "(not set)" for c in by)  # noqa: E731
    mine = defaultdict(list)
    for t in keep:
        mine[t["person_id"]].append(t)
    for p in mine:
        mine[p].sort(key=lambda t: (t["timestamp"], t["touch_id"]))
    paths = defaultdict(lambda: [0, 0, 0.0])
    td, lnd = defaultdict(lambda: [0.0, 0.0]), defaultdict(lambda: [0.0, 0.0])
    covered = set()
    for name, evs in events.items():
        for e in evs:
            at, value = e["timestamp"], e["revenue"]
            if (start and at < start) or (end and at >= end):
                continue
            js = [t for t in mine[person(name)] if at - look <= t["timestamp"] <= at]
            covered |= {t["touch_id"] for t in js}
            tokens = [label(t) for t in js] or ["(no touchpoint)"]
            hours = [(at - t["timestamp"]).total_seconds() / 3600 for t in js] or [0.0]
            direct = [t["channel"] == "Direct" for t in js] or [False]
            paths[tuple(tokens)][0] += 1
            paths[tuple(tokens)][2] += value
            w = [0.5 ** (h / half_life_h) for h in hours]
            for tok, wi in zip(tokens, w, strict=True):
                td[tok][0] += wi / sum(w)
                td[tok][1] += value * wi / sum(w)
            nd = [i for i, d in enumerate(direct) if not d]
            chosen = nd[-1] if nd else len(tokens) - 1
            lnd[tokens[chosen]][0] += 1
            lnd[tokens[chosen]][1] += value
    for _p, ts in mine.items():
        rest = [t for t in ts if t["touch_id"] not in covered
                and (not start or t["timestamp"] >= start)
                and (not end or t["timestamp"] < end)]  # fmt: skip
        if rest:
            last = rest[-1]["timestamp"]
            tokens = tuple(label(t) for t in rest if t["timestamp"] >= last - look)
            paths[tokens][1] += 1
    return dict(paths), dict(td), dict(lnd)


def runner_paths(result) -> dict:
    out = {}
    for r in result.tables["paths"].to_pylist():
        out[tuple(r["path"].split(" > "))] = [r["conversions"], r["journeys"] - r["conversions"],
                                              r["value"]]  # fmt: skip
    return out


def credit_of(result, model: str, measure: str = "conversions") -> dict:
    table = result.tables[measure]
    dim = table.column_names[0]
    return {r[dim]: r[model] for r in table.to_pylist() if abs(r[model]) > 1e-12}


def approx_dict(a: dict, b: dict, tol=1e-9) -> bool:
    keys = {k for k in set(a) | set(b) if abs(a.get(k, 0)) > tol or abs(b.get(k, 0)) > tol}
    return all(math.isclose(a.get(k, 0), b.get(k, 0), rel_tol=1e-9, abs_tol=tol) for k in keys)


def check_against_reference(ws, touches, events, **spec):
    result = ws.attribution(bootstrap=0, **spec)
    paths, td, lnd = reference(touches, events, lookback_days=int(spec.get("lookback", "30d")[:-1]),
                               by=tuple(spec.get("by", ("channel",))))  # fmt: skip
    got = runner_paths(result)
    assert {p: v[:2] for p, v in got.items()} == {p: v[:2] for p, v in paths.items()}
    assert approx_dict({p: v[2] for p, v in got.items()}, {p: v[2] for p, v in paths.items()})
    assert approx_dict(credit_of(result, "time_decay"), {k: v[0] for k, v in td.items()})
    assert approx_dict(credit_of(result, "time_decay", "value"), {k: v[1] for k, v in td.items()})
    assert approx_dict(credit_of(result, "last_non_direct"), {k: v[0] for k, v in lnd.items()})
    # Path models: the runner's credit is the path-table library's on the reference's paths,
    # those without a touch set aside and credited to themselves.
    touched = {p: v for p, v in paths.items() if p != ("(no touchpoint)",)}
    alone = paths.get(("(no touchpoint)",), [0, 0, 0.0])
    if not touched:
        return result
    ref = from_paths(
        {"path": [" > ".join(p) for p in touched], "conversions": [v[0] for v in touched.values()],
         "nulls": [v[1] for v in touched.values()], "value": [v[2] for v in touched.values()]},
        conversions="conversions", nulls="nulls", value="value", orders=(1, 2, 3),
    )  # fmt: skip
    for model in (*PATH_MODELS, "markov_1", "markov_2", "markov_3", "shapley"):
        expected = ref.credits[model].as_dict() | {"(no touchpoint)": (alone[0], alone[2])}
        assert approx_dict(credit_of(result, model), {k: v[0] for k, v in expected.items()})
        value = {k: v[1] for k, v in expected.items()}
        assert approx_dict(credit_of(result, model, "value"), value)
    return result


# -- tests -----------------------------------------------------------------------------------------
def test_hand_written_journeys(load_journeys):
    ws = load_journeys(EVENTS)
    write_touches(ws, TOUCHES)
    result = check_against_reference(ws, TOUCHES, EVENTS)
    paths = runner_paths(result)
    # ann: three channels (the e-mail send left out); bob: Paid Search is 35 days old.
    assert paths[("Paid Social", "Organic Search", "Direct")] == [1, 0, 100.0]
    assert paths[("Direct",)] == [1, 0, 50.0]
    # cat's two orders an hour apart share their touches (GA4's convention).
    assert paths[("Paid Search", "Email")] == [2, 0, 50.0]
    assert paths[("(no touchpoint)",)] == [1, 0, 10.0]
    # dan never bought: one journey that led nowhere, his content view left out.
    assert paths[("Organic Search", "Direct")] == [0, 1, 0.0]
    # bob's e-mail and old search visit are in no converting journey: his own null journey,
    # cut to the 30 days before its last touch.
    assert paths[("Paid Search",)] == [0, 1, 0.0]
    last = credit_of(result, "last_touch")
    assert last == {"Direct": 2.0, "Email": 2.0, "(no touchpoint)": 1.0}
    # Last non-direct passes over ann's Direct visit; bob's journey is all direct.
    assert credit_of(result, "last_non_direct") == {
        "Organic Search": 1.0, "Direct": 1.0, "Email": 2.0, "(no touchpoint)": 1.0,
    }  # fmt: skip
    assert result.table.column_names[:3] == ["channel", "journeys", "first_touch"]
    for model in result.table.column_names[2:]:
        if model.endswith(("_low", "_high")):
            continue
        assert math.isclose(sum(credit_of(result, model).values()), 5.0)
        assert math.isclose(sum(credit_of(result, model, "value").values()), 210.0)
    assert "5 purchase conversions" in result.answer
    # bob's e-mail is in no journey (older than 30 days before his last unconverted touch).
    assert {p["person_id"] for p in result.people(channel="Email").to_pylist()} == {person("cat")}
    lost = result.people(channel="Paid Search", converted=False).to_pylist()
    assert {p["person_id"] for p in lost} == {person("bob")}


def test_dimension_campaign_and_content(load_journeys):
    ws = load_journeys(EVENTS)
    write_touches(ws, TOUCHES)
    check_against_reference(ws, TOUCHES, EVENTS, by=["channel", "campaign"], lookback="60d")
    result = ws.attribution(by="content_title", bootstrap=0, models=["last_touch", "linear"])
    # Content attribution keeps content views; visits have no title: "(not set)".
    assert "Guide" not in credit_of(result, "linear")  # dan never bought
    assert set(credit_of(result, "linear")) == {"(not set)", "(no touchpoint)"}


def test_account_journeys_for_won_deals(load_journeys):
    """B2B: every contact's touches make the account's journey to a won deal; value = amount."""
    ws = load_journeys({})
    rows = [
        touch("ann", 0, "Paid Social", account_id="acme"),
        touch(
            "al",
            DAY,
            None,
            touch_type="content_view",
            account_id="acme",
            content_title="Attribution playbook",
            author="Alice Chen",
        ),  # fmt: skip
        touch("al", DAY, "Organic Search", account_id="acme"),
        touch("bo", 0, "Direct", account_id="beta"),
        touch("cy", 0, "Email", account_id="gamma"),
    ]
    write_touches(ws, rows)
    deal = {c: None for c in DEALS.schema.names}
    deals = [
        deal | dict(deal_id="d1", account_id="acme", amount=1000.0, won=True, stage="Closed Won",
                    created_at=T0, closed_at=T0 + timedelta(days=3)),
        deal | dict(deal_id="d2", account_id="beta", amount=500.0, won=False, stage="Closed Lost",
                    created_at=T0, closed_at=T0 + timedelta(days=3)),
    ]  # fmt: skip
    ws.engine.insert(DEALS.name, ws.name, pa.Table.from_pylist(deals, DEALS.schema.to_pyarrow()))
    result = ws.attribution(goal="won deal", by="author", bootstrap=0)
    assert result.spec.level == "account" and result.spec.goal == "closed_deal"
    assert credit_of(result, "linear") == {"(not set)": 2 / 3, "Alice Chen": 1 / 3}
    assert credit_of(result, "linear", "value") == pytest.approx(
        {"(not set)": 2000 / 3, "Alice Chen": 1000 / 3}
    )
    paths = runner_paths(result)
    assert paths[("(not set)", "Alice Chen", "(not set)")][0] == 1  # content view, then its visit
    assert paths[("(not set)",)] == [0, 2, 0.0]  # beta lost, gamma never had a deal
    names = {p["person_id"] for p in result.people(author="Alice Chen").to_pylist()}
    assert names == {person("ann"), person("al")}


journey = st.lists(
    st.tuples(
        st.integers(0, 60 * DAY),
        st.sampled_from(["Direct", "Email", "Paid Search", "Organic Search", "Referral", None]),
    ),
    max_size=6,
)
buys = st.lists(st.tuples(st.integers(0, 70 * DAY), st.integers(1, 300)), max_size=2)


def _random_data(data):
    touches, events = [], {}
    for i, (tj, bj) in enumerate(data):
        who = f"p{i}"
        for minutes, channel in tj:
            touches.append(touch(who, minutes, channel, campaign=f"c{minutes % 3}"))
        if bj:
            events[who] = [track("Order Completed", m, revenue=float(v)) for m, v in bj]
    # Distinct touch ids even when a person has two touches at one minute on one channel.
    for k, t in enumerate(touches):
        t["touch_id"] += f"-{k}"
    return touches, events


@pytest.mark.parametrize("engine_name", ENGINES)
def test_random_journeys_match_the_reference(engine_name, request, tmp_path, workspace_name):
    from wayfinder.engines import connect
    from wayfinder.workspace import Workspace

    if engine_name == "duckdb":
        ws = Workspace(connect(f"duckdb:///{tmp_path / 'wf.duckdb'}"), workspace_name)
        examples = 60
    else:
        # The module's Spark workspace: each example overwrites its events and touchpoints.
        ws = emptied(request.getfixturevalue("spark_module_workspace"))
        examples = 3

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(st.lists(st.tuples(journey, buys), min_size=1, max_size=6), st.sampled_from([7, 30]))
    def check(data, days):
        touches, events = _random_data(data)
        replace_events(ws, events)
        write_touches(ws, touches)
        if not events and not touches:
            return
        check_against_reference(ws, touches, events, lookback=f"{days}d")

    check()


def test_spec_errors(load_journeys):
    ws = load_journeys(EVENTS)
    write_touches(ws, TOUCHES)
    with pytest.raises(ConfigError, match="cannot attribute to 'colour'"):
        parse_spec({"kind": "attribution", "by": "colour"})
    with pytest.raises(ConfigError, match="Markov orders"):
        parse_spec({"kind": "attribution", "orders": [4]})
    with pytest.raises(ConfigError, match="unknown goal"):
        ws.attribution(goal="world peace")
    with pytest.raises(ConfigError, match="touchpoint columns"):
        ws.attribution(filters=["colour = 'red'"])
    with pytest.raises(ConfigError, match="too many values for exact Shapley"):
        ws.attribution(shapley_max_channels=2, bootstrap=0)
    # Grouping small values into Other makes exact Shapley feasible.
    result = ws.attribution(shapley_max_channels=3, top=2, bootstrap=0)
    assert "Other" in credit_of(result, "shapley")


def test_bootstrap_intervals_surround_the_estimate(load_journeys):
    ws = load_journeys(EVENTS)
    write_touches(ws, TOUCHES)
    result = ws.attribution(bootstrap=50, models=["last_touch", "markov"], orders=[1])
    for row in result.tables["conversions"].to_pylist():
        if row["channel"] == "(no touchpoint)":  # credited to itself, no interval
            assert row["markov_1_low"] is None
            continue
        assert row["markov_1_low"] <= row["markov_1"] + 1e-9
        assert row["markov_1"] <= row["markov_1_high"] + 1e-9
    again = ws.attribution(bootstrap=50, models=["last_touch", "markov"], orders=[1])
    assert again.table.equals(result.table)
    assert json.loads(result.to_json())["kind"] == "attribution"
    assert result.tables["transitions_1"].num_rows > 0


def test_time_range_and_no_conversions(load_journeys):
    ws = load_journeys(EVENTS)
    write_touches(ws, TOUCHES)
    start = (T0 + timedelta(days=4)).date().isoformat()
    result = ws.attribution(time={"start": start}, bootstrap=0)
    paths, _, _ = reference(TOUCHES, EVENTS, start=datetime.fromisoformat(start))
    assert {p: v[:2] for p, v in runner_paths(result).items()} == {
        p: v[:2] for p, v in paths.items()
    }
    none = ws.attribution(time={"start": "2030-01-01"}, bootstrap=0)
    assert none.answer.startswith("No purchase conversions")
