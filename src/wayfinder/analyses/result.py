"""What every analysis returns: the table, the answer in words, a chart, the spec and provenance.

Results are data: interfaces render them and never compute. ``Result.people(...)`` lists the
people behind any number of the result (the drill-down), through the runner that made it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.spec import SpecBase

#: How many people ``Result.people`` returns unless asked for more.
PEOPLE_LIMIT = 100


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: engine, workspace, rows read, time taken."""

    engine: str
    workspace: str
    rows_scanned: int
    duration_seconds: float
    ran_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "workspace": self.workspace,
            "rows_scanned": self.rows_scanned,
            "duration_seconds": round(self.duration_seconds, 3),
            "ran_at": self.ran_at.isoformat(timespec="seconds"),
        }


@dataclass
class Result:
    """One analysis's answer.

    ``table`` is the main result (Arrow); ``tables`` holds the other views a kind has (a paths
    result's Sankey nodes and edges, a funnel's time-to-convert histogram). ``chart`` is a
    Plotly figure as JSON-ready dicts; ``interpretation`` says how the spec was understood.
    """

    kind: str
    spec: SpecBase
    table: pa.Table
    answer: str
    interpretation: str
    chart: dict[str, Any]
    provenance: Provenance
    tables: dict[str, pa.Table] = field(default_factory=dict)
    #: Builds the person ids behind one number, given the selector of ``people``.
    drill: Callable[..., ir.Table] | None = field(default=None, repr=False)
    #: The why behind the answer: ``Reason`` sentences with evidence and people.
    why: list[Reason] = field(default_factory=list)
    #: Runs an expression on the result's engine and profiles of the workspace, for ``people``.
    _fetch: Callable[[ir.Table, int], pa.Table] | None = field(default=None, repr=False)

    def people(self, limit: int = PEOPLE_LIMIT, **selector: Any) -> pa.Table:
        """The people behind one number: ``result.people(path="/ > /cart")``,
        ``result.people(step=2, dropped=True)``, ``result.people(period="2026-03-02")``.

        Each kind documents its selector keys; the people come with their profile (email,
        account) and are ordered by person id, at most ``limit`` of them.
        """
        if self.drill is None or self._fetch is None:
            raise NotImplementedError(f"{self.kind} results have no drill-down")
        return self._fetch(self.drill(**selector), limit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the spec, answer, interpretation, rows, other tables, chart, provenance."""
        return {
            "kind": self.kind,
            "spec": self.spec.model_dump(mode="json", exclude_defaults=True) | {"kind": self.kind},
            "answer": self.answer,
            "interpretation": self.interpretation,
            "rows": _rows(self.table),
            "tables": {name: _rows(t) for name, t in self.tables.items()},
            "chart": self.chart,
            "why": [r.to_dict() for r in self.why],
            "provenance": self.provenance.to_dict(),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), default=str, **kwargs)

    def __repr__(self) -> str:
        return f"<Result {self.kind}: {self.answer[:80]!r} ({self.table.num_rows} rows)>"


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
        for row in table.to_pylist()
    ]
