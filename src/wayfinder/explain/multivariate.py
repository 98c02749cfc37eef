"""The multivariate check of the drivers: which significant features still matter when the others
are controlled for, by an L1-regularised logistic regression on feature patterns.

Units with the same set of features and outcome are one weighted row, so only the pattern counts
leave the engine (one grouped query), never a row per person. Cross-validation folds are drawn by
splitting each pattern's count at random (multinomial thinning): the same as splitting people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

if TYPE_CHECKING:
    from wayfinder.engines.base import Engine

#: Candidate regularisation strengths (scikit-learn's C, per unit since weights count units).
STRENGTHS = np.logspace(-4, 1, 16)
FOLDS = 5
#: A coefficient this close to 0 is dropped: the model did not need the feature.
ZERO = 1e-4
#: scikit-learn 1.8 spells the L1 penalty ``l1_ratio=1``; older releases ``penalty="l1"``.
_L1 = (
    {"l1_ratio": 1.0}
    if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 8)
    else {"penalty": "l1"}
)


@dataclass
class Check:
    """Per chosen feature key: its L1 coefficient, whether it holds, its log odds ratio refitted
    with the holding features (``adjusted``), what it was controlled for, and, when it dropped,
    the holding feature that overlaps it most (``absorbed_by``)."""

    coefficients: dict[str, float] = field(default_factory=dict)
    holds: dict[str, bool] = field(default_factory=dict)
    adjusted: dict[str, float] = field(default_factory=dict)
    controls: dict[str, list[str]] = field(default_factory=dict)
    absorbed_by: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def patterns(
    engine: Engine, units: ir.Table, features: ir.Table, chosen: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bits, success, count)``: each set of chosen features that occurs, as a bit mask, with
    its outcome and how many units share it; units with none of the features have mask 0 and are
    left for the caller to add from the totals."""
    if len(chosen) > 62:
        raise ValueError("at most 62 features fit one bit mask")
    f = features.filter(features.feature.isin(chosen))
    bit = ibis.cases(
        *((f.feature == key, ibis.literal(1 << i, "int64")) for i, key in enumerate(chosen)),
        else_=ibis.literal(0, "int64"),
    )
    # Features are distinct per unit, so the sum of distinct powers of two is the mask.
    per_unit = (
        f.select("unit_id", bit=bit).group_by("unit_id").aggregate(mask=lambda t: t.bit.sum())
    )
    u = units.select(_unit=units.unit_id, _success=units.success)
    joined = per_unit.join(u, per_unit.unit_id == u._unit)
    grouped = joined.group_by(["mask", "_success"]).aggregate(n=joined.count())
    # Sorted, so the random folds are the same whatever order the engine returns groups in.
    out = engine.to_arrow(grouped.order_by(["mask", "_success"]))
    return (
        np.asarray(out["mask"].to_pylist(), dtype=np.int64),
        np.asarray(out["_success"].to_pylist(), dtype=bool),
        np.asarray(out["n"].to_pylist(), dtype=np.int64),
    )


def check_together(
    engine: Engine,
    units: ir.Table,
    features: ir.Table,
    chosen: list[str],
    total: int,
    successes: int,
    *,
    seed: int = 0,
) -> Check:
    """Fit the L1 logistic regression on the ``chosen`` features; see ``Check``."""
    check = Check()
    if not chosen:
        return check
    masks, success, counts = patterns(engine, units, features, chosen)
    # Units with none of the chosen features: the totals minus everyone counted.
    rest_s = successes - int(counts[success].sum())
    rest_f = (total - successes) - int(counts[~success].sum())
    masks = np.append(masks, [0, 0])
    success = np.append(success, [True, False])
    counts = np.append(counts, [rest_s, rest_f])
    keep = counts > 0
    masks, success, counts = masks[keep], success[keep], counts[keep]
    if len(set(success.tolist())) < 2:
        check.warnings.append("multivariate check skipped: everyone has the same outcome")
        return check
    x = ((masks[:, None] >> np.arange(len(chosen))[None, :]) & 1).astype(np.float64)
    y = success.astype(int)

    strength = _cross_validated_strength(x, y, counts, seed)
    lasso = _fit(x, y, counts, strength)
    coef = lasso.coef_[0]
    held = [i for i in range(len(chosen)) if abs(coef[i]) > ZERO]
    for i, key in enumerate(chosen):
        check.coefficients[key] = float(coef[i])
        check.holds[key] = i in held
        check.controls[key] = [k for j, k in enumerate(chosen) if j != i]

    # Relaxed lasso: the L1 fit chose the features; a nearly unpenalised refit sizes them, so the
    # adjusted odds ratios are not shrunk toward 1. A dropped feature is sized beside the held.
    if held:
        refit = _fit(x[:, held], y, counts, 1e4, l1=False)
        for j, i in enumerate(held):
            check.adjusted[chosen[i]] = float(refit.coef_[0][j])
    for i, key in enumerate(chosen):
        if i in held:
            continue
        columns = [*held, i]
        refit = _fit(x[:, columns], y, counts, 1e4, l1=False)
        check.adjusted[key] = float(refit.coef_[0][-1])
        if held:
            check.absorbed_by[key] = chosen[max(held, key=lambda j: _overlap(x, counts, i, j))]
    return check


def _fit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, strength: float, *, l1: bool = True
) -> LogisticRegression:
    if l1:
        # liblinear penalises the intercept; a large scaling makes that penalty negligible.
        model = LogisticRegression(
            C=strength,
            solver="liblinear",
            intercept_scaling=100.0,
            max_iter=1000,
            random_state=0,
            **_L1,
        )
    else:
        model = LogisticRegression(C=strength, solver="lbfgs", max_iter=2000, random_state=0)
    model.fit(x, y, sample_weight=w.astype(np.float64))
    return model


def _cross_validated_strength(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> float:
    """The sparsest strength within one standard error of the best held-out log loss."""
    rng = np.random.default_rng(seed)
    split = np.stack([rng.multinomial(int(n), [1 / FOLDS] * FOLDS) for n in w])  # rows x folds
    losses = np.full((len(STRENGTHS), FOLDS), np.nan)
    for k in range(FOLDS):
        test = split[:, k].astype(np.float64)
        train = w - test
        if test.sum() == 0 or len(set(y[train > 0].tolist())) < 2:
            continue
        for s, strength in enumerate(STRENGTHS):
            model = _fit(x[train > 0], y[train > 0], train[train > 0], strength)
            p = np.clip(model.predict_proba(x)[:, 1], 1e-12, 1 - 1e-12)
            loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            losses[s, k] = float((loss * test).sum() / test.sum())
    mean = np.nanmean(losses, axis=1)
    if np.all(np.isnan(mean)):
        return float(STRENGTHS[-1])
    best = int(np.nanargmin(mean))
    se = np.nanstd(losses[best]) / np.sqrt(np.sum(~np.isnan(losses[best])))
    within = [s for s in range(len(STRENGTHS)) if mean[s] <= mean[best] + se]
    return float(STRENGTHS[min(within)])


def _overlap(x: np.ndarray, w: np.ndarray, i: int, j: int) -> float:
    """Jaccard overlap of the units having feature i and those having feature j."""
    both = float(w[(x[:, i] > 0) & (x[:, j] > 0)].sum())
    either = float(w[(x[:, i] > 0) | (x[:, j] > 0)].sum())
    return both / either if either else 0.0


__all__ = ["Check", "check_together", "patterns"]
