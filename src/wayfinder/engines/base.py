"""What every engine offers the rest of Wayfinder: namespaced tables, appends and Arrow results.

An ``Engine`` wraps one Ibis backend. Workspaces are namespaces (a DuckDB schema, a Spark
database) named ``ws_<workspace>``; everything above this layer speaks in workspaces and tables.
"""

from __future__ import annotations

import re
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.errors import ConfigError, EngineError, UnknownName, Unsupported

WORKSPACE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAMESPACE_PREFIX = "ws_"


def check_workspace_name(workspace: str) -> str:
    if not isinstance(workspace, str) or not WORKSPACE_NAME.match(workspace):
        raise ConfigError(
            "not a valid workspace name",
            value=workspace,
            hint="use lower-case letters, digits and _, starting with a letter, at most 40",
        )
    return workspace


class Engine:
    """One engine reached through Ibis; subclasses fill in what differs between engines."""

    name: str = "engine"
    #: Abilities as data, so work that needs one fails before running with a clear error.
    capabilities: frozenset[str] = frozenset()

    def __init__(self, backend: ibis.BaseBackend, url: str) -> None:
        self.backend = backend
        self.url = url

    # -- namespaces -------------------------------------------------------------------------
    def namespace(self, workspace: str) -> str:
        return NAMESPACE_PREFIX + check_workspace_name(workspace)

    def ensure_workspace(self, workspace: str) -> None:
        # Not create_database(force=True): Ibis 12 turns that into CREATE OR REPLACE SCHEMA on
        # DuckDB, which would drop a workspace that already exists.
        namespace = self.namespace(workspace)
        if namespace not in self.backend.list_databases():
            self.backend.create_database(namespace)

    def list_workspaces(self) -> list[str]:
        names = self.backend.list_databases()
        return sorted(n[len(NAMESPACE_PREFIX) :] for n in names if n.startswith(NAMESPACE_PREFIX))

    def has_workspace(self, workspace: str) -> bool:
        return check_workspace_name(workspace) in self.list_workspaces()

    # -- tables -----------------------------------------------------------------------------
    def list_tables(self, workspace: str) -> list[str]:
        return sorted(self.backend.list_tables(database=self.namespace(workspace)))

    def has_table(self, name: str, workspace: str) -> bool:
        return name in self.list_tables(workspace)

    def table(self, name: str, workspace: str) -> ir.Table:
        try:
            return self.backend.table(name, database=self.namespace(workspace))
        except Exception as exc:  # each backend raises its own "not found"
            if not self.has_table(name, workspace):
                raise UnknownName(
                    f"no table {name!r} in workspace {workspace!r}",
                    hint="run `wayfinder init` or ingest data first",
                ) from exc
            raise EngineError(f"{self.name} could not open table {name}", value=exc) from exc

    def create_table(self, name: str, workspace: str, schema: ibis.Schema) -> None:
        """Create an empty table if it does not exist yet."""
        if not self.has_table(name, workspace):
            self.backend.create_table(name, schema=schema, database=self.namespace(workspace))

    def replace_table(self, name: str, workspace: str, obj: ir.Table | pa.Table) -> None:
        """Create or overwrite a table from an expression or Arrow data."""
        self.backend.create_table(name, obj, database=self.namespace(workspace), overwrite=True)

    def drop_table(self, name: str, workspace: str) -> None:
        self.backend.drop_table(name, database=self.namespace(workspace), force=True)

    def insert(self, name: str, workspace: str, obj: ir.Table | pa.Table) -> None:
        """Append rows (an expression or Arrow data) to an existing table, by column name."""
        if isinstance(obj, pa.Table):
            obj = _conform(obj, self.table(name, workspace).schema())
        else:
            obj = obj.select(*self.table(name, workspace).columns)
        self.backend.insert(name, obj, database=self.namespace(workspace))

    def add_columns(self, name: str, workspace: str, columns: ibis.Schema) -> None:
        raise Unsupported(self.name, "add columns to an existing table")

    def rename_table(self, old: str, new: str, workspace: str) -> None:
        raise Unsupported(self.name, "rename a table")

    # -- results ----------------------------------------------------------------------------
    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        result = self.backend.to_pyarrow(expr)
        if isinstance(result, pa.Table):
            return result
        return pa.table({"value": [result.as_py() if hasattr(result, "as_py") else result]})

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.backend.execute(expr)

    def require(self, ability: str, *, hint: str | None = None) -> None:
        if ability not in self.capabilities:
            raise Unsupported(self.name, ability, hint=hint)

    def close(self) -> None:
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def _conform(data: pa.Table, schema: ibis.Schema) -> pa.Table:
    """Order and cast Arrow columns to a table's schema; absent columns become nulls."""
    target = schema.to_pyarrow()
    columns = []
    for field in target:
        if field.name in data.column_names:
            columns.append(data.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(data.num_rows, type=field.type))
    return pa.Table.from_arrays(columns, schema=target)
