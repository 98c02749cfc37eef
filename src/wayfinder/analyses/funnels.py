"""The funnel analysis: its spec (steps, order, window, gaps, exclusions, breakdown) and runner.

Who reached which step is built in ``funnel_steps``; the tables, chart and answer in
``funnel_views``. Semantics, edge cases and examples: docs/analyses/funnels.md.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import Breakdown, SpecBase
from wayfinder.analyses.steps import Step, as_step, event_condition
from wayfinder.errors import ConfigError
from wayfinder.semantic.conditions import check_column
from wayfinder.store.schema import EVENTS

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace

Order = Literal["ordered", "strict", "any"]
Attribution = Literal["first_touch", "last_touch", "step"]

_DURATION = re.compile(r"^\s*(?P<n>[0-9]+)\s*(?P<unit>[a-z]+)\s*$", re.IGNORECASE)
_UNITS = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "m", "min": "m", "minute": "m", "minutes": "m",
    "h": "h", "hour": "h", "hours": "h",
    "d": "d", "day": "d", "days": "d",
    "w": "w", "week": "w", "weeks": "w",
}  # fmt: skip
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def parse_duration(text: str) -> str:
    """A duration in its short form; ``m`` is minutes here (``last`` ranges use it for months).

    >>> parse_duration("7d"), parse_duration("2 hours"), parse_duration("30m")
    ('7d', '2h', '30m')
    """
    m = _DURATION.match(text)
    unit = _UNITS.get(m["unit"].lower()) if m else None
    if m is None or unit is None:
        raise ValueError(f"write a duration as a number and a unit (30m, 2h, 7d, 2w), not {text!r}")
    return f"{int(m['n'])}{unit}"


def seconds(duration: str) -> int:
    """A short-form duration in seconds.

    >>> seconds("2h")
    7200
    """
    return int(duration[:-1]) * _SECONDS[duration[-1]]


def in_words(duration: str) -> str:
    """A short-form duration in words.

    >>> in_words("14d"), in_words("1h")
    ('14 days', '1 hour')
    """
    n, unit = int(duration[:-1]), _WORDS[duration[-1]]
    return f"{n} {unit}{'' if n == 1 else 's'}"


class FunnelStep(Step):
    """A funnel step: a Step, plus optional bounds on the time since the previous step."""

    #: The step counts only this long or longer after the previous step ("1h").
    min_gap: str | None = None
    #: ... and only this long or shorter after it ("2d").
    max_gap: str | None = None

    @field_validator("min_gap", "max_gap")
    @classmethod
    def _gap(cls, value: str | None) -> str | None:
        return parse_duration(value) if value is not None else None

    @model_validator(mode="after")
    def _gaps_fit(self) -> FunnelStep:
        if self.min_gap and self.max_gap and seconds(self.min_gap) > seconds(self.max_gap):
            raise ValueError("min_gap is longer than max_gap")
        return self

    @property
    def has_gap(self) -> bool:
        return bool(self.min_gap and seconds(self.min_gap)) or self.max_gap is not None


class FunnelSpec(SpecBase):
    """People moving through 2 to 20 steps: how many reach each, how fast, and who drops.

    ``wf.funnel(["page:/cart", "checkout", "purchase"], window="7d", breakdown="device_type")``
    """

    kind: Literal["funnel"] = "funnel"
    steps: tuple[FunnelStep, ...] = Field(min_length=2, max_length=20)
    #: ordered: steps in order, other events may come between; strict: each step the very next
    #: event (page, screen or track call) after the previous; any: all steps, in any order.
    order: Order = "ordered"
    #: How long a person has to finish, counted from the attempt's first step ("7d", "2h").
    window: str = "14d"
    #: An event matching one of these between an attempt's first step and a later step means
    #: that attempt does not reach the later step.
    exclusions: tuple[Step, ...] = ()
    breakdown: Breakdown | None = None
    #: Which event's value of an event-property breakdown a person gets (see the docs).
    attribution: Attribution = "first_touch"
    #: The step (1-based) whose event gives the value when ``attribution="step"``.
    attribution_step: int | None = Field(None, ge=1, le=20)
    #: How many events after the step to show in the dropped-paths table; 0 turns it off.
    dropped_paths: int = Field(3, ge=0, le=5)
    #: Attach the why: with a breakdown, the group that lags most at a step; without, the
    #: drivers of going on at the biggest drop (device, operating system, country, first
    #: channel of the people who reached the step before it).
    why: bool = True

    @field_validator("steps", "exclusions", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | dict | Step) else value

    @field_validator("steps", mode="before")
    @classmethod
    def _funnel_steps(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(
                FunnelStep.model_validate(v.model_dump(exclude_defaults=True))
                if isinstance(v, Step) and not isinstance(v, FunnelStep)
                else v
                for v in value
            )
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        if seconds(parse_duration(value)) == 0:
            raise ValueError("the window must be longer than 0")
        return parse_duration(value)

    @model_validator(mode="after")
    def _consistent(self) -> FunnelSpec:
        if self.steps[0].min_gap or self.steps[0].max_gap:
            raise ValueError("the first step has no previous step: gaps start at step 2")
        if self.order == "any" and any(s.min_gap or s.max_gap for s in self.steps):
            raise ValueError("gaps between steps need an order: use ordered or strict")
        if (self.attribution == "step") != (self.attribution_step is not None):
            raise ValueError('attribution_step goes with attribution="step", and only with it')
        if self.attribution_step is not None and self.attribution_step > len(self.steps):
            raise ValueError(f"attribution_step is past the last step ({len(self.steps)})")
        return self

    @property
    def window_seconds(self) -> int:
        return seconds(self.window)

    @property
    def window_delta(self) -> timedelta:
        return timedelta(seconds=self.window_seconds)

    def step_names(self) -> list[str]:
        """Each step's name; steps sharing a name are told apart by their conditions."""
        names = [s.name for s in self.steps]
        return [
            f"{s.name} ({' and '.join(map(str, s.where))})"
            if names.count(s.name) > 1 and s.where and not s.label
            else s.name
            for s in self.steps
        ]

    def describe(self) -> str:
        text = f"{self.order} funnel " + " > ".join(self.step_names())
        text += f", within {in_words(self.window)} of the first step"
        gaps = [
            f"step {i} {g}"
            for i, s in enumerate(self.steps, 1)
            for g in (
                f"at least {in_words(s.min_gap)} after the previous" if s.min_gap else "",
                f"at most {in_words(s.max_gap)} after the previous" if s.max_gap else "",
            )
            if g
        ]
        if gaps:
            text += " (" + ", ".join(gaps) + ")"
        if self.exclusions:
            text += ", attempts broken by " + " or ".join(map(str, self.exclusions))
        text += "; attempts starting in " + self.describe_scope()
        if self.breakdown is not None:
            text += f"; by {self.breakdown}"
            if self.breakdown.on == "event":
                text += (
                    f" at step {self.attribution_step}"
                    if self.attribution == "step"
                    else f" ({self.attribution.replace('_', ' ')})"
                )
        return text


