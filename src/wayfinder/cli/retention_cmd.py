"""``wayfinder retention`` and ``wayfinder lifecycle``: flags that mirror RetentionSpec and
LifecycleSpec, turned into a spec and run through the shared analysis command helpers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

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

IntervalOpt = Annotated[
    Literal["day", "week", "month"],
    typer.Option("--interval", "-i", help="Period length: day, week (Monday first) or month."),
]
By = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Break down by a property: device_type, utm_source, properties.plan, "
        '"person: email", "account: industry".',
    ),
]
Top = Annotated[int, typer.Option("--top", help="With --by: keep the top values, the rest Other.")]


def register(app: typer.Typer) -> None:
    """Add ``retention`` and ``lifecycle`` to ``app``."""
    app.command("retention")(retention)
    app.command("lifecycle")(lifecycle)


def retention(
    start: Annotated[
        str,
        typer.Argument(help="What puts people in a cohort: a goal, event:NAME, page:/GLOB, ..."),
    ],
    back: Annotated[
        str | None,
        typer.Option("--back", "-b", help="What counts as coming back (default: START again)."),
    ] = None,
    cohort: Annotated[
        Literal["first_time", "recurring"],
        typer.Option(
            "--cohort",
            help="first_time: the period of a person's first-ever START; recurring: every "
            "period in which they did START.",
        ),
    ] = "first_time",
    interval: IntervalOpt = "week",
    periods: Annotated[
        int, typer.Option("--periods", "-n", help="Periods to follow after the cohort's own.")
    ] = 8,
    mode: Annotated[
        Literal["on", "on_or_after"],
        typer.Option("--mode", help="on: came back in period k; on_or_after: in k or later."),
    ] = "on",
    by: By = None,
    top: Top = 10,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """Cohort retention: of the people who did START in a period, how many came back."""
    spec: dict[str, Any] = {
        "kind": "retention",
        "start": start,
        "cohort": cohort,
        "interval": interval,
        "periods": periods,
        "mode": mode,
        **scope(since, until, last, where, tz),
    }
    if back:
        spec["back"] = back
    if by:
        spec["breakdown"] = _breakdown(by, top)
    run_and_show(spec, as_json)


def lifecycle(
    event: Annotated[
        str, typer.Argument(help="What makes people active: a goal, event:NAME, page:/GLOB, ...")
    ],
    interval: IntervalOpt = "week",
    by: By = None,
    top: Top = 10,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """New, returning, resurrecting and dormant people per period."""
    spec: dict[str, Any] = {
        "kind": "lifecycle",
        "event": event,
        "interval": interval,
        **scope(since, until, last, where, tz),
    }
    if by:
        spec["breakdown"] = _breakdown(by, top)
    run_and_show(spec, as_json)


def _breakdown(by: str, top: int) -> dict[str, Any]:
    from wayfinder.analyses.spec import Breakdown

    return Breakdown.model_validate(by).model_dump() | {"top": top}
