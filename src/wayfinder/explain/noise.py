"""Sampling noise of the figures a change is split into: the variances of counts, sums and rates
pooled over the periods compared, and how often the largest of many moves is that large by
chance. Pure functions; ``explain.decompose`` turns them into each value's z.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: A value's move stands out from the noise when the most surprising of all the values compared
#: would be that far out by chance at most this often (family-wise, ``by_chance``).
FAMILY_CHANCE = 0.05


def signed_inf(x: float) -> float:
    return math.copysign(math.inf, x) if x else 0.0


def z_score(surprise: float, variance: float) -> float:
    return surprise / math.sqrt(variance) if variance > 0 else signed_inf(surprise)


def pooled_variances(
    current: Sequence[float], base: Sequence[float], scale: float
) -> tuple[list[float], list[float]]:
    """Sampling variances of each value's current figure and of its base (the compared periods'
    raw sum times ``scale``), from their second moments ``current`` and ``base`` (raw sums:
    the count itself for counts and unique people, Poisson; the sum of squared values for
    sums, compound Poisson). Pooled over both sides, as under "nothing changed": the value's
    rate of second moment per unit of time is the same in every period, and the current
    period is ``scale`` times as long as the compared ones together.

    >>> pooled_variances([10], [40], 0.25)   # 50 over 5 weeks: 10 a week, the base averaged
    ([10.0], [2.5])
    """
    share = scale / (1 + scale)  # the current period's part of the time
    pooled = [float(c) + float(b) for c, b in zip(current, base, strict=True)]
    return [q * share for q in pooled], [q * (1 - share) * scale**2 for q in pooled]


def rate_variances(
    numerator_moment: Sequence[float],
    numerator: Sequence[float],
    denominator: Sequence[float],
    current_denominator: Sequence[float],
    base_denominator: Sequence[float],
) -> tuple[list[float], list[float]]:
    """Sampling variances of each value's current and base rate (numerator over denominator,
    each unit of the denominator carrying a number ``x``): ``var(x) / units``, with ``var(x)``
    pooled over both periods, ``sum(x^2) / units - rate^2`` (``rate (1 - rate)`` for a
    conversion rate, whose ``x`` is 0 or 1). Arguments are raw sums over both periods, then each
    period's raw denominator (units); a period without units has no rate and no variance.

    >>> rate_variances([20], [20], [100], [50], [50])   # 20% converting: 0.16 / 50 units
    ([0.0032], [0.0032])
    """
    current, base = [], []
    rows = zip(numerator_moment, numerator, denominator, current_denominator, base_denominator,
               strict=True)  # fmt: skip
    for q, n, d, d1, d0 in rows:
        spread = max(q / d - (n / d) ** 2, 0.0) if d else 0.0
        current.append(spread / d1 if d1 else 0.0)
        base.append(spread / d0 if d0 else 0.0)
    return current, base


def by_chance(z: float, values: int) -> float:
    """The chance that, when nothing changed, the most surprising of ``values`` values is at
    least ``|z|`` standard errors out: ``1 - (1 - p)^values`` with ``p`` the two-sided normal
    tail (Sidak). Picking the largest of many moves finds a big one by chance; this says how
    often.

    >>> round(by_chance(1.96, 1), 3), round(by_chance(1.96, 16), 2), round(by_chance(3.3, 16), 3)
    (0.05, 0.56, 0.015)
    """
    p = math.erfc(abs(z) / math.sqrt(2))
    return -math.expm1(max(values, 1) * math.log1p(-min(p, 1 - 1e-16)))


__all__ = [
    "FAMILY_CHANCE",
    "by_chance",
    "pooled_variances",
    "rate_variances",
    "signed_inf",
    "z_score",
]
