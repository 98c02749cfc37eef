"""``wayfinder trend``: a measure per hour, day, week or month, with a breakdown and a comparison.
Its flags mirror ``TrendSpec``; ``register(app)`` adds the command to the ``wayfinder`` app.
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
from wayfinder.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add ``trend`` to ``app``."""
    app.command("trend")(trend)


def trend(
    event: Annotated[
        str | None,
        typer.Argument(
            help="What is counted: a goal (purchase), event:NAME, page:/GLOB or screen:NAME; "
            "every event when left out.",
            show_default=False,
        ),
    ] = None,
    measure: Annotated[
        str,
        typer.Option("--measure", "-m", help="count, unique_people, sum or average."),
    ] = "count",
    prop: Annotated[
        str | None,
        typer.Option(
            "--property",
            "-p",
            help="What sum or average reads: revenue, properties.price (default: goal value).",
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option("--metric", help="A metric of the catalog instead: revenue, conversion_rate."),
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", "-i", help="hour, day, week (ISO, from Monday) or month.")
    ] = "week",
    breakdown: Annotated[
        str | None,
        typer.Option(
            "--breakdown",
            "-b",
            help='Split by a property: device_type, session_channel, "person: account_id".',
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="Breakdown values kept; the rest are Other.")
    ] = 10,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="previous_period, or a period START..END (dates, both included).",
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """How often something happened, or how many people did it, per period:
    ``wayfinder trend purchase --measure unique_people --last 8w --compare previous_period``."""
    spec: dict[str, Any] = {"kind": "trend", "interval": interval}
    if metric is not None:
        spec["metric"] = metric
    if event is not None:
        spec["event"] = event
    if measure != "count":
        spec["measure"] = measure
    if prop is not None:
        spec["property"] = prop
    if breakdown is not None:
        spec["breakdown"] = {"property": breakdown, "top": top} | _scoped(breakdown)
    if compare is not None:
        spec["compare"] = compare_arg(compare)
    run_and_show(spec | scope(since, until, last, where, tz), as_json)


def _scoped(text: str) -> dict[str, str]:
    """``"person: account_id"`` -> on and property, as the spec's text form reads it."""
    scope_name, sep, rest = text.partition(":")
    if sep and scope_name.strip() in ("event", "person", "account"):
        return {"on": scope_name.strip(), "property": rest.strip()}
    return {}


def compare_arg(text: str) -> str | dict[str, str]:
    """``previous_period`` (or ``previous``), or ``START..END``.

    >>> compare_arg("previous"), compare_arg("2026-01-01..2026-01-31")
    ('previous_period', {'start': '2026-01-01', 'end': '2026-01-31'})
    """
    if text.strip().lower() in ("previous", "previous_period"):
        return "previous_period"
    start, sep, end = text.partition("..")
    if not (sep and start.strip() and end.strip()):
        raise ConfigError("cannot read --compare", value=text, hint="previous_period or START..END")
    return {"start": start.strip(), "end": end.strip()}
