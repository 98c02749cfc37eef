"""The server's hold on its DuckDB file: one writer thread, and read slots on their own cursors.

DuckDB lets one process open a file for writing; inside it, every write (collected events,
CLI commands) goes through the writer thread in order, while analyses run at the same time on
cursors of the same database, each in a read slot with its own cached workspaces.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ibis

from wayfinder.engines.duckdb import DuckDBEngine
from wayfinder.errors import UnknownName
from wayfinder.store.migrate import migrate
from wayfinder.workspace import DEFAULT_WORKSPACE, Workspace

T = TypeVar("T")
#: Seconds a read slot keeps a workspace's ask lexicon while new data keeps arriving.
LEXICON_TTL = 60.0

_STOP = object()


class _ReadSlot:
    """One cursor and the workspaces opened on it, stale once the data version moves on."""

    def __init__(self, engine: DuckDBEngine, config_dir: Path | None) -> None:
        self.engine = engine
        self.config_dir = config_dir
        self.workspaces: dict[str, Workspace] = {}
        self.version = -1
        self.renewed_at = -LEXICON_TTL

    def workspace(self, name: str, version: int) -> Workspace:
        now = time.monotonic()
        if version != self.version and now - self.renewed_at >= LEXICON_TTL:
            # New data may bring new names (campaigns, pages) the ask lexicon must know; while
            # events stream in, rebuilding it at most once a minute keeps questions fast.
            for ws in self.workspaces.values():
                ws._asker = None
                ws._catalog = None
            self.version = version
            self.renewed_at = now
        ws = self.workspaces.get(name)
        if ws is None:
            ws = Workspace(self.engine, name, config_dir=self.config_dir)
            self.workspaces[name] = ws
        return ws


class Database:
    """The one open DuckDB file of a server: ``write`` serialises, ``read`` runs alongside."""

    def __init__(self, path: Path, *, readers: int = 4, config_dir: Path | None = None) -> None:
        self.path = path
        self.config_dir = config_dir
        self.engine = DuckDBEngine.from_path(path)
        migrate(self.engine, DEFAULT_WORKSPACE)  # the default workspace always exists
        #: Bumped after every write, so read slots know their cached lexicons are stale.
        self.version = 0
        self._workspaces: dict[str, Workspace] = {}
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._writer = threading.Thread(
            target=self._write_loop, name="wayfinder-writer", daemon=True
        )
        self._writer.start()
        self._slots: queue.Queue[_ReadSlot] = queue.Queue()
        for _ in range(readers):
            self._slots.put(_ReadSlot(self._cursor_engine(), config_dir))

    def _cursor_engine(self) -> DuckDBEngine:
        backend = ibis.duckdb.from_connection(self.engine.backend.con.cursor())
        backend.raw_sql("SET TimeZone = 'UTC'")
        return DuckDBEngine(backend, self.engine.url)

    # -- writing -----------------------------------------------------------------------------
    def write(self, workspace: str, job: Callable[[Workspace], T]) -> T:
        """Run ``job(workspace)`` on the writer thread and wait for it; its error is raised here."""
        future: Future[T] = Future()
        self._jobs.put((workspace, job, future))
        return future.result()

    def write_engine(self, job: Callable[[DuckDBEngine], T]) -> T:
        """Run ``job(engine)`` on the writer thread: for work that is not one workspace's."""
        future: Future[T] = Future()
        self._jobs.put((None, job, future))
        return future.result()

    def _write_loop(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            workspace, job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                target = self.engine if workspace is None else self._writer_workspace(workspace)
                future.set_result(job(target))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)
            finally:
                self.version += 1

    def _writer_workspace(self, name: str) -> Workspace:
        ws = self._workspaces.get(name)
        if ws is None:
            ws = Workspace(self.engine, name, config_dir=self.config_dir)
            self._workspaces[name] = ws
        return ws

    # -- reading -----------------------------------------------------------------------------
    def workspaces(self) -> list[str]:
        with self._slot() as slot:
            return slot.engine.list_workspaces()

    @contextmanager
    def read(self, workspace: str) -> Iterator[Workspace]:
        """A workspace on a read slot; waits for a free slot when all are busy."""
        with self._slot() as slot:
            if workspace not in slot.workspaces and workspace not in slot.engine.list_workspaces():
                raise UnknownName(
                    "no such workspace", value=workspace, hint="see GET /api/workspaces"
                )
            yield slot.workspace(workspace, self.version)

    @contextmanager
    def _slot(self) -> Iterator[_ReadSlot]:
        slot = self._slots.get()
        try:
            yield slot
        finally:
            self._slots.put(slot)

    def close(self) -> None:
        self._jobs.put(_STOP)
        self._writer.join(timeout=30)
        self.engine.close()
