"""Sending a command to the server that owns the database, when one runs (see server/cli_bridge).

The command line is read only far enough to find the database and the command; the server
parses and runs it, with the caller's folder, ``WAYFINDER_*`` settings and terminal settings.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

#: Commands that never travel: they manage the server or its key file themselves.
LOCAL_COMMANDS = {"serve", "keys"}
#: Options of ``wayfinder`` itself (before the command) that take a value.
_MAIN_OPTIONS_WITH_VALUE = {"--db", "--workspace", "-w"}
#: Variables that shape how output looks; they travel with the command, as WAYFINDER_* do.
TERMINAL_VARIABLES = frozenset(
    {"COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "COLORTERM", "TTY_COMPATIBLE"}
)


def travels(variable: str) -> bool:
    """Whether an environment variable goes with a forwarded command (and is replayed there)."""
    return variable.startswith("WAYFINDER_") or variable in TERMINAL_VARIABLES


def command_of(argv: list[str]) -> str | None:
    """The command a command line runs: its first word after ``wayfinder``'s own options.

    >>> command_of(["--db", "x.duckdb", "-w", "keys", "status", "--json"])
    'status'
    >>> command_of(["--help"]) is None
    True
    """
    at = _command_index(argv)
    return None if at is None else argv[at]


def _command_index(argv: list[str]) -> int | None:
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _MAIN_OPTIONS_WITH_VALUE:
            i += 2
        elif arg.startswith("-"):
            i += 1  # --db=x, -wshop, --help
        else:
            return i
    return None


def database_of(argv: list[str]) -> Path | None:
    """The DuckDB file a command line points at (``--db``, ``WAYFINDER_DB``, or the default)."""
    from wayfinder.engines import DEFAULT_URL

    target = os.environ.get("WAYFINDER_DB", DEFAULT_URL)
    # Only wayfinder's own options: a question or a file name after the command is no option.
    options = argv[: _command_index(argv)]
    for i, arg in enumerate(options):
        if arg == "--db" and i + 1 < len(options):
            target = options[i + 1]
        elif arg.startswith("--db="):
            target = arg[len("--db=") :]
    if target.startswith("duckdb:///"):
        target = target[len("duckdb:///") :]
    if "://" in target or target == ":memory:":
        return None
    return Path(target).expanduser().resolve()


def _travelling_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if travels(k)}
    if sys.stdout.isatty():
        # The server writes into a buffer, not a terminal: tell it this caller has one.
        env.setdefault("COLUMNS", str(shutil.get_terminal_size().columns))
        env.setdefault("FORCE_COLOR", "1")
    return env


def forward(argv: list[str]) -> int | None:
    """Run ``argv`` in the server serving its database; None when no server serves it."""
    command = command_of(argv)
    if command is None or command in LOCAL_COMMANDS:
        return None
    db = database_of(argv)
    if db is None:
        return None
    from wayfinder.server.serve import running_server

    info = running_server(db)
    if info is None:
        return None
    import httpx

    try:
        response = httpx.post(
            info["url"] + "/api/cli",
            json={"argv": argv, "cwd": os.getcwd(), "env": _travelling_environment()},
            headers={"Authorization": f"Bearer {info['token']}"},
            timeout=None,
        )
    except httpx.TransportError as exc:
        sys.stderr.write(
            f"error: a server owns {db} ({info['url']}) but cannot be reached: {exc}\n"
        )
        return 1
    if response.status_code != 200:
        sys.stderr.write(
            f"error: the server at {info['url']} refused the command: {response.text}\n"
        )
        return 1
    data = response.json()
    sys.stdout.write(data["stdout"])
    sys.stderr.write(data["stderr"])
    return int(data["exit_code"])
