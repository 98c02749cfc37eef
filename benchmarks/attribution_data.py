"""Synthetic marketing journeys for the attribution benchmark: deterministic for a seed.

Writes the same journeys twice: a path table (``paths.csv``, ChannelAttribution's Data.csv layout)
and one row per touch (``touches.parquet``) for peers that want journeys, not aggregates.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CHANNELS = (
    "Search",
    "Organic",
    "Direct",
    "Email",
    "Facebook",
    "Instagram",
    "Display",
    "Affiliate",
    "Referral",
    "YouTube",
    "TikTok",
    "Webinar",
)
# Per channel: share of journeys it starts, chance of converting right after a touch, chance of
# the journey ending without a conversion after it, chance of the next touch repeating it, and the
# typical order value when it is the last touch. Upper-funnel channels (Display, social, video)
# start journeys and rarely close them; Direct, Email, Search and Webinar close.
START = np.array([18, 14, 6, 5, 12, 9, 11, 4, 5, 7, 7, 2], dtype=float)
CONVERT = np.array([13, 6, 18, 16, 3, 3, 2, 12, 9, 2, 2, 20]) / 1000
LEAVE = np.array([30, 32, 38, 24, 34, 36, 38, 32, 30, 35, 37, 20]) / 100
REPEAT = np.array([20, 15, 25, 30, 18, 18, 12, 10, 10, 15, 20, 10]) / 100
ORDER_VALUE = np.array([95, 80, 110, 70, 60, 55, 65, 85, 90, 60, 45, 400], dtype=float)
# Each further distinct channel lifts the chance to convert: the synergy Shapley credit rewards.
SYNERGY = 0.25
MAX_TOUCHES = 40
META = "meta.json"


def _transitions(rng: np.random.Generator) -> np.ndarray:
    """Channel-to-channel probabilities: a seeded preference for closers, plus repeats."""
    closers = np.array([3, 1.5, 3, 2.5, 1, 1, 0.7, 1, 1, 0.8, 0.7, 1])
    mix = rng.dirichlet(closers * 4, size=len(CHANNELS))
    np.fill_diagonal(mix, 0)
    mix /= mix.sum(axis=1, keepdims=True)
    return REPEAT[:, None] * np.eye(len(CHANNELS)) + (1 - REPEAT[:, None]) * mix


def _pick(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One draw per row of a cumulative probability matrix."""
    u = rng.random(len(cumulative))[:, None]
    return np.minimum((cumulative < u).sum(axis=1), cumulative.shape[1] - 1)


def simulate(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Journeys as a touch matrix (channel index, -1 past the end), outcome and value."""
    rng = np.random.default_rng(seed)
    cum_next = _transitions(rng).cumsum(axis=1)
    touches = np.full((n, MAX_TOUCHES), -1, dtype=np.int8)
    converted = np.zeros(n, dtype=bool)
    seen = np.zeros(n, dtype=np.int32)  # bitmask of channels touched so far
    live = np.arange(n)
    current = _pick(rng, np.tile((START / START.sum()).cumsum(), (n, 1)))
    for step in range(MAX_TOUCHES):
        touches[live, step] = current
        seen[live] |= 1 << current
        distinct = np.bitwise_count(seen[live]).astype(float)
        u = rng.random(len(live))
        p_convert = np.minimum(CONVERT[current] * (1 + SYNERGY * (distinct - 1)), 0.5)
        won = u < p_convert
        converted[live[won]] = True
        going = ~won & (u >= p_convert + LEAVE[current])
        live, current = live[going], current[going]
        if not len(live):
            break
        current = _pick(rng, cum_next[current])
    length = (touches >= 0).sum(axis=1)
    last = touches[np.arange(n), length - 1]
    value = np.where(converted, np.round(ORDER_VALUE[last] * rng.lognormal(0, 0.5, n), 2), 0.0)
    return {"touches": touches, "length": length, "converted": converted, "value": value}


def path_table(journeys: dict[str, np.ndarray]) -> pa.Table:
    """Unique touch sequences with their conversions, conversion value and non-conversions."""
    touches = journeys["touches"]
    rows = np.ascontiguousarray(touches).view(np.dtype((np.void, touches.shape[1])))[:, 0]
    unique, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    converted = journeys["converted"]
    conversions = np.bincount(inverse, weights=converted, minlength=len(unique))
    nulls = np.bincount(inverse, weights=~converted, minlength=len(unique))
    value = np.bincount(inverse, weights=journeys["value"], minlength=len(unique))
    paths = [" > ".join(CHANNELS[t] for t in touches[i] if t >= 0) for i in first]
    return pa.table(
        {
            "path": paths,
            "total_conversions": conversions.astype(np.int64),
            "total_conversion_value": np.round(value, 2),
            "total_null": nulls.astype(np.int64),
        }
    )


def touch_rows(journeys: dict[str, np.ndarray], seed: int = 0) -> pa.Table:
    """One row per touch: journey id, timestamp (hours apart), channel; the conversion and its
    value sit on the journey's last touch."""
    rng = np.random.default_rng(seed + 1)
    touches, length = journeys["touches"], journeys["length"]
    n = len(length)
    journey = np.repeat(np.arange(n), length)
    channel = touches[touches >= 0]
    start = rng.integers(0, 90 * 86400, n)
    gaps = rng.exponential(30 * 3600, len(journey)).astype(np.int64)
    first_row = np.r_[0, length.cumsum()[:-1]]
    gaps[first_row] = start
    # Cumulative gaps within each journey: global cumsum minus the cumsum at the journey start.
    total = gaps.cumsum()
    seconds = total - np.repeat(total[first_row] - start, length)
    is_last = np.zeros(len(journey), dtype=bool)
    is_last[length.cumsum() - 1] = True
    base = np.datetime64("2026-01-01T00:00:00", "s")
    return pa.table(
        {
            "journey_id": journey.astype(np.int64),
            "timestamp": base + seconds.astype("timedelta64[s]"),
            "channel": pa.DictionaryArray.from_arrays(channel.astype(np.int32), list(CHANNELS)),
            "converted": is_last & np.repeat(journeys["converted"], length),
            "value": np.where(is_last, np.repeat(journeys["value"], length), 0.0),
        }
    )


def write(n: int, directory: Path, seed: int = 0) -> dict:
    """Generate once per (n, seed) into ``directory``; returns the facts of the data."""
    directory.mkdir(parents=True, exist_ok=True)
    meta_file = directory / META
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("journeys") == n and meta.get("seed") == seed:
            return meta
    journeys = simulate(n, seed)
    paths = path_table(journeys)
    with open(directory / "paths.csv", "wb") as out:
        out.write((";".join(paths.column_names) + "\n").encode())
        options = pacsv.WriteOptions(delimiter=";", include_header=False, quoting_style="none")
        pacsv.write_csv(paths, out, options)
    touches = touch_rows(journeys, seed)
    pq.write_table(touches, directory / "touches.parquet")
    length = journeys["length"]
    meta = {
        "journeys": n,
        "seed": seed,
        "channels": len(CHANNELS),
        "unique_paths": paths.num_rows,
        "touches": len(touches),
        "conversions": int(journeys["converted"].sum()),
        "conversion_rate": float(journeys["converted"].mean()),
        "value": float(journeys["value"].sum()),
        "mean_touches": float(length.mean()),
        "max_touches": int(length.max()),
        "share_over_10_touches": float((length > 10).mean()),
    }
    meta_file.write_text(json.dumps(meta, indent=1))
    return meta
