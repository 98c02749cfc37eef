"""The semantic layer: each workspace's named goals, metrics and synonyms, layered from built-in
defaults, the firm's central file and the workspace's own, and compiled to portable Ibis.

    from wayfinder.semantic import Catalog
    catalog = Catalog.load(config_dir, "shop")
    catalog.metric("revenue").compute(ws, start="2026-01-01", by="week")

The file format, layering rules and every built-in definition: ``docs/semantic-layer.md``.
"""

from wayfinder.semantic.catalog import (
    CONFIG_DIR_NAME,
    Catalog,
    GoalRef,
    MetricRef,
    config_dir_for,
)
from wayfinder.semantic.conditions import Condition
from wayfinder.semantic.definitions import Goal, Metric
from wayfinder.semantic.metrics import GRAINS
from wayfinder.semantic.sources import OCCURRENCE_SCHEMA
from wayfinder.semantic.synonyms import Synonym, normalize

__all__ = [
    "CONFIG_DIR_NAME",
    "GRAINS",
    "OCCURRENCE_SCHEMA",
    "Catalog",
    "Condition",
    "Goal",
    "GoalRef",
    "Metric",
    "MetricRef",
    "Synonym",
    "config_dir_for",
    "normalize",
]
