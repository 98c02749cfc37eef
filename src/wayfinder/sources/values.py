"""Single raw values to their column type: null spellings, strings, e-mails, numbers, booleans.

Each parser takes a cell's text or a JSON value and returns the typed value, None for an empty one,
or raises Bad with the reason code its rejection carries.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

#: Cell values that mean "no value" in a text file.
NULLS = frozenset({"", "null", "NULL", "None"})

TRUE_WORDS = frozenset({"true", "yes", "1", "t", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "f", "n"})

_NULL_WORDS = pa.array(sorted(NULLS), type=pa.string())
_INT64 = (-(2**63), 2**63 - 1)
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class _Missing:
    """A key absent from a JSON record (as opposed to present and null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class Bad(ValueError):
    """One value that does not fit its column; ``reason`` is a REASONS code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


Parser = Callable[[Any], Any]


def parse_string(value: Any) -> str | None:
    if type(value) is str:
        return None if value.strip() in NULLS else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_email(value: Any) -> str | None:
    text = parse_string(value)
    return (text.strip().lower() or None) if text is not None else None


def parse_float(value: Any) -> float | None:
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


def parse_int(value: Any) -> int | None:
    if type(value) is int:
        number = value
    elif type(value) is str and value.strip() not in NULLS and "_" not in value:
        try:
            number = int(value)
        except ValueError:
            number = _integral(parse_float(value), value)
    else:
        number = _integral(parse_float(value), value)
    if number is not None and not _INT64[0] <= number <= _INT64[1]:
        raise Bad("wrong_type", f"{value!r} is out of range for a 64-bit integer")
    return number


def parse_bool(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is str:
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        if value.strip() in NULLS:
            return None
    elif type(value) is int and value in (0, 1):
        return bool(value)
    raise Bad("wrong_type", f"{value!r} is not true or false")


def _not_number(value: Any, whole: bool = False) -> Bad:
    what = "a whole number" if whole else "a number"
    return Bad("wrong_type", f"{value!r} is not {what}")


def _integral(number: float | None, value: Any) -> int | None:
    if number is None:
        return None
    if not number.is_integer():
        raise _not_number(value, whole=True)
    return int(number)


def blank_to_null(array: pa.Array, lower: bool = False) -> pa.Array:
    """A column as text with the NULLS spellings (surrounding spaces aside) made null.

    ``lower`` also trims and lower-cases the values that remain.
    """
    array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    blank = pc.is_in(trimmed, value_set=_NULL_WORDS)
    if lower:
        array = pc.utf8_lower(trimmed)
    if not pc.any(blank).as_py():
        return array
    return pc.if_else(blank, pa.scalar(None, pa.string()), array)


def py_values(raw: pa.Array | list[Any]) -> list[Any]:
    """A raw column as Python values (a JSON column already is one)."""
    if not isinstance(raw, pa.Array):
        return raw
    if pa.types.is_timestamp(raw.type) and raw.type.unit == "ns":
        # Nanoseconds do not fit a Python datetime; the store keeps microseconds anyway.
        raw = raw.cast(pa.timestamp("us", raw.type.tz), safe=False)
    return raw.to_pylist()


def dumps(value: Any) -> str:
    """A value as JSON text, as traits and rejected rows keep it."""
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()
