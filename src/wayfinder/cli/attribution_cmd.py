"""``wayfinder attribution``: credit for a goal's conversions by channel, campaign, content or rep,
every model side by side. Its flags mirror ``AttributionSpec``.
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
    """Add ``attribution`` to ``app``."""
    app.command("attribution")(attribution)


def attribution(
    goal: Annotated[
        str,
        typer.Argument(help="The conversion: a goal (purchase, closed_deal, deal_created)."),
    ] = "purchase",
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            "-b",
            help="Touchpoint column credit goes to: channel, source_name, campaign, "
            "content_title, author, owner, touch_type, device_type (repeat to combine).",
        ),
    ] = None,
    lookback: Annotated[
        str, typer.Option("--lookback", help="How far before a conversion touches count.")
    ] = "30d",
    level: Annotated[
        str | None,
        typer.Option("--level", help="person or account (default: account for deal goals)."),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="Models to run (repeat): first_touch, last_touch, last_non_direct, linear, "
            "linear_distinct, time_decay, position_based, markov, shapley, shapley_simplified; "
            "all by default.",
        ),
    ] = None,
    orders: Annotated[
        list[int] | None, typer.Option("--order", help="Markov orders (repeat): 1, 2, 3.")
    ] = None,
    headline: Annotated[
        str | None,
        typer.Option("--headline", help="The model the answer calls data-driven (markov_1)."),
    ] = None,
    half_life: Annotated[
        str, typer.Option("--half-life", help="Time decay: a touch this old counts half.")
    ] = "7d",
    top: Annotated[
        int | None, typer.Option("--top", help="Values kept; the rest become Other.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Resamples for the intervals (0: none).")
    ] = 100,
    touch_types: Annotated[
        list[str] | None,
        typer.Option("--touch-type", help="Only these touch types (repeat): session, call ..."),
    ] = None,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """Which channels, campaigns, content or reps earn a goal's conversions and value:
    ``wayfinder attribution purchase --by channel --lookback 30d --last 3m``."""
    spec: dict[str, Any] = {
        "kind": "attribution",
        "goal": goal,
        "lookback": lookback,
        "half_life": half_life,
        "bootstrap": bootstrap,
    }
    for key, value in (
        ("by", by),
        ("headline", headline),
        ("level", level),
        ("models", models),
        ("orders", orders),
        ("top", top),
        ("touch_types", touch_types),
    ):
        if value:
            spec[key] = value
    run_and_show(spec | scope(since, until, last, where, tz), as_json)
