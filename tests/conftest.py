"""The backend matrix: every test taking ``engine`` runs on DuckDB and, when installed, PySpark.

Known gaps of an engine are strict xfails: ``@pytest.mark.xfail_engine("pyspark", reason=...)``.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wayfinder.engines import connect

HAVE_SPARK = importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None
ENGINES = ["duckdb"] + (["pyspark"] if HAVE_SPARK else [])
_workspace_numbers = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "xfail_engine(name, reason): a known gap of one engine, as a strict xfail"
    )
    if os.environ.get("CI") and not HAVE_SPARK:
        # CI installs the spark extra; a matrix that silently lost an engine is a failure.
        raise pytest.UsageError("CI must run the PySpark half of the backend matrix")


@pytest.fixture(scope="session")
def spark_engine(tmp_path_factory):
    if not HAVE_SPARK:
        pytest.skip("PySpark is not installed")
    warehouse = tmp_path_factory.mktemp("spark")
    # The in-memory catalog: the Derby metastore's DDL costs seconds per test.
    return connect(f"pyspark://local?warehouse={warehouse}&metastore=memory&partitions=1")


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    """A fresh engine: a new DuckDB file, or the shared local Spark session."""
    name = request.param
    for mark in request.node.iter_markers("xfail_engine"):
        if mark.args[0] == name:
            request.node.add_marker(pytest.mark.xfail(reason=mark.kwargs["reason"], strict=True))
    if name == "duckdb":
        eng = connect(f"duckdb:///{tmp_path / 'wf.duckdb'}")
        yield eng
        eng.close()
    else:
        yield request.getfixturevalue("spark_engine")


@pytest.fixture
def workspace_name():
    """A workspace name no other test uses (Spark's catalog is shared by the whole run)."""
    return f"t{next(_workspace_numbers)}_{os.getpid()}"


#: The demo every test on demo data shares: 20k people, seed 0, built once per run.
DEMO_PEOPLE = 20_000
DEMO_SEED = 0


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory):
    """The default demo built once through the public ingestion path: ``(db path, summary,
    seconds)``. Open it with ``wayfinder.open(f"duckdb:///{db}", "shop")`` and close it at the end
    of the module (DuckDB allows one read-write connection per file)."""
    import time

    from wayfinder.demo import build

    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.duckdb"
    started = time.perf_counter()
    summary = build(f"duckdb:///{db}", people=DEMO_PEOPLE, seed=DEMO_SEED, out_dir=tmp / "files")
    return db, summary, time.perf_counter() - started


#: Seeds of the planted-truth checks that must hold on more than one draw of the demo.
DEMO_SEEDS = (0, 1, 2)


def _start_build(seed: int, folder: Path) -> subprocess.Popen:
    """A demo build in its own process (not a fork: this one may hold a Spark JVM)."""
    code = (
        "import sys; from wayfinder.demo import build; "
        "build(f'duckdb:///{sys.argv[1]}', people=int(sys.argv[2]), seed=int(sys.argv[3]), "
        "out_dir=sys.argv[4])"
    )
    args = [folder / "demo.duckdb", DEMO_PEOPLE, seed, folder / "files"]
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture(scope="session")
def demo_seeds(request, tmp_path_factory):
    """``{seed: db path}`` for every seed of ``DEMO_SEEDS``, built once per run: seed 0 is
    ``demo_build``'s, the others build in other processes meanwhile. The why engine's planted
    truths are checked on all of them."""
    folders = {s: tmp_path_factory.mktemp(f"demo_seed{s}") for s in DEMO_SEEDS if s != DEMO_SEED}
    builds = [_start_build(s, f) for s, f in folders.items()]
    dbs = {DEMO_SEED: request.getfixturevalue("demo_build")[0]}
    for proc in builds:
        _, err = proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
    return dbs | {s: f / "demo.duckdb" for s, f in folders.items()}
