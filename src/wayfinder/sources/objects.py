"""Reads CRM and other object files (CSV, JSON Lines, Parquet; gzipped or not) into canonical rows.

Owns header matching (mapping, exact, then loose), value conversion per column type, and the
rejection of each row that does not fit, with its reason.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wayfinder.errors import FileUnreadable, MappingError, UnknownName
from wayfinder.sources.base import Chunk, Rejection, content_hash
from wayfinder.sources.mapping import ANY_VALUE, ColumnMapping
from wayfinder.store.schema import INPUT_TABLES, OBJECT_KINDS, Column, TableSpec

#: Cell values that mean "no value" in a text file.
NULLS = frozenset({"", "null", "NULL", "None"})

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}
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
_CSV_BLOCK_BYTES = 4 * 1024 * 1024
_TRUE = frozenset({"true", "yes", "1", "t", "y"})
_FALSE = frozenset({"false", "no", "0", "f", "n"})
_NULL_WORDS = pa.array(sorted(NULLS), type=pa.string())
_TRUE_WORDS = pa.array(sorted(_TRUE), type=pa.string())
_FALSE_WORDS = pa.array(sorted(_FALSE), type=pa.string())
# Nine digits at least: a bare "2024" is a year, not 33 minutes after the epoch.
_EPOCH = re.compile(r"-?\d{9,}(\.\d+)?")
_LOOSE = re.compile(r"[\s_\-]+")
_EPOCH_START = datetime(1970, 1, 1)
_INT64 = (-(2**63), 2**63 - 1)
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class _Missing:
    """A key absent from a JSON record (as opposed to present and null)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def read_objects(
    path: str | Path,
    kind: str,
    *,
    mapping: ColumnMapping | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[Chunk]:
    """Read an object file (people, accounts, deals, ...) as chunks of canonical rows.

    ``path`` may be CSV (UTF-8, with or without BOM; delimiter sniffed among ``, ; tab |``),
    JSON Lines or Parquet, each optionally gzipped. ``mapping`` renames headers and values
    (see ``wayfinder.sources.mapping``). Each chunk holds ``chunk_rows`` input rows (a CSV
    chunk also carries the malformed records met while reading it, so it may hold a few more).

    ``Chunk.rows`` has the kind's input columns typed as in the schema (timestamps naive UTC),
    ``row_hash`` and ``line``. ``line`` is 1-based:

    - CSV: the record number, the header being record 1, so the first data row is 2. A quoted
      field spanning lines is one record; empty lines are not records and get no number.
      Without multi-line fields or empty lines this is the line number an editor shows.
    - JSON Lines: the physical line number (empty lines count). Parquet: the row number.

    Headers the kind does not know land in ``traits`` (a JSON object; empty cells left out);
    headers in ``mapping.ignore`` are dropped. The raw payload of a rejected row is the line
    as written for JSON Lines and for CSV records of the wrong width; for other CSV and
    Parquet rows it is a JSON object of header to value, so it can be fixed and re-read.

    Raises UnknownName for a kind that is not an object kind, MappingError for a mapping that
    names columns the kind lacks, and FileUnreadable for a file that cannot be read at all; that
    may surface mid-file (a byte that is not UTF-8, a truncated gzip), after earlier chunks.
    """
    spec = INPUT_TABLES[kind] if kind in OBJECT_KINDS else None
    if spec is None:
        raise UnknownName(
            "unknown object kind", value=kind, hint="object kinds: " + ", ".join(OBJECT_KINDS)
        )
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    mapping = mapping if mapping is not None else ColumnMapping()
    mapping.check(kind)
    path = Path(path)
    fmt, gz = _detect(path)
    converter = _Converter(spec, mapping)
    batches = _READERS[fmt](path, gz, chunk_rows)
    return (converter.convert(batch) for batch in batches)


# --------------------------------------------------------------------------------------------
# Files to batches of raw values


@dataclass
class _Batch:
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
class _TableBatch(_Batch):
    """CSV and Parquet: every row has every header; columns are Arrow arrays."""

    columns: list[pa.Array] = field(default_factory=list)
    _lists: list[list[Any]] | None = None

    def column(self, index: int) -> pa.Array:
        return self.columns[index]

    def trait_rows(self, indices: list[int]) -> list[dict[str, Any]]:
        pairs = [(self.headers[i], _pylist(self.columns[i])) for i in indices]
        return [
            {h: col[row] for h, col in pairs if col[row] is not None} for row in range(self.size)
        ]

    def raw(self, row: int) -> str:
        if self._lists is None:
            self._lists = [_pylist(col) for col in self.columns]
        return _dumps({h: col[row] for h, col in zip(self.headers, self._lists, strict=True)})


@dataclass
class _RecordBatch(_Batch):
    """JSON Lines: each record has its own keys; ``headers`` is their union."""

    records: list[dict[str, Any]] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)

    def column(self, index: int) -> list[Any]:
        key = self.headers[index]
        return [r.get(key, _MISSING) for r in self.records]

    def trait_rows(self, indices: list[int]) -> list[dict[str, Any]]:
        keys = {self.headers[i] for i in indices}
        return [{k: v for k, v in r.items() if k in keys and v is not None} for r in self.records]

    def found(self, row: int) -> Sequence[str]:
        return list(self.records[row])

    def raw(self, row: int) -> str:
        return _text(self.texts[row])


