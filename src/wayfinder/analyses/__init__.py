"""Analyses: one typed spec and one runner per kind, results as data.

    from wayfinder.analyses import parse_spec, run
    result = run(parse_spec({"kind": "paths", "goal": "purchase", "top": 3}), ws)

``RUNNERS`` maps each kind to its runner; ``Spec`` is the discriminated union every interface
(CLI, HTTP API, ask) produces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from wayfinder.analyses import runner as _runner
from wayfinder.analyses.attribution import AttributionRunner, AttributionSpec
from wayfinder.analyses.churn_drivers import ChurnDriversRunner, ChurnDriversSpec
from wayfinder.analyses.conversion_drivers import ConversionDriversRunner, ConversionDriversSpec
from wayfinder.analyses.funnels import FunnelRunner, FunnelSpec
from wayfinder.analyses.lifecycle import LifecycleRunner, LifecycleSpec
from wayfinder.analyses.metric_change import MetricChangeRunner, MetricChangeSpec
from wayfinder.analyses.paths import PathsRunner, PathsSpec
from wayfinder.analyses.population import Population
from wayfinder.analyses.result import Provenance, Result
from wayfinder.analyses.retention import RetentionRunner, RetentionSpec
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import Breakdown, Filter, SpecBase, TimeRange
from wayfinder.analyses.steps import Step
from wayfinder.analyses.trends import TrendRunner, TrendSpec
from wayfinder.errors import ConfigError

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

RUNNERS: dict[str, Runner] = {
    r.kind: r
    for r in (
        PathsRunner(),
        FunnelRunner(),
        TrendRunner(),
        RetentionRunner(),
        LifecycleRunner(),
        AttributionRunner(),
        ConversionDriversRunner(),
        ChurnDriversRunner(),
        MetricChangeRunner(),
    )
}

Spec = Annotated[
    PathsSpec
    | FunnelSpec
    | TrendSpec
    | RetentionSpec
    | LifecycleSpec
    | AttributionSpec
    | ConversionDriversSpec
    | ChurnDriversSpec
    | MetricChangeSpec,
    Field(discriminator="kind"),
]
_SPEC = TypeAdapter(Spec)


def parse_spec(data: SpecBase | dict[str, Any] | str | Path) -> SpecBase:
    """A spec from a model, a dict, JSON text or a JSON file; errors name the field at fault."""
    if isinstance(data, SpecBase):
        return data
    where = "spec"
    if isinstance(data, Path):
        where = str(data)
        try:
            data = data.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("cannot read the spec file", value=data, hint=str(exc)) from exc
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{where} is not JSON", value=f"line {exc.lineno}: {exc.msg}"
            ) from exc
    if not isinstance(data, dict) or "kind" not in data:
        raise ConfigError(
            f"{where} must be a JSON object with a kind", hint=f"kinds: {', '.join(RUNNERS)}"
        )
    if data["kind"] not in RUNNERS:
        raise ConfigError(
            "unknown analysis", value=data["kind"], hint=f"kinds: {', '.join(RUNNERS)}"
        )
    try:
        return _SPEC.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{where} is not a valid {data['kind']} spec", value=_explain(exc)
        ) from exc


def run(spec: SpecBase | dict[str, Any] | str | Path, ws: Workspace) -> Result:
    """Run one analysis on a workspace and return its Result."""
    return _runner.run(parse_spec(spec), ws, RUNNERS)


def _explain(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = error["loc"][1:] if error["loc"] and error["loc"][0] in RUNNERS else error["loc"]
        where = ".".join(str(p) for p in loc) or "spec"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


__all__ = [
    "RUNNERS",
    "AttributionSpec",
    "ChurnDriversSpec",
    "ConversionDriversSpec",
    "MetricChangeSpec",
    "Breakdown",
    "Filter",
    "FunnelSpec",
    "LifecycleSpec",
    "Output",
    "PathsSpec",
    "Population",
    "Provenance",
    "Result",
    "RetentionSpec",
    "Runner",
    "Spec",
    "SpecBase",
    "Step",
    "TimeRange",
    "TrendSpec",
    "parse_spec",
    "run",
]
