"""Reads CRM and other object files (CSV, JSON Lines, Parquet; gzipped or not) into canonical rows.

Owns header matching (mapping, exact, then loose), traits, and the assembly of each batch into a
chunk of valid rows plus the rows rejected, with their reasons. Files are read by ``tabular``,
values converted by ``columns``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from wayfinder.errors import MappingError, UnknownName
from wayfinder.sources.base import Chunk, Rejection, content_hash
from wayfinder.sources.batches import Batch
from wayfinder.sources.columns import ARROW_TYPES, ColumnConverter
from wayfinder.sources.mapping import ANY_VALUE, ColumnMapping
from wayfinder.sources.tabular import read_batches
from wayfinder.sources.timestamps import Timestamps
from wayfinder.sources.values import MISSING, NULLS, Bad, dumps, py_values
from wayfinder.store.schema import INPUT_TABLES, OBJECT_KINDS, TableSpec

# How much of a CSV file Arrow parses at a time. Looked up on each read, so a test can shrink it
# to make records cross block boundaries.
_CSV_BLOCK_BYTES = 4 * 1024 * 1024
_LOOSE = re.compile(r"[\s_\-]+")


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
    batches = read_batches(Path(path), chunk_rows, _CSV_BLOCK_BYTES)
    converter = _Converter(spec, mapping)
    return (converter.convert(batch) for batch in batches)


class _ValueMap:
    """A mapping's ``values`` for one column: exact match, then case-insensitive, then ``*``."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.exact = {k: v for k, v in table.items() if k != ANY_VALUE}
        self.loose = {k.strip().casefold(): v for k, v in self.exact.items()}
        self.other = table.get(ANY_VALUE, MISSING)

    def __call__(self, value: Any) -> Any:
        if value is None or value is MISSING:
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
        if self.other is not MISSING and key not in NULLS:
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
        self.names = {c.name for c in spec.columns}
        self.loose_names = {_loose(c.name): c.name for c in spec.columns}
        self.loose_mapped = {_loose(h): h for h in mapping.columns}
        self.ignored = {_loose(h) for h in mapping.ignore}
        self.order = {h: n for n, h in enumerate(mapping.columns)}
        timestamps = Timestamps(mapping.zone, mapping.formats)
        value_maps = {name: _ValueMap(table) for name, table in mapping.values.items()}
        self.columns = {
            c.name: ColumnConverter(c, timestamps, value_maps.get(c.name))
            for c in spec.columns
            if c.name != "traits"
        }
        self.defaults = {name: self._default(name, v) for name, v in mapping.defaults.items()}
        self.input_schema = pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.dtype]) for c in spec.columns]
        )
        self._plans: dict[tuple[str, ...], _Plan] = {}

    def _default(self, name: str, value: Any) -> Any:
        try:
            return self.columns[name].parse(value) if value is not None else None
        except Bad as exc:
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

    def convert(self, batch: Batch) -> Chunk:
        plan = self.plan(batch.headers)
        size = batch.size
        problems: dict[int, list[tuple[str, str]]] = {}

        def reject(row: int, reason: str, detail: str) -> None:
            problems.setdefault(row, []).append((reason, detail))

        def absent(row: int, name: str) -> None:
            found = _names(batch.found(row))
            reject(row, "missing_required", f"column {name} is absent (found: {found})")

        arrays: dict[str, pa.Array] = {}
        for name, converter in self.columns.items():
            column, arrow_type = converter.column, converter.arrow_type
            index = plan.source.get(name)
            default = self.defaults.get(name)
            if index is None:
                arrays[name] = pa.array([default] * size, type=arrow_type)
                if default is None and column.required:
                    for row in range(size):
                        absent(row, name)
                continue
            raw = batch.column(index)
            array, errors = converter(raw)
            for row, (reason, detail) in errors.items():
                reject(row, reason, f"column {name}: {detail}")
            if default is not None:
                array = pc.fill_null(array, pa.scalar(default, arrow_type))
            elif column.required and array.null_count:
                for row in pc.indices_nonzero(pc.is_null(array)).to_pylist():
                    if row in errors:
                        continue
                    if isinstance(raw, list) and raw[row] is MISSING:
                        absent(row, name)
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

    def _traits(
        self, batch: Batch, plan: _Plan, reject: Callable[[int, str, str], None]
    ) -> list[str | None]:
        if not plan.trait_indices and plan.traits_index is None:
            return [None] * batch.size
        rows = batch.trait_rows(plan.trait_indices)
        if plan.traits_index is not None:
            # A file that already has a traits column: its object is the base, other headers
            # are added on top.
            for row, value in enumerate(py_values(batch.column(plan.traits_index))):
                base = _traits_object(value)
                if base is None:
                    reject(row, "wrong_type", f"column traits: {value!r} is not a JSON object")
                elif base:
                    rows[row] = {**base, **rows[row]}
        return [dumps(traits) if traits else None for traits in rows]


def _traits_object(value: Any) -> dict[str, Any] | None:
    if value is None or value is MISSING or (type(value) is str and value.strip() in NULLS):
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


def _row_hashes(table: pa.Table) -> pa.Array:
    """content_hash of each row's canonical text: every value as Arrow writes it, nulls marked."""
    if table.num_rows == 0:
        return pa.array([], type=pa.string())
    texts = [pc.cast(column, pa.string()) for column in table.columns]
    joined = pc.binary_join_element_wise(
        *texts, "\x1f", null_handling="replace", null_replacement="\x00"
    )
    return pa.array([content_hash(text) for text in joined.to_pylist()], type=pa.string())


def _loose(name: str) -> str:
    """A header as compared loosely: case, spaces, underscores and hyphens do not count."""
    return _LOOSE.sub("", name).casefold()


def _names(names: Sequence[str], most: int = 30) -> str:
    """Names for a message: a CRM export can have hundreds of headers."""
    shown = ", ".join(names[:most]) or "nothing"
    return shown + (f", ... ({len(names) - most} more)" if len(names) > most else "")


__all__ = ["NULLS", "read_objects"]
