"""The CLI while a server runs: commands travel to the server and run inside it, in order.

DuckDB lets one process write a file, so a ``wayfinder`` command aimed at a served database
sends its arguments here instead (``cli/remote.py``). The command runs in the server's process on
the writer thread, where opening the same file again shares the server's database, and its
output and exit status go back. Only the local CLI may call it: the token is made per run and
written to ``server.json`` (mode 0600), and the caller must be on this machine. The command sees
the caller's folder and settings, not the server's, so it prints what it would print alone.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from wayfinder.cli.remote import LOCAL_COMMANDS, command_of, travels
from wayfinder.server.auth import Caller, caller
from wayfinder.server.errors import RequestRefused

router = APIRouter(
    prefix="/api", tags=["cli"], dependencies=[Depends(caller)], include_in_schema=False
)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
#: The working folder and standard streams are the process's own: one command at a time.
_ONE_AT_A_TIME = threading.Lock()


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    argv: list[str] = Field(max_length=1_000)
    cwd: str
    env: dict[str, str] = Field(default_factory=dict)


@router.post("/cli")
def run_command(
    body: CommandRequest, request: Request, who: Caller = Depends(caller)
) -> dict[str, Any]:
    if who.grant.id != "cli" or request.client is None or request.client.host not in _LOOPBACK:
        raise RequestRefused(403, "only the local wayfinder command may run commands here")
    if command_of(body.argv) in LOCAL_COMMANDS:
        raise RequestRefused(400, "this command runs on its own, not through the server")
    server = request.app.state.server
    return server.database.write_engine(lambda _engine: _run(body))


def _run(body: CommandRequest) -> dict[str, Any]:
    from wayfinder.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with _ONE_AT_A_TIME, _working_folder(body.cwd), _environment(body.env):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _consoles():
            code = main(body.argv)
    return {"exit_code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


@contextlib.contextmanager
def _consoles() -> Any:
    # The CLI's shared consoles were made when the server started, fixing colour and width to
    # the server's terminal; made again here, they follow the caller's settings and streams.
    from rich.console import Console

    from wayfinder.cli import main as cli

    before = cli.console, cli.err_console
    cli.console, cli.err_console = Console(), Console(stderr=True)
    try:
        yield
    finally:
        cli.console, cli.err_console = before


@contextlib.contextmanager
def _working_folder(folder: str) -> Any:
    # The server's own paths are absolute, so changing folder for the command is safe for them.
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Any:
    # Only the variables that steer the command (its workspace, LLM settings, terminal) travel;
    # the server's own are hidden meanwhile, or a WAYFINDER_WORKSPACE set where the server was
    # started would pick the workspace of a command that named none.
    names = {k for k in os.environ if travels(k)} | {k for k in values if travels(k)}
    before = {k: os.environ.get(k) for k in names}
    for key in names:
        if key in values:
            os.environ[key] = values[key]
        else:
            os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
