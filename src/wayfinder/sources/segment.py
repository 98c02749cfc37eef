"""Segment event files into chunks of events rows: ``read_events`` finds the format (JSONL, a
batch body, an array of calls or Parquet; gzipped or not) and checks each call with ``parse_event``.
"""

from __future__ import annotations

import gc
import gzip
import zlib
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wayfinder.errors import FileUnreadable
from wayfinder.sources.base import MAX_EVENT_BYTES, Chunk, Rejection
from wayfinder.sources.segment_calls import (
    CALL_TYPES,
    CHUNK_SCHEMA,
    CLICK_IDS,
    EVENT_COLUMNS,
    RowInvalid,
    describe,
    naive_utc,
    parse_event,
)

__all__ = [
    "CALL_TYPES",
    "CHUNK_SCHEMA",
    "CLICK_IDS",
    "EVENT_COLUMNS",
    "RowInvalid",
    "parse_event",
    "read_events",
]

_loads = orjson.loads
_dumps = orjson.dumps

# -- files -----------------------------------------------------------------------------------
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_BOM = b"\xef\xbb\xbf"
_PARQUET_MAGIC = b"PAR1"


def read_events(
    path: Path, *, chunk_rows: int = 50_000, received_at: datetime | None = None
) -> Iterator[Chunk]:
    """Read an event file into chunks of valid rows (``CHUNK_SCHEMA``) and rejections.

    The format is found from the content, gzip included: JSONL (``line`` is the file's line;
    blank lines are skipped), a ``{"batch": [...]}`` body as the Segment HTTP API receives it, a
    JSON array of calls, or one call (``line`` is the position in the batch or array). As Segment
    does, a batch's ``sentAt`` and ``context`` are defaults for the calls that lack them (context
    merged key by key, the call's own keys winning); ``integrations`` and ``writeKey`` are not
    stored. ``received_at`` stands for calls without ``receivedAt``: given, it is their real
    arrival and corrects device clocks; left out, the ingest time fills the column but device
    clocks of those calls are not corrected (see ``parse_event``).

    A Parquet file (found by its ``PAR1`` magic) holds one call a row, a column per field
    (``type``, ``messageId``, ``anonymousId``, ..., ``timestamp``, ``properties``, ``context``):
    objects as JSON text or as structs and maps, times as text, epoch milliseconds or Parquet
    timestamps (zone-less ones are UTC). ``line`` is the row number; a rejection's raw text is
    the row as compact JSON, its nulls left out, and that text's size is the one limited to 32 KB.

    Raises ``FileUnreadable`` when the file is missing, not UTF-8, a corrupt gzip or Parquet
    file or not JSON at all, possibly after some chunks were yielded: the caller then loads
    nothing from the file.
    """
    path = Path(path)
    known = received_at is not None
    received = naive_utc(datetime.now(UTC) if received_at is None else received_at)
    raw = _open(path)
    stream: IO[bytes] = raw
    try:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=raw)
        builder = _ChunkBuilder(max(1, chunk_rows), received, known, path)
        if stream.peek(4)[:4] == _PARQUET_MAGIC:  # type: ignore[attr-defined]  # both can peek
            source = path if stream is raw else pa.BufferReader(stream.read())
            yield from builder.calls(_parquet_calls(source, path))
        else:
            yield from _read(stream, path, builder)
    except (OSError, EOFError, zlib.error) as exc:
        why = "it is a corrupt or truncated gzip file" if stream is not raw else "reading failed"
        raise _unreadable(path, f"{why}: {exc}") from exc
    finally:
        stream.close()
        raw.close()


def _unreadable(path: Path, why: str) -> FileUnreadable:
    return FileUnreadable("cannot read events file", value=str(path), hint=why)


def _open(path: Path) -> Any:
    try:
        return open(path, "rb", buffering=1 << 20)  # closed by read_events
    except FileNotFoundError:
        raise _unreadable(path, "no such file") from None
    except IsADirectoryError:
        raise _unreadable(path, "it is a directory") from None
    except PermissionError:
        raise _unreadable(path, "permission denied") from None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None


