"""Row conditions of the semantic layer (``won = true``, ``properties.plan = 'pro'``) and page
globs, parsed from their TOML text and compiled to Ibis expressions that run on every engine.

A condition is ``<column> <op> <literal>``: ``op`` is one of ``= != > >= < <=``, or
``<column> in (<literal>, ...)``, ``<column> not in (...)``, ``<column> is null``, ``<column> is
not null``. Literals are ``'text'`` or ``"text"``, numbers, ``true`` and ``false``. A column is a
column of the table, or ``properties.<key>`` (also ``traits.<key>``, ``context.<key>``): a key of
that JSON text column, read with a regex so the same expression runs on DuckDB and Spark.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, model_validator

from wayfinder.store.schema import TableSpec

Op = Literal["=", "!=", ">", ">=", "<", "<=", "in", "not in", "is null", "is not null"]
Scalar = str | int | float | bool

#: Text columns that hold a JSON object and may be read key by key.
JSON_COLUMNS = ("properties", "traits", "context")
#: A JSON key is pasted into a regex, so only characters that mean nothing to a regex are allowed.
JSON_KEY = re.compile(r"^[A-Za-z0-9_$-]+$")

_COLUMN = r"(?P<column>[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_$-]+)?)"
_LITERAL = r"""'[^']*'|"[^"]*"|-?[0-9]+(?:\.[0-9]+)?|true|false"""
_COMPARE = re.compile(rf"^\s*{_COLUMN}\s*(?P<op>==|=|!=|<>|>=|<=|>|<)\s*(?P<value>{_LITERAL})\s*$")
_IN = re.compile(rf"^\s*{_COLUMN}\s+(?P<op>not\s+in|in)\s*\((?P<values>.*)\)\s*$", re.IGNORECASE)
_NULL = re.compile(rf"^\s*{_COLUMN}\s+is\s+(?P<op>not\s+)?null\s*$", re.IGNORECASE)
_ITEM = re.compile(rf"\s*({_LITERAL})\s*(,|$)")


def parse_literal(text: str) -> Scalar:
    """A literal of a condition as a Python value.

    >>> parse_literal("'pro'"), parse_literal("42"), parse_literal("0.5"), parse_literal("true")
    ('pro', 42, 0.5, True)
    """
    if text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def parse_condition(text: str) -> dict[str, Any]:
    """Split a condition's text into column, operator and value.

    >>> parse_condition("properties.plan = 'pro'")
    {'column': 'properties.plan', 'op': '=', 'value': 'pro'}
    >>> parse_condition("type in ('page', 'screen')")
    {'column': 'type', 'op': 'in', 'value': ['page', 'screen']}
    >>> parse_condition("ended_at is null")
    {'column': 'ended_at', 'op': 'is null', 'value': None}
    """
    if m := _COMPARE.match(text):
        op = {"==": "=", "<>": "!="}.get(m["op"], m["op"])
        return {"column": m["column"], "op": op, "value": parse_literal(m["value"])}
    if m := _IN.match(text):
        items, rest = [], m["values"].strip()
        while rest:
            item = _ITEM.match(rest)
            if item is None:
                raise ValueError(f"cannot read the list in {text!r}")
            items.append(parse_literal(item.group(1)))
            rest = rest[item.end() :].strip()
        if not items:
            raise ValueError(f"empty list in {text!r}")
        op = "not in" if m["op"].lower().startswith("not") else "in"
        return {"column": m["column"], "op": op, "value": items}
    if m := _NULL.match(text):
        return {"column": m["column"], "op": "is not null" if m["op"] else "is null", "value": None}
    raise ValueError(
        f"cannot read the condition {text!r}: write `column = 'text'`, `column > 0`, "
        "`column in ('a', 'b')` or `column is null`"
    )


