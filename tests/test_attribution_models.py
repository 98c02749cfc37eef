"""Attribution math on path tables, checked against hand computations, an independent dense
fundamental-matrix Markov reference, brute-force Shapley enumeration and invariant properties."""

from __future__ import annotations

import doctest
import itertools
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wayfinder.attribution as wa
from wayfinder.attribution import MarkovChain, PathTable, from_paths, inputs, intervals, path_table
from wayfinder.attribution import markov as markov_module
from wayfinder.attribution.heuristics import (
    first_touch,
    last_non_direct,
    last_touch,
    linear,
    linear_distinct,
    position_based,
)
from wayfinder.attribution.markov import markov
from wayfinder.attribution.shapley import shapley, shapley_simplified
from wayfinder.errors import ConfigError, FileUnreadable, UnknownName

START = "(start)"
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Four hand-written paths: (path, conversions, nulls, value).
HAND = [
    ("Email > Search > Direct", 2, 1, 100.0),
    ("Search", 1, 3, 30.0),
    ("Direct > Direct", 1, 0, 20.0),
    ("Social > Email > Email > Search", 1, 2, 40.0),
]


def hand_table() -> PathTable:
    paths, conv, nulls, value = zip(*HAND, strict=True)
    return PathTable.parse(paths, conv, nulls=nulls, value=value)


