"""The generic driver pipeline: units with an outcome and their candidate features in, the drivers
table, the reasons in words and the drill-down out. Conversion and churn drivers both call it.

The engine computes one grouped query (features joined to units, grouped by feature) and the
totals; ``explain.stats`` turns the 2x2 tables into statistics; ``explain.multivariate`` checks
the significant ones together; ``explain.sentences`` writes them as reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
from scipy import stats as sps

from wayfinder.analyses.reasons import Reason
from wayfinder.errors import ConfigError
from wayfinder.explain.multivariate import check_together
from wayfinder.explain.sentences import driver_reason
from wayfinder.explain.stats import contingency

if TYPE_CHECKING:
    from wayfinder.engines.base import Engine

_UNIT_COLUMNS = ("unit_id", "success")
_FEATURE_COLUMNS = ("unit_id", "feature", "label", "kind")


@dataclass
class Drivers:
    """What ``find_drivers`` found.

    ``table``: one row per candidate feature (``feature``, ``label``, ``kind``, the
    ``FeatureStats`` columns, ``lift_low``/``lift_high`` (the rate ratio's interval),
    ``significant``, ``adjusted_odds_ratio`` and ``holds_when_controlled``), significant drivers
    first by q-value. ``reasons``: a sentence per significant driver. ``warnings``: what the
    reader must know before trusting the figures.
    """

    table: pa.Table
    reasons: list[Reason]
    warnings: list[str]
    units: ir.Table = field(repr=False)
    features: ir.Table = field(repr=False)
    #: Units in the population, and how many of them succeeded.
    total: int = 0
    successes: int = 0

    def drill(self, feature: str | None = None, success: bool | None = None) -> ir.Table:
        """The units (``unit_id``) behind one driver: those with ``feature`` (all units when
        None), only successes or only failures when ``success`` is given."""
        units = self.units
        if feature is not None:
            having = self.features.filter(self.features.feature == feature)
            units = units.filter(units.unit_id.isin(having.unit_id))
        if success is not None:
            units = units.filter(units.success == success)
        return units.select("unit_id")

    def significant(self) -> pa.Table:
        """Only the rows of the significant drivers."""
        return self.table.filter(self.table["significant"])


def find_drivers(
    engine: Engine,
    units: ir.Table,
    features: ir.Table,
    *,
    min_support: int = 30,
    fdr: float = 0.05,
    multivariate: bool = True,
    max_model_features: int = 50,
    outcome_words: tuple[str, str] = ("bought", "buy"),
    population_word: str = "people",
    prerequisite_share: float = 0.99,
) -> Drivers:
    """Which features set the units that succeeded apart from the others.

    ``units``: one row per unit of the population (``unit_id`` string, ``success`` boolean).
    ``features``: distinct rows ``unit_id``, ``feature`` (a stable key such as
    ``page:/help/delivery``), ``label`` (marketer words, "viewed /help/delivery") and ``kind``
    (event, page, content, frequency, channel, campaign, property, account, interaction, usage).
    A feature is significant when it has ``min_support`` units, a Benjamini-Hochberg q-value at
    most ``fdr`` across all tested features; then, with ``multivariate``, the strongest
    ``max_model_features`` of them go into one L1 logistic regression.
    ``outcome_words``: the outcome in the past and the base form ("bought", "buy"; "churned",
    "churn"); ``population_word``: what a unit is called in the plural ("people", "accounts").
    A feature that at least ``prerequisite_share`` of the successes have (the cart, the checkout
    pages on the way to a purchase) is a step on the road to the outcome, not a reason for it:
    it is marked ``prerequisite`` and kept out of the drivers, the model and the words.
    """
    for name, t, needed in (
        ("units", units, _UNIT_COLUMNS),
        ("features", features, _FEATURE_COLUMNS),
    ):
        missing = [c for c in needed if c not in t.columns]
        if missing:
            raise ConfigError(f"the driver {name} lack columns", value=missing)
    if not 0 < fdr < 1:
        raise ConfigError("the false discovery rate must be between 0 and 1", value=fdr)

    total, successes = _totals(engine, units)
    counts = _counts(engine, units, features)
    support = np.asarray(counts["support"].to_numpy(zero_copy_only=False), dtype=np.int64)
    a = np.asarray(counts["a"].to_numpy(zero_copy_only=False), dtype=np.int64)
    b = support - a
    c = successes - a
    d = (total - successes) - b
    stats = contingency(a, b, c, d, names=counts["feature"].to_pylist(), min_support=min_support)
    warnings = list(stats.warnings)
    if total == 0:
        warnings.append("nobody is in the population: no drivers can be found")

    with np.errstate(divide="ignore", invalid="ignore"):
        prerequisite = (successes > 0) & (a / max(successes, 1) >= prerequisite_share)
    significant = stats.tested & (np.nan_to_num(stats.q_value, nan=1.0) <= fdr) & ~prerequisite
    if prerequisite.any():
        warnings.append(
            f"{int(prerequisite.sum())} feature(s) were on the way of nearly every success "
            f"(at least {prerequisite_share:.0%}), e.g. "
            + ", ".join(np.asarray(counts["feature"].to_pylist())[prerequisite][:3].tolist())
            + ": steps toward the outcome, not drivers of it; they are marked prerequisite"
        )
    lift_low, lift_high = _lift_interval(a, b, c, d)
    table = (
        stats.table().append_column("label", counts["label"]).append_column("kind", counts["kind"])
    )
    table = table.append_column("lift_low", pa.array(lift_low)).append_column(
        "lift_high", pa.array(lift_high)
    )
    table = table.append_column("prerequisite", pa.array(prerequisite, pa.bool_()))
    table = table.append_column("significant", pa.array(significant))

    names = counts["feature"].to_pylist()
    adjusted = np.full(len(names), np.nan)
    holds: list[bool | None] = [None] * len(names)
    controls: dict[str, list[str]] = {}
    absorbed_by: dict[str, str] = {}
    if multivariate and significant.any():
        order = np.lexsort(
            (
                -np.abs(np.log(np.where(significant, stats.odds_ratio, 1.0))),
                np.where(significant, stats.q_value, np.inf),
            )
        )
        chosen = [names[i] for i in order[: int(significant.sum())][:max_model_features]]
        check = check_together(engine, units, features, chosen, total, successes)
        warnings.extend(check.warnings)
        index = {n: i for i, n in enumerate(names)}
        for key, coef in check.adjusted.items():
            adjusted[index[key]] = np.exp(coef)
        for key, held in check.holds.items():
            i = index[key]
            # A driver holds when the model keeps it with the sign of its own association.
            holds[i] = bool(
                held and np.sign(check.coefficients[key]) == np.sign(np.log(stats.odds_ratio[i]))
            )
        controls = check.controls
        absorbed_by = check.absorbed_by
        if int(significant.sum()) > max_model_features:
            warnings.append(
                f"{int(significant.sum())} significant features; the multivariate check took the "
                f"{max_model_features} strongest"
            )
    table = table.append_column("adjusted_odds_ratio", pa.array(adjusted))
    table = table.append_column("holds_when_controlled", pa.array(holds, pa.bool_()))
    table = _ordered(table)

    labels = dict(zip(names, counts["label"].to_pylist(), strict=True))
    kinds = dict(zip(names, counts["kind"].to_pylist(), strict=True))
    reasons = [
        driver_reason(
            row,
            share=row["support"] / total if total else float("nan"),
            controls=[kinds[k] for k in controls.get(row["feature"], [])],
            absorbed_by=labels.get(absorbed_by.get(row["feature"], "")),
            outcome_words=outcome_words,
            population_word=population_word,
        )
        for row in table.filter(table["significant"]).to_pylist()
    ]
    # Drivers that hold with the others controlled come first; those explained away come last.
    rank = {True: 0, None: 1, False: 2}
    reasons.sort(key=lambda r: rank[r.evidence["holds_when_controlled"]])
    return Drivers(
        table=table,
        reasons=reasons,
        warnings=warnings,
        units=units,
        features=features,
        total=total,
        successes=successes,
    )


def _totals(engine: Engine, units: ir.Table) -> tuple[int, int]:
    totals = engine.to_arrow(
        units.aggregate(total=units.count(), successes=units.success.cast("int64").sum())
    ).to_pylist()[0]
    return int(totals["total"] or 0), int(totals["successes"] or 0)


def _counts(engine: Engine, units: ir.Table, features: ir.Table) -> pa.Table:
    """The one grouped query: per feature, how many units have it and how many of them succeeded.
    Features of units outside the population do not count (inner join)."""
    u = units.select(_unit=units.unit_id, _success=units.success.cast("int64"))
    f = features.select("unit_id", "feature", "label", "kind")
    joined = f.join(u, f.unit_id == u._unit)
    grouped = joined.group_by("feature").aggregate(
        label=joined.label.max(),
        kind=joined.kind.max(),
        support=joined.count(),
        a=joined._success.sum(),
    )
    out = engine.to_arrow(grouped.order_by("feature"))
    if out.num_rows == 0:
        return pa.table(
            {
                "feature": pa.array([], pa.string()),
                "label": pa.array([], pa.string()),
                "kind": pa.array([], pa.string()),
                "support": pa.array([], pa.int64()),
                "a": pa.array([], pa.int64()),
            }
        )
    return out


def _lift_interval(a, b, c, d, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Katz's log interval of the rate ratio (the lift), +0.5 in every cell when one is zero."""
    fa, fb, fc, fd = (np.asarray(x, dtype=np.float64) for x in (a, b, c, d))
    zero = (fa == 0) | (fb == 0) | (fc == 0) | (fd == 0)
    half = np.where(zero, 0.5, 0.0)
    fa, fb, fc, fd = fa + half, fb + half, fc + half, fd + half
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rr = np.log(fa / (fa + fb)) - np.log(fc / (fc + fd))
        se = np.sqrt(1 / fa - 1 / (fa + fb) + 1 / fc - 1 / (fc + fd))
    z = sps.norm.ppf((1 + level) / 2)
    empty = (np.asarray(a) + np.asarray(b) == 0) | (np.asarray(c) + np.asarray(d) == 0)
    low = np.where(empty, np.nan, np.exp(log_rr - z * se))
    high = np.where(empty, np.nan, np.exp(log_rr + z * se))
    return low, high


def _ordered(table: pa.Table) -> pa.Table:
    """Significant drivers first by q-value, then by the size of the effect; the rest by p."""
    rows = table.to_pylist()

    def key(r: dict[str, Any]) -> tuple:
        q, p, odds = r["q_value"], r["p_value"], r["odds_ratio"]
        size = abs(np.log(odds)) if odds and np.isfinite(odds) and odds > 0 else 0.0
        return (
            not r["significant"],
            q if q is not None and np.isfinite(q) else 2.0,
            p if p is not None and np.isfinite(p) else 2.0,
            -size,
            r["feature"] or "",
        )

    order = sorted(range(len(rows)), key=lambda i: key(rows[i]))
    return table.take(pa.array(order, pa.int64())) if rows else table


__all__ = ["Drivers", "find_drivers"]
