"""Starting a real ``wayfinder serve`` on 127.0.0.1 for tests, with keys made for it.

``ServedDatabase`` runs the server as a subprocess (as a user would), so tests can kill it with
SIGKILL and start it again on the same database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

WAYFINDER = [sys.executable, "-m", "wayfinder"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wayfinder(db: Path, *args: str, workspace: str = "default", check: bool = True) -> str:
    """Run a ``wayfinder`` command on ``db``; its standard output."""
    done = subprocess.run(
        [*WAYFINDER, "--db", str(db), "-w", workspace, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"wayfinder {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@dataclass
class ServedDatabase:
    """A database with keys, and the server serving it (``start``, ``kill``, ``stop``)."""

    db: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def key(self, kind: str, workspace: str = "default", role: str = "viewer") -> str:
        if kind == "write_key":
            return wayfinder(self.db, "keys", "write-key", "--for", workspace).strip()
        return wayfinder(self.db, "keys", "token", "--for", workspace, "--role", role).strip()

    def start(self, timeout: float = 60.0, **env: str) -> ServedDatabase:
        self.log = self.db.with_name(self.db.name + f".server-{self.port}.log")
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                *WAYFINDER,
                "--db",
                str(self.db),
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"server exited {self.process.returncode}: {self.log.read_text()}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start in {timeout} s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a crash or an OOM kill would do."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def drain(self, token: str, workspace: str = "default", timeout: float = 60.0) -> dict:
        """Wait until every acknowledged event is loaded and stitched; the status afterwards."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = httpx.get(self.url + "/health", timeout=10).json()
            if health["settled"]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the server did not load its journal in time")
        return httpx.get(
            self.url + "/api/status",
            params={"workspace": workspace},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ).json()


def served_copy(small_demo: Path, folder: Path) -> Path:
    """A copy of the session's small demo (``small_demo`` fixture) in ``folder``, for one
    module's server to own."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.duckdb"
    shutil.copyfile(small_demo, db)
    return db
