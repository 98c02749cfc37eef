"""Per-feature statistics of 2x2 contingency tables (feature x outcome), many features at once:
rates, lift, odds ratio with its interval, phi, p-value and Benjamini-Hochberg q-value."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa
from scipy import stats as sps

from wayfinder.errors import ConfigError

# Below this expected count in any cell the chi-square approximation is poor (Cochran's rule).
FISHER_BELOW = 5.0


@dataclass(frozen=True)
class FeatureStats:
    """One entry per feature in every array (read-only numpy arrays), plus the warnings.

    Counts: ``a`` with the feature and success, ``b`` with and failure, ``c`` without and
    success, ``d`` without and failure; ``support = a + b``. Undefined values are NaN, never a
    made-up number: a rate with nobody in its row, a lift over a zero rate without the feature
    (``inf`` when the rate with it is positive), and odds ratio, interval, phi and p-value when a
    margin is empty (no one with or without the feature, no successes or no failures).
    ``test`` names the p-value's test (``"fisher"``, ``"chi2"``, or ``""`` when there is none).
    ``tested`` marks the features with a p-value and at least the minimum support: only those
    get a q-value, and only they count in the false discovery rate.
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    support: np.ndarray
    rate_with: np.ndarray
    rate_without: np.ndarray
    lift: np.ndarray
    odds_ratio: np.ndarray
    odds_ratio_low: np.ndarray
    odds_ratio_high: np.ndarray
    corrected: np.ndarray  # Haldane-Anscombe +0.5 applied to the odds ratio (a cell was zero)
    phi: np.ndarray
    p_value: np.ndarray
    test: np.ndarray
    tested: np.ndarray
    q_value: np.ndarray
    names: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.a)

    def table(self) -> pa.Table:
        """The statistics as an Arrow table, one row per feature (``feature`` first when the
        features were named); NaN stays NaN."""
        columns: dict[str, Any] = {}
        if self.names is not None:
            columns["feature"] = pa.array(self.names, pa.string())
        for f in fields(self):
            if f.name not in ("names", "warnings"):
                columns[f.name] = pa.array(getattr(self, f.name))
        return pa.table(columns)


