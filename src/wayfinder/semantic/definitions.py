"""The typed definitions of the semantic layer: a ``Goal`` (what counts as reaching something) and a
``Metric`` (a number computed over goals or tables), as written in the catalog's TOML files.

In TOML a definition is written flat; its kind follows from the keys given::

    [goals.purchase]                         # an event goal
    event = "Order Completed"
    [goals.thank_you_page]                   # a page goal
    path = "/checkout/thank-you*"
    [goals.closed_deal]                      # a table goal
    table = "deals"
    where = ["won = true"]
    [goals.repeat_purchase]                  # an nth-occurrence goal
    of = "purchase"
    nth = 2
    or_later = true

    [metrics.revenue]                        # an aggregate metric
    agg = "sum"
    goal = "purchase"
    [metrics.aov]                            # a ratio metric
    numerator = "revenue"
    denominator = "orders"
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wayfinder.semantic.conditions import Condition, check_column, glob_to_regex
from wayfinder.semantic.sources import ROLES
from wayfinder.store.schema import TABLES

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
Level = Literal["person", "account"]
Format = Literal["currency", "percent", "count", "number"]

#: Keys that describe an entry rather than define it: a later file may change them on their own.
METADATA_KEYS = frozenset({"name", "description", "synonyms", "locked", "format"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


def _problems_of_columns(table: str, where, columns: dict[str, str | None]) -> list[str]:
    """Why ``where`` and the named columns (role -> column) cannot be read from ``table``."""
    if table not in TABLES:
        return [f"unknown table {table!r} (tables: {', '.join(TABLES)})"]
    if table not in ROLES:
        return [f"table {table!r} cannot be read by goals and metrics (usable: {', '.join(ROLES)})"]
    spec = TABLES[table]
    problems = [f"where {c}: {p}" for c in where if (p := c.problem(spec))]
    for role, column in columns.items():
        if column is None:
            continue
        if problem := check_column(spec, column):
            problems.append(f"{role}: {problem}")
        elif "." not in column:
            dtype = spec.column(column).dtype
            wanted = ("timestamp", "date") if role == "time" else ("int64", "float64")
            if dtype not in wanted:
                problems.append(f"{role}: column {column!r} is {dtype}, not {' or '.join(wanted)}")
    return problems


# -- goals -----------------------------------------------------------------------------------
class EventGoal(_Strict):
    """A tracked event, optionally of one call type and with conditions on its columns."""

    kind: Literal["event"] = "event"
    event: str
    type: str | None = None
    where: tuple[Condition, ...] = ()
    #: An events column or ``properties.<key>``; the events ``revenue`` column by default.
    value: str | None = "revenue"

    def describe(self) -> str:
        text = f"event {self.event!r}" + (f" ({self.type})" if self.type else "")
        return _with(text, self.where, value=self.value)

    def problems(self) -> list[str]:
        return _problems_of_columns("events", self.where, {"value": self.value})


class PageGoal(_Strict):
    """A page view whose path matches a glob (``*`` any text) or a regex."""

    kind: Literal["page"] = "page"
    path: tuple[str, ...] = ()
    path_regex: str | None = None
    where: tuple[Condition, ...] = ()

    _path = field_validator("path", mode="before")(_as_tuple)

    @model_validator(mode="after")
    def _one_pattern(self) -> PageGoal:
        if bool(self.path) == bool(self.path_regex):
            raise ValueError("give either path (a glob or a list of globs) or path_regex")
        for glob in self.path:
            glob_to_regex(glob)
        return self

    @property
    def regex(self) -> str:
        if self.path_regex:
            return self.path_regex
        return "|".join(glob_to_regex(g) for g in self.path)

    def describe(self) -> str:
        pattern = f"path ~ {self.path_regex!r}" if self.path_regex else " or ".join(self.path)
        return _with(f"page {pattern}", self.where)

    def problems(self) -> list[str]:
        return _problems_of_columns("events", self.where, {})


class TableGoal(_Strict):
    """Rows of a table meeting conditions: ``table = "deals"``, ``where = ["won = true"]``."""

    kind: Literal["table"] = "table"
    table: str
    where: tuple[Condition, ...] = ()
    #: The time column; the table's own (deals: closed_at, subscriptions: started_at) by default.
    time: str | None = None
    #: The value column; the table's own (deals: amount, subscriptions: mrr) by default.
    value: str | None = None

    def describe(self) -> str:
        role = ROLES.get(self.table)
        text = f"{self.table} row"
        time = self.time or (role.time if role else None)
        return _with(text, self.where, time=time, value=self.value or (role and role.value))

    def problems(self) -> list[str]:
        return _problems_of_columns(
            self.table, self.where, {"time": self.time, "value": self.value}
        )


class NthGoal(_Strict):
    """The nth occurrence (or nth and later) of other goals, per person or account."""

    kind: Literal["nth"] = "nth"
    of: tuple[str, ...]
    nth: int = Field(1, ge=1)
    or_later: bool = False

    _of = field_validator("of", mode="before")(_as_tuple)

    def describe(self) -> str:
        which = f"{_ordinal(self.nth)}{' and later' if self.or_later else ''}"
        return f"{which} of {' or '.join(self.of)}"

    def problems(self) -> list[str]:
        return [] if self.of else ["of: name at least one goal"]


GoalDefinition = Annotated[EventGoal | PageGoal | TableGoal | NthGoal, Field(discriminator="kind")]

#: The key that marks each kind of goal definition in flat TOML.
GOAL_MARKERS = {"event": "event", "path": "page", "path_regex": "page", "table": "table"}
GOAL_MARKERS |= {"of": "nth", "nth": "nth"}


class _Entry(_Strict):
    """What goals and metrics share: a checked name, words people use for it, a lock."""

    name: str
    description: str = ""
    synonyms: tuple[str, ...] = ()
    locked: bool = False

    _synonyms = field_validator("synonyms", mode="before")(_as_tuple)
    _name = field_validator("name")(lambda v: _check_name(v))


class Goal(_Entry):
    """A named goal: what counts as a person (or account) reaching something."""

    level: Level = "person"
    definition: GoalDefinition

    @model_validator(mode="before")
    @classmethod
    def _lift(cls, data: Any) -> Any:
        return _lift(data, GOAL_MARKERS, "event, path, path_regex, table or of", {"level"})

    def references(self) -> tuple[str, ...]:
        """Goals this goal is derived from."""
        return self.definition.of if isinstance(self.definition, NthGoal) else ()


# -- metrics ---------------------------------------------------------------------------------
class AggregateMetric(_Strict):
    """count, unique (people or accounts), sum or avg over a goal's occurrences or table rows."""

    kind: Literal["aggregate"] = "aggregate"
    agg: Literal["count", "unique", "sum", "avg"]
    goal: str | None = None
    table: str | None = None
    where: tuple[Condition, ...] = ()
    #: The time column of a table (default: the table's own).
    time: str | None = None
    #: The column summed or averaged: a goal's ``value``, or a table column (default its own).
    column: str | None = None
    #: What ``unique`` counts; the goal's level by default, else people.
    level: Level | None = None
    #: Measure the state at the end of each period (rows whose span covers it), not the flow.
    snapshot: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> AggregateMetric:
        if (self.goal is None) == (self.table is None):
            raise ValueError("give either goal or table")
        if self.goal is not None:
            for key in ("where", "time", "column"):
                if getattr(self, key):
                    raise ValueError(f"{key} applies to a table; define a goal for it instead")
            if self.snapshot:
                raise ValueError("snapshot applies to a table with a span (subscriptions, deals)")
        return self

    def describe(self) -> str:
        column = "" if self.agg in ("count", "unique") else f" of {self.column or 'value'}"
        unit = f" {self.level or 'people'}" if self.agg == "unique" else ""
        source = self.goal if self.goal else self.table
        text = _with(f"{self.agg}{unit}{column} over {source}", self.where, time=self.time)
        return text + ("; active at the end of each period" if self.snapshot else "")

    def problems(self) -> list[str]:
        if self.table is None:
            return []
        problems = _problems_of_columns(
            self.table,
            self.where,
            {"time": self.time, "column": None if self.agg in ("count", "unique") else self.column},
        )
        role = ROLES.get(self.table)
        if role is None:
            return problems
        if self.agg in ("sum", "avg") and self.column is None and role.value is None:
            problems.append(f"column: table {self.table} has no default value column; name one")
        if self.agg == "unique" and not role.people and (self.level or "person") == "person":
            problems.append(f"unique: table {self.table} has no people")
        if self.level == "account" and role.account is None and not role.people:
            problems.append(f"level: table {self.table} has no account column")
        if self.snapshot and role.span is None:
            spans = [name for name, r in ROLES.items() if r.span]
            problems.append(f"snapshot: table {self.table} has no span (tables: {spans})")
        return problems

    def references(self) -> tuple[str, ...]:
        return (self.goal,) if self.goal else ()


