"""What a question was understood to ask: the intent, its slots, and the evidence for each.

A ``Reading`` is the reduced, typed form of a question (intent plus slots in the conventions of
``docs/ask.md``); the rule parser and the optional LLM adapter both produce one, and only a
``Reading`` is turned into an analysis spec. A ``Frame`` adds how it was reached: the words behind
each slot and the method (exact, synonym, fuzzy with a score, rule, default), the defaults applied,
the words left unused, a confidence, and either a clarification to ask or a refusal to give.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The intents ``ask`` knows. ``ambiguous`` asks a clarifying question; ``unsupported`` refuses.
Intent = Literal[
    "paths",
    "funnel",
    "attribution",
    "trend",
    "retention",
    "churn_drivers",
    "conversion_drivers",
    "influencers",
    "recommendations",
    "segment_compare",
    "revenue_metrics",
    "lookup_customer",
    "ambiguous",
    "unsupported",
]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]

#: How a slot's value was found.
Method = Literal["exact", "synonym", "fuzzy", "rule", "default", "llm"]


class Period(BaseModel):
    """A period as written (``text``) and resolved to whole days, both ends included.

    ``start``/``end`` are None when the words name a period that cannot be resolved ("Q5",
    "the period we discussed"): the parser then asks instead of guessing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    start: date | None = None
    end: date | None = None

    @property
    def resolved(self) -> bool:
        return self.start is not None and self.end is not None

    @property
    def iso(self) -> str | None:
        return f"{self.start.isoformat()}/{self.end.isoformat()}" if self.resolved else None

    def to_slot(self) -> dict[str, Any]:
        return {"text": self.text, "iso": self.iso}


class Slots(BaseModel):
    """Only what the question states; nothing invented. Conventions in ``docs/ask.md``."""

    model_config = ConfigDict(extra="forbid")

    goal: str | None = None
    start: str | None = None
    channel: str | list[str] | None = None
    campaign: str | None = None
    content: str | None = None
    top_n: int | None = Field(None, ge=1, le=1000)
    time_range: Period | None = None
    compare_to: Period | None = None
    breakdown: list[str] | None = None
    model: str | list[str] | None = None
    steps: list[str] | str | None = None
    metric: str | None = None
    segments: list[str] | None = None
    customer: str | None = None
    filters: dict[str, str] | None = None

    def to_prediction(self) -> dict[str, Any]:
        """The slots as ``wayfinder ask --batch`` writes them: unset slots left out, periods as
        ``{"text", "iso"}``."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None or value == [] or value == {}:
                continue
            out[name] = value.to_slot() if isinstance(value, Period) else value
        return out


class Reading(BaseModel):
    """The reduced spec: an intent and its slots. The LLM adapter must return one of these."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    slots: Slots = Slots()


class Evidence(BaseModel):
    """Why a slot holds its value: the words it came from and how they were matched."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: str
    words: str
    value: Any
    method: Method
    #: 0-100 for fuzzy matches; 100 for exact ones.
    score: float | None = None
    #: What the value links to in the workspace (an event, page glob, campaign, goal), if known.
    linked: str | None = None


class Option(BaseModel):
    """One choice of a clarification: a label to show and the question it stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str
    question: str


class Frame(BaseModel):
    """A question's reading with everything that led to it."""

    model_config = ConfigDict(extra="forbid")

    question: str
    today: date
    reading: Reading
    evidence: list[Evidence] = []
    #: Defaults the parser applied, in words ("all channels", "the last 90 days").
    defaults: list[str] = []
    #: Words of the question that did not contribute to any slot or the intent.
    unused: list[str] = []
    confidence: float = Field(0.0, ge=0.0, le=1.0)
    #: For ambiguous readings: what to ask, with options the user can pick.
    clarification: str | None = None
    options: list[Option] = []
    #: For unsupported readings: why not, and what can be asked instead.
    refusal: str | None = None
    suggestions: list[str] = []
    #: Which parser produced the reading: "rules" or "llm".
    source: Literal["rules", "llm"] = "rules"

    @property
    def intent(self) -> str:
        return self.reading.intent

    @property
    def slots(self) -> Slots:
        return self.reading.slots

    def to_prediction(self, question_id: str) -> dict[str, Any]:
        """One line of ``wayfinder ask --batch --predictions``."""
        return {"id": question_id, "intent": self.intent, "slots": self.slots.to_prediction()}
