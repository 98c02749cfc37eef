"""Runs every benchmark, each case in its own process (so peak memory is its own), and writes
``benchmarks/RESULTS.md``: each figure beside a baseline measured in the same run.

Usage: ``python -m benchmarks.run [--events N] [--people N] [--journeys N]`` (defaults: 1M events,
1M people, 1M attribution journeys); ``--only-attribution`` re-measures only attribution,
``--only-collect`` only the collection load run against a real server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def run_case(name: str, *args: str) -> dict:
    """Run one case in a fresh interpreter; it prints one JSON line with its figures."""
    cmd = [sys.executable, "-m", "benchmarks.cases", name, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        mem = "?"
    return f"{cpu}, {os.cpu_count()} cores, {mem} RAM, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument(
        "--demo-people", type=int, default=1_000_000, help="0 skips the demo and journeys cases"
    )
    parser.add_argument(
        "--only-analyses",
        metavar="DB",
        help="run only the journey analyses on an existing demo database and replace their section",
    )
    parser.add_argument(
        "--only-drivers",
        metavar="DB",
        help="run only the conversion-drivers benchmark on an existing demo database",
    )
    parser.add_argument(
        "--only-ask",
        metavar="DB",
        help="run only the ask benchmark (parse time, scores) on an existing demo database",
    )
    parser.add_argument(
        "--only-demo",
        action="store_true",
        help="run only the demo and journeys cases and replace their section of RESULTS.md",
    )
    parser.add_argument(
        "--journeys",
        type=int,
        default=1_000_000,
        help="synthetic journeys for the attribution benchmark; 0 skips it",
    )
    parser.add_argument(
        "--attribution-timeout", type=float, default=600.0, help="seconds per attribution case"
    )
    parser.add_argument(
        "--only-attribution",
        action="store_true",
        help="run only the attribution benchmark and replace its section of RESULTS.md",
    )
    parser.add_argument(
        "--collect-seconds",
        type=float,
        default=60.0,
        help="how long the senders post to the server in the collection load run; 0 skips it",
    )
    parser.add_argument("--collect-senders", type=int, default=4, help="concurrent senders")
    parser.add_argument(
        "--only-collect",
        action="store_true",
        help="run only the collection load benchmark and replace its section of RESULTS.md",
    )
    args = parser.parse_args()
    if args.only_collect:
        collect(args)
        return
    if args.only_attribution:
        attribution(args)
        return
    if args.only_demo:
        refresh_demo_section(args.demo_people or 1_000_000)
        return
    if args.only_analyses:
        replace_section(ANALYSES_HEADING, analyses_section(Path(args.only_analyses)))
        return
    if args.only_drivers:
        drivers(Path(args.only_drivers))
        return
    if args.only_ask:
        ask(Path(args.only_ask))
        return

    from benchmarks.segment_data import write

    print(f"generating {args.events:,} Segment events", flush=True)
    jsonl, parquet = write(args.events, DATA)
    results: dict[str, dict] = {}
    for name, path in (("jsonl", jsonl), ("parquet", parquet)):
        print(f"ingest {name}", flush=True)
        results[f"wayfinder_{name}"] = run_case("ingest", str(path))
        results[f"duckdb_{name}"] = run_case(f"duckdb_{name}", str(path))
    print(f"identity stitching, {args.people:,} people", flush=True)
    results["identity"] = run_case("identity", str(args.people))
    if args.demo_people:
        results["demo"], results["journeys"] = demo_cases(args.demo_people)

    text = render(args, results, jsonl, parquet)
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    if args.demo_people:
        replace_section(ANALYSES_HEADING, analyses_section(Path(results["demo"]["database"])))
        drivers(Path(results["demo"]["database"]))
        ask(Path(results["demo"]["database"]))
    print(text)
    if args.collect_seconds:
        collect(args)
    if args.journeys:
        attribution(args)


def drivers(database: Path) -> None:
    """Conversion drivers over the demo's shop workspace beside a bare scan of the same rows."""
    from benchmarks.bench_drivers import HEADING, section

    replace_section(HEADING, section(database, machine()))


def ask(database: Path) -> None:
    """Reading questions: parse time beside tokenising, and the scores of each question set."""
    from benchmarks.bench_ask import HEADING, section

    replace_section(HEADING, section(database, machine()))


def collect(args) -> None:
    """Segment senders against a real server, beside file ingestion of the same events."""
    from benchmarks.bench_collect import HEADING, section

    seconds = args.collect_seconds or 60.0
    replace_section(HEADING, section(DATA / "collect", machine(), seconds, args.collect_senders))


