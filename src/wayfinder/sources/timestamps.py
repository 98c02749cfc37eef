"""Timestamps and dates as exports write them: the mapping's formats, ISO 8601, epoch numbers.

Owns the time zone of naive values (the mapping's ``timezone``) and the shift to naive UTC, both
for one value at a time and for a whole Arrow column.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from wayfinder.sources.values import NULLS, Bad, blank_to_null

# Nine digits at least: a bare "2024" is a year, not 33 minutes after the epoch.
_EPOCH = re.compile(r"-?\d{9,}(\.\d+)?")
_EPOCH_START = datetime(1970, 1, 1)


class Timestamps:
    """Parses timestamps to naive UTC: formats from the mapping, ISO 8601, then epoch numbers."""

    def __init__(self, zone: ZoneInfo, formats: tuple[str, ...]) -> None:
        self.zone = None if zone.key == "UTC" else zone
        self.formats = formats
        self.hint = "ISO 8601 or epoch seconds" + (f", or {' / '.join(formats)}" if formats else "")

    def __call__(self, value: Any) -> datetime | None:
        try:
            if type(value) is str:
                return self._from_text(value)
            if isinstance(value, datetime):
                return self._to_utc(value)
            if isinstance(value, date):
                return self._to_utc(datetime(value.year, value.month, value.day))
            if isinstance(value, int | float) and not isinstance(value, bool):
                if math.isfinite(value):
                    return _epoch(value)
        except (OverflowError, ValueError):
            pass
        raise Bad("bad_timestamp", f"{value!r} is not a timestamp ({self.hint})")

    def _from_text(self, value: str) -> datetime | None:
        text = value.strip()
        if text in NULLS:
            return None
        formatted = self._formatted(text)
        if formatted is not None:
            return self._to_utc(formatted)
        try:
            return self._to_utc(datetime.fromisoformat(text))
        except ValueError:
            if _EPOCH.fullmatch(text):
                return _epoch(float(text))
            raise

    def day(self, value: Any) -> date | None:
        """A calendar day, as written (no zone shift): a day is local to whoever wrote it."""
        if type(value) is str:
            text = value.strip()
            if text in NULLS:
                return None
            formatted = self._formatted(text)
            if formatted is not None:
                return formatted.date()
            try:
                return date.fromisoformat(text)
            except ValueError:
                try:
                    return datetime.fromisoformat(text).date()
                except ValueError:
                    pass
        elif isinstance(value, datetime):
            return value.date()
        elif isinstance(value, date):
            return value
        raise Bad("bad_timestamp", f"{value!r} is not a date (ISO 8601, YYYY-MM-DD)")

    def arrow(self, array: pa.Array, text: bool) -> pa.Array | None:
        """The column converted by Arrow (raises ArrowInvalid when a value does not parse)."""
        kind = array.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            return array.cast(pa.timestamp("us", "UTC"), safe=False).cast(pa.timestamp("us"))
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            naive = array.cast(pa.timestamp("us"), safe=False)
        elif text and not self.formats:
            array = blank_to_null(array)
            try:
                naive = array.cast(pa.timestamp("us"))
            except pa.ArrowInvalid:
                # Every value carries its offset (or Arrow raises again: per-value path).
                return array.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us"))
        else:
            return None
        if self.zone is None:
            return naive
        local = pc.assume_timezone(naive, self.zone.key, ambiguous="earliest", nonexistent="latest")
        return local.cast(pa.timestamp("us"))

    def _formatted(self, text: str) -> datetime | None:
        """The text read with the first of the mapping's formats that fits it, if any does."""
        for fmt in self.formats:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        return None

    def _to_utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            if self.zone is None:
                return moment
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC).replace(tzinfo=None)


def _epoch(number: float) -> datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    size = abs(number)
    scale = 1e6 if size < 1e11 else 1e3 if size < 1e14 else 1.0 if size < 1e17 else 1e-3
    return _EPOCH_START + timedelta(microseconds=round(number * scale))