class FunnelRunner(Runner):
    kind = "funnel"
    spec_type = FunnelSpec

    def validate(self, spec: FunnelSpec, ws: Workspace) -> FunnelSpec:
        """Goal words resolved; step conditions and the breakdown checked against the schema."""
        catalog = ws.catalog
        steps = tuple(as_step(s, catalog) for s in spec.steps)
        exclusions = tuple(as_step(s, catalog) for s in spec.exclusions)
        events = ws.table(EVENTS.name)
        for step in (*steps, *exclusions):
            for f in step.where:
                problem = check_column(EVENTS, f.property)
                if problem:
                    raise ConfigError(
                        "cannot read a step's condition", value=str(step), hint=problem
                    )
            if spec.order == "strict" and event_condition(step, events, catalog) is None:
                raise ConfigError(
                    "a strict funnel's steps must be events (page, screen or track calls)",
                    value=str(step),
                    hint="use order='ordered' for goals kept in other tables",
                )
        if spec.breakdown is not None:
            check_breakdown(spec.breakdown)
        return spec.model_copy(update={"steps": steps, "exclusions": exclusions})

    def compute(self, spec: FunnelSpec, pop: Population) -> Output:
        from wayfinder.analyses.funnel_views import funnel_output

        return funnel_output(spec, pop)


def check_breakdown(breakdown: Breakdown) -> None:
    """Fail before running when the breakdown names a column its scope does not have."""
    from wayfinder.store.schema import ACCOUNTS, PROFILES

    table = {"event": EVENTS, "person": PROFILES, "account": ACCOUNTS}[breakdown.on]
    problem = check_column(table, breakdown.property)
    if problem:
        raise ConfigError(
            f"cannot break down by {breakdown.on} property", value=breakdown.property, hint=problem
        )


__all__ = ["FunnelRunner", "FunnelSpec", "FunnelStep", "parse_duration"]
