"""An attribution's result: every model's credit side by side, the intervals of the data-driven
models, the Markov chains and the top paths (chart and words: ``attribution_answer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from wayfinder.analyses import attribution_journeys as aj
from wayfinder.analyses.attribution_answer import answer, chart, credit_of, measure_of, reasons
from wayfinder.analyses.runner import Output
from wayfinder.attribution import heuristics
from wayfinder.attribution.bootstrap import intervals
from wayfinder.attribution.credit import Credit
from wayfinder.attribution.markov import MarkovChain, markov
from wayfinder.attribution.shapley import shapley, shapley_simplified
from wayfinder.errors import ConfigError

if TYPE_CHECKING:
    from wayfinder.analyses.attribution import AttributionSpec
    from wayfinder.analyses.population import Population
    from wayfinder.attribution.path_table import PathTable

PATHS_SHOWN = 50
OTHER = "Other"


def output(spec: AttributionSpec, pop: Population) -> Output:
    rows = aj.journey_touches(spec, pop)
    engine = pop.ws.engine
    pt = aj.path_table(rows, engine)
    by_touch = aj.touch_credit(spec, rows, engine)
    keep = _kept(pt, spec.top)
    if keep is not None:
        pt = pt.group_small(spec.top, other=OTHER)
    credits = _credits(spec, pt, by_touch, keep)
    cis = _intervals(spec, pt)
    values = _values(pt, credits)
    dim = spec.dimension
    table = _shares(spec, values, pt, credits, cis)
    tables = {
        "conversions": _wide(dim, values, pt, credits, "conversions", cis),
        "value": _wide(dim, values, pt, credits, "value", cis),
        "paths": _paths(pt),
    }
    for order in spec.orders if "markov" in spec.models else ():
        touched = _split(pt)[0] if pt.paths else pt
        chain = MarkovChain.fit(touched, order=order) if touched.paths else None
        if chain is not None:
            tables[f"transitions_{order}"] = chain.transitions()
            effects = chain.removal_effects()
            tables[f"removal_effects_{order}"] = pa.table(
                {dim: list(effects), "removal_effect": [float(v) for v in effects.values()]}
            )

    def drill(**selector: Any) -> Any:
        unknown = set(selector) - {dim, "value", "converted"}
        if unknown:
            raise ConfigError(
                "unknown drill-down key", value=", ".join(sorted(unknown)),
                hint=f"use {dim}=<value> and converted=True/False",
            )  # fmt: skip
        token = selector.get(dim, selector.get("value"))
        return aj.journey_people(rows, token, selector.get("converted"))

    return Output(
        table=table,
        answer=answer(spec, values, pt, credits, cis),
        chart=chart(spec, values, pt, credits),
        tables=tables,
        drill=drill,
        why=reasons(spec, pt, credits, cis),
    )


# -- models ---------------------------------------------------------------------------------------
def _kept(pt: PathTable, top: int | None) -> set[str] | None:
    if top is None or len(pt.channels) <= top:
        return None
    return set(pt.group_small(top, other=OTHER).channels) - {OTHER}


def _credits(
    spec: AttributionSpec, pt: PathTable, by_touch: pa.Table, keep: set[str] | None
) -> dict[str, Credit]:
    """Every model's credit, in ``spec.model_names`` order.

    Conversions with no touch in their window have nothing to credit but themselves: they go
    to ``NO_TOUCH`` in every model, and the path models learn from the journeys with touches
    (an always-converting pseudo-channel would otherwise take most of the Shapley credit).
    """
    out: dict[str, Credit] = {}
    if not pt.paths:
        return out
    touched, untouched = _split(pt)
    first, last = spec.position
    path_models = {
        "first_touch": heuristics.first_touch,
        "last_touch": heuristics.last_touch,
        "linear": heuristics.linear,
        "linear_distinct": heuristics.linear_distinct,
        "position_based": lambda p: heuristics.position_based(p, first=first, last=last),
        "shapley": lambda p: _shapley(spec, p),
        "shapley_simplified": shapley_simplified,
        **{f"markov_{o}": (lambda p, o=o: markov(p, order=o)) for o in spec.orders},
    }
    for name in spec.model_names:
        if name in path_models:
            credit = path_models[name](touched) if touched.paths else None
            out[name] = _plus(name, credit, untouched)
        else:  # time_decay, last_non_direct: from each touch's time and channel
            out[name] = _from_touches(name, by_touch, keep)
    return out


def _split(pt: PathTable) -> tuple[PathTable, tuple[float, float]]:
    """The journeys with touches, and the conversions and value of those without."""
    mask = np.array([p == (aj.NO_TOUCH,) for p in pt.paths])
    if not mask.any():
        return pt, (0.0, 0.0)
    rest = ~mask
    touched = type(pt)(
        tuple(p for p, m in zip(pt.paths, rest, strict=True) if m),
        pt.conversions[rest],
        pt.nulls[rest],
        pt.value[rest],
    )
    return touched, (float(pt.conversions[mask].sum()), float(pt.value[mask].sum()))


def _plus(name: str, credit: Credit | None, untouched: tuple[float, float]) -> Credit:
    channels = credit.channels if credit is not None else ()
    conv = credit.conversions if credit is not None else np.zeros(0)
    value = credit.value if credit is not None else np.zeros(0)
    if untouched == (0.0, 0.0):
        return Credit(name, channels, conv, value)
    return Credit(
        name,
        (*channels, aj.NO_TOUCH),
        np.append(conv, untouched[0]),
        np.append(value, untouched[1]),
    )


def _shapley(spec: AttributionSpec, pt: PathTable) -> Credit:
    if len(pt.channels) > spec.shapley_max_channels:
        raise ConfigError(
            "too many values for exact Shapley credit",
            value=f"{len(pt.channels)} values of {spec.dimension}",
            hint=f"set top (e.g. top={spec.shapley_max_channels - 1}) to group the rest into "
            f"{OTHER!r}, or leave shapley out of models",
        )
    return shapley(pt, max_channels=spec.shapley_max_channels)


def _from_touches(name: str, by_touch: pa.Table, keep: set[str] | None) -> Credit:
    conv: dict[str, float] = {}
    val: dict[str, float] = {}
    for r in by_touch.to_pylist():
        token = r["token"] if keep is None or r["token"] in keep else OTHER
        conv[token] = conv.get(token, 0.0) + (r[name] or 0.0)
        val[token] = val.get(token, 0.0) + (r[f"{name}_value"] or 0.0)
    names = tuple(sorted(conv))
    return Credit(
        name, names, np.array([conv[n] for n in names]), np.array([val[n] for n in names])
    )


def _intervals(spec: AttributionSpec, pt: PathTable) -> dict[str, Any]:
    pt = _split(pt)[0] if pt.paths else pt
    if not spec.bootstrap or not pt.paths:
        return {}
    models = []
    for name in spec.model_names:
        if name.startswith("markov_"):
            order = int(name.split("_")[1])
            models.append(lambda p, o=order: markov(p, order=o))
        elif name == "shapley" and len(pt.channels) <= spec.shapley_max_channels:
            models.append(lambda p: shapley(p, max_channels=spec.shapley_max_channels))
    if not models:
        return {}
    return intervals(pt, models, reps=spec.bootstrap, level=spec.confidence, seed=spec.seed)


# -- tables ---------------------------------------------------------------------------------------
def _values(pt: PathTable, credits: dict[str, Credit]) -> list[str]:
    """Dimension values, most journeys touched first."""
    names = set(pt.channels)
    for c in credits.values():
        names |= set(c.channels)
    touched = _touched(pt)
    return sorted(names, key=lambda n: (-touched.get(n, 0.0), n))


def _touched(pt: PathTable, *, converting: bool = False) -> dict[str, float]:
    """Journeys (with ``converting``: converting journeys) whose path holds each value."""
    if not pt.paths:
        return {}
    counts = pt.journeys_touched(converting=converting)
    return dict(zip(pt.channels, map(float, counts), strict=True))


def _wide(
    dim: str,
    values: list[str],
    pt: PathTable,
    credits: dict[str, Credit],
    measure: str,
    cis: dict[str, Any],
) -> pa.Table:
    """One row per dimension value: journeys touched, then each model's credit in ``measure``."""
    touched, converting = _touched(pt), _touched(pt, converting=True)
    cols: dict[str, list[Any]] = {
        dim: values,
        "journeys": [touched.get(v, 0.0) for v in values],
        "converting_journeys": [converting.get(v, 0.0) for v in values],
    }
    at = 0 if measure == "conversions" else 2
    for name, credit in credits.items():
        amounts = credit_of(credit, measure)
        cols[name] = [amounts.get(v, 0.0) for v in values]
        if name in cis:
            cols[f"{name}_low"] = [cis[name].get(v, (None,) * 4)[at] for v in values]
            cols[f"{name}_high"] = [cis[name].get(v, (None,) * 4)[at + 1] for v in values]
    return pa.table(cols)


