"""Retention and lifecycle against plain-Python references: hand-written journeys (same-time
events, events outside the range, repeats, one-event people, time zones, a first event before
the range), random journeys, both engines; and sanity checks on the demo."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wayfinder
from journeys import flatten, load, person, replace_events, track
from wayfinder.analyses.cohorts import Clock
from wayfinder.engines import connect
from wayfinder.errors import ConfigError
from wayfinder.store.schema import ACCOUNTS, PROFILES

MICRO = timedelta(microseconds=1)
STATUSES = ("new", "returning", "resurrecting", "dormant")


# -- the references ------------------------------------------------------------------------------
def period_of(ts: datetime, tz: ZoneInfo, interval: str) -> date:
    """The local first day of the period holding a naive UTC instant."""
    day = ts.replace(tzinfo=UTC).astimezone(tz).date()
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def later(p: date, interval: str, k: int) -> date:
    if interval == "day":
        return p + timedelta(days=k)
    if interval == "week":
        return p + timedelta(weeks=k)
    year, month = divmod(p.year * 12 + p.month - 1 + k, 12)
    return date(year, month + 1, 1)


def begins(p: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(p, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def data_end(rows, start, end):
    """Where the data ends: the newest event in range (+1 µs), or the range's end if earlier."""
    newest = [
        r["timestamp"]
        for r in rows
        if (start is None or r["timestamp"] >= start) and (end is None or r["timestamp"] < end)
    ]
    if not newest:
        return None
    until = max(newest) + MICRO
    return min(until, end) if end is not None else until


def label_values(raw: list, top: int) -> dict:
    """Each raw value's label: itself when among the ``top`` most frequent, else "Other"."""
    counts = Counter("(none)" if v is None else v for v in raw)
    best = sorted(counts, key=lambda v: (-counts[v], v))[:top]
    return {v: (v if v in best else "Other") for v in counts}


def ref_retention(
    rows,
    *,
    start_event,
    back_event,
    cohort,
    interval,
    periods,
    mode,
    tz,
    start,
    end,
    breakdown=None,
    top=10,
    keep=lambda r: True,
):
    """Long rows and average rows, computed event by event."""
    until = data_end(rows, start, end)
    if until is None:
        return [], []
    events = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["timestamp"], r["message_id"])):
        if r["timestamp"] < until and keep(r):
            events[r["identity_key"]].append(r)

    def in_range(ts):
        return (start is None or ts >= start) and ts < until

    def period(ts):
        return period_of(ts, tz, interval)

    members = []  # (person, cohort period, anchor, raw breakdown value)
    for who, evs in events.items():
        starts = [e for e in evs if e["event"] == start_event]
        if cohort == "first_time":
            if starts and in_range(starts[0]["timestamp"]):
                e = starts[0]
                members.append((who, period(e["timestamp"]), e["timestamp"], e.get(breakdown)))
        else:
            seen = {}
            for e in starts:
                if in_range(e["timestamp"]):
                    seen.setdefault(period(e["timestamp"]), e)
            members += [(who, p, e["timestamp"], e.get(breakdown)) for p, e in seen.items()]
    labels = label_values([m[3] for m in members], top) if breakdown else {}

    def value(m):
        return labels["(none)" if m[3] is None else m[3]] if breakdown else None

    def came_back(who, c, anchor, k):
        target = later(c, interval, k)
        for e in events[who]:
            if e["event"] != back_event or not in_range(e["timestamp"]):
                continue
            p = period(e["timestamp"])
            if (p == target if mode == "on" else p >= target) and (
                p != c or e["timestamp"] >= anchor
            ):
                return True
        return False

    sizes = Counter((m[1], value(m)) for m in members)
    totals = Counter()
    for (_, v), n in sizes.items():
        totals[v] += n
    values = sorted(totals, key=lambda v: (-totals[v], v)) or ([] if breakdown else [None])
    first = period(start) if start is not None else min((m[1] for m in members), default=None)
    cohorts = []
    while first is not None and first <= period(until - MICRO):
        cohorts.append(first)
        first = later(first, interval, 1)
    out, avg = [], []
    for v in values:
        for c in cohorts:
            size = sizes[(c, v)]
            for k in range(periods + 1):
                people = None
                if begins(later(c, interval, k), tz) < until:
                    people = sum(
                        1
                        for m in members
                        if m[1] == c and value(m) == v and came_back(m[0], c, m[2], k)
                    )
                out.append(
                    {
                        "breakdown": v,
                        "cohort": c,
                        "cohort_size": size,
                        "period": k,
                        "people": people,
                        "rate": people / size if people is not None and size else None,
                        "complete": begins(later(c, interval, k + 1), tz) <= until,
                    }
                )
        for k in range(periods + 1):
            done = [
                r
                for r in out
                if r["breakdown"] == v and r["period"] == k and r["complete"] and r["cohort_size"]
            ]
            size, people = sum(r["cohort_size"] for r in done), sum(r["people"] for r in done)
            avg.append(
                {
                    "breakdown": v,
                    "period": k,
                    "cohorts": len(done),
                    "cohort_size": size,
                    "people": people if done else None,
                    "rate": people / size if size else None,
                }
            )
    return out, avg