class RatioMetric(_Strict):
    """numerator / denominator, two other metrics computed over the same periods."""

    kind: Literal["ratio"] = "ratio"
    numerator: str
    denominator: str

    def describe(self) -> str:
        return f"{self.numerator} / {self.denominator}"

    def problems(self) -> list[str]:
        return []

    def references(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)


MetricDefinition = Annotated[AggregateMetric | RatioMetric, Field(discriminator="kind")]
METRIC_MARKERS = {"agg": "aggregate", "numerator": "ratio", "denominator": "ratio"}


class Metric(_Entry):
    """A named number: revenue, conversion rate, MRR."""

    format: Format = "count"
    definition: MetricDefinition

    @model_validator(mode="before")
    @classmethod
    def _lift(cls, data: Any) -> Any:
        return _lift(data, METRIC_MARKERS, "agg, or numerator and denominator", set())

    def references(self) -> tuple[str, ...]:
        """Goals (aggregates) or metrics (ratios) this metric is computed from."""
        return self.definition.references()


# -- helpers ---------------------------------------------------------------------------------
def _check_name(name: str) -> str:
    if not NAME.match(name):
        raise ValueError("a name is lower-case letters, digits and _, starting with a letter")
    return name


def _lift(data: Any, markers: dict[str, str], expected: str, outer: set[str]) -> Any:
    """Flat TOML keys -> ``{..metadata, definition: {kind, ..}}``; the kind follows the keys."""
    if not isinstance(data, dict) or "definition" in data:
        return data
    kinds = {markers[k] for k in data if k in markers}
    if not kinds:
        raise ValueError(f"no definition: give {expected}")
    if len(kinds) > 1:
        raise ValueError(f"mixes definitions of kinds {', '.join(sorted(kinds))}: give one")
    keep = METADATA_KEYS | outer
    definition = {k: v for k, v in data.items() if k not in keep}
    return {k: v for k, v in data.items() if k in keep} | {
        "definition": {"kind": kinds.pop(), **definition}
    }


def _with(text: str, where=(), *, time: str | None = None, value: str | None = None) -> str:
    if where:
        text += " where " + " and ".join(str(c) for c in where)
    if time:
        text += f"; time {time}"
    if value:
        text += f"; value {value}"
    return text


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st.

    >>> [_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '21st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