def _detect(path: Path) -> tuple[str, bool]:
    """The file's format and whether it is gzipped: by extension, else by its first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None
    gz = head[:2] == b"\x1f\x8b"
    name = path.name.lower().removesuffix(".gz")
    fmt = _FORMATS.get(Path(name).suffix)
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


def _csv_batches(path: Path, gz: bool, chunk_rows: int) -> Iterator[_Batch]:
    sample = _sample_text(path, gz)
    if path.name.lower().removesuffix(".gz").endswith(".tsv"):
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
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_CSV_BLOCK_BYTES),
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
) -> _TableBatch:
    columns = [
        col.combine_chunks() if col.num_chunks != 1 else col.chunk(0) for col in table.columns
    ]
    return _TableBatch(headers, lines, early, columns=columns)


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


def _jsonl_batches(path: Path, gz: bool, chunk_rows: int) -> Iterator[_Batch]:
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
                    early.append(Rejection(number, "malformed_json", str(exc), _text(text)))
                else:
                    if isinstance(value, dict):
                        records.append(value)
                        texts.append(text)
                        lines.append(number)
                    else:
                        detail = f"the line holds a JSON {_json_kind(value)}, not an object"
                        early.append(Rejection(number, "not_an_object", detail, _text(text)))
                if len(records) + len(early) >= chunk_rows:
                    yield _record_batch(records, texts, lines, early)
                    records, texts, lines, early = [], [], [], []
    except (OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, f"reading stopped at line {number + 1} ({exc})") from None
    if records or early:
        yield _record_batch(records, texts, lines, early)


def _record_batch(
    records: list[dict[str, Any]], texts: list[bytes], lines: list[int], early: list[Rejection]
) -> _RecordBatch:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return _RecordBatch(list(keys), lines, early, records=records, texts=texts)


def _parquet_batches(path: Path, gz: bool, chunk_rows: int) -> Iterator[_Batch]:
    try:
        source: Any = pa.BufferReader(gzip.decompress(path.read_bytes())) if gz else path
        parquet = pq.ParquetFile(source)
        headers = _clean_headers(parquet.schema_arrow.names)
        done = 0
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            lines = list(range(done + 1, done + batch.num_rows + 1))
            done += batch.num_rows
            yield _TableBatch(headers, lines, [], columns=list(batch.columns))
    except (pa.ArrowException, OSError, EOFError, zlib.error) as exc:
        raise _unreadable(path, f"it is not a readable Parquet file ({_first_line(exc)})") from None


def _pylist(array: pa.Array) -> list[Any]:
    if pa.types.is_timestamp(array.type) and array.type.unit == "ns":
        # Nanoseconds do not fit a Python datetime; the store keeps microseconds anyway.
        array = array.cast(pa.timestamp("us", array.type.tz), safe=False)
    return array.to_pylist()


_READERS: dict[str, Callable[[Path, bool, int], Iterator[_Batch]]] = {
    "csv": _csv_batches,
    "jsonl": _jsonl_batches,
    "parquet": _parquet_batches,
}


def _clean_headers(names: Iterable[str]) -> list[str]:
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


# --------------------------------------------------------------------------------------------
# Raw values to typed columns


class _Bad(ValueError):
    """One value that does not fit its column; ``reason`` is a REASONS code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


