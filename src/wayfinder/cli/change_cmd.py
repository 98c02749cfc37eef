"""``wayfinder why-changed``: why a metric moved between a period and the periods before it, split
by dimensions. Its flags mirror ``MetricChangeSpec``; ``register(app)`` adds the command.
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
from wayfinder.cli.trend_cmd import compare_arg


def register(app: typer.Typer) -> None:
    """Add ``why-changed`` to ``app``."""
    app.command("why-changed")(why_changed)


def why_changed(
    metric: Annotated[
        str,
        typer.Argument(help="A catalog metric (orders, revenue, conversion_rate, aov) or a goal."),
    ],
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            "-b",
            help="A dimension (repeat): channel, campaign, device, country, new_vs_returning, "
            'properties.KEY, "person: country", "account: industry". Default: the first five.',
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="previous_periods (default: the average of --periods-before), previous_period, "
            "or START..END (scaled to the period's length).",
        ),
    ] = None,
    periods_before: Annotated[
        int, typer.Option("--periods-before", help="How many periods previous_periods averages.")
    ] = 4,
    top: Annotated[int, typer.Option("--top", help="Values kept per dimension.")] = 10,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """Why a metric changed: ``wayfinder why-changed orders --last 7d --by channel --by device``
    (default: the last 7 days vs the weekly average of the 4 weeks before)."""
    spec: dict[str, Any] = {"kind": "metric_change", "metric": metric, "top": top}
    if by:
        spec["dimensions"] = list(by)
    if compare is not None:
        text = compare.strip().lower()
        spec["compare"] = "previous_periods" if text == "previous_periods" else compare_arg(compare)
    if periods_before != 4:
        spec["periods_before"] = periods_before
    run_and_show(spec | scope(since, until, last, where, tz), as_json)
