"""Durability of collection: senders keep posting while the server is killed with SIGKILL and
started again on the same database; every messageId that got a 200 is stored exactly once.

Senders behave as tracking clients do: a batch that got no 200 (connection refused or cut, 5xx,
429) is sent again with the same messageIds, until it is acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

import wayfinder
from server_helpers import ServedDatabase

WORKSPACE = "shop"
SENDERS = 4
BATCH = 20
KILLS = 3
#: Batches the senders must get acknowledged between two kills, so each kill is mid-stream.
BATCHES_BETWEEN_KILLS = 2 * SENDERS
#: A batch that cannot be delivered for this long fails the test (the server never came back).
GIVE_UP_SECONDS = 45.0


@dataclass
class Ledger:
    """What the senders tried to send and what the server acknowledged, by messageId."""

    attempted: set[str] = field(default_factory=set)
    acknowledged: list[str] = field(default_factory=list)
    batches: int = 0
    retries: int = 0
    connection_errors: int = 0
    undelivered: list[str] = field(default_factory=list)
    #: Answers that are neither 200 nor a request to retry (429, 5xx): none are expected.
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sender(url: str, key: str, number: int, ledger: Ledger, stop: threading.Event) -> None:
    """Post batches of new events until told to stop; each one is retried until acknowledged."""
    sequence = 0
    with httpx.Client(auth=(key, ""), timeout=10) as http:
        while not stop.is_set():
            sequence += 1
            batch = [
                {
                    "type": "track",
                    "event": "Viewed Product",
                    "userId": f"sender-{number}-user-{i % 5}",
                    "messageId": f"s{number}-b{sequence}-e{i}",
                    "properties": {"sku": f"sku-{i}", "price": 9.5 + i},
                }
                for i in range(BATCH)
            ]
            ids = [call["messageId"] for call in batch]
            with ledger.lock:
                ledger.attempted.update(ids)
            if deliver(http, url, batch, ledger):
                with ledger.lock:
                    ledger.acknowledged += ids
                    ledger.batches += 1
            else:
                with ledger.lock:
                    ledger.undelivered += ids
                return


def deliver(http: httpx.Client, url: str, batch: list[dict], ledger: Ledger) -> bool:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            answer = http.post(
                url + "/v1/batch",
                content=orjson.dumps({"batch": batch, "sentAt": sent_at}),
                headers={"Content-Type": "application/json"},
            )
            if answer.status_code == 200:
                return True
            if answer.status_code != 429 and answer.status_code < 500:
                with ledger.lock:
                    ledger.refusals.append(f"{answer.status_code}: {answer.text}")
                return False
        except httpx.TransportError:
            with ledger.lock:
                ledger.connection_errors += 1
        with ledger.lock:
            ledger.retries += 1
        time.sleep(0.05)
    return False


def wait_for_batches(ledger: Ledger, more: int, timeout: float = 30.0) -> None:
    with ledger.lock:
        target = ledger.batches + more
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ledger.lock:
            if ledger.batches >= target:
                return
        time.sleep(0.02)
    raise AssertionError(f"the senders did not get {more} batches acknowledged in {timeout} s")


def test_every_acknowledged_event_survives_sigkill_once(tmp_path: Path) -> None:
    served = ServedDatabase(tmp_path / "wayfinder.duckdb")
    key = served.key("write_key", WORKSPACE)
    served.start()
    ledger = Ledger()
    stop = threading.Event()
    senders = [
        threading.Thread(target=sender, args=(served.url, key, n, ledger, stop), daemon=True)
        for n in range(SENDERS)
    ]
    waiting_at_kill: list[int] = []
    try:
        for thread in senders:
            thread.start()
        for _ in range(KILLS):
            wait_for_batches(ledger, BATCHES_BETWEEN_KILLS)
            health = httpx.get(served.url + "/health", timeout=10).json()
            waiting_at_kill.append(health["backlog_bytes"])
            served.kill()  # mid-stream: senders are posting, the loader is loading
            served.start()
        wait_for_batches(ledger, BATCHES_BETWEEN_KILLS)
    finally:
        stop.set()
        for thread in senders:
            thread.join(timeout=GIVE_UP_SECONDS + 15)
        served.stop()  # a clean stop loads whatever is journaled first

    ws = wayfinder.open(served.db, WORKSPACE)
    try:
        events = ws.engine.to_arrow(ws.engine.table("events", WORKSPACE).select("message_id"))
    finally:
        ws.close()
    stored = Counter(events.column("message_id").to_pylist())

    assert ledger.refusals == []
    assert ledger.undelivered == []
    assert ledger.batches >= (KILLS + 1) * BATCHES_BETWEEN_KILLS
    # The kills hit senders mid-stream, and some acknowledged events were still in the journal.
    assert ledger.connection_errors > 0
    assert max(waiting_at_kill) > 0
    # Every acknowledged event once; nothing stored that was never sent.
    assert len(set(ledger.acknowledged)) == len(ledger.acknowledged)
    missing = set(ledger.acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
    assert [m for m, n in stored.items() if n > 1] == []
    assert set(stored) <= ledger.attempted
