"""The collection API with the official tracking clients: segment-analytics-python and
rudder-sdk-python send to a real server, and every call must arrive once, as sent.

One module-wide run sends everything (both clients, gzip on and off, batched and sync, a lost
response the client retries, a resent batch, bad events among good ones, a skewed device clock),
then the events and quarantine tables are read from the database file and each test checks them.
"""

from __future__ import annotations

import gzip
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest
import rudderstack.analytics as rudder_analytics
from rudderstack.analytics import Client as RudderClient
from segment.analytics import Client as SegmentClient

import wayfinder
from server_helpers import ServedDatabase

WORKSPACE = "shop"
CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
#: The client variants that each send the six call types: (client, gzip, how it delivers).
VARIANTS = (
    ("segment", True, "flush"),
    ("segment", False, "flush"),
    ("segment", True, "sync"),
    ("segment", False, "sync"),
    ("rudder", True, "flush"),
    ("rudder", False, "sync"),
)


def variant_id(variant: tuple[str, bool, str]) -> str:
    client, compressed, mode = variant
    return f"{client}-{'gzip' if compressed else 'plain'}-{mode}"


# -- reading what the server stored --------------------------------------------------------------
@dataclass
class Stored:
    """The events and quarantine rows of the workspace once everything sent was loaded."""

    events: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]

    def copies(self, message_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["message_id"] == message_id]

    def one(self, message_id: str) -> dict[str, Any]:
        found = self.copies(message_id)
        assert len(found) == 1, f"{message_id} stored {len(found)} times"
        return found[0]

    def quarantined(self, message_id: str) -> list[dict[str, Any]]:
        return [q for q in self.quarantine if _raw_message_id(q["raw"]) == message_id]


def _raw_message_id(raw: str) -> str | None:
    try:
        call = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return call.get("messageId") if type(call) is dict else None


def read_stored(served: ServedDatabase, workspace: str) -> Stored:
    """Stop the server (it loads what is journaled first) and read its database file."""
    served.stop()
    ws = wayfinder.open(served.db, workspace)
    try:
        engine = ws.engine
        events = engine.to_arrow(engine.table("events", workspace)).to_pylist()
        quarantine = engine.to_arrow(engine.table("quarantine", workspace)).to_pylist()
    finally:
        ws.close()
    return Stored(events, quarantine)


# -- a proxy that loses the server's first answers -----------------------------------------------
class LosingProxy:
    """Forwards posts to the server but answers the first ``lose`` of them 503, as if the
    server's 200 were lost on the way back: the events are in, yet the client must retry."""

    def __init__(self, upstream: str, lose: int) -> None:
        self.upstream = upstream
        self.lose = lose
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                forwarded = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "content-encoding", "authorization")
                }
                answer = httpx.post(
                    proxy.upstream + self.path, content=body, headers=forwarded, timeout=30
                )
                plain = gzip.decompress(body) if self.headers.get("Content-Encoding") else body
                with proxy._lock:
                    proxy.bodies.append(orjson.loads(plain))
                    proxy.statuses.append(answer.status_code)
                    lost = proxy.lose > 0
                    proxy.lose -= lost
                status, content = (503, b"lost") if lost else (answer.status_code, answer.content)
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LosingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- sending ------------------------------------------------------------------------------------
@dataclass
class Sent:
    """What the module-wide run sent, by purpose, and the window in which it was received."""

    calls: dict[str, dict[str, str]] = field(default_factory=dict)  # variant -> type -> id
    errors: list[str] = field(default_factory=list)
    retried: dict[str, LosingProxy] = field(default_factory=dict)  # client -> proxy
    retried_ids: dict[str, list[str]] = field(default_factory=dict)
    resent_ids: list[str] = field(default_factory=list)
    skewed: dict[str, str] = field(default_factory=dict)
    good_mates: list[str] = field(default_factory=list)
    bad: dict[str, str] = field(default_factory=dict)  # reason -> messageId
    short_routes: dict[str, str] = field(default_factory=dict)  # route -> messageId
    started: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    finished: datetime | None = None
    left_in_journal: list[str] = field(default_factory=list)


