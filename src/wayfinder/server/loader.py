"""The loader: moves journaled events into the database through the normal ingest pipeline.

Running in the background, it seals each workspace's open journal file, ingests every sealed
segment in one go (validation, quarantine, dedup on messageId, identity stitching) on the writer
thread, and deletes the segments once they are in.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from wayfinder.server.database import Database
from wayfinder.server.journal import Journal

log = logging.getLogger("wayfinder.server")
#: Seconds between identity stitching runs while events keep arriving.
STITCH_INTERVAL = 5.0


@dataclass
class LoadStats:
    """What the loader has done since the server started."""

    runs: int = 0
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    failures: int = 0
    stitches: int = 0
    last_error: str | None = None
    last_loaded_at: float | None = None
    per_workspace: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class Loader:
    """A daemon thread loading the journal every ``interval`` seconds, or at once when woken."""

    def __init__(
        self,
        journal: Journal,
        database: Database,
        interval: float = 0.5,
        stitch_interval: float = STITCH_INTERVAL,
    ) -> None:
        self.journal = journal
        self.database = database
        self.interval = interval
        self.stitch_interval = stitch_interval
        self.stats = LoadStats()
        #: Workspaces with events loaded since their last stitching run.
        self.unstitched: set[str] = set()
        self._stitched_at: dict[str, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wayfinder-loader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.load_once()
        self.load_once()  # what arrived before a clean stop goes in before the process ends

    def load_once(self) -> None:
        for workspace in self.journal.workspaces():
            self.journal.seal(workspace)
            segments = self.journal.sealed(workspace)
            if not segments:
                continue
            try:
                summary = self.database.write(
                    workspace, lambda ws, s=segments: ws.ingest(s, "events", stitch=False)
                )
            except Exception as exc:  # noqa: BLE001 - kept on disk and retried next round
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception(
                    "loading %d segment(s) of %s failed; will retry", len(segments), workspace
                )
                time.sleep(min(5.0, self.interval * 4))
                continue
            if summary.failed_files:
                # A JSONL segment is always readable; if one is not, keep it and say so loudly.
                self.stats.failures += 1
                self.stats.last_error = "; ".join(str(f.error) for f in summary.failed_files)
                log.error("segments not loaded: %s", self.stats.last_error)
                failed = {str(f.path) for f in summary.failed_files}
                self.journal.set_aside([s for s in segments if str(s) in failed])
                segments = [s for s in segments if str(s) not in failed]
            self.journal.done(segments)
            self.stats.runs += 1
            self.stats.rows_read += summary.rows_read
            self.stats.loaded += summary.loaded
            self.stats.duplicates += summary.duplicates
            self.stats.quarantined += sum(summary.quarantined.values())
            self.stats.last_loaded_at = time.time()
            self.stats.per_workspace[workspace] = (
                self.stats.per_workspace.get(workspace, 0) + summary.loaded
            )
            if summary.loaded:
                self.unstitched.add(workspace)
        self._stitch_due()

    def _stitch_due(self) -> None:
        """Stitch identities of workspaces with new events: at once when nothing more waits, and
        at most every ``stitch_interval`` seconds while events keep coming. Stitching costs about
        twice a small load, and until it runs analyses read new events by their own ids."""
        now = time.monotonic()
        for workspace in sorted(self.unstitched):
            waiting = self.journal.waiting(workspace)
            if waiting and now - self._stitched_at.get(workspace, 0.0) < self.stitch_interval:
                continue
            try:
                self.database.write(workspace, lambda ws: ws.stitch())
            except Exception as exc:  # noqa: BLE001 - the events are in; stitching runs again
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("stitching %s failed; will retry", workspace)
                continue
            self._stitched_at[workspace] = time.monotonic()
            self.unstitched.discard(workspace)
            self.stats.stitches += 1
