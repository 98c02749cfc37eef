"""Object files to batches of raw values: CSV, JSON Lines and Parquet, each gzipped or not.

Owns format detection, CSV dialect sniffing, record numbering, the rows a reader rejects before
any value is looked at (malformed records), and FileUnreadable for a file that cannot be read.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wayfinder.errors import FileUnreadable
from wayfinder.sources.base import Rejection
from wayfinder.sources.batches import Batch, RecordBatch, TableBatch, line_text
from wayfinder.sources.values import NULLS

_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_BYTES = 64 * 1024


def read_batches(path: Path, chunk_rows: int, csv_block_bytes: int) -> Iterator[Batch]:
    """The file's batches of ``chunk_rows`` rows; a file that cannot be opened fails here, now.

    ``csv_block_bytes`` is how much of a CSV file Arrow parses at a time.
    """
    fmt, gz = _detect(path)
    if fmt == "csv":
        return _csv_batches(path, gz, chunk_rows, csv_block_bytes)
    if fmt == "jsonl":
        return _jsonl_batches(path, gz, chunk_rows)
    return _parquet_batches(path, gz, chunk_rows)


def _detect(path: Path) -> tuple[str, bool]:
    """The file's format and whether it is gzipped: by extension, else by its first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None
    gz = head[:2] == b"\x1f\x8b"
    fmt = _FORMATS.get(Path(_plain_name(path)).suffix)
    if fmt is None:
        if gz:
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
            except zlib.error:
                raise _unreadable(path, "it looks gzipped but cannot be decompressed") from None
        if head.startswith(b"PAR1"):
            fmt = "parquet"
        elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            fmt = "jsonl"
        else:
            fmt = "csv"
    return fmt, gz


def _plain_name(path: Path) -> str:
    """The file name, lower case, without a ``.gz`` suffix."""
    return path.name.lower().removesuffix(".gz")


def _open(path: Path, gz: bool) -> IO[bytes]:
    return gzip.open(path, "rb") if gz else path.open("rb")


def _sample_text(path: Path, gz: bool) -> str:
    """The file's first bytes as text; raises FileUnreadable when they are not UTF-8 text."""
    try:
        with _open(path, gz) as fh:
            sample = fh.read(_SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, f"it cannot be decompressed ({exc})") from None
    if b"\x00" in sample:
        raise _unreadable(path, "it is binary, not text")
    try:
        return sample.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:
            # The sample ends inside a multi-byte character; the rest of the file is fine.
            return sample[: exc.start].decode("utf-8-sig")
        raise _not_utf8(path, f"byte 0x{sample[exc.start]:02x} at offset {exc.start}") from None


# --------------------------------------------------------------------------------------------
# CSV


def _csv_batches(path: Path, gz: bool, chunk_rows: int, block_bytes: int) -> Iterator[Batch]:
    sample = _sample_text(path, gz)
    if _plain_name(path).endswith(".tsv"):
        delimiter = "\t"
    else:
        delimiter = _sniff(next((ln for ln in sample.splitlines() if ln.strip()), ""))
    names = next((r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r), None)
    if names is None:
        raise _unreadable(path, "it is empty: no header row")
    invalid: list[tuple[int, str, int]] = []
    # Record numbers Arrow gave to rows it handed to keep_aside: valid rows are numbered around
    # them. Only a single-threaded reader knows record numbers; empty lines get none.
    skips: deque[int] = deque()

    def keep_aside(row: Any) -> str:
        skips.append(row.number)
        if row.text.strip():
            invalid.append((row.number, row.text, row.actual_columns))
        return "skip"

    def open_reader(columns: Iterable[str]) -> pacsv.CSVStreamingReader:
        source = pa.input_stream(str(path), compression="gzip" if gz else None)
        return pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=block_bytes),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=keep_aside
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in columns},
                null_values=sorted(NULLS),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    try:
        try:
            reader = open_reader(names)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return  # a header without a line end, and nothing else
            raise
        if any(not pa.types.is_string(t) for t in reader.schema.types):
            # Arrow split the header differently from the sniffing pass: take its names.
            names = reader.schema.names
            reader.close()
            invalid.clear()
            skips.clear()
            reader = open_reader(names)
        headers = _clean_headers(reader.schema.names)
        width = len(headers)
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        next_line = 2
        lines: list[int] = []
        for batch in reader:
            count = batch.num_rows
            if not skips or skips[0] >= next_line + count:
                lines.extend(range(next_line, next_line + count))
                next_line += count
            else:
                for _ in range(count):
                    while skips and skips[0] == next_line:
                        skips.popleft()
                        next_line += 1
                    lines.append(next_line)
                    next_line += 1
            pending.append(batch)
            pending_rows += count
            while pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending).combine_chunks()
                head, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
                yield _csv_batch(headers, head, lines[:chunk_rows], _early(invalid, width))
                lines = lines[chunk_rows:]
                invalid.clear()
                pending = rest.to_batches()
                pending_rows = rest.num_rows
        if pending_rows or invalid:
            table = pa.Table.from_batches(pending, schema=reader.schema).combine_chunks()
            yield _csv_batch(headers, table, lines, _early(invalid, width))
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "UTF-8" in str(exc):
            raise _not_utf8(path, _first_line(exc)) from None
        raise _unreadable(path, f"it is not valid CSV ({_first_line(exc)})") from None
    except (OSError, EOFError, zlib.error, pa.ArrowException) as exc:
        raise _unreadable(path, f"reading stopped ({_first_line(exc)})") from None


