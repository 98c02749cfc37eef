"""The collection load benchmark in miniature: a second of senders against a real server, every
acknowledged event counted once, and the section reading its figures right."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

# `benchmarks` is a package at the repository's root, which `pytest` alone does not put on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_collect as bench  # noqa: E402


def test_senders_send_a_realistic_mix_with_unique_message_ids():
    visitors = bench.Visitors("run1", sender=3, seed=3)
    events = [visitors.event("2026-11-22T10:00:00.000Z") for _ in range(2000)]
    kinds = Counter(e["type"] for e in events)
    assert set(kinds) == {"page", "track", "identify"}
    assert kinds["page"] > kinds["track"] > kinds["identify"] > 0
    assert len({e["messageId"] for e in events}) == len(events)
    assert all(e["context"]["library"]["name"] == "analytics.js" for e in events)
    assert all(e.get("properties") for e in events if e["type"] != "identify")
    assert all(e["traits"]["email"] for e in events if e["type"] == "identify")
    # Another sender never reuses an id.
    other = bench.Visitors("run1", sender=4, seed=3).event("2026-11-22T10:00:00.000Z")
    assert other["messageId"] not in {e["messageId"] for e in events}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("collect")
    return folder, bench.load(str(folder), "1", "4")


def test_a_short_load_acknowledges_and_stores_every_event_once(loaded):
    folder, r = loaded
    assert r["acked"] > 0 and r["acked"] % bench.BATCH == 0
    assert r["stored"] == r["acked"] and r["loader"]["loaded"] == r["acked"]
    assert r["missing"] == r["duplicated"] == r["extra"] == r["quarantined"] == 0
    assert r["p99_ms"] >= r["p50_ms"] > 0 and r["drain_seconds"] >= 0
    # The baseline reads exactly the acknowledged events.
    lines = (folder / "events.jsonl").read_bytes().splitlines()
    assert len(lines) == r["acked"]
    assert len({orjson.loads(line)["messageId"] for line in lines}) == r["acked"]


def test_the_section_reads_the_figures():
    r = {
        "seconds": 60.0, "senders": 4, "batch": 100, "acked": 600_000, "acked_mb": 460.0,
        "send_seconds": 60.0, "acked_per_second": 10_000.0, "acked_per_second_first": 12_000.0,
        "acked_per_second_last": 8_000.0, "window": 10.0, "p50_ms": 20.0, "p99_ms": 200.0,
        "max_ms": 900.0, "requests": 6000, "busy_429": 3, "errors": {}, "unacked": 0,
        "drain_seconds": 40.0, "loaded_per_second": 6_000.0, "max_backlog_mib": 250.0,
        "loaded_timeline": [[10.0, 30_000]], "stored": 600_000, "missing": 0, "duplicated": 0,
        "extra": 0, "extra_unacked": 0, "quarantined": 0, "server_cpu_seconds": 150.0,
        "senders_cpu_seconds": 30.0, "backlog_limit_mib": 256.0, "wall_seconds": 100.0,
        "loader": {"runs": 10, "rows_read": 600_000, "duplicates": 0},
    }  # fmt: skip
    f = {"seconds": 120.0, "cpu_seconds": 100.0, "startup_seconds": 1.0, "rows": 600_000}
    p = {"round_events": 60_000, "rounds": 3, "events": 180_000, "ingest_seconds": 10.0,
         "stitch_seconds": 30.0, "first_rounds_ms": [3000, 5000], "last_rounds_ms": [4000, 15000],
         "budget_seconds": 45.0, "tenth": 1,
         "cpu_seconds": 36.0}  # fmt: skip
    text = "\n".join(bench.render(r, f, p, "a machine"))
    assert text.startswith(bench.HEADING)
    sustained = (
        "| sustained events/s acknowledged | **10,000** (first 10 s: 12,000; last 10 s: 8,000) |"
    )
    assert sustained in text
    assert "**5,000 events/s**" in text  # 600,000 in 120 s
    assert "| ratio HTTP acknowledged / file | 2.00x |" in text
    assert "| ratio HTTP loaded / file | 1.20x |" in text
    # 150 s of server CPU for 600,000 events, 100 s for the file.
    assert "| 250 / 167 ms (1.50x) |" in text
    assert "first round: ingest 3,000 ms, stitch 5,000 ms" in text
    # 36 s for 180,000 events in rounds: 200 ms per 1,000; the other 50 ms is receiving.
    assert "costs 200 ms of CPU per 1,000 events" in text and "about 50 ms." in text
    assert "**zero loss**" in text and "**75% stitching**" in text
    assert "LOSS" in "\n".join(bench.render({**r, "missing": 1}, f, p, "a machine"))