class Condition(BaseModel):
    """One row condition; written in TOML as its text (``"won = true"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    op: Op
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return parse_condition(data) if isinstance(data, str) else data

    @property
    def json_column(self) -> str | None:
        """The JSON column read by a ``properties.key`` condition, else None."""
        return self.column.split(".", 1)[0] if "." in self.column else None

    def __str__(self) -> str:
        if self.op in ("is null", "is not null"):
            return f"{self.column} {self.op}"
        if isinstance(self.value, list):
            return f"{self.column} {self.op} ({', '.join(map(_show, self.value))})"
        return f"{self.column} {self.op} {_show(self.value)}"

    def problem(self, table: TableSpec) -> str | None:
        """What is wrong with this condition on ``table``, or None when it can be compiled."""
        return check_column(table, self.column, values=self._values())

    def _values(self) -> list[Scalar]:
        if self.value is None:
            return []
        return list(self.value) if isinstance(self.value, list) else [self.value]

    def compile(self, t: ir.Table) -> ir.BooleanValue:
        values = self._values()
        if self.json_column is not None:
            col, values = _json_operand(t, self.column, values)
        else:
            col = t[self.column]
            if col.type().is_date():
                values = [_as_datetime(v).date() for v in values]
            elif col.type().is_temporal():
                values = [_as_datetime(v) for v in values]
        if self.op == "is null":
            return col.isnull()
        if self.op == "is not null":
            return col.notnull()
        if self.op == "in":
            return col.isin(values)
        if self.op == "not in":
            return ~col.isin(values)
        value = values[0]
        return {
            "=": lambda: col == value,
            "!=": lambda: col != value,
            ">": lambda: col > value,
            ">=": lambda: col >= value,
            "<": lambda: col < value,
            "<=": lambda: col <= value,
        }[self.op]()


def _show(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _as_datetime(value: Scalar) -> datetime:
    return datetime.fromisoformat(str(value))


def check_column(table: TableSpec, column: str, *, values: list[Scalar] = ()) -> str | None:
    """Why ``column`` (maybe ``properties.key``) cannot be read from ``table``, or None.

    ``values`` are the literals it is compared with; their type must suit the column's.
    """
    names = [c.name for c in table.all_columns]
    if "." in column:
        base, key = column.split(".", 1)
        if base not in JSON_COLUMNS or base not in names:
            usable = [c for c in JSON_COLUMNS if c in names]
            return f"{column!r}: table {table.name} has no JSON column {base!r}" + (
                f" (JSON columns: {', '.join(usable)})" if usable else ""
            )
        if not JSON_KEY.match(key):
            return f"{column!r}: a JSON key may hold letters, digits, _, $ and - only"
        return None
    if column not in names:
        return f"unknown column {column!r} of table {table.name} (columns: {', '.join(names)})"
    dtype = table.column(column).dtype
    for value in values:
        if dtype == "boolean" and not isinstance(value, bool):
            return f"{column!r} is true or false, not {value!r}"
        if dtype in ("int64", "float64") and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return f"{column!r} is a number, not {value!r}"
        if dtype == "string" and not isinstance(value, str):
            return f"{column!r} is text: quote {value!r}"
        if dtype in ("timestamp", "date"):
            try:
                _as_datetime(value)
            except (TypeError, ValueError):
                return f"{column!r} is a time: give an ISO date like '2026-01-31', not {value!r}"
    return None


def json_text(col: ir.StringValue, key: str) -> ir.StringValue:
    """The value of ``key`` in a JSON object held as text, as text (null when absent).

    A regex rather than a JSON function: Ibis's JSON unwrap runs as a Python UDF on Spark. The
    first ``key`` found at any depth wins, and string values holding escaped quotes are cut at
    the first one; both are rare in tracking properties.
    """
    key = key.replace("$", "[$]")  # the one key character a regex reads as an operator
    quoted = col.re_extract(f'"{key}" *: *"([^"]*)"', 1).nullif("")
    bare = col.re_extract(f'"{key}" *: *(-?[0-9][-+.eE0-9]*|true|false)', 1).nullif("")
    return ibis.coalesce(quoted, bare)


def json_number(col: ir.StringValue, key: str) -> ir.FloatingValue:
    """The value of ``key`` as a float64; null when absent or not a number."""
    return json_text(col, key).try_cast("float64")


def read_column(t: ir.Table, column: str) -> ir.Value:
    """A table column or a ``properties.key`` value (as text)."""
    if "." in column:
        base, key = column.split(".", 1)
        return json_text(t[base], key)
    return t[column]


def read_number(t: ir.Table, column: str) -> ir.FloatingValue:
    """A numeric column or ``properties.key`` as float64."""
    if "." in column:
        base, key = column.split(".", 1)
        return json_number(t[base], key)
    return t[column].cast("float64")


def _json_operand(t: ir.Table, column: str, values: list[Scalar]) -> tuple[ir.Value, list]:
    base, key = column.split(".", 1)
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return json_number(t[base], key), values
    if values and all(isinstance(v, bool) for v in values):
        return json_text(t[base], key).lower(), ["true" if v else "false" for v in values]
    return json_text(t[base], key), [str(v) for v in values]


# -- page globs ------------------------------------------------------------------------------
#: Characters a path glob may hold as themselves (beyond letters and digits).
_PLAIN = set("/-_~%:@=&,;!'")
#: Regex metacharacters written as a one-character class: no backslash has to survive an engine's
#: SQL string escaping.
_CLASSED = set(".+$(){}|")


def glob_to_regex(glob: str) -> str:
    """An anchored regex for a path glob: ``*`` is any text, ``?`` one character.

    >>> glob_to_regex("/checkout/*/thank-you")
    '^/checkout/.*/thank-you$'
    >>> glob_to_regex("/order.html")
    '^/order[.]html$'
    """
    out = []
    for ch in glob:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch.isalnum() or ch in _PLAIN:
            out.append(ch)
        elif ch in _CLASSED:
            out.append(f"[{ch}]")
        else:
            raise ValueError(f"a path glob cannot hold {ch!r}; use path_regex instead")
    return "^" + "".join(out) + "$"


def time_literal(value: datetime | date | str) -> datetime:
    """A bound given as a datetime, a date or ISO text, as a naive UTC datetime.

    >>> time_literal("2026-03-02")
    datetime.datetime(2026, 3, 2, 0, 0)
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(f"not a time: {value!r}")
