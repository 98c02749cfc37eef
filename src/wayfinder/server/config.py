"""What a running server needs to know: its database, where it keeps its own files, its limits.

A server's own files live in one folder beside the database (``<db>.server/``): the keyring,
saved questions, the collection journal and the file that tells the CLI a server is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wayfinder.errors import ConfigError

#: Segment's own limits: an event may be 32 KB; we take requests up to 4 MB once decompressed.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_BATCH_EVENTS = 2_500


@dataclass(frozen=True)
class ServerConfig:
    """``db`` is a DuckDB file (the server is its one writer); limits are per request."""

    db: Path
    host: str = "127.0.0.1"
    port: int = 8750
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_batch_events: int = MAX_BATCH_EVENTS
    #: Collected bytes not yet loaded into the database past which senders are told to wait (429).
    max_backlog_bytes: int = 256 * 1024 * 1024
    #: How often the loader moves collected events into the database, in seconds.
    load_interval: float = 0.5
    #: Read slots: analyses that may run at once, each on its own DuckDB cursor.
    readers: int = 4

    @classmethod
    def for_database(cls, db: str | Path, **options: object) -> ServerConfig:
        text = str(db)
        if text.startswith("duckdb:///"):
            text = text[len("duckdb:///") :]
        if "://" in text or text == ":memory:":
            raise ConfigError(
                "the server needs a DuckDB file it can own",
                value=str(db),
                hint="pass a path such as demo/wayfinder.duckdb",
            )
        return cls(db=Path(text).expanduser().resolve(), **options)  # type: ignore[arg-type]

    @property
    def home(self) -> Path:
        return home_for(self.db)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def home_for(db: Path) -> Path:
    """The server's folder for a database: ``wayfinder.duckdb`` -> ``wayfinder.duckdb.server/``."""
    return db.with_name(db.name + ".server")
