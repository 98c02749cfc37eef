"""Paths: the spec and runner for the top complete paths to a goal or from a start, with an
"Other" row, the Sankey of the same journeys, and the drill-down to the people behind a path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from wayfinder.analyses.path_items import (
    ELLIPSIS,
    SESSION_MINUTES,
    check_regex,
    glob_regex,
    item_column,
    journey_paths,
    path_text,
)
from wayfinder.analyses.path_why import path_why
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.sankey import edges, figure, nodes
from wayfinder.analyses.spec import SpecBase, SpecPart
from wayfinder.analyses.steps import Step, as_step
from wayfinder.errors import ConfigError

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.explain.drivers import Drivers
    from wayfinder.workspace import Workspace

#: Replacement text is plain: ``\1`` (DuckDB) and ``$1`` (Spark) differ between engines.
_GROUP_REFERENCE = re.compile(r"[\\$]")
_ARROW = " => "
OTHER = "Other"


class CleanRule(SpecPart):
    """Replace every match of ``regex`` in an item with ``replace`` (plain text; empty text drops
    the item). Written as a dict or as text ``"REGEX => REPLACE"``: ``"/p/[0-9]+ => /p/:id"``.
    """

    regex: str
    replace: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        regex, sep, replace = data.partition(_ARROW)
        if not sep and data.rstrip().endswith(_ARROW.rstrip()):
            regex, replace = data.rstrip()[: -len(_ARROW.rstrip())], ""
        return {"regex": regex.strip(), "replace": replace.strip()}

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str) -> str:
        if not value:
            raise ValueError("a clean rule needs a regex")
        return check_regex(value)

    @field_validator("replace")
    @classmethod
    def _replace(cls, value: str) -> str:
        if _GROUP_REFERENCE.search(value):
            raise ValueError("replacement text is plain: no \\ or $ (group references differ)")
        return value

    def __str__(self) -> str:
        return f"{self.regex} => {self.replace}"


class PathsSpec(SpecBase):
    """Top paths and the Sankey: ``{"kind": "paths", "goal": "purchase", "top": 3}``."""

    kind: Literal["paths"] = "paths"
    #: What a path is made of: page paths, screen names or track event names.
    items: Literal["page", "screen", "event"] = "page"
    #: Paths *to* this step: what each journey did before its first occurrence, then the goal.
    goal: Step | None = None
    #: Paths *from* this step: its first occurrence, then what followed.
    start: Step | None = None
    #: At most this many items shown per path (anchors included); the rest is elided as "…".
    steps: int = Field(8, ge=2, le=50)
    #: Count each person's journey, or each session (30 minutes without an event ends one).
    per: Literal["person", "session"] = "person"
    #: Regex replacements on each item, in order (ids out of URLs, say).
    clean: tuple[CleanRule, ...] = ()
    #: Globs whose matching items become the glob itself: ``"/p/*"`` makes every product "/p/*".
    groups: tuple[str, ...] = ()
    #: How many paths to list before "Other".
    top: int = Field(10, ge=1, le=100)
    #: Sankey: leave out edges followed by fewer journeys than this.
    min_edge_weight: int = Field(1, ge=1)
    #: Sankey: at most this many edges, the heaviest.
    max_edges: int = Field(50, ge=1, le=500)
    #: Attach the why: to a goal, the items on the way that set the people who reached it apart
    #: (drivers); from a start alone, the next steps more common than typical.
    why: bool = True

    @field_validator("clean", "groups", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | dict) else value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for glob in value:
            glob_regex(glob)
        return value

    @property
    def unit(self) -> str:
        """What one journey is counted as: people or sessions."""
        return "people" if self.per == "person" else "sessions"

    def describe(self) -> str:
        what = {"page": "pages", "screen": "screens", "event": "events"}[self.items]
        text = f"top {self.top} paths of {what}"
        if self.start is not None:
            text += f" from {self.start}"
        if self.goal is not None:
            text += f" to {self.goal}"
        per = "per person" if self.per == "person" else f"per session ({SESSION_MINUTES}-minute)"
        text += f", {per}, at most {self.steps} steps"
        if self.clean:
            text += ", cleaned by " + "; ".join(map(str, self.clean))
        if self.groups:
            text += ", grouping " + ", ".join(self.groups)
        return f"{text}, {self.describe_scope()}"


class PathsRunner(Runner):
    kind = "paths"
    spec_type = PathsSpec

    def validate(self, spec: SpecBase, ws: Workspace) -> SpecBase:
        assert isinstance(spec, PathsSpec)
        update = {
            name: as_step(step, ws.catalog)
            for name, step in (("goal", spec.goal), ("start", spec.start))
            if step is not None
        }
        return spec.model_copy(update=update)

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        assert isinstance(spec, PathsSpec)
        engine = pop.ws.engine
        width = spec.steps + 1
        unit = spec.unit
        columns = [item_column(j) for j in range(1, width + 1)]
        journeys = journey_paths(spec, pop)
        # Every view is a sum over distinct paths: one small table kept in the engine.
        counted = journeys.group_by(columns).aggregate(n=journeys.count())
        with counted.cache() as paths:
            order = [ibis.desc("n"), *(ibis.asc(c, nulls_first=True) for c in columns)]
            # The total rides along as a row with no items (a real path has a first item).
            everyone = paths.aggregate(n=paths.n.sum()).select(
                *(ibis.null("string").name(c) for c in columns), "n"
            )
            rows = engine.to_arrow(paths.order_by(order).limit(spec.top).union(everyone))
            top_rows = [r for r in rows.to_pylist() if r[columns[0]] is not None]
            top_rows.sort(
                key=lambda r: (-r["n"], [(r[c] is not None, r[c] or "") for c in columns])
            )
            total = sum(int(r["n"] or 0) for r in rows.to_pylist() if r[columns[0]] is None)
            edge_table = edges(engine, paths, width, spec.min_edge_weight, spec.max_edges, unit)
            node_table = nodes(engine, paths, width, edge_table, unit)
            why = path_why(spec, pop, paths, total)
        top = [[r[c] for c in columns if r[c] is not None] for r in top_rows]
        counts = [int(r["n"]) for r in top_rows]
        table = _top_table(top, counts, total, unit)
        tables = {"sankey_nodes": node_table, "sankey_edges": edge_table}
        if why.drivers is not None:
            tables["drivers"] = why.drivers.table
        return Output(
            table=table,
            answer=answer(spec, table, total),
            chart=figure(node_table, edge_table, unit, _title(spec)),
            tables=tables,
            drill=_drill(spec, pop, [" > ".join(p) for p in top], why.drivers),
            why=why.reasons,
        )


def _top_table(top: list[list[str]], counts: list[int], total: int, unit: str) -> pa.Table:
    paths = [" > ".join(p) for p in top]
    ranks: list[int | None] = list(range(1, len(top) + 1))
    items: list[list[str]] = list(top)
    other = total - sum(counts)
    if other > 0:
        paths.append(OTHER)
        ranks.append(None)
        items.append([])
        counts = [*counts, other]
    shares = [n / total if total else 0.0 for n in counts]
    return pa.table(
        {
            "rank": pa.array(ranks, pa.int64()),
            "path": pa.array(paths, pa.string()),
            "items": pa.array(items, pa.list_(pa.string())),
            unit: pa.array(counts, pa.int64()),
            "share": pa.array(shares, pa.float64()),
        }
    )


def _title(spec: PathsSpec) -> str:
    if spec.start is not None and spec.goal is not None:
        return f"Paths from {spec.start.name} to {spec.goal.name}"
    if spec.goal is not None:
        return f"Paths to {spec.goal.name}"
    if spec.start is not None:
        return f"Paths from {spec.start.name}"
    return "Paths"


def _percent(share: float) -> str:
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


def _count(n: int, unit: str) -> str:
    """A count and its unit, singular for one.

    >>> _count(1, "people"), _count(1_234, "sessions")
    ('1 person', '1,234 sessions')
    """
    if n == 1:
        return "1 person" if unit == "people" else "1 session"
    return f"{n:,} {unit}"


def _counted(spec: PathsSpec) -> str:
    """What one counted journey is, in words: the answer always says people or sessions."""
    start = spec.start.name if spec.start is not None else ""
    goal = spec.goal.name if spec.goal is not None else ""
    if spec.per == "person":
        whose, its = "Counted per person: each person's", "their"
    else:
        whose = f"Counted per session ({SESSION_MINUTES} minutes without an event end one): each"
        whose, its = f"{whose} session's", "its"
    if spec.start is not None and spec.goal is not None:
        return f"{whose} items from {its} first {start} to the first {goal} after it."
    if spec.goal is not None:
        return f"{whose} items up to {its} first {goal}."
    if spec.start is not None:
        return f"{whose} items from {its} first {start}."
    return f"{whose} items in the time range."


def answer(spec: PathsSpec, table: pa.Table, total: int) -> str:
    """The top path with its count and share, how much the top covers, and what was counted."""
    unit = spec.unit
    start = spec.start.name if spec.start is not None else ""
    goal = spec.goal.name if spec.goal is not None else ""
    if spec.start is not None and spec.goal is not None:
        who, where = f"that went from {start} to {goal}", f" from {start} to {goal}"
    elif spec.goal is not None:
        who, where = f"that reached {goal}", f" to {goal}"
    elif spec.start is not None:
        who, where = f"that started at {start}", f" from {start}"
    else:
        who, where = "with a path", ""
    if total == 0:
        return f"No {unit} {who} in {spec.time}: there are no paths to show. {_counted(spec)}"
    row = table.slice(0, 1).to_pylist()[0]
    shown = table.filter(pc.is_valid(table["rank"]))
    covered = sum(shown[unit].to_pylist()) / total
    everyone = f"the {_count(total, unit)}" if total == 1 else f"all {_count(total, unit)}"
    cover = f" The top {shown.num_rows} cover {_percent(covered)}." if shown.num_rows > 1 else ""
    return (
        f"Top path{where}: {row['path']}: {_count(row[unit], unit)}, "
        f"{_percent(row['share'])} of {everyone} {who}.{cover} {_counted(spec)}"
    )


def _drill(spec: PathsSpec, pop: Population, top: list[str], drivers: Drivers | None):
    """``people(path="A > B")``, ``people(path="Other")``, ``people(rank=1)``; Sankey nodes and
    edges: ``people(position=2, item="/cart")``, with ``to="/checkout"`` or ``dropped=True``;
    the why's drivers: ``people(feature="page:/help/delivery", success=True)``."""
    width = spec.steps + 1

    def drill(
        path: str | None = None,
        rank: int | None = None,
        position: int | None = None,
        item: str | None = None,
        to: str | None = None,
        dropped: bool = False,
        feature: str | None = None,
        success: bool | None = None,
    ) -> ir.Table:
        if feature is not None or success is not None:
            if drivers is None:
                raise ConfigError("only paths to a goal have drivers", value=feature)
            chosen = drivers.drill(feature, success)
            return chosen.select(person_id=chosen.unit_id)
        journeys = journey_paths(spec, pop)
        if rank is not None:
            if not 1 <= rank <= len(top):
                raise ConfigError("no path of that rank", value=rank, hint=f"1 to {len(top)}")
            path = top[rank - 1]
        if path is not None:
            text = path_text(journeys, width)
            if path == OTHER:
                cond = ~text.isin(top) if top else ibis.literal(True)
            else:
                cond = text == path
            return journeys.filter(cond).select("person_id")
        if position is None or item is None:
            raise ConfigError(
                "say which paths: path=..., rank=..., or position=... and item=...",
                hint='e.g. people(path="/ > /cart") or people(position=2, item="/cart")',
            )
        if not 1 <= position <= width:
            raise ConfigError("no such position", value=position, hint=f"1 to {width}")
        cond = journeys[item_column(position)] == item
        if to is not None or dropped:
            following = (
                journeys[item_column(position + 1)] if position < width else ibis.null("string")
            )
            cond &= following.isnull() if dropped else following == to
        return journeys.filter(cond).select("person_id")

    return drill


__all__ = ["ELLIPSIS", "OTHER", "CleanRule", "PathsRunner", "PathsSpec"]
