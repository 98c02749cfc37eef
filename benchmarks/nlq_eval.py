"""Scores ``ask`` predictions against gold interpretations: intent accuracy, slot F1, exact
interpretation match, abstain recall and false-abstain rate.

``python -m benchmarks.nlq_eval GOLD.jsonl PREDICTIONS.jsonl [--json OUT] [--by-tag]
[--mismatches]`` prints a Markdown report; ``score(gold, predictions)`` returns the ``Scores``.
Gold lines follow the shared ``nlq/examples.jsonl`` (``id``, ``intent``, ``slots``, ``tags``);
prediction lines are ``{"id", "intent", "slots"}`` as ``wayfinder ask --batch`` writes them.

Measures
--------
- **intent accuracy**: share of gold questions whose predicted intent is the gold one, compared
  exactly. A question with no prediction counts as wrong.
- **slot precision / recall / F1**, micro-averaged over (question, slot) pairs, on *every*
  question, the ambiguous and unsupported ones included (their gold slots, such as the channel of
  "Draft a LinkedIn post", count like any other). A predicted slot equal to the gold one (after
  the normalisation below) is a true positive; a predicted slot that is wrong is a false positive
  *and* the gold slot a false negative; a predicted slot the gold lacks is a false positive; a
  gold slot not predicted is a false negative. A slot is scored whole: a list with one wrong item
  is wrong. When a ratio's denominator is 0 it is 1.0 if the other side is empty too (nothing to
  find and nothing claimed), else 0.0; F1 is 0.0 when precision and recall are both 0.
- **exact interpretation match**: the intent is equal and the two slot sets are equal: every
  slot equal, none extra, none missing.
- **abstain recall**: of the gold ``ambiguous``/``unsupported`` questions, the share predicted
  as either (asking and refusing both avoid running a guessed query). **abstain-kind accuracy**:
  the share predicted as exactly the gold kind. A missing prediction did not abstain.
- **false-abstain rate**: of the gold answerable questions, the share predicted ``ambiguous`` or
  ``unsupported``. A missing prediction is not counted as an abstention (it is already wrong on
  intent).

Normalisation (the only leniency; anything not listed is compared exactly)
--------------------------------------------------------------------------
- A slot whose value is null, ``""``, ``[]`` or ``{}`` is absent (``Slots.to_prediction`` leaves
  them out).
- **Canonical keys** (goal, metric, and the items of channel, model, breakdown): case-folded,
  outer spaces stripped, runs of spaces, hyphens and underscores made one underscore, so
  ``"Google Ads"`` == ``"google-ads"`` == ``"google_ads"``.
- **Words** (start, content, campaign, customer, and the items of segments and steps): case-
  folded; hyphens and underscores read as spaces; other punctuation dropped (``"Valentine's"``
  == ``"valentines"``, ``"sam.lee@x.com"`` == ``"samleexcom"``); leading "the", "our", "a", "an"
  dropped (repeatedly); spaces collapsed. So ``"trade-show events"`` == ``"trade show events"``,
  ``"pricing_page_view"`` == ``"pricing page view"``, ``"the pricing page"`` == ``"pricing
  page"``. Articles elsewhere, plurals, synonyms and typos are *not* forgiven.
- **Lists**: channel, model, breakdown and segments are compared as sets; steps as an ordered
  list. A single string counts as a one-item list in these five slots (the conventions allow a
  string for one channel, one model or a named flow).
- **top_n**: an integer, or a string or float that is one (``"3"``, ``3.0``); ``"three"`` is
  not.
- **time_range, compare_to**: only ``iso`` is compared (the text is evidence, not scored; extra
  keys such as ``note`` are ignored); a period without ``iso`` is unresolved (null). A period
  that is not an object is compared exactly.
- **filters**: a dict whose keys are normalised as canonical keys and whose string values as
  words (``{"Region": "europe"}`` == ``{"region": "Europe"}``).
- Any other slot, or a value of an unexpected type, is compared exactly (as JSON).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ABSTAIN = frozenset({"ambiguous", "unsupported"})
KEY_SLOTS = frozenset({"goal", "metric"})
KEY_SET_SLOTS = frozenset({"channel", "model", "breakdown"})
WORD_SLOTS = frozenset({"start", "content", "campaign", "customer"})
PERIOD_SLOTS = frozenset({"time_range", "compare_to"})
LEADING_WORDS = frozenset({"the", "our", "a", "an"})


# --- normalisation ------------------------------------------------------------------------


def canonical_key(text: str) -> str:
    """A canonical key with case and separators made uniform.

    >>> canonical_key(" Google-Ads "), canonical_key("google ads"), canonical_key("google__ads")
    ('google_ads', 'google_ads', 'google_ads')
    """
    return re.sub(r"[\s_\-]+", "_", text.casefold().strip()).strip("_")


def words(text: str) -> str:
    """Words as written, with case, separators, punctuation and leading articles made uniform.

    >>> words("The trade-show events"), words("pricing_page_view"), words("Valentine's Day")
    ('trade show events', 'pricing page view', 'valentines day')
    >>> words("our spring sale"), words("Black Friday!")
    ('spring sale', 'black friday')
    """
    text = re.sub(r"[_\-]", " ", text.casefold())
    tokens = re.sub(r"[^\w\s]", "", text).split()
    while tokens and tokens[0] in LEADING_WORDS:
        tokens = tokens[1:]
    return " ".join(tokens)


def _exact(value: Any) -> tuple[str, str]:
    """A value compared as it is (tagged, so it can never equal a normalised form)."""
    return ("exact", json.dumps(value, sort_keys=True, ensure_ascii=False))


def _items(value: Any) -> list | None:
    """A list's items, or a single string as a one-item list; None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def normalise(slot: str, value: Any) -> Any:
    """The form of a slot's value that equality is judged on (see the module docstring).

    >>> normalise("channel", ["FB", "Email"]) == normalise("channel", ["email", "fb"])
    True
    >>> normalise("steps", ["a", "b"]) == normalise("steps", ["b", "a"])
    False
    >>> normalise("time_range", {"text": "last month", "iso": "2026-10-01/2026-10-31"})
    ('iso', '2026-10-01/2026-10-31')
    """
    if slot in KEY_SLOTS and isinstance(value, str):
        return canonical_key(value)
    if slot in WORD_SLOTS and isinstance(value, str):
        return words(value)
    if slot in KEY_SET_SLOTS and (items := _items(value)) is not None:
        return frozenset(canonical_key(item) for item in items)
    if slot == "segments" and (items := _items(value)) is not None:
        return frozenset(words(item) for item in items)
    if slot == "steps" and (items := _items(value)) is not None:
        return tuple(words(item) for item in items)
    if slot == "top_n":
        return _integer(value)
    if slot in PERIOD_SLOTS and isinstance(value, dict):
        iso = value.get("iso")
        return ("iso", iso.strip() if isinstance(iso, str) else iso)
    if slot == "filters" and isinstance(value, dict):
        return frozenset(
            (canonical_key(str(k)), words(v) if isinstance(v, str) else _exact(v))
            for k, v in value.items()
        )
    return _exact(value)