def _shares(
    spec: AttributionSpec,
    values: list[str],
    pt: PathTable,
    credits: dict[str, Credit],
    cis: dict[str, Any],
) -> pa.Table:
    """The main view: each model's share of the measure (value when conversions carry one),
    side by side, with the headline model's interval; share columns are marked for display."""
    measure = measure_of(spec, pt)[0]
    total = (pt.total_value if measure == "value" else pt.total_conversions) if pt.paths else 0.0
    touched = _touched(pt)
    fields = [pa.field(spec.dimension, pa.string()), pa.field("journeys", pa.float64())]
    cols: list[list[Any]] = [values, [touched.get(v, 0.0) for v in values]]
    at = 0 if measure == "conversions" else 2
    share = {b"unit": b"share"}
    for name, credit in credits.items():
        amounts = credit_of(credit, measure)
        fields.append(pa.field(name, pa.float64(), metadata=share))
        cols.append([amounts.get(v, 0.0) / total if total else None for v in values])
        if name == spec.headline_model and name in cis:
            for end, k in (("low", at), ("high", at + 1)):
                bound = [cis[name].get(v, (None,) * 4)[k] for v in values]
                fields.append(pa.field(f"{name}_{end}", pa.float64(), metadata=share))
                cols.append([b / total if b is not None and total else None for b in bound])
    return pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(cols, fields, strict=True)],
                                schema=pa.schema(fields))  # fmt: skip


def _paths(pt: PathTable) -> pa.Table:
    journeys = pt.conversions + pt.nulls
    order = np.argsort(-journeys, kind="stable")[:PATHS_SHOWN]
    return pa.table(
        {
            "path": [" > ".join(pt.paths[i]) for i in order],
            "journeys": [float(journeys[i]) for i in order],
            "conversions": [float(pt.conversions[i]) for i in order],
            "value": [float(pt.value[i]) for i in order],
            "conversion_rate": [float(pt.conversions[i] / journeys[i]) for i in order],
        }
    )
