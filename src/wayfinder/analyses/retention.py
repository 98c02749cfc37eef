"""PLACEHOLDER: being written (issue 4); replaced wholesale by the retention analysis."""

from __future__ import annotations

from typing import Literal

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase


class RetentionSpec(SpecBase):
    kind: Literal["retention"] = "retention"


class RetentionRunner(Runner):
    kind = "retention"
    spec_type = RetentionSpec

    def compute(self, spec, pop) -> Output:
        raise NotImplementedError