def six_calls(client: Any, prefix: str) -> dict[str, str]:
    """The six call types through a client's own methods; their messageIds by type."""
    ids = {kind: f"{prefix}-{kind}-{uuid.uuid4().hex[:8]}" for kind in CALL_TYPES}
    user, anon = f"{prefix}-user", f"{prefix}-anon"
    client.identify(
        user,
        traits={"plan": "pro", "name": "Ann"},
        context={"traits": {"email": "Ann@Example.COM", "plan": "free"}},
        anonymous_id=anon,
        message_id=ids["identify"],
    )
    client.track(
        user,
        "Order Completed",
        properties={"revenue": 42.5, "currency": "EUR"},
        message_id=ids["track"],
    )
    client.page(
        user,
        name="Pricing",
        properties={"url": "https://shop.example/pricing?utm_source=news"},
        message_id=ids["page"],
    )
    client.screen(user, name="Basket", message_id=ids["screen"])
    client.group(user, "acme", traits={"industry": "retail"}, message_id=ids["group"])
    client.alias(anon, user, message_id=ids["alias"])
    return ids


#: The official clients by name; both take the same options.
CLIENTS = {"segment": SegmentClient, "rudder": RudderClient}


def official_client(
    name: str, host: str, key: str, compressed: bool, mode: str, sent: Sent
) -> SegmentClient | RudderClient:
    return CLIENTS[name](
        key,
        host=host,
        gzip=compressed,
        sync_mode=mode == "sync",
        upload_interval=0.05,
        max_retries=5,
        on_error=lambda error, batch: sent.errors.append(f"{name}: {error}"),
    )


def send_with_clients(served: ServedDatabase, key: str, sent: Sent) -> None:
    for variant in VARIANTS:
        client_name, compressed, mode = variant
        name = variant_id(variant)
        if client_name == "rudder" and mode == "flush":
            # The module-level API, configured as RudderStack documents it.
            rudder_analytics.write_key = key
            rudder_analytics.dataPlaneUrl = served.url
            rudder_analytics.gzip = compressed
            rudder_analytics.on_error = lambda error, batch: sent.errors.append(f"rudder: {error}")
            try:
                sent.calls[name] = six_calls(rudder_analytics, name)
                rudder_analytics.shutdown()
            finally:
                rudder_analytics.default_client = None
            continue
        client = official_client(client_name, served.url, key, compressed, mode, sent)
        sent.calls[name] = six_calls(client, name)
        if mode == "flush":
            client.shutdown()


def send_through_losing_proxy(served: ServedDatabase, key: str, sent: Sent) -> None:
    """Each client's first post reaches the server but its answer is lost: it must retry."""
    for client_name in CLIENTS:
        with LosingProxy(served.url, lose=1) as proxy:
            client = official_client(client_name, proxy.url, key, True, "flush", sent)
            ids = [f"retry-{client_name}-{i}" for i in range(5)]
            for message_id in ids:
                client.track(f"retry-{client_name}-user", "Signed Up", message_id=message_id)
            client.shutdown()
        sent.retried[client_name] = proxy
        sent.retried_ids[client_name] = ids


