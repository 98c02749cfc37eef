"""The one exception tree of Wayfinder.

Every error the user can cause is a ``WayfinderError`` carrying structured fields (``what``,
``value``, ``hint``) that the CLI prints as one red line and the HTTP API returns as JSON::

    WayfinderError
    ├── ConfigError            a setting, URL or name the user gave is not valid
    │   ├── UnknownName        a workspace, table, kind or engine that does not exist
    │   └── MappingError       a column-mapping file that cannot be used
    ├── EngineError            the engine failed, or lacks an ability the work needs
    │   └── Unsupported        a known gap of one engine (names the engine and the ability)
    ├── SchemaError            the stored tables do not match the canonical schema
    ├── IngestError            a whole input could not be read; nothing from it was loaded
    │   └── FileUnreadable
    └── IdentityError          identity stitching could not complete
"""

from __future__ import annotations

from typing import Any


class WayfinderError(Exception):
    """Base of every error Wayfinder raises on purpose."""

    def __init__(self, what: str, *, value: Any = None, hint: str | None = None) -> None:
        self.what = what
        self.value = value
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = self.what
        if self.value is not None:
            text += f": {self.value}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "what": self.what,
            "value": None if self.value is None else str(self.value),
            "hint": self.hint,
        }


class ConfigError(WayfinderError):
    """A setting, URL or name given by the user is not valid."""


class UnknownName(ConfigError):
    """A workspace, table, kind or engine that does not exist."""


class MappingError(ConfigError):
    """A column-mapping file that cannot be used."""


class EngineError(WayfinderError):
    """The engine failed, or lacks an ability the work needs."""


class Unsupported(EngineError):
    """A known gap of one engine; raised before anything runs."""

    def __init__(self, engine: str, ability: str, *, hint: str | None = None) -> None:
        self.engine = engine
        self.ability = ability
        super().__init__(f"the {engine} engine cannot {ability}", hint=hint)


class SchemaError(WayfinderError):
    """The stored tables do not match the canonical schema and cannot be migrated."""


class IngestError(WayfinderError):
    """A whole input could not be read; nothing from it was loaded."""


class FileUnreadable(IngestError):
    """A file that cannot be read at all (missing, not the format it claims, corrupt)."""


class IdentityError(WayfinderError):
    """Identity stitching could not complete."""


__all__ = [
    "ConfigError",
    "EngineError",
    "FileUnreadable",
    "IdentityError",
    "IngestError",
    "MappingError",
    "SchemaError",
    "UnknownName",
    "Unsupported",
    "WayfinderError",
]
