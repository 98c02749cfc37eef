"""Raw columns to typed Arrow arrays: Arrow casts a whole column when every value allows it.

Otherwise (JSON values of mixed types, a mapping's value table, one value Arrow cannot cast) the
column goes value by value through the parsers, and each value that does not fit is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wayfinder.sources.timestamps import Timestamps
from wayfinder.sources.values import (
    FALSE_WORDS,
    MISSING,
    TRUE_WORDS,
    Bad,
    Parser,
    blank_to_null,
    parse_bool,
    parse_email,
    parse_float,
    parse_int,
    parse_string,
    py_values,
)
from wayfinder.store.schema import Column

#: The Arrow type of each schema dtype.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}
_TRUE = pa.array(sorted(TRUE_WORDS), type=pa.string())
_FALSE = pa.array(sorted(FALSE_WORDS), type=pa.string())

#: Per row, the reason code and detail of a value that does not fit.
Errors = dict[int, tuple[str, str]]


class ColumnConverter:
    """Converts the raw values of one canonical column, reporting each value that does not fit."""

    def __init__(
        self,
        column: Column,
        timestamps: Timestamps,
        value_map: Callable[[Any], Any] | None = None,
    ) -> None:
        self.column = column
        self.arrow_type = ARROW_TYPES[column.dtype]
        self.timestamps = timestamps
        self.value_map = value_map
        self.parse: Parser
        if column.name == "email":
            self.parse = parse_email
        else:
            self.parse = {
                "string": parse_string,
                "int64": parse_int,
                "float64": parse_float,
                "boolean": parse_bool,
                "timestamp": timestamps,
                "date": timestamps.day,
            }[column.dtype]

    def __call__(self, raw: pa.Array | list[Any]) -> tuple[pa.Array, Errors]:
        if self.value_map is None:
            array = raw if isinstance(raw, pa.Array) else _json_array(raw)
            fast = None if array is None else self._arrow(array)
            if fast is not None:
                return fast, {}
        values = py_values(raw)
        if self.value_map is not None:
            values = [self.value_map(v) for v in values]
        # The per-value path: JSON values, value maps, and columns Arrow could not cast whole.
        out: list[Any] = [None] * len(values)
        errors: Errors = {}
        for row, value in enumerate(values):
            if value is None or value is MISSING:
                continue
            try:
                out[row] = self.parse(value)
            except Bad as exc:
                errors[row] = (exc.reason, exc.detail)
        return pa.array(out, type=self.arrow_type), errors

    def _arrow(self, array: pa.Array) -> pa.Array | None:
        """The whole column converted by Arrow, or None when some value needs the per-value path."""
        kind, dtype = array.type, self.column.dtype
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        try:
            if dtype == "string":
                return blank_to_null(array, lower=self.column.name == "email") if text else None
            if dtype == "int64":
                if pa.types.is_integer(kind):
                    return array.cast(pa.int64())
                return blank_to_null(array).cast(pa.int64()) if text else None
            if dtype == "float64":
                return _to_float(array, text)
            if dtype == "boolean":
                if pa.types.is_boolean(kind):
                    return array
                return _to_bool(array) if text else None
            if dtype == "timestamp":
                return self.timestamps.arrow(array, text)
            if pa.types.is_date(kind):
                return array.cast(pa.date32())
            if text and not self.timestamps.formats:
                return blank_to_null(array).cast(pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        return None


def _json_array(values: list[Any]) -> pa.Array | None:
    """JSON values as one Arrow array when they share a scalar type, so Arrow can convert them."""
    try:
        array = pa.array([None if v is MISSING else v for v in values])
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    kind = array.type
    scalar = pa.types.is_string(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind)
    return array if scalar or pa.types.is_boolean(kind) or pa.types.is_null(kind) else None


def _to_float(array: pa.Array, text: bool) -> pa.Array | None:
    kind = array.type
    if text:
        out = blank_to_null(array).cast(pa.float64())
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
    words = blank_to_null(array, lower=True)
    yes = pc.is_in(words, value_set=_TRUE)
    no = pc.is_in(words, value_set=_FALSE)
    known = pc.sum(pc.or_(yes, no)).as_py() or 0
    if known != len(words) - words.null_count:
        return None
    return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))
