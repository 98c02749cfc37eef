"""Engines by URL: ``connect("duckdb:///file.duckdb")``, ``connect("pyspark://local")``.

A registry maps each URL scheme to a factory; adding an Ibis engine is one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from wayfinder.engines.base import Engine, check_workspace_name
from wayfinder.errors import ConfigError, UnknownName

DEFAULT_URL = "duckdb:///wayfinder.duckdb"


def _duckdb(url: str) -> Engine:
    from wayfinder.engines.duckdb import DuckDBEngine

    parsed = urlparse(url)
    # duckdb:///relative.duckdb -> "relative.duckdb"; duckdb:////abs/path -> "/abs/path"
    path = url[len("duckdb://") :]
    path = path[1:] if path.startswith("/") else path
    path = path.split("?", 1)[0] or "wayfinder.duckdb"
    read_only = parse_qs(parsed.query).get("read_only", ["false"])[0].lower() == "true"
    return DuckDBEngine.from_path(path, read_only=read_only)


def _pyspark(url: str) -> Engine:
    from wayfinder.engines.spark import SparkEngine

    parsed = urlparse(url)
    if parsed.netloc not in ("local", ""):
        raise ConfigError(
            "only local Spark is reachable by URL",
            value=url,
            hint="pass an existing SparkSession to wayfinder.connect() for a cluster",
        )
    query = parse_qs(parsed.query)
    warehouse = query.get("warehouse", ["wayfinder-spark"])[0]
    cores = int(query.get("cores", ["2"])[0])
    metastore = query.get("metastore", ["derby"])[0]
    partitions = int(query["partitions"][0]) if "partitions" in query else None
    return SparkEngine.local(
        warehouse=warehouse, cores=cores, metastore=metastore, partitions=partitions
    )


ENGINES: dict[str, Callable[[str], Engine]] = {"duckdb": _duckdb, "pyspark": _pyspark}


def connect(target: str | Path | Any = DEFAULT_URL) -> Engine:
    """Open an engine from a URL, a ``.duckdb`` path, or an existing SparkSession."""
    if isinstance(target, Engine):
        return target
    if not isinstance(target, (str, Path)):
        if type(target).__name__ == "SparkSession":
            from wayfinder.engines.spark import SparkEngine

            return SparkEngine.from_session(target)
        raise ConfigError("cannot connect to this object", value=type(target).__name__)
    text = str(target)
    if "://" not in text:
        text = "duckdb:///" + text
    scheme = text.split("://", 1)[0]
    factory = ENGINES.get(scheme)
    if factory is None:
        raise UnknownName(
            "unknown engine", value=scheme, hint=f"known engines: {', '.join(sorted(ENGINES))}"
        )
    return factory(text)


__all__ = ["DEFAULT_URL", "ENGINES", "Engine", "check_workspace_name", "connect"]