def ref_lifecycle(rows, *, event, interval, tz, start, end, breakdown=None, top=10):
    until = data_end(rows, start, end)
    if until is None:
        return []
    active, first_value = defaultdict(set), {}
    for r in sorted(rows, key=lambda r: (r["timestamp"], r["message_id"])):
        if r["event"] == event and r["timestamp"] < until:
            active[r["identity_key"]].add(period_of(r["timestamp"], tz, interval))
            first_value.setdefault(r["identity_key"], r.get(breakdown))
    first = {who: min(ps) for who, ps in active.items()}
    p = period_of(start, tz, interval) if start is not None else min(first.values(), default=None)
    shown = []
    while p is not None and p <= period_of(until - MICRO, tz, interval):
        shown.append(p)
        p = later(p, interval, 1)
    moves = []  # (person, period, status)
    for p in shown:
        before = later(p, interval, -1)
        for who, ps in active.items():
            if p in ps:
                status = (
                    "new" if p == first[who] else "returning" if before in ps else "resurrecting"
                )
                moves.append((who, p, status))
            elif before in ps:
                moves.append((who, p, "dormant"))
    if breakdown:
        people = sorted({m[0] for m in moves})
        labels = label_values([first_value[w] for w in people], top)
        value = {w: labels["(none)" if first_value[w] is None else first_value[w]] for w in people}
    else:
        value = defaultdict(lambda: None)
    counts = Counter((p, status, value[who]) for who, p, status in moves)
    totals = Counter()
    for (_, status, v), n in counts.items():
        totals[v] += 0 if status == "dormant" else n
    values = sorted(totals, key=lambda v: (-totals[v], v)) or ([] if breakdown else [None])
    return [
        {
            "breakdown": v,
            "period": p,
            "status": s,
            "people": -counts[(p, s, v)] if s == "dormant" else counts[(p, s, v)],
            "complete": begins(later(p, interval, 1), tz) <= until,
        }
        for v in values
        for p in shown
        for s in STATUSES
    ]


def strip(rows: list[dict], breakdown) -> list[dict]:
    return rows if breakdown else [{k: v for k, v in r.items() if k != "breakdown"} for r in rows]


def utc_bounds(time_range: dict | None, tz: ZoneInfo):
    """The spec's ``[start, end)`` as naive UTC, worked out here independently of TimeRange."""
    if not time_range:
        return None, None
    lo, hi = time_range.get("start"), time_range.get("end")
    if isinstance(lo, datetime):
        return lo.astimezone(UTC).replace(tzinfo=None), hi.astimezone(UTC).replace(tzinfo=None)
    lo, hi = date.fromisoformat(lo), date.fromisoformat(hi) + timedelta(days=1)
    return begins(lo, tz), begins(hi, tz)


