"""The staging pipeline, driven by a hand-made reader so it is tested apart from file formats."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from wayfinder.errors import FileUnreadable
from wayfinder.sources.base import Chunk, Rejection, content_hash
from wayfinder.store.ingest import ingest_files
from wayfinder.store.migrate import migrate
from wayfinder.store.schema import INPUT_TABLES

ACCOUNTS = INPUT_TABLES["accounts"]


def accounts_chunk(rows, rejections=()):
    """Chunk of account rows given as (line, account_id, name)."""
    schema = pa.schema(
        [f for f in ACCOUNTS.schema.to_pyarrow() if f.name not in ("source_file", "loaded_at")]
        + [pa.field("line", pa.int64())]
    )
    records = [
        {"account_id": a, "name": n, "line": line, "row_hash": content_hash(a, n)}
        for line, a, n in rows
    ]
    return Chunk(pa.Table.from_pylist(records, schema=schema), list(rejections))


def reader_of(*chunks, fail=False):
    def read(path: Path):
        yield from chunks
        if fail:
            raise FileUnreadable(f"cannot read {path}", hint="truncated")

    return read


def names(engine, ws):
    t = engine.table("accounts", ws)
    return sorted(engine.to_arrow(t.select("account_id", "name")).to_pylist(), key=str)


def test_loads_quarantines_and_dedups(engine, workspace_name, tmp_path):
    migrate(engine, workspace_name)
    bad = Rejection(line=3, reason="wrong_type", detail="employees: 'many'", raw="a3,many")
    chunk = accounts_chunk([(2, "a1", "Acme"), (4, "a2", "Zoë GmbH 😀")], [bad])
    summary = ingest_files(
        engine, workspace_name, [tmp_path / "a.csv"], "accounts", reader=reader_of(chunk)
    )
    assert summary.loaded == 2
    assert summary.quarantined == {"wrong_type": 1}
    assert summary.exit_code == 3
    assert names(engine, workspace_name) == [
        {"account_id": "a1", "name": "Acme"},
        {"account_id": "a2", "name": "Zoë GmbH 😀"},
    ]
    q = engine.to_arrow(engine.table("quarantine", workspace_name)).to_pylist()
    assert [(r["line"], r["reason"], r["raw"]) for r in q] == [(3, "wrong_type", "a3,many")]

    again = ingest_files(
        engine, workspace_name, [tmp_path / "a.csv"], "accounts", reader=reader_of(chunk)
    )
    assert (again.loaded, again.duplicates) == (0, 2)
    assert engine.scalar(engine.table("quarantine", workspace_name).count()) == 1
    assert engine.scalar(engine.table("accounts", workspace_name).count()) == 2


def test_in_file_copies_and_conflicts(engine, workspace_name, tmp_path):
    migrate(engine, workspace_name)
    chunk = accounts_chunk([(2, "a1", "Acme"), (3, "a1", "Acme"), (4, "a1", "Other name")])
    summary = ingest_files(
        engine, workspace_name, [tmp_path / "a.csv"], "accounts", reader=reader_of(chunk)
    )
    assert (summary.loaded, summary.duplicates) == (1, 1)
    assert summary.quarantined == {"duplicate_key": 1}
    q = engine.to_arrow(engine.table("quarantine", workspace_name)).to_pylist()
    assert q[0]["line"] == 4 and "Other name" in q[0]["raw"]


def test_changed_object_is_a_new_version(engine, workspace_name, tmp_path):
    migrate(engine, workspace_name)
    first = accounts_chunk([(2, "a1", "Acme")])
    ingest_files(engine, workspace_name, [tmp_path / "a.csv"], "accounts", reader=reader_of(first))
    renamed = accounts_chunk([(2, "a1", "Acme Inc")])
    summary = ingest_files(
        engine, workspace_name, [tmp_path / "b.csv"], "accounts", reader=reader_of(renamed)
    )
    assert (summary.loaded, summary.updated, summary.duplicates) == (0, 1, 0)
    assert engine.scalar(engine.table("accounts", workspace_name).count()) == 2


def test_unreadable_file_loads_nothing(engine, workspace_name, tmp_path):
    migrate(engine, workspace_name)
    chunk = accounts_chunk([(2, "a1", "Acme")], [Rejection(3, "wrong_type", "x", "raw")])
    good = accounts_chunk([(2, "b1", "Beta")])
    readers = {"bad.csv": reader_of(chunk, fail=True), "good.csv": reader_of(good)}
    summary = ingest_files(
        engine,
        workspace_name,
        [tmp_path / "bad.csv", tmp_path / "good.csv"],
        "accounts",
        reader=lambda p: readers[p.name](p),
    )
    assert summary.exit_code == 4
    assert [f.error is not None for f in summary.files] == [True, False]
    assert "truncated" in summary.files[0].error
    assert names(engine, workspace_name) == [{"account_id": "b1", "name": "Beta"}]
    assert engine.scalar(engine.table("quarantine", workspace_name).count()) == 0
    leftovers = [t for t in engine.list_tables(workspace_name) if t.startswith("stage_")]
    assert leftovers == []


def test_unknown_kind_is_named(engine, workspace_name):
    from wayfinder.errors import UnknownName

    with pytest.raises(UnknownName, match="unknown kind: invoices"):
        ingest_files(engine, workspace_name, [], "invoices")


def test_event_conflict_goes_to_quarantine(engine, workspace_name, tmp_path):
    migrate(engine, workspace_name)
    events = INPUT_TABLES["events"]
    schema = pa.schema(
        [f for f in events.schema.to_pyarrow() if f.name not in ("source_file", "loaded_at")]
        + [pa.field("line", pa.int64())]
    )

    def chunk(event_name, line):
        row = {
            "message_id": "m1",
            "type": "track",
            "event": event_name,
            "identity_key": "anonymous_id:a",
            "anonymous_id": "a",
            "timestamp": datetime(2026, 1, 1),
            "row_hash": content_hash(event_name),
            "line": line,
        }
        return Chunk(pa.Table.from_pylist([row], schema=schema))

    ingest_files(
        engine, workspace_name, [tmp_path / "1"], "events", reader=reader_of(chunk("A", 1))
    )
    summary = ingest_files(
        engine, workspace_name, [tmp_path / "2"], "events", reader=reader_of(chunk("B", 1))
    )
    assert summary.loaded == 0 and summary.quarantined == {"duplicate_message_id": 1}
    stored = engine.to_arrow(engine.table("events", workspace_name).select("event")).to_pylist()
    assert stored == [{"event": "A"}]
