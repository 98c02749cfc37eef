"""ask: questions read against the demo workspace and scored with the project's own scorer; every
answer shows its interpretation; nothing ambiguous or refused runs a query; answers end to end."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from benchmarks.nlq_eval import score
from typer.testing import CliRunner

import wayfinder
from wayfinder.ask.answer import Asker
from wayfinder.ask.batch import reading_line
from wayfinder.ask.frame import Reading
from wayfinder.ask.lexicon import Lexicon
from wayfinder.ask.llm import LLMConfig
from wayfinder.ask.parser import parse
from wayfinder.cli.main import app

NLQ = Path(__file__).parent / "nlq"
TODAY = date(2026, 11, 22)
ABSTAIN = ("ambiguous", "unsupported")


def _gold(name: str) -> list[dict]:
    return [json.loads(line) for line in (NLQ / name).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def shop(demo_build):
    db = demo_build[0]
    ws = wayfinder.open(f"duckdb:///{db}", "shop")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def asker(shop):
    return Asker(shop)


def _predict(asker: Asker, gold: list[dict]) -> list[dict]:
    return [reading_line(asker.read(g["question"], TODAY), g["id"]) for g in gold]


@pytest.mark.parametrize(
    ("name", "intent_floor", "exact_floor"),
    [
        # The brief's examples (acceptance: intent >= 0.9, exact >= 0.7).
        ("examples.jsonl", 0.9, 0.7),
        # New wordings written alongside the parser.
        ("extra.jsonl", 0.9, 0.7),
        # Written by people who never saw the parser (then used to improve it; see RESULTS.md
        # for each set's score before the parser had seen it).
        ("heldout.jsonl", 0.9, 0.7),
        ("blind.jsonl", 0.9, 0.7),
        # Jargon-heavy, from ten voices; its slots include open-ended names (cpm, booth_scan)
        # the conventions do not list, so exact match is lower.
        ("blind2.jsonl", 0.9, 0.55),
        ("blind3.jsonl", 0.9, 0.7),
        ("blind4.jsonl", 0.9, 0.75),
        ("blind5.jsonl", 0.9, 0.75),
    ],
)
def test_scores_on_question_sets(asker, name, intent_floor, exact_floor):
    gold = _gold(name)
    scores = score(gold, _predict(asker, gold)).to_dict()
    assert scores["intent_accuracy"] >= intent_floor, scores
    assert scores["exact_match"] >= exact_floor, scores
    assert scores["false_abstain_rate"] <= 0.1, scores


def test_every_answer_shows_its_interpretation(asker, shop, monkeypatch):
    ran: list[dict] = []
    real_run = shop.run
    monkeypatch.setattr(shop, "run", lambda spec: ran.append(spec) or real_run(spec))
    for question in (
        "What are the top three paths people who buy our products take through our website?",
        "orders per day over the last 2 weeks",
        "Which campaigns drove the most revenue last quarter?",
    ):
        answer = asker.ask(question, TODAY)
        assert answer.status == "answered", answer.text
        data = answer.to_dict()
        assert data["restatement"] and data["interpretation"]["evidence"]
        # Each slot of the reading is backed by evidence naming the words it came from.
        slots_with_evidence = {e["slot"] for e in data["interpretation"]["evidence"]}
        assert set(answer.frame.slots.to_prediction()) <= slots_with_evidence
        assert 0 < data["interpretation"]["confidence"] <= 1
        assert data["result"]["rows"]
    assert len(ran) == 3


def test_no_ambiguous_or_refused_question_runs_a_query(asker, shop, monkeypatch):
    def forbidden(spec):
        raise AssertionError(f"a guessed query ran: {spec}")

    monkeypatch.setattr(shop, "run", forbidden)
    gold = [
        g
        for name in ("examples.jsonl", "extra.jsonl")
        for g in _gold(name)
        if g["intent"] in ABSTAIN
    ]
    assert len(gold) >= 10
    for g in gold:
        answer = asker.ask(g["question"], TODAY)
        assert answer.status in ("clarify", "refused"), (g["question"], answer.status)
        assert answer.result is None
        if answer.status == "clarify":
            assert answer.frame.options, g["question"]
        else:
            assert answer.frame.refusal and answer.frame.suggestions


def test_clarification_options_are_runnable_questions(asker):
    frame = parse("Revenue in Q5", asker.lexicon, TODAY)
    assert frame.clarification and frame.options
    picked = parse(frame.options[0].question, asker.lexicon, TODAY)
    assert picked.clarification is None
    assert picked.slots.time_range is not None and picked.slots.time_range.resolved


def test_typo_is_matched_fuzzily_with_its_score(asker):
    frame = parse("revenue from instgram last month", asker.lexicon, TODAY)
    channel = [e for e in frame.evidence if e.slot == "channel"]
    assert frame.slots.channel == "instagram"
    assert channel and channel[0].method == "fuzzy" and 85 <= channel[0].score < 100


def test_words_not_used_are_reported(asker):
    frame = parse("orders per week since July, zebra crossing", asker.lexicon, TODAY)
    assert "zebra" in frame.unused and "crossing" in frame.unused
    assert "orders" not in frame.unused


def test_unavailable_intent_is_parsed_shown_and_not_run(asker, shop, monkeypatch):
    monkeypatch.setattr(shop, "run", lambda spec: pytest.fail("nothing to run"))
    answer = asker.ask("Who are our most influential community members?", TODAY)
    assert answer.status == "not_available"
    assert answer.frame.intent == "influencers"
    assert "not available yet" in answer.text.lower()


def test_answers_link_to_the_workspace(asker):
    answer = asker.ask("Funnel from cart page to checkout to purchase, last 14 days", TODAY)
    assert answer.status == "answered"
    assert answer.spec["steps"] == ["page:/cart", "goal:checkout", "goal:purchase"]
    assert answer.spec["time"] == {"start": "2026-11-09", "end": "2026-11-22"}
    paths = asker.ask("top 3 paths of buyers", TODAY)
    assert paths.spec["goal"] == "goal:purchase" and paths.spec["top"] == 3
    assert paths.result.table.num_rows >= 3


def test_synonyms_file_adds_words(shop, tmp_path):
    (tmp_path / "ask-synonyms.toml").write_text('[channel]\npaid_social = ["dark social"]\n')
    lex = Lexicon.for_workspace(shop, config_dir=tmp_path)
    frame = parse("orders from dark social last month", lex, TODAY)
    assert frame.slots.channel == "paid_social"


def test_batch_cli_writes_one_reading_per_question(demo_build, tmp_path):
    db = demo_build[0]
    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(db),
            "-w",
            "shop",
            "ask",
            "--batch",
            str(NLQ / "examples.jsonl"),
            "--today",
            "2026-11-22",
            "--predictions",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == [g["id"] for g in _gold("examples.jsonl")]
    assert all(set(x) == {"id", "intent", "slots"} for x in lines)


def test_cli_prints_interpretation_then_answer(demo_build):
    db = demo_build[0]
    result = CliRunner().invoke(
        app, ["--db", str(db), "-w", "shop", "ask", "How's performance?", "--today", "2026-11-22"]
    )
    assert result.exit_code == 0, result.output
    assert "Understood as" in result.output and "1." in result.output


def test_llm_second_reading_is_used_only_when_the_rules_are_unsure(shop, monkeypatch):
    """With an adapter configured, a vague question goes to the model; its reading must re-link
    to the workspace, then runs like any other. A confident rule reading never calls it."""
    calls: list[str] = []

    def fake_propose(question, today, catalogue, config, relink):
        from wayfinder.ask.llm import LLMOutcome

        calls.append(question)
        assert "goal" in catalogue and "purchase" in catalogue["goal"]
        if "zebra" in question:
            return LLMOutcome(None, "the model named 'zebra', not a metric of this workspace")
        reading = Reading.model_validate({"intent": "trend", "slots": {"metric": "orders"}})
        return LLMOutcome(reading, None)

    monkeypatch.setattr("wayfinder.ask.llm.propose", fake_propose)
    asker = Asker(shop, llm=LLMConfig(url="http://127.0.0.1:9/v1", model="m"))
    confident = asker.ask("orders per week since July", TODAY)
    assert calls == [] and confident.frame.source == "rules"
    vague = asker.ask("How's performance?", TODAY)
    assert calls == ["How's performance?"]
    assert vague.frame.source == "llm" and vague.status == "answered"
    assert all(e.method == "llm" for e in vague.frame.evidence)
    refused = asker.ask("How are the zebra numbers?", TODAY)
    assert refused.status == "clarify" and "zebra" in refused.text


def test_two_close_fuzzy_matches_ask_which_one(shop):
    """A typo as close to one name as to another is not guessed: the answer asks, with both."""
    lex = Lexicon.builtin()
    lex.add_vocabulary({"campaign": {"marlin": ["marlin"], "marvin": ["marvin"]}}, "test")
    frame = parse("revenue from the marvlin campaign last month", lex, TODAY)
    assert frame.clarification is not None
    assert {o.label for o in frame.options} == {"marlin", "marvin"}
    assert all("marvlin" not in o.question for o in frame.options)


def test_facade_ask_builds_the_lexicon_once(shop):
    first = shop.ask("orders per week since July", today=TODAY)
    asker = shop._asker
    second = shop.ask("revenue by month this year", today=TODAY)
    assert shop._asker is asker
    assert first.status == second.status == "answered"
    assert first.spec["metric"] == "orders" and second.spec["metric"] == "revenue"
