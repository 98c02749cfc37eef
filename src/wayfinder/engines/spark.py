"""PySpark as an engine: local mode for tests and laptops, or a session the firm already runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends.sql.datatypes import PySparkType

from wayfinder.engines.base import Engine, _conform
from wayfinder.errors import ConfigError


class SparkEngine(Engine):
    name = "pyspark"
    capabilities = frozenset({"add columns to an existing table", "rename a table", "persist"})

    def __init__(self, backend: ibis.BaseBackend, url: str, session: Any) -> None:
        super().__init__(backend, url)
        self.session = session

    @classmethod
    def local(
        cls,
        warehouse: str | Path = "wayfinder-spark",
        cores: int = 2,
        metastore: str = "derby",
        partitions: int | None = None,
    ) -> SparkEngine:
        """A local session; ``metastore="memory"`` forgets tables on exit (fast, for tests)."""
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ConfigError(
                "PySpark is not installed", hint="pip install 'wayfinder[spark]'"
            ) from exc
        root = Path(warehouse).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True)
        if metastore not in ("derby", "memory"):
            raise ConfigError("unknown Spark metastore", value=metastore, hint="derby or memory")
        builder = (
            SparkSession.builder.master(f"local[{cores}]")
            .appName("wayfinder")
            .config("spark.sql.warehouse.dir", str(root / "warehouse"))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", str(partitions or max(2, cores * 2)))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
        if metastore == "derby":
            # A Derby metastore inside the warehouse folder keeps workspaces across sessions.
            builder = (
                builder.config(
                    "spark.hadoop.javax.jdo.option.ConnectionURL",
                    f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
                )
                .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
                .config("spark.sql.catalogImplementation", "hive")
                .enableHiveSupport()
            )
        else:
            builder = builder.config("spark.sql.catalogImplementation", "in-memory")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return cls.from_session(
            session, url=f"pyspark://local?warehouse={root}&metastore={metastore}"
        )

    @classmethod
    def from_session(cls, session: Any, url: str = "pyspark://session") -> SparkEngine:
        return cls(ibis.pyspark.connect(session), url, session)

    def insert(self, name: str, workspace: str, obj: ir.Table | pa.Table) -> None:
        if not isinstance(obj, pa.Table):
            return super().insert(name, workspace, obj)
        # Ibis sends Arrow through pandas, which turns null strings into "NaN" and nullable
        # integers into nulls; Spark reads Arrow directly and loses nothing.
        full_name = f"{self.namespace(workspace)}.{name}"
        target = self.session.table(full_name)
        data = _conform(obj, self.table(name, workspace).schema())
        self.session.createDataFrame(data, schema=target.schema).write.insertInto(full_name)

    def replace_table(self, name: str, workspace: str, obj: ir.Table | pa.Table) -> None:
        if isinstance(obj, pa.Table):
            frame = self.session.createDataFrame(obj)
            frame.write.mode("overwrite").saveAsTable(f"{self.namespace(workspace)}.{name}")
            return
        super().replace_table(name, workspace, obj)

    def add_columns(self, name: str, workspace: str, columns: ibis.Schema) -> None:
        defs = ", ".join(
            sge.ColumnDef(
                this=sg.to_identifier(column, quoted=True), kind=PySparkType.from_ibis(dtype)
            ).sql("spark")
            for column, dtype in columns.items()
        )
        table = sg.table(name, db=self.namespace(workspace), quoted=True).sql("spark")
        self.session.sql(f"ALTER TABLE {table} ADD COLUMNS ({defs})")

    def rename_table(self, old: str, new: str, workspace: str) -> None:
        ns = self.namespace(workspace)
        source = sg.table(old, db=ns, quoted=True).sql("spark")
        target = sg.table(new, db=ns, quoted=True).sql("spark")
        self.session.sql(f"ALTER TABLE {source} RENAME TO {target}")

    def close(self) -> None:
        # The Spark session is shared by the process; stopping it is the owner's call.
        pass