def contingency(
    a: Any,
    b: Any,
    c: Any,
    d: Any,
    *,
    names: Any = None,
    min_support: int = 0,
    level: float = 0.95,
    imbalance: float = 0.05,
) -> FeatureStats:
    """Statistics for many 2x2 tables at once; ``a, b, c, d`` are equal-length vectors of counts
    (with & success, with & failure, without & success, without & failure).

    * ``rate_with = a / (a + b)``, ``rate_without = c / (c + d)``, ``lift`` their ratio.
    * Odds ratio ``ad / bc`` with a ``level`` interval by Woolf's log method; when a cell is zero
      all four get +0.5 (Haldane-Anscombe), so the estimate and interval stay finite.
    * ``phi = (ad - bc) / sqrt((a+b)(c+d)(a+c)(b+d))``, in [-1, 1].
    * p-value, two-sided: Fisher's exact test when any expected count is below 5, else Pearson's
      chi-square (1 df) without continuity correction.
    * q-value: Benjamini-Hochberg across the tested features (a p-value and
      ``support >= min_support``).

    ``warnings`` says when successes or failures are under ``imbalance`` of the population, where
    a large lift can rest on a handful of people.

    >>> s = contingency([30], [70], [50], [350])
    >>> round(float(s.lift[0]), 2), round(float(s.odds_ratio[0]), 2), str(s.test[0])
    (2.4, 3.0, 'chi2')
    """
    a, b, c, d = _counts(a, b, c, d)
    if not 0 < level < 1:
        raise ConfigError("the confidence level must be between 0 and 1", value=level)
    if not 0 <= imbalance < 0.5:
        raise ConfigError("the imbalance share must be in [0, 0.5)", value=imbalance)
    if names is not None:
        names = tuple(str(n) for n in names)
        if len(names) != len(a):
            raise ConfigError("one name per feature is needed", value=len(names), hint=str(len(a)))
    # Floats from here on: products of counts in the billions overflow int64.
    fa, fb, fc, fd = (x.astype(np.float64) for x in (a, b, c, d))
    with_, without = fa + fb, fc + fd
    success, failure = fa + fc, fb + fd
    total = with_ + without
    degenerate = (with_ == 0) | (without == 0) | (success == 0) | (failure == 0)

    with np.errstate(divide="ignore", invalid="ignore"):
        rate_with = np.where(with_ > 0, fa / with_, np.nan)
        rate_without = np.where(without > 0, fc / without, np.nan)
        lift = rate_with / rate_without  # x/0 -> inf, 0/0 -> NaN, as documented

        corrected = ~degenerate & ((a == 0) | (b == 0) | (c == 0) | (d == 0))
        half = np.where(corrected, 0.5, 0.0)
        ca, cb, cc, cd = fa + half, fb + half, fc + half, fd + half
        log_or = np.log(ca) + np.log(cd) - np.log(cb) - np.log(cc)
        z = sps.norm.ppf((1 + level) / 2)
        spread = z * np.sqrt(1 / ca + 1 / cb + 1 / cc + 1 / cd)
        odds = np.where(degenerate, np.nan, np.exp(log_or))
        low = np.where(degenerate, np.nan, np.exp(log_or - spread))
        high = np.where(degenerate, np.nan, np.exp(log_or + spread))

        # O - E is the same size in all four cells; from it chi-square and phi follow without
        # forming ad - bc, which loses digits when counts are in the billions.
        expected = np.stack(
            [with_ * success, with_ * failure, without * success, without * failure]
        )
        expected = expected / total
        gap = fa - expected[0]
        chi2 = gap**2 * np.sum(1 / expected, axis=0)
        phi = np.where(degenerate, np.nan, np.sign(gap) * np.sqrt(np.clip(chi2 / total, 0, 1)))

    fisher = ~degenerate & (expected.min(axis=0, initial=np.inf) < FISHER_BELOW)
    chi = ~degenerate & ~fisher
    p = np.full(len(a), np.nan)
    p[chi] = sps.chi2.sf(chi2[chi], 1)
    # Only the small tables take this loop, and Fisher's test on them is cheap.
    for i in np.flatnonzero(fisher):
        p[i] = sps.fisher_exact([[a[i], b[i]], [c[i], d[i]]]).pvalue
    test = np.where(fisher, "fisher", np.where(chi, "chi2", ""))

    support = a + b
    tested = ~np.isnan(p) & (support >= min_support)
    q = np.full(len(a), np.nan)
    if tested.any():
        q[tested] = sps.false_discovery_control(p[tested], method="bh")

    found = FeatureStats(
        a=a,
        b=b,
        c=c,
        d=d,
        support=support,
        rate_with=rate_with,
        rate_without=rate_without,
        lift=lift,
        odds_ratio=odds,
        odds_ratio_low=low,
        odds_ratio_high=high,
        corrected=corrected,
        phi=phi,
        p_value=p,
        test=test,
        tested=tested,
        q_value=q,
        names=names,
        warnings=_warnings(success, failure, total, imbalance, support, min_support, degenerate),
    )
    for f in fields(found):
        value = getattr(found, f.name)
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return found


def _counts(*cells: Any) -> tuple[np.ndarray, ...]:
    arrays = [np.atleast_1d(np.asarray(x)) for x in cells]
    if any(x.ndim != 1 for x in arrays) or len({len(x) for x in arrays}) != 1:
        raise ConfigError("a, b, c and d must be vectors of the same length")
    out = []
    for name, x in zip("abcd", arrays, strict=True):
        if x.dtype.kind not in "iuf" and x.size:
            raise ConfigError(f"counts {name} must be numbers", value=x.dtype.name)
        as_float = x.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float < 0) or np.any(as_float % 1):
            raise ConfigError(f"counts {name} must be whole numbers >= 0", value=x.tolist()[:5])
        out.append(x.astype(np.int64))
    return tuple(out)


def _warnings(
    success: np.ndarray,
    failure: np.ndarray,
    total: np.ndarray,
    imbalance: float,
    support: np.ndarray,
    min_support: int,
    degenerate: np.ndarray,
) -> tuple[str, ...]:
    notes = []
    # Features usually share one population; when they do not, the most unbalanced one speaks.
    with np.errstate(divide="ignore", invalid="ignore"):
        minority = np.minimum(success, failure) / total
    if np.any(total > 0):
        i = int(np.nanargmin(np.where(total > 0, minority, np.nan)))
        if minority[i] < imbalance:
            side = "successes" if success[i] <= failure[i] else "failures"
            count = int(min(success[i], failure[i]))
            notes.append(
                f"unbalanced outcome: {side} are {minority[i]:.1%} of the population "
                f"({count} of {int(total[i])}), under {imbalance:.0%}; large lifts may rest on "
                "a few people, so read the intervals before the estimates"
            )
    low = int(np.sum(~degenerate & (support < min_support)))
    if low:
        notes.append(
            f"{low} feature(s) below the minimum support of {min_support} people were not "
            "tested and have no q-value"
        )
    if degenerate.any():
        notes.append(
            f"{int(degenerate.sum())} feature(s) have an empty margin (nobody with or without "
            "the feature, or no successes or failures): no odds ratio, phi or p-value"
        )
    return tuple(notes)