def _csv_batch(
    headers: list[str], table: pa.Table, lines: list[int], early: list[Rejection]
) -> TableBatch:
    columns = [
        col.combine_chunks() if col.num_chunks != 1 else col.chunk(0) for col in table.columns
    ]
    return TableBatch(headers, lines, early, columns=columns)


def _early(invalid: list[tuple[int, str, int]], width: int) -> list[Rejection]:
    detail = "record has {} fields but the header has {} (an unquoted delimiter or quote?)"
    return [
        Rejection(number, "malformed_row", detail.format(actual, width), text)
        for number, text, actual in invalid
    ]


def _sniff(first_line: str) -> str:
    """The delimiter that splits the header into the most fields (ties go to the comma)."""
    best, most = ",", 1
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > most:
            best, most = delimiter, count
    return best


# --------------------------------------------------------------------------------------------
# JSON Lines and Parquet


def _jsonl_batches(path: Path, gz: bool, chunk_rows: int) -> Iterator[Batch]:
    if _sample_text(path, gz).lstrip().startswith("["):
        raise _unreadable(path, "it is a JSON array, not JSON Lines (one object per line)")
    records: list[dict[str, Any]] = []
    texts: list[bytes] = []
    lines: list[int] = []
    early: list[Rejection] = []
    number = 0
    try:
        with _open(path, gz) as fh:
            for number, text in enumerate(fh, 1):
                if number == 1:
                    text = text.removeprefix(b"\xef\xbb\xbf")
                if not text.strip():
                    continue
                try:
                    value = orjson.loads(text)
                except orjson.JSONDecodeError as exc:
                    early.append(Rejection(number, "malformed_json", str(exc), line_text(text)))
                else:
                    if isinstance(value, dict):
                        records.append(value)
                        texts.append(text)
                        lines.append(number)
                    else:
                        detail = f"the line holds a JSON {_json_kind(value)}, not an object"
                        early.append(Rejection(number, "not_an_object", detail, line_text(text)))
                if len(records) + len(early) >= chunk_rows:
                    yield _record_batch(records, texts, lines, early)
                    records, texts, lines, early = [], [], [], []
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, f"reading stopped at line {number + 1} ({exc})") from None
    if records or early:
        yield _record_batch(records, texts, lines, early)


def _record_batch(
    records: list[dict[str, Any]], texts: list[bytes], lines: list[int], early: list[Rejection]
) -> RecordBatch:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return RecordBatch(list(keys), lines, early, records=records, texts=texts)


def _parquet_batches(path: Path, gz: bool, chunk_rows: int) -> Iterator[Batch]:
    try:
        source: Any = pa.BufferReader(gzip.decompress(path.read_bytes())) if gz else path
        parquet = pq.ParquetFile(source)
        headers = _clean_headers(parquet.schema_arrow.names)
        done = 0
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            lines = list(range(done + 1, done + batch.num_rows + 1))
            done += batch.num_rows
            yield TableBatch(headers, lines, [], columns=list(batch.columns))
    except (pa.ArrowException, OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, f"it is not a readable Parquet file ({_first_line(exc)})") from None


# --------------------------------------------------------------------------------------------
# Small helpers


def _clean_headers(names: Iterable[str]) -> list[str]:
    """Headers trimmed, a blank one named by its position, a repeated one numbered."""
    headers: list[str] = []
    seen: set[str] = set()
    for number, name in enumerate(names, 1):
        name = name.strip().lstrip("\ufeff").strip() or f"column_{number}"
        unique, copy = name, 1
        while unique in seen:
            copy += 1
            unique = f"{name} ({copy})"
        seen.add(unique)
        headers.append(unique)
    return headers


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _unreadable(path: Path, why: str) -> FileUnreadable:
    return FileUnreadable(f"cannot read {path}", value=why)


def _not_utf8(path: Path, where: str) -> FileUnreadable:
    return FileUnreadable(
        f"cannot read {path}", value=f"it is not UTF-8 text ({where})", hint="re-save it as UTF-8"
    )
