"""Conversion drivers: the spec (goal, entry, window, level, features) and its runner. What sets
the people (or accounts) who reached a goal apart from those who did not, with evidence.

Population and features are built in ``driver_features``; the statistics, multivariate check and
words in ``wayfinder.explain``. Semantics and examples: docs/analyses/drivers.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
from pydantic import Field, field_validator

from wayfinder.analyses.driver_features import DAYS, KINDS, candidate_features, population_units
from wayfinder.analyses.funnels import in_words, parse_duration, seconds
from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase
from wayfinder.analyses.steps import Step, as_step

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace

Kind = Literal[
    "event", "page", "content", "frequency", "channel", "campaign", "property", "account",
    "interaction",
]  # fmt: skip
#: How many drivers the answer names.
ANSWER_DRIVERS = 3


class ConversionDriversSpec(SpecBase):
    """What sets converters apart: ``{"kind": "conversion_drivers", "goal": "purchase"}``."""

    kind: Literal["conversion_drivers"] = "conversion_drivers"
    #: The outcome: a goal of the catalog or any step (``"page:/checkout/done"``).
    goal: Step = Step(goal="purchase")
    #: Who is in the population and when they start: people who did this step in the range,
    #: from their first time. None: everyone seen in the range, from their first event.
    entry: Step | None = None
    #: How long after entry a conversion still counts ("30d").
    window: str = "30d"
    #: One unit per person, or per account (an account converts when any of its people does).
    level: Literal["person", "account"] = "person"
    #: Features fewer units have than this are listed but not tested.
    min_support: int = Field(30, ge=1)
    #: The false discovery rate at which a feature is a driver (Benjamini-Hochberg).
    fdr: float = Field(0.05, gt=0, lt=1)
    #: Repeat features "at least N times within D days": the largest N (2, 3, 5, 10) and D (1,
    #: 7, 14) tried.
    max_frequency: int = Field(10, ge=2, le=10)
    frequency_days: int = Field(14, ge=1, le=14)
    #: Which kinds of candidate feature to build.
    kinds: tuple[Kind, ...] = KINDS  # type: ignore[assignment]
    #: Feature keys to leave out, as globs: ``"page:/checkout/*"``, ``"event:Checkout*"``.
    exclude: tuple[str, ...] = ()
    #: Check the significant drivers together (L1 logistic regression).
    multivariate: bool = True
    max_model_features: int = Field(50, ge=1, le=62)

    @field_validator("goal", "entry", mode="before")
    @classmethod
    def _step(cls, value: Any) -> Any:
        return Step.model_validate(value) if isinstance(value, str | dict) else value

    @field_validator("kinds", "exclude", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        if seconds(parse_duration(value)) == 0:
            raise ValueError("the window must be longer than 0")
        return parse_duration(value)

    @property
    def window_seconds(self) -> int:
        return seconds(self.window)

    @property
    def outcome_words(self) -> tuple[str, str]:
        """The outcome as a verb: bought / buy for purchases, else reached / reach the goal."""
        return outcome_words(self.goal)

    @property
    def population_word(self) -> str:
        return "people" if self.level == "person" else "accounts"

    def describe(self) -> str:
        who = self.population_word
        entry = f"who did {self.entry}" if self.entry else "seen"
        text = (
            f"what sets the {who} who reached {self.goal} within {in_words(self.window)} of "
            f"entering apart from the others; {who} {entry} in {self.describe_scope()}"
        )
        text += f"; features: {', '.join(self.kinds)}, seen between entry and the outcome"
        if self.exclude:
            text += f", leaving out {', '.join(self.exclude)}"
        return text + f"; drivers at {self.fdr:.0%} false discovery rate"


def outcome_words(goal: Step) -> tuple[str, str]:
    """A goal as a verb in the past and the base form, for the drivers' sentences.

    >>> outcome_words(Step(goal="purchase")), outcome_words(Step(page="/signup"))
    (('bought', 'buy'), ('reached /signup', 'reach /signup'))
    """
    if goal.goal == "purchase" or goal.event == "Order Completed":
        return ("bought", "buy")
    return (f"reached {goal.name}", f"reach {goal.name}")


class ConversionDriversRunner(Runner):
    kind = "conversion_drivers"
    spec_type = ConversionDriversSpec

    def validate(self, spec: ConversionDriversSpec, ws: Workspace) -> ConversionDriversSpec:
        """Goal and entry words resolved against the catalog (unknown goals fail here)."""
        catalog = ws.catalog
        entry = as_step(spec.entry, catalog) if spec.entry is not None else None
        return spec.model_copy(update={"goal": as_step(spec.goal, catalog), "entry": entry})

    def compute(self, spec: ConversionDriversSpec, pop: Population) -> Output:
        # Imported here: explain sits after analyses and imports analyses.reasons.
        from wayfinder.explain.drivers import find_drivers

        units, entries = population_units(spec, pop)
        features = candidate_features(spec, pop, units, entries)
        units = units.select("unit_id", "success")
        # Kept by the engine while the statistics and the model read them (rebuilding the
        # windows each time costs the most), released before the result leaves: the drill-down
        # recomputes only what it needs from the expressions.
        with units.cache() as kept_units, features.cache() as kept_features:
            drivers = find_drivers(
                pop.ws.engine,
                kept_units,
                kept_features,
                min_support=spec.min_support,
                fdr=spec.fdr,
                multivariate=spec.multivariate,
                max_model_features=spec.max_model_features,
                outcome_words=spec.outcome_words,
                population_word=spec.population_word,
            )
        drivers.units, drivers.features = units, features
        table, why = _without_echoes(drivers.table, drivers.reasons)
        total, successes = drivers.total, drivers.successes
        summary = pa.table(
            {
                "units": [total],
                "converted": [successes],
                "conversion_rate": [successes / total if total else None],
                "candidates": [table.num_rows],
                "tested": [int(sum(table["tested"].to_pylist()))],
                "drivers": [int(sum(table["significant"].to_pylist()))],
            }
        )

        def drill(feature: str | None = None, success: bool | None = None) -> ir.Table:
            chosen = drivers.drill(feature, success)
            if spec.level == "person":
                return chosen.select(person_id=chosen.unit_id)
            profiles = pop.profiles()
            return profiles.filter(profiles.account_id.cast("string").isin(chosen.unit_id)).select(
                "person_id"
            )

        return Output(
            table=table,
            answer=_answer(spec, why, summary, drivers.warnings),
            chart=_chart(table),
            tables={"population": summary},
            drill=drill,
            why=_distinct_things(why),
        )


def _without_echoes(table: pa.Table, reasons: list) -> tuple[pa.Table, list]:
    """Repeat features that name the same people as a simpler one say nothing new: "3 times within
    7 days" when exactly those people did it 3 times within 1 day, "2 times within 1 day" when
    everyone who did it once did it twice that day. Equal counts of nested sets mean equal sets;
    the simplest wording stays."""
    rows = table.to_pylist()
    counts = {r["feature"]: (r["support"], r["a"]) for r in rows}
    echoes = set()
    for r in rows:
        key = r["feature"]
        if r["kind"] != "frequency" or " x" not in key:
            continue
        thing, _, rest = key.rpartition(" x")
        times, _, days = rest.partition(" in ")
        simpler = [thing] if times == "2" else []
        simpler += [f"{thing} x{times} in {d}d" for d in DAYS if d < int(days.removesuffix("d"))]
        if any(counts.get(s) == counts[key] and s not in echoes for s in simpler):
            echoes.add(key)
    if not echoes:
        return table, reasons
    keep = [r["feature"] not in echoes for r in rows]
    return (
        table.filter(pa.array(keep)),
        [r for r in reasons if r.people and r.people.get("feature") not in echoes],
    )


def _answer(spec: ConversionDriversSpec, reasons: list, summary: pa.Table, warnings) -> str:
    s = summary.to_pylist()[0]
    who = spec.population_word
    if not s["units"]:
        return f"No {who} entered in {spec.describe_scope()}: there is nothing to compare."
    rate = s["conversion_rate"] or 0.0
    head = (
        f"{s['converted']:,} of {s['units']:,} {who} ({rate:.1%}) "
        f"{spec.outcome_words[0]} within {in_words(spec.window)}; "
    )
    if not reasons:
        head += (
            f"none of the {s['tested']:,} features tested sets them apart at "
            f"{spec.fdr:.0%} false discovery rate."
        )
    else:
        head += f"{s['drivers']:,} of {s['tested']:,} features tested set them apart. "
        head += " ".join(r.sentence for r in _distinct_things(reasons)[:ANSWER_DRIVERS])
        if reasons[0].experiment:
            head += f" To confirm the first, {reasons[0].experiment.removeprefix('test it: ')}."
    unbalanced = [w for w in warnings if w.startswith("unbalanced")]
    if unbalanced:
        head += " Note: " + unbalanced[0] + "."
    return head.strip()


def _distinct_things(reasons: list) -> list:
    """One reason per thing done or seen: the answer names /cart once, not its every repeat."""
    seen, out = set(), []
    for r in reasons:
        thing = (r.people or {}).get("feature", "").rpartition(" x")[0] or r.people["feature"]
        if thing not in seen:
            seen.add(thing)
            out.append(r)
    return out


def _chart(table: pa.Table) -> dict[str, Any]:
    """Odds ratios of the significant drivers with their intervals, on a log axis."""
    rows = [r for r in table.to_pylist() if r["significant"]][:20]
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": [r["label"] for r in rows],
        "x": [r["odds_ratio"] for r in rows],
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [r["odds_ratio_high"] - r["odds_ratio"] for r in rows],
            "arrayminus": [r["odds_ratio"] - r["odds_ratio_low"] for r in rows],
        },
    }
    layout = {
        "title": {"text": "Drivers: odds ratio of converting (95% CI)"},
        "xaxis": {"type": "log", "title": {"text": "odds ratio"}},
        "yaxis": {"autorange": "reversed"},
    }
    return {"data": [trace], "layout": layout}


__all__ = ["ConversionDriversRunner", "ConversionDriversSpec", "outcome_words"]
