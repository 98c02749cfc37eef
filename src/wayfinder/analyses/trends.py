"""PLACEHOLDER: being written (issue 4); replaced wholesale by the trend analysis."""

from __future__ import annotations

from typing import Literal

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase


class TrendSpec(SpecBase):
    kind: Literal["trend"] = "trend"


class TrendRunner(Runner):
    kind = "trend"
    spec_type = TrendSpec

    def compute(self, spec, pop) -> Output:
        raise NotImplementedError
