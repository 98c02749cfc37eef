"""Running the server: uvicorn in the foreground, and ``server.json`` so the CLI can find it.

``server.json`` (mode 0600, beside the database in its server folder) holds the URL, the process
id and this run's CLI token; it is removed on a clean stop, and a stale one (after a kill) is
recognised by its dead process id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from wayfinder.server.config import ServerConfig, home_for

SERVER_FILE = "server.json"


def serve(config: ServerConfig, *, log_level: str = "info") -> None:
    import uvicorn

    from wayfinder.server.app import create_app

    app = create_app(config, on_start=lambda state: _write_server_file(config, state.cli_token))
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=config.host, port=config.port, log_level=log_level, access_log=False
        )
    )
    try:
        server.run()
    finally:
        _remove_server_file(config)


def _write_server_file(config: ServerConfig, token: str) -> None:
    path = config.home / SERVER_FILE
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"url": config.url, "pid": os.getpid(), "token": token, "db": str(config.db)}, fh)
    os.replace(temporary, path)


def _remove_server_file(config: ServerConfig) -> None:
    path = config.home / SERVER_FILE
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (FileNotFoundError, ValueError):
        pass


def running_server(db: Path) -> dict[str, Any] | None:
    """The server serving ``db``, if one is alive: its ``server.json``; else None."""
    path = home_for(db) / SERVER_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid = int(info["pid"])
    except (FileNotFoundError, ValueError, KeyError, TypeError, PermissionError):
        return None
    if pid == os.getpid():
        return None  # this process is the server: run the command here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    return info
