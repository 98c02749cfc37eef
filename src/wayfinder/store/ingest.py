"""Loads source files into a workspace: stage, validate, dedup, append, quarantine, summarise.

Each file is read completely into a staging table before anything reaches the real tables, so a
file that turns out to be unreadable halfway loads nothing. Valid rows are appended once (dedup
on the table's natural key and content hash); every rejected row goes to ``quarantine``.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import ibis.expr.types as ir
import orjson
import pyarrow as pa

from wayfinder.engines.base import Engine
from wayfinder.errors import FileUnreadable, UnknownName
from wayfinder.progress import SILENT, Reporter
from wayfinder.sources.base import Chunk, Rejection, content_hash
from wayfinder.store.schema import INPUT_TABLES, KINDS, QUARANTINE, TableSpec

#: A reader turns one file into chunks of valid rows and rejections.
Reader = Callable[[Path], Iterator[Chunk]]

STAGE_PREFIX = "stage_"


@dataclass
class FileResult:
    """What happened to one input file."""

    path: str
    kind: str
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    seconds: float = 0.0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "updated": self.updated,
            "duplicates_skipped": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class IngestSummary:
    """The outcome of one ingest run, file by file; ``exit_code`` tells a script how it went."""

    workspace: str
    files: list[FileResult] = field(default_factory=list)

    #: Exit codes: everything loaded / some rows quarantined / some files unreadable.
    OK = 0
    SOME_QUARANTINED = 3
    SOME_FILES_FAILED = 4

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def quarantined(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.quarantined)
        return total

    @property
    def failed_files(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    @property
    def exit_code(self) -> int:
        if self.failed_files:
            return self.SOME_FILES_FAILED
        if self.quarantined:
            return self.SOME_QUARANTINED
        return self.OK

    def to_dict(self) -> dict:
        return {
            "workspace": self.workspace,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "updated": self.updated,
            "duplicates_skipped": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
            "failed_files": [{"path": f.path, "error": f.error} for f in self.failed_files],
            "exit_code": self.exit_code,
            "files": [f.to_dict() for f in self.files],
        }


def reader_for(kind: str, mapping: object | None = None) -> Reader:
    """The reader of a kind: Segment events, or an object kind with an optional column mapping."""
    if kind not in KINDS:
        raise UnknownName("unknown kind", value=kind, hint=f"known kinds: {', '.join(KINDS)}")
    if kind == "events":
        from wayfinder.sources.segment import read_events

        return read_events
    from wayfinder.sources.objects import read_objects

    return lambda path: read_objects(path, kind, mapping=mapping)


def ingest_files(
    engine: Engine,
    workspace: str,
    paths: Iterable[str | Path],
    kind: str,
    *,
    reader: Reader | None = None,
    mapping: object | None = None,
    reporter: Reporter = SILENT,
) -> IngestSummary:
    """Load every file of ``paths`` as ``kind`` into ``workspace`` (already migrated)."""
    read = reader or reader_for(kind, mapping)
    spec = INPUT_TABLES[kind]
    summary = IngestSummary(workspace)
    for path in paths:
        summary.files.append(_ingest_one(engine, workspace, Path(path), spec, read, reporter))
    return summary


def drop_stale_stages(engine: Engine, workspace: str) -> list[str]:
    """Remove staging tables a killed run left behind (only safe with a single writer)."""
    stale = [t for t in engine.list_tables(workspace) if t.startswith(STAGE_PREFIX)]
    for name in stale:
        engine.drop_table(name, workspace)
    return stale


# -- one file -----------------------------------------------------------------------------------


def _ingest_one(
    engine: Engine, workspace: str, path: Path, spec: TableSpec, read: Reader, reporter: Reporter
) -> FileResult:
    started = time.perf_counter()
    source = str(path.expanduser().resolve())
    result = FileResult(path=str(path), kind=spec.name)
    stage = Stage(engine, workspace, spec)
    task = f"{spec.name} {path.name}"
    reporter.start(task, total=None, unit="rows")
    try:
        loaded_at = _now()
        for chunk in read(path):
            result.rows_read += chunk.size
            stage.add(chunk, source, loaded_at)
            reporter.advance(task, chunk.size)
        _settle(engine, workspace, spec, stage, result, source)
    except FileUnreadable as exc:
        # Nothing from this file reaches the real tables: the stage is simply dropped.
        result.error = exc.message
        result.rows_read = 0
        result.quarantined.clear()
        reporter.note(f"{path}: {exc.message}")
    finally:
        stage.drop()
        reporter.finish(task)
    result.seconds = time.perf_counter() - started
    return result


class Stage:
    """A file's rows and rejections, held in scratch tables until the file is fully read."""

    def __init__(self, engine: Engine, workspace: str, spec: TableSpec) -> None:
        self.engine = engine
        self.workspace = workspace
        self.spec = spec
        token = uuid.uuid4().hex[:12]
        self.rows = f"{STAGE_PREFIX}{spec.name}_{token}"
        self.rejected = f"{STAGE_PREFIX}quarantine_{token}"
        schema = ibis.schema({**dict(spec.schema.items()), "line": "int64"})
        engine.create_table(self.rows, workspace, schema)
        engine.create_table(self.rejected, workspace, QUARANTINE.schema)
        self.rejection_count: Counter[str] = Counter()

    def add(self, chunk: Chunk, source: str, loaded_at: datetime) -> None:
        if chunk.rows.num_rows:
            rows = chunk.rows
            n = rows.num_rows
            rows = rows.append_column("source_file", pa.array([source] * n, pa.string()))
            rows = rows.append_column("loaded_at", pa.array([loaded_at] * n, pa.timestamp("us")))
            self.engine.insert(self.rows, self.workspace, rows)
        if chunk.rejections:
            table = quarantine_rows(self.spec.name, source, chunk.rejections, loaded_at)
            self.engine.insert(self.rejected, self.workspace, table)
            self.rejection_count.update(r.reason for r in chunk.rejections)

    def drop(self) -> None:
        for name in (self.rows, self.rejected):
            try:
                self.engine.drop_table(name, self.workspace)
            except Exception:  # noqa: BLE001 - cleanup must not hide the real outcome
                pass