def attribution(args) -> None:
    """Every attribution model beside ChannelAttribution and marketing-attribution-models."""
    from benchmarks.attribution_report import HEADING, section

    replace_section(HEADING, section(args.journeys or 1_000_000, args.attribution_timeout))


ANALYSES_HEADING = "## Journey analyses"
ANALYSIS_MODES = ("scan", "wayfinder", "pandas")


def analyses_section(database: Path) -> list[str]:
    """Each analysis on the demo's shop workspace beside a bare grouped scan and a pandas twin."""
    from benchmarks.bench_analyses import SPECS

    figures: dict[str, dict[str, dict]] = {}
    for case in SPECS:
        for mode in ANALYSIS_MODES:
            print(f"analysis {case}: {mode}", flush=True)
            cmd = [sys.executable, "-m", "benchmarks.bench_analyses", str(database), case, mode]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE.parent)
            figures.setdefault(case, {})[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    events = figures[next(iter(SPECS))]["pandas"]["rows"]
    lines = [
        ANALYSES_HEADING,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine()}.",
        "",
        f"The demo's `shop` workspace ({events:,} events) from `{database.name}`. Each analysis "
        "runs through `Workspace.run` (spec in `benchmarks/bench_analyses.py`), beside (a) a bare "
        "grouped scan of the same columns (`count(*) GROUP BY person` over events joined to "
        "identity_map, "
        "in DuckDB) and (b) the same analysis written plainly in pandas (load from DuckDB and "
        "compute timed apart), each in its own process. *agree* compares the figures both "
        "report (top path count, people per funnel step, orders, cohort sizes).",
        "",
        "| analysis | Wayfinder | bare scan | vs. scan | pandas compute (+ load) "
        "| pandas / Wayfinder "
        "| peak RSS Wayfinder / pandas | agree |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case, f in figures.items():
        ours, scan, pd_ = f["wayfinder"], f["scan"], f["pandas"]
        pandas_total = pd_["seconds"] + pd_["load_seconds"]
        agree = all(pd_["check"].get(k) == v for k, v in ours["check"].items())
        lines.append(
            f"| {case} | {ours['seconds']:.2f} s | {scan['seconds']:.2f} s | "
            f"{ours['seconds'] / scan['seconds']:.1f}x | {pd_['seconds']:.2f} s "
            f"(+ {pd_['load_seconds']:.2f} s) | {pandas_total / ours['seconds']:.1f}x | "
            f"{ours['peak_rss_mb']:,.0f} / {pd_['peak_rss_mb']:,.0f} MB | "
            f"{'yes' if agree else 'NO: ' + json.dumps(ours['check'])} |"
        )
    lines += [
        "",
        "Targets (issue 4): within 4x of the bare scan, at least 5x faster than pandas (load "
        "included). Answers of this run:",
        "",
        *[f"- {case}: {f['wayfinder']['answer']}" for case, f in figures.items()],
    ]
    return lines


def replace_section(heading: str, section: list[str]) -> None:
    """Put ``section`` in RESULTS.md in place of the one under ``heading`` (or at the end)."""
    results = HERE / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    before, found, after = text.partition("\n" + heading)
    rest = ""
    if found:
        nxt = after.find("\n## ")
        rest = after[nxt:] if nxt >= 0 else ""
    text = before.rstrip("\n") + "\n\n" + "\n".join(section) + "\n" + rest
    results.write_text(text, encoding="utf-8")
    print("\n".join(section))


DEMO_HEADING = "## Demo generation and journeys"


def demo_cases(people: int) -> tuple[dict, dict]:
    print(f"demo generation and ingestion, {people:,} people", flush=True)
    demo = run_case("demo", str(people), str(DATA / f"demo_{people}"))
    print("sessions and touchpoints on the demo's shop workspace", flush=True)
    return demo, run_case("journeys", demo["database"], "shop")


def refresh_demo_section(people: int) -> None:
    """Re-measure only the demo and journeys figures; the other sections stay as they were."""
    demo, journeys = demo_cases(people)
    section = demo_section(demo, journeys)
    section.insert(2, f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {machine()}.")
    section.insert(3, "")
    replace_section(DEMO_HEADING, section)


def render(args, r: dict, jsonl: Path, parquet: Path) -> str:
    def row(label: str, ours: dict, base: dict) -> str:
        ratio = ours["seconds"] / base["seconds"]
        return (
            f"| {label} | {ours['seconds']:.1f} s ({ours['rows'] / ours['seconds']:,.0f} ev/s, "
            f"{ours['peak_rss_mb']:,.0f} MB) | {base['seconds']:.1f} s "
            f"({base['rows'] / base['seconds']:,.0f} ev/s, {base['peak_rss_mb']:,.0f} MB) "
            f"| {ratio:.1f}x |"
        )

    ident = r["identity"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `make bench` on: {machine()}.",
        "Each case runs in its own process; peak memory is that process's maximum RSS.",
        "",
        "## Ingestion",
        "",
        f"{args.events:,} Segment events (page, track, identify; about "
        f"{jsonl.stat().st_size / args.events:.0f} bytes each as JSON). Wayfinder validates every",
        "event, normalises it (timestamps, clock skew, traits, UTMs, click ids), stages it, dedups",
        "it on messageId and appends it to the `events` table, quarantining bad rows. The",
        "baseline is DuckDB's own reader loading the same rows into a plain table in the same run,",
        "with no validation. Identity stitching is excluded (`--no-stitch`) and measured below.",
        "",
        "| input | Wayfinder ingest | DuckDB baseline | ratio (Wayfinder / baseline) |",
        "|---|---|---|---|",
        row(
            f"JSONL ({jsonl.stat().st_size / 1e6:,.0f} MB)", r["wayfinder_jsonl"], r["duckdb_jsonl"]
        ),
        row(
            f"Parquet ({parquet.stat().st_size / 1e6:,.0f} MB)",
            r["wayfinder_parquet"],
            r["duckdb_parquet"],
        ),
        "",
        "## Identity stitching",
        "",
        f"{ident['people']:,} planted people with {ident['identifiers']:,} identifiers "
        f"({ident['edges']:,} identity edges: cross-device logins, e-mails, a shared kiosk device,",
        "junk ids), stitched in DuckDB by label propagation with pointer jumping. Baseline: a bare",
        "scan of the same events (`count(DISTINCT identity_key)`) in the same run.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| stitching time (full run) | {ident['seconds']:.1f} s |",
        f"| bare scan of the same events | {ident['baseline_scan_seconds']:.2f} s |",
        f"| ratio (stitching / scan) | {ident['ratio_to_scan']:.0f}x |",
        f"| rounds to converge | {ident['iterations']} |",
        f"| people found / planted | {ident['persons_found']:,} / {ident['persons_planted']:,} |",
        f"| hub identifiers reported, not merged | {ident['hubs']} |",
        f"| peak memory while stitching (RSS) | {ident['peak_rss_mb']:,.0f} MB |",
        f"| incremental run after 1,000 new visitors | {ident['incremental_seconds']:.1f} s |",
    ]
    if "demo" in r:
        lines += demo_section(r["demo"], r["journeys"])
    return "\n".join(lines) + "\n"


def demo_section(demo: dict, jr: dict) -> list[str]:
    def ratio(name: str) -> str:
        value = jr.get(f"{name}_vs_baseline")
        return f"{value:,.0f}x" if value else "n/a"

    return [
        "",
        DEMO_HEADING,
        "",
        f"The demo firm (`wayfinder demo --people {demo['people']:,}`: the shop and the SaaS unit,",
        f"{demo['events']:,} events and {demo['rows']:,} rows in all, {demo['file_mb']:,.0f} MB of",
        "files) generated, then loaded through the public ingestion path with identity stitching.",
        "",
        "| step | time | peak memory (RSS) |",
        "|---|---|---|",
        f"| generate the files | {demo['generate_seconds']:,.0f} s | "
        f"{demo['peak_rss_mb_generate']:,.0f} MB |",
        f"| ingest and stitch ({demo['events_per_second_ingest']:,} events/s) | "
        f"{demo['ingest_seconds']:,.0f} s | {demo['peak_rss_mb']:,.0f} MB |",
        "",
        f"Sessions and touchpoints of the `shop` workspace ({jr['events']:,} events), each",
        "materialised as a table, next to a bare grouped scan of the same events",
        "(`count(*) GROUP BY identity_key`, materialised) in the same process:",
        "",
        "| step | time | vs. bare scan | rows | peak memory (RSS) |",
        "|---|---|---|---|---|",
        f"| bare scan | {jr['baseline_seconds']:.2f} s | 1x | {jr['baseline_rows']:,} | "
        f"{jr['peak_rss_mb_baseline']:,.0f} MB |",
        f"| sessions | {jr['sessions_seconds']:,.1f} s | {ratio('sessions')} | "
        f"{jr['sessions']:,} | {jr['peak_rss_mb_sessions']:,.0f} MB |",
        f"| build touchpoints | {jr['touchpoints_seconds']:,.1f} s | {ratio('touchpoints')} | "
        f"{jr['touchpoints']:,} | {jr['peak_rss_mb']:,.0f} MB |",
    ]


if __name__ == "__main__":
    main()
