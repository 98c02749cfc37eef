"""One runner per analysis kind: validate the spec, build Ibis expressions, execute, return a
Result.

``run(spec, ws)`` is the only way analyses run; it finds the runner in ``RUNNERS`` (a dict, not an
if-chain), builds the spec's ``Population``, times the work and records provenance. A runner's
``compute`` returns an ``Output``; only aggregates come back from the engine.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.population import Population
from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.result import Provenance, Result
from wayfinder.analyses.spec import SpecBase
from wayfinder.errors import ConfigError
from wayfinder.store.schema import EVENTS, PROFILES

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace


@dataclass
class Output:
    """What a runner computed: the main table, other views, the answer and the chart."""

    table: pa.Table
    answer: str
    chart: dict[str, Any]
    tables: dict[str, pa.Table] = field(default_factory=dict)
    #: ``drill(**selector) -> ir.Table`` with a ``person_id`` column: the people behind a number.
    drill: Callable[..., ir.Table] | None = None
    #: The why: drivers, decompositions or credit shifts behind the answer (``Reason``).
    why: list[Reason] = field(default_factory=list)


class Runner(ABC):
    """Turns one kind of spec into a result; subclasses set ``kind`` and ``spec_type``."""

    kind: ClassVar[str]
    spec_type: ClassVar[type[SpecBase]]

    def validate(self, spec: SpecBase, ws: Workspace) -> SpecBase:
        """Check what the spec names exists (goals, columns) before any work; may normalise it."""
        return spec

    @abstractmethod
    def compute(self, spec: SpecBase, pop: Population) -> Output:
        """Build the expressions, execute them, and shape the answer."""


def run(spec: SpecBase, ws: Workspace, runners: dict[str, Runner]) -> Result:
    """Run ``spec`` on ``ws`` with the runner of its kind (``analyses.run`` passes ``RUNNERS``)."""
    runner = runners.get(spec.kind)
    if runner is None:
        raise ConfigError("unknown analysis", value=spec.kind, hint=f"known: {', '.join(runners)}")
    if spec.workspace is not None and spec.workspace != ws.name:
        from wayfinder.workspace import Workspace

        ws = Workspace(ws.engine, spec.workspace, config_dir=ws.config_dir)
    started = time.perf_counter()
    spec = runner.validate(spec, ws)
    pop = Population.of(ws, spec)
    out = runner.compute(spec, pop)
    duration = time.perf_counter() - started
    events = pop.in_range(ws.table(EVENTS.name), ws.table(EVENTS.name).timestamp)
    provenance = Provenance(
        engine=ws.engine.name,
        workspace=ws.name,
        rows_scanned=int(ws.engine.scalar(events.count())),
        duration_seconds=duration,
    )
    return Result(
        kind=spec.kind,
        spec=spec,
        table=out.table,
        answer=out.answer,
        interpretation=spec.describe(),
        chart=out.chart,
        provenance=provenance,
        tables=out.tables,
        drill=out.drill,
        why=out.why,
        _fetch=lambda ids, limit: _people(ws, ids, limit),
    )


def _people(ws: Workspace, ids: ir.Table, limit: int) -> pa.Table:
    """Profiles of the distinct people in ``ids``; people with no profile keep their id alone."""
    ids = ids.select("person_id").distinct()
    profiles = ws.table(PROFILES.name)
    joined = ids.left_join(profiles, ids.person_id == profiles.person_id)
    people = joined.select(
        ids.person_id, profiles.email, profiles.user_id, profiles.account_id, profiles.first_seen
    )
    return ws.engine.to_arrow(people.order_by("person_id").limit(limit))
