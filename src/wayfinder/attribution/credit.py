"""The credit one attribution model gives each channel, in conversions and in value.
Also the two ways models build it: per-touch shares spread over each path, or channel weights
scaled to the totals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wayfinder.attribution.path_table import PathTable

#: Every model name, in the order results list them.
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "linear_distinct",
    "position_based",
    "time_decay",
    "markov_1",
    "markov_2",
    "markov_3",
    "shapley",
    "shapley_simplified",
)


@dataclass(frozen=True, eq=False)
class Credit:
    """Credit per channel from one model: ``conversions`` sums to the table's total
    conversions and ``value`` to its total value (Shapley credit may be negative)."""

    model: str
    channels: tuple[str, ...]
    conversions: np.ndarray  # float64, aligned with channels
    value: np.ndarray  # float64, aligned with channels

    def __post_init__(self) -> None:
        for name in ("conversions", "value"):
            column = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1)
            if column.shape[0] != len(self.channels):
                raise ValueError(f"{name} must hold one credit per channel")
            object.__setattr__(self, name, column)

    def as_dict(self) -> dict[str, tuple[float, float]]:
        """``{channel: (conversions, value)}``."""
        return {
            channel: (float(conv), float(worth))
            for channel, conv, worth in zip(
                self.channels, self.conversions, self.value, strict=True
            )
        }

    def __repr__(self) -> str:
        pairs = zip(self.channels, self.conversions, strict=True)
        shown = ", ".join(f"{channel}={conv:.4g}" for channel, conv in pairs)
        return f"Credit({self.model}: {shown})"


def spread(pt: PathTable, model: str, share: np.ndarray) -> Credit:
    """Credit from per-touch shares: ``share[i]`` is the part of its path's conversions (and
    value) that touch ``i`` of ``pt.touches()`` earns; a path's shares sum to 1."""
    t = pt.touches()
    size = len(t.channels)
    conversions = np.bincount(t.channel, weights=share * pt.conversions[t.path], minlength=size)
    value = np.bincount(t.channel, weights=share * pt.value[t.path], minlength=size)
    return Credit(model, t.channels, conversions, value)


def scaled(pt: PathTable, model: str, for_conversions: np.ndarray, for_value: np.ndarray) -> Credit:
    """Credit proportional to channel weights: ``weight / sum(weight) x total``, for
    conversions and value separately (all zero when the weights are)."""
    return Credit(
        model,
        pt.channels,
        _to_total(for_conversions, pt.total_conversions),
        _to_total(for_value, pt.total_value),
    )


def _to_total(weight: np.ndarray, total: float) -> np.ndarray:
    weight = np.asarray(weight, dtype=np.float64)
    whole = weight.sum()
    if whole == 0 or total == 0:
        return np.zeros_like(weight)
    return weight / whole * total