def check_retention(ws, rows, **spec):
    tz = ZoneInfo(spec.get("timezone", "UTC"))
    lo, hi = utc_bounds(spec.get("time"), tz)
    bd = spec.get("breakdown")
    top = bd["top"] if isinstance(bd, dict) else 10
    prop = bd["property"] if isinstance(bd, dict) else bd
    result = ws.retention(**spec)
    expected, averages = ref_retention(
        rows,
        start_event=spec["start"].removeprefix("event:"),
        back_event=spec.get("back", spec["start"]).removeprefix("event:"),
        cohort=spec.get("cohort", "first_time"),
        interval=spec.get("interval", "week"),
        periods=spec.get("periods", 8),
        mode=spec.get("mode", "on"),
        tz=tz,
        start=lo,
        end=hi,
        breakdown=prop,
        top=top,
    )
    assert result.table.to_pylist() == strip(expected, bd), spec
    assert result.tables["average"].to_pylist() == strip(averages, bd), spec
    return result


def check_lifecycle(ws, rows, **spec):
    tz = ZoneInfo(spec.get("timezone", "UTC"))
    lo, hi = utc_bounds(spec.get("time"), tz)
    bd = spec.get("breakdown")
    top = bd["top"] if isinstance(bd, dict) else 10
    prop = bd["property"] if isinstance(bd, dict) else bd
    result = ws.lifecycle(**spec)
    expected = ref_lifecycle(
        rows,
        event=spec["event"].removeprefix("event:"),
        interval=spec.get("interval", "week"),
        tz=tz,
        start=lo,
        end=hi,
        breakdown=prop,
        top=top,
    )
    assert result.table.to_pylist() == strip(expected, bd), spec
    return result


