"""``wayfinder drivers``: what sets converters (``drivers conversion``) or churned accounts
(``drivers churn``) apart, with evidence. Flags mirror ``ConversionDriversSpec`` and
``ChurnDriversSpec``.
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

MinSupport = Annotated[
    int, typer.Option("--min-support", help="Features fewer units have are not tested.")
]
Fdr = Annotated[float, typer.Option("--fdr", help="False discovery rate of a driver.")]
NoModel = Annotated[
    bool, typer.Option("--no-multivariate", help="Skip the check of the drivers together.")
]


def register(app: typer.Typer) -> None:
    """Add ``drivers conversion`` and ``drivers churn`` to ``app``."""
    group = typer.Typer(help="Drivers: what sets converters or churned customers apart.")
    group.command("conversion")(conversion)
    group.command("churn")(churn)
    app.add_typer(group, name="drivers")


def conversion(
    goal: Annotated[
        str, typer.Argument(help="The goal or step: purchase, signup, page:/checkout/done.")
    ] = "purchase",
    entry: Annotated[
        str | None,
        typer.Option("--entry", help="Who enters and when (a step); default: first event."),
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="How long after entry a conversion counts.")
    ] = "30d",
    level: Annotated[str, typer.Option("--level", help="person or account.")] = "person",
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Candidate features (repeat): event, page, content, frequency, channel, "
            "campaign, property, account, interaction; all by default.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help='Feature keys to leave out, as globs ("page:/cart*").'),
    ] = None,
    max_frequency: Annotated[
        int, typer.Option("--max-frequency", help="Largest N of 'at least N times' (2-10).")
    ] = 10,
    frequency_days: Annotated[
        int, typer.Option("--frequency-days", help="Largest D of 'within D days' (1-14).")
    ] = 14,
    min_support: MinSupport = 30,
    fdr: Fdr = 0.05,
    no_multivariate: NoModel = False,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """What sets the people who reached a goal apart:
    ``wayfinder drivers conversion purchase --window 30d --last 6m``."""
    spec: dict[str, Any] = {
        "kind": "conversion_drivers",
        "goal": goal,
        "window": window,
        "level": level,
        "max_frequency": max_frequency,
        "frequency_days": frequency_days,
        "min_support": min_support,
        "fdr": fdr,
        "multivariate": not no_multivariate,
    }
    for key, value in (("entry", entry), ("kinds", kinds), ("exclude", exclude)):
        if value:
            spec[key] = value
    run_and_show(spec | scope(since, until, last, where, tz), as_json)


def churn(
    level: Annotated[
        str | None, typer.Option("--level", help="account or person (default: account).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="subscriptions or inactivity (default: what exists)."),
    ] = None,
    inactive_days: Annotated[
        int, typer.Option("--inactive-days", help="Inactivity that counts as churn.")
    ] = 60,
    min_support: MinSupport = 30,
    fdr: Fdr = 0.05,
    no_multivariate: NoModel = False,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """What sets churned accounts (or people) apart from retained ones:
    ``wayfinder drivers churn --source subscriptions``."""
    spec: dict[str, Any] = {
        "kind": "churn_drivers",
        "inactive_days": inactive_days,
        "min_support": min_support,
        "fdr": fdr,
        "multivariate": not no_multivariate,
    }
    for key, value in (("level", level), ("source", source)):
        if value:
            spec[key] = value
    run_and_show(spec | scope(since, until, last, where, tz), as_json)
