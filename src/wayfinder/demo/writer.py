"""Streaming writers for the demo's files: JSON Lines and CSV, in numbered parts when large.

Rows go to disk as they are made, so a million-person demo never holds its events in memory;
parts keep each file small enough for one ingest stage.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

#: Rows per JSON Lines part: one ingest stage each.
PART_ROWS = 1_000_000


class JsonlParts:
    """``<stem>-0001.jsonl``, ``<stem>-0002.jsonl``, ...: a new part every ``part_rows`` rows."""

    def __init__(self, directory: Path, stem: str, part_rows: int = PART_ROWS) -> None:
        self.directory = directory
        self.stem = stem
        self.part_rows = part_rows
        self.paths: list[Path] = []
        self.rows = 0
        self._in_part = 0
        self._file: IO[bytes] | None = None

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        dumps = orjson.dumps
        for row in rows:
            if self._file is None or self._in_part >= self.part_rows:
                self._roll()
            self._file.write(dumps(row) + b"\n")  # type: ignore[union-attr]
            self._in_part += 1
            self.rows += 1

    def _roll(self) -> None:
        if self._file is not None:
            self._file.close()
        path = self.directory / f"{self.stem}-{len(self.paths) + 1:04d}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb", buffering=1 << 20)
        self.paths.append(path)
        self._in_part = 0

    def close(self) -> list[Path]:
        if self._file is not None:
            self._file.close()
            self._file = None
        return self.paths


class CsvFile:
    """One CSV file with a fixed header; ``None`` is an empty cell, booleans are true/false."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.columns = tuple(columns)
        self.rows = 0
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(self.columns)

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        columns, writerow = self.columns, self._writer.writerow
        for row in rows:
            # The csv module writes None as an empty cell; only booleans need spelling out.
            writerow([_BOOLS.get(v, v) if type(v) is bool else v for v in map(row.get, columns)])
            self.rows += 1

    def close(self) -> list[Path]:
        if not self._file.closed:
            self._file.close()
        return [self.path]


class CsvParts:
    """``<stem>-0001.csv``, ``<stem>-0002.csv``, ...: CSV in parts of ``part_rows`` rows."""

    def __init__(
        self, directory: Path, stem: str, columns: Sequence[str], part_rows: int = PART_ROWS
    ) -> None:
        self.directory = directory
        self.stem = stem
        self.columns = tuple(columns)
        self.part_rows = part_rows
        self.paths: list[Path] = []
        self.rows = 0
        self._part: CsvFile | None = None

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        while rows:
            if self._part is None or self._part.rows >= self.part_rows:
                self._roll()
            room = self.part_rows - self._part.rows  # type: ignore[union-attr]
            self._part.write(rows[:room])  # type: ignore[union-attr]
            self.rows += min(room, len(rows))
            rows = rows[room:]

    def _roll(self) -> None:
        if self._part is not None:
            self._part.close()
        path = self.directory / f"{self.stem}-{len(self.paths) + 1:04d}.csv"
        self._part = CsvFile(path, self.columns)
        self.paths.append(path)

    def close(self) -> list[Path]:
        if self._part is not None:
            self._part.close()
        return self.paths


_BOOLS = {True: "true", False: "false"}


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> list[Path]:
    out = CsvFile(path, columns)
    out.write(rows)
    return out.close()
