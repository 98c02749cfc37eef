"""The attribution benchmark on a few thousand journeys: its data agree with themselves, its cases
run and its section reads the figures right (`make test` installs the peers: the bench extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

# `benchmarks` is a package at the repository's root, which `pytest` alone (unlike
# `python -m pytest`) does not put on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import attribution_data as data  # noqa: E402
from benchmarks import attribution_report as report  # noqa: E402
from benchmarks.bench_attribution import run_case  # noqa: E402

N = 5000


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("attribution")
    data.write(N, directory)
    return directory


def test_the_path_table_and_the_touches_hold_the_same_journeys(bench_dir):
    journeys = data.simulate(N)
    paths = pacsv.read_csv(
        bench_dir / "paths.csv", parse_options=pacsv.ParseOptions(delimiter=";")
    ).to_pydict()
    touches = pq.read_table(bench_dir / "touches.parquet").to_pydict()
    conversions = int(journeys["converted"].sum())
    assert sum(paths["total_conversions"]) + sum(paths["total_null"]) == N
    assert sum(paths["total_conversions"]) == sum(touches["converted"]) == conversions
    assert sum(paths["total_conversion_value"]) == pytest.approx(journeys["value"].sum())
    assert sum(touches["value"]) == pytest.approx(journeys["value"].sum())
    assert len(set(paths["path"])) == len(paths["path"])
    # Path lengths weighted by journeys give every touch once.
    weights = np.add(paths["total_conversions"], paths["total_null"])
    lengths = [len(p.split(" > ")) for p in paths["path"]]
    assert int(np.dot(weights, lengths)) == len(touches["channel"]) == journeys["length"].sum()
    # Realistic shape: a few percent convert, journeys run from 1 touch to beyond 10.
    assert 0.02 < conversions / N < 0.07
    assert min(lengths) == 1 and max(lengths) > 10
    # Within a journey, time runs forward and the conversion sits on the last touch.
    ids, stamps = np.array(touches["journey_id"]), np.array(touches["timestamp"])
    same = ids[1:] == ids[:-1]
    assert (stamps[1:][same] >= stamps[:-1][same]).all()
    last = np.r_[~same, True]
    assert not np.array(touches["converted"])[~last].any()


def test_generation_is_deterministic_and_reused(bench_dir):
    first = data.simulate(500, seed=3)
    again = data.simulate(500, seed=3)
    assert (first["touches"] == again["touches"]).all()
    stamp = (bench_dir / "paths.csv").stat().st_mtime_ns
    assert data.write(N, bench_dir)["journeys"] == N
    assert (bench_dir / "paths.csv").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("case", ["wayfinder markov_1", "wayfinder from_paths"])
def test_a_wayfinder_case_reports_time_memory_and_credits(bench_dir, case):
    out = run_case(bench_dir, case)
    conversions = data.simulate(N)["converted"].sum()
    assert out["seconds"] > 0 and out["peak_mb"] >= out["call_mb"] >= 0
    assert set(out["credits"]) >= {"markov_1"}
    credit = out["credits"]["markov_1"]
    assert sum(c for c, _ in credit.values()) == pytest.approx(conversions)


def test_channelattribution_heuristics_equal_wayfinders(bench_dir):
    ours = {m: run_case(bench_dir, f"wayfinder {m}") for m in ("first_touch", "linear")}
    theirs = run_case(bench_dir, "channelattribution heuristic_models")
    for model, mine in ours.items():
        # Exactly equal up to float rounding: the difference prints as a tiny exponent.
        assert float(report._difference(mine, theirs, [model]).rstrip("%")) < 1e-9


def test_the_section_reads_figures_errors_and_the_target():
    def fig(seconds, credits):
        return {"seconds": seconds, "cpu_seconds": seconds, "peak_mb": 100.0, "call_mb": 10.0,
                "credits": {"markov_1": credits}}  # fmt: skip

    r = {
        "wayfinder markov_1": fig(0.5, {"A": [10.0, 1.0], "B": [30.0, 3.0]}),
        "wayfinder parse": {"seconds": 0.5},
        "channelattribution markov_1 defaults": fig(2.0, {"A": [11.0, 1.0], "B": [29.0, 3.0]}),
        "channelattribution markov_1 1e7": {"error": "did not finish within 600 s"},
    }
    row = report._row("m", r, ["wayfinder markov_1"], "channelattribution markov_1 defaults",
                      ["markov_1"])  # fmt: skip
    # CA is 2.0 / 0.5 = 4x the time; A's credit is 10% off, B's 1/30.
    assert row == "| m | 0.50 s, 100 MB (+10) | 2.00 s, 100 MB (+10) | 4.0x | 10.00% |"
    failed = report._row("m", r, ["wayfinder markov_1"], "channelattribution markov_1 1e7",
                         ["markov_1"])  # fmt: skip
    assert "did not finish within 600 s | n/a | n/a |" in failed
    target = report._target(r)
    assert "order 1: 0.50 s (+ 0.50 s parse) against 2.00 s, 2.0x faster" in target
    assert target.endswith("order 3: not measured")
