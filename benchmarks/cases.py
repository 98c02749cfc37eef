"""Single benchmark cases, each run in its own process by ``benchmarks.run``.

Prints one JSON line: seconds, rows and peak_rss_mb (the process's maximum resident set).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest(path: str) -> dict:
    import wayfinder

    with tempfile.TemporaryDirectory() as tmp:
        wf = wayfinder.open(f"duckdb:///{tmp}/bench.duckdb")
        started = time.perf_counter()
        summary = wf.ingest([path], "events", stitch=False)
        seconds = time.perf_counter() - started
        assert summary.loaded == summary.rows_read, summary.to_dict()
        wf.close()
    return {"seconds": seconds, "rows": summary.loaded, "peak_rss_mb": peak_rss_mb()}


def _duckdb(reader: str, path: str) -> dict:
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(f"{tmp}/base.duckdb")
        started = time.perf_counter()
        con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}(?)", [path])
        seconds = time.perf_counter() - started
        rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def duckdb_jsonl(path: str) -> dict:
    return _duckdb("read_json", path)


def duckdb_parquet(path: str) -> dict:
    return _duckdb("read_parquet", path)


def identity(people: str) -> dict:
    from benchmarks.bench_identity import run

    return run(n_people=int(people))


def demo(people: str, directory: str) -> dict:
    from benchmarks.bench_demo import run

    return run(people=int(people), directory=Path(directory))


def journeys(database: str, workspace: str) -> dict:
    from benchmarks.bench_journeys import run

    return run(f"duckdb:///{database}", workspace)


CASES = {
    "demo": demo,
    "journeys": journeys,
    "ingest": ingest,
    "duckdb_jsonl": duckdb_jsonl,
    "duckdb_parquet": duckdb_parquet,
    "identity": identity,
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    result = CASES[name](*args)
    result.setdefault("peak_rss_mb", peak_rss_mb())
    sys.stdout.write(json.dumps(result) + "\n")
