"""Sessions on hand-written journeys, checked against a small pure-Python reference."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime, timedelta

import ibis
import pyarrow as pa
import pytest

from wayfinder.model.channels import classify
from wayfinder.model.sessions import PAGE_TYPES, sessionize, sessions
from wayfinder.store.schema import EVENTS

T0 = datetime(2026, 3, 2, 9, 0)
SITE = "https://shop.example.com"


def ev(
    minute, path="/", *, utm="", click="", ref=None, sid=None, mid=None, kind="page", device=None
):
    """One event: ``utm="google / cpc / spring"``, ``click="gclid:abc"``, ``sid`` a tracker id."""
    source, medium, campaign = ([p.strip() for p in utm.split(" / ")] + [None] * 3)[:3]
    click_type, _, click_id = click.partition(":")
    return {
        "minute": minute,
        "message_id": mid,
        "type": kind,
        "path": path if kind == "page" else None,
        "url": SITE + path if kind == "page" else None,
        "referrer": ref,
        "utm_source": source or None,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "click_id_type": click_type or None,
        "click_id": click_id or None,
        "properties": json.dumps({"session_id": sid} if sid else {}),
        "device_type": device,
    }


# name: (journey in input order, expected session number of each event in that order)
JOURNEYS = {
    "29-minute gap stays one session": ([ev(0), ev(29, "/pricing")], [1, 1]),
    "31-minute gap starts a new one": ([ev(0), ev(31, "/pricing")], [1, 2]),
    "exactly the timeout stays": ([ev(0), ev(30, "/pricing")], [1, 1]),
    "inactivity counts from the last event": ([ev(0), ev(25), ev(50), ev(75)], [1, 1, 1, 1]),
    "campaign change splits": (
        [
            ev(0, utm="google / cpc / spring"),
            ev(5, "/pricing"),
            ev(10, utm="newsletter / email / may"),
        ],  # fmt: skip
        [1, 1, 2],
    ),
    "same campaign again stays": (
        [
            ev(0, utm="google / cpc / spring"),
            ev(5, "/pricing"),
            ev(10, utm="Google / CPC / spring "),
        ],  # fmt: skip
        [1, 1, 1],
    ),
    "tags after an untagged start split": (
        [ev(0, ref="https://www.google.com/"), ev(5, utm="newsletter / email")],
        [1, 2],
    ),
    "a new ad click splits": ([ev(0, click="gclid:abc"), ev(5, click="gclid:def")], [1, 2]),
    "tracker session id change splits": (
        [ev(0, sid="s1"), ev(1, "/a"), ev(2, "/b", sid="s1"), ev(3, "/c", sid="s2")],
        [1, 1, 1, 2],
    ),
    "same timestamp: tagged first, then message id": (
        [
            ev(0, "/b", mid="x2", device="mobile"),
            ev(0, "/a", mid="x1"),
            ev(0, "/land", utm="google / cpc", mid="x3", kind="track"),
        ],
        [1, 1, 1],
    ),  # fmt: skip
    "one event": ([ev(0)], [1]),
    "events out of order in input": (
        [ev(40, "/c"), ev(0, "/a", utm="google / organic"), ev(5, "/b", kind="track")],
        [2, 1, 1],
    ),
    "channel from the first event": (
        [ev(0, ref="https://www.google.com/"), ev(3, "/p", ref="https://news.example.org/")],
        [1, 1],
    ),
    "self-referral after a timeout is direct": (
        [ev(0, ref="https://t.co/x"), ev(45, "/p", ref=SITE + "/"), ev(46, "/q", device="desktop")],
        [1, 2, 2],
    ),
}


def journeys(named: dict[str, tuple[list[dict], list[int]]]) -> list[dict]:
    """Events rows, one person per journey; message ids keep the input order unless given."""
    rows = []
    for n, (name, (events, _)) in enumerate(named.items()):
        for i, e in enumerate(events):
            row = {k: v for k, v in e.items() if k != "minute"}
            row["identity_key"] = f"anonymous_id:p{n}"
            row["message_id"] = row["message_id"] or f"p{n}-{i:02d}"
            row["timestamp"] = T0 + timedelta(minutes=e["minute"])
            row["journey"] = name
            rows.append(row)
    return rows


def as_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=EVENTS.schema.to_pyarrow())


# -- the reference ------------------------------------------------------------------------------


def _clean(value):
    return (value or "").strip() or None


def _campaign(row):
    values = [_clean(row.get(c)) for c in ("utm_source", "utm_medium", "utm_campaign")]
    values = [v and v.lower() for v in values] + [_clean(row.get("click_id"))]
    return None if values == [None] * 4 else tuple(values)


def _tracker(row):
    props = json.loads(row.get("properties") or "{}")
    return props.get("session_id") or props.get("sessionId")


def reference(rows, timeout_minutes=30, trackers=True):
    """Sessionize plain dicts the obvious way: message_id -> the session columns."""
    people = defaultdict(list)
    for row in rows:
        people[row["identity_key"]].append(row)
    result = {}
    for person, events in people.items():
        events.sort(key=lambda r: (r["timestamp"], _campaign(r) is None, r["message_id"]))
        number, last_ts, last_tracker, last_campaign, current = 0, None, None, None, {}
        for row in events:
            campaign, tracker = _campaign(row), _tracker(row) if trackers else None
            cut = (
                last_ts is None
                or row["timestamp"] - last_ts > timedelta(minutes=timeout_minutes)
                or (tracker and last_tracker and tracker != last_tracker)
            )
            if cut:
                last_campaign = None
            if cut or (campaign is not None and campaign != last_campaign):
                number += 1
                channel, name = classify(
                    *(row.get(c) for c in ("utm_source", "utm_medium", "utm_campaign")),
                    row.get("click_id_type"),
                    row.get("referrer"),
                    url=row.get("url"),
                )
                current = {
                    "session_id": hashlib.md5(f"{person}/{row['message_id']}".encode()).hexdigest(),
                    "session_number": number,
                    "session_start": row["timestamp"],
                    "session_channel": channel,
                    "session_source_name": name,
                    "session_campaign": _clean(row.get("utm_campaign")),
                }
            last_campaign = campaign or last_campaign
            last_tracker = tracker or last_tracker
            last_ts = row["timestamp"]
            result[row["message_id"]] = current
    return result


@pytest.mark.parametrize("name", list(JOURNEYS))
def test_reference_on_journeys(name):
    rows = journeys({name: JOURNEYS[name]})
    got = reference(rows)
    assert [got[r["message_id"]]["session_number"] for r in rows] == JOURNEYS[name][1]


def test_reference_session_details():
    rows = journeys(JOURNEYS)
    got = reference(rows)
    first = {r["journey"]: got[r["message_id"]] for r in reversed(rows)}
    assert first["channel from the first event"]["session_channel"] == "Organic Search"
    assert first["campaign change splits"]["session_campaign"] == "spring"
    tie = [got[r["message_id"]] for r in rows if r["journey"].startswith("same timestamp")]
    assert {s["session_channel"] for s in tie} == {"Paid Search"}
    selfref = [got[r["message_id"]] for r in rows if r["journey"].startswith("self-referral")]
    assert [s["session_channel"] for s in selfref] == ["Organic Social", "Direct", "Direct"]


# -- the engine agrees with the reference -------------------------------------------------------

COLUMNS = ["session_id", "session_number", "session_start", "session_channel"]
COLUMNS += ["session_source_name", "session_campaign"]


@pytest.mark.parametrize("timeout, session_key", [(30, "json"), (10, None)])
def test_engine_matches_reference(engine, timeout, session_key):
    rows = journeys(JOURNEYS)
    table = ibis.memtable(as_table(rows))
    query = sessionize(table, timeout_minutes=timeout, session_key=session_key)
    out = engine.to_arrow(query).to_pylist()
    assert len(out) == len(rows)
    expected = reference(rows, timeout, trackers=session_key is not None)
    for got in out:
        assert {c: got[c] for c in COLUMNS} == expected[got["message_id"]], got["message_id"]
    numbers = {r["message_id"]: r["session_number"] for r in out}
    tracked = [numbers[r["message_id"]] for r in rows if r["journey"].startswith("tracker")]
    assert tracked == ([1, 1, 1, 2] if session_key else [1, 1, 1, 1])
    if timeout == 10:  # 25-minute gaps now split
        gaps = [numbers[r["message_id"]] for r in rows if r["journey"].startswith("inactivity")]
        assert gaps == [1, 2, 3, 4]


def test_session_id_from_a_column():
    rows = journeys({"ids": ([ev(0), ev(1, "/a"), ev(2, "/b")], [])})
    for row, sid in zip(rows, ["s1", None, "s2"], strict=True):
        row["anonymous_id"] = sid  # any column will do; this one is a string
    out = sessionize(ibis.memtable(as_table(rows)), session_key="anonymous_id")
    got = ibis.duckdb.connect().to_pyarrow(out.order_by("timestamp"))
    assert got.column("session_number").to_pylist() == [1, 1, 2]


def test_sessions_table(engine):
    rows = journeys(JOURNEYS)
    events = ibis.memtable(as_table(rows))
    got = {r["session_id"]: r for r in engine.to_arrow(sessions(events)).to_pylist()}

    per_event = reference(rows)
    expected = {}
    ordered = sorted(rows, key=lambda r: (r["timestamp"], _campaign(r) is None, r["message_id"]))
    for row in ordered:
        s = per_event[row["message_id"]]
        e = expected.setdefault(
            s["session_id"],
            {"identity_key": row["identity_key"], "session_number": s["session_number"],
             "start": row["timestamp"], "events": 0, "pageviews": 0,
             "channel": s["session_channel"], "source_name": s["session_source_name"],
             "campaign": s["session_campaign"], "landing_path": None, "device_type": None},
        )  # fmt: skip
        e["end"] = row["timestamp"]
        e["events"] += 1
        e["pageviews"] += row["type"] in PAGE_TYPES
        e["landing_path"] = e["landing_path"] or row["path"]
        e["device_type"] = e["device_type"] or row["device_type"]
    assert got.keys() == expected.keys()
    for session_id, e in expected.items():
        assert {k: got[session_id][k] for k in e} == e, session_id
    tie_person = next(r["identity_key"] for r in rows if r["journey"].startswith("same timestamp"))
    (tie,) = [s for s in got.values() if s["identity_key"] == tie_person]
    assert (tie["landing_path"], tie["device_type"], tie["pageviews"]) == ("/a", "mobile", 2)
