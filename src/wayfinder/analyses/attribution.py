"""Attribution: the spec (goal, level, dimension, lookback, models) and its runner.

Journeys are built in the engine (``attribution_journeys``); the models run on the small path
table that comes back (``wayfinder.attribution``); tables, words and chart in
``attribution_views``. Semantics and examples: docs/analyses/attribution.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from wayfinder.analyses.funnels import in_words, parse_duration, seconds
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase
from wayfinder.errors import ConfigError
from wayfinder.model.touchpoints import TOUCH_COLUMNS, TOUCHPOINTS
from wayfinder.semantic.conditions import check_column

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace

Model = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "linear_distinct",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
    "shapley_simplified",
]
#: Every model, in the order results list them.
MODELS: tuple[Model, ...] = Model.__args__  # type: ignore[attr-defined]
#: Models whose credit is learnt from converting and non-converting journeys alike.
DATA_DRIVEN = ("markov", "shapley")

#: Touch types left out unless asked for: an e-mail sent or opened is not an engagement, and a
#: click opens the visit that is already a touch; a registration precedes the attendance; a
#: support ticket is not marketing.
IGNORED_TOUCHES = (
    "email_sent",
    "email_opened",
    "email_clicked",
    "webinar_registered",
    "support_ticket",
)
#: Touchpoint columns of the content a touch carried: attributing to them keeps content views.
CONTENT_COLUMNS = ("content_id", "content_title", "author")
#: Touchpoint columns that are not dimensions.
_NOT_DIMENSIONS = ("touch_id", "person_id", "timestamp", "order_in_journey", "session_id")


class AttributionSpec(SpecBase):
    """Credit for a goal's conversions: ``{"kind": "attribution", "goal": "purchase"}``."""

    kind: Literal["attribution"] = "attribution"
    #: The conversion: a goal of the catalog (``purchase``, ``closed_deal``, ``deal_created``).
    goal: str = "purchase"
    #: Whose journeys: a person's touches, or every touch of an account's people (B2B goals).
    #: None picks ``account`` for goals on deals and subscriptions, else ``person``.
    level: Literal["person", "account"] | None = None
    #: Touchpoint columns credit goes to; several make one combined value ("facebook / spring").
    by: tuple[str, ...] = ("channel",)
    #: How far before a conversion a touch still counts.
    lookback: str = "30d"
    #: The models to run; all by default.
    models: tuple[Model, ...] = MODELS
    #: Orders of the Markov chain (each is a model of its own: ``markov_1`` ...).
    orders: tuple[int, ...] = (1, 2, 3)
    #: The model whose credit the answer calls data-driven; None: the lowest Markov order run,
    #: else Shapley, else the first model.
    headline: str | None = None
    #: Time decay: a touch this long before the conversion counts half as much.
    half_life: str = "7d"
    #: Position based: the first and the last touch's shares; the middle touches share the rest.
    position: tuple[float, float] = (0.4, 0.4)
    #: Channels that "last non-direct touch" passes over.
    direct: tuple[str, ...] = ("Direct",)
    #: Touch types to use (``session``, ``content_view``, ``call`` ...); None: all but
    #: ``IGNORED_TOUCHES``.
    touch_types: tuple[str, ...] | None = None
    #: Keep this many dimension values (by journeys touched), the rest become "Other".
    top: int | None = Field(default=None, ge=1)
    #: Exact Shapley is refused past this many dimension values (2^n coalitions).
    shapley_max_channels: int = Field(default=20, ge=1, le=24)
    #: Bootstrap resamples of journeys for the data-driven models' intervals (0: none).
    bootstrap: int = Field(default=100, ge=0, le=2000)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    seed: int = 0

    @field_validator("by", "direct", "models", "orders", "touch_types", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str | int) else value

    @field_validator("by")
    @classmethod
    def _by(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("attribute to at least one touchpoint column")
        for column in value:
            problem = check_column(TOUCHPOINTS, column)
            if problem or column in _NOT_DIMENSIONS:
                usable = [c for c in TOUCH_COLUMNS if c not in _NOT_DIMENSIONS]
                raise ValueError(f"cannot attribute to {column!r} (use one of {', '.join(usable)})")
        return value

    @field_validator("lookback", "half_life")
    @classmethod
    def _duration(cls, value: str) -> str:
        return parse_duration(value)

    @field_validator("orders")
    @classmethod
    def _orders(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(o not in (1, 2, 3) for o in value):
            raise ValueError("Markov orders are 1, 2 or 3")
        return tuple(sorted(set(value)))

    @field_validator("position")
    @classmethod
    def _position(cls, value: tuple[float, float]) -> tuple[float, float]:
        first, last = value
        if first < 0 or last < 0 or first + last > 1 or first + last == 0:
            raise ValueError("position shares are first and last, each >= 0, together in (0, 1]")
        return value

    @model_validator(mode="after")
    def _headline(self) -> AttributionSpec:
        names = self.model_names
        if self.headline is not None and self.headline not in names:
            raise ValueError(f"headline must be one of the models run: {', '.join(names)}")
        return self

    @property
    def headline_model(self) -> str:
        """The headline model: the one given, else the first data-driven one run."""
        if self.headline is not None:
            return self.headline
        names = self.model_names
        return next((n for n in names if n.startswith(("markov", "shapley"))), names[0])

    @property
    def model_names(self) -> tuple[str, ...]:
        """Every model's name as results show it; the Markov chain once per order."""
        names: list[str] = []
        for m in MODELS:
            if m in self.models:
                names += [f"markov_{o}" for o in self.orders] if m == "markov" else [m]
        return tuple(names)

    @property
    def dimension(self) -> str:
        """The column credit goes to in results: ``channel``, ``source_name/campaign``."""
        return "/".join(self.by)

    @property
    def lookback_seconds(self) -> int:
        return seconds(self.lookback)

    @property
    def half_life_hours(self) -> float:
        return seconds(self.half_life) / 3600

    def describe(self) -> str:
        level = f", {self.level}-level journeys" if self.level else ""
        return (
            f"Credit for {self.goal} conversions by {' and '.join(self.by)}, touches up to "
            f"{in_words(self.lookback)} before each conversion{level}; {self.describe_scope()}"
        )


class AttributionRunner(Runner):
    kind = "attribution"
    spec_type = AttributionSpec

    def validate(self, spec: SpecBase, ws: Workspace) -> SpecBase:
        assert isinstance(spec, AttributionSpec)
        found = ws.catalog.resolve(spec.goal, kind="goal")
        if found is None:
            raise ConfigError(
                "unknown goal", value=spec.goal, hint=f"goals: {', '.join(ws.catalog.goals)}"
            )
        goal = found[1]
        for f in spec.filters:
            problem = check_column(TOUCHPOINTS, f.property) if f.on == "event" else None
            if problem:
                raise ConfigError(
                    "attribution filters on touches read touchpoint columns", value=problem
                )
        level = spec.level or ("account" if _account_goal(ws, goal) else "person")
        return spec.model_copy(update={"goal": goal, "level": level})

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        from wayfinder.analyses.attribution_views import output

        assert isinstance(spec, AttributionSpec)
        return output(spec, pop)


def _account_goal(ws: Workspace, name: str) -> bool:
    """Goals declared at account level, and goals on deals and subscriptions, are reached by
    accounts; derived goals follow theirs."""
    from wayfinder.semantic.definitions import NthGoal, TableGoal

    goal = ws.catalog.goals[name]
    if goal.level == "account":
        return True
    definition = goal.definition
    if isinstance(definition, NthGoal):
        return all(_account_goal(ws, g) for g in definition.of)
    return isinstance(definition, TableGoal) and definition.table in ("deals", "subscriptions")