Parser = Callable[[Any], Any]


def _parse_string(value: Any) -> str | None:
    if type(value) is str:
        return None if value.strip() in NULLS else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return _dumps(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parse_email(value: Any) -> str | None:
    text = _parse_string(value)
    return (text.strip().lower() or None) if text is not None else None


def _not_number(value: Any, whole: bool = False) -> _Bad:
    what = "a whole number" if whole else "a number"
    return _Bad("wrong_type", f"{value!r} is not {what}")


def _parse_float(value: Any) -> float | None:
    if type(value) is float:
        number = value
    elif type(value) is int:
        return float(value)
    elif type(value) is str:
        text = value.strip()
        if text in NULLS or text in ("nan", "NaN"):
            return None
        if "_" in text:
            raise _not_number(value)
        try:
            number = float(text)
        except ValueError:
            raise _not_number(value) from None
    else:
        raise _not_number(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise _not_number(value)
    return number


def _parse_int(value: Any) -> int | None:
    if type(value) is int:
        number = value
    elif type(value) is str and value.strip() not in NULLS and "_" not in value:
        try:
            number = int(value)
        except ValueError:
            number = _integral(_parse_float(value), value)
    else:
        number = _integral(_parse_float(value), value)
    if number is not None and not _INT64[0] <= number <= _INT64[1]:
        raise _Bad("wrong_type", f"{value!r} is out of range for a 64-bit integer")
    return number


def _integral(number: float | None, value: Any) -> int | None:
    if number is None:
        return None
    if not number.is_integer():
        raise _not_number(value, whole=True)
    return int(number)


def _parse_bool(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if value.strip() in NULLS:
            return None
    elif type(value) is int and value in (0, 1):
        return bool(value)
    raise _Bad("wrong_type", f"{value!r} is not true or false")


def _epoch(number: float) -> datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    size = abs(number)
    scale = 1e6 if size < 1e11 else 1e3 if size < 1e14 else 1.0 if size < 1e17 else 1e-3
    return _EPOCH_START + timedelta(microseconds=round(number * scale))


class _Timestamps:
    """Parses timestamps to naive UTC: formats from the mapping, ISO 8601, then epoch numbers."""

    def __init__(self, zone: ZoneInfo, formats: tuple[str, ...]) -> None:
        self.zone = None if zone.key == "UTC" else zone
        self.formats = formats
        self.hint = "ISO 8601 or epoch seconds" + (f", or {' / '.join(formats)}" if formats else "")

    def __call__(self, value: Any) -> datetime | None:
        try:
            if type(value) is str:
                return self._from_text(value)
            if isinstance(value, datetime):
                return self._to_utc(value)
            if isinstance(value, date):
                return self._to_utc(datetime(value.year, value.month, value.day))
            if isinstance(value, int | float) and not isinstance(value, bool):
                if math.isfinite(value):
                    return _epoch(value)
        except (OverflowError, ValueError):
            pass
        raise _Bad("bad_timestamp", f"{value!r} is not a timestamp ({self.hint})")

    def _from_text(self, value: str) -> datetime | None:
        text = value.strip()
        if text in NULLS:
            return None
        for fmt in self.formats:
            try:
                return self._to_utc(datetime.strptime(text, fmt))
            except ValueError:
                continue
        try:
            return self._to_utc(datetime.fromisoformat(text))
        except ValueError:
            if _EPOCH.fullmatch(text):
                return _epoch(float(text))
            raise

    def arrow(self, array: pa.Array, text: bool) -> pa.Array | None:
        """The column converted by Arrow (raises ArrowInvalid when a value does not parse)."""
        kind = array.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            return array.cast(pa.timestamp("us", "UTC"), safe=False).cast(pa.timestamp("us"))
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            naive = array.cast(pa.timestamp("us"), safe=False)
        elif text and not self.formats:
            array = _blank_to_null(array)
            try:
                naive = array.cast(pa.timestamp("us"))
            except pa.ArrowInvalid:
                # Every value carries its offset (or Arrow raises again: per-value path).
                return array.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us"))
        else:
            return None
        if self.zone is None:
            return naive
        local = pc.assume_timezone(naive, self.zone.key, ambiguous="earliest", nonexistent="latest")
        return local.cast(pa.timestamp("us"))

    def _to_utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            if self.zone is None:
                return moment
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC).replace(tzinfo=None)

    def day(self, value: Any) -> date | None:
        """A calendar day, as written (no zone shift): a day is local to whoever wrote it."""
        if type(value) is str:
            text = value.strip()
            if text in NULLS:
                return None
            for fmt in self.formats:
                try:
                    return datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
            try:
                return date.fromisoformat(text)
            except ValueError:
                try:
                    return datetime.fromisoformat(text).date()
                except ValueError:
                    pass
        elif isinstance(value, datetime):
            return value.date()
        elif isinstance(value, date):
            return value
        raise _Bad("bad_timestamp", f"{value!r} is not a date (ISO 8601, YYYY-MM-DD)")


class _ValueMap:
    """A mapping's ``values`` for one column: exact match, then case-insensitive, then ``*``."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.exact = {k: v for k, v in table.items() if k != ANY_VALUE}
        self.loose = {k.strip().casefold(): v for k, v in self.exact.items()}
        self.other = table.get(ANY_VALUE, _MISSING)

    def __call__(self, value: Any) -> Any:
        if value is None or value is _MISSING:
            return value
        if isinstance(value, bool):
            key = "true" if value else "false"
        elif isinstance(value, str | int | float):
            key = str(value).strip()
        else:
            return value
        if key in self.exact:
            return self.exact[key]
        folded = key.casefold()
        if folded in self.loose:
            return self.loose[folded]
        if self.other is not _MISSING and key not in NULLS:
            return self.other
        return value


@dataclass
class _Plan:
    """Where each canonical column comes from in one batch's headers."""

    source: dict[str, int]
    trait_indices: list[int]
    traits_index: int | None


class _Converter:
    """Turns raw batches of one kind into chunks, reusing what it learnt about the headers."""

    def __init__(self, spec: TableSpec, mapping: ColumnMapping) -> None:
        self.spec = spec
        self.mapping = mapping
        self.columns = [c for c in spec.columns if c.name != "traits"]
        self.names = {c.name for c in spec.columns}
        self.loose_names = {_loose(c.name): c.name for c in spec.columns}
        self.loose_mapped = {_loose(h): h for h in mapping.columns}
        self.ignored = {_loose(h) for h in mapping.ignore}
        self.order = {h: n for n, h in enumerate(mapping.columns)}
        self.timestamps = _Timestamps(mapping.zone, mapping.formats)
        self.parsers = {c.name: self._parser(c) for c in self.columns}
        self.value_maps = {name: _ValueMap(table) for name, table in mapping.values.items()}
        self.defaults = {name: self._default(name, v) for name, v in mapping.defaults.items()}
        self.input_schema = pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.dtype]) for c in spec.columns]
        )
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _parser(self, column: Column) -> Parser:
        if column.name == "email":
            return _parse_email
        return {
            "string": _parse_string,
            "int64": _parse_int,
            "float64": _parse_float,
            "boolean": _parse_bool,
            "timestamp": self.timestamps,
            "date": self.timestamps.day,
        }[column.dtype]

    def _default(self, name: str, value: Any) -> Any:
        try:
            return self.parsers[name](value) if value is not None else None
        except _Bad as exc:
            raise MappingError(
                f"column mapping {self.mapping.origin}: defaults.{name}", value=exc.detail
            ) from None

    def plan(self, headers: list[str]) -> _Plan:
        key = tuple(headers)
        if key not in self._plans:
            self._plans[key] = self._make_plan(headers)
        return self._plans[key]

    def _make_plan(self, headers: list[str]) -> _Plan:
        best: dict[str, tuple[int, int, int]] = {}
        ignored: set[int] = set()
        for index, header in enumerate(headers):
            loose = _loose(header)
            if header in self.mapping.ignore or loose in self.ignored:
                ignored.add(index)
                continue
            mapped = header if header in self.mapping.columns else self.loose_mapped.get(loose)
            candidates: list[tuple[str, tuple[int, int, int]]]
            if mapped is not None:
                rank = (0, self.order[mapped], index)
                candidates = [(t, rank) for t in self.mapping.targets(mapped)]
            elif header in self.names:
                candidates = [(header, (1, 0, index))]
            elif loose in self.loose_names:
                candidates = [(self.loose_names[loose], (2, 0, index))]
            else:
                candidates = []
            for target, rank in candidates:
                if target not in best or rank < best[target]:
                    best[target] = rank
        source = {target: rank[2] for target, rank in best.items()}
        used = set(source.values())
        traits_index = source.pop("traits", None)
        trait_indices = [i for i in range(len(headers)) if i not in used and i not in ignored]
        return _Plan(source, trait_indices, traits_index)

    def convert(self, batch: _Batch) -> Chunk:
        plan = self.plan(batch.headers)
        size = batch.size
        problems: dict[int, list[tuple[str, str]]] = {}

        def reject(row: int, reason: str, detail: str) -> None:
            problems.setdefault(row, []).append((reason, detail))

        arrays: dict[str, pa.Array] = {}
        for column in self.columns:
            name, arrow_type = column.name, _ARROW_TYPES[column.dtype]
            index = plan.source.get(name)
            default = self.defaults.get(name)
            if index is None:
                arrays[name] = pa.array([default] * size, type=arrow_type)
                if default is None and column.required:
                    for row in range(size):
                        found = _names(batch.found(row))
                        reject(row, "missing_required", f"column {name} is absent (found: {found})")
                continue
            raw = batch.column(index)
            array, errors = self._convert_column(column, raw)
            for row, (reason, detail) in errors.items():
                reject(row, reason, f"column {name}: {detail}")
            if default is not None:
                array = pc.fill_null(array, pa.scalar(default, arrow_type))
            elif column.required and array.null_count:
                for row in pc.indices_nonzero(pc.is_null(array)).to_pylist():
                    if row in errors:
                        continue
                    if isinstance(raw, list) and raw[row] is _MISSING:
                        found = _names(batch.found(row))
                        reject(row, "missing_required", f"column {name} is absent (found: {found})")
                    else:
                        reject(row, "missing_required", f"column {name} is empty")
            arrays[name] = array
        arrays["traits"] = pa.array(self._traits(batch, plan, reject), type=pa.string())

        table = pa.Table.from_arrays(
            [arrays[c.name] for c in self.spec.columns], schema=self.input_schema
        )
        lines = pa.array(batch.lines, type=pa.int64())
        if problems:
            keep = pa.array([row not in problems for row in range(size)], type=pa.bool_())
            table, lines = table.filter(keep), lines.filter(keep)
        table = table.append_column("row_hash", _row_hashes(table)).append_column("line", lines)

        rejections = list(batch.early)
        for row, found in problems.items():
            detail = "; ".join(text for _, text in found)
            rejections.append(Rejection(batch.lines[row], found[0][0], detail, batch.raw(row)))
        rejections.sort(key=lambda r: r.line or 0)
        return Chunk(table, rejections)

    def _convert_column(
        self, column: Column, raw: pa.Array | list[Any]
    ) -> tuple[pa.Array, dict[int, tuple[str, str]]]:
        value_map = self.value_maps.get(column.name)
        if value_map is None:
            array = raw if isinstance(raw, pa.Array) else _json_array(raw)
            fast = None if array is None else _arrow_convert(column, array, self.timestamps)
            if fast is not None:
                return fast, {}
        if isinstance(raw, pa.Array):
            raw = _pylist(raw)
        if value_map is not None:
            raw = [value_map(v) for v in raw]
        # The per-value path: JSON values, value maps, and columns Arrow could not cast whole.
        parse = self.parsers[column.name]
        out: list[Any] = [None] * len(raw)
        errors: dict[int, tuple[str, str]] = {}
        for row, value in enumerate(raw):
            if value is None or value is _MISSING:
                continue
            try:
                out[row] = parse(value)
            except _Bad as exc:
                errors[row] = (exc.reason, exc.detail)
        return pa.array(out, type=_ARROW_TYPES[column.dtype]), errors

    def _traits(
        self, batch: _Batch, plan: _Plan, reject: Callable[[int, str, str], None]
    ) -> list[str | None]:
        if not plan.trait_indices and plan.traits_index is None:
            return [None] * batch.size
        rows = batch.trait_rows(plan.trait_indices)
        if plan.traits_index is not None:
            # A file that already has a traits column: its object is the base, other headers
            # are added on top.
            given = batch.column(plan.traits_index)
            for row, value in enumerate(_pylist(given) if isinstance(given, pa.Array) else given):
                base = _traits_object(value)
                if base is None:
                    reject(row, "wrong_type", f"column traits: {value!r} is not a JSON object")
                elif base:
                    rows[row] = {**base, **rows[row]}
        return [_dumps(traits) if traits else None for traits in rows]


