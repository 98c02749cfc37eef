"""Requests the collection API must refuse, each with its documented status, and with nothing
already acknowledged lost: a good batch is acknowledged right before every refusal.

Statuses: 401 no or wrong key, 400 unreadable body, 413 too large (body, decompressed body or
event count), 415 not JSON or an unknown encoding, 429 with Retry-After while the backlog is full;
an event over 32 KB is acknowledged (200) and quarantined, since clients drop a batch on any 4xx.
Each refusal comes while the batch before it still waits in the journal. A loading round costs
seconds (identity stitching), so few tests wait for one: the database is read after the
refusals, and again after the 429s, and must hold every acknowledged messageId once and nothing
of a refused request.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from rudderstack.analytics import Client as RudderClient
from rudderstack.analytics.request import APIError as RudderAPIError
from segment.analytics import Client as SegmentClient
from segment.analytics.request import APIError as SegmentAPIError

import wayfinder
from server_helpers import ServedDatabase
from wayfinder.server.collect import BATCH_ROUTES, CALL_ROUTES
from wayfinder.server.config import home_for
from wayfinder.server.keys import Keyring

WORKSPACE = "shop"
LIMIT = 4 * 1024 * 1024
#: A refused bomb is answered at once; generous, as a loading round may share the process's CPU.
ANSWERED_QUICKLY = 5.0
_numbers = itertools.count()


@dataclass
class Site:
    """A served database, its keys, and every messageId it acknowledged so far."""

    served: ServedDatabase
    write_key: str
    token: str
    acknowledged: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)

    def post(
        self,
        body: bytes | Iterator[bytes],
        *,
        route: str = "batch",
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        auth = None if key is None else {"Authorization": basic(key)}
        return httpx.post(
            f"{self.served.url}/v1/{route}",
            content=body,
            headers={"Content-Type": "application/json", **(auth or {}), **(headers or {})},
            timeout=30,
        )

    def send_good(self, n: int = 3) -> None:
        """A good batch, acknowledged: from now on it must be stored, once."""
        batch = calls(n, "good")
        answer = self.post(orjson.dumps({"batch": batch}), key=self.write_key)
        assert answer.status_code == 200, answer.text
        self.acknowledged += [c["messageId"] for c in batch]

    def status(self) -> dict[str, Any]:
        return self.served.drain(self.token, WORKSPACE)

    def assert_nothing_lost(self) -> None:
        """Every acknowledged event is in the events table, nothing else (all are distinct)."""
        assert self.status()["tables"]["events"] == len(self.acknowledged)

    def assert_stored_once(self) -> None:
        """The same, by messageId, read from the database file: the server is left stopped."""
        self.assert_nothing_lost()
        events = read_events(self.served, WORKSPACE)
        counts = Counter(e["message_id"] for e in events)
        assert sorted(counts) == sorted(self.acknowledged)
        assert set(counts.values()) == {1}
        assert self.set_aside() == []

    def set_aside(self) -> list[str]:
        """Journal segments the loader could not read: kept on disk, never loaded."""
        journal = home_for(self.served.db) / "journal"
        return sorted(p.name for p in journal.rglob("*.failed"))

    def quarantine(self, reason: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            self.served.url + "/api/quarantine",
            params={"workspace": WORKSPACE, "reason": reason, "limit": 1000},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["rows"]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def calls(n: int, label: str, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": "track",
            "event": "Viewed",
            "userId": f"{label}-user",
            "messageId": f"{label}-{next(_numbers)}",
            **extra,
        }
        for _ in range(n)
    ]


def refused_batch(n: int = 2) -> bytes:
    """A good batch in a request that is refused: none of it may be stored."""
    return orjson.dumps({"batch": calls(n, "refused")})


def assert_refused(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["success"] is False
    assert body["error"]["what"]
    # Tracking clients read Segment's code and message; browsers need CORS to see the status.
    assert body["code"] and body["message"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    return body


def read_events(served: ServedDatabase, workspace: str) -> list[dict[str, Any]]:
    """The events table, read from the database file with the server stopped."""
    served.stop()
    ws = wayfinder.open(served.db, workspace)
    try:
        return ws.engine.to_arrow(ws.engine.table("events", workspace)).to_pylist()
    finally:
        ws.close()


def bomb(expanded_mb: int, level: int = 9) -> bytes:
    """Gzip of zeros: a small body that expands ``expanded_mb`` megabytes."""
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(expanded_mb)) + packer.flush()


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = ServedDatabase(tmp_path_factory.mktemp("requests") / "wayfinder.duckdb")
    # The keyring `wayfinder keys` writes, filled in-process: a CLI process per key costs seconds.
    keyring = Keyring(home_for(served.db) / "keys.json")
    write_key = keyring.create("write_key", WORKSPACE)
    site = Site(served, write_key, keyring.create("token", WORKSPACE, "analyst"))
    served.start()
    site.send_good()
    try:
        yield site
    finally:
        served.stop()


# -- keys ----------------------------------------------------------------------------------------
def test_a_wrong_key_is_401(site: Site) -> None:
    site.send_good()
    assert_refused(site.post(refused_batch(), key="wfk_not-a-key"), 401)
    body = orjson.dumps({"batch": calls(2, "refused"), "writeKey": "wfk_not-a-key"})
    assert_refused(site.post(body), 401)


def test_an_unknown_route_is_404_naming_the_routes(site: Site) -> None:
    site.send_good()
    body = assert_refused(site.post(refused_batch(), route="tracks", key=site.write_key), 404)
    assert body["error"]["value"] == "/v1/tracks" and "track" in body["error"]["hint"]


def test_every_named_route_takes_its_calls(site: Site) -> None:
    """Each documented route (long and short) acknowledges; a call without a type gets it from
    the route, so it is stored rather than quarantined as missing_type."""
    for route, call_type in CALL_ROUTES.items():
        call = calls(1, f"route-{route}")[0]
        call.pop("type", None)
        call.update({"event": "Routed", "groupId": "g1", "previousId": "p1", "userId": "u1"})
        answer = site.post(orjson.dumps(call), route=route, key=site.write_key)
        assert answer.status_code == 200, (route, call_type, answer.text)
        site.acknowledged.append(call["messageId"])
    for route in BATCH_ROUTES:
        batch = calls(2, f"route-{route}")
        answer = site.post(orjson.dumps({"batch": batch}), route=route, key=site.write_key)
        assert answer.status_code == 200, (route, answer.text)
        site.acknowledged += [c["messageId"] for c in batch]


def test_no_key_is_401(site: Site) -> None:
    site.send_good()
    body = assert_refused(site.post(refused_batch()), 401)
    assert body["error"]["what"] == "no write key"


@pytest.mark.parametrize("client", ["segment", "rudder"])
def test_the_tracking_clients_read_a_refusal(site: Site, client: str) -> None:
    # Both read Segment's code and message; rudder-sdk-python raised KeyError without them.
    make, error = (
        (SegmentClient, SegmentAPIError) if client == "segment" else (RudderClient, RudderAPIError)
    )
    site.send_good()
    sender = make("wfk_not-a-key", host=site.served.url, sync_mode=True)
    with pytest.raises(error) as refused:
        sender.track("someone", "Viewed", message_id="refused-by-client")
    assert refused.value.status == 401
    assert refused.value.code == "unauthorized"
    assert "unknown write key" in refused.value.message


def test_an_api_token_is_not_a_write_key(site: Site) -> None:
    site.send_good()
    assert_refused(site.post(refused_batch(), key=site.token), 401)


# -- unreadable bodies ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [b'{"batch": [{"type": "track",', b"not json", b"[1, 2]", b'{"batch": "nope"}', b""],
    ids=["truncated", "not-json", "an-array", "batch-not-array", "empty"],
)
def test_a_body_that_is_not_a_batch_is_400(site: Site, body: bytes) -> None:
    site.send_good()
    assert_refused(site.post(body, key=site.write_key), 400)


def test_a_corrupt_gzip_body_is_400(site: Site) -> None:
    site.send_good()
    corrupt = gzip.compress(refused_batch())[:-12] + b"garbage-tail"
    answer = site.post(corrupt, key=site.write_key, headers={"Content-Encoding": "gzip"})
    assert_refused(answer, 400)


# -- sizes ---------------------------------------------------------------------------------------
def test_an_event_over_32_kb_is_acknowledged_and_quarantined(site: Site) -> None:
    site.send_good()
    mates = calls(2, "mate")
    oversized = calls(1, "oversized", properties={"blob": "x" * 40_000})[0]
    body = orjson.dumps({"batch": [mates[0], oversized, mates[1]]})
    answer = site.post(body, key=site.write_key)
    assert answer.status_code == 200, answer.text
    site.acknowledged += [c["messageId"] for c in mates]
    site.too_large.append(oversized["messageId"])
    site.assert_nothing_lost()
    held = [orjson.loads(row["raw"])["messageId"] for row in site.quarantine("event_too_large")]
    assert held == site.too_large


@pytest.mark.parametrize(
    "odd",
    [[1, 2], {"type": "track", "event": "Viewed", "userId": "odd", "batch": [1]}],
    ids=["an-array", "a-batch-field"],
)
def test_an_odd_first_call_does_not_sink_the_events_journaled_with_it(site: Site, odd: Any) -> None:
    # The loader's reader finds a file's format from its first line: these two, first in a
    # journal segment, once made it take the segment for a whole JSON document and set aside
    # every acknowledged event in it.
    site.status()  # nothing waits: this batch starts a new segment
    first = dict(odd, messageId=f"odd-{next(_numbers)}") if type(odd) is dict else odd
    mates = calls(2, "odd-mate")
    answer = site.post(orjson.dumps({"batch": [first, *mates]}), key=site.write_key)
    assert answer.status_code == 200, answer.text
    site.send_good()  # another request's events, journaled in the same segment
    site.acknowledged += [c["messageId"] for c in mates]
    if type(first) is dict:
        site.acknowledged.append(first["messageId"])
    site.assert_nothing_lost()
    assert site.set_aside() == []
    if type(first) is not dict:
        assert [row["raw"] for row in site.quarantine("not_an_object")] == ['"[1,2]"']


def a_big_body() -> bytes:
    blob = "x" * (LIMIT + 100)
    return orjson.dumps({"batch": calls(1, "refused", properties={"blob": blob})})


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_4_mb_is_413(site: Site, framing: str) -> None:
    site.send_good()
    body = a_big_body()
    if framing == "chunked":  # no Content-Length: the limit is kept while reading
        parts = (body[i : i + 65_536] for i in range(0, len(body), 65_536))
        answer = site.post(parts, key=site.write_key)
    else:
        answer = site.post(body, key=site.write_key)
    assert_refused(answer, 413)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_decompression_bomb_is_413_at_once(site: Site, encoding: str) -> None:
    site.send_good()
    if encoding == "gzip":
        small = bomb(8)
    else:
        small = zlib.compress(bytes(8 << 20), 9)
    assert len(small) < 16_384  # a few KB on the wire, 8 MB once expanded
    started = time.perf_counter()
    answer = site.post(small, key=site.write_key, headers={"Content-Encoding": encoding})
    assert time.perf_counter() - started < ANSWERED_QUICKLY
    body = assert_refused(answer, 413)
    assert "decompressed" in body["error"]["what"]


def test_a_large_bomb_does_not_balloon_the_servers_memory(site: Site) -> None:
    big = bomb(128, level=1)  # about 0.6 MB on the wire, 128 MB expanded
    site.status()  # no loading round running alongside, to move the peak on its own
    pid = httpx.get(site.served.url + "/health", timeout=10).json()["pid"]
    before = peak_memory_kb(pid)
    started = time.perf_counter()
    answer = site.post(big, key=site.write_key, headers={"Content-Encoding": "gzip"})
    assert time.perf_counter() - started < ANSWERED_QUICKLY
    assert_refused(answer, 413)
    # At most the 4 MB limit is ever expanded: the peak grows by far less than the bomb.
    assert peak_memory_kb(pid) - before < 64 * 1024


def test_a_batch_of_3000_events_is_413_and_2500_is_taken(site: Site) -> None:
    site.send_good()
    assert_refused(site.post(refused_batch(3_000), key=site.write_key), 413)
    most = calls(2_500, "most")
    answer = site.post(orjson.dumps({"batch": most}), key=site.write_key)
    assert answer.status_code == 200, answer.text
    site.acknowledged += [c["messageId"] for c in most]


# -- formats -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_by_its_content_type_is_415(site: Site, content_type: str) -> None:
    site.send_good()
    answer = site.post(refused_batch(), key=site.write_key, headers={"Content-Type": content_type})
    assert_refused(answer, 415)


@pytest.mark.parametrize("content_type", ["text/plain", "application/json; charset=utf-8", ""])
def test_json_is_taken_under_the_content_types_browsers_send(site: Site, content_type: str) -> None:
    batch = calls(2, "typed")
    answer = site.post(
        orjson.dumps({"batch": batch}),
        key=site.write_key,
        headers={"Content-Type": content_type},
    )
    assert answer.status_code == 200, answer.text
    site.acknowledged += [c["messageId"] for c in batch]


def test_an_unknown_content_encoding_is_415(site: Site) -> None:
    site.send_good()
    answer = site.post(refused_batch(), key=site.write_key, headers={"Content-Encoding": "br"})
    assert_refused(answer, 415)


# -- browsers ------------------------------------------------------------------------------------
def test_a_cors_preflight_is_answered(site: Site) -> None:
    answer = httpx.options(
        site.served.url + "/v1/batch",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert answer.status_code in (200, 204)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "content-encoding"} <= {
        h.strip() for h in allowed.split(",")
    }
    batch = calls(1, "browser")
    sent = site.post(
        orjson.dumps({"batch": batch}),
        key=site.write_key,
        headers={"Origin": "https://shop.example"},
    )
    assert sent.status_code == 200
    assert sent.headers["Access-Control-Allow-Origin"] == "*"
    site.acknowledged += [c["messageId"] for c in batch]


# -- the end of the module: the database itself --------------------------------------------------
def test_everything_acknowledged_is_stored_once_and_nothing_refused(site: Site) -> None:
    # It stops the server to read its database; the tests on ``busy_site`` start it again.
    site.send_good()
    site.assert_stored_once()


# -- a full backlog ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def busy_site(site: Site) -> Site:
    """The same database served again, asking senders to wait whenever anything at all waits
    to be loaded (``WAYFINDER_MAX_BACKLOG_BYTES=1``)."""
    site.served.stop()
    site.served.start(WAYFINDER_MAX_BACKLOG_BYTES="1")
    return site


def test_a_full_backlog_is_429_with_retry_after(busy_site: Site) -> None:
    site = busy_site
    busy = None
    for _ in range(20):
        site.send_good()  # its events wait to be loaded for a moment: the backlog is full
        follower = calls(2, "follower")
        answer = site.post(orjson.dumps({"batch": follower}), key=site.write_key)
        if answer.status_code == 429:
            busy = answer
            break
        # Taken: the loader had already caught up. Wait until it is idle, and try again.
        assert answer.status_code == 200, answer.text
        site.acknowledged += [c["messageId"] for c in follower]
        site.status()
    assert busy is not None, "the backlog never filled"
    assert_refused(busy, 429)
    assert int(busy.headers["Retry-After"]) > 0
    site.assert_nothing_lost()  # waits until loaded: the refused batch is not among them
    # Sent again once the backlog is loaded, as a client does after Retry-After: taken.
    answer = site.post(orjson.dumps({"batch": follower}), key=site.write_key)
    assert answer.status_code == 200, answer.text
    site.acknowledged += [c["messageId"] for c in follower]


def test_a_client_told_to_wait_loses_nothing(busy_site: Site) -> None:
    site = busy_site
    errors: list[str] = []
    client = SegmentClient(
        site.write_key,
        host=site.served.url,
        upload_size=5,
        upload_interval=0.01,
        on_error=lambda error, batch: errors.append(str(error)),
    )
    ids = [f"waited-{i}" for i in range(10)]
    for message_id in ids:
        client.track("waiting-user", "Viewed", message_id=message_id)
    client.shutdown()
    assert errors == []
    site.acknowledged += ids
    site.assert_stored_once()  # the last test on ``busy_site``
