"""Identity stitching at scale: synthetic people with planted identities, stitched on DuckDB.

Usage: ``python -m benchmarks.bench_identity [PEOPLE]`` (default 1,000,000); prints one JSON line.
The baseline is a bare scan of the same events (distinct identity keys), measured in the same run.

What is planted, per ``identifiers_per_person`` (k, default 3):

- 90% of people identify: ``k - 2`` devices (anonymous ids), a user id and an e-mail; 10% of those
  also log in from one more device (a cross-device merge);
- 10% stay anonymous: one device, never identified;
- one kiosk device per 100,000 people, shared by 100 of the identified people (a hub: it must be
  reported, not merge them), and 1% of identify calls carry junk devices (``anonymous``, the nil
  UUID, ``0``) that must not merge anyone.

The check: the persons found are exactly the planted ones (every planted person is one stitched
person and no stitched person spans two planted ones; each kiosk is a person of its own). Then
1,000 new visitors arrive and an incremental run is timed (``incremental_seconds``): it recomputes
only them, but still rebuilds the edges from every stored event.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from wayfinder.engines import connect
from wayfinder.model.identity import stitch
from wayfinder.store.migrate import migrate

JUNK_DEVICES = ("anonymous", "00000000-0000-0000-0000-000000000000", "0")
KIOSK_USERS = 100


class PeakMemory:
    """Samples this process's resident set in a thread; DuckDB works inside the same process."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakMemory:
        import psutil

        process = psutil.Process()

        def sample() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, process.memory_info().rss)
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def synthetic_events(n_people: int, identifiers_per_person: int = 3, seed: int = 0):
    """Events as Arrow, the planted truth (identifier -> planted person) and the planted count."""
    rng = np.random.default_rng(seed)
    devices = max(1, identifiers_per_person - 2)
    identified = rng.random(n_people) < 0.9
    second_device = identified & (rng.random(n_people) < 0.1)
    start = datetime(2025, 1, 1)
    offsets = rng.integers(0, 365 * 24 * 3600, size=n_people)

    rows: dict[str, list] = {k: [] for k in ("type", "anonymous_id", "user_id", "email", "key")}
    times: list[datetime] = []
    truth_id: list[str] = []
    truth_person: list[int] = []

    def add(kind, anon, user, email, at):
        rows["type"].append(kind)
        rows["anonymous_id"].append(anon)
        rows["user_id"].append(user)
        rows["email"].append(email)
        rows["key"].append(f"user_id:{user}" if user else f"anonymous_id:{anon}")
        times.append(at)

    junk_draw = rng.random(n_people)
    for p in range(n_people):
        t = start + timedelta(seconds=int(offsets[p]))
        anons = [f"a{p}x{j}" for j in range(devices if identified[p] else 1)]
        for j, anon in enumerate(anons):
            add("page", anon, None, None, t + timedelta(minutes=j))
            truth_id.append(f"anonymous_id:{anon}")
            truth_person.append(p)
        if not identified[p]:
            continue
        user, email = f"u{p}", f"person{p}@example.com"
        truth_id += [f"user_id:{user}", f"email:{email}"]
        truth_person += [p, p]
        for j, anon in enumerate(anons):
            add(
                "identify", anon, user, email if j == 0 else None, t + timedelta(hours=1, minutes=j)
            )
        add("track", None, user, None, t + timedelta(hours=2))
        if junk_draw[p] < 0.01:
            add("identify", JUNK_DEVICES[p % len(JUNK_DEVICES)], user, None, t + timedelta(hours=3))
        if second_device[p]:
            anon = f"a{p}x{devices}"
            add("page", anon, None, None, t + timedelta(days=1))
            add("identify", anon, user, None, t + timedelta(days=1, minutes=1))
            truth_id.append(f"anonymous_id:{anon}")
            truth_person.append(p)

    # Kiosks: one device shared by many identified people; it must stay a person of its own.
    kiosks = max(1, n_people // 100_000)
    users = np.flatnonzero(identified)
    for k in range(kiosks):
        anon = f"kiosk{k}"
        truth_id.append(f"anonymous_id:{anon}")
        truth_person.append(n_people + k)
        for p in rng.choice(users, size=min(KIOSK_USERS, len(users)), replace=False):
            add("identify", anon, f"u{p}", None, start + timedelta(days=400))

    n = len(times)
    events = pa.table(
        {
            "message_id": pa.array([f"m{i}" for i in range(n)], pa.string()),
            "type": pa.array(rows["type"], pa.string()),
            "anonymous_id": pa.array(rows["anonymous_id"], pa.string()),
            "user_id": pa.array(rows["user_id"], pa.string()),
            "email": pa.array(rows["email"], pa.string()),
            "identity_key": pa.array(rows["key"], pa.string()),
            "timestamp": pa.array(times, pa.timestamp("us")),
        }
    )
    truth = pa.table({"identifier": truth_id, "planted": pa.array(truth_person, pa.int64())})
    return events, truth, n_people + kiosks


def run(n_people: int = 1_000_000, identifiers_per_person: int = 3, seed: int = 0) -> dict:
    events, truth, planted = synthetic_events(n_people, identifiers_per_person, seed)
    with tempfile.TemporaryDirectory() as folder:
        engine = connect(f"duckdb:///{folder}/identity.duckdb")
        migrate(engine, "bench")
        engine.insert("events", "bench", events)
        del events

        table = engine.table("events", "bench")
        started = time.perf_counter()
        engine.scalar(table.identity_key.nunique())
        baseline = time.perf_counter() - started

        with PeakMemory() as memory:
            report = stitch(engine, "bench")

        # The planted truth, checked in the engine: one planted person <-> one stitched person.
        engine.replace_table("bench_truth", "bench", truth)
        found = engine.table("identity_map", "bench")
        planted_ids = engine.table("bench_truth", "bench")
        pairs = found.join(planted_ids, "identifier").select("person_id", "planted").distinct()
        pair_count = engine.scalar(pairs.count())
        mapped = engine.scalar(found.count())

        # A day later: 1,000 new visitors arrive; the incremental run recomputes only them.
        later = pa.table(
            {
                "message_id": [f"later{i}" for i in range(1000)],
                "type": ["page"] * 1000,
                "anonymous_id": [f"new{i}" for i in range(1000)],
                "identity_key": [f"anonymous_id:new{i}" for i in range(1000)],
                "timestamp": pa.array([datetime(2026, 6, 1)] * 1000, pa.timestamp("us")),
            }
        )
        engine.insert("events", "bench", later)
        again = stitch(engine, "bench")
        engine.close()

    figures = {
        "people": n_people,
        "identifiers": report.nodes,
        "edges": report.edges,
        "seconds": round(report.seconds, 2),
        "baseline_scan_seconds": round(baseline, 3),
        "ratio_to_scan": round(report.seconds / baseline, 1) if baseline else None,
        "peak_rss_mb": round(memory.mb, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "iterations": report.iterations,
        "persons_found": report.persons,
        "persons_planted": planted,
        "hubs": report.hubs,
        "incremental_seconds": round(again.seconds, 2),
        "incremental_recomputed": again.recomputed,
    }
    recovered = report.persons == planted == pair_count and mapped == truth.num_rows
    if not (recovered and again.persons == planted + 1000):
        raise AssertionError(f"stitching did not recover the planted persons: {figures}")
    return figures


if __name__ == "__main__":
    size = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(run(size)))
