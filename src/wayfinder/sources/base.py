"""What every source reader yields: chunks of valid rows plus the rows it rejected, with why.

Readers never drop a row: each input row ends up either in ``Chunk.rows`` or in
``Chunk.rejections``. A file that cannot be read at all raises ``FileUnreadable`` instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pyarrow as pa

#: Largest accepted event, as the Segment HTTP API enforces it.
MAX_EVENT_BYTES = 32 * 1024


@dataclass(frozen=True)
class Rejection:
    """One input row that failed validation. ``reason`` is a stable code (see REASONS)."""

    line: int | None
    reason: str
    detail: str
    raw: str


@dataclass
class Chunk:
    """A slice of one input: valid rows (Arrow, columns of the target table) and rejections.

    ``rows`` carries the target table's input columns, ``row_hash`` and a ``line`` column
    (int64, 1-based position in the input) used to report and order duplicates.
    """

    rows: pa.Table
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.rows.num_rows + len(self.rejections)


#: Every reason code a reader may give, with the words the summary prints.
REASONS: dict[str, str] = {
    "malformed_json": "line is not valid JSON",
    "malformed_row": "CSV record whose number of fields differs from the header",
    "not_an_object": "record is not a JSON object",
    "missing_type": "event has no type",
    "unknown_type": "event type is not identify, track, page, screen, group or alias",
    "missing_identity": "event has neither anonymousId nor userId",
    "bad_timestamp": "a timestamp cannot be parsed",
    "missing_event_name": "track call without an event name",
    "properties_not_object": "properties (or traits, context) is not an object",
    "event_too_large": "event is over 32 KB",
    "missing_alias_ids": "alias call without previousId and userId",
    "missing_group_id": "group call without groupId",
    "duplicate_message_id": "messageId already used by a different event",
    "duplicate_key": "natural key already used by a different row in the same input",
    "missing_required": "a required column is empty or absent",
    "wrong_type": "a value does not fit its column's type",
    "unknown_kind": "record is not of a kind Wayfinder knows",
}


def content_hash(*parts: object) -> str:
    """A short, stable hash of a row's content (re-delivery vs changed record)."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()
