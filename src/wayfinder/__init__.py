"""Wayfinder: ask plain questions of your customer data; learn what happened and why.

The public API is small: ``connect`` an engine, ``open`` a workspace, and the error tree.
"""

from wayfinder.engines import DEFAULT_URL, Engine, connect
from wayfinder.errors import (
    ConfigError,
    EngineError,
    FileUnreadable,
    IdentityError,
    IngestError,
    MappingError,
    SchemaError,
    UnknownName,
    Unsupported,
    WayfinderError,
)
from wayfinder.store.ingest import IngestSummary
from wayfinder.workspace import DEFAULT_WORKSPACE, Status, Workspace, open

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_URL",
    "DEFAULT_WORKSPACE",
    "ConfigError",
    "Engine",
    "EngineError",
    "FileUnreadable",
    "IdentityError",
    "IngestError",
    "IngestSummary",
    "MappingError",
    "SchemaError",
    "Status",
    "UnknownName",
    "Unsupported",
    "WayfinderError",
    "Workspace",
    "__version__",
    "connect",
    "open",
]
