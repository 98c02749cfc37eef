"""The ``wayfinder`` command while a server owns the database: each command travels to the server
and prints, and exits with, what it would without one; after a SIGKILL it runs alone again.

Two copies of one small database: ``direct/`` is never served, ``served/`` is. The same command
lines run in both (at once), each from its own folder with relative paths, and must agree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

import wayfinder
from server_helpers import WAYFINDER, ServedDatabase
from wayfinder.server.config import home_for
from wayfinder.server.serve import SERVER_FILE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
FUNNEL = {"kind": "funnel", "steps": ["page:/", "page:/pricing"], "window": "7d", "why": False}
#: Paths relative to the command's folder: the server must run it from the caller's folder.
COMMANDS = [
    ("ingest", "../bad.jsonl"),  # exits 3: rows were quarantined
    ("quarantine", "list"),  # a Rich table: the same width, and no colour codes, either way
    ("ask", "top 3 paths of buyers", "--today", "2026-11-22"),
    ("run", "funnel.json", "--json"),
    ("-w", "keys", "status", "--json"),  # "keys" names a workspace here, not the command
    ("status", "--json"),
]
#: What the shell the server was started from had set: none of it may leak into a command.
SERVER_SHELL = {"WAYFINDER_WORKSPACE": "elsewhere", "FORCE_COLOR": "1", "COLUMNS": "200"}


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


def cli(folder: Path, *args: str) -> Ran:
    """``wayfinder --db d.duckdb ARGS`` run from ``folder``, as a user in a plain shell would."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_SHELL and k != "WAYFINDER_DB"}
    done = subprocess.run(
        [*WAYFINDER, "--db", "d.duckdb", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def comparable(args: tuple[str, ...], ran: Ran) -> Ran:
    """What must match between two runs: all but the timings (progress bars, provenance)."""
    stdout = ran.stdout
    if args[0] == "run":
        result = json.loads(stdout)
        del result["provenance"]["duration_seconds"], result["provenance"]["ran_at"]
        stdout = json.dumps(result, sort_keys=True)
    stderr = "\n".join(line for line in ran.stderr.splitlines() if "━" not in line)
    return Ran(ran.code, stdout, stderr)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """``direct/d.duckdb`` and ``served/d.duckdb``: the example events, the same in both."""
    root = tmp_path_factory.mktemp("cli")
    pristine = root / "pristine.duckdb"
    with wayfinder.open(f"duckdb:///{pristine}") as ws:
        assert ws.ingest([EXAMPLES / "events.jsonl"], "events").loaded > 0
    (root / "bad.jsonl").write_bytes((EXAMPLES / "events_with_errors.jsonl").read_bytes())
    made = []
    for name in ("direct", "served"):
        folder = root / name
        folder.mkdir()
        shutil.copy(pristine, folder / "d.duckdb")
        (folder / "funnel.json").write_text(json.dumps(FUNNEL), encoding="utf-8")
        made.append(folder)
    return made


def test_commands_through_a_server_match_commands_without_one(folders):
    direct, served = folders
    server = ServedDatabase(served / "d.duckdb").start(**SERVER_SHELL)
    try:
        with ThreadPoolExecutor(1) as pool:
            baseline = pool.submit(lambda: [cli(direct, *args) for args in COMMANDS])
            # The server holds the file: a command that opened it itself would fail on the lock.
            with pytest.raises(duckdb.IOException, match="lock"):
                duckdb.connect(str(served / "d.duckdb"))
            through_server = [cli(served, *args) for args in COMMANDS]
            without_server = baseline.result()
        assert [ran.code for ran in through_server] == [3, 0, 0, 0, 0, 0]
        for args, alone, forwarded in zip(COMMANDS, without_server, through_server, strict=True):
            assert comparable(args, forwarded) == comparable(args, alone), args
        assert "\x1b[" not in "".join(r.stdout + r.stderr for r in through_server)
        status = json.loads(through_server[-1].stdout)
        assert status["workspace"] == "default" and sum(status["quarantine"].values()) == 6
        assert "Top path to purchase" in through_server[2].stdout
    finally:
        server.kill()

    # SIGKILL left server.json behind; its process is gone, so the command runs alone again.
    assert (home_for(served.resolve() / "d.duckdb") / SERVER_FILE).exists()
    after = cli(served, "status", "--json")
    assert after.code == 0, after.stderr
    assert json.loads(after.stdout) == status
