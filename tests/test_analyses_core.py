"""The analysis core: spec parsing and errors, time ranges and zones, filters, and the population
rules every runner inherits (consent, excluded people, person and account filters)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeys import load, page, person, track
from wayfinder.analyses import RUNNERS, Filter, parse_spec
from wayfinder.analyses.population import Population
from wayfinder.analyses.spec import Breakdown, SpecBase, TimeRange, local_time
from wayfinder.analyses.steps import Step, step_rows
from wayfinder.engines import connect
from wayfinder.errors import ConfigError, UnknownName
from wayfinder.store.schema import ACCOUNTS, CONSENTS, PROFILES


# -- specs -----------------------------------------------------------------------------------
def test_every_kind_parses_from_a_dict_and_rejects_unknown_fields():
    assert set(RUNNERS) >= {"paths", "funnel", "trend", "retention", "lifecycle"}
    with pytest.raises(ConfigError, match="bogus: Extra inputs are not permitted"):
        parse_spec({"kind": "trend", "bogus": 1})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not JSON"),
        ('{"goal": "purchase"}', "with a kind"),
        ({"kind": "sankey"}, "unknown analysis: sankey"),
        ({"kind": "trend", "timezone": "Mars/Base"}, "unknown time zone"),
        ({"kind": "trend", "time": {"last": "3 fortnights"}}, "30d, 8w, 3m or 1y"),
        ({"kind": "trend", "time": {"last": "7d", "start": "2026-01-01"}}, "either last"),
        ({"kind": "trend", "filters": ["device_type ~ 'x'"]}, "cannot read the condition"),
        ({"kind": "trend", "filters": [{"property": "path", "op": "in", "value": "x"}]}, "list"),
    ],
)
def test_bad_specs_say_what_is_wrong(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec(data)


def test_spec_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "spec.json"
    bad.write_text('{"kind": "trend", "timezone": 3}')
    with pytest.raises(ConfigError, match="spec.json is not a valid trend spec"):
        parse_spec(bad)
    with pytest.raises(ConfigError, match="cannot read the spec file"):
        parse_spec(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("device_type = 'mobile'", ("event", "device_type", "=", "mobile")),
        ("person: email is not null", ("person", "email", "is not null", None)),
        ("account: employees >= 50", ("account", "employees", ">=", 50)),
        ("path contains 'blog'", ("event", "path", "contains", "blog")),
        ("path not contains 'blog'", ("event", "path", "not contains", "blog")),
        ("properties.plan in ('pro', 'team')", ("event", "properties.plan", "in", ["pro", "team"])),
        ("url matches '^https://shop'", ("event", "url", "matches", "^https://shop")),
    ],
)
def test_filters_read_from_text(text, expected):
    f = Filter.model_validate(text)
    assert (f.on, f.property, f.op, f.value) == expected


def test_breakdowns_and_steps_read_from_text():
    assert Breakdown.model_validate("person: account_id").on == "person"
    assert Breakdown.model_validate("device_type").property == "device_type"
    assert Step.model_validate("page:/p/*").page == "/p/*"
    assert Step.model_validate("goal:purchase").goal == "purchase"
    assert Step.model_validate("Order Completed").named == "Order Completed"
    with pytest.raises(ValueError, match="exactly one"):
        Step(event="a", page="/b")


# -- time ------------------------------------------------------------------------------------
def test_date_bounds_are_whole_local_days():
    r = TimeRange(start=date(2026, 3, 28), end=date(2026, 3, 29))
    start, end = r.bounds(ZoneInfo("Europe/Berlin"), None)
    # 28 March 00:00 CET is 23:00 UTC the day before; 30 March 00:00 CEST is 22:00 UTC.
    assert (start, end) == (datetime(2026, 3, 27, 23), datetime(2026, 3, 29, 22))


def test_last_is_anchored_at_the_newest_event():
    r = TimeRange(last="1m")
    assert r.bounds(ZoneInfo("UTC"), datetime(2026, 3, 31, 8)) == (
        datetime(2026, 3, 1),
        datetime(2026, 4, 1),
    )
    assert r.bounds(ZoneInfo("UTC"), None) == (None, None)  # an empty workspace


@functools.cache
def local_time_sql(zone: str) -> str:
    """``local_time`` in ``zone`` over a one-column table ``moments``, compiled to DuckDB SQL once
    per zone: compiling its CASE (one branch per offset change since 1989) is the slow part."""
    moments = ibis.table({"moment": "timestamp"}, name="moments")
    shifted = local_time(moments.moment, ZoneInfo(zone), datetime(1989, 1, 1), datetime(2061, 1, 1))
    return ibis.to_sql(moments.select(local=shifted), dialect="duckdb")


@pytest.fixture(scope="module")
def duckdb_con():
    con = duckdb.connect()
    yield con
    con.close()


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
    zone=st.sampled_from(
        ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
    ),
)
def test_local_time_matches_zoneinfo(duckdb_con, moment, zone):
    expected = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    sql = f"WITH moments AS (SELECT CAST($moment AS TIMESTAMP) AS moment) {local_time_sql(zone)}"
    got = duckdb_con.execute(sql, {"moment": moment}).fetchone()[0]
    assert got == expected


# -- the population --------------------------------------------------------------------------
JOURNEYS = {
    "ann": [page("/", 0, device="desktop"), track("Order Completed", 5, revenue=40.0)],
    "bob": [page("/", 1, device="mobile"), page("/cart", 2, device="mobile")],
    "cat": [page("/", 3, device="mobile")],
    "dan": [page("/", -60 * 24, device="desktop")],  # the day before
}


def _people(engine, t) -> set[str]:
    return set(engine.to_arrow(t.select("person_id").distinct()).column("person_id").to_pylist())


def _insert(engine, workspace, spec, rows):
    engine.insert(spec.name, workspace, pa.Table.from_pylist(rows, schema=spec.schema.to_pyarrow()))


def people_of(populations: list[Population]) -> list[set[str]]:
    """The people of each population, read in one query (one Spark job, not one each)."""
    engine = populations[0].ws.engine
    each = [
        pop.events().select("person_id").distinct().mutate(population=ibis.literal(i))
        for i, pop in enumerate(populations)
    ]
    found: list[set[str]] = [set() for _ in populations]
    for row in engine.to_arrow(ibis.union(*each)).to_pylist():
        found[row["population"]].add(row["person_id"])
    return found


def test_population_applies_range_filters_consent_and_exclusions(load_journeys):
    ws = load_journeys(JOURNEYS)
    engine = ws.engine
    now = datetime(2026, 3, 2, 12)
    _insert(engine, ws.name, PROFILES, [
        {"person_id": person("ann"), "email": "ann@x.com", "account_id": "A1"},
        {"person_id": person("bob"), "email": "bob@summit.test", "account_id": "A2"},
        {"person_id": person("cat"), "email": "cat@x.com", "account_id": "A2"},
    ])  # fmt: skip
    _insert(engine, ws.name, ACCOUNTS, [
        {"account_id": "A1", "industry": "Retail"},
        {"account_id": "A2", "industry": "Media"},
    ])  # fmt: skip
    # Cat withdrew analytics consent, gave it again, then withdrew it for good; Ann withdrew
    # marketing consent only.
    _insert(engine, ws.name, CONSENTS, [
        {"subject": "user_id:cat", "purpose": "analytics", "granted": False, "timestamp": now},
        {"subject": "user_id:cat", "purpose": "analytics", "granted": True,
         "timestamp": now + timedelta(hours=1)},
        {"subject": "user_id:cat", "purpose": "Analytics", "granted": False,
         "timestamp": now + timedelta(hours=2)},
        {"subject": "ann@x.com", "purpose": "marketing", "granted": False, "timestamp": now},
    ])  # fmt: skip

    def population(**spec):
        return Population.of(ws, SpecBase(kind="x", **spec))

    populations = [
        population(),
        population(time={"start": "2026-03-02", "end": "2026-03-02"}),
        population(filters=["device_type = 'mobile'"]),
        population(filters=["account: industry = 'Retail'"]),
        population(filters=["person: email contains 'summit'"]),
    ]
    # A population keeps the exclusions of the workspace when it is made.
    ws.excluded_people = [Filter.model_validate("person: email matches '@summit[.]test$'")]
    populations.append(population())
    everyone, on_the_day, mobile, retail, summit, not_excluded = people_of(populations)
    assert everyone == {person("ann"), person("bob"), person("dan")}
    assert on_the_day == {person("ann"), person("bob")}
    assert mobile == {person("bob")}
    assert retail == {person("ann")}
    assert summit == {person("bob")}
    assert not_excluded == {person("ann"), person("dan")}


def test_unknown_filter_columns_fail_before_running(load_journeys):
    ws = load_journeys(JOURNEYS)
    with pytest.raises(ConfigError, match="cannot filter on person property: shoe_size"):
        Population.of(ws, SpecBase(kind="x", filters=["person: shoe_size > 40"]))


def test_steps_resolve_goal_words_and_fail_on_unknown_goals(tmp_path, workspace_name):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, workspace_name, JOURNEYS)
    pop = Population.of(ws, SpecBase(kind="x"))
    bought = step_rows(pop, Step.model_validate("purchases"))  # the metric's word names the goal
    assert _people(engine, bought) == {person("ann")}
    assert _people(engine, step_rows(pop, Step.model_validate("page:/c*"))) == {person("bob")}
    with pytest.raises(UnknownName, match="unknown goal: unicorn"):
        step_rows(pop, Step(goal="unicorn"))
