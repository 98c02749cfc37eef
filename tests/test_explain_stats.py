"""Per-feature contingency statistics against scipy computed table by table, and their invariants
(q-values, intervals, phi) on hypothesis-generated tables."""

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from scipy.stats.contingency import expected_freq, odds_ratio

from wayfinder.errors import ConfigError
from wayfinder.explain import contingency

# (a, b, c, d): with & success, with & failure, without & success, without & failure.
TABLES = [
    (30, 70, 50, 350),  # ordinary, chi-square
    (0, 5, 10, 10),  # zero cell, small: Fisher
    (3, 0, 7, 9),  # zero cell elsewhere
    (0, 0, 10, 5),  # nobody with the feature
    (5, 5, 0, 0),  # nobody without it
    (0, 10, 0, 20),  # no successes at all
    (1, 0, 0, 1),  # tiniest informative table
    (2, 3, 4, 1),  # tiny, no zeros
    (4, 96, 40, 860),  # expected count just under 5 in one cell
    (10**9, 2 * 10**9, 3 * 10**9, 10**9 + 7),  # huge
    (12, 10**7, 15, 10**7 + 3),  # rare success in a huge population
    (0, 10**6, 5, 10**6),  # zero cell in a big table
]


def reference(a, b, c, d):
    """One table with scipy, the slow way: what `contingency` must reproduce."""
    z = sps.norm.ppf(0.975)
    table = np.array([[a, b], [c, d]])
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return {"p": math.nan, "test": "", "or": math.nan, "phi": math.nan, "ci": (math.nan,) * 2}
    if min(a, b, c, d) == 0:
        ca, cb, cc, cd = (x + 0.5 for x in (a, b, c, d))
        est = ca * cd / (cb * cc)
        se = math.sqrt(1 / ca + 1 / cb + 1 / cc + 1 / cd)
        ci = (est * math.exp(-z * se), est * math.exp(z * se))
    else:
        found = odds_ratio(table, kind="sample")
        est, ci = found.statistic, tuple(found.confidence_interval(0.95))
    if expected_freq(table).min() < 5:
        p, test = sps.fisher_exact(table).pvalue, "fisher"
    else:
        p, test = sps.chi2_contingency(table, correction=False).pvalue, "chi2"
    chi2 = sps.chi2_contingency(table, correction=False).statistic
    v = sps.contingency.association(table, method="cramer")  # |phi| for a 2x2 table
    sign = np.sign(float(a) * d - float(b) * c)
    assert math.isclose(v, math.sqrt(chi2 / table.sum()), rel_tol=1e-9, abs_tol=1e-12)
    return {"p": p, "test": test, "or": est, "phi": sign * v, "ci": ci}


@pytest.mark.parametrize("cells", TABLES, ids=[str(t) for t in TABLES])
def test_each_table_matches_scipy(cells):
    a, b, c, d = cells
    s = contingency(*([x] for x in cells))
    ref = reference(*cells)
    assert s.test[0] == ref["test"]
    close = dict(rel=1e-9, abs=1e-300, nan_ok=True)
    assert s.p_value[0] == pytest.approx(ref["p"], **close)
    assert s.odds_ratio[0] == pytest.approx(ref["or"], **close)
    assert s.odds_ratio_low[0] == pytest.approx(ref["ci"][0], rel=1e-6, nan_ok=True)
    assert s.odds_ratio_high[0] == pytest.approx(ref["ci"][1], rel=1e-6, nan_ok=True)
    assert s.phi[0] == pytest.approx(ref["phi"], rel=1e-9, abs=1e-12, nan_ok=True)
    rate_with = a / (a + b) if a + b else math.nan
    rate_without = c / (c + d) if c + d else math.nan
    assert s.rate_with[0] == pytest.approx(rate_with, nan_ok=True)
    assert s.rate_without[0] == pytest.approx(rate_without, nan_ok=True)
    assert s.support[0] == a + b
    assert bool(s.corrected[0]) == (min(cells) == 0 and not math.isnan(ref["or"]))


def test_all_tables_at_once_match_one_by_one():
    a, b, c, d = (np.array(col) for col in zip(*TABLES, strict=True))
    together = contingency(a, b, c, d)
    for i, cells in enumerate(TABLES):
        alone = contingency(*([x] for x in cells))
        for name in ("p_value", "odds_ratio", "odds_ratio_low", "phi", "lift"):
            assert getattr(together, name)[i] == pytest.approx(getattr(alone, name)[0], nan_ok=True)