def post_batch(served: ServedDatabase, key: str, batch: list[Any], **envelope: Any) -> None:
    answer = httpx.post(
        served.url + "/v1/batch", json={"batch": batch, **envelope}, auth=(key, ""), timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"success": True}


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def send_by_hand(served: ServedDatabase, key: str, sent: Sent) -> None:
    now = datetime.now(UTC)
    # A retry as clients do it: the same calls and messageIds, a later sentAt.
    resent = [
        {
            "type": "track",
            "event": "Viewed",
            "userId": "resend",
            "messageId": f"resent-{i}",
            "timestamp": iso(now - timedelta(seconds=i)),
        }
        for i in range(3)
    ]
    post_batch(served, key, resent, sentAt=iso(now))
    post_batch(served, key, resent, sentAt=iso(now + timedelta(seconds=7)))
    sent.resent_ids = [c["messageId"] for c in resent]

    # A device whose clock is an hour slow: its times are corrected by the server's clock.
    slow = now - timedelta(hours=1)
    sent.skewed = {"slow_clock": "skew-slow-clock", "hour_before_send": "skew-hour-before"}
    post_batch(
        served,
        key,
        [
            {
                "type": "track",
                "event": "Tapped",
                "anonymousId": "skewed",
                "messageId": sent.skewed["slow_clock"],
                "timestamp": iso(slow - timedelta(seconds=30)),
            },
            {
                "type": "track",
                "event": "Tapped",
                "anonymousId": "skewed",
                "messageId": sent.skewed["hour_before_send"],
                "timestamp": iso(now - timedelta(hours=1)),
                "sentAt": iso(now),
            },
        ],
        sentAt=iso(slow),
    )

    # Bad events among good ones: the good are stored, the bad quarantined, the answer is 200.
    sent.good_mates = ["mate-before", "mate-after"]
    sent.bad = {
        "missing_identity": "bad-no-identity",
        "event_too_large": "bad-too-large",
        "missing_event_name": "bad-no-event",
    }
    post_batch(
        served,
        key,
        [
            {"type": "track", "event": "Added", "userId": "mate", "messageId": "mate-before"},
            {"type": "track", "event": "Added", "messageId": sent.bad["missing_identity"]},
            {
                "type": "track",
                "event": "Added",
                "userId": "mate",
                "messageId": sent.bad["event_too_large"],
                "properties": {"blob": "x" * 40_000},
            },
            {"type": "track", "userId": "mate", "messageId": sent.bad["missing_event_name"]},
            "not an object",
            {"type": "track", "event": "Added", "userId": "mate", "messageId": "mate-after"},
        ],
    )

    # One call per request on the short routes, the key in the body as some libraries send it.
    calls = {
        "i": {"userId": "short", "traits": {"plan": "pro"}},
        "t": {"userId": "short", "event": "Searched"},
        "p": {"userId": "short", "name": "Home"},
        "s": {"userId": "short", "name": "Cart"},
        "g": {"userId": "short", "groupId": "acme"},
        "a": {"userId": "short", "previousId": "short-anon"},
        "track": {"anonymousId": "short-anon", "event": "Searched"},
    }
    for route, call in calls.items():
        message_id = f"short-{route}"
        answer = httpx.post(
            f"{served.url}/v1/{route}",
            content=orjson.dumps({**call, "messageId": message_id, "writeKey": key}),
            headers={"Content-Type": "text/plain"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        sent.short_routes[route] = message_id


# -- the module-wide run ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sent, Stored]:
    served = ServedDatabase(tmp_path_factory.mktemp("collect") / "wayfinder.duckdb")
    key = served.key("write_key", WORKSPACE)
    served.start()
    try:
        sent = Sent()
        send_with_clients(served, key, sent)
        send_through_losing_proxy(served, key, sent)
        send_by_hand(served, key, sent)
        sent.finished = datetime.now(UTC).replace(tzinfo=None)
        stored = read_stored(served, WORKSPACE)
        journal = served.db.with_name(served.db.name + ".server") / "journal"
        sent.left_in_journal = sorted(p.name for p in journal.rglob("*") if p.is_file())
    finally:
        served.stop()
    return sent, stored


def test_the_clients_reported_no_error(run: tuple[Sent, Stored]) -> None:
    sent, _ = run
    assert sent.errors == []


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_call_type_arrives_once(run: tuple[Sent, Stored], variant: tuple) -> None:
    sent, stored = run
    ids = sent.calls[variant_id(variant)]
    assert set(ids) == set(CALL_TYPES)
    for kind, message_id in ids.items():
        assert stored.one(message_id)["type"] == kind
        assert stored.quarantined(message_id) == []


def test_every_event_is_stored_once(run: tuple[Sent, Stored]) -> None:
    _, stored = run
    counts = Counter(e["message_id"] for e in stored.events)
    assert [m for m, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_what_each_call_carries_is_kept(run: tuple[Sent, Stored], variant: tuple) -> None:
    sent, stored = run
    name = variant_id(variant)
    ids = sent.calls[name]
    identify = stored.one(ids["identify"])
    if variant[0] == "segment":
        # Sent in both places: top-level traits win over context.traits, and both are kept.
        traits = {"plan": "pro", "name": "Ann", "email": "Ann@Example.COM"}
        email = "ann@example.com"
    else:
        # rudder-sdk-python sends identify traits as context.traits only, replacing the
        # context.traits it was given: those are what must be kept.
        traits, email = {"plan": "pro", "name": "Ann"}, None
        assert orjson.loads(identify["context"])["traits"] == traits
    assert orjson.loads(identify["traits"]) == traits
    assert identify["email"] == email
    assert identify["user_id"] == f"{name}-user"
    assert identify["anonymous_id"] == f"{name}-anon"
    track = stored.one(ids["track"])
    assert (track["event"], track["revenue"], track["currency"]) == ("Order Completed", 42.5, "EUR")
    page = stored.one(ids["page"])
    assert (page["name"], page["path"], page["utm_source"]) == ("Pricing", "/pricing", "news")
    assert stored.one(ids["screen"])["name"] == "Basket"
    group = stored.one(ids["group"])
    assert group["group_id"] == "acme"
    assert orjson.loads(group["traits"]) == {"industry": "retail"}
    alias = stored.one(ids["alias"])
    assert (alias["previous_id"], alias["user_id"]) == (f"{name}-anon", f"{name}-user")
    library = orjson.loads(track["context"])["library"]["name"]
    assert library == "analytics-python"


def test_received_at_is_the_servers_arrival_time(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    assert sent.finished is not None
    slack = timedelta(seconds=2)
    for event in stored.events:
        assert sent.started - slack <= event["received_at"] <= sent.finished + slack


def test_device_clock_skew_is_corrected_from_sent_at(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    slow = stored.one(sent.skewed["slow_clock"])
    # Sent 30 s after it happened by a clock an hour slow: stored 30 s before it arrived.
    assert slow["original_timestamp"] == slow["sent_at"] - timedelta(seconds=30)
    assert slow["timestamp"] == slow["received_at"] - timedelta(seconds=30)
    assert slow["received_at"] - slow["sent_at"] > timedelta(minutes=59)
    # Its timestamp an hour before its sentAt: stored an hour before it arrived.
    early = stored.one(sent.skewed["hour_before_send"])
    assert early["sent_at"] - early["original_timestamp"] == timedelta(hours=1)
    assert early["timestamp"] == early["received_at"] - timedelta(hours=1)
    # Events sent by the clients on this machine's clock stay within moments of their time.
    for ids in sent.calls.values():
        event = stored.one(ids["track"])
        assert abs(event["timestamp"] - event["original_timestamp"]) < timedelta(seconds=5)


def test_a_batch_sent_again_is_stored_once(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    for message_id in sent.resent_ids:
        stored.one(message_id)
        assert stored.quarantined(message_id) == []


@pytest.mark.parametrize("client", ["segment", "rudder"])
def test_a_client_retry_after_a_lost_answer_is_stored_once(
    run: tuple[Sent, Stored], client: str
) -> None:
    sent, stored = run
    proxy = sent.retried[client]
    ids = sent.retried_ids[client]
    # The server took every post, the first one included (its answer lost on the way back)...
    assert set(proxy.statuses) == {200}
    posted = [[call["messageId"] for call in body["batch"]] for body in proxy.bodies]
    assert {m for batch in posted for m in batch} == set(ids)
    # ... and the client posted that first batch again, the same messageIds with a new sentAt.
    lost, retries = posted[0], [m for batch in posted[1:] for m in batch]
    assert lost and set(lost) <= set(retries)
    assert proxy.bodies[0]["sentAt"] != proxy.bodies[1]["sentAt"]
    for message_id in ids:
        stored.one(message_id)
        assert stored.quarantined(message_id) == []


def test_a_bad_event_is_quarantined_and_its_batch_mates_stored(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    for message_id in sent.good_mates:
        assert stored.one(message_id)["event"] == "Added"
    for reason, message_id in sent.bad.items():
        assert stored.copies(message_id) == []
        assert [q["reason"] for q in stored.quarantined(message_id)] == [reason]
    not_objects = [q for q in stored.quarantine if q["reason"] == "not_an_object"]
    assert [q["raw"] for q in not_objects] == ['"not an object"']
    reasons = Counter(q["reason"] for q in stored.quarantine)
    assert reasons == Counter([*sent.bad, "not_an_object"])


def test_the_short_routes_take_one_call_each(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    expected = {"i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group"}
    expected |= {"a": "alias", "track": "track"}
    for route, message_id in sent.short_routes.items():
        event = stored.one(message_id)
        assert event["type"] == expected[route]
        assert "writeKey" not in (event["context"] or "")


def test_nothing_else_was_stored(run: tuple[Sent, Stored]) -> None:
    sent, stored = run
    expected = {m for ids in sent.calls.values() for m in ids.values()}
    expected |= {m for ids in sent.retried_ids.values() for m in ids}
    expected |= {*sent.resent_ids, *sent.skewed.values(), *sent.good_mates}
    expected |= set(sent.short_routes.values())
    assert {e["message_id"] for e in stored.events} == expected


def test_the_journal_is_empty_once_loaded(run: tuple[Sent, Stored]) -> None:
    # Loaded segments are deleted: none was set aside as unloadable, none waits to load again.
    sent, _ = run
    assert sent.left_in_journal == []
