"""Column-mapping files: how one export's headers and values become a canonical table's columns.

A mapping is TOML or YAML and is checked against the canonical schema when loaded, so a typo fails
before any row is read. ``examples/mappings/`` holds real ones (HubSpot, Salesforce).

A mapping file holds::

    kind = "deals"                          # optional: the object kind it is for
    timezone = "Europe/Berlin"              # naive timestamps in the file are in this zone
    timestamp_format = "%d.%m.%Y %H:%M"     # optional strptime format (or a list, tried in order)
    ignore = ["Deal probability"]           # headers dropped instead of kept in traits

    [columns]                               # source header -> canonical column (or a list of them)
    "Record ID" = "deal_id"
    "Deal Stage" = ["stage", "won"]         # one header may feed several columns

    [values.won]                            # canonical column -> {source value -> canonical value}
    "Closed Won" = true
    "Closed Lost" = false
    "*" = "null"                            # any other value; "null" (or YAML null) means empty

    [defaults]                              # value for a column the file lacks or leaves empty
    currency = "EUR"
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from wayfinder.errors import MappingError
from wayfinder.store.schema import INPUT_TABLES, OBJECT_KINDS

#: A value a mapping may give: YAML and TOML scalars.
Scalar = str | bool | int | float | None

#: In ``values``, the source value standing for "any value not listed".
ANY_VALUE = "*"


class ColumnMapping(BaseModel):
    """How one export's headers and values map onto the canonical columns of an object kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str | None = None
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    defaults: dict[str, Scalar] = Field(default_factory=dict)
    timestamp_format: str | list[str] | None = None
    timezone: str = "UTC"
    ignore: list[str] = Field(default_factory=list)

    # Where the mapping came from, so every later error can name the file.
    _origin: str = PrivateAttr(default="(given in code)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            hint = "use an IANA name like 'Europe/Berlin'"
            raise ValueError(f"unknown time zone {name!r} ({hint})") from None
        return name

    @property
    def origin(self) -> str:
        return self._origin

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def formats(self) -> tuple[str, ...]:
        """The strptime formats to try, in order."""
        if self.timestamp_format is None:
            return ()
        if isinstance(self.timestamp_format, str):
            return (self.timestamp_format,)
        return tuple(self.timestamp_format)

    def targets(self, header: str) -> tuple[str, ...]:
        """The canonical columns a source header feeds (empty when the mapping does not name it)."""
        found = self.columns.get(header)
        if found is None:
            return ()
        return (found,) if isinstance(found, str) else tuple(found)

    def check(self, kind: str | None) -> None:
        """Raise MappingError when a name in the mapping is not a column of ``kind``.

        With ``kind=None`` the mapping is checked against every object kind's columns.
        """
        if self.kind is not None and self.kind not in OBJECT_KINDS:
            raise MappingError(
                f"column mapping {self.origin}: unknown kind",
                value=self.kind,
                hint=_suggest(self.kind, OBJECT_KINDS, "kinds"),
            )
        if kind is not None and self.kind is not None and kind != self.kind:
            raise MappingError(
                f"column mapping {self.origin} is for {self.kind}, not {kind}",
                hint="use a mapping written for this kind, or drop its `kind` line",
            )
        kind = kind or self.kind
        valid = _columns_of(kind)
        label = f"{kind} columns" if kind else "columns of any object kind"
        names: list[tuple[str, str]] = []
        for header in self.columns:
            names += [(f'columns."{header}"', target) for target in self.targets(header)]
        names += [(f"values.{column}", column) for column in self.values]
        names += [(f"defaults.{column}", column) for column in self.defaults]
        for key, name in names:
            if name not in valid:
                raise MappingError(
                    f"column mapping {self.origin}: {key} names an unknown column",
                    value=repr(name),
                    hint=_suggest(name, valid, label),
                )


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a column-mapping file (``.toml``, ``.yaml`` or ``.yml``)."""
    path = Path(path)
    data = _parse(path)
    if not isinstance(data, dict):
        raise MappingError(
            f"column mapping {path} is not a table of settings",
            hint="it needs at least a [columns] table of source header = canonical column",
        )
    data = _string_keys(path, data)
    try:
        mapping = ColumnMapping.model_validate(data)
    except ValidationError as exc:
        raise _mapping_error(path, exc) from None
    mapping._origin = str(path)
    mapping.check(None)
    return mapping


def _parse(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise MappingError(
            f"column mapping {path} has an unknown extension",
            value=suffix or "(none)",
            hint="name it .toml, .yaml or .yml",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"cannot read column mapping {path}", value=exc.strerror) from None
    except UnicodeDecodeError:
        raise MappingError(f"column mapping {path} is not UTF-8 text") from None
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message already ends with "(at line N, column M)".
            raise MappingError(f"column mapping {path} is not valid TOML", value=exc) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(
            f"column mapping {path} is not valid YAML{where}", value=problem
        ) from None


def _string_keys(path: Path, data: dict[Any, Any]) -> dict[Any, Any]:
    """Turn YAML's numeric keys back into text; refuse the ones YAML silently made booleans."""

    def fix(table: Any, where: str) -> Any:
        if not isinstance(table, dict):
            return table
        out = {}
        for key, value in table.items():
            if isinstance(key, bool) or key is None:
                raise MappingError(
                    f"column mapping {path}: {where} has a key YAML read as {key!r}",
                    hint="quote keys like yes, no, true, false, on, off, null: 'Yes': true",
                )
            out[key if isinstance(key, str) else str(key)] = value
        return out

    data = dict(data)
    for section in ("columns", "defaults"):
        data[section] = fix(data.get(section), section)
    values = fix(data.get("values"), "values")
    if isinstance(values, dict):
        values = {column: fix(table, f"values.{column}") for column, table in values.items()}
    data["values"] = values
    return {k: v for k, v in data.items() if v is not None}


def _mapping_error(path: Path, exc: ValidationError) -> MappingError:
    error = exc.errors()[0]
    loc = ".".join(str(part) for part in error["loc"])
    hint = None
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        hint = _suggest(str(error["loc"][0]), tuple(ColumnMapping.model_fields), "settings")
    message = error["msg"].removeprefix("Value error, ")
    return MappingError(f"column mapping {path}: {loc or 'file'}", value=message, hint=hint)


def _columns_of(kind: str | None) -> tuple[str, ...]:
    kinds = (kind,) if kind else OBJECT_KINDS
    names: dict[str, None] = {}
    for name in kinds:
        for column in INPUT_TABLES[name].columns:
            # traits is where unmapped headers go on their own; mapping onto it means nothing.
            if column.name != "traits":
                names[column.name] = None
    return tuple(names)


def _suggest(name: str, valid: tuple[str, ...], label: str) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    lead = f"did you mean {close[0]!r}? " if close else ""
    return f"{lead}{label}: {', '.join(valid)}"


__all__ = ["ANY_VALUE", "ColumnMapping", "load_mapping"]
