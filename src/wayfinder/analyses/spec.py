"""The parts every analysis spec shares: time range, filters, breakdown, and the spec base class.

A spec is the one contract between interfaces and runners: plain data, validated by pydantic,
unknown fields rejected, with a ``kind`` that picks the runner. ``describe()`` says in words how
the spec was understood; every Result carries it as its interpretation.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wayfinder.semantic.conditions import Condition, Scalar, parse_condition, read_column

#: What a filter or breakdown reads: the event row, the person's profile, or the person's account.
Scope = Literal["event", "person", "account"]

FilterOp = Literal[
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "in",
    "not in",
    "is null",
    "is not null",
    "contains",
    "not contains",
    "starts with",
    "matches",
]
#: Operators a semantic-layer condition compiles; the others are text matches compiled here.
_CONDITION_OPS = {"=", "!=", ">", ">=", "<", "<=", "in", "not in", "is null", "is not null"}
_TEXT_OPS = re.compile(
    r"^\s*(?P<column>[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_$-]+)?)\s+"
    r"(?P<op>not\s+contains|contains|starts\s+with|matches)\s+(?P<value>'[^']*'|\"[^\"]*\")\s*$",
    re.IGNORECASE,
)
_SCOPE_PREFIX = re.compile(r"^\s*(?P<scope>event|person|account)\s*:\s*(?P<rest>.*)$", re.DOTALL)
_LAST = re.compile(r"^\s*(?P<n>[0-9]+)\s*(?P<unit>d|w|m|y)\s*$", re.IGNORECASE)


class SpecPart(BaseModel):
    """Base of every spec model: unknown fields are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(SpecPart):
    """Keep only rows (event scope) or people (person, account scope) for which this holds.

    Written as a dict or as text: ``"device_type = 'mobile'"``, ``"properties.plan in ('pro')"``,
    ``"person: email is not null"``, ``"account: industry = 'Retail'"``, ``"path contains 'blog'"``.
    Person filters read the stitched profile (``email``, ``account_id``, ``first_seen``, ...),
    account filters the person's account row (``industry``, ``employees``, ``plan``, ...).
    """

    on: Scope = "event"
    property: str
    op: FilterOp = "="
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        scope = "event"
        if m := _SCOPE_PREFIX.match(data):
            scope, data = m["scope"], m["rest"]
        if m := _TEXT_OPS.match(data):
            op = " ".join(m["op"].lower().split())
            return {"on": scope, "property": m["column"], "op": op, "value": m["value"][1:-1]}
        parsed = parse_condition(data)
        return {
            "on": scope,
            "property": parsed["column"],
            "op": parsed["op"],
            "value": parsed["value"],
        }

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op in ("is null", "is not null"):
            if self.value is not None:
                raise ValueError(f"{self.op!r} takes no value")
        elif self.op in ("in", "not in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"{self.op!r} takes a non-empty list of values")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"{self.op!r} takes one value")
        return self

    def __str__(self) -> str:
        prefix = "" if self.on == "event" else f"{self.on}: "
        if self.op in ("is null", "is not null"):
            return f"{prefix}{self.property} {self.op}"
        if isinstance(self.value, list):
            return f"{prefix}{self.property} {self.op} ({', '.join(map(repr, self.value))})"
        return f"{prefix}{self.property} {self.op} {self.value!r}"

    def compile(self, t: ir.Table) -> ir.BooleanValue:
        """The condition on a table holding ``property`` (events, profiles or accounts)."""
        if self.op in _CONDITION_OPS:
            return Condition(column=self.property, op=self.op, value=self.value).compile(t)
        col = read_column(t, self.property).cast("string")
        text = str(self.value)
        if self.op == "contains":
            return col.contains(text).fill_null(False)
        if self.op == "not contains":
            return ~col.contains(text).fill_null(False)
        if self.op == "starts with":
            return col.startswith(text).fill_null(False)
        return col.re_search(text).fill_null(False)  # matches: a regex, passed as a literal


class Breakdown(SpecPart):
    """Split a result by one property: ``"device_type"``, ``"person: account_id"``, or a dict."""

    on: Scope = "event"
    property: str
    #: Keep the ``top`` most frequent values; the rest become "Other".
    top: int = Field(10, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        if m := _SCOPE_PREFIX.match(data):
            return {"on": m["scope"], "property": m["rest"].strip()}
        return {"property": data.strip()}

    def __str__(self) -> str:
        return self.property if self.on == "event" else f"{self.on} {self.property}"


class TimeRange(SpecPart):
    """When: ``start``/``end`` as dates (whole days, both included) or datetimes (end excluded),
    or ``last`` ("30d", "8w", "3m", "1y"): the period ending with the newest event's day.

    Dates are days of the spec's time zone. No range at all means all time.
    """

    start: date | datetime | None = None
    end: date | datetime | None = None
    last: str | None = None

    @field_validator("last")
    @classmethod
    def _last(cls, value: str | None) -> str | None:
        if value is not None and not _LAST.match(value):
            raise ValueError("write last as a number and a unit: 30d, 8w, 3m or 1y")
        return value.strip().lower() if value else value

    @model_validator(mode="after")
    def _consistent(self) -> TimeRange:
        if self.last and (self.start or self.end):
            raise ValueError("give either last or start/end, not both")
        return self

    @property
    def is_all_time(self) -> bool:
        return not (self.start or self.end or self.last)

    def bounds(
        self, tz: ZoneInfo, newest: datetime | None
    ) -> tuple[datetime | None, datetime | None]:
        """``[start, end)`` as naive UTC datetimes; ``newest`` (UTC) anchors ``last``.

        >>> r = TimeRange(start=date(2026, 3, 1), end=date(2026, 3, 31))
        >>> r.bounds(ZoneInfo("Europe/Berlin"), None)
        (datetime.datetime(2026, 2, 28, 23, 0), datetime.datetime(2026, 3, 31, 22, 0))
        >>> TimeRange(last="7d").bounds(ZoneInfo("UTC"), datetime(2026, 3, 10, 15, 0))
        (datetime.datetime(2026, 3, 4, 0, 0), datetime.datetime(2026, 3, 11, 0, 0))
        """
        if self.last:
            if newest is None:
                return None, None
            m = _LAST.match(self.last)
            assert m is not None
            n, unit = int(m["n"]), m["unit"].lower()
            last_day = _as_local(newest, tz).date()
            end_day = last_day + timedelta(days=1)
            if unit == "d":
                start_day = end_day - timedelta(days=n)
            elif unit == "w":
                start_day = end_day - timedelta(weeks=n)
            else:
                months = n * (12 if unit == "y" else 1)
                start_day = _months_before(end_day, months)
            return _day_start(start_day, tz), _day_start(end_day, tz)
        return _bound(self.start, tz, end=False), _bound(self.end, tz, end=True)

    def __str__(self) -> str:
        if self.last:
            return f"the last {self.last}"
        if self.start and self.end:
            return f"{self.start} to {self.end}"
        if self.start:
            return f"since {self.start}"
        if self.end:
            return f"until {self.end}"
        return "all time"


class SpecBase(SpecPart):
    """What every analysis spec has: its kind, workspace, time range, filters and time zone."""

    kind: str
    #: The workspace to read; None means the workspace the spec is run on.
    workspace: str | None = None
    time: TimeRange = TimeRange()
    filters: tuple[Filter, ...] = ()
    #: IANA time zone for days, weeks and months, and for date bounds.
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("filters", mode="before")
    @classmethod
    def _filters(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | dict) else value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        """How the spec was understood, in one sentence; runners' specs extend it."""
        return self.describe_scope()

    def describe_scope(self) -> str:
        text = str(self.time)
        if self.timezone != "UTC":
            text += f" ({self.timezone})"
        if self.filters:
            text += ", where " + " and ".join(map(str, self.filters))
        return text


def local_time(
    ts: ir.TimestampValue,
    tz: ZoneInfo,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ir.TimestampValue:
    """Naive UTC timestamps shifted to the wall clock of ``tz`` (for day, week, month buckets).

    Engines differ in time-zone functions, so the shift is a CASE over the zone's UTC offsets,
    one branch per offset change between ``since`` and ``until`` (default 1970-2100), exact for
    every instant in that span.
    """
    changes = offset_changes(tz.key, since or datetime(1970, 1, 1), until or datetime(2100, 1, 1))
    if len(changes) == 1:
        offset = changes[0][1]
        return ts if offset == 0 else ts + ibis.interval(seconds=offset)
    branches = [
        (ts < until_, ts + ibis.interval(seconds=offset))
        for (_, offset), (until_, _) in zip(changes, changes[1:], strict=False)
    ]
    return ibis.cases(*branches, else_=ts + ibis.interval(seconds=changes[-1][1]))


@lru_cache(maxsize=64)
def offset_changes(zone: str, since: datetime, until: datetime) -> tuple[tuple[datetime, int], ...]:
    """(UTC instant, offset in seconds) from ``since`` and at each change of offset until ``until``.

    >>> for change in offset_changes("Europe/Berlin", datetime(2026, 1, 1), datetime(2026, 12, 31)):
    ...     print(*change)
    2026-01-01 00:00:00 3600
    2026-03-29 01:00:00 7200
    2026-10-25 01:00:00 3600
    """
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> int:
        return int(moment.replace(tzinfo=UTC).astimezone(tz).utcoffset().total_seconds())

    since = since.replace(minute=0, second=0, microsecond=0)
    changes = [(since, offset(since))]
    day = since
    while day < until:
        nxt = day + timedelta(days=1)
        if offset(nxt) != changes[-1][1]:
            # Offsets change on the hour (or half hour) somewhere in this day: find where.
            moment = day
            while offset(moment) == changes[-1][1]:
                moment += timedelta(minutes=30)
            changes.append((moment, offset(moment)))
        day = nxt
    return tuple(changes)


def _as_local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def _bound(value: date | datetime | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC).replace(tzinfo=None)
    return _day_start(value + timedelta(days=1) if end else value, tz)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, 28) if day.day > 28 else day.day)