def _read(stream: IO[bytes], path: Path, builder: _ChunkBuilder) -> Iterator[Chunk]:
    # Keep the lines up to the first non-blank one: they tell the format, then are replayed.
    head: list[bytes] = []
    first = b""
    for line in stream:
        if not head and line.startswith(_BOM):
            line = line[len(_BOM) :]
        head.append(line)
        first = line.strip()
        if first:
            break
    if not first:
        return  # an empty file holds no calls

    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    if first[:1] == b"{":
        try:
            opening = _loads(first)
        except orjson.JSONDecodeError:
            opening = None
        if type(opening) is dict and "batch" not in opening:
            yield from builder.jsonl(head, stream)
            return
        if opening is None and suffix in _JSONL_SUFFIXES:
            yield from builder.jsonl(head, stream)
            return
        data = b"".join(head) + stream.read()
        try:
            document = _load_document(data)
        except orjson.JSONDecodeError as exc:
            if opening is None and suffix != ".json":
                # Not one JSON document: JSONL whose first line is broken (rejected, not fatal).
                yield from builder.jsonl(data.split(b"\n"), ())
                return
            raise _not_json(path, data, exc) from None
    elif first[:1] == b"[":
        data = b"".join(head) + stream.read()
        try:
            document = _load_document(data)
        except orjson.JSONDecodeError as exc:
            raise _not_json(path, data, exc) from None
    elif suffix in _JSONL_SUFFIXES:
        yield from builder.jsonl(head, stream)
        return
    else:
        _decode(first, path, len(head))
        raise _unreadable(path, "it does not start with a JSON object or array")
    yield from builder.document(document)


def _load_document(data: bytes) -> Any:
    # Decoding creates every object of the document and no reference cycle, yet lets the garbage
    # collector make full passes over the growing document: more than doubling the time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _loads(data)
    finally:
        if enabled:
            gc.enable()


def _not_json(path: Path, data: bytes, exc: orjson.JSONDecodeError) -> FileUnreadable:
    try:
        data.decode()
    except UnicodeDecodeError as bad:
        return _unreadable(path, f"it is not UTF-8 text (byte {bad.start})")
    return _unreadable(path, f"it is not valid JSON: {exc}")


def _decode(line: bytes, path: Path, number: int) -> str:
    try:
        return line.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        # An encoding is a property of the whole file: quarantining every non-ASCII line of a
        # Latin-1 file would hide the real fix, which is to re-encode the file.
        raise _unreadable(path, f"line {number} is not UTF-8 text") from None


#: Rows turned into Arrow at a time. Python row dicts weigh several times their Arrow form, so
#: few are held at once: a chunk of 50,000 peaks a third lower in memory, with less GC work.
_BATCH_ROWS = 4096


