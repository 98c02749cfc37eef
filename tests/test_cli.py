"""The `wayfinder` command: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wayfinder.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"


@pytest.fixture
def db(tmp_path):
    return f"duckdb:///{tmp_path / 'cli.duckdb'}"


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_status_json(capsys, db):
    assert run(capsys, "--db", db, "init")[0] == 0
    code, out, _ = run(capsys, "--db", db, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["workspace"] == "default" and "default" in status["workspaces"]
    assert status["tables"]["events"] == 0


def test_ingest_exit_codes_and_quarantine(capsys, db, tmp_path):
    code, out, _ = run(capsys, "--db", db, "ingest", str(EXAMPLES / "events.jsonl"), "--json")
    assert code == 0, out
    assert json.loads(out)["loaded"] > 0

    code, out, _ = run(
        capsys, "--db", db, "ingest", str(EXAMPLES / "events_with_errors.jsonl"), "--json"
    )
    assert code == 3
    reasons = json.loads(out)["quarantined"]
    assert reasons["missing_event_name"] == 1 and reasons["malformed_json"] == 1

    code, out, _ = run(capsys, "--db", db, "quarantine", "list", "--json")
    assert code == 0 and {r["reason"] for r in json.loads(out)} >= {"bad_timestamp"}

    export = tmp_path / "q.jsonl"
    assert run(capsys, "--db", db, "quarantine", "export", str(export))[0] == 0
    exported = [json.loads(x) for x in export.read_text().splitlines()]
    assert len(exported) == sum(reasons.values())

    code, out, _ = run(capsys, "--db", db, "status", "--json")
    assert json.loads(out)["quarantine"] == reasons


def test_unreadable_file_exit_4_names_the_file(capsys, db, tmp_path):
    code, _, err = run(capsys, "--db", db, "ingest", str(tmp_path / "nope.jsonl"))
    assert code == 4
    assert "nope.jsonl" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "x.csv", "--kind", "invoices"], "unknown kind: invoices"),
        (["-w", "Bad Name", "status"], "not a valid workspace name"),
        (["--db", "mysql://x/y", "status"], "unknown engine: mysql"),
    ],
)
def test_domain_errors_are_one_red_line(capsys, db, args, message):
    if args[0] != "--db":
        args = ["--db", db, *args]
    code, out, err = run(capsys, *args)
    assert code == 1
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error:")


def test_workspaces_are_separate(capsys, db):
    run(capsys, "--db", db, "-w", "shop", "ingest", str(EXAMPLES / "events.jsonl"), "--json")
    _, out, _ = run(capsys, "--db", db, "workspaces", "--json")
    assert json.loads(out) == ["default", "shop"]
    _, out, _ = run(capsys, "--db", db, "status", "--json")
    assert json.loads(out)["tables"]["events"] == 0