def _json_array(values: list[Any]) -> pa.Array | None:
    """JSON values as one Arrow array when they share a scalar type, so Arrow can convert them."""
    try:
        array = pa.array([None if v is _MISSING else v for v in values])
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    kind = array.type
    scalar = pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)
    return array if scalar or pa.types.is_boolean(kind) or pa.types.is_null(kind) else None


def _row_hashes(table: pa.Table) -> pa.Array:
    """content_hash of each row's canonical text: every value as Arrow writes it, nulls marked."""
    if table.num_rows == 0:
        return pa.array([], type=pa.string())
    texts = [pc.cast(column, pa.string()) for column in table.columns]
    joined = pc.binary_join_element_wise(
        *texts, "\x1f", null_handling="replace", null_replacement="\x00"
    )
    return pa.array([content_hash(text) for text in joined.to_pylist()], type=pa.string())


def _arrow_convert(column: Column, array: pa.Array, timestamps: _Timestamps) -> pa.Array | None:
    """A whole column converted by Arrow, or None when some value needs the per-value path."""
    kind, dtype = array.type, column.dtype
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    try:
        if dtype == "string":
            return _blank_to_null(array, lower=column.name == "email") if text else None
        if dtype == "int64":
            if pa.types.is_integer(kind):
                return array.cast(pa.int64())
            return _blank_to_null(array).cast(pa.int64()) if text else None
        if dtype == "float64":
            return _to_float(array, text)
        if dtype == "boolean":
            if pa.types.is_boolean(kind):
                return array
            return _to_bool(array) if text else None
        if dtype == "timestamp":
            return timestamps.arrow(array, text)
        if pa.types.is_date(kind):
            return array.cast(pa.date32())
        if text and not timestamps.formats:
            return _blank_to_null(array).cast(pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return None


def _blank_to_null(array: pa.Array, lower: bool = False) -> pa.Array:
    array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    blank = pc.is_in(trimmed, value_set=_NULL_WORDS)
    if lower:
        array = pc.utf8_lower(trimmed)
    if not pc.any(blank).as_py():
        return array
    return pc.if_else(blank, pa.scalar(None, pa.string()), array)


def _to_float(array: pa.Array, text: bool) -> pa.Array | None:
    kind = array.type
    if text:
        out = _blank_to_null(array).cast(pa.float64())
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        out = array.cast(pa.float64())
    else:
        return None
    if pc.any(pc.is_inf(out)).as_py():
        return None
    if pc.any(pc.is_nan(out)).as_py():
        out = pc.if_else(pc.is_nan(out), pa.scalar(None, pa.float64()), out)
    return out


def _to_bool(array: pa.Array) -> pa.Array | None:
    words = pc.utf8_lower(pc.utf8_trim_whitespace(_blank_to_null(array)))
    yes = pc.is_in(words, value_set=_TRUE_WORDS)
    no = pc.is_in(words, value_set=_FALSE_WORDS)
    known = pc.sum(pc.or_(yes, no)).as_py() or 0
    if known != len(words) - words.null_count:
        return None
    return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))


def _traits_object(value: Any) -> dict[str, Any] | None:
    if value is None or value is _MISSING or (type(value) is str and value.strip() in NULLS):
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


# --------------------------------------------------------------------------------------------
# Small helpers


def _loose(name: str) -> str:
    """A header as compared loosely: case, spaces, underscores and hyphens do not count."""
    return _LOOSE.sub("", name).casefold()


def _names(names: Sequence[str], most: int = 30) -> str:
    """Names for a message: a CRM export can have hundreds of headers."""
    shown = ", ".join(names[:most]) or "nothing"
    return shown + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


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


__all__ = ["NULLS", "read_objects"]
