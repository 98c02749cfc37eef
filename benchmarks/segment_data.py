"""Synthetic Segment events for benchmarks: realistic shapes, deterministic for a seed.

Writes the same events as JSONL and as Parquet (Segment fields as columns, nested objects as JSON
text), so both readers and DuckDB's own readers see identical rows.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

PATHS = [
    "/",
    "/pricing",
    "/features",
    "/blog/post-1",
    "/blog/post-2",
    "/p/tent-2p",
    "/p/stove-1",
    "/cart",
    "/checkout",
    "/checkout/payment",
    "/help/delivery",
    "/about",
]
EVENTS = ["Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed Up"]
SOURCES = [
    None,
    ("google", "cpc", "brand"),
    ("facebook", "paid_social", "spring_sale"),
    ("newsletter", "email", "weekly"),
    ("linkedin", "paid_social", "abm_q2"),
]


def generate(n_events: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1)
    n_people = max(1, n_events // 10)
    rows = []
    for i in range(n_events):
        person = rng.randrange(n_people)
        ts = start + timedelta(seconds=rng.randrange(0, 300 * 86400))
        kind = "page" if rng.random() < 0.7 else ("track" if rng.random() < 0.9 else "identify")
        row: dict = {
            "type": kind,
            "messageId": f"m-{seed}-{i}",
            "anonymousId": f"anon-{person}",
            "timestamp": ts.isoformat() + "Z",
            "sentAt": (ts + timedelta(seconds=1)).isoformat() + "Z",
            "receivedAt": (ts + timedelta(seconds=1, milliseconds=150)).isoformat() + "Z",
            "context": {
                "device": {"type": rng.choice(["mobile", "desktop", "tablet"])},
                "locale": "en-GB",
                "library": {"name": "analytics.js", "version": "5.2.0"},
            },
        }
        if kind == "page":
            path = rng.choice(PATHS)
            campaign = rng.choice(SOURCES)
            url = "https://shop.example" + path
            if campaign:
                url += (
                    f"?utm_source={campaign[0]}&utm_medium={campaign[1]}&utm_campaign={campaign[2]}"
                )
            row["properties"] = {"path": path, "url": url, "title": path.strip("/") or "Home"}
        elif kind == "track":
            event = rng.choice(EVENTS)
            row["event"] = event
            props: dict = {"sku": f"sku-{rng.randrange(200)}"}
            if event == "Order Completed":
                props |= {"revenue": round(rng.uniform(10, 400), 2), "currency": "EUR"}
            row["properties"] = props
        else:
            row["userId"] = f"u-{person}"
            row["traits"] = {"email": f"person{person}@example.com", "plan": "free"}
        rows.append(row)
    return rows


def write(n_events: int, directory: Path, seed: int = 0) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    jsonl = directory / f"events_{n_events}.jsonl"
    parquet = directory / f"events_{n_events}.parquet"
    if jsonl.exists() and parquet.exists():
        return jsonl, parquet
    rows = generate(n_events, seed)
    with jsonl.open("wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row) + b"\n")
    columns = [
        "type",
        "messageId",
        "anonymousId",
        "userId",
        "event",
        "timestamp",
        "sentAt",
        "receivedAt",
    ]
    table = {c: [r.get(c) for r in rows] for c in columns}
    for nested in ("properties", "traits", "context"):
        table[nested] = [orjson.dumps(r[nested]).decode() if nested in r else None for r in rows]
    pq.write_table(pa.table(table), parquet)
    return jsonl, parquet
