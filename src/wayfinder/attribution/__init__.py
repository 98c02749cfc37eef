"""Attribution math on aggregated path tables: every model side by side (`from_paths`) and the
result they share (`Attribution`). Pure numpy/scipy on small aggregates; no engine in here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from wayfinder.attribution.bootstrap import intervals
from wayfinder.attribution.credit import MODELS, Credit
from wayfinder.attribution.heuristics import (
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    linear_distinct,
    position_based,
)
from wayfinder.attribution.inputs import read_path_table
from wayfinder.attribution.markov import ORDERS, MarkovChain
from wayfinder.attribution.markov import markov as _markov
from wayfinder.attribution.path_table import PathTable
from wayfinder.attribution.shapley import shapley as _shapley
from wayfinder.attribution.shapley import shapley_simplified
from wayfinder.errors import ConfigError

TIME_DECAY_NOTE = (
    "time_decay is left out: it weighs touches by their time before the conversion, and a path "
    "table has no times (the workspace runner computes it from touchpoints)"
)


@dataclass
class Attribution:
    """Every model's credit on one path table, the fitted Markov chains (their
    ``transitions()`` are the transition matrices) and, when asked for, bootstrap intervals."""

    credits: dict[str, Credit]  # by model name, in the order of credit.MODELS
    chains: dict[int, MarkovChain]
    intervals: dict[str, dict[str, tuple[float, float, float, float]]] | None
    path_table: PathTable
    notes: list[str] = field(default_factory=list)  # what was left out or looks odd, and why

    @property
    def channels(self) -> tuple[str, ...]:
        return self.path_table.channels

    def table(self, measure: str = "conversions") -> pa.Table:
        """Models side by side: ``channel`` and one column per model, in ``measure``
        (``"conversions"`` or ``"value"``)."""
        if measure not in ("conversions", "value"):
            raise ConfigError(
                "measure must be conversions or value", value=measure, hint="conversions, value"
            )
        columns: dict[str, Any] = {"channel": pa.array(self.channels, pa.string())}
        for name, credit in self.credits.items():
            columns[name] = pa.array(getattr(credit, measure), pa.float64())
        return pa.table(columns)

    def long(self) -> pa.Table:
        """One row per channel and model: ``channel, model, conversions, value,
        share_conversions, share_value`` (shares of the model's total, 0 when it is 0)."""
        rows: dict[str, list[Any]] = {
            key: [] for key in ("channel", "model", "conversions", "value")
        }
        shares: dict[str, list[np.ndarray]] = {"share_conversions": [], "share_value": []}
        for name, credit in self.credits.items():
            rows["channel"].extend(credit.channels)
            rows["model"].extend([name] * len(credit.channels))
            rows["conversions"].extend(credit.conversions.tolist())
            rows["value"].extend(credit.value.tolist())
            shares["share_conversions"].append(_shares(credit.conversions))
            shares["share_value"].append(_shares(credit.value))
        schema = pa.schema(
            [("channel", pa.string()), ("model", pa.string())]
            + [(key, pa.float64()) for key in ("conversions", "value", *shares)]
        )
        flat = {k: np.concatenate(v) if v else np.zeros(0) for k, v in shares.items()}
        return pa.table({**rows, **flat}, schema=schema)


def from_paths(
    table: Any,
    path: str = "path",
    conversions: str = "total_conversions",
    value: str | None = None,
    nulls: str | None = None,
    sep: str = ">",
    orders: Iterable[int] = (1, 2, 3),
    direct: Iterable[str] = ("Direct",),
    position: tuple[float, float] = (0.4, 0.4),
    shapley_max_channels: int = 20,
    bootstrap: int = 0,
    seed: int = 0,
) -> Attribution:
    """Every model on an aggregated path table (ChannelAttribution's and
    marketing-attribution-models' format).

    ``table`` is a pandas DataFrame, a pyarrow Table, a dict of columns, a CSV file (``;`` or
    ``,`` separated) or a :class:`PathTable`; the column arguments name its columns. Without
    ``nulls`` every journey converted, and the Markov chains see no lost journeys. ``bootstrap``
    replicates (0 for none) give percentile intervals for the data-driven models (the Markov
    orders and Shapley).

    >>> result = from_paths({"path": ["Email > Search", "Search"], "total_conversions": [2, 1],
    ...                      "total_null": [1, 3]}, nulls="total_null", orders=(1,))
    >>> result.credits["last_touch"].as_dict()["Search"]
    (3.0, 0.0)
    """
    pt = read_path_table(table, path, conversions, value, nulls, sep)
    orders = _orders(orders)
    direct = (direct,) if isinstance(direct, str) else tuple(direct)
    first, last = position
    notes = [TIME_DECAY_NOTE]
    if not set(direct) & set(pt.channels):
        notes.append(
            f"no channel is direct ({', '.join(direct) or 'none given'}): last_non_direct "
            "equals last_touch"
        )
    if pt.total_value == 0:
        notes.append("no conversion value: value credit is 0 for every model")
    if pt.nulls.sum() == 0:
        notes.append(
            "no journeys without conversion (nulls): the data-driven models only see which "
            "channels converting journeys went through"
        )
    credits = [
        first_touch(pt),
        last_touch(pt),
        last_non_direct(pt, direct),
        linear(pt),
        linear_distinct(pt),
        position_based(pt, first, last),
    ]
    chains = {order: MarkovChain.fit(pt, order) for order in orders}
    credits += [chain.credit() for chain in chains.values()]
    credits += [_shapley(pt, shapley_max_channels), shapley_simplified(pt)]
    data_driven: list[Callable[[PathTable], Credit]] = [
        partial(_markov, order=order) for order in orders
    ]
    data_driven.append(partial(_shapley, max_channels=shapley_max_channels))
    found = None
    if bootstrap:
        found = intervals(pt, data_driven, reps=bootstrap, seed=seed)
    by_name = {credit.model: credit for credit in credits}
    ordered = {name: by_name[name] for name in MODELS if name in by_name}
    return Attribution(ordered, chains, found, pt, notes)


def _orders(orders: Iterable[int]) -> tuple[int, ...]:
    chosen = tuple(sorted(set(orders)))
    wrong = [o for o in chosen if o not in ORDERS]
    if wrong:
        raise ConfigError("Markov orders must be 1, 2 or 3", value=wrong[0])
    return chosen


def _shares(column: np.ndarray) -> np.ndarray:
    whole = column.sum()
    return column / whole if whole else np.zeros_like(column)


# The models stay in their modules (``wayfinder.attribution.markov.markov``): a function
# re-exported here under its module's name would shadow the module itself.
__all__ = ["Attribution", "Credit", "MarkovChain", "PathTable", "from_paths", "intervals"]
