"""Asking a workspace: the reading, the plan, the run, and one ``Answer`` that carries them all.

Every answer shows its interpretation first (the restatement, each slot with its words and method,
the defaults, the words not used, a confidence). Then, only when the question was understood and
its analysis exists, the result with its chart and why. A clarification, a refusal or a "not
available yet" runs nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from wayfinder.ask.frame import Evidence, Frame, Reading
from wayfinder.ask.lexicon import Lexicon
from wayfinder.ask.parser import parse
from wayfinder.ask.plan import PRIMARY_GOALS, Context, Plan, plan
from wayfinder.ask.text import key
from wayfinder.errors import WayfinderError

if TYPE_CHECKING:
    from wayfinder.analyses.reasons import Reason
    from wayfinder.analyses.result import Result
    from wayfinder.ask.llm import LLMConfig
    from wayfinder.workspace import Workspace

Status = Literal["answered", "clarify", "refused", "not_available", "failed"]
#: Below this confidence the LLM adapter (when configured) is asked for a second reading.
LLM_BELOW = 0.6


@dataclass
class Answer:
    """What ``ask`` says: the interpretation, then the result and its why (when one ran)."""

    frame: Frame
    plan: Plan
    status: Status
    #: The answer in words: the result's answer, or the clarification, refusal or reason.
    text: str
    result: Result | None = None
    #: Sentences about the question's focus (a campaign or content item it names) in the result.
    focus: list[str] = field(default_factory=list)
    parse_ms: float = 0.0

    @property
    def why(self) -> list[Reason]:
        return list(self.result.why) if self.result is not None else []

    @property
    def chart(self) -> dict[str, Any] | None:
        return self.result.chart if self.result is not None else None

    @property
    def spec(self) -> dict[str, Any] | None:
        return self.plan.spec

    def to_dict(self) -> dict[str, Any]:
        f = self.frame
        return {
            "question": f.question,
            "today": f.today.isoformat(),
            "status": self.status,
            "intent": f.intent,
            "restatement": self.plan.restatement,
            "interpretation": {
                "slots": f.slots.to_prediction(),
                "evidence": [e.model_dump(mode="json") for e in f.evidence],
                "defaults": self.plan.defaults,
                "not_applied": self.plan.not_applied,
                "unused_words": f.unused,
                "confidence": f.confidence,
                "source": f.source,
            },
            "clarification": f.clarification,
            "options": [o.model_dump() for o in f.options],
            "refusal": f.refusal,
            "suggestions": f.suggestions,
            "spec": self.plan.spec,
            "answer": self.text,
            "focus": self.focus,
            "result": self.result.to_dict() if self.result is not None else None,
            "why": [r.to_dict() for r in self.why],
        }

    def __repr__(self) -> str:
        return f"<Answer {self.status} {self.frame.intent}: {self.text[:80]!r}>"


class Asker:
    """Answers questions on one workspace; the lexicon is built once and reused."""

    def __init__(self, ws: Workspace, *, llm: LLMConfig | None = None) -> None:
        self.ws = ws
        self.lexicon = Lexicon.for_workspace(ws)
        self.llm = llm
        self.context = Context(
            lexicon=self.lexicon,
            goals=set(ws.catalog.goals),
            metrics=set(ws.catalog.metrics),
            primary_goal=_primary_goal(ws),
        )

    def read(self, question: str, today: date | None = None) -> Frame:
        """Only the reading (what ``--batch`` writes): no query runs."""
        frame = parse(question, self.lexicon, today)
        if self.llm is not None and _unsure(frame):
            frame = self._second_reading(frame)
        return frame

    def ask(self, question: str, today: date | None = None) -> Answer:
        started = time.perf_counter()
        frame = self.read(question, today)
        parse_ms = (time.perf_counter() - started) * 1000
        if frame.refusal:
            return Answer(
                frame, Plan(None, "Not answered"), "refused", frame.refusal, parse_ms=parse_ms
            )
        if frame.clarification:
            return Answer(
                frame,
                Plan(None, "Needs a clarification"),
                "clarify",
                frame.clarification,
                parse_ms=parse_ms,
            )
        p = plan(frame, self.context)
        if p.spec is None:
            return Answer(
                frame, p, "not_available", p.unavailable or "Nothing to run.", parse_ms=parse_ms
            )
        try:
            result = self.ws.run(p.spec)
        except WayfinderError as exc:
            return Answer(
                frame, p, "failed", f"The analysis could not run: {exc.message}", parse_ms=parse_ms
            )
        return Answer(frame, p, "answered", result.answer, result, _focus(p, result), parse_ms)

    def _second_reading(self, frame: Frame) -> Frame:
        from wayfinder.ask.llm import propose

        assert self.llm is not None
        outcome = propose(
            frame.question, frame.today, self.lexicon.catalogue(), self.llm, self.lexicon.relink
        )
        if outcome.reading is None:
            if frame.clarification is None and frame.intent not in ("ambiguous", "unsupported"):
                return frame  # the rule reading stands; the model could not improve it
            frame.clarification = (frame.clarification or "I am not sure what this asks.") + (
                f" (The language model could not help: {outcome.problem}.)"
            )
            return frame
        return _from_llm(frame, outcome.reading)


def _unsure(frame: Frame) -> bool:
    return frame.refusal is None and (frame.confidence < LLM_BELOW or frame.intent == "ambiguous")


def _from_llm(frame: Frame, reading: Reading) -> Frame:
    evidence = [
        Evidence(slot=name, words=frame.question, value=value, method="llm")
        for name, value in reading.slots.to_prediction().items()
    ]
    clarification = "The question is ambiguous." if reading.intent == "ambiguous" else None
    return Frame(
        question=frame.question,
        today=frame.today,
        reading=reading,
        evidence=[
            Evidence(slot="intent", words=frame.question, value=reading.intent, method="llm"),
            *evidence,
        ],
        defaults=frame.defaults,
        unused=[],
        confidence=0.6,
        clarification=clarification,
        options=frame.options if clarification else [],
        refusal="The language model read this as a request Wayfinder does not answer."
        if reading.intent == "unsupported"
        else None,
        source="llm",
    )


def _primary_goal(ws: Workspace) -> str | None:
    """The workspace's main conversion: the first of PRIMARY_GOALS that ever happened."""
    for name in PRIMARY_GOALS:
        if name not in ws.catalog.goals:
            continue
        try:
            if ws.catalog.goal(name).occurrences(ws).limit(1).count().to_pyarrow().as_py() > 0:
                return name
        except WayfinderError:
            continue
    return None


