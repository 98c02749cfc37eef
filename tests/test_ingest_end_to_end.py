"""Files in, tables out: the public ingestion path on every engine, with every bad-input class."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import wayfinder
from wayfinder.store.schema import INPUT_TABLES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"

GOOD = {
    "type": "track",
    "anonymousId": "anon-1",
    "event": "Product Viewed",
    "timestamp": "2026-03-01T10:00:00Z",
}


def line(**fields) -> str:
    return json.dumps({**GOOD, **fields}, ensure_ascii=False)


def bad_events_file(tmp_path: Path) -> Path:
    """One valid event between each class of bad event, in JSONL."""
    too_big = line(messageId="big", properties={"blob": "x" * 33_000})
    rows = [
        line(messageId="ok-1"),
        '{"type": "track", "anonymousId": "a", "event": "X"',  # malformed JSON
        json.dumps({k: v for k, v in GOOD.items() if k != "type"} | {"messageId": "no-type"}),
        json.dumps({k: v for k, v in GOOD.items() if k != "anonymousId"} | {"messageId": "no-id"}),
        line(messageId="bad-ts", timestamp="yesterday-ish"),
        json.dumps({k: v for k, v in GOOD.items() if k != "event"} | {"messageId": "no-name"}),
        line(messageId="bad-props", properties=["not", "an", "object"]),
        too_big,
        line(messageId="ok-1", event="Something else"),  # same messageId, different event
        line(messageId="ok-2", anonymousId="anon-2"),
        line(messageId="kind", type="purchase"),  # an unknown kind of call
        line(messageId="ok-3", anonymousId="anon-3", traits={"name": "Zoë 😀 北京"}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_every_bad_event_class_is_quarantined_and_the_rest_load(engine, workspace_name, tmp_path):
    wf = wayfinder.Workspace(engine, workspace_name)
    summary = wf.ingest(bad_events_file(tmp_path), "events")
    assert summary.loaded == 3
    assert summary.quarantined == {
        "malformed_json": 1,
        "missing_type": 1,
        "missing_identity": 1,
        "bad_timestamp": 1,
        "missing_event_name": 1,
        "properties_not_object": 1,
        "event_too_large": 1,
        "duplicate_message_id": 1,
        "unknown_type": 1,
    }
    assert summary.exit_code == 3
    q = wf.quarantine().to_pylist()
    by_reason = {r["reason"]: r for r in q}
    assert by_reason["malformed_json"]["line"] == 2
    assert by_reason["event_too_large"]["line"] == 8
    assert by_reason["duplicate_message_id"]["line"] == 9
    assert all(r["raw"] and r["source_file"].endswith("mixed.jsonl") for r in q)
    events = wf.table("events")
    ids = sorted(engine.to_arrow(events.select("message_id")).column("message_id").to_pylist())
    assert ids == ["ok-1", "ok-2", "ok-3"]
    traits = engine.to_arrow(events.filter(events.message_id == "ok-3").select("traits"))
    assert json.loads(traits.column("traits")[0].as_py()) == {"name": "Zoë 😀 北京"}

    again = wf.ingest(bad_events_file(tmp_path), "events")
    assert again.loaded == 0 and again.duplicates == 3
    assert engine.scalar(wf.table("events").count()) == 3
    assert engine.scalar(wf.table("quarantine").count()) == len(q)


def test_batch_and_jsonl_round_trip_all_call_types(engine, workspace_name, tmp_path):
    wf = wayfinder.Workspace(engine, workspace_name)
    calls = [
        {"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"email": "A@x.io"}},
        {
            "type": "track",
            "userId": "u1",
            "event": "Order Completed",
            "properties": {"revenue": 12.5, "currency": "EUR"},
        },
        {"type": "page", "anonymousId": "a1", "name": "Home", "properties": {"path": "/"}},
        {"type": "screen", "userId": "u1", "name": "Cart"},
        {"type": "group", "userId": "u1", "groupId": "acc-1"},
        {"type": "alias", "userId": "u1", "previousId": "a0"},
    ]
    for i, call in enumerate(calls):
        call |= {"messageId": f"m{i}", "timestamp": f"2026-03-0{i + 1}T10:00:00Z"}
    batch = tmp_path / "batch.json.gz"
    with gzip.open(batch, "wt", encoding="utf-8") as fh:
        json.dump({"batch": calls[:3], "sentAt": "2026-03-10T00:00:00Z"}, fh)
    jsonl = tmp_path / "calls.jsonl"
    jsonl.write_text("\n".join(json.dumps(c) for c in calls[3:]), encoding="utf-8")

    summary = wf.ingest([batch, jsonl], "events")
    assert (summary.loaded, summary.quarantined, summary.exit_code) == (6, {}, 0)
    rows = engine.to_arrow(
        wf.table("events").order_by("message_id").select("type", "revenue", "email", "group_id")
    ).to_pylist()
    assert [r["type"] for r in rows] == ["identify", "track", "page", "screen", "group", "alias"]
    assert rows[1]["revenue"] == 12.5
    assert rows[0]["email"] == "a@x.io"
    assert rows[4]["group_id"] == "acc-1"
    # a1, a0 and u1 are one person
    status = wf.status()
    assert status.identity.people == 1


def test_every_sample_file_loads_cleanly(engine, workspace_name):
    wf = wayfinder.Workspace(engine, workspace_name)
    for kind in INPUT_TABLES:
        files = sorted(EXAMPLES.glob(f"{kind}.*"))
        if kind == "events":
            files.append(EXAMPLES / "events_batch.json")
        files = [f for f in files if f.suffix != ".py"]
        assert files, f"no sample file for {kind}"
        summary = wf.ingest(files, kind, stitch=False)
        assert summary.exit_code == 0, (kind, summary.to_dict())
        assert summary.loaded > 0, kind
    wf.stitch()
    status = wf.status()
    assert status.quarantine == {}
    assert all(status.tables[k] > 0 for k in INPUT_TABLES)
    assert status.identity.people > 0


def test_unreadable_file_is_named_and_others_load(engine, workspace_name, tmp_path):
    wf = wayfinder.Workspace(engine, workspace_name)
    good = tmp_path / "good.jsonl"
    good.write_text(line(messageId="g1") + "\n", encoding="utf-8")
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"type": "track"}\n' * 1000)[:60])
    summary = wf.ingest([broken, tmp_path / "missing.jsonl", good], "events")
    assert summary.exit_code == 4
    errors = [f.error for f in summary.files]
    assert errors[0] and "broken.jsonl.gz" in errors[0]
    assert errors[1] and "missing.jsonl" in errors[1]
    assert errors[2] is None and summary.loaded == 1


@pytest.mark.parametrize("kind", ["deals"])
def test_crm_bad_rows(engine, workspace_name, tmp_path, kind):
    wf = wayfinder.Workspace(engine, workspace_name)
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal_id,amount,created_at,stage\n"
        "d1,1200.50,2026-02-01,Closed Won\n"
        "d2,lots,2026-02-02,Proposal\n"
        "d3,300,,Proposal\n"
        "d4,99,2026-02-04,Négociation 🤝\n",
        encoding="utf-8",
    )
    summary = wf.ingest(path, kind)
    assert summary.loaded == 2
    assert summary.quarantined == {"wrong_type": 1, "missing_required": 1}
    stages = engine.to_arrow(wf.table("deals").order_by("deal_id").select("stage")).to_pylist()
    assert stages[1]["stage"] == "Négociation 🤝"

    missing_column = tmp_path / "no_ids.csv"
    missing_column.write_text("amount,created_at\n5,2026-01-01\n6,2026-01-02\n", encoding="utf-8")
    summary = wf.ingest(missing_column, kind)
    assert summary.loaded == 0 and summary.quarantined == {"missing_required": 2}
    detail = wf.quarantine(reason="missing_required").to_pylist()
    assert any("deal_id" in r["detail"] for r in detail)


def test_mapping_file_loads_a_hubspot_export(engine, workspace_name):
    wf = wayfinder.Workspace(engine, workspace_name)
    mappings = EXAMPLES.parent / "mappings"
    summary = wf.ingest(
        EXAMPLES / "hubspot_deals.csv", "deals", mapping=mappings / "hubspot_deals.toml"
    )
    assert summary.exit_code == 0 and summary.loaded > 0
    deals = wf.table("deals")
    assert engine.scalar(deals.deal_id.isnull().sum()) == 0
    assert engine.scalar(deals.won.notnull().sum()) > 0
