"""Periods of a time series: hours, days, ISO weeks (Monday first) and months on the wall clock
of a time zone, as engine buckets and as the Python list every series is filled against.

Engines compute only ``bucket(local_time(ts))`` per row; the list of periods (with the empty
ones) is made here from the bounds, so a period with no events still shows as 0.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import ibis.expr.types as ir

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")
#: Ibis truncation units; both DuckDB and Spark truncate weeks to Monday (ISO weeks).
_UNITS = {"hour": "h", "day": "D", "week": "W", "month": "M"}


def bucket(local: ir.TimestampValue, interval: Interval) -> ir.TimestampValue:
    """The start of the period holding each (wall-clock) timestamp, in the engine."""
    return local.truncate(_UNITS[interval])


def floor(moment: datetime, interval: Interval) -> datetime:
    """The start of the period holding a naive wall-clock ``moment``.

    >>> floor(datetime(2026, 3, 8, 23, 30), "week")  # a Sunday: its week began on Monday
    datetime.datetime(2026, 3, 2, 0, 0)
    >>> floor(datetime(2026, 3, 8, 23, 30), "month")
    datetime.datetime(2026, 3, 1, 0, 0)
    """
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def add(moment: datetime, interval: Interval, n: int = 1) -> datetime:
    """``moment`` moved by ``n`` periods on the wall clock (months keep the day of month).

    >>> add(datetime(2026, 1, 1), "month", 13)
    datetime.datetime(2027, 2, 1, 0, 0)
    """
    if interval == "month":
        return add_months(moment, n)
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
    return moment + n * step[interval]


def add_months(moment: datetime, n: int) -> datetime:
    """``moment`` ``n`` months later (earlier when negative); ValueError past a month's end."""
    index = moment.year * 12 + moment.month - 1 + n
    return moment.replace(year=index // 12, month=index % 12 + 1)


def months_between(first: datetime, second: datetime) -> int | None:
    """Whole months from ``first`` to ``second`` when one is exactly the other moved by months.

    >>> months_between(datetime(2026, 1, 15), datetime(2026, 4, 15)), months_between(
    ...     datetime(2026, 1, 15), datetime(2026, 4, 16))
    (3, None)
    """
    n = (second.year - first.year) * 12 + second.month - first.month
    try:
        return n if n > 0 and add_months(first, n) == second else None
    except ValueError:
        return None


def series(first: datetime, last: datetime, interval: Interval) -> list[datetime]:
    """Every period start from the one holding ``first`` to the one holding ``last``."""
    out, moment, stop = [], floor(first, interval), floor(last, interval)
    while moment <= stop:
        out.append(moment)
        moment = add(moment, interval)
    return out


def to_local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive UTC instant on the wall clock of ``tz`` (naive)."""
    return moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def to_utc(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time of ``tz`` as a naive UTC instant (the earlier one in a DST fold)."""
    return moment.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def label(moment: datetime, interval: Interval) -> date | datetime:
    """How a period is shown: its first day, or its first hour for hourly series."""
    return moment if interval == "hour" else moment.date()


def parse_period(value: date | datetime | str, interval: Interval) -> datetime:
    """A period named by the user (``"2026-03-02"``) as its start; any time inside it works."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return floor(value.replace(tzinfo=None), interval)
