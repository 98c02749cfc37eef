"""What retention and lifecycle share: periods numbered as integers in the spec's time zone and
where the data ends (``Clock``), one scan of a few steps' rows, and per-person breakdown values.

Integers make "k periods later" a subtraction in the engine, on every engine alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.periods import parse_period, to_utc
from wayfinder.analyses.population import Population
from wayfinder.analyses.spec import Breakdown, local_time
from wayfinder.analyses.steps import Step, event_condition, step_rows
from wayfinder.errors import ConfigError
from wayfinder.semantic.conditions import check_column, read_column
from wayfinder.store.schema import ACCOUNTS, EVENTS, PROFILES

Interval = Literal["day", "week", "month"]
ADVERB = {"day": "daily", "week": "weekly", "month": "monthly"}
_EPOCH = date(1970, 1, 1)
#: Days from the epoch (a Thursday) to 1970-01-05: weeks start on Mondays (ISO weeks).
_FIRST_MONDAY = 4
#: The breakdown label of people whose value is null, and of values outside the top.
NONE_LABEL, OTHER_LABEL = "(none)", "Other"


@dataclass(frozen=True)
class Clock:
    """Periods of one interval in one time zone, numbered as integers (days or weeks since the
    epoch, months since year 0), and ``until``: where the data ends, an exclusive instant.

    The data ends at its newest event in range (any person, before filters), or at the range's
    end if that comes first. A period starting at or after ``until`` is not observed yet; one
    ending after it is partial (not complete).
    """

    interval: str
    tz: ZoneInfo
    oldest: datetime
    until: datetime

    @classmethod
    def of(cls, pop: Population, interval: str) -> Clock | None:
        """None when the range holds no event at all."""
        events = pop.ws.table(EVENTS.name)
        ts = events.timestamp
        in_range = ibis.literal(True)
        if pop.start is not None:
            in_range &= ts >= pop.start
        if pop.end is not None:
            in_range &= ts < pop.end
        row = pop.ws.engine.to_arrow(
            events.aggregate(oldest=ts.min(), newest=ts.max(where=in_range))
        ).to_pylist()[0]
        if row["newest"] is None:
            return None
        until = _naive(row["newest"]) + timedelta(microseconds=1)
        if pop.end is not None:
            until = min(until, pop.end)
        return cls(interval, pop.spec.zone, _naive(row["oldest"]), until)

    def index(self, ts: ir.TimestampValue) -> ir.IntegerValue:
        """The period number of each naive UTC timestamp, in the engine."""
        # Offsets are exact between these bounds; goals from other tables may reach a bit out.
        span = timedelta(days=1)
        local = local_time(ts, self.tz, self.oldest - span, self.until + span)
        if self.interval == "month":
            return local.year().cast("int64") * 12 + local.month().cast("int64") - 1
        days = local.date().delta(ibis.date(_EPOCH), unit="day").cast("int64")
        if self.interval == "day":
            return days
        return ((days - _FIRST_MONDAY) / 7).floor().cast("int64")

    def of_moment(self, moment: datetime) -> int:
        """The period number of a naive UTC instant."""
        return self.of_day(moment.replace(tzinfo=UTC).astimezone(self.tz).date())

    def of_day(self, day: date) -> int:
        """The period number of a local day.

        >>> Clock("week", ZoneInfo("UTC"), datetime.min, datetime.max).of_day(date(2026, 3, 8))
        2930
        >>> Clock("week", ZoneInfo("UTC"), datetime.min, datetime.max).label(2930)
        datetime.date(2026, 3, 2)
        """
        if self.interval == "month":
            return day.year * 12 + day.month - 1
        days = (day - _EPOCH).days
        return days if self.interval == "day" else (days - _FIRST_MONDAY) // 7

    def label(self, p: int) -> date:
        """The local day period ``p`` starts on."""
        if self.interval == "month":
            year, month = divmod(p, 12)
            return date(year, month + 1, 1)
        if self.interval == "day":
            return _EPOCH + timedelta(days=p)
        return _EPOCH + timedelta(days=_FIRST_MONDAY + 7 * p)

    def parse(self, value: date | datetime | str) -> date:
        """A period named by the user (``"2026-03-02"``, any day inside it) as a local day."""
        try:
            return parse_period(value, "day").date()
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                "a period is named by a date", value=value, hint="e.g. 2026-03-02"
            ) from exc

    def begins(self, p: int) -> datetime:
        """The naive UTC instant period ``p`` starts at."""
        return to_utc(datetime.combine(self.label(p), time()), self.tz)

    def observed(self, p: int) -> bool:
        return self.begins(p) < self.until

    def complete(self, p: int) -> bool:
        return self.begins(p + 1) <= self.until

    @property
    def last(self) -> int:
        """The period the data ends in."""
        return self.of_moment(self.until - timedelta(microseconds=1))


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def flagged_rows(
    pop: Population,
    steps: dict[str, Step],
    clock: Clock,
    *,
    in_range: bool,
    breakdown: Breakdown | None,
) -> ir.Table:
    """Rows of any of ``steps`` before the data's end: ``person_id``, ``timestamp``,
    ``message_id``, ``_value`` (an event breakdown's value) and a boolean column per step name.

    When every step is an event, the events are read once; goals on other tables (won deals)
    are read from the semantic layer and stacked.
    """
    catalog = pop.ws.catalog
    events = pop.events(in_range=in_range)
    conditions = {name: event_condition(s, events, catalog) for name, s in steps.items()}
    by_event = breakdown is not None and breakdown.on == "event"
    if all(c is not None for c in conditions.values()):
        marked = events.mutate(**conditions)
        marked = marked.filter(ibis.or_(*[marked[n] for n in steps]))
        marked = marked.filter(marked.timestamp < clock.until)
        value = read_column(marked, breakdown.property) if by_event else None
        return marked.select(
            "person_id",
            "timestamp",
            "message_id",
            *steps,
            _value=ibis.null("string") if value is None else value.cast("string"),
        )
    parts = []
    for name, step in steps.items():
        rows = step_rows(pop, step, in_range=in_range)
        rows = rows.filter(rows.timestamp < clock.until)
        value = ibis.null("string")
        if by_event and name == "_start":
            value = read_column(rows, breakdown.property).cast("string")
        message = rows.message_id if "message_id" in rows.columns else ibis.null("string")
        flags = {other: ibis.literal(other == name) for other in steps}
        parts.append(
            rows.select("person_id", "timestamp", message_id=message, _value=value, **flags)
        )
    return ibis.union(*parts)


# -- breakdowns ----------------------------------------------------------------------------------
def check_breakdown(breakdown: Breakdown | None, step: Step, ws: Any, what: str) -> None:
    """Fail before running when the breakdown names an unknown column, or an event property of
    a step that is not an event (a goal on won deals)."""
    if breakdown is None:
        return
    table = {"event": EVENTS, "person": PROFILES, "account": ACCOUNTS}[breakdown.on]
    problem = check_column(table, breakdown.property)
    if problem:
        raise ConfigError(
            f"cannot break down by {breakdown.on} property", value=breakdown.property, hint=problem
        )
    if breakdown.on == "event" and event_condition(step, ws.table(EVENTS.name), ws.catalog) is None:
        raise ConfigError(
            f"an event breakdown needs {what} to be an event",
            value=step.name,
            hint="break down by a person or account property instead",
        )


def with_breakdown(
    t: ir.Table,
    breakdown: Breakdown | None,
    pop: Population,
    rows: ir.Table,
    keys: dict[str, str],
    *,
    rank_people: bool = False,
) -> ir.Table:
    """``t`` (one row per person, or per person and period) with ``_bd``: one of the ``top``
    values by rows of ``t`` (by distinct people with ``rank_people``), "Other" for the rest,
    "(none)" for null; null without a breakdown.

    An event property is read at each person's first row of ``rows`` per ``keys`` (by
    timestamp, then message id; ``keys`` maps a column of ``rows`` to its name in ``t``), a
    person or account property from the profile.
    """
    if breakdown is None:
        return t.mutate(_bd=ibis.null("string"))
    if breakdown.on == "event":
        w = ibis.window(group_by=list(keys), order_by=[rows.timestamp, rows.message_id])
        ranked = rows.mutate(_rank=ibis.row_number().over(w))
        ranked = ranked.filter(ranked._rank == 0)
        values = ranked.select(
            **{f"_k{i}": ranked[k] for i, k in enumerate(keys)}, _raw=ranked._value
        )
        on = list(keys.values())
    else:
        values = profile_values(pop, breakdown)
        on = ["person_id"]
    joined = t.left_join(values, [t[name] == values[f"_k{i}"] for i, name in enumerate(on)])
    labelled = joined.select(
        *[joined[c] for c in t.columns], _raw=joined._raw.fill_null(NONE_LABEL)
    )
    top = top_values(labelled, breakdown.top, pop.ws.engine, rank_people)
    label = (
        labelled._raw
        if not top
        else ibis.cases((labelled._raw.isin(top), labelled._raw), else_=OTHER_LABEL)
    )
    return labelled.select(*t.columns, _bd=label)


def profile_values(pop: Population, breakdown: Breakdown) -> ir.Table:
    """``_k0`` (the person) and ``_raw``: a person or account property as text."""
    profiles = pop.ws.table(PROFILES.name)
    if breakdown.on == "account" and breakdown.property != "account_id":
        accounts = pop.ws.table(ACCOUNTS.name)
        joined = profiles.left_join(accounts, profiles.account_id == accounts.account_id)
        value = read_column(joined, breakdown.property)
        return joined.select(_k0=joined.person_id, _raw=value.cast("string"))
    value = read_column(profiles, breakdown.property)
    return profiles.select(_k0=profiles.person_id, _raw=value.cast("string"))


def top_values(t: ir.Table, top: int, engine: Any, rank_people: bool = False) -> list[str]:
    """The ``top`` most frequent ``_raw`` values of ``t`` (by rows or people; ties by value)."""
    n = t.person_id.nunique() if rank_people else t.count()
    counts = t.group_by("_raw").aggregate(_n=n)
    counts = counts.order_by([ibis.desc("_n"), "_raw"]).limit(top)
    return [r["_raw"] for r in engine.to_arrow(counts).to_pylist()]


def rows_table(rows: list[dict], fields: dict[str, pa.DataType], breakdown: bool) -> pa.Table:
    """Result rows as an Arrow table of ``fields``, led by a ``breakdown`` column only when the
    spec has a breakdown (the rows always carry one)."""
    table = pa.Table.from_pylist(rows, schema=pa.schema({"breakdown": pa.string(), **fields}))
    return table if breakdown else table.drop_columns(["breakdown"])


__all__ = [
    "ADVERB",
    "Clock",
    "Interval",
    "check_breakdown",
    "flagged_rows",
    "rows_table",
    "with_breakdown",
]
