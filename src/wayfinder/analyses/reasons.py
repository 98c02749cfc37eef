"""A reason: one sentence of the why behind a result, with its evidence and the people behind it.
Drivers, metric-change decompositions and attribution shifts all become reasons on a Result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: What kind of claim a reason makes: an association between a feature and an outcome, a share
#: of a change, or a shift of credit between attribution models. None of them proves a cause.
Claim = Literal["association", "decomposition", "attribution"]


@dataclass(frozen=True)
class Reason:
    """``sentence`` is what a marketer reads; ``evidence`` the figures it rests on (counts,
    rates, intervals, p- and q-values); ``people`` the selector that ``Result.people(**people)``
    takes to list the people behind it; ``experiment`` a way to test it as a cause."""

    sentence: str
    claim: Claim
    evidence: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] | None = None
    experiment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "claim": self.claim,
            "evidence": self.evidence,
            "people": self.people,
            "experiment": self.experiment,
        }
