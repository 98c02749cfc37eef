"""The NLQ scorer on hand-written gold and predictions whose figures are worked out by hand, and
on the shared examples scored against themselves."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# `benchmarks` is a package at the repository's root, which `pytest` alone (unlike
# `python -m pytest`) does not put on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.nlq_eval import main, score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The brief's example questions, copied into the repository.
EXAMPLES = ROOT / "tests" / "nlq" / "examples.jsonl"
LAST_MONTH = {"text": "last month", "iso": "2026-10-01/2026-10-31"}


def gold(id_: str, intent: str, tags: list[str] | None = None, **slots) -> dict:
    record = {"id": id_, "question": f"question {id_}", "intent": intent, "slots": slots}
    if tags:
        record["tags"] = tags
    return record


def pred(id_: str, intent: str | None, **slots) -> dict:
    return {"id": id_, "intent": intent, "slots": slots}


GOLD = [
    gold("q1", "paths", goal="purchase", top_n=3),
    gold("q2", "trend", metric="signups", time_range=LAST_MONTH),
    gold("q3", "ambiguous"),
]


def test_a_perfect_prediction_scores_one_everywhere():
    s = score(GOLD, [pred(g["id"], g["intent"], **g["slots"]) for g in GOLD])
    assert (s.intent_accuracy, s.exact_match) == (1.0, 1.0)
    assert (s.slot_precision, s.slot_recall, s.slot_f1) == (1.0, 1.0, 1.0)
    assert (s.abstain_recall, s.abstain_kind_accuracy, s.false_abstain_rate) == (1.0, 1.0, 0.0)
    assert s.counts["tp"] == 4
    assert s.confusions == [] and s.mismatches == [] and s.missing == []


def test_everything_wrong_scores_zero():
    s = score(
        GOLD,
        [
            pred("q1", "funnel", goal="signup", top_n=5),
            pred("q2", "ambiguous", metric="revenue"),
            pred("q3", "trend", channel="email"),
        ],
    )
    assert (s.intent_accuracy, s.exact_match) == (0.0, 0.0)
    # q1: goal, top_n wrong (fp 2, fn 2); q2: metric wrong, time_range missing (fp 1, fn 2);
    # q3: channel extra (fp 1).
    assert (s.counts["tp"], s.counts["fp"], s.counts["fn"]) == (0, 4, 4)
    assert (s.slot_precision, s.slot_recall, s.slot_f1) == (0.0, 0.0, 0.0)
    assert s.abstain_recall == 0.0 and s.false_abstain_rate == 0.5
    assert [c["id"] for c in s.confusions] == ["q1", "q2", "q3"]


def test_one_wrong_slot_is_a_false_positive_and_a_false_negative():
    s = score(GOLD[:1], [pred("q1", "paths", goal="signup", top_n=3)])
    assert s.intent_accuracy == 1.0
    assert s.exact_match == 0.0
    assert (s.counts["tp"], s.counts["fp"], s.counts["fn"]) == (1, 1, 1)
    assert (s.slot_precision, s.slot_recall, s.slot_f1) == (0.5, 0.5, 0.5)
    assert s.mismatches == [{"id": "q1", "slot": "goal", "gold": "purchase", "predicted": "signup"}]
    assert s.per_slot["goal"]["f1"] == 0.0 and s.per_slot["top_n"]["f1"] == 1.0


def test_an_extra_slot_costs_precision_and_the_exact_match():
    s = score(GOLD[:1], [pred("q1", "paths", goal="purchase", top_n=3, channel="email")])
    assert (s.counts["tp"], s.counts["fp"], s.counts["fn"]) == (2, 1, 0)
    assert s.slot_precision == pytest.approx(2 / 3)
    assert s.slot_recall == 1.0
    assert s.slot_f1 == pytest.approx(0.8)
    assert s.exact_match == 0.0 and s.intent_accuracy == 1.0


def test_a_missing_prediction_is_wrong_and_misses_its_slots():
    s = score(GOLD, [pred("q1", "paths", goal="purchase", top_n=3), pred("zz", "paths")])
    assert s.intent_accuracy == pytest.approx(1 / 3)
    assert s.exact_match == pytest.approx(1 / 3)
    assert (s.counts["tp"], s.counts["fp"], s.counts["fn"]) == (2, 0, 2)
    assert (s.slot_precision, s.slot_recall) == (1.0, 0.5)
    assert s.missing == ["q2", "q3"]
    assert s.unexpected == ["zz"]
    # A missing prediction did not abstain, and is not a false abstention either.
    assert s.abstain_recall == 0.0 and s.false_abstain_rate == 0.0


def test_abstaining_either_way_counts_for_recall_but_not_for_the_kind():
    g = [gold("a", "ambiguous"), gold("u", "unsupported"), gold("p", "paths"), gold("t", "trend")]
    p = [pred("a", "unsupported"), pred("u", "unsupported"), pred("p", "ambiguous")]
    p.append(pred("t", "trend"))
    s = score(g, p)
    assert s.abstain_recall == 1.0
    assert s.abstain_kind_accuracy == 0.5
    assert s.false_abstain_rate == 0.5
    assert s.intent_accuracy == 0.5
    assert s.per_intent["ambiguous"] == {"questions": 1, "correct": 0, "accuracy": 0.0}
    assert {c["id"]: c["predicted"] for c in s.confusions} == {"a": "unsupported", "p": "ambiguous"}


def test_no_abstaining_gold_leaves_abstain_recall_undefined():
    s = score(GOLD[:2], [pred("q1", "paths"), pred("q2", "trend")])
    assert s.abstain_recall is None and s.abstain_kind_accuracy is None
    assert s.false_abstain_rate == 0.0


def test_periods_are_compared_on_iso_only():
    g = [gold("q", "trend", time_range={**LAST_MONTH, "note": "cohort period"})]
    same_days = {"text": "in the previous month", "iso": "2026-10-01/2026-10-31"}
    assert score(g, [pred("q", "trend", time_range=same_days)]).exact_match == 1.0
    same_text = {"text": "last month", "iso": "2026-10-02/2026-10-31"}
    assert score(g, [pred("q", "trend", time_range=same_text)]).exact_match == 0.0
    assert score(g, [pred("q", "trend", time_range={"text": "last month"})]).exact_match == 0.0
    assert score(g, [pred("q", "trend", time_range="last month")]).exact_match == 0.0
    unresolved = [gold("q", "ambiguous", time_range={"text": "Q5", "iso": None})]
    assert score(unresolved, [pred("q", "ambiguous", time_range={"text": "Q5"})]).exact_match == 1


@pytest.mark.parametrize(
    "slot, gold_value, predicted, equal",
    [
        ("channel", ["facebook", "email"], ["email", "facebook"], True),
        ("channel", "facebook", ["facebook"], True),
        ("channel", ["facebook", "email"], ["facebook"], False),
        ("breakdown", ["channel", "country"], ["country", "channel"], True),
        ("segments", ["desktop", "tablet"], ["Tablet", "the desktop"], True),
        (
            "steps",
            ["trial_start", "paid_subscription"],
            ["paid subscription", "trial start"],
            False,
        ),
        ("steps", ["trial_start", "paid_subscription"], ["trial-start", "Paid Subscription"], True),
        ("steps", "checkout flow", ["checkout flow"], True),
        ("channel", "google_ads", "Google Ads", True),
        ("channel", "google_ads", "google-ads", True),
        ("goal", "purchase", "purchases", False),
        ("goal", "purchase", "the purchase", False),
        ("metric", "conversion_rate", "Conversion Rate", True),
        ("campaign", "trade-show events", "trade show events", True),
        ("campaign", "trade-show events", "our trade-show events", True),
        ("campaign", "trade-show events", "trade-show event", False),
        ("campaign", "Black Friday", "black friday sale", False),
        ("start", "pricing_page_view", "pricing page view", True),
        ("content", "size guide", "The Size Guide!", True),
        ("content", "size guide", "size guides", False),
        ("customer", "sam.lee@initech.com", "Sam.Lee@initech.com", True),
        ("customer", "10577", "10578", False),
        ("top_n", 3, "3", True),
        ("top_n", 3, 3.0, True),
        ("top_n", 3, "three", False),
        ("top_n", 3, True, False),
        ("filters", {"region": "Europe"}, {"Region": "europe"}, True),
        ("filters", {"plan": "monthly"}, {"plan": "annual"}, False),
        ("filters", {"plan": "monthly"}, {"plan": "monthly", "device": "mobile"}, False),
        ("model", ["linear", "time_decay"], ["time-decay", "linear"], True),
        ("model", "linear", "first_touch", False),
    ],
)
def test_normalisation(slot, gold_value, predicted, equal):
    s = score([gold("q", "paths", **{slot: gold_value})], [pred("q", "paths", **{slot: predicted})])
    assert s.exact_match == (1.0 if equal else 0.0)
    assert s.counts["tp"] == (1 if equal else 0)


def test_empty_values_are_absent_slots():
    s = score(
        [gold("q", "churn_drivers", goal=None)],
        [pred("q", "churn_drivers", channel=[], filters={}, campaign="", goal=None)],
    )
    assert s.exact_match == 1.0
    # Nothing to find and nothing claimed: precision and recall are 1 by the documented rule.
    assert (s.slot_precision, s.slot_recall, s.slot_f1) == (1.0, 1.0, 1.0)


def test_micro_average_over_several_questions():
    g = [
        gold("a", "attribution", channel="facebook", campaign="spring", goal="closed_deal"),
        gold("b", "trend", metric="sessions", channel="referral", time_range=LAST_MONTH),
        gold("c", "unsupported", channel="linkedin"),
    ]
    p = [
        pred("a", "attribution", channel="fb", campaign="Spring", goal="closed_deal"),
        pred("b", "trend", metric="sessions", time_range=LAST_MONTH, top_n=10),
        pred("c", "unsupported"),
    ]
    s = score(g, p)
    # a: tp 2 (campaign, goal), channel wrong (fp 1, fn 1); b: tp 2, channel missing (fn 1),
    # top_n extra (fp 1); c: channel missing (fn 1). tp 4, fp 2, fn 3.
    assert (s.counts["tp"], s.counts["fp"], s.counts["fn"]) == (4, 2, 3)
    assert s.slot_precision == pytest.approx(4 / 6)
    assert s.slot_recall == pytest.approx(4 / 7)
    assert s.slot_f1 == pytest.approx(2 * (4 / 6) * (4 / 7) / (4 / 6 + 4 / 7))
    assert s.exact_match == 0.0 and s.intent_accuracy == 1.0
    assert s.per_slot["channel"] == {
        "tp": 0,
        "fp": 1,
        "fn": 3,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }


def test_by_tag_groups_questions_by_their_gold_tags():
    g = [
        gold("a", "paths", ["terse", "synonym"]),
        gold("b", "trend", ["terse"]),
        gold("c", "trend"),
    ]
    s = score(g, [pred("a", "paths"), pred("b", "funnel"), pred("c", "trend")])
    assert s.by_tag["terse"]["questions"] == 2
    assert s.by_tag["terse"]["intent_accuracy"] == 0.5
    assert s.by_tag["synonym"]["intent_accuracy"] == 1.0
    assert s.by_tag["(untagged)"]["questions"] == 1


@pytest.mark.parametrize(
    "gold_records, predictions, message",
    [
        ([], [], "empty"),
        ([gold("a", "paths"), gold("a", "trend")], [], "twice"),
        ([gold("a", "paths")], [pred("a", "paths"), pred("a", "trend")], "twice"),
        ([{"id": "a"}], [], "no intent"),
        ([gold("a", "paths")], [{"intent": "paths"}], "no string id"),
        ([gold("a", "paths")], [{"id": "a", "intent": "paths", "slots": []}], "not an object"),
    ],
)
def test_bad_input_is_named(gold_records, predictions, message):
    with pytest.raises(ValueError, match=message):
        score(gold_records, predictions)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_the_examples_against_themselves_score_one():
    examples = read(EXAMPLES)
    predictions = [{"id": e["id"], "intent": e["intent"], "slots": e["slots"]} for e in examples]
    s = score(examples, predictions)
    figures = [s.intent_accuracy, s.slot_precision, s.slot_recall, s.slot_f1, s.exact_match]
    assert figures == [1.0] * 5
    assert (s.abstain_recall, s.abstain_kind_accuracy, s.false_abstain_rate) == (1.0, 1.0, 0.0)
    assert all(row["f1"] == 1.0 for row in s.per_slot.values())
    assert all(row["accuracy"] == 1.0 for row in s.per_intent.values())
    assert s.counts["tp"] == sum(len(e["slots"]) for e in examples)


def test_the_command_prints_a_report_and_writes_the_figures(tmp_path, capsys):
    gold_file, pred_file, out = (
        tmp_path / "gold.jsonl",
        tmp_path / "pred.jsonl",
        tmp_path / "s.json",
    )
    gold_file.write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    predictions = [pred("q1", "paths", goal="purchase", top_n=3), pred("q2", "funnel")]
    pred_file.write_text("\n".join(json.dumps(p) for p in predictions) + "\n\n")
    assert main([str(gold_file), str(pred_file), "--json", str(out), "--by-tag"]) == 0
    text = capsys.readouterr().out
    assert "| intent accuracy | 0.333 | 1/3 |" in text
    assert "| q2 | trend | funnel |" in text
    assert "| q3 | ambiguous | (missing) |" in text
    assert "## By tag" in text
    figures = json.loads(out.read_text())
    assert figures["intent_accuracy"] == pytest.approx(1 / 3)
    assert figures["missing"] == ["q3"]


def test_the_command_names_a_bad_line(tmp_path, capsys):
    gold_file, pred_file = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold_file.write_text(json.dumps(GOLD[0]) + "\n")
    pred_file.write_text('{"id": "q1", "intent": "paths"}\n{"id": \n')
    assert main([str(gold_file), str(pred_file)]) == 2
    assert f"{pred_file}:2: not JSON" in capsys.readouterr().err
