"""Touchpoints on hand-written journeys, checked against a small pure-Python reference."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import datetime, timedelta

import ibis
import pyarrow as pa

from wayfinder.engines import connect
from wayfinder.model.channels import classify
from wayfinder.model.touchpoints import (
    TOUCH_COLUMNS,
    account_touchpoints,
    interaction_channel,
    materialize_touchpoints,
    path_key,
    touchpoints,
)
from wayfinder.store.schema import TABLES
from wayfinder.workspace import Workspace

T0 = datetime(2026, 3, 2, 9, 0)
SITE = "https://acme.example.com"
DAY = timedelta(days=1)


def at(days=0, minutes=0):
    return T0 + days * DAY + timedelta(minutes=minutes)


def page(who, when, path, *, ref=None, utm="", device=None, user=None, anon=None, kind="page"):
    """One event of ``who`` (their device id is ``a_<who>``); ``utm="src / medium / campaign"``."""
    source, medium, campaign = ([p.strip() or None for p in utm.split("/")] + [None] * 3)[:3]
    return {
        "who": who,
        "type": kind,
        "timestamp": when,
        "anonymous_id": anon or f"a_{who}",
        "user_id": user,
        "path": path if kind == "page" else None,
        "url": SITE + path if kind == "page" else None,
        "referrer": ref,
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "device_type": device,
        "event": "Order Completed" if kind == "track" else None,
    }


EVENTS = [
    # Ann (B2C): search, then a Facebook ad, then the newsletter click that sells.
    page("ann", at(0, 0), "/", ref="https://www.google.com/", device="desktop"),
    page("ann", at(0, 2), "/pricing"),
    {**page("ann", at(0, 3), "/", kind="identify", user="u_ann"), "email": "ann@shop.com"},
    page("ann", at(1), "/spring", utm="facebook / cpc / spring", device="mobile", user="u_ann"),
    page("ann", at(2), "/sale", utm="newsletter / email / may_news", user="u_ann"),
    page("ann", at(2, 5), None, kind="track", user="u_ann"),
    # A CRM sync's identify days later is no visit.
    page("ann", at(5), None, kind="identify", user="u_ann"),
    # Bob (Globex): reads Alice's post from LinkedIn, reloads it; next day a paid guide.
    page("bob", at(0, 60), "/blog/why-wayfinder/", ref="https://www.linkedin.com/", user="u_bob"),
    page("bob", at(0, 61), "/blog/why-wayfinder", user="u_bob", device="desktop"),
    page("bob", at(0, 63), "/pricing", user="u_bob"),
    page("bob", at(1, 60), "/resources/guide", utm="linkedin / paid_social / q1", user="u_bob"),
    # Dan: known by e-mail on the web; his e-mails carry no contact id.
    {**page("dan", at(0, 30), "/", user="u_dan"), "email": "dan@x.com"},
    # Eve: one visit, one touch.
    page("eve", at(3), "/"),
]

PEOPLE = [
    {"contact_id": "c_ann", "email": "ann@shop.com", "user_id": "u_ann"},
    {"contact_id": "c_bob", "email": "bob@globex.com", "user_id": "u_bob", "account_id": "globex"},
    {"contact_id": "c_cat", "email": "cat@globex.com", "account_id": "globex"},
]

CONTENT = [
    # Two versions of Alice's post: the newest (title, path) is the one that counts.
    {"content_id": "k_post", "title": "Draft", "author": "Alice Rep", "path": "/blog/draft",
     "loaded_at": T0 - 10 * DAY},
    {"content_id": "k_post", "title": "Why Wayfinder", "author": "Alice Rep",
     "path": "/blog/why-wayfinder", "loaded_at": T0 - DAY},
    {"content_id": "k_guide", "title": "The guide", "author": "Bea Writer",
     "url": SITE + "/resources/guide/", "loaded_at": T0 - DAY},
    {"content_id": "k_webinar", "title": "Spring webinar", "author": "Hal Host",
     "loaded_at": T0 - DAY},
]  # fmt: skip


def touch(iid, kind, when, **fields):
    return {"interaction_id": iid, "type": kind, "timestamp": when, **fields}


INTERACTIONS = [
    # Ann's newsletter click lands at the very instant her visit starts.
    touch("i_ann_click", "email_clicked", at(2), contact_id="c_ann", campaign="may_news"),
    # Cat (Globex): a call with the rep who wrote the post, a webinar registration.
    touch("i_cat_call", "call", at(0, 62), contact_id="c_cat", owner="Alice Rep", channel="phone"),
    touch("i_cat_web", "webinar_registered", at(1, -60), contact_id="c_cat",
          campaign="spring_webinar", content_id="k_webinar"),
    # Dan: matched by e-mail only (spelled as a CRM would), then by user id only.
    touch("i_dan_sent", "email_sent", at(0, 10), email=" Dan@X.com ", campaign="may_news"),
    touch("i_dan_open", "email_opened", at(0, 10), email="dan@x.com", campaign="may_news"),
    touch("i_dan_chat", "chat", at(0, 31), user_id="u_dan", owner="Sam Support"),
    # Nobody known: left out.
    touch("i_ghost", "call", at(0, 5), user_id="u_ghost", owner="Alice Rep"),
]  # fmt: skip


def event_rows(events):
    rows = []
    for n, e in enumerate(events):
        row = {k: v for k, v in e.items() if k != "who"}
        kind = "user_id" if row["user_id"] else "anonymous_id"
        row["identity_key"] = f"{kind}:{row[kind]}"
        row["message_id"] = f"m{n:02d}"
        rows.append(row)
    return rows


def load(ws, *, reverse=False):
    """Insert the journeys as Arrow tables (only the columns they use), then stitch."""
    tables = {
        "events": event_rows(EVENTS),
        "people": PEOPLE,
        "content": CONTENT,
        "interactions": INTERACTIONS,
    }
    for name, rows in tables.items():
        rows = rows[::-1] if reverse else rows
        columns = sorted({k for r in rows for k in r})
        schema = pa.schema([TABLES[name].schema.to_pyarrow().field(c) for c in columns])
        data = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows], schema=schema)
        ws.engine.insert(name, ws.name, data)
    ws.stitch()


# -- the reference ------------------------------------------------------------------------------

CHANNELS = {"email_clicked": "Email", "email_sent": "Email", "email_opened": "Email",
            "call": "Sales", "webinar_registered": "Events", "chat": "Chat"}  # fmt: skip


def _path(p):
    """Trimmed, without trailing slashes (the root stays ``/``)."""
    if p is None:
        return None
    p = p.strip()
    return (p.rstrip("/") or "/") if p else None


def _campaign(e):
    values = tuple((e.get(c) or "").strip().lower() or None for c in ("utm_source", "utm_medium"))
    values += ((e.get("utm_campaign") or "").strip().lower() or None,)
    return None if values == (None, None, None) else values


def reference(identity_map, timeout=timedelta(minutes=30)):
    """Touches built the obvious way from the hand-written rows and the stitched persons."""
    person = identity_map.get
    accounts = {person(f"contact_id:{p['contact_id']}"): p.get("account_id") for p in PEOPLE}
    newest = {}
    for c in sorted(CONTENT, key=lambda c: c["loaded_at"]):
        newest[c["content_id"]] = c
    by_path = {}
    for c in newest.values():
        url_path = re.sub(r"^https?://[^/]+", "", c["url"]) if c.get("url") else None
        if _path(c.get("path") or url_path):
            by_path[_path(c.get("path") or url_path)] = c

    touches = []
    visits = defaultdict(list)
    for e in event_rows(EVENTS):
        if e["type"] in ("page", "screen", "track"):
            visits[person(e["identity_key"])].append(e)
    for who, events in visits.items():
        events.sort(key=lambda e: (e["timestamp"], _campaign(e) is None, e["message_id"]))
        last, last_campaign, session, seen = None, None, None, set()
        for e in events:
            cut = last is None or e["timestamp"] - last > timeout
            if cut or (_campaign(e) and _campaign(e) != last_campaign):
                channel, source = classify(
                    e["utm_source"], e["utm_medium"], e["utm_campaign"], None, e["referrer"],
                    url=e["url"],
                )  # fmt: skip
                sid = hashlib.md5(f"{who}/{e['message_id']}".encode()).hexdigest()
                session = {
                    "touch_id": f"session:{sid}", "person_id": who, "timestamp": e["timestamp"],
                    "touch_type": "session", "channel": channel, "source_name": source,
                    "campaign": e["utm_campaign"], "landing_path": None, "session_id": sid,
                    "device_type": None,
                }  # fmt: skip
                touches.append(session)
                last_campaign = None
            session["landing_path"] = session["landing_path"] or e["path"]
            session["device_type"] = session["device_type"] or e["device_type"]
            last_campaign = _campaign(e) or last_campaign
            last = e["timestamp"]
            item = by_path.get(_path(e["path"])) if e["type"] == "page" else None
            if item and (session["session_id"], item["content_id"]) not in seen:
                seen.add((session["session_id"], item["content_id"]))
                touches.append(
                    {"touch_id": f"view:{e['message_id']}", "person_id": who,
                     "timestamp": e["timestamp"], "touch_type": "content_view",
                     "content_id": item["content_id"], "content_title": item["title"],
                     "author": item["author"], "session_id": session["session_id"],
                     "device_type": e["device_type"]}
                )  # fmt: skip
    for i in INTERACTIONS:
        who = (
            person(f"contact_id:{i.get('contact_id')}")
            or person(f"email:{(i.get('email') or '').strip().lower()}")
            or person(f"user_id:{i.get('user_id')}")
        )
        if who is None:
            continue
        item = newest.get(i.get("content_id"), {})
        touches.append(
            {"touch_id": f"interaction:{i['interaction_id']}", "person_id": who,
             "timestamp": i["timestamp"], "touch_type": i["type"], "channel": CHANNELS[i["type"]],
             "campaign": i.get("campaign"), "content_id": i.get("content_id"),
             "content_title": item.get("title"), "author": item.get("author"),
             "owner": i.get("owner")}
        )  # fmt: skip
    touches = [{c: t.get(c) for c in TOUCH_COLUMNS} for t in touches]
    touches.sort(key=lambda t: (t["person_id"], t["timestamp"], t["touch_id"]))
    counts = defaultdict(int)
    for t in touches:
        counts[t["person_id"]] += 1
        t["order_in_journey"] = counts[t["person_id"]]
        t["account_id"] = accounts.get(t["person_id"])
    return touches


def stitched(ws):
    rows = ws.engine.to_arrow(ws.table("identity_map")).to_pylist()
    return {r["identifier"]: r["person_id"] for r in rows}


def rows_of(ws, table, order=("person_id", "order_in_journey")):
    return ws.engine.to_arrow(table.order_by(list(order))).to_pylist()


# -- engine against reference -----------------------------------------------------------------


def test_touchpoints_match_reference(engine, workspace_name):
    ws = Workspace(engine, workspace_name)
    load(ws)
    table = materialize_touchpoints(ws)
    got = rows_of(ws, table)
    ids = stitched(ws)
    assert got == reference(ids)

    # Read as journeys, the same rows tell the stories they were written as.
    journey = defaultdict(list)
    for t in got:
        journey[t["person_id"]].append(t)
    ann = journey[ids["user_id:u_ann"]]
    assert [(t["touch_type"], t["channel"]) for t in ann] == [
        ("session", "Organic Search"),
        ("session", "Paid Social"),
        ("email_clicked", "Email"),  # same instant as the visit it opens, and before it
        ("session", "Email"),
    ]
    bob = journey[ids["contact_id:c_bob"]]
    assert [(t["touch_type"], t["content_id"], t["author"]) for t in bob] == [
        ("session", None, None),
        ("content_view", "k_post", "Alice Rep"),  # the reload is the same read
        ("session", None, None),
        ("content_view", "k_guide", "Bea Writer"),
    ]
    assert bob[1]["content_title"] == "Why Wayfinder"  # the newest version of the post
    assert bob[1]["session_id"] == bob[0]["session_id"]
    dan = journey[ids["email:dan@x.com"]]
    # Sent and opened at one instant: the touch id decides, the same way on every run.
    assert [t["touch_type"] for t in dan] == ["email_opened", "email_sent", "session", "chat"]
    assert [t["order_in_journey"] for t in journey[ids["anonymous_id:a_eve"]]] == [1]
    assert "interaction:i_ghost" not in {t["touch_id"] for t in got}

    # The account's stream interleaves its two contacts.
    accounts = rows_of(ws, account_touchpoints(ws, touches=table), ("order_in_account",))
    expected = sorted(
        (t for t in got if t["account_id"] == "globex"),
        key=lambda t: (t["timestamp"], t["touch_id"]),
    )
    assert [t["touch_id"] for t in accounts] == [t["touch_id"] for t in expected]
    assert [t["order_in_account"] for t in accounts] == list(range(1, len(expected) + 1))
    assert [(t["touch_type"], t["owner"] or t["author"]) for t in accounts][:3] == [
        ("session", None),
        ("content_view", "Alice Rep"),
        ("call", "Alice Rep"),
    ]


def test_order_does_not_depend_on_input_order(tmp_path):
    runs = []
    for reverse in (False, True):
        engine = connect(f"duckdb:///{tmp_path / f'wf{reverse}.duckdb'}")
        ws = Workspace(engine, "orders")
        load(ws, reverse=reverse)
        runs.append(
            (
                rows_of(ws, touchpoints(ws)),
                rows_of(ws, account_touchpoints(ws), ("order_in_account",)),
            )
        )
        engine.close()
    assert runs[0] == runs[1]


def test_a_shorter_timeout_makes_more_visits(tmp_path):
    engine = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
    ws = Workspace(engine, "timeouts")
    load(ws)
    got = rows_of(ws, touchpoints(ws, timeout_minutes=1))
    assert got == reference(stitched(ws), timeout=timedelta(minutes=1))
    visits = [t for t in got if t["touch_type"] == "session"]
    assert len(visits) > sum(t["touch_type"] == "session" for t in reference(stitched(ws)))
    engine.close()


# -- the small pieces ---------------------------------------------------------------------------


def test_interaction_channels():
    rows = [
        ("email_clicked", None, "Email"),
        (" Meeting ", "video", "Sales"),
        ("webinar_attended", "event", "Events"),
        ("chat", None, "Chat"),
        ("support_ticket", "support", "Support"),
        ("note", "phone", "Sales"),  # the type says nothing: the CRM's channel does
        ("visit", "In-Person", "Sales"),
        ("note", None, "Unassigned"),
        (None, "email", "Email"),
    ]
    t = ibis.memtable({"type": [r[0] for r in rows], "channel": [r[1] for r in rows]})
    expr = t.select(got=interaction_channel(t.type, t.channel))
    assert ibis.duckdb.connect().to_pyarrow(expr).column("got").to_pylist() == [r[2] for r in rows]


def test_path_key():
    paths = ["/blog/post/", " /blog/post", "/", "//", "", None, "/Blog/Post", "/a//"]
    t = ibis.memtable({"p": pa.array(paths, pa.string())})
    got = ibis.duckdb.connect().to_pyarrow(t.select(k=path_key(t.p))).column("k").to_pylist()
    assert got == ["/blog/post", "/blog/post", "/", "/", None, None, "/Blog/Post", "/a"]
    assert [_path(p) for p in paths] == got
