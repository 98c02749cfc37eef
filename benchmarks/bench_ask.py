"""``ask``: how long reading a question takes (median and p99), beside tokenising the same
question (the floor any parser pays), and how well the readings score on each question set.

    python -m benchmarks.run --only-ask demo/wayfinder.duckdb
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date
from pathlib import Path

HEADING = "## Ask: reading questions"
NLQ = Path(__file__).resolve().parent.parent / "tests" / "nlq"
SETS = (
    "examples.jsonl",
    "extra.jsonl",
    "heldout.jsonl",
    "blind.jsonl",
    "blind2.jsonl",
    "blind3.jsonl",
    "blind4.jsonl",
    "blind5.jsonl",
)
TODAY = date(2026, 11, 22)
REPEATS = 20
#: Each blind set's score the first time the parser read it, before any change it prompted
#: (measured with `wayfinder ask --batch` and the scorer; the table below is the current parser).
FIRST_SEEN = (
    "First reads, before the parser was changed for them: `heldout` intent 0.800, exact 0.507; "
    "`blind` intent 0.817, exact 0.533; `blind2` intent 0.790, exact 0.430; `blind3` "
    "(written to mirror the brief's examples) intent 0.875, exact 0.713; `blind4` (the same "
    "brief) intent 0.875, exact 0.750; `blind5` (the same brief, 200 questions) intent 0.905, "
    "exact 0.675."
)


def _gold(name: str) -> list[dict]:
    return [json.loads(x) for x in (NLQ / name).read_text().splitlines() if x.strip()]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def section(database: Path, machine: str) -> list[str]:
    import wayfinder
    from benchmarks.nlq_eval import score
    from wayfinder.ask.answer import Asker
    from wayfinder.ask.batch import reading_line
    from wayfinder.ask.parser import parse
    from wayfinder.ask.text import words

    ws = wayfinder.open(f"duckdb:///{database}", "shop")
    started = time.perf_counter()
    asker = Asker(ws)
    build = time.perf_counter() - started
    phrases = sum(len(v) for v in asker.lexicon.phrases.values())

    lines = [
        HEADING,
        "",
        f"Machine: {machine}. Workspace `shop` of `{database.name}`; lexicon of {phrases:,} "
        f"phrases built in {build:.2f} s (once per workspace). Each question read {REPEATS} "
        "times after one warm-up read (the date grammar is built on first use); the baseline is "
        "splitting the same question into words (`ask.text.words`), the floor of any parser.",
        "",
        "| questions | n | parse median | parse p99 | tokenise median | ratio (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    parse("warm up the date grammar", asker.lexicon, TODAY)
    all_questions: list[str] = []
    for name in SETS:
        questions = [g["question"] for g in _gold(name)]
        all_questions += questions
        lines.append(_timing_row(name, questions, asker, parse, words))
    lines.append(_timing_row("all", all_questions, asker, parse, words))
    lines += [
        "",
        "Scores (`benchmarks/nlq_eval.py`). `extra` was written alongside the parser; `heldout`, "
        "`blind` to `blind5` were written by helpers who never saw the "
        "parser or the other sets. " + FIRST_SEEN,
        "",
        "| questions | intent accuracy | exact match | slot F1 | abstain recall "
        "| false-abstain rate |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in SETS:
        gold = _gold(name)
        preds = [reading_line(asker.read(g["question"], TODAY), g["id"]) for g in gold]
        s = score(gold, preds).to_dict()
        lines.append(
            f"| {name} ({len(gold)}) | {s['intent_accuracy']:.3f} | {s['exact_match']:.3f} | "
            f"{s['slot_f1']:.3f} | {s['abstain_recall']:.3f} | {s['false_abstain_rate']:.3f} |"
        )
    ws.close()
    return lines


def _timing_row(name, questions, asker, parse, words) -> str:  # type: ignore[no-untyped-def]
    parse_ms: list[float] = []
    token_ms: list[float] = []
    for _ in range(REPEATS):
        for q in questions:
            t = time.perf_counter()
            parse(q, asker.lexicon, TODAY)
            parse_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            words(q)
            token_ms.append((time.perf_counter() - t) * 1000)
    med, p99, tok = (
        statistics.median(parse_ms),
        _percentile(parse_ms, 0.99),
        statistics.median(token_ms),
    )
    return (
        f"| {name} | {len(questions)} | {med:.2f} ms | {p99:.2f} ms | {tok:.3f} ms "
        f"| {med / tok:.0f}x |"
    )
