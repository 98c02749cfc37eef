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

from journeys import load, replace_events
from wayfinder.engines import connect
from wayfinder.store.schema import META, TABLES
from wayfinder.workspace import Workspace

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
    engine = connect(f"pyspark://local?warehouse={warehouse}&metastore=memory&partitions=1")
    # Test data is a few rows, so Spark's per-query overheads dominate: compiling generated Java
    # for each plan (whole-stage and expression codegen) costs seconds a query, and adaptive
    # execution re-plans stages; interpreted, unadaptive plans give the same answers faster.
    for key, value in {
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        "spark.sql.adaptive.enabled": "false",
    }.items():
        engine.session.conf.set(key, value)
    return engine


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


@pytest.fixture(scope="module")
def spark_module_workspace(spark_engine) -> Workspace:
    """One Spark workspace a whole module's tests share, each emptying it first (``emptied``):
    creating a workspace on Spark, or even opening one (its tables' schemas checked), costs
    ~4.5 s."""
    return Workspace(spark_engine, f"m{next(_workspace_numbers)}_{os.getpid()}")


def emptied(ws: Workspace) -> Workspace:
    """``ws`` (on Spark) as a new workspace would be: every table emptied, the derived
    touchpoints dropped, no excluded people."""
    namespace = ws.engine.namespace(ws.name)
    for table in TABLES:
        if table != META.name:  # the schema version a new workspace writes too
            ws.engine.session.sql(f"TRUNCATE TABLE `{namespace}`.`{table}`")
    ws._drop_derived()  # as new data does: drops the touchpoints, forgets the ask lexicon
    ws.excluded_people = []
    return ws


@pytest.fixture
def load_journeys(engine, workspace_name, request):
    """``load_journeys(journeys)``: like ``journeys.load``, a workspace on ``engine`` holding
    exactly these journeys' events. DuckDB gets a fresh workspace each call (a new file costs
    little); Spark empties and reuses its module's one, as creating a workspace there costs
    ~4.5 s."""

    def make(journeys: dict[str, list[dict]]) -> Workspace:
        if engine.name != "pyspark":
            return load(engine, workspace_name, journeys)
        ws = emptied(request.getfixturevalue("spark_module_workspace"))
        replace_events(ws, journeys)
        return ws

    return make


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


#: People in the small demo the server tests serve: enough for every analysis to answer.
SMALL_DEMO_PEOPLE = 2_000


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A 2,000-person demo (seed 0) built once per run through the CLI; copy it before serving
    (``server_helpers.served_copy``), since a server owns the file it serves."""
    folder = tmp_path_factory.mktemp("small-demo")
    db = folder / "demo.duckdb"
    built = subprocess.run(
        [sys.executable, "-m", "wayfinder", "--db", str(db), "demo",
         "--people", str(SMALL_DEMO_PEOPLE), "--seed", "0", "--out", str(folder / "files")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return db
