"""PLACEHOLDER: being written (issue 4); replaced wholesale by the paths analysis."""

from __future__ import annotations

from typing import Literal

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase


class PathsSpec(SpecBase):
    kind: Literal["paths"] = "paths"


class PathsRunner(Runner):
    kind = "paths"
    spec_type = PathsSpec

    def compute(self, spec, pop) -> Output:
        raise NotImplementedError
