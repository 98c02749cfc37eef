"""The lexicon of `ask`: every name a question may use, found in the question's words.

Three layers, later ones adding to earlier ones: the built-in vocabulary of marketing words
(``vocabulary.toml``), the workspace itself (its semantic layer's goals, metrics and synonyms, and
the campaigns, pages, events, content titles, reps and property values in its tables), and an
editable synonyms file (``wayfinder-config/ask-synonyms.toml``). Matching is exact on word keys
(case, punctuation and plural "s" ignored) and, for words nothing matched, fuzzy (rapidfuzz) to
catch typos; when the two best fuzzy matches are close, the parser asks which was meant.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from wayfinder.ask.text import Word, key

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

#: The synonyms file a firm edits, in the workspace's catalog folder.
SYNONYMS_FILE = "ask-synonyms.toml"
#: Fuzzy matches below this score (0-100) are ignored; two within CLOSE of each other are asked.
FUZZY_CUTOFF = 86.0
CLOSE = 3.0
#: Endings of inflected words left out of fuzzy matching.
_VERB_ENDINGS = ("ed", "ing", "ght")
#: Longest phrase, in words, the exact matcher tries.
MAX_WORDS = 6
#: How many distinct values of one workspace column become names (the most frequent ones).
VALUES_PER_COLUMN = 200


@dataclass(frozen=True)
class Entry:
    """A phrase meaning ``canonical`` of ``kind``; ``linked`` is what it names in the workspace
    (an event, a page path, a campaign value), ``source`` where the phrase was declared."""

    kind: str
    canonical: str
    phrase: str
    source: str
    linked: str | None = None


@dataclass(frozen=True)
class Mention:
    """Words of the question (``first``..``last`` word indices, inclusive) that match entries."""

    first: int
    last: int
    start: int
    end: int
    text: str
    entries: tuple[Entry, ...]
    method: str  # "exact", "synonym" or "fuzzy"
    score: float = 100.0
    #: For fuzzy matches: the runner-up when it is close (the parser then asks).
    rival: Entry | None = None

    def of(self, kind: str) -> Entry | None:
        return next((e for e in self.entries if e.kind == kind), None)

    @property
    def kinds(self) -> set[str]:
        return {e.kind for e in self.entries}


@dataclass
class Lexicon:
    """Phrase keys to entries, and each kind's canonical names (for the LLM adapter's prompt)."""

    phrases: dict[tuple[str, ...], list[Entry]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, dict[str, str | None]] = field(default_factory=lambda: defaultdict(dict))

    # -- building -------------------------------------------------------------------------
    def add(
        self, kind: str, canonical: str, phrase: str, source: str, linked: str | None = None
    ) -> None:
        k = key(phrase)
        if not k:
            return
        entries = self.phrases[k]
        if not any(e.kind == kind and e.canonical == canonical for e in entries):
            entries.append(Entry(kind, canonical, phrase, source, linked))
        self.names[kind].setdefault(canonical, linked)

    def add_vocabulary(self, data: dict[str, dict[str, list[str]]], source: str) -> None:
        for kind, table in data.items():
            for canonical, phrases in table.items():
                self.add(kind, canonical, canonical.replace("_", " "), source)
                for phrase in phrases:
                    self.add(kind, canonical, phrase, source)

    @classmethod
    def builtin(cls) -> Lexicon:
        lex = cls()
        text = resources.files("wayfinder.ask").joinpath("vocabulary.toml").read_text("utf-8")
        lex.add_vocabulary(tomllib.loads(text), "built-in vocabulary")
        return lex

    @classmethod
    def for_workspace(cls, ws: Workspace, config_dir: Path | None = None) -> Lexicon:
        """The built-in vocabulary, the workspace's catalog and values, and the synonyms file."""
        lex = cls.builtin()
        _add_catalog(lex, ws)
        _add_values(lex, ws)
        folder = config_dir or getattr(ws, "config_dir", None)
        if folder is not None and (Path(folder) / SYNONYMS_FILE).is_file():
            path = Path(folder) / SYNONYMS_FILE
            lex.add_vocabulary(tomllib.loads(path.read_text("utf-8")), str(path))
        return lex

    # -- matching -------------------------------------------------------------------------
    def mentions(self, words: list[Word]) -> list[Mention]:
        """Exact matches, longest first at each position; a word belongs to one mention."""
        tokens: list[tuple[str, int]] = []  # (key token, index of the word it came from)
        for i, w in enumerate(words):
            tokens += [(t, i) for t in key(w.lower)] or [(w.lower, i)]
        found: list[Mention] = []
        t = 0
        while t < len(tokens):
            for n in range(min(MAX_WORDS, len(tokens) - t), 0, -1):
                entries = self.phrases.get(tuple(tok for tok, _ in tokens[t : t + n]))
                if entries:
                    found.append(
                        _mention(words, tokens[t][1], tokens[t + n - 1][1], entries, "exact")
                    )
                    t += n
                    break
            else:
                t += 1
        return found

    def fuzzy(self, text: str, kinds: tuple[str, ...] | None = None) -> list[tuple[Entry, float]]:
        """The best two entries for a phrase with a typo, best first, above the cutoff."""
        query = " ".join(key(text))
        if len(query) < 5:
            return []
        # Typos keep the first letter; verb forms ("bought", "signed") are words, not names.
        choices = {
            " ".join(k): entries
            for k, entries in self.phrases.items()
            if len(" ".join(k)) >= 5
            and k[0][:1] == query[:1]
            and not (len(k) == 1 and k[0].endswith(_VERB_ENDINGS))
            and (kinds is None or any(e.kind in kinds for e in entries))
        }
        best = process.extract(
            query, list(choices), scorer=fuzz.ratio, limit=6, score_cutoff=FUZZY_CUTOFF
        )
        out: list[tuple[Entry, float]] = []
        seen: set[tuple[str, str]] = set()
        for phrase, score, _ in best:
            for entry in choices[phrase]:
                if kinds is not None and entry.kind not in kinds:
                    continue
                if (entry.kind, entry.canonical) not in seen:
                    seen.add((entry.kind, entry.canonical))
                    out.append((entry, float(score)))
        return out[:2]

    def relink(self, kind: str, value: str) -> str | None:
        """The canonical name of ``kind`` a value stands for (exact, then a confident fuzzy match)."""
        for entry in self.phrases.get(key(value), []):
            if entry.kind == kind:
                return entry.canonical
        if kind in self.names and value in self.names[kind]:
            return value
        matches = self.fuzzy(value, (kind,))
        if matches and (len(matches) == 1 or matches[0][1] - matches[1][1] >= CLOSE):
            return matches[0][0].canonical
        return None

    def catalogue(self, limit: int = 80) -> dict[str, list[str]]:
        """Each kind's canonical names, at most ``limit`` per kind (for the LLM adapter)."""
        return {kind: sorted(names)[:limit] for kind, names in self.names.items()}

    def linked(self, kind: str, canonical: str) -> str | None:
        return self.names.get(kind, {}).get(canonical)


