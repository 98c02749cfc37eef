"""``wayfinder funnel STEP STEP ...``: conversion through ordered, strict or any-order steps.
Its flags mirror ``FunnelSpec``; ``register(app)`` adds the command to the ``wayfinder`` app.
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
    """Add ``funnel`` to ``app``."""
    app.command("funnel")(funnel)


def funnel(
    steps: Annotated[
        list[str],
        typer.Argument(
            help="2 to 20 steps: a goal (purchase), event:NAME, page:/GLOB or screen:NAME, "
            "optionally followed by `where CONDITION [and CONDITION]` "
            "(\"event:Checkout Step Completed where properties.step = 'payment'\").",
            show_default=False,
        ),
    ],
    order: Annotated[
        str,
        typer.Option(
            "--order", "-o", help="ordered (others may come between), strict (next event) or any."
        ),
    ] = "ordered",
    window: Annotated[
        str, typer.Option("--window", help="Time to finish, from the first step: 30m, 2h, 7d, 2w.")
    ] = "14d",
    min_gap: Annotated[
        list[str] | None,
        typer.Option(
            "--min-gap",
            help="STEP=DURATION: step STEP at least this long after the "
            "previous one (repeatable: --min-gap 3=1m).",
        ),
    ] = None,
    max_gap: Annotated[
        list[str] | None,
        typer.Option(
            "--max-gap",
            help="STEP=DURATION: step STEP at most this long after the "
            "previous one (repeatable: --max-gap 2=1h).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            "-x",
            help="An event that ends an attempt when it comes between "
            "its first step and a later one (repeatable).",
        ),
    ] = None,
    breakdown: Annotated[
        str | None,
        typer.Option(
            "--breakdown",
            "-b",
            help='Split by a property: device_type, utm_source, "person: account_id".',
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="Breakdown values kept; the rest are Other.")
    ] = 10,
    attribution: Annotated[
        str,
        typer.Option(
            "--attribution",
            help="Which event gives an event breakdown's value: first_touch, last_touch "
            "or a step number (2).",
        ),
    ] = "first_touch",
    dropped_paths: Annotated[
        int, typer.Option("--dropped-paths", help="Events shown after a drop (0 to 5; 0 is off).")
    ] = 3,
    since: Since = None,
    until: Until = None,
    last: Last = None,
    where: Where = None,
    tz: Timezone = "UTC",
    as_json: AsJson = False,
) -> None:
    """How many people go through the steps, how fast, and what those who drop do instead."""
    parsed = [step_from_text(s) for s in steps]
    for option, gaps in (("min_gap", min_gap), ("max_gap", max_gap)):
        for number, duration in (_gap(option, text, len(parsed)) for text in gaps or []):
            parsed[number - 1][option] = duration
    spec: dict[str, Any] = {
        "kind": "funnel",
        "steps": parsed,
        "order": order,
        "window": window,
        "exclusions": [step_from_text(s) for s in exclude or []],
        "dropped_paths": dropped_paths,
    }
    if breakdown:
        spec["breakdown"] = {"top": top} | _breakdown(breakdown)
        if attribution.isdigit():
            spec["attribution"], spec["attribution_step"] = "step", int(attribution)
        else:
            spec["attribution"] = attribution
    spec.update(scope(since, until, last, where, tz))
    run_and_show(spec, as_json)


def step_from_text(text: str) -> dict[str, Any]:
    """A step dict from ``KIND:WHAT [where COND [and COND]]``.

    >>> step_from_text("event:Checkout Step Completed where properties.step = 'payment'")
    {'event': 'Checkout Step Completed', 'where': ["properties.step = 'payment'"]}
    >>> step_from_text("purchase")
    {'named': 'purchase'}
    """
    from wayfinder.analyses.steps import Step

    head, _, conditions = text.partition(" where ")
    data = Step.model_validate(head.strip()).model_dump(exclude_defaults=True)
    if conditions.strip():
        data["where"] = [c.strip() for c in conditions.split(" and ") if c.strip()]
    return data


def _breakdown(text: str) -> dict[str, Any]:
    from wayfinder.analyses.spec import Breakdown

    return Breakdown.model_validate(text).model_dump(exclude={"top"})


def _gap(option: str, text: str, steps: int) -> tuple[int, str]:
    number, sep, duration = text.partition("=")
    flag = "--" + option.replace("_", "-")
    if not sep or not number.strip().isdigit() or not 2 <= int(number) <= steps:
        raise ConfigError(
            f"write {flag} as STEP=DURATION", value=text, hint=f"STEP is 2 to {steps}: {flag} 2=1h"
        )
    return int(number), duration.strip()