class _ChunkBuilder:
    """Collects parsed rows and rejections; hands out a Chunk every ``limit`` input records."""

    def __init__(self, limit: int, received: datetime, known: bool, path: Path) -> None:
        self.limit = limit
        self.received = received
        self.known = known
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.batches: list[pa.RecordBatch] = []
        self.sealed = 0  # rows of the coming chunk already in ``batches``
        self.rejections: list[Rejection] = []

    def jsonl(self, head: list[bytes], rest: Any) -> Iterator[Chunk]:
        rows, lines, rejections = self.rows, self.lines, self.rejections
        received, known, limit, path = self.received, self.known, self.limit, self.path
        number = 0
        for source in (head, rest):
            for line in source:
                number += 1
                size = len(line)
                if size > MAX_EVENT_BYTES:
                    size = len(line.rstrip(b"\r\n"))  # exact only where it matters
                try:
                    # An oversized line is not even decoded: parse_event rejects it on its size.
                    payload = _loads(line) if size <= MAX_EVENT_BYTES else None
                    row = parse_event(
                        payload, raw_size=size, received_at=received, received_at_known=known
                    )
                    rows.append(row)
                    lines.append(number)
                except orjson.JSONDecodeError as exc:
                    if not line.strip():
                        continue
                    detail = f"line is not valid JSON: {exc.msg} at column {exc.colno}"
                    raw = _decode(line, path, number)
                    rejections.append(Rejection(number, "malformed_json", detail, raw))
                except RowInvalid as exc:
                    raw = _decode(line, path, number)
                    rejections.append(Rejection(number, exc.reason, exc.detail, raw))
                if len(rows) >= _BATCH_ROWS:
                    self.seal()
                if self.sealed + len(rows) + len(rejections) >= limit:
                    yield self.flush()
                    rejections = self.rejections
        if self.sealed or rows or rejections:
            yield self.flush()

    def document(self, document: object) -> Iterator[Chunk]:
        yield from self.calls(_document_calls(document, self.path))

    def calls(self, numbered: Iterable[tuple[int, Any, bytes]]) -> Iterator[Chunk]:
        """Parse calls given as (number, call, raw JSON); a ``RowInvalid`` given in place of a
        call is a rejection found while reading it."""
        rows, lines = self.rows, self.lines
        received, known, limit = self.received, self.known, self.limit
        for number, call, raw in numbered:
            try:
                if type(call) is RowInvalid:
                    raise call
                row = parse_event(
                    call, raw_size=len(raw), received_at=received, received_at_known=known
                )
                rows.append(row)
                lines.append(number)
            except RowInvalid as exc:
                self.rejections.append(Rejection(number, exc.reason, exc.detail, raw.decode()))
            if len(rows) >= _BATCH_ROWS:
                self.seal()
            if self.sealed + len(rows) + len(self.rejections) >= limit:
                yield self.flush()
        if self.sealed or rows or self.rejections:
            yield self.flush()

    def seal(self) -> None:
        """Turn the rows collected so far into one Arrow batch."""
        rows = self.rows
        arrays = [
            pa.array([row[name] for row in rows], type=CHUNK_SCHEMA.field(name).type)
            for name in EVENT_COLUMNS
        ]
        arrays.append(pa.array(self.lines, type=pa.int64()))
        self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=CHUNK_SCHEMA))
        self.sealed += len(rows)
        rows.clear()  # in place: the reading loops hold these lists
        self.lines.clear()

    def flush(self) -> Chunk:
        if self.rows or not self.batches:
            self.seal()
        chunk = Chunk(pa.Table.from_batches(self.batches, schema=CHUNK_SCHEMA), self.rejections)
        self.batches, self.sealed, self.rejections = [], 0, []
        return chunk


def _document_calls(document: object, path: Path) -> Iterator[tuple[int, Any, bytes]]:
    """The calls of a JSON document, numbered, with the batch envelope applied and raw JSON."""
    calls, context, sent_at = _unwrap(document, path)
    for number, call in enumerate(calls, 1):
        # Let go of each call once read: a large document shrinks as it is read, which keeps
        # memory and the garbage collector's full passes over it small.
        calls[number - 1] = None
        payload = call
        if type(call) is dict and (context or sent_at is not None):
            payload = _apply_envelope(call, context, sent_at)
        yield number, payload, _dumps(call)


def _unwrap(document: object, path: Path) -> tuple[list[Any], dict[str, Any] | None, Any]:
    """The calls of a JSON document, with the batch envelope's context and sentAt."""
    if type(document) is list:
        return document, None, None
    if type(document) is not dict or "batch" not in document:
        return [document], None, None  # one call on its own
    calls = document["batch"]
    if type(calls) is not list:
        raise _unreadable(path, f"its batch is {describe(calls)}, not an array of calls")
    context = document.get("context")
    if context is not None and type(context) is not dict:
        raise _unreadable(path, f"its batch context is {describe(context)}, not an object")
    return calls, context, document.get("sentAt")


def _apply_envelope(call: dict[str, Any], context: dict[str, Any] | None, sent_at: Any) -> dict:
    merged = dict(call)
    if sent_at is not None and call.get("sentAt") is None:
        merged["sentAt"] = sent_at
    if context:
        own = call.get("context")
        if own is None:
            merged["context"] = context
        elif type(own) is dict:
            merged["context"] = {**context, **own}
        # A call's non-object context stays as sent, for parse_event to reject.
    return merged


# -- Parquet ---------------------------------------------------------------------------------
#: Columns holding objects, which a Parquet file may give as JSON text.
_OBJECT_COLUMNS = frozenset({"properties", "traits", "context"})
#: Parquet rows turned into Python objects at a time: few enough that the objects die young, as
#: a JSONL line's do; thousands at once age into the garbage collector's costly full passes.
_PARQUET_ROWS = 256


