"""The catalog of a workspace: its goals, metrics and synonyms, layered from the built-in defaults,
the firm's central file and the workspace's own, and compiled to Ibis on demand.

    catalog = Catalog.load(config_dir, "shop")
    catalog.resolve("checkouts")                       # ('goal', 'purchase')
    catalog.goal("purchase").occurrences(ws)           # ibis.Table, one row per purchase
    catalog.metric("revenue").compute(ws, by="week")   # ibis.Table: period, revenue
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import ibis.expr.types as ir

from wayfinder.engines.base import check_workspace_name
from wayfinder.errors import UnknownName
from wayfinder.semantic import goals as _goals
from wayfinder.semantic import metrics as _metrics
from wayfinder.semantic.definitions import AggregateMetric, Goal, Metric
from wayfinder.semantic.loader import Entry, Merged, builtin_layer, file_layer, merge
from wayfinder.semantic.synonyms import Synonym

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

#: The folder of catalog files next to a DuckDB file: ``firm.toml``, ``workspaces/<ws>.toml``.
CONFIG_DIR_NAME = "wayfinder-config"
FIRM_FILE = "firm.toml"
WORKSPACES_DIR = "workspaces"


def config_dir_for(target: str | Path | Any) -> Path:
    """Where the catalog files of an engine live by default: next to its DuckDB file, next to a
    local Spark warehouse, else in the current directory.

    >>> config_dir_for("duckdb:///data/wf.duckdb").as_posix()
    'data/wayfinder-config'
    >>> config_dir_for("pyspark://local?warehouse=/srv/spark").as_posix()
    '/srv/wayfinder-config'
    """
    url = getattr(target, "url", target)
    text = str(url)
    if "://" not in text:
        text = "duckdb:///" + text
    scheme, _, rest = text.partition("://")
    if scheme == "duckdb":
        path = rest[1:] if rest.startswith("/") else rest
        path = path.split("?", 1)[0]
        if path and path != ":memory:":
            return Path(path).parent / CONFIG_DIR_NAME
    elif scheme == "pyspark":
        warehouse = parse_qs(urlparse(text).query).get("warehouse")
        if warehouse:
            return Path(warehouse[0]).parent / CONFIG_DIR_NAME
    return Path(CONFIG_DIR_NAME)


@dataclass(frozen=True)
class GoalRef:
    """A goal of a catalog, ready to compile against a workspace."""

    definition: Goal
    catalog: Catalog

    @property
    def name(self) -> str:
        return self.definition.name

    def occurrences(self, ws: Workspace) -> ir.Table:
        """Each time the goal was reached: goal, identity_key, person_id, account_id, timestamp,
        value (see ``wayfinder.semantic.sources``)."""
        return _goals.occurrences(self.definition, ws, self.catalog.goals)


@dataclass(frozen=True)
class MetricRef:
    """A metric of a catalog, ready to compute on a workspace."""

    definition: Metric
    catalog: Catalog

    @property
    def name(self) -> str:
        return self.definition.name

    def compute(
        self,
        ws: Workspace,
        start: _metrics.Bound = None,
        end: _metrics.Bound = None,
        by: str | None = None,
        *,
        goal: str | None = None,
    ) -> ir.Table:
        """The metric over ``[start, end)``, one row, or one per period with ``by`` (hour, day,
        week, month, quarter, year). ``goal`` replaces the goal the metric reads (conversion
        rate of sign-ups: ``compute(ws, goal="signup")``)."""
        if goal is not None:
            goal = self.catalog.goal(goal).name
        window = _metrics.Window.of(start, end, by)
        return _metrics.compute(
            self.definition, ws, self.catalog.goals, self.catalog.metrics, window, goal
        )


class Catalog:
    """Goals, metrics and synonyms of one workspace, with the file each came from."""

    def __init__(self, merged: Merged) -> None:
        self._merged = merged
        self.goals: dict[str, Goal] = {n: e.model for n, e in merged.entries["goal"].items()}
        self.metrics: dict[str, Metric] = {n: e.model for n, e in merged.entries["metric"].items()}

    @classmethod
    def load(cls, config_dir: str | Path | None = None, workspace: str = "default") -> Catalog:
        """The built-in defaults, then ``config_dir/firm.toml``, then
        ``config_dir/workspaces/<workspace>.toml``; files that do not exist are skipped."""
        layers = [builtin_layer()]
        if config_dir is not None:
            root = Path(config_dir)
            paths = [
                root / FIRM_FILE,
                root / WORKSPACES_DIR / f"{check_workspace_name(workspace)}.toml",
            ]
            layers += [layer for path in paths if (layer := file_layer(path)) is not None]
        return cls(merge(layers))

    @property
    def files(self) -> list[str]:
        """The files read, in layering order."""
        return list(self._merged.files)

    def goal(self, name: str) -> GoalRef:
        """A goal by name or synonym."""
        return GoalRef(self.goals[self._lookup("goal", name)], self)

    def metric(self, name: str) -> MetricRef:
        """A metric by name or synonym."""
        return MetricRef(self.metrics[self._lookup("metric", name)], self)

    def resolve(self, word: str, kind: str | None = None) -> tuple[str, str] | None:
        """``(kind, name)`` for a name or synonym, ignoring case, spaces and punctuation.

        With ``kind``, only a name of that kind is returned; asking for a goal, a word naming a
        metric that counts or sums one goal gives that goal ("sign-ups" names the metric
        ``signups``, and the goal ``signup`` when a goal is wanted).
        """
        found = self._merged.index.resolve(word)
        if found is None or kind is None or found[0] == kind:
            return found
        if kind == "goal" and found[0] == "metric":
            definition = self.metrics[found[1]].definition
            if isinstance(definition, AggregateMetric) and definition.goal is not None:
                return "goal", definition.goal
        return None

    def synonyms(self, kind: str | None = None, name: str | None = None) -> list[Synonym]:
        """Synonyms, optionally of one kind and name."""
        return [
            s
            for s in self._merged.index.synonyms.values()
            if (kind is None or s.kind == kind) and (name is None or s.target == name)
        ]

    def entry(self, kind: str, name: str) -> Entry:
        """A goal or metric with its provenance (defined_in, changed_in, locked_in)."""
        return self._merged.entries[kind][name]

    def _lookup(self, kind: str, name: str) -> str:
        known = self.goals if kind == "goal" else self.metrics
        if name in known:
            return name
        found = self.resolve(name)
        if found is not None and found[0] == kind:
            return found[1]
        raise UnknownName(
            f"unknown {kind}", value=name, hint=f"{kind}s: {', '.join(sorted(known))}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain data (the ``wayfinder catalog --json`` output)."""

        def entries(kind: str) -> list[dict[str, Any]]:
            out = []
            for name, entry in self._merged.entries[kind].items():
                model = entry.model
                item = {
                    "name": name,
                    "description": model.description,
                    "definition": model.definition.describe(),
                    "spec": model.definition.model_dump(mode="json"),
                    "synonyms": [s.phrase for s in self.synonyms(kind, name)],
                    "defined_in": entry.defined_in,
                    "changed_in": entry.changed_in,
                    "locked_in": entry.locked_in,
                }
                if isinstance(model, Goal):
                    item["level"] = model.level
                else:
                    item["format"] = model.format
                out.append(item)
            return out

        others = [s.to_dict() for s in self.synonyms() if s.kind not in ("goal", "metric")]
        return {
            "files": self.files,
            "goals": entries("goal"),
            "metrics": entries("metric"),
            "other_synonyms": others,
        }

    def __repr__(self) -> str:
        return f"<Catalog {len(self.goals)} goals, {len(self.metrics)} metrics from {self.files}>"