def _settle(
    engine: Engine, workspace: str, spec: TableSpec, stage: Stage, result: FileResult, source: str
) -> None:
    """Move a fully read stage into the real tables, once."""
    staged = engine.table(stage.rows, workspace)
    key = list(spec.key)
    columns = list(spec.schema.names)

    # Within the file: the first row of a key wins; a later copy is a re-delivery when its content
    # is the same, a conflict (quarantined, never silently dropped) when it differs.
    ranked = staged.mutate(
        _first_hash=staged.row_hash.first().over(ibis.window(group_by=key, order_by=staged.line)),
        _rank=ibis.row_number().over(ibis.window(group_by=key, order_by=staged.line)),
    )
    first = ranked.filter(ranked._rank == 0)
    later = ranked.filter(ranked._rank > 0)
    conflicts_in_file = later.filter(later.row_hash != later._first_hash)
    result_dupes = engine.scalar(later.filter(later.row_hash == later._first_hash).count())

    # Against what is stored: same key and content is a re-delivery; for events a different
    # content under a used messageId is a conflict; for objects it is a newer version of a record.
    target = engine.table(spec.name, workspace)
    latest = _latest_versions(target, key)
    joined = first.left_join(latest.select(*key, _stored_hash=latest.row_hash), key).select(
        *first.columns, "_stored_hash"
    )
    is_fresh = joined._stored_hash.isnull()
    is_same = joined._stored_hash == joined.row_hash
    is_changed = joined._stored_hash.notnull() & (joined._stored_hash != joined.row_hash)
    counts = engine.to_arrow(
        joined.aggregate(
            fresh=is_fresh.sum(),
            same=is_same.sum(),
            changed=is_changed.sum(),
        )
    ).to_pylist()[0]
    n_fresh, n_same, n_changed = (int(counts[k] or 0) for k in ("fresh", "same", "changed"))

    conflict_reason = "duplicate_message_id" if spec.name == "events" else "duplicate_key"
    conflict_sets: list[ir.Table] = [conflicts_in_file]
    if spec.name == "events":
        conflict_sets.append(joined.filter(is_changed))
        to_load = joined.filter(is_fresh)
    else:
        to_load = joined.filter(is_fresh | is_changed)
        result.updated = n_changed
    result.loaded = n_fresh
    result.duplicates = int(result_dupes) + n_same

    conflicts = _conflict_rows(engine, conflict_sets, spec, conflict_reason, source)
    if result.loaded or result.updated:
        engine.insert(spec.name, workspace, to_load.select(*columns))
    if conflicts is not None and conflicts.num_rows:
        engine.insert(stage.rejected, workspace, conflicts)
        stage.rejection_count[conflict_reason] += conflicts.num_rows

    # Quarantine rows dedup on their id, so re-ingesting a file with bad rows adds nothing.
    rejected = engine.table(stage.rejected, workspace)
    quarantine = engine.table(QUARANTINE.name, workspace)
    new_rejects = rejected.distinct(on="quarantine_id", keep="first").anti_join(
        quarantine, "quarantine_id"
    )
    if sum(stage.rejection_count.values()):
        engine.insert(QUARANTINE.name, workspace, new_rejects.select(*QUARANTINE.schema.names))
    result.quarantined = Counter(stage.rejection_count)


