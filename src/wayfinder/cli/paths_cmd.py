"""``wayfinder paths``: the top paths to a goal or from a start, and the Sankey, with flags that
mirror the paths spec. ``register(app)`` adds the command to the ``wayfinder`` Typer app.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wayfinder.cli.analyses_cmd import (
    AsJson,
    Last,
    Since,
    Timezone,
    Until,
    Where,
    run_and_show,
    scope,
)


def register(app: typer.Typer) -> None:
    """Add the ``paths`` command to ``app``."""
    app.command("paths")(paths)


def paths(
    goal: Annotated[
        str | None,
        typer.Option(
            "--goal",
            help="Paths TO this step: a goal (purchase), page:/checkout/*, event:Name, "
            "screen:Name.",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="Paths FROM this step (same forms as --goal)."),
    ] = None,
    items: Annotated[
        str, typer.Option("--items", help="What a path is made of: page, screen or event.")
    ] = "page",
    per: Annotated[
        str,
        typer.Option(
            "--per", help="Count each person's journey, or each session (30-minute visits)."
        ),
    ] = "person",
    steps: Annotated[
        int, typer.Option("--steps", help="At most this many items per path; the rest is '…'.")
    ] = 8,
    top: Annotated[int, typer.Option("--top", help="How many paths to list before 'Other'.")] = 10,
    clean: Annotated[
        list[str] | None,
        typer.Option(
            "--clean",
            help="Regex replacement on items, repeatable: '/p/[0-9]+ => /p/:id' "
            "(an empty replacement drops the item).",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="Glob whose items become one, repeatable: '/p/*'."),
    ] = None,
    min_edge_weight: Annotated[
        int, typer.Option("--min-edge-weight", help="Sankey: leave out lighter edges.")
    ] = 1,
    max_edges: Annotated[
        int, typer.Option("--max-edges", help="Sankey: at most this many edges.")
    ] = 50,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """Top paths to a goal or from a start (people or sessions counted), with the Sankey."""
    spec: dict[str, Any] = {
        "kind": "paths",
        "items": items,
        "per": per,
        "steps": steps,
        "top": top,
        "min_edge_weight": min_edge_weight,
        "max_edges": max_edges,
    }
    if goal:
        spec["goal"] = goal
    if start:
        spec["start"] = start
    if clean:
        spec["clean"] = list(clean)
    if group:
        spec["groups"] = list(group)
    spec.update(scope(since, until, last, where, tz))
    run_and_show(spec, as_json)