def _mention(
    words: list[Word], first: int, last: int, entries: list[Entry], method: str
) -> Mention:
    start, end = words[first].start, words[last].end
    text = " ".join(w.text for w in words[first : last + 1])
    synonym = all(
        e.source != "built-in vocabulary" and e.kind in ("goal", "metric") for e in entries
    )
    return Mention(first, last, start, end, text, tuple(entries), "synonym" if synonym else method)


# -- the workspace's own names ------------------------------------------------------------------

#: Goals of the semantic layer whose names are the canonical goal keys of docs/ask.md.
_GOAL_KEYS = {
    "purchase",
    "checkout_abandonment",
    "signup",
    "trial_start",
    "paid_subscription",
    "demo_request",
    "closed_deal",
    "new_customer",
    "newsletter_signup",
    "repeat_purchase",
    "whitepaper_download",
    "add_to_cart",
    "checkout",
    "deal_created",
}


def _add_catalog(lex: Lexicon, ws: Workspace) -> None:
    catalog = ws.catalog
    for name in catalog.goals:
        lex.add("goal", name, name.replace("_", " "), "semantic layer", linked=f"goal:{name}")
    for name in catalog.metrics:
        lex.add("metric", name, name.replace("_", " "), "semantic layer", linked=f"metric:{name}")
    for synonym in catalog.synonyms():
        builtin = synonym.file.startswith("built-in")
        if builtin and key(synonym.phrase) in _GENERIC:
            continue  # the defaults' catch-all words ("people", "customers") say nothing in a question
        if synonym.kind in ("goal", "metric"):
            linked = f"{synonym.kind}:{synonym.target}"
            lex.add(synonym.kind, synonym.target, synonym.phrase, synonym.file, linked)


