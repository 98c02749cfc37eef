"""A metric change as tables and a chart: every dimension value's contribution, the dimensions
ranked, and the waterfall of the best dimension (from the ``Words`` of one run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from wayfinder.analyses.metric_change_query import NONE, OTHER
from wayfinder.explain.decompose import Contribution

if TYPE_CHECKING:
    from wayfinder.analyses.metric_change_words import Words

#: "Other" folds many small values and "(none)" is no value: neither names an explanation.
NAMED = (OTHER, NONE)


def table(words: Words) -> pa.Table:
    rows = []
    for name, d in words.ranked:
        visits = words.traffic[name]
        for p in d.parts:
            rows.append(
                {"dimension": name, **contribution(p)}
                | {
                    "base_visits": visits.get(p.value, (0.0, 0.0))[0],
                    "current_visits": visits.get(p.value, (0.0, 0.0))[1],
                }
            )
    return pa.Table.from_pylist(rows, schema=_TABLE)


def dimensions_table(words: Words) -> pa.Table:
    rows = []
    for name, d in words.ranked:
        top = d.top_of(NAMED)
        rows.append(
            {
                "dimension": name,
                "top_value": top.value if top else None,
                "top_share": top.share if top else None,
                "top_surprise": top.surprise if top else None,
                "top_z": top.z if top else None,
                "score": d.score(NAMED),
                "concentration": d.concentration,
                "unexplained": d.unexplained,
                "values": len(d.parts),
            }
        )
    return pa.Table.from_pylist(rows, schema=_DIMENSIONS)


def chart(words: Words) -> dict[str, Any]:
    if not words.ranked:
        return {"data": [], "layout": {"title": {"text": "No data"}}}
    name, d = words.best() or words.ranked[0]
    shown = [p for p in d.parts if p.value != OTHER][:8]
    rest = sum(p.change for p in d.parts if p not in shown)
    x = ["before", *(p.value for p in shown)]
    y = [d.base_total, *(p.change for p in shown)]
    if rest:
        x.append("other values")
        y.append(rest)
    if abs(d.unexplained) > 1e-12:
        x.append("counted twice")
        y.append(d.unexplained)
    measure = ["absolute", *["relative"] * (len(x) - 1), "total"]
    x.append("now")
    y.append(d.current_total)
    data = [{"type": "waterfall", "x": x, "y": y, "measure": measure, "orientation": "v"}]
    layout = {
        "title": {"text": f"{words.label[:1].upper()}{words.label[1:]} {words.when()}, by {name}"},
        "yaxis": {"title": {"text": words.label}},
        "showlegend": False,
    }
    return {"data": data, "layout": layout}


_FLOAT = pa.float64()
_TABLE = pa.schema(
    [("dimension", pa.string()), ("value", pa.string())]
    + [
        (c, _FLOAT)
        for c in (
            "base",
            "current",
            "change",
            "share",
            "base_share",
            "surprise",
            "base_rate",
            "current_rate",
            "base_weight",
            "current_weight",
            "rate_effect",
            "mix_effect",
            "interaction",
            "z",
            "base_visits",
            "current_visits",
        )
    ]  # fmt: skip
)
_DIMENSIONS = pa.schema(
    [("dimension", pa.string()), ("top_value", pa.string())]
    + [
        (c, _FLOAT)
        for c in ("top_share", "top_surprise", "top_z", "score", "concentration", "unexplained")
    ]
    + [("values", pa.int64())]
)


def contribution(p: Contribution) -> dict[str, Any]:
    return {
        "value": p.value, "base": p.base, "current": p.current, "change": p.change,
        "share": p.share, "base_share": p.base_share, "surprise": p.surprise,
        "base_rate": p.base_rate, "current_rate": p.current_rate,
        "base_weight": p.base_weight, "current_weight": p.current_weight,
        "rate_effect": p.rate_effect, "mix_effect": p.mix_effect, "interaction": p.interaction,
        "z": p.z,
    }  # fmt: skip