def _parquet_calls(source: Any, path: Path) -> Iterator[tuple[int, Any, bytes]]:
    """The rows of a Parquet file as calls, numbered, with their raw JSON (nulls left out)."""
    number = 0
    for batch in _parquet_batches(source, path):
        bad: dict[int, str] = {}  # rows whose object text is not JSON, with why
        names = batch.schema.names
        columns = [_values(batch.column(i), names[i], bad) for i in range(batch.num_columns)]
        rows = zip(*columns, strict=True) if columns else repeat((), batch.num_rows)
        for index, values in enumerate(rows):
            number += 1
            call = {
                key: value for key, value in zip(names, values, strict=True) if value is not None
            }
            # default=str: a value JSON has no type for (a decimal, bytes) is shown as text.
            raw = _dumps(call, default=str, option=orjson.OPT_NAIVE_UTC)
            if bad and index in bad:
                yield number, RowInvalid("malformed_json", bad[index]), raw
            else:
                yield number, call, raw


def _parquet_batches(source: Any, path: Path) -> Iterator[pa.RecordBatch]:
    try:
        # Decoded a chunk batch at a time, turned into calls a few rows at a time. One thread:
        # decoding is a small part of the work, and a pool only waits for the busy CPU.
        parquet = pq.ParquetFile(source)
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, use_threads=False):
            for start in range(0, batch.num_rows, _PARQUET_ROWS):
                yield batch.slice(start, _PARQUET_ROWS)
    except (pa.ArrowException, OSError) as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unreadable(path, f"it is not a readable Parquet file: {why}") from None


def _values(column: pa.Array, name: str, bad: dict[int, str]) -> list[Any]:
    """A column's values as JSON decoding would give them to ``parse_event``."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        with suppress(pa.ArrowInvalid):  # text written without its UTF-8 mark, as some tools do
            column = column.cast(pa.large_string())
    kind = column.type
    if pa.types.is_timestamp(kind):
        return _moments(column)
    if pa.types.is_nested(kind) or pa.types.is_decimal(kind):
        return _objects(column)
    values = column.to_pylist()
    if name in _OBJECT_COLUMNS and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        try:
            return [_loads(text) if text else None for text in values]
        except orjson.JSONDecodeError:
            return [_object_text(text, name, index, bad) for index, text in enumerate(values)]
    return values


def _object_text(text: str | None, name: str, index: int, bad: dict[int, str]) -> Any:
    if not text:
        return None  # null or "": no object
    try:
        return _loads(text)
    except orjson.JSONDecodeError as exc:
        bad.setdefault(index, f"{name} is not valid JSON: {exc.msg} at column {exc.colno}")
        return text


def _moments(column: pa.Array) -> list[str | None]:
    """A timestamp column as ISO 8601 text in UTC (a column without a zone is UTC), for
    ``parse_event`` to read as from JSON: several times quicker than making datetimes, and a
    moment past the year 9999 is rejected with its value rather than failing the batch."""
    # Zone-less first: Arrow writes zoned moments as text many times slower.
    text = column.cast(pa.timestamp(column.type.unit)).cast(pa.string())
    return pc.binary_join_element_wise(text, "Z", "").to_pylist()


def _objects(array: pa.Array) -> list[Any]:
    """Struct, map and list values as the JSON call held them. A struct has every field in every
    row, null where the call had none: those fields are left out, as are a map's nulls."""
    kind = array.type
    if pa.types.is_struct(kind):
        # Field by field: several times faster than pyarrow's own to_pylist of a struct.
        names = [field.name for field in kind]
        rows = (
            zip(*map(_objects, array.flatten()), strict=True) if names else repeat((), len(array))
        )
        objects: list[Any] = [
            {key: value for key, value in zip(names, values, strict=True) if value is not None}
            for values in rows
        ]
        if array.null_count:
            valid = array.is_valid().to_pylist()
            objects = [value if ok else None for value, ok in zip(objects, valid, strict=True)]
        return objects
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        return array.cast(pa.timestamp("us", kind.tz), safe=False).to_pylist()
    if pa.types.is_nested(kind) or pa.types.is_decimal(kind):
        return [_plain(value) for value in array.to_pylist(maps_as_pydicts="lossy")]
    return array.to_pylist()


def _plain(value: Any) -> Any:
    """A value of a map or list as the JSON call held it: nulls left out, decimals as numbers."""
    if type(value) is dict:
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if type(value) is list:
        return [_plain(item) for item in value]
    return float(value) if isinstance(value, Decimal) else value
