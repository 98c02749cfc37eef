"""The Sankey view of paths: (position, item) nodes with the journeys through and ending at each,
and edges pruned to a limit so that every edge shown is reachable from position 1."""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from wayfinder.analyses.path_items import item_column

if TYPE_CHECKING:
    from wayfinder.engines.base import Engine

#: How many of the heaviest edges the engine returns for the Sankey to be grown from.
CANDIDATES = 20_000


def _steps(paths: ir.Table, width: int) -> ir.Table:
    """One row per (distinct path, position): ``n``, ``position``, ``item``, ``next`` (null at the
    path's end). One unnest rather than a union per position: a single aggregation follows."""
    steps = ibis.array(
        [
            ibis.struct(
                {
                    "position": ibis.literal(j, "int64"),
                    "item": paths[item_column(j)],
                    "next": paths[item_column(j + 1)] if j < width else ibis.null("string"),
                }
            )
            for j in range(1, width + 1)
        ]
    )
    t = paths.select(n=paths.n, _step=steps.unnest())
    t = t.select(n=t.n, position=t._step.position, item=t._step.item, next=t._step.next)
    return t.filter(t.item.notnull())


def edges(
    engine: Engine, paths: ir.Table, width: int, min_weight: int, limit: int, unit: str
) -> pa.Table:
    """Up to ``limit`` edges of weight ``min_weight`` or more, grown from position 1: each step
    adds the heaviest edge leaving a node already drawn (ties: earlier position, then source and
    target text), so every edge shown is reachable from a start node.

    Candidates are the engine's ``CANDIDATES`` heaviest edges. ``position`` is the source's
    position; ``unit`` names the weight column (people, sessions).
    """
    steps = _steps(paths, width)
    steps = steps.filter(steps.next.notnull())
    union = steps.group_by(["position", "item", "next"])
    union = union.aggregate(weight=steps.n.sum())
    union = union.filter(union.weight >= min_weight)
    top = union.order_by(
        [ibis.desc("weight"), ibis.asc("position"), ibis.asc("item"), ibis.asc("next")]
    ).limit(max(CANDIDATES, limit))
    rows = [
        {"position": r["position"], "source": r["item"], "target": r["next"], "weight": r["weight"]}
        for r in engine.to_arrow(top).to_pylist()
    ]
    return _edge_table(grown(rows, limit), unit)


def grown(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Best-first from position 1: repeatedly the heaviest edge whose source is at position 1 or
    is the target of an edge already kept, until ``limit``; heaviest first.

    >>> e = [{"position": 2, "source": "b", "target": "c", "weight": 5},
    ...      {"position": 2, "source": "x", "target": "c", "weight": 4},
    ...      {"position": 1, "source": "a", "target": "b", "weight": 3},
    ...      {"position": 1, "source": "a", "target": "y", "weight": 1}]
    >>> [(r["source"], r["target"]) for r in grown(e, 2)]
    [('b', 'c'), ('a', 'b')]
    """

    def key(row: dict[str, Any]) -> tuple:
        return (-row["weight"], row["position"], row["source"], row["target"])

    leaving: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        leaving[(row["position"], row["source"])].append(row)
    # Keys are unique (one edge per position, source and target): rows are never compared.
    frontier = [(key(r), r) for r in rows if r["position"] == 1]
    heapq.heapify(frontier)
    drawn: set[tuple[int, str]] = set()
    kept: list[dict[str, Any]] = []
    while frontier and len(kept) < limit:
        _, row = heapq.heappop(frontier)
        kept.append(row)
        node = (row["position"] + 1, row["target"])
        if node not in drawn:
            drawn.add(node)
            for nxt in leaving[node]:
                heapq.heappush(frontier, (key(nxt), nxt))
    return sorted(kept, key=key)


def nodes(engine: Engine, paths: ir.Table, width: int, kept_edges: pa.Table, unit: str) -> pa.Table:
    """The kept edges' end points: journeys through each, and journeys whose path ends there."""
    wanted = sorted(
        {
            (p, s)
            for p, s in zip(
                kept_edges["position"].to_pylist(), kept_edges["source"].to_pylist(), strict=True
            )
        }
        | {
            (p + 1, t)
            for p, t in zip(
                kept_edges["position"].to_pylist(), kept_edges["target"].to_pylist(), strict=True
            )
        }
    )
    if not wanted:
        return _node_table([], unit)
    steps = _steps(paths, width)
    chosen = ibis.or_(
        *[
            (steps.position == p) & steps.item.isin(sorted(i for q, i in wanted if q == p))
            for p in sorted({p for p, _ in wanted})
        ]
    )
    steps = steps.filter(chosen)
    union = steps.group_by(["position", "item"]).aggregate(
        count=steps.n.sum(), dropoffs=steps.n.sum(where=steps.next.isnull())
    )
    union = union.order_by(["position", ibis.desc("count"), "item"])
    rows = engine.to_arrow(union).to_pylist()
    return _node_table(rows, unit)


def _edge_table(rows: list[dict[str, Any]], unit: str) -> pa.Table:
    return pa.table(
        {
            "position": pa.array([r["position"] for r in rows], pa.int64()),
            "source": pa.array([r["source"] for r in rows], pa.string()),
            "target": pa.array([r["target"] for r in rows], pa.string()),
            unit: pa.array([r["weight"] for r in rows], pa.int64()),
        }
    )


def _node_table(rows: list[dict[str, Any]], unit: str) -> pa.Table:
    return pa.table(
        {
            "position": pa.array([r["position"] for r in rows], pa.int64()),
            "item": pa.array([r["item"] for r in rows], pa.string()),
            unit: pa.array([r["count"] for r in rows], pa.int64()),
            "dropoffs": pa.array([int(r["dropoffs"] or 0) for r in rows], pa.int64()),
        }
    )


def figure(node_table: pa.Table, edge_table: pa.Table, unit: str, title: str) -> dict[str, Any]:
    """A Plotly sankey figure as plain dicts: one node per (position, item)."""
    node_rows = node_table.to_pylist()
    index = {(r["position"], r["item"]): i for i, r in enumerate(node_rows)}
    links = edge_table.to_pylist()
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "node": {
                    "label": [r["item"] for r in node_rows],
                    "customdata": [
                        f"step {r['position']}: {r[unit]:,} {unit}, {r['dropoffs']:,} end here"
                        for r in node_rows
                    ],
                    "hovertemplate": "%{label}<br>%{customdata}<extra></extra>",
                    "pad": 12,
                },
                "link": {
                    "source": [index[(r["position"], r["source"])] for r in links],
                    "target": [index[(r["position"] + 1, r["target"])] for r in links],
                    "value": [r[unit] for r in links],
                },
            }
        ],
        "layout": {"title": {"text": title}, "font": {"size": 11}},
    }


__all__ = ["CANDIDATES", "edges", "figure", "grown", "nodes"]