def _latest_versions(target: ir.Table, key: list[str]) -> ir.Table:
    """The newest stored version of every key (objects keep history; newest wins)."""
    window = ibis.window(group_by=key, order_by=ibis.desc(target.loaded_at))
    ranked = target.mutate(_version=ibis.row_number().over(window))
    return ranked.filter(ranked._version == 0)


def _conflict_rows(
    engine: Engine, sets: list[ir.Table], spec: TableSpec, reason: str, source: str
) -> pa.Table | None:
    """Quarantine rows for valid rows that clash with another row over the same key."""
    rows: list[Rejection] = []
    hashes: list[str] = []
    key = ", ".join(spec.key)
    # Bookkeeping (and an ingest-time received_at) changes on every run; it is not the payload.
    payload = [c.name for c in spec.columns if c.name != "received_at"]
    for expr in sets:
        table = engine.to_arrow(expr.select(*payload, "row_hash", "line"))
        for record in table.to_pylist():
            line = record.pop("line")
            hashes.append(record.pop("row_hash"))
            values = ", ".join(str(record[k]) for k in spec.key)
            rows.append(
                Rejection(
                    line=line,
                    reason=reason,
                    detail=f"{key} {values} already holds different content",
                    raw=orjson.dumps(
                        {k: v for k, v in record.items() if v is not None}, default=str
                    ).decode(),
                )
            )
    if not rows:
        return None
    return quarantine_rows(spec.name, source, rows, _now(), identities=hashes)


def quarantine_rows(
    kind: str,
    source: str,
    rejections: list[Rejection],
    at: datetime,
    *,
    identities: list[str] | None = None,
) -> pa.Table:
    """Arrow rows for the quarantine table; the id makes re-ingesting the same bad row a no-op.

    The id hashes source, line, reason and the payload (or, for rows rebuilt from staged values,
    their content hash given as ``identities``).
    """
    payloads = identities if identities is not None else [r.raw for r in rejections]
    return pa.table(
        {
            "quarantine_id": [
                content_hash(kind, source, r.line, r.reason, p)
                for r, p in zip(rejections, payloads, strict=True)
            ],
            "kind": [kind] * len(rejections),
            "source_file": [source] * len(rejections),
            "line": pa.array([r.line for r in rejections], pa.int64()),
            "reason": [r.reason for r in rejections],
            "detail": [r.detail for r in rejections],
            "raw": [r.raw for r in rejections],
            "quarantined_at": pa.array([at] * len(rejections), pa.timestamp("us")),
        },
        schema=QUARANTINE.schema.to_pyarrow(),
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
