"""The Python facade: ``wf = wayfinder.open(url, workspace="default")`` and what it can do.

Every interface (CLI, server, notebooks) goes through a ``Workspace``; it owns no computation of
its own, only the order in which the layers below are called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.engines import DEFAULT_URL, Engine, check_workspace_name, connect
from wayfinder.errors import UnknownName
from wayfinder.progress import SILENT, Reporter
from wayfinder.store.ingest import IngestSummary, drop_stale_stages, ingest_files
from wayfinder.store.migrate import migrate, schema_version
from wayfinder.store.schema import INPUT_TABLES, KINDS, QUARANTINE, SYSTEM_TABLES

DEFAULT_WORKSPACE = "default"

#: Kinds whose rows carry identifiers, so loading them calls for a new stitching run.
IDENTITY_KINDS = frozenset({"events", "people", "interactions"})


@dataclass
class IdentityStats:
    identifiers: int
    people: int
    merged_people: int
    hubs: int
    oversized_components: int


@dataclass
class Status:
    """What a workspace holds: tables and row counts, people, quarantine, identity."""

    engine: str
    url: str
    workspace: str
    workspaces: list[str]
    schema_version: int | None
    tables: dict[str, int]
    quarantine: dict[str, int]
    identity: IdentityStats
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Workspace:
    """One workspace of one engine: ingest data, stitch identities, read status."""

    def __init__(
        self, engine: Engine, name: str = DEFAULT_WORKSPACE, *, config_dir: str | Path | None = None
    ) -> None:
        self.engine = engine
        self.name = check_workspace_name(name)
        self.config_dir = Path(config_dir) if config_dir is not None else None
        #: The ask lexicon of this workspace, built on the first question.
        self._asker: Any = None
        self._catalog: Any = None
        #: People every analysis leaves out (test accounts, staff): person or account filters,
        #: e.g. ``"person: email matches '@summit-outdoor[.]com$'"``.
        self.excluded_people: list[Any] = []
        migrate(engine, name)

    @property
    def catalog(self) -> Any:
        """The workspace's goals, metrics and synonyms (built-ins, firm file, workspace file)."""
        if self._catalog is None:
            from wayfinder.semantic import Catalog
            from wayfinder.semantic.catalog import config_dir_for

            folder = self.config_dir or config_dir_for(self.engine)
            self._catalog = Catalog.load(folder, self.name)
        return self._catalog

    # -- loading -----------------------------------------------------------------------------
    def ingest(
        self,
        paths: str | Path | Iterable[str | Path],
        kind: str = "events",
        *,
        mapping: str | Path | object | None = None,
        stitch: bool = True,
        reporter: Reporter = SILENT,
    ) -> IngestSummary:
        """Load files of one kind; rows that fail validation go to quarantine.

        ``mapping`` is a column-mapping file (TOML or YAML) for CRM exports with their own
        headers. Identity stitching runs afterwards when the kind carries identifiers.
        """
        if isinstance(paths, (str, Path)):
            paths = [paths]
        if kind not in KINDS:
            raise UnknownName("unknown kind", value=kind, hint=f"known kinds: {', '.join(KINDS)}")
        if isinstance(mapping, (str, Path)):
            from wayfinder.sources.mapping import load_mapping

            mapping = load_mapping(Path(mapping))
        if self.engine.name == "duckdb":
            # DuckDB has one writer, so a staging table present now was left by a killed run.
            drop_stale_stages(self.engine, self.name)
        summary = ingest_files(
            self.engine, self.name, list(paths), kind, mapping=mapping, reporter=reporter
        )
        if summary.loaded or summary.updated:
            self._drop_derived()
        if stitch and kind in IDENTITY_KINDS and (summary.loaded or summary.updated):
            self.stitch(reporter=reporter)
        return summary

    def stitch(self, *, reporter: Reporter = SILENT, **limits: Any) -> Any:
        """Recompute who is who from the identifiers seen so far (incremental)."""
        from wayfinder.model.identity import stitch

        reporter.note("stitching identities")
        result = stitch(self.engine, self.name, reporter=reporter, **limits)
        self._drop_derived()
        return result

    def touchpoints(self, *, refresh: bool = False, reporter: Reporter = SILENT) -> ir.Table:
        """Every marketing touch of every person (``model/touchpoints.py``), built once and kept.

        The table is derived: ``ingest`` and ``stitch`` drop it, so the next call rebuilds it
        from what is stored then; ``refresh=True`` rebuilds it now.
        """
        from wayfinder.model.touchpoints import TOUCHPOINTS, materialize_touchpoints

        if refresh or not self.engine.has_table(TOUCHPOINTS.name, self.name):
            reporter.note("building touchpoints")
            return materialize_touchpoints(self)
        return self.table(TOUCHPOINTS.name)

    def _drop_derived(self) -> None:
        """New data or a new stitching run makes derived tables stale; they rebuild on demand."""
        from wayfinder.model.touchpoints import TOUCHPOINTS

        self._asker = None  # its lexicon lists the workspace's names, which may have changed
        if self.engine.has_table(TOUCHPOINTS.name, self.name):
            self.engine.drop_table(TOUCHPOINTS.name, self.name)

    # -- analyses ----------------------------------------------------------------------------
    def run(self, spec: Any) -> Any:
        """Run an analysis spec (a model, a dict, JSON text or a JSON file) on this workspace."""
        from wayfinder.analyses import run

        return run(Path(spec) if isinstance(spec, str) and spec.endswith(".json") else spec, self)

    def paths(self, **spec: Any) -> Any:
        """Top paths and the Sankey: ``wf.paths(goal="purchase", top=3)``."""
        return self.run({"kind": "paths", **spec})

    def funnel(self, steps: list[Any], **spec: Any) -> Any:
        """A funnel: ``wf.funnel(["page:/cart", "checkout", "purchase"], window="7d")``."""
        return self.run({"kind": "funnel", "steps": steps, **spec})

    def trend(self, **spec: Any) -> Any:
        """A trend: ``wf.trend(event="purchase", measure="unique_people", interval="week")``;
        also ``measure="sum", property="revenue"``, ``metric="conversion_rate"``,
        ``breakdown="device_type"``, ``compare="previous_period"`` (see docs/analyses/trends.md)."""
        return self.run({"kind": "trend", **spec})

    def retention(self, **spec: Any) -> Any:
        """Cohort retention: ``wf.retention(start="signup", back="purchase", interval="week",
        periods=8, cohort="first_time", mode="on")``; drill with
        ``result.people(cohort="2026-03-02", period=2)``."""
        return self.run({"kind": "retention", **spec})

    def lifecycle(self, **spec: Any) -> Any:
        """New, returning, resurrecting and dormant people per period:
        ``wf.lifecycle(event="purchase", interval="month")``; drill with
        ``result.people(period="2026-03-01", status="dormant")``."""
        return self.run({"kind": "lifecycle", **spec})

    def attribution(self, **spec: Any) -> Any:
        """Credit for a goal's conversions, every model side by side:
        ``wf.attribution(goal="purchase", by="channel", lookback="30d")``; B2B goals (won deals,
        pipeline) use account journeys; drill with ``result.people(channel="Email")``
        (see docs/analyses/attribution.md)."""
        return self.run({"kind": "attribution", **spec})

    def conversion_drivers(self, **spec: Any) -> Any:
        """What sets converters apart: ``wf.conversion_drivers(goal="purchase", window="30d")``,
        each driver with its evidence and whether it holds when the others are controlled for;
        drill with ``result.people(feature="page:/help/delivery", success=True)``
        (see docs/analyses/drivers.md)."""
        return self.run({"kind": "conversion_drivers", **spec})

    def churn_drivers(self, **spec: Any) -> Any:
        """What sets churned accounts or people apart: ``wf.churn_drivers()``; churn from
        subscriptions, else inactivity; drill with ``result.people(feature=..., churned=True)``
        (see docs/analyses/drivers.md)."""
        return self.run({"kind": "churn_drivers", **spec})

    def metric_change(self, **spec: Any) -> Any:
        """Why a metric changed: ``wf.metric_change(metric="orders")`` (last 7 days against the
        4 weeks before by default), decomposed by channel, campaign, device, country and new vs
        returning; drill with ``result.people(dimension=..., value=..., period="current")``
        (see docs/analyses/drivers.md)."""
        return self.run({"kind": "metric_change", **spec})

    # -- reading -----------------------------------------------------------------------------
    def ask(self, question: str, today: date | None = None) -> Any:
        """A plain-English question: ``wf.ask("top 3 paths of buyers last quarter")`` gives an
        ``Answer`` with the interpretation, the spec it ran, the result and the why, or a
        clarification, a refusal or "not available yet" (see docs/ask.md). The lexicon is built
        from the workspace on the first question and reused."""
        if self._asker is None:
            from wayfinder.ask.answer import Asker
            from wayfinder.ask.llm import LLMConfig

            self._asker = Asker(self, llm=LLMConfig.from_env())
        return self._asker.ask(question, today)

    def table(self, name: str) -> ir.Table:
        return self.engine.table(name, self.name)

    def quarantine(self, *, reason: str | None = None, limit: int | None = None) -> pa.Table:
        """Quarantined rows, newest first, optionally of one reason."""
        q = self.table(QUARANTINE.name)
        if reason is not None:
            q = q.filter(q.reason == reason)
        q = q.order_by([q.quarantined_at.desc(), q.source_file, q.line])
        if limit is not None:
            q = q.limit(limit)
        return self.engine.to_arrow(q)

    def status(self) -> Status:
        eng = self.engine
        counts = {}
        for name in [*INPUT_TABLES, *SYSTEM_TABLES]:
            counts[name] = int(eng.scalar(self.table(name).count()))
        q = self.table(QUARANTINE.name)
        by_reason = eng.to_arrow(q.group_by("reason").aggregate(rows=q.count()).order_by("reason"))
        return Status(
            engine=eng.name,
            url=eng.url,
            workspace=self.name,
            workspaces=eng.list_workspaces(),
            schema_version=schema_version(eng, self.name),
            tables=counts,
            quarantine={r["reason"]: int(r["rows"]) for r in by_reason.to_pylist()},
            identity=self._identity_stats(),
        )

    def _identity_stats(self) -> IdentityStats:
        m = self.table("identity_map")
        per_person = m.group_by("person_id").aggregate(n=m.count())
        stats = self.engine.to_arrow(
            per_person.aggregate(
                people=per_person.count(),
                identifiers=per_person.n.sum(),
                merged=(per_person.n > 1).sum(),
            )
        ).to_pylist()[0]
        issues = self.table("identity_issues")
        by_issue = {
            r["issue"]: int(r["n"])
            for r in self.engine.to_arrow(
                issues.group_by("issue").aggregate(n=issues.count())
            ).to_pylist()
        }
        return IdentityStats(
            identifiers=int(stats["identifiers"] or 0),
            people=int(stats["people"] or 0),
            merged_people=int(stats["merged"] or 0),
            hubs=by_issue.get("hub", 0),
            oversized_components=by_issue.get("oversized_component", 0),
        )

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Workspace {self.name!r} on {self.engine.url}>"


def open(  # noqa: A001
    target: str | Path | Any = DEFAULT_URL,
    workspace: str = DEFAULT_WORKSPACE,
    *,
    config_dir: str | Path | None = None,
) -> Workspace:
    """Open (creating if needed) a workspace on an engine given by URL, path or SparkSession.

    ``config_dir`` holds the semantic-layer files (``firm.toml``, ``workspaces/<name>.toml``);
    by default a ``wayfinder-config`` folder next to the database.
    """
    engine = connect(target)
    if workspace != DEFAULT_WORKSPACE:
        # The default workspace always exists, so firm-wide code can rely on it.
        migrate(engine, DEFAULT_WORKSPACE)
    return Workspace(engine, workspace, config_dir=config_dir)
