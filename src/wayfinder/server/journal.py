"""Collected events on disk before they are acknowledged: an append-only journal per workspace.

A request's events are appended and fsynced before the sender hears 200, so an acknowledged
event survives a killed process. The loader seals the open file into a numbered segment, loads
segments into the database and deletes them only once loaded; loading again after a crash is
harmless because the store deduplicates on messageId.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from wayfinder.engines import check_workspace_name

OPEN = "open.jsonl"


class Journal:
    """The ``journal/`` folder of a server: ``<workspace>/open.jsonl`` plus sealed segments."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._backlog = 0
        self._recover()

    # -- what is waiting ---------------------------------------------------------------------
    @property
    def backlog_bytes(self) -> int:
        """Bytes acknowledged but not yet loaded into the database."""
        return self._backlog

    def workspaces(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir())

    def waiting(self, workspace: str) -> bool:
        """Whether the workspace has events journaled and not yet loaded."""
        folder = self.folder / workspace
        open_file = folder / OPEN
        return (open_file.exists() and open_file.stat().st_size > 0) or bool(self.sealed(workspace))

    def sealed(self, workspace: str) -> list[Path]:
        """Sealed segments of a workspace, oldest first."""
        folder = self.folder / workspace
        return sorted(p for p in folder.glob("*.jsonl") if p.name != OPEN)

    # -- appending (request threads) ---------------------------------------------------------
    def append(self, workspace: str, lines: list[bytes]) -> None:
        """Append events (one JSON text each) and make them durable before returning."""
        data = b"\n".join(lines) + b"\n"
        with self._lock(workspace):
            path = self.folder / workspace / OPEN
            created = not path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                # A new file's name is durable only once its folder is synced too.
                _sync_folder(path.parent)
            # Counted before the lock is let go: the loader may seal and load these bytes at
            # once, and must not take them off a backlog they were never added to.
            with self._guard:
                self._backlog += len(data)

    # -- sealing and loading (the loader thread) ---------------------------------------------
    def seal(self, workspace: str) -> Path | None:
        """Close the open file into the next numbered segment; None when it holds nothing."""
        with self._lock(workspace):
            folder = self.folder / workspace
            path = folder / OPEN
            if not path.exists() or path.stat().st_size == 0:
                return None
            # Named by the clock, past every segment still here (set-aside ones too): a name is
            # never used twice, so nothing is overwritten and quarantine ids (which hash the
            # source file and line) of two different segments never collide.
            existing = [int(p.stem) for p in folder.glob("*.*") if p.stem.isdigit()]
            number = max(time.time_ns(), max(existing, default=0) + 1)
            segment = folder / f"{number:020d}.jsonl"
            os.replace(path, segment)
            _sync_folder(folder)
            return segment

    def done(self, segments: list[Path]) -> None:
        """Forget segments now loaded into the database."""
        for segment in segments:
            size = segment.stat().st_size
            segment.unlink()
            with self._guard:
                self._backlog -= size
        if segments:
            _sync_folder(segments[0].parent)

    def set_aside(self, segments: list[Path]) -> None:
        """Keep unloadable segments as ``*.failed`` for a person to look at; never deleted."""
        for segment in segments:
            size = segment.stat().st_size
            os.replace(segment, segment.with_suffix(".failed"))
            with self._guard:
                self._backlog -= size

    def _lock(self, workspace: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(workspace)
            if lock is None:
                check_workspace_name(workspace)
                if not (self.folder / workspace).exists():
                    (self.folder / workspace).mkdir(exist_ok=True)
                    _sync_folder(self.folder)
                lock = self._locks[workspace] = threading.Lock()
            return lock

    def _recover(self) -> None:
        """After a crash: cut a half-written last line (never acknowledged); count the backlog."""
        for folder in self.folder.iterdir():
            if not folder.is_dir():
                continue
            path = folder / OPEN
            if path.exists():
                data = path.read_bytes()
                keep = data.rfind(b"\n") + 1
                if keep != len(data):
                    with path.open("r+b") as fh:
                        fh.truncate(keep)
                        os.fsync(fh.fileno())
            self._backlog += sum(p.stat().st_size for p in folder.glob("*.jsonl"))


def _sync_folder(folder: Path) -> None:
    # A rename is durable only once its folder is synced.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
