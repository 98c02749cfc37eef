"""The demo generator at scale: generation and ingestion timed apart, with peak memory.

Usage: ``python -m benchmarks.bench_demo [PEOPLE]`` (default 1,000,000: about 11M events); prints
one JSON line. Generation streams its files in chunks, so its peak memory should not grow with
``people``; ingestion goes through ``Workspace.ingest`` like any user's files.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(people: int = 1_000_000, seed: int = 0, directory: Path | None = None) -> dict:
    """Generate the demo for ``people`` and load it into a fresh DuckDB file; time both.

    With ``directory``, the files and ``demo.duckdb`` are kept there (for the journeys benchmark
    that follows); otherwise a temporary folder is used and removed.
    """
    if directory is None:
        with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
            return _run(people, seed, Path(tmp))
    directory.mkdir(parents=True, exist_ok=True)
    return _run(people, seed, directory)


def _run(people: int, seed: int, folder: Path) -> dict:
    from wayfinder.demo import generate, load

    database = folder / "demo.duckdb"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    files = generate(folder / "files", people=people, seed=seed)
    generate_seconds = time.perf_counter() - started
    generate_rss = peak_rss_mb()
    size = sum(p.stat().st_size for p in (folder / "files").rglob("*") if p.is_file())

    started = time.perf_counter()
    summary = load(f"duckdb:///{database}", files)
    ingest_seconds = time.perf_counter() - started
    assert summary.quarantined == 0, "the demo must load without quarantine"
    events = sum(st.tables["events"] for st in summary.status.values())
    return {
        "people": people,
        "database": str(database),
        "generate_seconds": round(generate_seconds, 2),
        "ingest_seconds": round(ingest_seconds, 2),
        "rows": summary.rows_loaded,
        "events": events,
        "events_per_second_ingest": round(events / ingest_seconds) if ingest_seconds else None,
        "file_mb": round(size / 2**20, 1),
        "peak_rss_mb_generate": round(generate_rss, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)))
