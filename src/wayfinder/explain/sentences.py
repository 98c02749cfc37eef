"""Drivers in words: one sentence per driver with its evidence, labelled as an association, with an
experiment that would test it as a cause and the selector of the people behind it.
"""

from __future__ import annotations

import math
from typing import Any

from wayfinder.analyses.reasons import Reason

#: How the other features a driver was controlled for are named, by kind.
_CONTROL_WORDS = {
    "event": "other actions",
    "page": "other pages",
    "content": "content read",
    "frequency": "how often they came back",
    "channel": "channel",
    "campaign": "campaign",
    "property": "device and country",
    "account": "account properties",
    "interaction": "sales and marketing touches",
    "usage": "product usage",
}


def driver_reason(
    row: dict[str, Any],
    *,
    share: float,
    controls: list[str],
    absorbed_by: str | None,
    outcome_words: tuple[str, str],
    population_word: str,
) -> Reason:
    """The reason for one row of the drivers table (``controls``: kinds of the features it was
    controlled for; ``absorbed_by``: label of the driver that explains it away, if any)."""
    past, base = outcome_words
    subject = (
        "People who" if population_word == "people" else f"{population_word.capitalize()} that"
    )
    sentence = (
        f"{subject} {row['label']} {past} {_how_often(row['lift'])} "
        f"({_interval(row)}; {_percent(share)} of {population_word})"
    )
    held = row.get("holds_when_controlled")
    kinds = _control_phrase(controls)
    if held is True and kinds:
        sentence += f"; this holds after controlling for {kinds}"
    elif held is False:
        sentence += (
            f"; it does not hold once '{absorbed_by}' is controlled for"
            if absorbed_by
            else f"; it does not hold after controlling for {kinds or 'the other drivers'}"
        )
    sentence += " (an association, not proof of cause)."
    evidence = {
        k: _plain(row.get(k))
        for k in (
            "a", "b", "c", "d", "support", "rate_with", "rate_without", "lift", "lift_low",
            "lift_high", "odds_ratio", "odds_ratio_low", "odds_ratio_high", "phi", "p_value",
            "test", "q_value", "adjusted_odds_ratio", "holds_when_controlled",
        )
    }  # fmt: skip
    evidence["share"] = share
    return Reason(
        sentence=sentence,
        claim="association",
        evidence=evidence,
        people={"feature": row["feature"]},
        experiment=experiment(row["feature"], row["kind"], base, population_word),
    )


def experiment(feature: str, kind: str, base: str, population_word: str) -> str:
    """A randomised test that would tell whether the driver is a cause."""
    thing = feature.split(":", 1)[1] if ":" in feature else feature
    if kind == "frequency":
        thing = thing.rpartition(" x")[0] or thing  # the repeated thing, without its ladder
    half = f"a random half of {population_word}"
    if kind in ("page", "content"):
        return f"test it: show a link to {thing} to {half} and compare how many {base}"
    if kind in ("event", "frequency", "usage"):
        return f"test it: prompt {half} to do {thing} and compare how many {base}"
    if kind in ("channel", "campaign"):
        return (
            f"test it: hold out {thing} for a random half of the audience (or of the regions) "
            f"and compare how many {base}"
        )
    if kind == "interaction":
        return f"test it: offer {thing.replace('_', ' ')} to {half} and compare how many {base}"
    return (
        f"this cannot be assigned at random: compare {population_word} alike in channel and "
        f"device, or target {thing} in a test campaign with a holdout, and compare how many {base}"
    )


def _how_often(lift: float | None) -> str:
    if lift is None or not math.isfinite(lift):
        return "more often" if lift == math.inf else "as often"
    if lift >= 1:
        return f"{lift:.1f}x as often"
    return f"{(1 - lift):.0%} less often"


def _interval(row: dict[str, Any]) -> str:
    low, high = row.get("lift_low"), row.get("lift_high")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return f"odds ratio {row['odds_ratio']:.1f}"
    if row["lift"] is not None and row["lift"] < 1:
        return f"95% CI {1 - high:.0%}-{1 - low:.0%} less"
    return f"95% CI {low:.1f}-{high:.1f}"


def _percent(share: float) -> str:
    if not math.isfinite(share):
        return "?"
    return f"{share:.0%}" if share >= 0.01 else f"{share:.1%}"


def _control_phrase(kinds: list[str]) -> str:
    words = []
    for k in kinds:
        w = _CONTROL_WORDS.get(k, k)
        if w not in words:
            words.append(w)
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else value
    return value


__all__ = ["driver_reason", "experiment"]