def _integer(value: Any) -> Any:
    if isinstance(value, bool):
        return _exact(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return _exact(value)


def _present(slots: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in slots.items() if v is not None and v != "" and v != [] and v != {}}


# --- scoring ------------------------------------------------------------------------------


@dataclass
class Judged:
    """One question judged: the intents, the slot counts and what differed."""

    id: str
    gold: str
    predicted: str | None
    tags: list[str]
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    mismatches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def intent_right(self) -> bool:
        return self.predicted == self.gold

    @property
    def exact(self) -> bool:
        return self.intent_right and not self.fp and not self.fn


def judge(gold: dict[str, Any], prediction: dict[str, Any] | None) -> Judged:
    """Compare one prediction (None when missing) with its gold record."""
    result = Judged(
        id=gold["id"],
        gold=gold["intent"],
        predicted=None if prediction is None else prediction.get("intent"),
        tags=list(gold.get("tags") or []),
    )
    expected = _present(gold.get("slots") or {})
    got = _present(prediction.get("slots") or {}) if prediction is not None else {}
    for slot in sorted(expected.keys() | got.keys()):
        if slot in expected and slot in got:
            if normalise(slot, expected[slot]) == normalise(slot, got[slot]):
                result.tp[slot] += 1
                continue
            result.fp[slot] += 1
            result.fn[slot] += 1
        elif slot in got:
            result.fp[slot] += 1
        else:
            result.fn[slot] += 1
        result.mismatches.append(
            {"id": result.id, "slot": slot, "gold": expected.get(slot), "predicted": got.get(slot)}
        )
    return result


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1, with the empty cases as the module docstring says."""
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass
class Scores:
    """Every figure of one evaluation; ``to_dict`` is what ``--json`` writes."""

    questions: int
    intent_accuracy: float
    slot_precision: float
    slot_recall: float
    slot_f1: float
    exact_match: float
    #: None when the gold set has no ambiguous/unsupported question (or no answerable one).
    abstain_recall: float | None
    abstain_kind_accuracy: float | None
    false_abstain_rate: float | None
    counts: dict[str, int]
    per_intent: dict[str, dict[str, Any]]
    per_slot: dict[str, dict[str, Any]]
    by_tag: dict[str, dict[str, Any]]
    #: Wrong intents: ``{"id", "gold", "predicted"}`` (predicted None when missing).
    confusions: list[dict[str, Any]]
    #: Slots that differ: ``{"id", "slot", "gold", "predicted"}`` (None on the absent side).
    mismatches: list[dict[str, Any]]
    missing: list[str]
    #: Prediction ids that are not in the gold set (ignored by every figure).
    unexpected: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _summary(judged: list[Judged]) -> dict[str, Any]:
    tp = sum(sum(j.tp.values()) for j in judged)
    fp = sum(sum(j.fp.values()) for j in judged)
    fn = sum(sum(j.fn.values()) for j in judged)
    n = len(judged)
    return {
        "questions": n,
        "intent_accuracy": sum(j.intent_right for j in judged) / n,
        "exact_match": sum(j.exact for j in judged) / n,
        "slot_f1": _prf(tp, fp, fn)[2],
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def score(gold: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> Scores:
    """Score ``predictions`` against ``gold`` (both as parsed JSON lines)."""
    gold = [_checked(record, i, "gold") for i, record in enumerate(gold, 1)]
    predictions = [_checked(record, i, "prediction") for i, record in enumerate(predictions, 1)]
    if not gold:
        raise ValueError("the gold set is empty")
    _unique(gold, "gold")
    by_id = _unique(predictions, "prediction")
    gold_ids = {g["id"] for g in gold}
    judged = [judge(g, by_id.get(g["id"])) for g in gold]

    totals = _summary(judged)
    precision, recall, f1 = _prf(totals["tp"], totals["fp"], totals["fn"])
    abstainers = [j for j in judged if j.gold in ABSTAIN]
    answerable = [j for j in judged if j.gold not in ABSTAIN]

    per_intent: dict[str, dict[str, Any]] = {}
    for intent in sorted({j.gold for j in judged}):
        group = [j for j in judged if j.gold == intent]
        right = sum(j.intent_right for j in group)
        per_intent[intent] = {
            "questions": len(group),
            "correct": right,
            "accuracy": right / len(group),
        }

    per_slot: dict[str, dict[str, Any]] = {}
    for slot in sorted({s for j in judged for s in (*j.tp, *j.fp, *j.fn)}):
        counts = [sum(j.tp[slot] for j in judged), sum(j.fp[slot] for j in judged)]
        counts.append(sum(j.fn[slot] for j in judged))
        p, r, f = _prf(*counts)
        per_slot[slot] = dict(zip(("tp", "fp", "fn"), counts, strict=True))
        per_slot[slot].update(precision=p, recall=r, f1=f)

    tagged: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        for tag in j.tags or ["(untagged)"]:
            tagged[tag].append(j)
    by_tag = {tag: _summary(group) for tag, group in sorted(tagged.items())}

    return Scores(
        questions=len(judged),
        intent_accuracy=totals["intent_accuracy"],
        slot_precision=precision,
        slot_recall=recall,
        slot_f1=f1,
        exact_match=totals["exact_match"],
        abstain_recall=_ratio(sum(j.predicted in ABSTAIN for j in abstainers), len(abstainers)),
        abstain_kind_accuracy=_ratio(sum(j.intent_right for j in abstainers), len(abstainers)),
        false_abstain_rate=_ratio(sum(j.predicted in ABSTAIN for j in answerable), len(answerable)),
        counts={
            "tp": totals["tp"],
            "fp": totals["fp"],
            "fn": totals["fn"],
            "intent_correct": sum(j.intent_right for j in judged),
            "exact": sum(j.exact for j in judged),
            "gold_abstain": len(abstainers),
            "abstained": sum(j.predicted in ABSTAIN for j in abstainers),
            "abstained_right_kind": sum(j.intent_right for j in abstainers),
            "gold_answerable": len(answerable),
            "false_abstains": sum(j.predicted in ABSTAIN for j in answerable),
        },
        per_intent=per_intent,
        per_slot=per_slot,
        by_tag=by_tag,
        confusions=[
            {"id": j.id, "gold": j.gold, "predicted": j.predicted}
            for j in judged
            if not j.intent_right
        ],
        mismatches=[m for j in judged for m in j.mismatches],
        missing=[j.id for j in judged if j.predicted is None and j.id not in by_id],
        unexpected=sorted(set(by_id) - gold_ids),
    )


def _checked(record: Any, number: int, what: str) -> dict[str, Any]:
    """A record with a string id (and, for gold, a string intent) and slots as an object."""
    if not isinstance(record, dict):
        raise ValueError(f"{what} record {number} is not a JSON object")
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise ValueError(f"{what} record {number} has no string id")
    if what == "gold" and not isinstance(record.get("intent"), str):
        raise ValueError(f"gold record {record['id']!r} has no intent")
    if record.get("slots") is not None and not isinstance(record["slots"], dict):
        raise ValueError(f"{what} record {record['id']!r}: slots is not an object")
    return record


def _unique(records: list[dict[str, Any]], what: str) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        if record["id"] in by_id:
            raise ValueError(f"{what} id {record['id']!r} appears twice")
        by_id[record["id"]] = record
    return by_id


# --- report -------------------------------------------------------------------------------


def _fig(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|")


def report(scores: Scores, *, by_tag: bool = False, mismatches: bool = False) -> str:
    """The Markdown report: headline figures, per intent, per slot, wrong intents."""
    c = scores.counts
    lines = [
        f"# NLQ evaluation: {scores.questions} questions",
        "",
        "| measure | value | counts |",
        "|---|---:|---|",
        f"| intent accuracy | {_fig(scores.intent_accuracy)} | "
        f"{c['intent_correct']}/{scores.questions} |",
        f"| slot precision | {_fig(scores.slot_precision)} | {c['tp']}/{c['tp'] + c['fp']} |",
        f"| slot recall | {_fig(scores.slot_recall)} | {c['tp']}/{c['tp'] + c['fn']} |",
        f"| slot F1 | {_fig(scores.slot_f1)} | |",
        f"| exact interpretation match | {_fig(scores.exact_match)} | "
        f"{c['exact']}/{scores.questions} |",
        f"| abstain recall | {_fig(scores.abstain_recall)} | "
        f"{c['abstained']}/{c['gold_abstain']} |",
        f"| abstain-kind accuracy | {_fig(scores.abstain_kind_accuracy)} | "
        f"{c['abstained_right_kind']}/{c['gold_abstain']} |",
        f"| false-abstain rate | {_fig(scores.false_abstain_rate)} | "
        f"{c['false_abstains']}/{c['gold_answerable']} |",
        f"| missing predictions | {len(scores.missing)} | |",
    ]
    if scores.unexpected:
        lines.append(f"| predictions not in gold (ignored) | {len(scores.unexpected)} | |")
    lines += [
        "",
        "## Per intent",
        "",
        "| intent | questions | correct | accuracy |",
        "|---|---:|---:|---:|",
    ]
    for intent, row in scores.per_intent.items():
        lines.append(
            f"| {intent} | {row['questions']} | {row['correct']} | {_fig(row['accuracy'])} |"
        )
    lines += ["", "## Per slot", "", "| slot | tp | fp | fn | precision | recall | F1 |"]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for slot, row in scores.per_slot.items():
        lines.append(
            f"| {slot} | {row['tp']} | {row['fp']} | {row['fn']} | {_fig(row['precision'])} | "
            f"{_fig(row['recall'])} | {_fig(row['f1'])} |"
        )
    lines += ["", "## Wrong intents", ""]
    if scores.confusions:
        lines += ["| id | gold | predicted |", "|---|---|---|"]
        lines += [
            f"| {w['id']} | {w['gold']} | "
            f"{'(missing)' if w['id'] in scores.missing else _cell(w['predicted'])} |"
            for w in scores.confusions
        ]
    else:
        lines.append("None.")
    if by_tag:
        lines += [
            "",
            "## By tag",
            "",
            "| tag | questions | intent accuracy | exact match | slot F1 |",
        ]
        lines.append("|---|---:|---:|---:|---:|")
        for tag, row in scores.by_tag.items():
            lines.append(
                f"| {tag} | {row['questions']} | {_fig(row['intent_accuracy'])} | "
                f"{_fig(row['exact_match'])} | {_fig(row['slot_f1'])} |"
            )
    if mismatches:
        lines += ["", "## Slot mismatches", ""]
        if scores.mismatches:
            lines += ["| id | slot | gold | predicted |", "|---|---|---|---|"]
            lines += [
                f"| {m['id']} | {m['slot']} | {_cell(m['gold'])} | {_cell(m['predicted'])} |"
                for m in scores.mismatches
            ]
        else:
            lines.append("None.")
    return "\n".join(lines) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file; blank lines skipped, a bad line named."""
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not JSON ({error.msg})") from None
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.nlq_eval", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("gold", type=Path, help="gold questions (examples.jsonl format)")
    parser.add_argument("predictions", type=Path, help='predictions: {"id", "intent", "slots"}')
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    parser.add_argument("--by-tag", action="store_true", help="add figures per gold tag")
    parser.add_argument("--mismatches", action="store_true", help="list every differing slot")
    args = parser.parse_args(argv)
    try:
        scores = score(read_jsonl(args.gold), read_jsonl(args.predictions))
    except (OSError, ValueError) as error:
        print(f"nlq_eval: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(report(scores, by_tag=args.by_tag, mismatches=args.mismatches))
    if args.json:
        args.json.write_text(json.dumps(scores.to_dict(), indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