#: Built-in semantic-layer synonyms too generic to name a goal or metric inside a question.
_GENERIC = {
    key(w)
    for w in (
        "people",
        "users",
        "audience",
        "customers",
        "views",
        "hits",
        "completions",
        "subscription",
        "opportunity",
        "subscribed",
        "win",
        "sale",
        "sales",
        "converters",
        "checkouts",
        "closed-won revenue",
        "takings",
        "closed won revenue",
        "won revenue",
        "closed revenue",
        "transaction",
        "transactions",
    )
}


def _add_values(lex: Lexicon, ws: Workspace) -> None:
    """Campaigns, pages, events, content, reps and property values found in the workspace."""
    for kind, table, column in _VALUE_SOURCES:
        for value in _top_values(ws, table, column):
            for phrase, linked in _phrases(kind, value):
                lex.add(kind, value, phrase, f"workspace {table}.{column}", linked)
    for title, path in _content(ws):
        lex.add(
            "content",
            title,
            title,
            "workspace content.title",
            linked=f"page:{path}" if path else title,
        )


_VALUE_SOURCES = (
    ("campaign", "events", "utm_campaign"),
    ("campaign", "interactions", "campaign"),
    ("campaign", "deals", "campaign"),
    ("page", "events", "path"),
    ("event", "events", "event"),
    ("rep", "deals", "owner"),
    ("rep", "interactions", "owner"),
    ("rep", "content", "author"),
    ("device", "events", "device_type"),
    ("country", "events", "country"),
    ("plan", "subscriptions", "plan"),
    ("plan", "accounts", "plan"),
    ("industry", "accounts", "industry"),
    ("country", "accounts", "country"),
)


def _top_values(ws: Workspace, table: str, column: str) -> list[str]:
    import ibis

    try:
        t = ws.table(table)
    except Exception:  # noqa: BLE001 - a workspace without the table simply adds no names
        return []
    if column not in t.columns:
        return []
    col = t[column].cast("string")
    q = t.filter(col.notnull() & (col != "")).group_by(value=col).agg(n=ibis._.count())
    rows = q.order_by(ibis.desc("n")).limit(VALUES_PER_COLUMN).to_pyarrow().column("value")
    return [v for v in rows.to_pylist() if v]


def _content(ws: Workspace) -> list[tuple[str, str | None]]:
    try:
        t = ws.table("content")
    except Exception:  # noqa: BLE001
        return []
    cols = [c for c in ("title", "path") if c in t.columns]
    if "title" not in cols:
        return []
    rows = t.select(*cols).limit(2000).to_pyarrow().to_pylist()
    return [(r["title"], r.get("path")) for r in rows if r["title"]]


_PATH_WORD = re.compile(r"[a-z0-9]+")


def _phrases(kind: str, value: str) -> list[tuple[str, str]]:
    """The phrases a question may use for one workspace value, with what they link to."""
    if kind == "page":
        parts = _PATH_WORD.findall(value.lower())
        if not parts:
            return [
                ("homepage", f"page:{value}"),
                ("home page", f"page:{value}"),
                ("home", f"page:{value}"),
            ]
        words = " ".join(parts[-1:] if parts[0] in ("p", "c") else parts)
        reverse = " ".join(reversed(parts))
        return [
            (f"{words} page", f"page:{value}"),
            (f"{reverse} page", f"page:{value}"),
            (f"{words} pages", f"page:{value}"),
        ]
    if kind == "event":
        return [(value, f"event:{value}")]
    if kind == "campaign":
        return [(value, f"campaign:{value}"), (value.replace("_", " "), f"campaign:{value}")]
    return [(value, f"{kind}:{value}")]


def values_of(entries: Any) -> list[str]:
    return [e.canonical for e in entries]