def credit_from_shares(shares: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Each path's hand-written split of its credit, times its conversions and value."""
    total: dict[str, list[float]] = {}
    for split, (_, conv, _, value) in zip(shares, HAND, strict=True):
        assert math.isclose(sum(split.values()), 1.0)
        for channel, share in split.items():
            got = total.setdefault(channel, [0.0, 0.0])
            got[0] += share * conv
            got[1] += share * value
    return {channel: (c, v) for channel, (c, v) in total.items()}


def assert_credit(credit, expected: dict[str, tuple[float, float]]) -> None:
    got = {c: v for c, v in credit.as_dict().items() if v != (0.0, 0.0)}
    assert set(got) == set(expected)
    for channel, (conv, value) in expected.items():
        assert got[channel] == pytest.approx((conv, value), rel=1e-12), channel


HEURISTICS = {
    first_touch: [{"Email": 1}, {"Search": 1}, {"Direct": 1}, {"Social": 1}],
    last_touch: [{"Direct": 1}, {"Search": 1}, {"Direct": 1}, {"Search": 1}],
    # The all-direct journey credits its last (direct) touch.
    last_non_direct: [{"Search": 1}, {"Search": 1}, {"Direct": 1}, {"Search": 1}],
    linear: [
        {"Email": 1 / 3, "Search": 1 / 3, "Direct": 1 / 3},
        {"Search": 1},
        {"Direct": 1},
        {"Social": 1 / 4, "Email": 2 / 4, "Search": 1 / 4},
    ],
    linear_distinct: [
        {"Email": 1 / 3, "Search": 1 / 3, "Direct": 1 / 3},
        {"Search": 1},
        {"Direct": 1},
        {"Social": 1 / 3, "Email": 1 / 3, "Search": 1 / 3},
    ],
    position_based: [
        {"Email": 0.4, "Search": 0.2, "Direct": 0.4},
        {"Search": 1},
        {"Direct": 1},
        {"Social": 0.4, "Email": 0.1 + 0.1, "Search": 0.4},
    ],
}


@pytest.mark.parametrize("model", list(HEURISTICS), ids=lambda m: m.__name__)
def test_heuristics_match_hand_computations(model):
    assert_credit(model(hand_table()), credit_from_shares(HEURISTICS[model]))


def test_position_based_with_other_shares_and_last_non_direct_with_several_direct_channels():
    pt = PathTable.parse(["a > b", "a > b > c > d", "a"], [1, 1, 1])
    shares = [{"a": 0.3 / 0.8, "b": 0.5 / 0.8}, {"a": 0.3, "b": 0.1, "c": 0.1, "d": 0.5}, {"a": 1}]
    expected = Counter()
    for split in shares:
        expected.update(split)
    got = position_based(pt, first=0.3, last=0.5).as_dict()
    assert {c: v[0] for c, v in got.items()} == pytest.approx(dict(expected))
    pt = PathTable.parse(["x > Direct > Organic", "Organic > Direct"], [1, 2])
    got = last_non_direct(pt, direct=("Direct", "Organic")).as_dict()
    assert got == {"Direct": (2.0, 0.0), "Organic": (0.0, 0.0), "x": (1.0, 0.0)}
    with pytest.raises(ConfigError, match="more than 1"):
        position_based(pt, first=0.7, last=0.5)


def test_parse_strips_merges_and_names_bad_rows():
    pt = PathTable.parse([" a>b ", "a > b", "b >  > c"], [1, 2, 3], nulls=[0, 1, 1])
    assert pt.paths == (("a", "b"), ("b", "c"))
    assert pt.conversions.tolist() == [3, 3] and pt.nulls.tolist() == [1, 1]
    assert pt.channels == ("a", "b", "c")
    cases = [
        (dict(paths=["a", " > "]), "no touch", "row 2"),
        (dict(paths=["a", None]), "no touch", "row 2"),
        (dict(conversions=[1, -1]), "negative", "row 2"),
        (dict(conversions=[1, "x"]), "numbers", "row 2"),
        (dict(conversions=[float("nan"), 1]), "numbers", "row 1"),
        (dict(nulls=[0, -2]), "negative", "row 2"),
        (dict(value=[5.0, 3.0], conversions=[1, 0]), "no conversions", "row 2"),
        (dict(conversions=[1]), "length", None),
    ]
    for change, what, row in cases:
        arguments = dict(paths=["a", "b"], conversions=[1, 1]) | change
        with pytest.raises(ConfigError, match=what) as error:
            PathTable.parse(**arguments)
        if row:
            assert row in str(error.value.value)


def test_group_small_keeps_the_most_touched_channels_and_the_totals():
    pt = PathTable.parse(["a > x", "a > y > y", "b", "x > y"], [1, 2, 3, 4], nulls=[1, 1, 1, 1])
    # journeys touched: a 5, b 4, x 7, y 8
    grouped = pt.group_small(2)
    assert grouped.channels == ("Other", "x", "y")
    assert grouped.paths == (("Other", "x"), ("Other", "y", "y"), ("Other",), ("x", "y"))
    assert grouped.journeys == pt.journeys and grouped.total_conversions == pt.total_conversions
    assert pt.group_small(10) is pt
    with pytest.raises(ConfigError, match="already a kept channel"):
        pt.group_small(2, other="x")


# ---------------------------------------------------------------- random path tables


@st.composite
def path_tables(draw, channels: str = "abcd", max_paths: int = 8, max_length: int = 6):
    paths = draw(
        st.lists(
            st.lists(st.sampled_from(channels), min_size=1, max_size=max_length).map(tuple),
            min_size=1,
            max_size=max_paths,
            unique=True,
        )
    )
    size = len(paths)
    conv = draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
    nulls = draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
    if sum(conv) + sum(nulls) == 0:
        nulls[0] = 1
    per_conversion = draw(st.lists(st.floats(0.5, 200.0), min_size=size, max_size=size))
    value = [c * v for c, v in zip(conv, per_conversion, strict=True)]
    return PathTable.parse([" > ".join(p) for p in paths], conv, nulls=nulls, value=value)


def reference_chain(pt: PathTable, order: int):
    """A deliberately plain order-k chain: count transitions journey by journey into dicts,
    build a dense Q, and read everything off the fundamental matrix N = (I - Q)^-1."""
    moves: Counter = Counter()
    ends: dict[str, Counter] = {"conv": Counter(), "null": Counter(), "value": Counter()}
    for path, c, n, v in zip(pt.paths, pt.conversions, pt.nulls, pt.value, strict=True):
        if c + n == 0:
            continue
        previous = START
        for t in range(len(path)):
            state = path[max(0, t - order + 1) : t + 1]
            moves[previous, state] += c + n
            previous = state
        ends["conv"][previous] += c
        ends["null"][previous] += n
        ends["value"][previous] += v
    states = [START] + sorted({s for pair in moves for s in pair} - {START})
    index = {s: i for i, s in enumerate(states)}
    leaving = Counter()
    for (a, _), w in moves.items():
        leaving[a] += w
    for s in states:
        leaving[s] += ends["conv"][s] + ends["null"][s]
    q = np.zeros((len(states), len(states)))
    r = np.zeros((len(states), 2))
    for (a, b), w in moves.items():
        q[index[a], index[b]] = w / leaving[a]
    for s in states:
        if leaving[s]:
            r[index[s]] = ends["conv"][s] / leaving[s], ends["value"][s] / leaving[s]

    def solve(removed=None):
        cut = q.copy()
        for s in states[1:]:
            if removed in s:
                cut[:, index[s]] = 0.0  # entering a state holding the channel is lost
        fundamental = np.linalg.inv(np.eye(len(states)) - cut)
        return fundamental[0] @ r

    probabilities = {(a, b): w / leaving[a] for (a, b), w in moves.items()}
    return solve, probabilities


@pytest.mark.parametrize("sweeps", [markov_module.MAX_SWEEPS, 1], ids=["jacobi", "lu"])
@pytest.mark.parametrize("order", [1, 2, 3])
@PROPERTY
@given(pt=path_tables())
def test_markov_matches_the_dense_fundamental_matrix(monkeypatch, sweeps, order, pt):
    # sweeps=1 forces the sparse-LU fallback, so both solvers meet the reference.
    monkeypatch.setattr(markov_module, "MAX_SWEEPS", sweeps)
    chain = MarkovChain.fit(pt, order)
    solve, probabilities = reference_chain(pt, order)
    whole = solve()
    assert chain.conversion_probability() == pytest.approx(whole[0], abs=1e-9)
    assert chain.value_per_journey() == pytest.approx(whole[1], rel=1e-9, abs=1e-9)
    for channel in pt.channels:
        without = solve(channel)
        assert chain.conversion_probability(channel) == pytest.approx(without[0], abs=1e-9)
        assert chain.value_per_journey(channel) == pytest.approx(without[1], rel=1e-9, abs=1e-9)
    transitions = chain.transitions().to_pylist()
    inner = {
        (row["from_state"], row["to_state"]): row["probability"]
        for row in transitions
        if row["to_state"] not in ("(conversion)", "(null)")
    }
    expected = {
        (a if a == START else " > ".join(a), " > ".join(b)): p
        for (a, b), p in probabilities.items()
    }
    assert inner == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
@PROPERTY
@given(pt=path_tables())
def test_markov_chain_reproduces_the_data_and_removal_never_helps(order, pt):
    chain = MarkovChain.fit(pt, order)
    assert chain.conversion_probability() == pytest.approx(
        pt.total_conversions / pt.journeys, abs=1e-12
    )
    assert chain.value_per_journey() == pytest.approx(pt.total_value / pt.journeys, rel=1e-12)
    for channel in pt.channels:
        assert chain.conversion_probability(channel) <= chain.conversion_probability() + 1e-12
        assert chain.value_per_journey(channel) <= chain.value_per_journey() * (1 + 1e-12)
    table = chain.transitions()
    leaving = table.group_by("from_state").aggregate([("probability", "sum")])
    assert leaving.column("probability_sum").to_pylist() == pytest.approx([1.0] * len(leaving))


MODELS = [
    first_touch,
    last_touch,
    last_non_direct,
    linear,
    linear_distinct,
    position_based,
    lambda pt: markov(pt, 1),
    lambda pt: markov(pt, 2),
    lambda pt: markov(pt, 3),
    shapley,
    shapley_simplified,
]


@PROPERTY
@given(pt=path_tables(channels="abcde"))
def test_every_model_hands_out_exactly_the_totals(pt):
    for model in MODELS:
        credit = model(pt)
        assert credit.channels == pt.channels
        assert credit.conversions.sum() == pytest.approx(pt.total_conversions, abs=1e-9)
        assert credit.value.sum() == pytest.approx(pt.total_value, rel=1e-9, abs=1e-9)


def characteristic(pt: PathTable, coalition: frozenset, measure: str) -> float:
    """v(S) as documented, straight from the definition."""
    journeys = numerator = 0.0
    for path, c, n, v in zip(pt.paths, pt.conversions, pt.nulls, pt.value, strict=True):
        if set(path) <= coalition:
            journeys += c + n
            numerator += {"rate": c, "value": v, "count": c}[measure]
    if measure == "count":
        return numerator
    return numerator / journeys if journeys else 0.0


def brute_force_shapley(pt: PathTable, measure: str) -> dict[str, float]:
    channels = pt.channels
    phi = dict.fromkeys(channels, 0.0)
    orders = list(itertools.permutations(channels))
    for order in orders:
        before: frozenset = frozenset()
        for channel in order:
            after = before | {channel}
            phi[channel] += characteristic(pt, after, measure) - characteristic(pt, before, measure)
            before = after
    return {c: p / len(orders) for c, p in phi.items()}


@PROPERTY
@given(pt=path_tables(channels="abcde", max_paths=10))
def test_shapley_matches_brute_force_enumeration(pt):
    everyone = frozenset(pt.channels)
    credit = shapley(pt).as_dict()
    for index, (measure, total) in enumerate(
        [("rate", pt.total_conversions), ("value", pt.total_value)]
    ):
        phi = brute_force_shapley(pt, measure)
        whole = characteristic(pt, everyone, measure)
        for channel in pt.channels:
            expected = phi[channel] / whole * total if whole else 0.0
            assert credit[channel][index] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # The simplified variant is the Shapley value of the count game.
    simplified = shapley_simplified(pt).as_dict()
    phi = brute_force_shapley(pt, "count")
    for channel in pt.channels:
        assert simplified[channel][0] == pytest.approx(phi[channel], abs=1e-9)


def test_shapley_credit_can_be_negative_and_is_kept():
    # Adding b brings in journeys that never convert: it lowers the conversion rate.
    pt = PathTable.parse(["a", "a > b", "b"], [5, 0, 0], nulls=[5, 10, 10])
    credit = shapley(pt).as_dict()
    assert credit["b"][0] < 0 < credit["a"][0]
    assert credit["a"][0] + credit["b"][0] == pytest.approx(5)


def test_shapley_refuses_too_many_channels_with_a_way_out():
    pt = PathTable.parse(["a > b", "c > d", "e"], [1, 1, 1], nulls=[1, 1, 1])
    with pytest.raises(ConfigError, match="too many channels") as error:
        shapley(pt, max_channels=3)
    assert "group_small" in error.value.hint
    assert shapley(pt.group_small(2), max_channels=3).channels == ("Other", "a", "b")


def test_markov_transitions_keep_repeats_and_unknown_channels_are_refused():
    pt = PathTable.parse(["a > a > b", "b"], [1, 0], nulls=[1, 2])
    rows = {
        (r["from_state"], r["to_state"]): r
        for r in MarkovChain.fit(pt, 1).transitions().to_pylist()
    }
    assert rows["a", "a"]["journeys"] == 2 and rows["a", "a"]["probability"] == 0.5
    assert rows[START, "b"]["probability"] == pytest.approx(2 / 4)
    assert rows["b", "(conversion)"]["journeys"] == 1 and rows["b", "(null)"]["journeys"] == 3
    states = MarkovChain.fit(pt, 2).states
    assert states == (START, "a", "b", "a > a", "a > b", "(conversion)", "(null)")
    with pytest.raises(UnknownName):
        MarkovChain.fit(pt, 1).conversion_probability("z")
    with pytest.raises(ConfigError, match="order"):
        MarkovChain.fit(pt, 4)


# ---------------------------------------------------------------- bootstrap


def synthetic_table(seed: int = 3, paths: int = 300) -> PathTable:
    rng = np.random.default_rng(seed)
    texts = {" > ".join(rng.choice(list("abcde"), size=rng.integers(1, 6))) for _ in range(paths)}
    texts = sorted(texts)
    journeys = rng.integers(20, 200, size=len(texts))
    lift = np.array([0.05 + 0.1 * ("c" in t) + 0.03 * t.count(">") for t in texts])
    conv = rng.binomial(journeys, np.minimum(lift, 0.9))
    value = conv * rng.gamma(3, 20, size=len(texts))
    return PathTable.parse(texts, conv, nulls=journeys - conv, value=value)


def test_bootstrap_intervals_bracket_the_estimate_and_repeat_with_the_seed():
    pt = synthetic_table()
    models = [lambda t: markov(t, 1), lambda t: markov(t, 3), shapley]
    found = intervals(pt, models, reps=60, seed=7)
    assert list(found) == ["markov_1", "markov_3", "shapley"]
    for model in models:
        credit = model(pt)
        for channel, (conv, value) in credit.as_dict().items():
            lo_c, hi_c, lo_v, hi_v = found[credit.model][channel]
            assert lo_c <= conv <= hi_c and lo_v <= value <= hi_v
            assert hi_c - lo_c > 0
    assert intervals(pt, models, reps=60, seed=7) == found
    assert intervals(pt, models, reps=60, seed=8) != found
    with pytest.raises(ConfigError):
        intervals(pt, models, reps=1)


def test_a_resample_keeps_the_paths_the_size_and_the_value_per_conversion():
    pt = synthetic_table()
    replicate = pt.resample(np.random.default_rng(0))
    assert replicate.paths is pt.paths and replicate.touches() is pt.touches()
    assert replicate.journeys == pt.journeys
    converted = replicate.conversions > 0
    assert np.allclose(
        replicate.value[converted] / replicate.conversions[converted],
        (pt.value / np.maximum(pt.conversions, 1))[converted],
    )


# ---------------------------------------------------------------- from_paths


def hand_columns() -> dict[str, list]:
    paths, conv, nulls, value = zip(*HAND, strict=True)
    return {"path": list(paths), "conv": list(conv), "lost": list(nulls), "worth": list(value)}


def test_from_paths_reads_every_kind_of_table_alike(tmp_path):
    columns = hand_columns()
    frame = pd.DataFrame(columns)
    semicolon, comma = tmp_path / "paths.csv", tmp_path / "paths2.csv"
    frame.to_csv(semicolon, sep=";", index=False)
    frame.to_csv(comma, sep=",", index=False)
    tables = [columns, frame, pa.table(columns), semicolon, str(comma), hand_table()]
    results = [
        from_paths(t, conversions="conv", nulls="lost", value="worth", direct=["Direct"])
        for t in tables
    ]
    first = results[0]
    assert list(first.credits) == [
        "first_touch", "last_touch", "last_non_direct", "linear", "linear_distinct",
        "position_based", "markov_1", "markov_2", "markov_3", "shapley", "shapley_simplified",
    ]  # fmt: skip
    assert "time_decay" not in first.credits and "time_decay" in first.notes[0]
    for result in results[1:]:
        assert result.table().equals(first.table())
        assert result.table("value").equals(first.table("value"))
    long = first.long()
    assert long.num_rows == len(first.credits) * len(first.channels)
    shares = long.group_by("model").aggregate([("share_conversions", "sum")])
    assert shares.column("share_conversions_sum").to_pylist() == pytest.approx([1.0] * 11)
    assert first.chains[2].order == 2 and first.intervals is None


def test_from_paths_bootstraps_the_data_driven_models():
    result = from_paths(hand_columns(), conversions="conv", nulls="lost", orders=(1,), bootstrap=20)
    assert set(result.intervals) == {"markov_1", "shapley"}
    assert "no conversion value" in " ".join(result.notes)


def test_from_paths_errors_name_the_problem(tmp_path):
    columns = hand_columns()
    with pytest.raises(ConfigError, match="no conversions column") as error:
        from_paths(columns, conversions="total_conversions")
    assert "conv" in error.value.hint
    with pytest.raises(ConfigError, match="numbers") as error:
        from_paths(columns | {"conv": [1, 2, "three", 4]}, conversions="conv")
    assert "row 3" in error.value.value
    with pytest.raises(ConfigError, match="no touch"):
        from_paths(columns | {"path": ["a", "", "b", "c"]}, conversions="conv")
    with pytest.raises(ConfigError, match="negative"):
        from_paths(pd.DataFrame(columns | {"lost": [0, 0, -1, 0]}), "path", "conv", nulls="lost")
    with pytest.raises(ConfigError, match="orders"):
        from_paths(columns, conversions="conv", orders=(4,))
    with pytest.raises(ConfigError, match="pandas DataFrame"):
        from_paths([1, 2, 3])
    with pytest.raises(FileUnreadable):
        from_paths(tmp_path / "missing.csv")
    assert inputs.sniff_delimiter("a,b;c;d") == ";" and inputs.sniff_delimiter("path") == ","


def test_docstring_examples_run():
    for module in (path_table, inputs, wa):
        assert doctest.testmod(module).failed == 0


def test_the_docs_examples_run():
    doc = (Path(__file__).resolve().parents[1] / "docs/analyses/attribution.md").read_text()
    # The path-table examples run alone; the workspace ones need a workspace (test_attribution).
    doc = doc.split("## In a workspace")[0]
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "attribution.md", "exec"), {})
