"""A metric change in words: the top explanation as a sentence (its share, traffic or rate, how
far beyond its noise, the cross-check) and the reasons with their people; the tables and the
waterfall are in ``metric_change_tables``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wayfinder.analyses.metric_change_query import NEW_VS_RETURNING, VISIT_DIMENSIONS
from wayfinder.analyses.metric_change_tables import NAMED, contribution
from wayfinder.analyses.periods import to_local
from wayfinder.analyses.reasons import Reason
from wayfinder.analyses.spec import Breakdown, TimeRange
from wayfinder.explain.decompose import Contribution, Decomposition, Held, traffic_part
from wayfinder.explain.noise import FAMILY_CHANCE, by_chance

if TYPE_CHECKING:
    from wayfinder.analyses.metric_change import MetricChangeSpec, Plan
    from wayfinder.analyses.metric_change_query import Slots

#: A change smaller than this share of the base is "held steady".
STEADY = 0.005
#: Reasons are given for at most this many dimensions, each with a value whose move its size
#: does not explain by at least this part of the base total (its ``surprise``: material) and so
#: far beyond its sampling noise that the most surprising of all the values compared would be
#: that far out by chance at most ``FAMILY_CHANCE`` of the time.
MAX_REASONS, MIN_SURPRISE = 3, 0.03


def dimension_name(d: Breakdown) -> str:
    """How a dimension is named in results and in ``result.people(dimension=...)``."""
    if d.on != "event":
        return f"{d.on} {d.property}"
    if d.property == NEW_VS_RETURNING:
        return "new vs returning"
    for word, column in VISIT_DIMENSIONS.items():
        if d.property in (word, column):
            return word
    return "device" if d.property == "device_type" else d.property.removeprefix("properties.")


def compare_words(spec: MetricChangeSpec) -> str:
    if isinstance(spec.compare, TimeRange):
        return f"{spec.compare} (scaled to the period's length)"
    if spec.compare == "previous_period":
        return "the period before"
    return f"the average of the {spec.periods_before} periods before"


def _unit(days: float) -> str:
    return {1: "day", 7: "week", 28: "4 weeks"}.get(round(days), f"{days:g}-day period")


class Words:
    """Everything a person reads, from the decompositions of one run."""

    def __init__(
        self,
        spec: MetricChangeSpec,
        plan: Plan,
        slots: Slots,
        overall: dict,
        ranked: list[tuple[str, Decomposition]],
        traffic: dict[str, dict[str, tuple[float, float]]],
        held: dict[tuple[str, str], Held] | None = None,
    ) -> None:
        self.spec, self.plan, self.slots = spec, plan, slots
        self.overall, self.ranked, self.traffic = overall, ranked, traffic
        self.held = held or {}
        self.label = plan.name.replace("_", " ")
        #: How many values could have been named: the multiplicity of the noise check.
        self.compared = sum(
            1 for _, d in ranked for p in d.parts if p.value not in NAMED and p.z is not None
        )

    # -- numbers ---------------------------------------------------------------------------------
    def fmt(self, x: float | None) -> str:
        if x is None:
            return "n/a"
        if self.plan.ratio and self.plan.format == "percent":
            return f"{x:.1%}"
        if abs(x) >= 100 or (self.plan.format == "count" and x == round(x)):
            return f"{x:,.0f}"
        if self.plan.format == "count":  # averages of counts: 2.5 orders a week
            return f"{x:,.1f}"
        return f"{x:,.2f}"

    def moved(self, change: float) -> str:
        if self.plan.ratio and self.plan.format == "percent":
            return f"{change * 100:+.1f} points"
        return ("+" if change >= 0 else "-") + self.fmt(abs(change))

    def when(self) -> str:
        tz = self.spec.zone
        first = to_local(self.slots.start, tz)
        last = to_local(self.slots.end, tz) - timedelta(microseconds=1)
        days = (self.slots.end - self.slots.start).total_seconds() / 86400
        if isinstance(self.spec.compare, TimeRange):
            versus = f"{self.spec.compare} (scaled to the same length)"
        elif self.spec.compare == "previous_period" or self.spec.periods_before == 1:
            versus = f"the {_unit(days)} before"
        else:
            versus = f"the {_unit(days)}ly average of the {self.spec.periods_before} before"
            if round(days) == 7:
                versus = f"the weekly average of the {self.spec.periods_before} weeks before"
        return f"in {_span(first, last)} vs {versus}"

    # -- answer ----------------------------------------------------------------------------------
    def answer(self) -> str:
        base = self.overall.get("base", {})
        current = self.overall.get("current", {})
        b, c = self._total(base), self._total(current)
        label = self.label[:1].upper() + self.label[1:]
        if not b and not c:
            return f"No {self.label} {self.when()}."
        steady = b and abs(c - b) <= STEADY * abs(b)
        if steady:
            return f"{label} held steady ({self.fmt(b)} -> {self.fmt(c)}) {self.when()}."
        verb = "rose" if c > b else "fell"
        if self.plan.ratio:
            head = f"{label} {verb} from {self.fmt(b)} to {self.fmt(c)} ({self.moved(c - b)})"
        else:
            pct = f" {abs(c - b) / b:.0%}" if b else ""
            head = f"{label} {verb}{pct} ({self.fmt(b)} -> {self.fmt(c)})"
        sentence = f"{head} {self.when()}"
        best = self.best()
        if best is None:
            return sentence + self._nothing_stands_out()
        name, d = best
        return f"{sentence}; {self._explain(name, d)}."

    def _nothing_stands_out(self) -> str:
        material = [(n, d) for n, d in self.ranked if d.score(NAMED) >= MIN_SURPRISE]
        if not material:
            return "; no dimension value stands out: the change is spread evenly."
        name, d = material[0]
        top = d.top_of(NAMED)
        assert top is not None and top.z is not None
        return (
            f"; no dimension value moved beyond its usual noise (the most surprising, {top.value} "
            f"({name}), {self.moved(top.change)}, is {abs(top.z):.1f} standard errors from what "
            f"its size predicts: {self._chance(top.z)})."
        )

    def _chance(self, z: float) -> str:
        chance = by_chance(z, self.compared)
        among = f"among {self.compared} values" if self.compared > 1 else "for one value"
        return f"a move this unusual {among} happens by chance {_odds(chance)} of the time"

    def stands_out(self, top: Contribution | None) -> bool:
        """Whether a value's move is beyond its noise, counting how many values could have
        been named (or the noise is unknown)."""
        if top is None:
            return False
        return top.z is None or by_chance(top.z, self.compared) <= FAMILY_CHANCE

    def _total(self, side: dict) -> float:
        if not side:
            return 0.0
        if self.plan.ratio:
            return side["p0"] / side["p1"] if side["p1"] else 0.0
        return side["p0"]

    def _holds(self, held: Held) -> bool:
        assert held.z is not None
        return by_chance(held.z, self.compared) <= FAMILY_CHANCE

    def best(self) -> tuple[str, Decomposition] | None:
        """The dimension named first, with its decomposition (None when nothing is)."""
        found = self._explained()
        return found[0] if found else None

    def _explained(self) -> list[tuple[str, Decomposition]]:
        """Dimensions whose top value's move is material and beyond its noise, best first;
        a value whose move falls within the noise once a value named before it is held out
        (google_generic's dip, all Paid Search's) is explained away and not named."""
        out: list[tuple[str, Decomposition]] = []
        for n, d in self.ranked:
            if d.score(NAMED) < MIN_SURPRISE or not self.stands_out(d.top_of(NAMED)):
                continue
            held = [self.held.get((n, m)) for m, _ in out]
            if any(h is not None and h.z is not None and not self._holds(h) for h in held):
                continue
            out.append((n, d))
        return out

    def _explain(self, name: str, d: Decomposition) -> str:
        top = d.top_of(NAMED)
        assert top is not None
        net = d.change
        word = "rise" if net > 0 else "drop"
        who = f"{top.value} ({name})"
        if abs(net) <= STEADY * abs(d.base_total) or top.change * net <= 0:
            verb = "rose" if top.change > 0 else "fell"
            text = f"{who} {verb} by {self.moved(abs(top.change))[1:]}"
            text += f" while the other values moved {self.moved(net - top.change)}"
        elif (top.share or 0) <= 1.0 + 1e-9:
            text = f"{who} accounts for {top.share or 0:.0%} of the {word}"
        else:
            verb = "rose" if top.change > 0 else "fell"
            text = (
                f"{who} {verb} by {self.moved(abs(top.change))[1:]}, more than the whole {word} "
                f"of {self.moved(abs(net))[1:]} (the other values moved "
                f"{self.moved(net - top.change)})"
            )
        noise = ""
        if top.z is not None:
            noise = f"; {abs(top.z):.1f} standard errors beyond its noise: {self._chance(top.z)}"
        if self.plan.ratio:
            return text + f" ({self._effects(top)}{noise})" + self._crossed(name, word)
        return text + f" ({self._traffic(name, top)}{noise})" + self._crossed(name, word)

    def _crossed(self, name: str, word: str) -> str:
        """The cross-check in words, for the best dimension against the runner-up it beat."""
        if not self.held or name != self.ranked[0][0]:
            return ""
        other = next((b for a, b in self.held if a == name), None)
        if other is None:
            return ""
        of = dict(self.ranked)
        mine, theirs = of[name].top_of(NAMED), of[other].top_of(NAMED)
        assert mine is not None and theirs is not None
        kept = abs(self.held[name, other].surprise) / (abs(mine.surprise) or 1.0)
        kept_other = abs(self.held[other, name].surprise) / (abs(theirs.surprise) or 1.0)
        move = "dip" if word == "drop" else "jump"
        text = (
            f"; the {word} is {mine.value}'s outside {theirs.value} too ({kept:.0%} of its "
            f"surprise remains without {theirs.value}), "
        )
        if kept_other < 0.5:
            return text + (
                f"{theirs.value}'s {move} is mostly {mine.value}'s ({kept_other:.0%} remains "
                f"without {mine.value})"
            )
        return text + f"{theirs.value}'s {move} persists without {mine.value} ({kept_other:.0%})"

    def _traffic(self, name: str, top: Contribution) -> str:
        visits = self.traffic[name].get(top.value, (0.0, 0.0))
        own = f"its {self.label} {_pct(top.base, top.current)}, visits {_pct(*visits)}"
        part = traffic_part(top.base, top.current, *visits)
        if part is None:
            return own
        direction = "rose" if top.current > top.base else "fell"
        per_visit = f"its {self.label} per visit"
        if part < 1 / 3:
            return f"{own}: {per_visit} {direction}, not its traffic"
        if part > 2 / 3:
            return f"{own}: its traffic {direction}, not its {self.label} per visit"
        return f"{own}: both its traffic and {per_visit} {direction}"

    def _effects(self, top: Contribution) -> str:
        rate = f"its {self.label} {self.fmt(top.base_rate)} -> {self.fmt(top.current_rate)}"
        weight = f"its share {_share(top.base_weight)} -> {_share(top.current_weight)}"
        effects = (
            f"rate effect {self.moved(top.rate_effect or 0)}, mix effect "
            f"{self.moved(top.mix_effect or 0)}, both {self.moved(top.interaction or 0)}"
        )
        main = (
            "its rate moved"
            if abs(top.rate_effect or 0) >= abs(top.mix_effect or 0)
            else ("its weight moved")
        )
        return f"{rate}, {weight}: {main}; {effects}"

    # -- why -------------------------------------------------------------------------------------
    def reasons(self) -> list[Reason]:
        out = []
        for name, d in self._explained():
            top = d.top_of(NAMED)
            assert top is not None
            before = "weight" if self.plan.ratio else f"{self.label}"
            sentence = (
                f"{self._explain(name, d)}; before, it had {_share(top.base_share)} of the "
                f"{before}."
            )
            base = abs(d.base_total) or 1.0
            mine = {b: h for (a, b), h in self.held.items() if a == name}
            evidence = contribution(top) | {
                "dimension": name,
                "concentration": d.concentration,
                "unexplained": d.unexplained,
                "total_z": d.z,
                "held_out": {b: h.surprise / base for b, h in mine.items()},
                "held_out_z": {b: h.z for b, h in mine.items()},
            }
            out.append(
                Reason(
                    sentence[:1].upper() + sentence[1:],
                    "decomposition",
                    evidence,
                    people={"dimension": name, "value": top.value, "period": "current"},
                    experiment=(
                        f"A split, not a cause: compare {top.value}'s visits in the two periods "
                        "(landing pages, bids, stock, tracking) to find what changed."
                    ),
                )
            )
            if len(out) == MAX_REASONS:
                break
        return out


def _odds(chance: float) -> str:
    """A chance in words.

    >>> _odds(0.0153), _odds(0.42), _odds(0.0004)
    ('1.5%', '42%', 'under 0.1%')
    """
    if chance < 0.001:
        return "under 0.1%"
    return f"{chance:.1%}" if chance < 0.1 else f"{chance:.0%}"


def _pct(base: float, current: float) -> str:
    return f"{(current - base) / base:+.0%}" if base else "new"


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _span(first: datetime, last: datetime) -> str:
    if first.date() == last.date():
        return f"{first:%-d %b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%-d}-{last:%-d %b %Y}"
    return f"{first:%-d %b} - {last:%-d %b %Y}"
