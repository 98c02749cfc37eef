"""Journeys at scale: sessions and touchpoints materialised on an existing workspace, peak memory.

Usage: ``python -m benchmarks.bench_journeys DB_URL WORKSPACE`` (e.g. the 1M-person demo's
``duckdb:///demo.duckdb shop``); prints one JSON line. The baseline, measured in the same run, is
a bare grouped scan of the events (``count(*) GROUP BY identity_key``), what any per-person pass
costs. Sessions go to a scratch table that is dropped; ``touchpoints`` is left, as a real run does.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(db_url: str, workspace: str) -> dict:
    """Time the baseline scan, ``sessionize`` -> ``sessions`` and touchpoints on ``workspace``."""
    from wayfinder.model.identity import events_with_person
    from wayfinder.model.sessions import sessions
    from wayfinder.model.touchpoints import TOUCHPOINTS, VISIT_TYPES, materialize_touchpoints
    from wayfinder.workspace import open as open_workspace

    ws = open_workspace(db_url, workspace)
    engine = ws.engine
    figures: dict = {"url": db_url, "workspace": workspace, "engine": engine.name}
    try:
        events = ws.table("events")
        figures["events"] = int(engine.scalar(events.count()))

        started = time.perf_counter()
        scan = events.group_by("identity_key").aggregate(n=events.count())
        engine.replace_table("bench_scan", workspace, scan)
        figures["baseline_seconds"] = round(time.perf_counter() - started, 2)
        figures["baseline_rows"] = int(engine.scalar(ws.table("bench_scan").count()))
        figures["peak_rss_mb_baseline"] = round(peak_rss_mb(), 1)

        # The same visits touchpoints cut: page, screen and track calls of stitched persons.
        visits = events_with_person(engine, workspace)
        visits = visits.filter(visits.person_id.notnull() & visits.type.isin(VISIT_TYPES))
        started = time.perf_counter()
        engine.replace_table("bench_sessions", workspace, sessions(visits, person_key="person_id"))
        figures["sessions_seconds"] = round(time.perf_counter() - started, 2)
        figures["sessions"] = int(engine.scalar(ws.table("bench_sessions").count()))
        figures["peak_rss_mb_sessions"] = round(peak_rss_mb(), 1)

        started = time.perf_counter()
        touches = materialize_touchpoints(ws)
        figures["touchpoints_seconds"] = round(time.perf_counter() - started, 2)
        by_type = touches.group_by(
            kind=touches.touch_type.isin(["session", "content_view"]).ifelse(
                touches.touch_type, "interaction"
            )
        ).aggregate(n=touches.count())
        counts = {r["kind"]: int(r["n"]) for r in engine.to_arrow(by_type).to_pylist()}
        figures["touchpoints"] = sum(counts.values())
        figures["touchpoints_by_kind"] = counts
        figures["peak_rss_mb"] = round(peak_rss_mb(), 1)

        base = figures["baseline_seconds"] or None
        for name in ("sessions", "touchpoints"):
            seconds = figures[f"{name}_seconds"]
            figures[f"{name}_vs_baseline"] = round(seconds / base, 1) if base else None
        figures["touchpoints_table"] = TOUCHPOINTS.name
    finally:
        for scratch in ("bench_scan", "bench_sessions"):
            engine.drop_table(scratch, workspace)
        ws.close()
    return figures


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m benchmarks.bench_journeys DB_URL WORKSPACE")
    print(json.dumps(run(sys.argv[1], sys.argv[2])))
