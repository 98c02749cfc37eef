"""Steps: what a funnel step, a path anchor or a retention event is, and the rows that match one.

A step is one of an event name, a page glob, a screen name or a goal of the catalog, with optional
conditions. Written as text it reads ``"goal:purchase"``, ``"page:/checkout/*"``,
``"event:Order Completed"``, ``"screen:Home"``; bare text is a goal when the catalog knows the
word (``"purchase"``, ``"checkouts"``), else an event name. Steps the events table can answer
compile to a condition on the population's events, so they carry every event column (device,
UTM, properties) for breakdowns; goals on other tables (won deals) come from the semantic layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
from pydantic import field_validator, model_validator

from wayfinder.analyses.spec import Filter, SpecPart
from wayfinder.errors import ConfigError, UnknownName
from wayfinder.semantic.conditions import glob_to_regex
from wayfinder.semantic.definitions import EventGoal, PageGoal

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.semantic.catalog import Catalog

_KINDS = ("event", "page", "screen", "goal")
#: Every field that names what the step is; ``named`` is bare text, resolved against the catalog.
_WHAT = (*_KINDS, "named")


class Step(SpecPart):
    """One thing a person does: exactly one of ``event``, ``page``, ``screen`` or ``goal``."""

    event: str | None = None
    #: A path glob (``/p/*``) or a list of them.
    page: str | tuple[str, ...] | None = None
    screen: str | None = None
    goal: str | None = None
    #: Bare text: the goal the catalog knows by this word, else an event of this name.
    named: str | None = None
    #: Extra conditions on the event row (``properties.step = 'payment'``).
    where: tuple[Filter, ...] = ()
    #: How the step is named in results; by default its event, page, screen or goal.
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        kind, sep, rest = data.partition(":")
        if sep and kind.strip().lower() in _KINDS and rest.strip():
            return {kind.strip().lower(): rest.strip()}
        return {"named": data.strip()}

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | dict) else value

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        given = [k for k in _WHAT if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a step is exactly one of event, page, screen or goal")
        if self.page is not None:
            for glob in (self.page,) if isinstance(self.page, str) else self.page:
                glob_to_regex(glob)
        for f in self.where:
            if f.on != "event":
                raise ValueError("a step's conditions are on the event row")
        return self

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.page is not None:
            return self.page if isinstance(self.page, str) else " or ".join(self.page)
        return str(self.event or self.screen or self.goal or self.named)

    def __str__(self) -> str:
        kind = next(k for k in _WHAT if getattr(self, k) is not None)
        text = f"{self.label!r}" if self.label else f"{kind} {self.name!r}"
        if self.where:
            text += " where " + " and ".join(map(str, self.where))
        return text

    def resolved(self, catalog: Catalog) -> Step:
        """The step with goal words looked up: ``goal`` becomes the catalog's goal name (synonyms
        accepted, unknown is an error); bare text becomes that goal, else an event of its name.
        """
        if self.goal is not None:
            found = catalog.resolve(self.goal, kind="goal")
            if found is None:
                raise UnknownName(
                    "unknown goal", value=self.goal, hint="`wayfinder catalog` lists them"
                )
            return self.model_copy(update={"goal": found[1]})
        if self.named is not None:
            found = catalog.resolve(self.named, kind="goal")
            update = {"goal": found[1]} if found else {"event": self.named}
            return self.model_copy(update={"named": None, **update})
        return self


def as_step(value: Step | str | dict, catalog: Catalog) -> Step:
    """A step from what a spec holds, goal words resolved against the catalog."""
    step = value if isinstance(value, Step) else Step.model_validate(value)
    return step.resolved(catalog)


def event_condition(step: Step, events: ir.Table, catalog: Catalog) -> ir.BooleanValue | None:
    """The condition an events row meets when it is ``step``; None for goals on other tables."""
    step = step.resolved(catalog)
    if step.event is not None:
        cond = events.event == step.event
    elif step.screen is not None:
        cond = (events.type == "screen") & (events.name == step.screen)
    elif step.page is not None:
        globs = (step.page,) if isinstance(step.page, str) else step.page
        regex = "|".join(glob_to_regex(g) for g in globs)
        cond = (events.type == "page") & events.path.re_search(regex)
    else:
        goal = catalog.goal(step.goal or "")
        d = goal.definition.definition
        if isinstance(d, EventGoal):
            cond = events.event == d.event
            if d.type is not None:
                cond &= events.type == d.type
        elif isinstance(d, PageGoal):
            cond = (events.type == "page") & events.path.re_search(d.regex)
        else:
            return None
        for c in d.where:
            cond &= c.compile(events)
    for f in step.where:
        cond &= f.compile(events)
    return cond.fill_null(False)


def step_rows(pop: Population, step: Step, *, in_range: bool = True) -> ir.Table:
    """Each time an allowed person did ``step``: ``person_id``, ``timestamp`` and, for steps on
    events, every event column; goals on other tables carry ``person_id`` and ``timestamp`` only.
    """
    catalog = pop.ws.catalog
    step = step.resolved(catalog)
    events = pop.events(in_range=in_range)
    cond = event_condition(step, events, catalog)
    if cond is not None:
        return events.filter(cond)
    if step.where:
        raise ConfigError(
            "conditions on a goal from a table other than events are set in the goal itself",
            value=step.name,
        )
    occurrences = catalog.goal(step.goal or "").occurrences(pop.ws)
    rows = occurrences.select("person_id", "timestamp")
    if in_range:
        rows = pop.in_range(rows, rows.timestamp)
    return pop.allowed(rows)


def person_key(t: ir.Table) -> ir.StringValue:
    """The person column every runner groups by (kept in one place for the per-session variant)."""
    return t.person_id


__all__ = ["Step", "as_step", "event_condition", "person_key", "step_rows"]
