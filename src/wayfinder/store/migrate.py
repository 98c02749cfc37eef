"""Creates a workspace's tables and brings older ones up to the canonical schema, idempotently.

Running it twice changes nothing; columns added to the schema since a store was made are added
to its tables; a column whose stored type contradicts the schema stops with a ``SchemaError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from wayfinder.engines.base import Engine
from wayfinder.errors import SchemaError
from wayfinder.store.schema import META, SCHEMA_VERSION, TABLES


@dataclass
class MigrationReport:
    workspace: str
    created: list[str] = field(default_factory=list)
    columns_added: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.columns_added)


def migrate(engine: Engine, workspace: str) -> MigrationReport:
    """Make ``workspace`` hold every canonical table with every column."""
    report = MigrationReport(workspace)
    engine.ensure_workspace(workspace)
    existing = set(engine.list_tables(workspace))
    for spec in TABLES.values():
        if spec.name not in existing:
            engine.create_table(spec.name, workspace, spec.schema)
            report.created.append(spec.name)
            continue
        stored = engine.table(spec.name, workspace).schema()
        missing = {}
        for name, dtype in spec.schema.items():
            if name not in stored:
                missing[name] = dtype
            elif not _compatible(stored[name], dtype):
                raise SchemaError(
                    f"column {spec.name}.{name} is stored as {stored[name]}, expected {dtype}",
                    hint="this store was written by an incompatible version",
                )
        if missing:
            engine.add_columns(spec.name, workspace, ibis.schema(missing))
            report.columns_added[spec.name] = list(missing)
    if report.changed:
        _write_version(engine, workspace)
    return report


def schema_version(engine: Engine, workspace: str) -> int | None:
    meta = engine.table(META.name, workspace)
    rows = engine.to_arrow(meta.filter(meta.key == "schema_version").select("value"))
    return int(rows.column("value")[0].as_py()) if rows.num_rows else None


def _write_version(engine: Engine, workspace: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    meta = engine.table(META.name, workspace)
    keep = meta.filter(~meta.key.isin(["schema_version", "migrated_at"]))
    rows = engine.to_arrow(keep).to_pylist() + [
        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
        {"key": "migrated_at", "value": now},
    ]
    engine.replace_table(META.name, workspace, pa.Table.from_pylist(rows, META.schema.to_pyarrow()))


def _compatible(stored: ibis.DataType, expected: ibis.DataType) -> bool:
    if stored.is_timestamp() and expected.is_timestamp():
        return True
    return stored.copy(nullable=True) == expected.copy(nullable=True)
