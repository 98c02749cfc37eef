"""The why engine: what sets converters apart from the rest. So far the per-feature statistics of
2x2 contingency tables (`contingency`); the drivers themselves come with the rest of issue 6."""

from __future__ import annotations

from wayfinder.explain.stats import FeatureStats, contingency

__all__ = ["FeatureStats", "contingency"]
