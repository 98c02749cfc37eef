from datetime import datetime

import ibis
import pyarrow as pa
import pytest

from wayfinder.engines import connect
from wayfinder.errors import ConfigError, UnknownName
from wayfinder.store.migrate import migrate, schema_version
from wayfinder.store.schema import SCHEMA_VERSION, TABLES


def test_unknown_engine_is_named():
    with pytest.raises(UnknownName, match="unknown engine: mysql"):
        connect("mysql://localhost/db")


@pytest.mark.parametrize("bad", ["", "Default", "1abc", "a-b", "x" * 41, "a;drop"])
def test_workspace_names_are_checked(tmp_path, bad):
    eng = connect(tmp_path / "w.duckdb")
    with pytest.raises(ConfigError, match="workspace name"):
        eng.namespace(bad)


def test_duckdb_path_forms(tmp_path):
    eng = connect(f"duckdb:///{tmp_path}/a.duckdb")
    assert eng.name == "duckdb"
    eng.ensure_workspace("default")
    assert "default" in eng.list_workspaces()
    eng.close()
    assert (tmp_path / "a.duckdb").exists()


def test_migrate_is_idempotent(engine, workspace_name):
    first = migrate(engine, workspace_name)
    assert set(first.created) == set(TABLES)
    second = migrate(engine, workspace_name)
    assert not second.changed
    assert schema_version(engine, workspace_name) == SCHEMA_VERSION
    for name, spec in TABLES.items():
        assert engine.table(name, workspace_name).columns == tuple(spec.schema.names)


def test_migrate_adds_new_columns(engine, workspace_name):
    engine.ensure_workspace(workspace_name)
    old = ibis.schema({"key": "string"})  # an older store's meta table without `value`
    engine.create_table("wayfinder_meta", workspace_name, old)
    report = migrate(engine, workspace_name)
    assert report.columns_added == {"wayfinder_meta": ["value"]}
    assert "value" in engine.table("wayfinder_meta", workspace_name).columns


def test_arrow_insert_keeps_nulls_and_unicode(engine, workspace_name):
    engine.ensure_workspace(workspace_name)
    schema = ibis.schema({"s": "string", "n": "int64", "t": "timestamp", "b": "boolean"})
    engine.create_table("x", workspace_name, schema)
    data = pa.table(
        {
            "s": ["Zoë 😀 北京", None],
            "n": pa.array([1, None], pa.int64()),
            "t": pa.array([datetime(2026, 3, 1, 12, 30), None], pa.timestamp("us")),
            "b": [True, None],
        }
    )
    engine.insert("x", workspace_name, data)
    back = engine.to_arrow(engine.table("x", workspace_name).order_by("n")).to_pylist()
    assert {"s": "Zoë 😀 北京", "n": 1, "t": datetime(2026, 3, 1, 12, 30), "b": True} in back
    assert {"s": None, "n": None, "t": None, "b": None} in back


def test_workspaces_are_isolated(engine, workspace_name):
    other = workspace_name + "_b"
    migrate(engine, workspace_name)
    migrate(engine, other)
    meta = TABLES["wayfinder_meta"].schema.to_pyarrow()
    engine.insert("wayfinder_meta", workspace_name, pa.table({"key": ["k"], "value": ["v"]}, meta))
    a = engine.table("wayfinder_meta", workspace_name)
    b = engine.table("wayfinder_meta", other)
    assert engine.scalar(a.filter(a.key == "k").count()) == 1
    assert engine.scalar(b.filter(b.key == "k").count()) == 0


def test_portable_strip_keeps_letters_spark_trim_would_eat(engine, workspace_name):
    from wayfinder.engines.portable import strip

    engine.ensure_workspace(workspace_name)
    engine.create_table("s", workspace_name, ibis.schema({"t": "string", "k": "int64"}))
    values = ["  facebook\t", "vivid", "\n fox  box \r\n", "", None, "f"]
    engine.insert("s", workspace_name, pa.table({"t": values, "k": list(range(len(values)))}))
    t = engine.table("s", workspace_name)
    out = engine.to_arrow(t.order_by("k").select(v=strip(t.t))).column("v").to_pylist()
    assert out == ["facebook", "vivid", "fox  box", "", None, "f"]


def test_duckdb_arrow_inserts_leave_nothing_registered(tmp_path):
    # Ibis keeps every inserted Arrow table registered until the connection closes (a leak of
    # hundreds of MB per million rows); the engine must unregister what it registers.
    eng = connect(tmp_path / "leak.duckdb")
    eng.ensure_workspace("default")
    eng.create_table("x", "default", ibis.schema({"a": "int64"}))
    for i in range(3):
        eng.insert("x", "default", pa.table({"a": [i, i + 1]}))
    views = eng.backend.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
    assert views.fetchall() == []
    assert eng.scalar(eng.table("x", "default").count()) == 6
