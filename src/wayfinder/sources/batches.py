"""Raw batches: the rows of one chunk as a file reader hands them over, before any conversion.

A batch gives each header's values as a column, the record numbers, the rows the reader already
rejected, and each row's raw payload for its rejection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from wayfinder.sources.base import Rejection
from wayfinder.sources.values import MISSING, dumps, py_values


@dataclass
class Batch:
    """Raw rows of one chunk, before conversion: a column of source values per header."""

    headers: list[str]
    lines: list[int]
    #: Rows the file reader already rejected (malformed JSON, a CSV record of the wrong width).
    early: list[Rejection]

    @property
    def size(self) -> int:
        return len(self.lines)

    def column(self, index: int) -> pa.Array | list[Any]:
        raise NotImplementedError

    def trait_rows(self, indices: list[int]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def found(self, row: int) -> Sequence[str]:
        return self.headers

    def raw(self, row: int) -> str:
        raise NotImplementedError


@dataclass
class TableBatch(Batch):
    """CSV and Parquet: every row has every header; columns are Arrow arrays."""

    columns: list[pa.Array] = field(default_factory=list)
    _lists: list[list[Any]] | None = None

    def column(self, index: int) -> pa.Array:
        return self.columns[index]

    def trait_rows(self, indices: list[int]) -> list[dict[str, Any]]:
        pairs = [(self.headers[i], py_values(self.columns[i])) for i in indices]
        return [
            {h: col[row] for h, col in pairs if col[row] is not None} for row in range(self.size)
        ]

    def raw(self, row: int) -> str:
        if self._lists is None:
            self._lists = [py_values(col) for col in self.columns]
        return dumps({h: col[row] for h, col in zip(self.headers, self._lists, strict=True)})


@dataclass
class RecordBatch(Batch):
    """JSON Lines: each record has its own keys; ``headers`` is their union."""

    records: list[dict[str, Any]] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)

    def column(self, index: int) -> list[Any]:
        key = self.headers[index]
        return [r.get(key, MISSING) for r in self.records]

    def trait_rows(self, indices: list[int]) -> list[dict[str, Any]]:
        keys = {self.headers[i] for i in indices}
        return [{k: v for k, v in r.items() if k in keys and v is not None} for r in self.records]

    def found(self, row: int) -> Sequence[str]:
        return list(self.records[row])

    def raw(self, row: int) -> str:
        return line_text(self.texts[row])


def line_text(line: bytes) -> str:
    """A line of the file as a rejection shows it."""
    return line.decode("utf-8", "replace").rstrip("\r\n")