def _focus(p: Plan, result: Result) -> list[str]:
    """Rows of the result whose labels hold the question's focus words (a campaign, a channel,
    a content item): first the rows that match all of them, else each one's rows."""
    if not p.focus:
        return []
    table = result.table
    labels = [n for n in table.column_names if table.schema.field(n).type == "string"]
    rows = table.to_pylist()

    def matching(words: set[str]) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for row in rows:
            for name in labels:
                value = row[name]
                if value and words <= set(key(str(value).replace("_", " ").replace("/", " "))):
                    out.append((str(value), row))
                    break
        return out

    every = set().union(*(set(key(w)) for w in p.focus.values()))
    said = " and ".join(f"{kind} {words!r}" for kind, words in p.focus.items())
    hits = matching(every)
    if hits:
        return [f"{said}: {value}: {_figures(row)}" for value, row in hits[:5]]
    lines = []
    for kind, words in p.focus.items():
        found = matching(set(key(words)))
        lines += [f"{kind} {words!r}: {value}: {_figures(row)}" for value, row in found[:3]]
        if not found:
            lines.append(f"No row of the result matches the {kind} {words!r}.")
    return lines


#: The figures a focus line shows first, when the result has them.
_FOCUS_FIGURES = (
    "rate_with",
    "rate_without",
    "lift",
    "odds_ratio",
    "q_value",
    "journeys",
    "last_touch",
    "markov_1",
    "shapley",
    "conversions",
    "value",
    "people",
    "count",
)


def _figures(row: dict[str, Any]) -> str:
    numbers = {
        k: v for k, v in row.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    keys = [k for k in _FOCUS_FIGURES if k in numbers] or list(numbers)
    return ", ".join(f"{k.replace('_', ' ')} {_fmt(numbers[k])}" for k in keys[:6])


def _fmt(value: float) -> str:
    return (
        f"{value:.1%}"
        if isinstance(value, float) and 0 <= value <= 1
        else f"{value:,.1f}"
        if isinstance(value, float)
        else f"{value:,}"
    )
