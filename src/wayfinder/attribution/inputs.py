"""Reading a path table brought from elsewhere: a pandas DataFrame, a pyarrow Table, a dict of
columns or a CSV file (``;`` or ``,`` separated, sniffed), turned into a checked PathTable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from wayfinder.attribution.path_table import PathTable
from wayfinder.errors import ConfigError, FileUnreadable

_DELIMITERS = (";", ",", "\t", "|")


def read_path_table(
    table: Any,
    path: str = "path",
    conversions: str = "total_conversions",
    value: str | None = None,
    nulls: str | None = None,
    sep: str = ">",
) -> PathTable:
    """The named columns of ``table`` as a checked :class:`PathTable` (one already built is
    returned as it is)."""
    if isinstance(table, PathTable):
        return table
    columns = _columns(table)
    wanted = {"path": path, "conversions": conversions, "value": value, "nulls": nulls}
    for role, name in wanted.items():
        if name is not None and name not in columns:
            raise ConfigError(
                f"the path table has no {role} column",
                value=name,
                hint="its columns: " + ", ".join(map(str, columns)),
            )
    paths = _texts(columns[path])
    return PathTable.parse(
        paths,
        _numbers(columns[conversions]),
        nulls=None if nulls is None else _numbers(columns[nulls]),
        value=None if value is None else _numbers(columns[value]),
        sep=sep,
    )


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV file from its header line: the most frequent of ``; , tab |``
    (``,`` when none occurs).

    >>> sniff_delimiter("path;total_conversions;total_null")
    ';'
    """
    counts = [header.count(d) for d in _DELIMITERS]
    return _DELIMITERS[int(np.argmax(counts))] if max(counts) else ","


def _columns(table: Any) -> Mapping[str, Any]:
    if isinstance(table, (str, os.PathLike)):
        return _csv_columns(Path(table))
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if isinstance(table, pa.Table):
        return {name: table.column(name) for name in table.column_names}
    if type(table).__module__.split(".")[0] == "pandas" and hasattr(table, "columns"):
        return {str(name): table[name] for name in table.columns}
    if isinstance(table, Mapping):
        return table
    raise ConfigError(
        "a path table must be a pandas DataFrame, a pyarrow Table, a dict of columns or a CSV file",
        value=type(table).__name__,
    )


def _csv_columns(file: Path) -> Mapping[str, Any]:
    try:
        with file.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
    except OSError as error:
        raise FileUnreadable(
            "cannot read the path table file", value=file, hint=str(error)
        ) from None
    except UnicodeDecodeError:
        raise FileUnreadable("the path table file is not UTF-8 text", value=file) from None
    delimiter = sniff_delimiter(header)
    try:
        table = pacsv.read_csv(file, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except pa.ArrowInvalid as error:
        raise FileUnreadable(
            "the path table file is not a CSV file", value=file, hint=str(error).splitlines()[0]
        ) from None
    return {name: table.column(name) for name in table.column_names}


def _texts(column: Any) -> list[Any]:
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        return column.to_pylist()
    return list(column)


def _numbers(column: Any) -> Any:
    # Arrow and pandas columns of numbers become float arrays (nulls as NaN, which the checks
    # then name by row); anything else goes to the checks as it is.
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            return column.to_numpy(zero_copy_only=False).astype(np.float64)
        return column.to_pylist()
    if hasattr(column, "to_numpy"):
        return column.to_numpy()
    return column
