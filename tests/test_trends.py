"""The trend analysis against a pure-Python reference: periods in a time zone (ISO weeks, DST),
breakdowns with "Other", sums and averages with nulls, comparisons, metrics, drill-down, CLI.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wayfinder
from conftest import ENGINES
from journeys import flatten, load, page, person, replace_events, track
from wayfinder.analyses import Filter, parse_spec
from wayfinder.engines import connect
from wayfinder.errors import ConfigError
from wayfinder.store.schema import ACCOUNTS, CONSENTS, PROFILES
from wayfinder.workspace import Workspace

BERLIN = "Europe/Berlin"


# -- the reference ---------------------------------------------------------------------------------
def _floor(moment: datetime, interval: str) -> datetime:
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = datetime.combine(moment.date(), time())
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if interval == "month" else day


def _step(moment: datetime, interval: str, n: int = 1) -> datetime:
    if interval == "month":
        months = moment.year * 12 + moment.month - 1 + n
        return moment.replace(year=months // 12, month=months % 12 + 1)
    return (
        moment
        + n
        * {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}[
            interval
        ]
    )


def _number(row: dict, prop: str):
    if prop == "revenue":
        return row["revenue"]
    value = json.loads(row["properties"] or "{}").get(prop.split(".", 1)[1])
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _agg(rows: list[dict], measure: str, prop: str | None):
    if measure == "count":
        return len(rows)
    if measure == "unique_people":
        return len({r["identity_key"] for r in rows})
    values = [v for r in rows if (v := _number(r, prop)) is not None]
    if measure == "sum":
        return float(sum(values))
    return sum(values) / len(values) if values else None


def reference(
    journeys,
    *,
    event=None,
    measure="count",
    prop=None,
    interval="week",
    tz="UTC",
    start=None,
    end=None,
    breakdown=None,
    top=10,
    compare=False,
):
    """``{(period, group): (value, compare value)}`` and the totals, row by row in Python.

    Dates are whole days of ``tz``; a period is the local hour, day, Monday-week or month; top
    values rank by their total (rows with a value for averages), ties by name; the previous
    period is the range's wall-clock length earlier, or as many months for whole months.
    """
    zone = ZoneInfo(tz)

    def local(ts: datetime) -> datetime:
        return ts.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)

    def utc(wall: datetime) -> datetime:
        return wall.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    rows = [r for r in flatten(journeys) if event is None or r.get("event") == event]
    lo = utc(datetime.combine(start, time())) if start else None
    hi = utc(datetime.combine(end + timedelta(days=1), time())) if end else None
    main = [
        r
        for r in rows
        if (lo is None or r["timestamp"] >= lo) and (hi is None or r["timestamp"] < hi)
    ]
    for r in main:
        r["_p"] = _floor(local(r["timestamp"]), interval)
    before = []
    if compare:
        wall_lo, wall_hi = local(lo), local(hi)
        months = (wall_hi.year - wall_lo.year) * 12 + wall_hi.month - wall_lo.month
        try:
            by_month = (
                interval == "month" and months > 0 and _step(wall_lo, "month", months) == wall_hi
            )
        except ValueError:  # the 31st moved into a shorter month: not whole months apart
            by_month = False
        if by_month:
            c_lo = utc(_step(wall_lo, "month", -months))
        else:
            shift = wall_hi - wall_lo
            c_lo = utc(wall_lo - shift)
        before = [r | {} for r in rows if c_lo <= r["timestamp"] < lo]
        for r in before:
            wall = local(r["timestamp"])
            r["_p"] = (
                _step(_floor(wall, "month"), "month", months)
                if by_month
                else _floor(wall + shift, interval)
            )

    def group(r):
        if breakdown is None:
            return None
        return "(none)" if r.get(breakdown) is None else str(r[breakdown])

    kept = None
    if breakdown is not None:
        by_group: dict[str, list] = {}
        for r in main:
            by_group.setdefault(group(r), []).append(r)
        rank_measure = "count" if measure == "average" else measure

        def weight(g):
            if measure == "average":
                return len([r for r in by_group[g] if _number(r, prop) is not None])
            return _agg(by_group[g], rank_measure, prop) or 0

        kept = sorted(by_group, key=lambda g: (-weight(g), g))[:top]

    def mapped(r):
        g = group(r)
        return g if kept is None or g in kept else "Other"

    if lo is not None and hi is not None:
        first, last = (
            _floor(local(lo), interval),
            _floor(local(hi) - timedelta(microseconds=1), interval),
        )
    elif main:
        first = _floor(local(lo), interval) if lo else min(r["_p"] for r in main)
        last = (
            _floor(local(hi) - timedelta(microseconds=1), interval)
            if hi
            else max(r["_p"] for r in main)
        )
    else:
        first, last = None, None
    periods = []
    while first is not None and first <= last:
        periods.append(first)
        first = _step(first, interval)
    groups = [None] if kept is None else list(kept)
    if kept is not None and any(mapped(r) == "Other" for r in main + before):
        groups.append("Other")
    out = {}
    for p in periods:
        for g in groups:
            value = _agg([r for r in main if r["_p"] == p and mapped(r) == g], measure, prop)
            cmp = _agg([r for r in before if r["_p"] == p and mapped(r) == g], measure, prop)
            label = p if interval == "hour" else p.date()
            out[label, g] = (value, cmp if compare else None)
    return out, _agg(main, measure, prop), (_agg(before, measure, prop) if compare else None)


def observed(result) -> dict:
    out = {}
    for row in result.table.to_pylist():
        out[row["period"], row.get("breakdown")] = (row["value"], row.get("compare_value"))
    return out


def assert_matches(result, expected: dict) -> None:
    got = observed(result)
    assert list(got) == list(expected) or set(got) == set(expected), (got, expected)
    for key, (value, before) in expected.items():
        assert got[key][0] == pytest.approx(value), (key, got[key], value)
        assert got[key][1] == pytest.approx(before), (key, got[key], before)


def check(ws, journeys, **kw):
    """Run the trend these keywords describe and compare it with the reference."""
    spec = {
        "interval": kw.get("interval", "week"),
        "measure": kw.get("measure", "count"),
        "timezone": kw.get("tz", "UTC"),
        # The numbers are checked here; the why has tests of its own (and costs queries).
        "why": False,
    }
    if kw.get("event"):
        spec["event"] = f"event:{kw['event']}"
    if kw.get("prop"):
        spec["property"] = kw["prop"]
    if kw.get("start"):
        spec["time"] = {"start": kw["start"].isoformat(), "end": kw["end"].isoformat()}
    if kw.get("breakdown"):
        spec["breakdown"] = {"property": kw["breakdown"], "top": kw.get("top", 10)}
    if kw.get("compare"):
        spec["compare"] = "previous_period"
    result = ws.trend(**spec)
    expected, total, before = reference(journeys, **kw)
    assert_matches(result, expected)
    if expected:
        assert result.answer.startswith(result.answer.split(":")[0])
    return result, total, before


# -- hand-written journeys -------------------------------------------------------------------------
# Sunday 2026-03-08 23:30 UTC is Monday 00:30 in Berlin: the next day and the next ISO week there.
SUNDAY_NIGHT = datetime(2026, 3, 8, 23, 30)
# Berlin moves to summer time on Sunday 2026-03-29 at 01:00 UTC; autumn back on 2026-10-25.
DST_SPRING = datetime(2026, 3, 29, 1, 0)

JOURNEYS = {
    "ann": [
        page("/", datetime(2026, 3, 2, 0, 0)),  # Monday 00:00 UTC: first instant of a week
        track("Order Completed", datetime(2026, 3, 2, 0, 0), revenue=40.0, device="mobile"),
        track("Order Completed", SUNDAY_NIGHT, revenue=10.0, device="mobile"),
        track("Order Completed", datetime(2026, 3, 28, 23, 30), revenue=None, device="desktop"),
        track(
            "Order Completed",
            DST_SPRING,
            revenue=25.0,
            device="desktop",
            properties={"price": 12.5},
        ),
    ],
    "bob": [
        track("Order Completed", datetime(2026, 3, 8, 22, 59, 59), revenue=5.0),  # Sunday 23:59
        track("Order Completed", datetime(2026, 3, 8, 23, 0), revenue=7.0, device="tablet"),
        track("Order Completed", datetime(2026, 3, 8, 23, 0), revenue=7.0, device="tablet"),
        page("/pricing", datetime(2026, 3, 15, 12, 0), device="tablet"),
    ],
    "cat": [
        track(
            "Order Completed",
            datetime(2026, 4, 1, 9, 0),
            revenue=99.0,
            device="mobile",
            properties={"price": "n/a"},
        )
    ],
    "dan": [track("Order Completed", datetime(2026, 2, 20, 9, 0), revenue=1.0)],  # before range
    "eve": [track("Order Completed", datetime(2026, 4, 6, 0, 0), revenue=3.0)],  # after range
    # 00:30 UTC and 01:30 UTC on 25 October are both 02:30 in Berlin (clocks go back at 01:00).
    "fay": [
        track("Order Completed", datetime(2026, 10, 25, 0, 30)),
        track("Order Completed", datetime(2026, 10, 25, 1, 30)),
    ],
}
RANGE = {"start": date(2026, 3, 2), "end": date(2026, 4, 5)}

# Each test below reads its own events (names differ) of its own people, so one workspace per
# engine holds them all: Spark pays for one workspace, not one per test.
VIEWS = {
    "vic": [track("Viewed", 0, device="mobile"), track("Viewed", 5, device="mobile")],
    "val": [track("Viewed", 1, device="tablet"), track("Viewed", 2, device="tv")],
    "vera": [track("Viewed", 3, device="mobile")],
    "vince": [track("Viewed", 4)],  # no device: "(none)"
}
PAID = {
    "pia": [track("Paid", datetime(2026, 2, 23, 8)), track("Paid", datetime(2026, 3, 3, 8))],
    "pam": [track("Paid", datetime(2026, 3, 10, 8)), track("Paid", datetime(2026, 3, 29, 8))],
    "pat": [track("Paid", datetime(2026, 1, 31, 23, 30)), track("Paid", datetime(2026, 1, 5))],
}
RENEWED = {
    "rex": [track("Renewed", datetime(2026, 3, d, 9)) for d in (2, 3, 9, 10, 11)]
    + [track("Renewed", datetime(2026, 2, d, 9)) for d in (2, 3, 4)]
}
CPC = {"utm_source": "google", "utm_medium": "cpc", "click_id": "g1", "click_id_type": "gclid"}
VISITS = {
    "sid": [page("/p/tent", 0, **CPC), track("Booked", 10)],
    "sam": [page("/", 0), track("Booked", 10)],
    # A new visit after 30 idle minutes: direct, not the earlier paid click.
    "sue": [page("/p/tent", 0, **CPC), track("Booked", 45)],
}


@pytest.fixture(scope="module", params=ENGINES)
def ws(request, tmp_path_factory):
    """One workspace per engine holding every hand-written journey above."""
    journeys = {**JOURNEYS, **VIEWS, **PAID, **RENEWED, **VISITS}
    if request.param == "pyspark":
        yield load(request.getfixturevalue("spark_engine"), f"trends_{os.getpid()}", journeys)
        return
    engine = connect(f"duckdb:///{tmp_path_factory.mktemp('trends') / 'wf.duckdb'}")
    yield load(engine, "trends", journeys)
    engine.close()


def test_weeks_and_days_by_time_zone_with_boundaries_and_dst(ws):
    for tz in ("UTC", BERLIN):
        result, total, _ = check(ws, JOURNEYS, event="Order Completed", tz=tz, **RANGE)
        weeks = {r["period"]: r["value"] for r in result.table.to_pylist()}
        assert len(weeks) == 5 and total == 8
        if tz == "UTC":
            # Sunday 22:59:59 and 23:00 UTC stay in the week of 2 March.
            assert weeks[date(2026, 3, 2)] == 5
        else:
            # In Berlin 23:00 UTC Sunday is Monday 00:00: three orders move to the next week.
            assert weeks[date(2026, 3, 2)] == 2 and weeks[date(2026, 3, 9)] == 3
        assert result.answer.startswith("Order Completed: 8 from 2026-03-02 to 2026-04-05")
    result, _, _ = check(
        ws,
        JOURNEYS,
        event="Order Completed",
        tz=BERLIN,
        interval="day",
        start=date(2026, 3, 28),
        end=date(2026, 3, 29),
    )
    days = {r["period"]: r["value"] for r in result.table.to_pylist()}
    # 23:30 UTC on the 28th is 00:30 on the 29th; 01:00 UTC on the 29th is 03:00 (summer time).
    assert days == {date(2026, 3, 28): 0, date(2026, 3, 29): 2}


def test_hours_across_dst_in_berlin(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", JOURNEYS)
    for day in (date(2026, 3, 29), date(2026, 10, 25)):  # 23 and 25 hours on the clock
        hourly, _, _ = check(
            ws, JOURNEYS, event="Order Completed", tz=BERLIN, interval="hour", start=day, end=day
        )
        assert hourly.table.column("period").type == pa.timestamp("us")
        assert sum(hourly.table.column("value").to_pylist()) == 2
    # Wall-clock hours: the repeated 02:00 hour holds both of Fay's orders.
    hours = {r["period"]: r["value"] for r in hourly.table.to_pylist()}
    assert hours[datetime(2026, 10, 25, 2)] == 2
    engine.close()


def test_unique_people_and_other_counts_distinct_people(ws):
    result, total, _ = check(
        ws,
        VIEWS,
        event="Viewed",
        measure="unique_people",
        interval="day",
        breakdown="device_type",
        top=1,
    )
    rows = {r["breakdown"]: r["value"] for r in result.table.to_pylist()}
    # Val is in two "other" devices and counts once; Vince's null device is one of them.
    assert rows == {"mobile": 2, "Other": 2} and total == 4
    counted, _, _ = check(ws, VIEWS, event="Viewed", interval="day", breakdown="device_type", top=2)
    assert {r["breakdown"]: r["value"] for r in counted.table.to_pylist()} == {
        "mobile": 3,
        "(none)": 1,
        "Other": 2,
    }


def test_sum_and_average_skip_nulls(ws):
    for measure, prop in (("sum", "properties.price"), ("average", "revenue")):
        result, total, _ = check(
            ws,
            JOURNEYS,
            event="Order Completed",
            measure=measure,
            prop=prop,
            interval="month",
            tz=BERLIN,
            breakdown="device_type",
            **RANGE,
        )
        assert result.table.column("value").type == pa.float64()
    # The null revenue is skipped, not read as 0; cat's price "n/a" is not a number.
    assert total == pytest.approx((40 + 10 + 25 + 5 + 7 + 7 + 99) / 7)


def test_previous_period_weekly_and_by_whole_months(ws):
    weekly, total, before = check(
        ws,
        PAID,
        event="Paid",
        start=date(2026, 3, 2),
        end=date(2026, 3, 15),
        compare=True,
        tz=BERLIN,
    )
    assert (total, before) == (2, 1)
    rows = weekly.table.to_pylist()
    assert [r["compare_period"] for r in rows] == [date(2026, 2, 16), date(2026, 2, 23)]
    assert [r["change"] for r in rows] == [None, 0.0]
    assert "up 100% on the period before (1)" in weekly.answer
    monthly, total, before = check(
        ws,
        PAID,
        event="Paid",
        interval="month",
        compare=True,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        tz=BERLIN,
    )
    # March against February (a 28-day month), not against the 31 days before 1 March;
    # 23:30 UTC on 31 January is 1 February in Berlin.
    assert monthly.table.to_pylist()[0]["compare_period"] == date(2026, 2, 1)
    assert (total, before) == (3, 2)


def test_compare_with_a_given_shorter_period(ws):
    result = ws.trend(
        event="event:Renewed",
        interval="week",
        time={"start": "2026-03-02", "end": "2026-03-15"},
        compare={"start": "2026-02-02", "end": "2026-02-08"},
    )
    rows = result.table.to_pylist()
    assert [(r["value"], r["compare_value"], r["compare_period"]) for r in rows] == [
        (2, 3, date(2026, 2, 2)),
        (3, None, date(2026, 2, 9)),  # the given period has no second week
    ]
    assert "up 67% on 2026-02-02 to 2026-02-08 (3)" in result.answer


def test_drill_down_lists_the_people_of_a_period_and_value(ws):
    result = ws.trend(
        event="purchase",
        interval="week",
        timezone=BERLIN,
        time={"start": "2026-03-02", "end": "2026-04-05"},
        breakdown={"property": "device_type", "top": 1},
        compare="previous_period",
    )
    ids = lambda t: sorted(t.column("person_id").to_pylist())  # noqa: E731
    assert ids(result.people(period="2026-03-09")) == [person("ann"), person("bob")]
    assert ids(result.people(period="2026-03-11", breakdown="mobile")) == [person("ann")]
    assert ids(result.people(period="2026-03-09", breakdown="Other")) == [person("bob")]
    # Dan's order of 20 February, moved on by the 5 weeks of the range, is in the week of 23 March.
    assert ids(result.people(period="2026-03-23", compare=True)) == [person("dan")]
    with pytest.raises(ConfigError, match="which period"):
        result.people()


def test_session_channel_breaks_events_down_by_their_visit(ws):
    result = ws.trend(
        event="event:Booked",
        interval="day",
        breakdown="session_channel",
        filters=["event = 'Booked'"],  # filters do not cut visits
    )
    assert {r["breakdown"]: r["value"] for r in result.table.to_pylist()} == {
        "Direct": 2,
        "Paid Search": 1,
    }


def test_person_and_account_breakdowns_and_consent(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", JOURNEYS)

    def insert(spec, rows):
        engine.insert(spec.name, "w", pa.Table.from_pylist(rows, schema=spec.schema.to_pyarrow()))

    insert(PROFILES, [{"person_id": person("ann"), "account_id": "A1"},
                      {"person_id": person("bob"), "account_id": "A2"},
                      {"person_id": person("cat"), "account_id": "A2"}])  # fmt: skip
    insert(ACCOUNTS, [{"account_id": "A1", "industry": "Retail"},
                      {"account_id": "A2", "industry": "Media"}])  # fmt: skip
    insert(CONSENTS, [{"subject": "user_id:cat", "purpose": "analytics", "granted": False,
                       "timestamp": datetime(2026, 3, 1)}])  # fmt: skip

    def totals(breakdown):
        result = ws.trend(event="purchase", breakdown=breakdown,
                          time={"start": "2026-03-02", "end": "2026-04-05"})  # fmt: skip
        out: dict[str, int] = {}
        for row in result.table.to_pylist():
            out[row["breakdown"]] = out.get(row["breakdown"], 0) + row["value"]
        return out

    # Cat withdrew analytics consent: her order is left out of Media.
    assert totals("account: industry") == {"Retail": 4, "Media": 3}
    assert totals("person: account_id") == {"A1": 4, "A2": 3}
    engine.close()


def test_metrics_are_the_trend_of_their_goal(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", JOURNEYS)
    scope = {"interval": "week", "time": {"start": "2026-03-02", "end": "2026-04-05"}}
    revenue = ws.trend(metric="revenue", **scope)
    summed = ws.trend(event="purchase", measure="sum", **scope)
    assert revenue.table.column("value").to_pylist() == summed.table.column("value").to_pylist()
    assert revenue.answer.startswith("Revenue: 193.00")
    rate = ws.trend(metric="conversion rate", **scope)  # a synonym, a ratio of two uniques
    buyers = ws.trend(event="purchase", measure="unique_people", **scope)
    active = ws.trend(measure="unique_people", **scope)
    for r, b, a in zip(
        rate.table.to_pylist(), buyers.table.to_pylist(), active.table.to_pylist(), strict=True
    ):
        assert r["value"] == (b["value"] / a["value"] if a["value"] else None)
    assert "%" in rate.answer
    engine.close()


# -- random journeys -------------------------------------------------------------------------------
BASE = datetime(2026, 3, 20)
_moments = st.one_of(
    st.integers(-20 * 24 * 60, 45 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m)),
    st.sampled_from(
        [
            datetime(2026, 3, 29, 1),
            datetime(2026, 3, 28, 23),
            datetime(2026, 3, 30),
            datetime(2026, 3, 29, 22),
            datetime(2026, 3, 31, 22),
            datetime(2026, 4, 1),
            datetime(2026, 3, 8, 23, 30),
            datetime(2026, 3, 9, 4, 30),
        ]
    ),
)
_events = st.builds(
    lambda name, at, device, revenue, price: track(
        name,
        at,
        device=device,
        revenue=revenue,
        properties={} if price is None else {"price": price},
    ),
    st.sampled_from(["Order Completed", "Signed Up", "Viewed"]),
    _moments,
    st.sampled_from(["mobile", "desktop", "tablet", None]),
    st.one_of(st.none(), st.integers(0, 40).map(lambda n: n / 2)),
    st.one_of(st.none(), st.integers(-5, 5), st.just("x")),
)
_journeys = st.dictionaries(
    st.sampled_from(["ann", "bob", "cat", "dan", "eve", "fay"]),
    st.lists(_events, min_size=1, max_size=6),
    min_size=1,
    max_size=6,
)


@st.composite
def _trend_kwargs(draw):
    kw = {
        "measure": draw(st.sampled_from(["count", "unique_people", "sum", "average"])),
        "interval": draw(st.sampled_from(["hour", "day", "week", "month"])),
        "tz": draw(
            st.sampled_from(
                ["UTC", BERLIN, "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
            )
        ),
        "event": draw(st.sampled_from([None, "Order Completed", "Viewed"])),
    }
    if kw["measure"] in ("sum", "average"):
        kw["prop"] = draw(st.sampled_from(["revenue", "properties.price"]))
    if draw(st.booleans()):
        kw["breakdown"], kw["top"] = "device_type", draw(st.integers(1, 3))
    days = 4 if kw["interval"] == "hour" else 60
    if draw(st.integers(0, 3)):  # a range three times in four; else all time
        start = BASE.date() + timedelta(days=draw(st.integers(-20, 20)))
        kw["start"], kw["end"] = start, start + timedelta(days=draw(st.integers(0, days)))
        kw["compare"] = draw(st.booleans())
    return kw


@pytest.fixture(scope="module")
def duck_ws(tmp_path_factory):
    engine = connect(f"duckdb:///{tmp_path_factory.mktemp('trends') / 'wf.duckdb'}")
    yield Workspace(engine, "random")
    engine.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys=_journeys, specs=st.lists(_trend_kwargs(), min_size=1, max_size=2))
def test_random_journeys_match_the_reference_on_duckdb(duck_ws, journeys, specs):
    replace_events(duck_ws, journeys)
    for kw in specs:
        check(duck_ws, journeys, **kw)


@pytest.fixture(scope="module")
def spark_ws(spark_engine):
    return Workspace(spark_engine, f"trend_random_{os.getpid()}")


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journeys=_journeys, kw=_trend_kwargs())
def test_random_journeys_match_the_reference_on_pyspark(spark_ws, journeys, kw):
    replace_events(spark_ws, journeys)
    check(spark_ws, journeys, **kw)


# -- spec and errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"metric": "revenue", "event": "purchase"}, "a metric says what is measured"),
        ({"event": "purchase", "property": "revenue"}, "property is what a sum or average"),
        ({"compare": {"start": "2026-01-01"}}, "needs its start and end"),
        ({"interval": "fortnight"}, "interval"),
    ],
)
def test_bad_trend_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_spec({"kind": "trend", **spec})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"compare": "previous_period"}, "a comparison needs a time range"),
        ({"breakdown": "colour"}, "cannot break down by events column"),
        ({"measure": "sum", "property": "properties.a b"}, "cannot sum or average"),
        ({"measure": "sum", "event": "Viewed"}, "a sum or average needs a property"),
        ({"metric": "conversion_rate", "breakdown": "device_type"}, "ratio metric"),
        ({"metric": "mrr", "timezone": BERLIN}, "computed by the semantic layer"),
        ({"event": "closed_deal", "breakdown": "device_type"}, "no event columns"),
        ({"metric": "no_such_metric"}, "unknown metric"),
    ],
)
def test_trends_fail_before_running_on_what_the_workspace_lacks(tmp_path, spec, message):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", JOURNEYS)
    with pytest.raises(ConfigError, match=message):
        ws.trend(**spec)
    engine.close()


def _weekly_orders(mobile_last_week: int) -> dict[str, list[dict]]:
    """Five weeks from Monday 2026-03-02: every week 30 desktop and 30 mobile buyers (each a
    new person, one visit, one order), except mobile in the last week."""
    journeys = {}
    for week in range(5):
        for device in ("desktop", "mobile"):
            n = mobile_last_week if (week == 4 and device == "mobile") else 30
            for i in range(n):
                at = datetime(2026, 3, 2, 9) + timedelta(weeks=week, hours=4 * i)
                journeys[f"{device}{week}_{i}"] = [
                    page("/", at, device=device),
                    track("Order Completed", at + timedelta(minutes=3), device=device, revenue=20),
                ]
    return journeys


def test_the_why_splits_a_notable_last_change_by_dimension(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", _weekly_orders(mobile_last_week=6))
    weeks = {"event": "purchase", "interval": "week", "time": {"start": "2026-03-02",
             "end": "2026-04-05"}}  # fmt: skip
    result = ws.trend(**weeks)
    # 60 orders a week, then 36: the last week against the average of the 4 before.
    assert [r["value"] for r in result.table.to_pylist()] == [60, 60, 60, 60, 36]
    (reason,) = result.why
    assert reason.people == {"dimension": "device", "value": "mobile", "period": "2026-03-30"}
    # Pooled Poisson noise of the change: 276 orders over 5 weeks, a fifth of it in the last
    # week, the rest averaged over 4.
    assert reason.evidence["change"] == -24
    assert reason.evidence["total_z"] == pytest.approx(-24 / (276 * 0.2 + 276 * 0.8 / 16) ** 0.5)
    assert reason.sentence.startswith(
        "In the week of 2026-03-30, against the average of the 4 before: mobile (device) "
        "accounts for 100% of the drop"
    )
    assert sorted(result.people(**reason.people).column("person_id").to_pylist()) == sorted(
        person(f"mobile4_{i}") for i in range(6)
    )
    with pytest.raises(ConfigError, match="compares two periods only"):
        result.people(period="2026-03-16", dimension="device", value="mobile")
    # A steady last week has nothing to explain; a breakdown has its own why.
    engine.replace_table("events", "w", pa.Table.from_pylist(
        flatten(_weekly_orders(30)), schema=ws.table("events").schema().to_pyarrow()
    ))  # fmt: skip
    assert ws.trend(**weeks).why == []
    engine.close()


def test_interpretation_and_chart(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = load(engine, "w", JOURNEYS)
    result = ws.trend(
        event="purchase",
        measure="unique_people",
        breakdown="device_type",
        time={"start": "2026-03-02", "end": "2026-04-05"},
        compare="previous_period",
    )
    assert result.interpretation == (
        "people who did goal 'purchase' by week, broken down by device_type (top 10), compared "
        "with the previous period, 2026-03-02 to 2026-04-05"
    )
    traces = result.chart["data"]
    assert [t["name"] for t in traces[::2]] == ["mobile", "(none)", "desktop", "tablet"]
    assert all(t["line"] == {"dash": "dash"} for t in traces[1::2])
    assert len(traces[0]["x"]) == 5 and json.loads(result.to_json())["rows"]
    engine.close()


def test_cli_trend_prints_the_answer_and_json(tmp_path):
    from typer.testing import CliRunner

    from wayfinder.cli import trend_cmd
    from wayfinder.cli.main import app

    db = tmp_path / "wf.duckdb"
    engine = connect(f"duckdb:///{db}")
    load(engine, "default", JOURNEYS)
    engine.close()
    if not any(c.name == "trend" for c in app.registered_commands):
        trend_cmd.register(app)
    args = [
        "--db",
        str(db),
        "trend",
        "purchase",
        "--since",
        "2026-03-02",
        "--until",
        "2026-04-05",
        "--breakdown",
        "device_type",
        "--top",
        "1",
        "--tz",
        BERLIN,
    ]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "Purchase: 8 from 2026-03-02 to 2026-04-05" in " ".join(out.output.split())
    out = CliRunner().invoke(app, [*args, "--compare", "2026-02-01..2026-02-28", "--json"])
    data = json.loads(out.output)
    assert data["spec"]["compare"] == {"start": "2026-02-01", "end": "2026-02-28"}
    assert {r["breakdown"] for r in data["rows"]} == {"mobile", "Other"}


# -- the demo --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shop(demo_build):
    db, _, _ = demo_build
    ws = wayfinder.open(f"duckdb:///{db}", "shop")
    yield ws
    ws.close()


def test_demo_weekly_orders_by_visit_channel_show_the_paid_search_drop(shop):
    """Truth 8: Paid Search orders collapse in the last week, other channels hold."""
    result = shop.trend(
        event="purchase",
        interval="week",
        breakdown="session_channel",
        time={"start": "2026-10-19", "end": "2026-11-21"},
    )
    weeks: dict[str, list[int]] = {}
    for row in result.table.to_pylist():
        weeks.setdefault(row["breakdown"], []).append(row["value"])

    # The last ISO week holds 6 days of data (16-21 November): compare daily rates.
    def ratio(values):
        return (values[-1] / 6) / (sum(values[:-1]) / 28)

    others = [
        sum(v) for v in zip(*(w for c, w in weeks.items() if c != "Paid Search"), strict=True)
    ]
    print(
        f"\nPaid Search last week x{ratio(weeks['Paid Search']):.2f}, others x{ratio(others):.2f}"
    )
    assert ratio(weeks["Paid Search"]) <= 0.45  # four in five purchases lost: ~0.2
    assert 0.7 <= ratio(others) <= 1.4
    # The why: the last week's change decomposed by the breakdown names Paid Search.
    (reason,) = result.why
    assert reason.claim == "decomposition" and reason.evidence["value"] == "Paid Search"
    assert reason.evidence["share"] > 0.5
    assert result.people(**reason.people).num_rows == weeks["Paid Search"][-1]


def test_demo_trend_without_breakdown_splits_the_notable_last_change(shop):
    """Truth 8 again, without a breakdown: the last week against the average of the 4 before is
    notable, and its split by the default dimensions names Paid Search; the weeks before the
    plant have no notable change, so no reason; ``why=False`` asks for none."""
    weekly = {"event": "purchase", "interval": "week"}
    result = shop.trend(**weekly, time={"start": "2026-09-28", "end": "2026-11-21"})
    print(f"\n{result.why[0].sentence if result.why else None}")
    top = result.why[0]
    assert top.claim == "decomposition"
    assert top.people == {"dimension": "channel", "value": "Paid Search", "period": "2026-11-16"}
    assert top.evidence["z"] < 0 and top.evidence["total_z"] < -1.96
    assert top.sentence.startswith("In the week of 2026-11-16 (scaled to the part of it")
    # The people behind it: Paid Search buyers of the last week (the few the plant left).
    buyers = result.people(**top.people).num_rows
    assert 0 < buyers == top.evidence["current"]
    assert result.people(period="2026-11-16").num_rows > buyers  # the trend's own drill-down
    assert shop.trend(**weekly, time={"start": "2026-09-28", "end": "2026-11-14"}).why == []
    assert shop.trend(**weekly, time={"start": "2026-09-28", "end": "2026-11-21"},
                      why=False).why == []  # fmt: skip


def test_demo_snapshot_metric_comes_from_the_semantic_layer(demo_build):
    db, _, _ = demo_build
    with wayfinder.open(f"duckdb:///{db}", "b2b") as ws:
        result = ws.trend(
            metric="mrr", interval="month", time={"start": "2026-06-01", "end": "2026-08-31"}
        )
        expected = ws.catalog.metric("mrr").compute(
            ws, datetime(2026, 6, 1), datetime(2026, 9, 1), by="month"
        )
        values = ws.engine.to_arrow(expected).column("mrr").to_pylist()
    assert result.table.column("value").to_pylist() == pytest.approx(values)
    assert result.table.column("period").to_pylist() == [date(2026, m, 1) for m in (6, 7, 8)]


def test_whole_table_metrics_refuse_when_rules_leave_people_out(demo_build):
    db, _, _ = demo_build
    with wayfinder.open(f"duckdb:///{db}", "b2b") as ws:
        ws.excluded_people = [Filter.model_validate("person: email matches '@example[.]com$'")]
        with pytest.raises(ConfigError, match="reads whole tables"):
            ws.trend(metric="mrr", interval="month")
