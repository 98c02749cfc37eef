"""PLACEHOLDER: being written (issue 4); replaced wholesale by the lifecycle analysis."""

from __future__ import annotations

from typing import Literal

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase


class LifecycleSpec(SpecBase):
    kind: Literal["lifecycle"] = "lifecycle"


class LifecycleRunner(Runner):
    kind = "lifecycle"
    spec_type = LifecycleSpec

    def compute(self, spec, pop) -> Output:
        raise NotImplementedError