def test_undefined_cells_are_nan_not_numbers():
    s = contingency([0, 5, 0, 2], [0, 5, 10, 3], [10, 0, 0, 0], [5, 0, 20, 4])
    assert np.isnan(s.rate_with[0]) and np.isnan(s.rate_without[1])
    assert np.isnan(s.lift[2])  # 0 / 0
    assert s.lift[3] == np.inf  # a positive rate over a zero one
    assert np.isnan(s.odds_ratio[:3]).all() and np.isnan(s.p_value[:3]).all()
    assert list(s.test) == ["", "", "", "fisher"]
    assert list(s.tested) == [False, False, False, True]
    assert any("empty margin" in w for w in s.warnings)


def bh_reference(p):
    """Benjamini-Hochberg written out: q_(i) = min over j >= i of p_(j) * m / j."""
    order = np.argsort(p)
    m = len(p)
    q = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


def test_q_values_are_benjamini_hochberg_over_tested_features_only():
    a = np.array([30, 2, 12, 40, 50, 1, 25])
    b = np.array([70, 1, 88, 60, 50, 2, 75])
    c = np.array([50, 60, 60, 60, 60, 60, 60])
    d = np.array([350, 340, 340, 340, 340, 340, 340])
    s = contingency(a, b, c, d, min_support=10)
    assert list(s.tested) == [True, False, True, True, True, False, True]
    tested = s.tested
    np.testing.assert_allclose(s.q_value[tested], bh_reference(s.p_value[tested]), rtol=1e-12)
    assert np.isnan(s.q_value[~tested]).all() and not np.isnan(s.p_value).any()
    assert any("minimum support of 10" in w for w in s.warnings)


def test_imbalance_warning():
    rare = contingency([3, 1], [300, 400], [9, 11], [688, 588])
    assert any("successes are 1.2% of the population (12 of 1000)" in w for w in rare.warnings)
    balanced = contingency([30, 40], [70, 60], [50, 40], [350, 360])
    assert balanced.warnings == ()
    common = contingency([99], [1], [890], [10])
    assert any("failures are 1.1%" in w for w in common.warnings)


def test_table_names_and_read_only_arrays():
    s = contingency([30, 0], [70, 5], [50, 10], [350, 10], names=["/pricing", "webinar"])
    t = s.table()
    assert t.column_names[0] == "feature" and t.num_rows == 2 == len(s)
    assert t.schema.field("p_value").type == pa.float64()
    assert t.schema.field("test").type == pa.string()
    with pytest.raises(ValueError):
        s.p_value[0] = 0.5


@pytest.mark.parametrize(
    "cells",
    [
        ([1], [2], [3], [-1]),
        ([1.5], [2], [3], [4]),
        ([1, 2], [2], [3], [4]),
        (["x"], [1], [1], [1]),
    ],
)
def test_bad_counts_are_refused(cells):
    with pytest.raises(ConfigError):
        contingency(*cells)


def test_empty_input_gives_empty_result():
    s = contingency([], [], [], [])
    assert len(s) == 0 and s.warnings == ()


counts = st.integers(min_value=0, max_value=10**6)
tables = st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_invariants(rows):
    a, b, c, d = (np.array(col) for col in zip(*rows, strict=True))
    s = contingency(a, b, c, d)
    ok = ~np.isnan(s.phi)
    assert np.all(np.abs(s.phi[ok]) <= 1)
    has_or = ~np.isnan(s.odds_ratio)
    assert np.all(s.odds_ratio_low[has_or] <= s.odds_ratio[has_or] * (1 + 1e-12))
    assert np.all(s.odds_ratio[has_or] <= s.odds_ratio_high[has_or] * (1 + 1e-12))
    assert np.all(np.isfinite(s.odds_ratio[has_or]))
    p, q = s.p_value[s.tested], s.q_value[s.tested]
    assert np.all((p >= 0) & (p <= 1 + 1e-12)) and np.all(q <= 1 + 1e-12)
    assert np.all(q >= p - 1e-12)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-12)  # a smaller p never gets a larger q


@settings(max_examples=100, deadline=None)
@given(st.tuples(*(st.integers(0, 40),) * 4))
def test_small_tables_match_scipy(cells):
    s = contingency(*([x] for x in cells))
    ref = reference(*cells)
    assert s.test[0] == ref["test"]
    assert s.p_value[0] == pytest.approx(ref["p"], rel=1e-9, abs=1e-300, nan_ok=True)
    assert s.phi[0] == pytest.approx(ref["phi"], rel=1e-9, abs=1e-12, nan_ok=True)
