"""Shapley-value credit over coalitions of channels, exact by subset sums (O(n 2^n)), and the
simplified equal-split variant that needs no coalitions."""

from __future__ import annotations

import math

import numpy as np

from wayfinder.attribution.credit import Credit, scaled
from wayfinder.attribution.heuristics import linear_distinct
from wayfinder.attribution.path_table import PathTable
from wayfinder.errors import ConfigError

#: Past this many channels the 2^n coalition tables take gigabytes, whatever max_channels says.
EXACT_LIMIT = 26


def channel_sets(pt: PathTable) -> np.ndarray:
    """Each path's set of distinct channels as a bit mask (bit ``i`` is ``pt.channels[i]``)."""

    def build() -> np.ndarray:
        t = pt.touches()
        if t.starts.size == 0:
            return np.zeros(0, dtype=np.int64)
        return np.bitwise_or.reduceat(np.left_shift(np.int64(1), t.channel), t.starts)

    return pt._memo("channel_sets", build)


def coalition_values(pt: PathTable) -> tuple[np.ndarray, np.ndarray]:
    """The characteristic functions over every coalition ``S`` (indexed by bit mask):
    the conversion rate and the value per journey of the journeys whose channel set is a
    subset of ``S``; 0 for a coalition no journey fits in (the empty one among them)."""
    n = len(pt.channels)
    sets = channel_sets(pt)
    within = np.stack(
        [
            np.bincount(sets, weights=pt.conversions + pt.nulls, minlength=1 << n),
            np.bincount(sets, weights=pt.conversions, minlength=1 << n),
            np.bincount(sets, weights=pt.value, minlength=1 << n),
        ],
        axis=1,
    )
    # Zeta transform: after step i, each mask holds the sums over its subsets that differ
    # from it in bits below i + 1 only; after n steps, over all its subsets.
    for bit in range(n):
        pairs = within.reshape(-1, 2, 1 << bit, 3)
        pairs[:, 1] += pairs[:, 0]
    journeys = within[:, 0]
    rate = np.divide(within[:, 1], journeys, out=np.zeros(1 << n), where=journeys > 0)
    worth = np.divide(within[:, 2], journeys, out=np.zeros(1 << n), where=journeys > 0)
    return rate, worth


def shapley(pt: PathTable, max_channels: int = 20) -> Credit:
    """Exact Shapley credit with ``v(S)`` the conversion rate (value per journey for value) of
    the journeys whose channels all lie in ``S``: ``phi_i = sum over S without i of
    |S|! (n - |S| - 1)! / n! x (v(S + i) - v(S))``, then ``phi / v(all) x total``. The phis add
    up to ``v(all)``, so credits add up to the total. A channel whose journeys convert less
    than the journeys without it gets negative credit; it is kept, not clipped."""
    n = len(pt.channels)
    if n > min(max_channels, EXACT_LIMIT):
        raise ConfigError(
            "too many channels for exact Shapley credit",
            value=f"{n} channels, at most {min(max_channels, EXACT_LIMIT)}",
            hint="group small channels into 'Other' first "
            f"(PathTable.group_small(keep={min(max_channels, EXACT_LIMIT)}))",
        )
    if n == 0:
        return scaled(pt, "shapley", np.zeros(0), np.zeros(0))
    rate, worth = coalition_values(pt)
    values = np.stack([rate, worth], axis=1)
    sizes = _sizes(n)
    # Weight of a coalition of s channels in the marginal contributions of a channel outside it.
    weight = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])
    phi = np.empty((n, 2))
    for bit in range(n):
        pairs = values.reshape(-1, 2, 1 << bit, 2)
        without = sizes.reshape(-1, 2, 1 << bit)[:, 0]
        gain = pairs[:, 1] - pairs[:, 0]
        phi[bit] = np.einsum("ab,abk->k", weight[without], gain)
    return _credit(pt, "shapley", phi, values[-1])


def shapley_simplified(pt: PathTable) -> Credit:
    """Shapley value of the count game ``v(S)`` = conversions (value) of the journeys whose
    channels all lie in ``S``. Its Harsanyi dividends are the conversions of each exact channel
    set, so each converting journey's credit splits equally over its distinct channels: the same
    figures as ``linear_distinct``, with no channel limit."""
    credit = linear_distinct(pt)
    return Credit("shapley_simplified", credit.channels, credit.conversions, credit.value)


def _credit(pt: PathTable, model: str, phi: np.ndarray, whole: np.ndarray) -> Credit:
    # phi sums to v(all); scaling by total / v(all) keeps negative phis negative.
    conv = phi[:, 0] / whole[0] * pt.total_conversions if whole[0] else np.zeros(len(phi))
    worth = phi[:, 1] / whole[1] * pt.total_value if whole[1] else np.zeros(len(phi))
    return Credit(model, pt.channels, conv, worth)


def _sizes(n: int) -> np.ndarray:
    """Number of channels in every coalition mask 0 .. 2^n - 1."""
    sizes = np.zeros(1, dtype=np.int64)
    for _ in range(n):
        sizes = np.concatenate([sizes, sizes + 1])
    return sizes