# -- hand-written journeys -----------------------------------------------------------------------
def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A day of March 2026 (may be <= 0 for February), UTC."""
    return datetime(2026, 3, 1, hour, minute) + timedelta(days=day - 1)


JOURNEYS = {
    # Two signups and a purchase at the same instant: a return in week 0. Repeated purchases.
    "ann": [
        track("signup", at(2)),
        track("signup", at(2)),
        track("buy", at(2)),
        track("buy", at(10)),
        track("buy", at(24)),
        track("buy", at(25)),
    ],
    # First signup before the range: not in a first-time cohort, but in a recurring one.
    "bob": [track("signup", at(-8)), track("signup", at(4)), track("buy", at(12))],
    # One event, late on Sunday 8 March UTC: Monday 9 March in Berlin (the next week).
    "cy": [track("signup", at(8, 23, 30), device="mobile")],
    # A purchase before the signup, in the same week: not a return in week 0.
    "dee": [track("buy", at(3, 8)), track("signup", at(3), device="desktop"), track("buy", at(31))],
    # A purchase after the range ends: never counted.
    "eve": [track("signup", at(16)), track("buy", datetime(2026, 4, 20, 9))],
    # Signs up every week.
    "fay": [
        track("signup", at(9), device="mobile"),
        track("signup", at(16)),
        track("signup", at(23, 22, 30)),
        track("buy", at(23, 23)),
    ],
    # Someone else's event is the newest in range: where the data ends.
    "gus": [track("browse", datetime(2026, 4, 5, 12))],
}
RANGE = {"start": "2026-03-02", "end": "2026-04-05"}


@pytest.fixture
def shop(engine, workspace_name):
    return load(engine, workspace_name, JOURNEYS), flatten(JOURNEYS)


@pytest.fixture
def duck_ws(tmp_path, workspace_name):
    """A DuckDB workspace of the journeys, for tests of shapes rather than engines."""
    eng = connect(f"duckdb:///{tmp_path / 'one.duckdb'}")
    yield load(eng, workspace_name, JOURNEYS)
    eng.close()


def test_hand_written_retention(shop):
    ws, rows = shop
    result = check_retention(
        ws, rows, start="event:signup", back="event:buy", periods=4, time=RANGE
    )
    first = {r["period"]: r for r in result.table.to_pylist() if r["cohort"] == date(2026, 3, 2)}
    # ann, cy, dee (bob signed up first in February). ann's purchase at her signup's instant
    # counts in week 0; dee's purchase an hour before her signup does not.
    assert first[0]["cohort_size"] == 3
    assert [first[k]["people"] for k in range(5)] == [1, 1, 0, 1, 1]
    assert all(first[k]["complete"] for k in range(4)) and not first[4]["complete"]
    assert {r["person_id"] for r in result.people(cohort="2026-03-04", period=1).to_pylist()} == {
        person("ann")
    }
    missed = result.people(cohort=date(2026, 3, 2), period=4, returned=False).to_pylist()
    assert {r["person_id"] for r in missed} == {person("ann"), person("cy")}
    assert "first did event 'signup'" in result.answer and "week 1" in result.answer

    berlin = check_retention(
        ws, rows, start="event:signup", periods=1, time=RANGE, timezone="Europe/Berlin"
    )
    sizes = {r["cohort"]: r["cohort_size"] for r in berlin.table.to_pylist()}
    assert sizes[date(2026, 3, 2)] == 2 and sizes[date(2026, 3, 9)] == 2  # cy moved a week
    # Weeks after the data's end (Sunday 5 April) are unknown, not zero.
    last = [r for r in berlin.table.to_pylist() if r["cohort"] == date(2026, 3, 30)]
    assert [r["people"] for r in last] == [0, None]

    check_retention(
        ws,
        rows,
        start="event:signup",
        back="event:buy",
        interval="day",
        periods=3,
        cohort="recurring",
        mode="on_or_after",
        timezone="America/New_York",
        breakdown={"property": "device_type", "top": 1},
        time=RANGE,
    )


def test_hand_written_lifecycle(shop):
    ws, rows = shop
    result = check_lifecycle(ws, rows, event="event:signup", time=RANGE)
    summary = {r["period"]: r for r in result.tables["summary"].to_pylist()}
    assert summary[date(2026, 3, 2)] | {"period": None} == {
        "period": None,
        "new": 3,
        "returning": 0,
        "resurrecting": 1,
        "dormant": 0,
        "active": 4,
        "complete": True,
    }
    assert [summary[date(2026, 3, d)]["dormant"] for d in (9, 16, 23, 30)] == [-4, 0, -1, -1]
    dormant = result.people(period="2026-03-11", status="dormant").to_pylist()
    assert {r["person_id"] for r in dormant} == {person(n) for n in ("ann", "bob", "cy", "dee")}
    check_lifecycle(
        ws,
        rows,
        event="event:signup",
        time=RANGE,
        interval="day",
        timezone="Asia/Kolkata",
        breakdown={"property": "device_type", "top": 1},
    )


def test_more_retention_and_lifecycle_shapes(duck_ws):
    """The other combinations, on DuckDB only (random journeys cover them on both engines)."""
    ws, rows = duck_ws, flatten(JOURNEYS)
    check_retention(ws, rows, start="event:signup", cohort="recurring", time=RANGE)
    check_retention(
        ws,
        rows,
        start="event:signup",
        back="event:buy",
        interval="month",
        periods=2,
        breakdown="device_type",
        time=RANGE,
    )
    check_retention(
        ws,
        rows,
        start="event:signup",
        back="event:buy",
        mode="on_or_after",
        interval="month",
        cohort="recurring",
        timezone="Europe/Berlin",
        breakdown="device_type",
        time=RANGE,
    )
    check_retention(ws, rows, start="event:buy", interval="day", periods=10)  # all time
    check_lifecycle(ws, rows, event="event:buy")  # all time
    check_lifecycle(
        ws,
        rows,
        event="event:signup",
        time=RANGE,
        interval="month",
        breakdown="device_type",
        timezone="America/New_York",
    )
    check_lifecycle(
        ws, rows, event="event:signup", time=RANGE, interval="week", timezone="Europe/Berlin"
    )


def test_person_and_account_breakdowns(duck_ws):
    ws = duck_ws
    profiles = [
        {"person_id": person("ann"), "email": "ann@acme.com", "account_id": "acme"},
        {"person_id": person("bob"), "account_id": "zeta"},
        {"person_id": person("fay"), "email": "fay@acme.com", "account_id": "acme"},
    ]
    accounts = [{"account_id": "acme", "industry": "Retail"}, {"account_id": "zeta"}]
    for name, schema, data in (("profiles", PROFILES, profiles), ("accounts", ACCOUNTS, accounts)):
        ws.engine.insert(
            name, ws.name, pa.Table.from_pylist(data, schema=schema.schema.to_pyarrow())
        )
    industry = {"ann": "Retail", "fay": "Retail"}
    email = {p["person_id"]: p.get("email") for p in profiles}
    rows = [
        r | {"_industry": industry.get(r["user_id"]), "_email": email.get(r["identity_key"])}
        for r in flatten(JOURNEYS)
    ]
    result = ws.retention(
        start="event:signup",
        back="event:buy",
        cohort="recurring",
        breakdown="account: industry",
        time=RANGE,
        periods=3,
    )
    expected, _ = ref_retention(
        rows,
        start_event="signup",
        back_event="buy",
        cohort="recurring",
        interval="week",
        periods=3,
        mode="on",
        tz=ZoneInfo("UTC"),
        start=datetime(2026, 3, 2),
        end=datetime(2026, 4, 6),
        breakdown="_industry",
    )
    assert result.table.to_pylist() == expected
    assert {r["breakdown"] for r in expected} == {"Retail", "(none)"}
    result = ws.lifecycle(
        event="event:signup", breakdown={"on": "person", "property": "email", "top": 2}, time=RANGE
    )
    expected = ref_lifecycle(
        rows,
        event="signup",
        interval="week",
        tz=ZoneInfo("UTC"),
        start=datetime(2026, 3, 2),
        end=datetime(2026, 4, 6),
        breakdown="_email",
        top=2,
    )
    assert result.table.to_pylist() == expected
    assert {r["breakdown"] for r in expected} == {"(none)", "ann@acme.com", "Other"}
    fay = result.people(period="2026-03-16", status="returning", breakdown="Other").to_pylist()
    assert [r["person_id"] for r in fay] == [person("fay")]


def test_filters_pick_qualifying_events_but_not_the_data_end(duck_ws):
    ws, rows = duck_ws, flatten(JOURNEYS)
    result = ws.retention(
        start="event:signup",
        periods=2,
        filters=["device_type = 'mobile'"],
        time=RANGE,
        cohort="recurring",
    )
    expected, _ = ref_retention(
        rows,
        start_event="signup",
        back_event="signup",
        cohort="recurring",
        interval="week",
        periods=2,
        mode="on",
        tz=ZoneInfo("UTC"),
        start=datetime(2026, 3, 2),
        end=datetime(2026, 4, 6),
        keep=lambda r: r.get("device_type") == "mobile",
    )
    assert result.table.to_pylist() == strip(expected, None)


# -- random journeys -----------------------------------------------------------------------------
BASE = datetime(2026, 2, 23)  # a Monday; the span holds both DST changes of March 2026
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
EVENT = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(0, 44),
    st.sampled_from([0, 1, 4, 22, 23]),
    st.sampled_from([0, 30]),
    st.sampled_from([None, "m", "d"]),
)
JOURNEY_SETS = st.dictionaries(
    st.sampled_from(["p", "q", "r", "s", "t", "u"]),
    st.lists(EVENT, min_size=1, max_size=8),
    min_size=1,
    max_size=6,
)


@st.composite
def time_ranges(draw):
    kind = draw(st.sampled_from(["none", "dates", "instants"]))
    if kind == "none":
        return None
    offset, length = draw(st.integers(-3, 35)), draw(st.integers(1, 30))
    lo = BASE + timedelta(days=offset)
    if kind == "dates":
        hi = lo + timedelta(days=length - 1)
        return {"start": lo.date().isoformat(), "end": hi.date().isoformat()}
    lo = (lo + timedelta(hours=draw(st.integers(0, 23)))).replace(tzinfo=UTC)
    return {"start": lo, "end": lo + timedelta(days=length, hours=draw(st.integers(0, 23)))}


SPECS = st.fixed_dictionaries(
    {
        "interval": st.sampled_from(["day", "week", "month"]),
        "timezone": st.sampled_from(ZONES),
        "cohort": st.sampled_from(["first_time", "recurring"]),
        "mode": st.sampled_from(["on", "on_or_after"]),
        "periods": st.integers(1, 4),
        "back": st.sampled_from(["event:a", "event:b"]),
        "breakdown": st.sampled_from([None, "device_type", {"property": "device_type", "top": 1}]),
        "time": time_ranges(),
    }
)


def as_journeys(drawn):
    return {
        name: [
            track(e, BASE + timedelta(days=d, hours=h, minutes=m), device=dev)
            for e, d, h, m, dev in events
        ]
        for name, events in drawn.items()
    }


_workspaces: dict = {}


def random_check(eng, journeys, spec):
    # One workspace per engine, its events replaced each time: creating one costs more.
    ws = _workspaces.get(id(eng)) or _workspaces.setdefault(
        id(eng), load(eng, f"hyp_{id(eng)}", {})
    )
    replace_events(ws, journeys)
    rows = flatten(journeys)
    spec = {k: v for k, v in spec.items() if v is not None}
    check_retention(ws, rows, start="event:a", **spec)
    life = {k: v for k, v in spec.items() if k in ("interval", "timezone", "breakdown", "time")}
    check_lifecycle(ws, rows, event="event:" + spec["back"][-1], **life)


@pytest.fixture(scope="module")
def duck(tmp_path_factory):
    eng = connect(f"duckdb:///{tmp_path_factory.mktemp('hyp') / 'hyp.duckdb'}")
    yield eng
    eng.close()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(journeys=JOURNEY_SETS, spec=SPECS)
def test_random_journeys_duckdb(duck, journeys, spec):
    random_check(duck, as_journeys(journeys), spec)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(journeys=JOURNEY_SETS, spec=SPECS)
def test_random_journeys_pyspark(spark_engine, journeys, spec):
    random_check(spark_engine, as_journeys(journeys), spec)


# -- specs, errors, CLI --------------------------------------------------------------------------
def test_clock_numbers_periods_like_the_calendar():
    clock = Clock("week", ZoneInfo("America/New_York"), datetime(2026, 1, 1), datetime(2026, 4, 1))
    p = clock.of_moment(datetime(2026, 3, 9, 3, 30))  # Sunday 8 March, 23:30 in New York
    assert clock.label(p) == date(2026, 3, 2) and clock.begins(p) == datetime(2026, 3, 2, 5)
    assert clock.begins(p + 1) == datetime(2026, 3, 9, 4)  # DST began on 8 March
    month = Clock("month", ZoneInfo("UTC"), datetime(2026, 1, 1), datetime(2026, 3, 15))
    assert month.label(month.of_day(date(2026, 2, 17))) == date(2026, 2, 1)
    assert month.complete(month.of_day(date(2026, 2, 1)))
    assert not month.complete(month.last) and month.observed(month.last)


def test_bad_specs_fail_before_running(duck_ws):
    ws = duck_ws
    with pytest.raises(ConfigError, match="cannot break down by event property"):
        ws.retention(start="event:signup", breakdown="colour")
    with pytest.raises(ConfigError, match="needs the event to be an event"):
        ws.lifecycle(event="closed_deal", breakdown="device_type")
    with pytest.raises(ConfigError, match="Input should be 'day', 'week' or 'month'"):
        ws.retention(start="event:signup", interval="fortnight")
    result = ws.retention(start="event:signup")
    with pytest.raises(ConfigError, match="no such period"):
        result.people(cohort="2026-03-02", period=99)


def test_nothing_in_range_is_an_empty_answer(duck_ws):
    ws = duck_ws
    result = ws.retention(start="event:signup", time={"start": "2030-01-01", "end": "2030-02-01"})
    assert result.table.num_rows == 0 and "No events" in result.answer
    result = ws.lifecycle(event="event:nothing", time=RANGE)
    assert all(r["people"] == 0 for r in result.table.to_pylist())
    assert "Nobody did event 'nothing'" in result.answer


def test_describe_and_chart(duck_ws):
    ws = duck_ws
    result = ws.retention(start="event:signup", back="event:buy", mode="on_or_after", time=RANGE)
    assert result.interpretation.startswith(
        "weekly retention of people who first did event 'signup' (first-time cohorts), coming "
        "back to do event 'buy' in or after week 0 to 8"
    )
    assert result.chart["data"][0]["type"] == "heatmap"
    assert result.tables["triangle"].column_names[:4] == [
        "cohort",
        "cohort_size",
        "week 0",
        "week 1",
    ]
    life = ws.lifecycle(event="event:signup", time=RANGE)
    assert life.chart["layout"]["barmode"] == "relative"
    assert [t["name"] for t in life.chart["data"]] == list(STATUSES)
    assert life.answer == (  # the latest complete week
        "In the week of 2026-03-23, 1 person did event 'signup': 0 new, 1 returning and 0 "
        "resurrecting; 1 went dormant (active the week before, not this one)."
    )


def test_cli_retention_and_lifecycle(tmp_path, capsys):
    import json

    import typer
    from typer.testing import CliRunner

    from wayfinder.cli import main as cli_main
    from wayfinder.cli.retention_cmd import register

    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    eng = connect(db)
    load(eng, "shop", JOURNEYS)
    eng.close()
    app = typer.Typer()
    app.callback()(cli_main._options)
    register(app)
    runner = CliRunner()
    out = runner.invoke(
        app,
        [
            "--db",
            db,
            "-w",
            "shop",
            "retention",
            "event:signup",
            "--back",
            "event:buy",
            "--since",
            "2026-03-02",
            "--until",
            "2026-04-05",
            "--periods",
            "4",
            "--mode",
            "on_or_after",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["spec"]["mode"] == "on_or_after" and data["spec"]["periods"] == 4
    assert data["rows"][0]["cohort_size"] == 3
    out = runner.invoke(
        app,
        [
            "--db",
            db,
            "-w",
            "shop",
            "lifecycle",
            "event:signup",
            "--by",
            "device_type",
            "--top",
            "1",
            "--tz",
            "Europe/Berlin",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "went dormant" in out.output


# -- the demo ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(demo_build):
    db, _, _ = demo_build
    ws = wayfinder.open(f"duckdb:///{db}", "shop")
    yield ws
    ws.close()


def test_demo_weekly_visitor_retention_decreases(demo):
    result = demo.retention(start="page:*", interval="week", periods=8)
    rates = [r["rate"] for r in result.tables["average"].to_pylist()]
    assert rates[0] == 1.0
    assert 0 < rates[8] < rates[4] < rates[1] < 0.5
    assert all(b <= a + 0.01 for a, b in itertools.pairwise(rates))


def test_demo_lifecycle_adds_up(demo):
    con = demo.engine.backend.con
    ns = demo.engine.namespace("shop")
    withdrawn = con.sql(
        f"select count(*) from {ns}.consents where lower(purpose) = 'analytics' and not granted"
    ).fetchone()[0]
    assert withdrawn == 0  # so the plain SQL below needs no consent rule
    per_week = con.sql(f"""
        with visits as (
            select coalesce(m.person_id, e.identity_key) as who,
                   date_trunc('week', e.timestamp)::date as week
            from {ns}.events e left join {ns}.identity_map m on e.identity_key = m.identifier
            where e.type = 'page'
        ), firsts as (select who, min(week) as week from visits group by who)
        select v.week, count(distinct v.who) as active,
               count(distinct case when f.week = v.week then v.who end) as new
        from visits v join firsts f using (who) group by v.week order by v.week
    """).fetchall()
    result = demo.lifecycle(event="page:*", interval="week")
    summary = result.tables["summary"].to_pylist()
    assert [(r["period"], r["active"], r["new"]) for r in summary] == per_week
    active = {r["period"]: r["active"] for r in summary}
    for r in summary[1:]:
        before = active[r["period"] - timedelta(weeks=1)]
        assert r["new"] + r["returning"] + r["resurrecting"] == r["active"]
        assert -r["dormant"] == before - r["returning"]
