"""PLACEHOLDER: being written (issue 4); replaced wholesale by the funnel analysis."""

from __future__ import annotations

from typing import Literal

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase


class FunnelSpec(SpecBase):
    kind: Literal["funnel"] = "funnel"


class FunnelRunner(Runner):
    kind = "funnel"
    spec_type = FunnelSpec

    def compute(self, spec, pop) -> Output:
        raise NotImplementedError
