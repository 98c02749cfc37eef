"""Filling the slots of a reading from the names and shapes found in a question.

Each function reads one slot and returns its value with the evidence behind it, or nothing. Which
slots an intent takes, and how a name is read for it (a goal word is a funnel step in a funnel, a
metric in a trend, the goal elsewhere), is decided here too, in ``fill``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wayfinder.ask.frame import Evidence
from wayfinder.ask.lexicon import Entry, Mention
from wayfinder.ask.text import STOPWORDS, Word, number

# -- what fill works from ---------------------------------------------------------------------


@dataclass
class Found:
    """The question as the slot readers see it."""

    text: str  # folded question
    words: list[Word]
    mentions: list[Mention]
    #: Character spans already used by periods and cues; slot readers add theirs.
    used: list[tuple[int, int]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    #: Character spans of the periods found (a "vs" between periods compares times, not groups).
    periods: list[tuple[int, int]] = field(default_factory=list)

    def note(
        self,
        slot: str,
        words: str,
        value: Any,
        method: str,
        span: tuple[int, int] | None = None,
        score: float | None = None,
        linked: str | None = None,
    ) -> None:
        self.evidence.append(
            Evidence(slot=slot, words=words, value=value, method=method, score=score, linked=linked)
        )  # type: ignore[arg-type]
        if span is not None:
            self.used.append(span)

    def of_kind(self, kind: str) -> list[tuple[Mention, Entry]]:
        return [(m, e) for m in self.mentions if (e := m.of(kind)) is not None]

    def before(self, mention: Mention, n: int = 2) -> str:
        """The ``n`` words before a mention, folded, joined by spaces."""
        return " ".join(w.lower for w in self.words[max(0, mention.first - n) : mention.first])

    def after(self, mention: Mention, n: int = 2) -> str:
        return " ".join(w.lower for w in self.words[mention.last + 1 : mention.last + 1 + n])


def _method(m: Mention) -> str:
    return m.method


# -- top N ------------------------------------------------------------------------------------

_NUM = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|fifty|a dozen|dozen)"
_TOP = re.compile(
    rf"\b(?:top|best|first|leading|biggest|largest|main|highest|worst|lowest|bottom)\s+{_NUM}\b(?!\s*(?:days?|weeks?|months?|years?|%|percent))"
    rf"|\b{_NUM}\s+(?:most|best|top|biggest|largest|main|highest|lowest|worst|leading|key|common|popular|frequent|influential|active)\b"
    rf"|\b{_NUM}\s+(?:paths?|journeys?|routes?|campaigns?|channels?|pages?|posts?|members?|customers?|accounts?|sources?|products?|reasons?|drivers?|segments?|people|users|influencers?|things|ideas|ways|steps|actions|recommendations|tips|experiments|changes|posters|creators|advocates|fans)\b"
)


def top_n(found: Found) -> int | None:
    m = _TOP.search(found.text)
    if not m:
        return None
    group = next(g for g in m.groups() if g)
    value = number(group)
    if value is None or value < 1:
        return None
    found.note("top_n", m.group(), value, "rule", m.span())
    return value


# -- names found by the lexicon -----------------------------------------------------------------

#: Metric phrases that only say "a rate of converting" (used when no other metric is named).
_WEAK_METRICS = {
    "fraction",
    "share",
    "percentage",
    "percent",
    "proportion",
    "how often",
    "convert",
    "conversion",
}


_WINDOW_BEFORE = re.compile(
    r"\b(d|day|week|month|wk)[- ]?\d+\s*$|\b\d+[- ](day|week|month)s?\s*$|\b(day|week|month)[- ]\d+\s*$"
)


def _rate_of_retention(found: Found, m: Mention) -> bool:
    """Retention is a measure when qualified by a window ("30-day retention", "D30 retention"),
    said as a rate ("retention rate"), or asked as a share ("what % ... still"); else it names
    the analysis ("retention by plan", "cohort retention")."""
    if "rate" in m.text.lower() or found.after(m, 1) in ("rate", "rates"):
        return True
    if _WINDOW_BEFORE.search(found.text[max(0, m.start - 12) : m.start]):
        return True
    nxt, prev = found.after(m, 1), found.before(m, 1)
    if (
        nxt in _ANALYSIS_NOUNS
        or prev in ("cohort", "cohorts")
        or nxt in ("by", "broken", "split", "across")
    ):
        return False
    return bool(
        re.search(
            r"\b(what|which) (%|percent|share|proportion|fraction)|%|\bhow (good|strong|high|low)\b",
            found.text,
        )
    )


#: Words after "retention" that name the analysis, not a measure ("retention cohorts").
_ANALYSIS_NOUNS = {
    "table",
    "tables",
    "chart",
    "charts",
    "matrix",
    "heatmap",
    "analysis",
    "report",
    "curve",
    "curves",
    "grid",
    "cohort",
    "cohorts",
}
_CONVERSION_RATE = re.compile(r"\bconversion rates?\b|\bcvr\b|\bconv rate\b")

#: Intents where a goal word ("purchases", "free trials") names the outcome, not a measure.
_GOAL_FIRST = {
    "funnel",
    "attribution",
    "paths",
    "conversion_drivers",
    "retention",
    "lookup_customer",
    "recommendations",
}
_INFLUENCE_LEAD = re.compile(r"\b(by|by their|ranked by|in terms of|on)\s+$")


def _vocabulary_metrics() -> frozenset[str]:
    import tomllib
    from importlib import resources

    text = resources.files("wayfinder.ask").joinpath("vocabulary.toml").read_text("utf-8")
    return frozenset(tomllib.loads(text)["metric"])


#: ask's own metric keys: a semantic-layer synonym naming one of them counts as that key.
NLQ_METRICS = _vocabulary_metrics()


def nlq_metric(m: Mention) -> Entry | None:
    """The mention's metric in ask's own keys (the built-in vocabulary or the firm's ask file);
    semantic-layer names like ``deals_won`` are linked when the spec is planned, not here."""
    return next(
        (
            e
            for e in m.entries
            if e.kind == "metric"
            and (
                not e.source.startswith(("semantic", "built-in defaults"))
                or e.canonical in NLQ_METRICS
            )
        ),
        None,
    )


def metric(found: Found, intent: str) -> str | None:
    metrics = [
        (m, e)
        for m in found.mentions
        if (e := nlq_metric(m)) is not None
        and not (intent in _GOAL_FIRST and m.entries[0].kind == "goal")
    ]
    if intent == "funnel":
        metrics = [
            (m, e)
            for m, e in metrics
            if e.canonical in ("conversion_rate",) or m.text.lower() in _WEAK_METRICS
        ]
    if intent == "segment_compare":
        # "returning visitors", "Instagram shoppers": the noun after a group names who, not what.
        metrics = [
            (m, e)
            for m, e in metrics
            if not (
                e.canonical in _POPULATION_METRICS | {"leads"}
                and (found.before(m, 1) in SEGMENT_WORDS or _after_channel(found, m))
            )
            and not (
                e.canonical == "spend" and found.before(m, 1) in ("who", "they", "people", "that")
            )
            and not (e.canonical in _POPULATION_METRICS | {"leads"} and _in_versus(found, m))
        ]
    if intent == "influencers":
        metrics = [
            (m, e)
            for m, e in metrics
            if _INFLUENCE_LEAD.search(found.text[max(0, m.start - 12) : m.start])
        ]
    strong = [(m, e) for m, e in metrics if m.text.lower() not in _WEAK_METRICS]
    weak = [(m, e) for m, e in metrics if m.text.lower() in _WEAK_METRICS]
    for m, e in strong:
        if e.canonical == "retention_rate" and not _rate_of_retention(found, m):
            continue  # "retention table", "retention by plan" name the analysis, not a measure
        if e.canonical in ("churn_rate",) and intent == "churn_drivers":
            continue
        if (
            e.canonical == "reach"
            and intent not in ("influencers", "trend")
            and found.before(m, 1) != "by"
        ):
            continue
        found.note("metric", m.text, e.canonical, _method(m), (m.start, m.end), linked=e.linked)
        return e.canonical
    if re.search(r"\breturn on (\w+ ){0,2}ad spend\b", found.text):
        found.note("metric", "return on ad spend", "roas", "rule")
        return "roas"
    if intent in ("funnel", "segment_compare", "trend", "revenue_metrics", "attribution") and (
        m := _CONVERSION_RATE.search(found.text)
    ):
        found.note("metric", m.group(), "conversion_rate", "synonym", m.span())
        return "conversion_rate"
    if intent in ("funnel", "segment_compare", "trend", "revenue_metrics") and weak:
        m, e = weak[0]
        if intent == "funnel" and m.text.lower() in ("convert", "conversion"):
            return None
        found.note("metric", m.text, "conversion_rate", "synonym", (m.start, m.end))
        return "conversion_rate"
    return None


#: Metrics whose words also name who is counted ("returning visitors", "mobile users").
_POPULATION_METRICS = {"traffic", "sessions", "active_users", "reach", "signups"}


def _after_channel(found: Found, m: Mention) -> bool:
    return any(x.last == m.first - 1 and x.of("channel") for x in found.mentions)


#: A goal said in a trend is what gets counted: the metric that counts it.
#: Counted in a trend, a goal whose count is one of ask's metrics is that metric ("orders",
#: "signups"); any other goal stays the goal (its count is the measure), as most annotators read it.
GOAL_METRICS = {"purchase": "orders", "signup": "signups", "conversion": "conversions"}


#: Goals whose counting metric does not say which goal it counts (sign-ups of any kind).
LOSSY_GOALS = {
    "newsletter_signup",
    "whitepaper_download",
    "add_to_cart",
    "checkout",
    "repeat_purchase",
    "paid_subscription",
}


def goals(found: Found) -> list[tuple[Mention, Entry]]:
    """Goal mentions, in the order said; a word that is also a metric counts as a goal only when
    no metric reading is wanted (the caller decides)."""
    return found.of_kind("goal")


def channels(found: Found, *, exclude_breakdown: bool = True) -> list[tuple[Mention, str]]:
    out: list[tuple[Mention, str]] = []
    for m, e in found.of_kind("channel"):
        if m.of("goal") is not None and len(m.text.split()) > 1:
            continue  # "newsletter sign-ups": the goal's words, not the channel
        if any(m.start >= a and m.end <= b for a, b in found.used):
            continue
        if e.canonical == "email" and found.after(m, 1) in (
            "address",
            "addresses",
            "list",
            "lists",
        ):
            continue  # an e-mail address is personal data, not the channel
        if e.canonical not in [c for _, c in out]:
            out.append((m, e.canonical))
    return out


def models(found: Found) -> list[str]:
    out: list[str] = []
    for m, e in found.of_kind("model"):
        if e.canonical not in out:
            out.append(e.canonical)
            found.note("model", m.text, e.canonical, _method(m), (m.start, m.end))
    return out


_BREAKDOWN_LEAD = re.compile(
    r"\b(by|per|across|each|every|which|wich|what|split by|broken down by|break(?:down)? by|grouped by|for each|for every|between|top \d+|top [a-z]+)\s+(?:the\s+|our\s+|their\s+|each\s+|individual\s+|different\s+)?(?:email\s+|paid\s+|social\s+|search\s+|facebook\s+|instagram\s+|tiktok\s+|linkedin\s+|google\s+)?"
    r"(?:(?:first|last)[- ]touch\s+|acquisition\s+|marketing\s+|traffic\s+|lead\s+|weekly\s+|monthly\s+|quarterly\s+|yearly\s+|annual\s+|signup\s+|sign-up\s+)?$"
)


_NOT_DIMENSION_NEXT = {
    "traits",
    "attributes",
    "characteristics",
    "types",
    "kind",
    "details",
    "data",
    "history",
    "activity",
    "size",
    "value",
    "success",
    "champions",
    "advocates",
    "advisory",
    "health",
    "list",
    "base",
    "journey",
    "journeys",
    "lifetime",
    "acquisition",
    "retention",
    "churn",
}


def breakdown(found: Found) -> list[str]:
    out: list[str] = []
    for m, e in found.of_kind("breakdown"):
        if found.after(m, 1) in _NOT_DIMENSION_NEXT:
            continue  # "what account traits", "which customer champions": not a dimension
        lead = found.text[max(0, m.start - 30) : m.start]
        if not _BREAKDOWN_LEAD.search(lead):
            continue
        if (
            m.of("metric") is not None
            and lead.rstrip().endswith("by")
            and e.canonical not in ("channel", "campaign")
        ):
            continue
        if e.canonical not in out:
            out.append(e.canonical)
            found.note("breakdown", m.text, e.canonical, _method(m), (m.start, m.end))
    return out


# -- words of the question ------------------------------------------------------------------------

_CAMPAIGN_NOUN = r"(?:campaigns?|promos?|promotions?|push|initiative|blast|sale|offer|series|webinar|conference|summit|giveaway|sequence)"
#: Nouns that are part of a campaign's name ("the Black Friday sale", "the October webinar").
_NAMED_NOUNS = (
    "sale",
    "webinar",
    "conference",
    "summit",
    "giveaway",
    "events",
    "booth",
    "series",
    "sequence",
)
_CAMPAIGN = re.compile(rf"\b((?:[\w'&-]+\s+){{0,3}}[\w'&-]+)\s+{_CAMPAIGN_NOUN}\b")
_ATTRIBUTE_TO = re.compile(
    r"\b(?:attribut\w*|credit\w*|thank)\s+(?:to|for)\s+(?:the\s+|our\s+)?([\w' &-]+?)(?=\s+(?:in|during|over|last|this|since|from|for|on|at|by)\b|[?.!,]|$)"
)
_NOT_CAMPAIGN_WORDS = STOPWORDS | {
    "marketing",
    "paid",
    "ad",
    "ads",
    "email",
    "each",
    "every",
    "which",
    "what",
    "top",
    "best",
    "most",
    "biggest",
    "recent",
    "latest",
    "current",
    "new",
    "all",
    "whole",
    "total",
    "overall",
    "individual",
    "different",
    "other",
    "single",
    "same",
    "next",
    "last",
    "previous",
    "upcoming",
    "this",
    "that",
    "during",
    "through",
    "via",
    "from",
    "contribute",
    "contributed",
    "drive",
    "drove",
    "did",
    "does",
    "social",
    "search",
    "display",
    "channel",
    "channels",
    "credit",
    "much",
    "many",
}


def campaign(found: Found, channel_words: set[str]) -> str | None:
    """A campaign named in the question, as written: a campaign of the workspace, the words just
    before "campaign" / "sale" / "promo" (not a channel, goal or metric), or what revenue is
    attributed to ("attribute to trade-show events")."""
    for entry_m, entry in found.of_kind("campaign"):
        if entry_m.of("channel") or entry_m.of("goal"):
            continue  # "newsletter" is a channel before it is a campaign of that name
        if found.after(entry_m, 1) in _NAMED_NOUNS:
            nxt = found.words[entry_m.last + 1]
            text = _span_text(found, entry_m.start, nxt.end)
            found.note(
                "campaign",
                text,
                text,
                _method(entry_m),
                (entry_m.start, nxt.end),
                linked=entry.linked,
            )
            return text
        found.note(
            "campaign",
            entry_m.text,
            entry_m.text,
            _method(entry_m),
            (entry_m.start, entry_m.end),
            linked=entry.linked,
        )
        return entry_m.text
    if (
        (h := _HOLIDAY.search(found.text))
        and not any(a <= h.start() < b for a, b in found.periods)
        and not re.search(
            r"\b(before|by|until|till|since|on|after|for)\s+$", found.text[: h.start()]
        )
    ):
        text = _span_text(found, h.start(), h.end())
        found.note("campaign", text, text, "rule", h.span())
        return text
    named = [
        (x.start, x.end)
        for x in found.mentions
        if x.of("goal") or x.of("metric") or x.of("breakdown")
    ]
    for m in _CAMPAIGN.finditer(found.text):
        words = m.group(1).split()
        starts = _word_starts(found, m.start(1), m.end(1))
        if len(starts) != len(words):
            continue
        kept: list[int] = []
        noun = m.group(0).split()[-1]
        last = len(words) - 1
        while last >= 0 and words[last] in channel_words:
            last -= 1  # "the Black Friday email push": the channel word names the medium
        for i in range(last, -1, -1):  # walk back from the noun
            w = words[i]
            if (
                w in channel_words
                or w in _NOT_CAMPAIGN_WORDS
                or w.isdigit()
                or any(a <= starts[i] < b for a, b in named)
            ):
                break
            kept.insert(0, i)
        if not kept and noun.startswith(_NAMED_NOUNS) and last < len(words) - 1:
            kept = [len(words) - 1]  # "the webinar series": the channel word is the name
        if not kept:
            continue
        end = m.end() if noun.startswith(_NAMED_NOUNS) else m.end(1)
        start = starts[kept[0]]
        text = _span_text(found, start, end)
        found.note("campaign", text, text, "rule", (start, m.end()))
        return text
    m = _ATTRIBUTE_TO.search(found.text)
    if m and not any(a <= m.start(1) < b for a, b in found.used):
        words = m.group(1).split()
        a, b = m.span(1)
        named_inside = any(
            a <= x.start < b and (x.of("goal") or x.of("metric") or x.of("channel"))
            for x in found.mentions
        )
        if (
            words
            and not named_inside
            and words[0] not in channel_words
            and not set(words)
            & {"channel", "channels", "campaign", "campaigns", "it", "them", "each", "which"}
        ):
            text = _span_text(found, a, b)
            found.note("campaign", text, text, "rule", m.span(1))
            return text
    return None


#: Holidays named as campaigns ("Black Friday orders", "the BFCM push"), when not a period.
_HOLIDAY = re.compile(
    r"\b(black friday|cyber monday|bfcm|prime day|boxing day|singles'? day|christmas|easter|valentine'?s day|mother'?s day|father'?s day|back to school|new year)( sale| weekend| promo| campaign)?\b"
)


def _word_starts(found: Found, start: int, end: int) -> list[int]:
    return [w.start for w in found.words if w.start >= start and w.end <= end]


def _span_text(found: Found, start: int, end: int) -> str:
    picked = [w.text for w in found.words if w.start >= start and w.end <= end]
    return " ".join(picked)


_VERBS = r"(?:open|opens|opened|read|reads|view|views|viewed|visit|visits|visited|watch|watches|watched|download|downloads|downloaded|see|sees|saw|seen|use|uses|used|click|clicks|clicked|check|checks|checked|attend|attends|attended|try|tries|tried|get|gets|got|receive|receives|received|look at|looks at|looked at|engage with|engaged with|land on|landed on|hit|hits|start|started|play|played)"
_WHO_DID = re.compile(
    rf"\b(?:people|visitors|users|shoppers|customers|buyers|leads|accounts|those|readers|members|prospects|folks|anyone|everyone|subscribers|attendees|trialists|deals|companies|ones|someone)\s+(?:who|that|which)\s+(?:have\s+|had\s+|also\s+|first\s+|actually\s+)?{_VERBS}\s+(?:the\s+|a\s+|an\s+|our\s+|any\s+|at\s+least\s+one\s+)?([\w' -]+?)(?=\s+(?:buy|buys|bought|convert|converts|converted|purchase|purchases|purchased|sign|signs|signed|close|closes|closed|upgrade|upgrades|order|orders|ordered|subscribe|subscribes|more|less|likelier|likely|end|go|are|were|do|did|have|tend|become|turn|spend|cancel|churn|stay|renew|return|come)\b|[?.!,]|$)"
)
_DOES_X = re.compile(
    r"\b(?:does|do|did|is|can)\s+(?:reading|viewing|watching|visiting|opening|downloading|seeing|using|attending|joining|registering for)\s+(?:the\s+|a\s+|an\s+|our\s+)?([\w' -]+?)\s+(?:page\s+)?(?:help(?!\s+(?:page|centre|center|articles?|docs))|helps|increase|increases|raise|raises|boost|boosts|improve|improves|lift|lifts|affect|affects|impact|impacts|make|makes|lead|leads|drive|drives|hurt|hurts|matter|reduce|reduces|lower|lowers|prevent|prevents|cut|cuts|change|changes)"
)


_AUTHORED = re.compile(
    r"\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*['’]s\s+(?:[\w-]+\s+)?(?:blog posts?|posts?|articles?|webinars?|videos?|podcasts?|content|guides?|ebooks?|whitepapers?))\b"
)
_ON_PAGE = re.compile(
    r"\b(?:on|of|for|to)\s+(?:the\s+|our\s+|a\s+)?((?:[\w'-]+\s+){0,3}(?:page|pages|post|posts|article|articles|video|videos|guide|guides))\b"
)


_DO_THE_X = re.compile(
    r"^\s*(?:do|does|did|will|would)\s+(?:(?:reading|watching|viewing|visiting|opening|downloading|seeing|using|attending|joining)\s+)?(?:the\s+|our\s+|a\s+|an\s+)?([\w' -]+?)\s+(?:actually\s+)?(?:drive|increase|boost|lift|help(?!\s+(?:page|centre|center|articles?|docs))|raise|improve|get|lead to|cause|reduce|lower|hurt|make)\b"
)


def content(
    found: Found, question: str = "", *, on_page: bool = False, subject: bool = False
) -> str | None:
    if subject and (m := _DO_THE_X.search(found.text)):
        text = _span_text(found, m.start(1), m.end(1))
        if text and text.split()[0].lower() not in STOPWORDS:
            found.note("content", text, text, "rule", m.span(1))
            return text
    if question and (m := _AUTHORED.search(question)):
        found.note("content", m.group(1), m.group(1), "rule", m.span(1))
        return m.group(1)
    if on_page and (m := _ON_PAGE.search(found.text)):
        first = m.group(1).split()[0]
        if first not in STOPWORDS:
            text = _span_text(found, m.start(1), m.end(1))
            found.note("content", text, text, "rule", m.span(1))
            return text
    for pattern in (_WHO_DID, _DOES_X):
        m = pattern.search(found.text)
        if m:
            words = m.group(1).strip()
            if words and words.split()[0] not in STOPWORDS:
                text = _span_text(found, m.start(1), m.end(1))
                found.note("content", text, text, "rule", m.span(1))
                return text
    for m, e in found.of_kind("content"):
        found.note("content", m.text, m.text, _method(m), (m.start, m.end), linked=e.linked)
        return m.text
    return None


_PAGE_PHRASE = re.compile(
    r"\b((?:the\s+)?(?:[\w-]+\s+){0,2}?(?:page|homepage|home page|site|landing page|screen|article|post|checkout|cart))\b"
)
_START = re.compile(
    r"\b(?:once|after|when|from|starting (?:at|from|on)|start(?:s|ed)? (?:at|on|from)|beginning (?:at|with)|leaving|leave|left)\s+"
    r"(?:they\s+|people\s+|users\s+|visitors\s+|someone\s+)?(?:(?:leave|left|visit|visited|visiting|view|viewed|viewing|land|landed|landing|hit|see|saw|read|reading|exit|exiting|watch|watched|watching|download|downloaded|downloading|open|opened|opening|finish|finished|finishing)\s+)?(?:on\s+|at\s+)?"
    r"(?:the\s+|our\s+|a\s+|an\s+)?((?:[\w-]+\s+){0,3}?(?:page|homepage|home page|landing page|screen|article|post|blog|cart|checkout|case study|case studies|guide|video|webinar|demo|docs|pricing|features|ebook|whitepaper|newsletter|email)(?:\s+pages?)?)\b"
)
_AFTER_GOAL = re.compile(
    r"\b(?:once|after|when|right after|just after|straight after)\s+(?:they|people|users|visitors|someone|customers|shoppers)?\s*"
)


def start_page(found: Found) -> str | None:
    """Where paths start: a page said after "after"/"from"/"once they leave", or a goal done
    first ("after they install the app" -> app_install)."""
    for x in found.mentions:
        e = x.of("goal") or x.of("event")
        if (
            e is not None
            and _AFTER_GOAL.search(found.text[max(0, x.start - 50) : x.start] + " ")
            and re.search(
                r"\b(once|after|when)\b[^.?!]{0,45}$", found.text[max(0, x.start - 50) : x.start]
            )
        ):
            found.note("start", x.text, e.canonical, x.method, (x.start, x.end), linked=e.linked)
            return e.canonical
    m = _START.search(found.text)
    if m:
        a, b = m.span(1)
        for x in found.mentions:
            e = x.of("goal") or x.of("event")
            if e is not None and a <= x.start < b:
                found.note("start", x.text, e.canonical, x.method, (a, b), linked=e.linked)
                return e.canonical
        text = _span_text(found, m.start(1), m.end(1))
        found.note("start", text, text, "rule", m.span(1))
        return text
    return None


_CUSTOMER = re.compile(
    r"([\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|\b(?:customer|user|person|contact|account|client|member|lead|subscriber|shopper|buyer|visitor|profile|id)\s*(?:id|number|no\.?|#)?\s*#?\s*(\d[\w-]*|[A-Za-z][\w-]*\d[\w-]*)\b"
    r"|\b(?:customer|lead|contact|client|prospect|user|person)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)"
    r"|\b([A-Z][\w&]+)['’]s\s+(?:account|team|company|history|activity|timeline|profile)"
    r"|\b(?:for|of|about|on|has|did|does)\s+([A-Z][a-z]+\s+[A-Z][a-z]+)\b"
    r"|(@[\w.]+)"
    r"|\b(?:acct|account)\s*#?\s*(\d[\w-]*)"
    r"|\b(?:history|timeline|activity|profile|touchpoints?|record|records)\s+(?:for|of|on)\s+(?:the\s+)?([A-Z][\w&]*(?:\s+[A-Z][\w&]*)*)"
    r"|\b(?:for|of|on)\s+the\s+([A-Z][\w&]*(?:\s+[A-Z][\w&]*)*)\s+account\b"
    r"|\baccount\s+([\w-]+\.[a-z]{2,})\b"
    r"|\bwho at\s+([A-Z][\w&]*(?:\s+[A-Z][\w&]*)*)"
    r"|\b(?:has|did|have)\s+([A-Z][\w&]*(?:\s+[A-Z][\w&]*)+)\s+(?:paid|spent|bought|done|ordered|requested|signed|booked|opened|visited|clicked|downloaded|attended|churned|upgraded|renewed|engaged|attend|request|buy|order|open|visit|click|download|sign|book|pay|spend|ever|have|log)"
    r"|\b(?:did|has|does|have)\s+([A-Z][\w&]+)\s+(?:ever\s+|already\s+|actually\s+)?(?:attend|request|buy|order|open|visit|click|download|sign|book|pay|spend|have|log|engage|use|touch)\w*"
    r"|^\s*([A-Z][a-z]+\s+[A-Z][a-z]+)\s*[—:,-]"
)


def customer(found: Found, question: str) -> str | None:
    m = _CUSTOMER.search(question)
    if not m:
        return None
    value = next(g for g in m.groups() if g)
    span = next(m.span(i) for i in range(1, 15) if m.group(i))
    found.note("customer", value, value, "rule", span)
    return value


# -- segments and filters -------------------------------------------------------------------------

#: Group words a comparison may name besides channels and workspace values.
SEGMENT_WORDS = {
    "desktop",
    "mobile",
    "tablet",
    "ios",
    "android",
    "web",
    "app",
    "weekend",
    "weekday",
    "weekends",
    "weekdays",
    "new",
    "returning",
    "free",
    "paid",
    "monthly",
    "annual",
    "yearly",
    "b2b",
    "b2c",
    "enterprise",
    "smb",
    "mid-market",
    "midmarket",
    "domestic",
    "international",
    "morning",
    "evening",
    "us",
    "uk",
    "eu",
    "europe",
    "emea",
    "apac",
    "americas",
    "logged-in",
    "guest",
    "guests",
    "members",
    "subscribers",
    "trial",
    "organic",
    "germany",
    "france",
    "spain",
    "italy",
    "canada",
    "australia",
    "japan",
    "india",
    "brazil",
    "mexico",
    "ireland",
    "netherlands",
    "sweden",
    "usa",
    "smbs",
    "startups",
    "startup",
    "agencies",
    "agency",
    "men's",
    "women's",
    "kids",
}
_SEGMENT_NORMAL = {
    "weekends": "weekend",
    "weekdays": "weekday",
    "guests": "guest",
    "yearly": "annual",
}


_VERSUS = re.compile(
    r"\b((?:[\w'-]+\s+){0,2}[\w'-]+)\s+(?:vs\.?|versus|v\.?|or|and|compared? (?:to|with)|compares (?:to|with)|stacks? up against|against)\s+((?:[\w'-]+\s+){0,3}[\w'-]+)"
)
#: Words a compared group's phrase does not start or end with.
_NOT_GROUP = STOPWORDS | {
    "compare",
    "comparing",
    "is",
    "are",
    "do",
    "does",
    "who",
    "which",
    "higher",
    "lower",
    "better",
    "worse",
    "more",
    "less",
    "rate",
    "conversion",
    "retention",
    "basket",
    "value",
    "revenue",
    "ltv",
    "roas",
    "cac",
    "aov",
    "lifetime",
    "win",
    "bounce",
    "churn",
    "on",
    "deals",
    "spend",
    "margin",
    "gross",
    "average",
    "per",
    "pipeline",
    "attendee",
    "trial-to-paid",
}


def _versus_groups(found: Found) -> list[str] | None:
    """Two groups said around "vs" / "or" / "compared to" ("self-serve vs sales-assisted
    accounts" -> self-serve, sales-assisted): a head noun both share is dropped."""
    m = _VERSUS.search(found.text) or _THAN.search(found.text)
    if not m or any(a < m.end() and m.start() < b for a, b in found.periods):
        return None
    left = [w for w in m.group(1).split()]
    right = [w for w in m.group(2).split()]
    while left and left[0] in _NOT_GROUP:
        left.pop(0)
    while right and right[0] in _NOT_GROUP:
        right.pop(0)
    while right and right[-1] in _NOT_GROUP:
        right.pop()
    cut = next((i for i, w in enumerate(right) if w in _NOT_GROUP), len(right))
    right = right[:cut]
    if not left or not right:
        return None
    if len(left) > 1 and len(right) > 1 and left[-1] == right[-1]:
        left, right = left[:-1], right[:-1]  # "SMS subscribers vs email-only subscribers"
    elif len(left) > 1 and right[-1] != left[-1] and left[-1] in _GROUP_NOUNS and len(right) == 1:
        left = left[:-1]  # "self-serve accounts vs sales-assisted"
    elif len(right) > 1 and right[-1] in _GROUP_NOUNS and left[-1] not in _GROUP_NOUNS:
        right = right[
            :-1
        ]  # "in-person vs virtual events", "spring sale and black friday customers"
    return [" ".join(left), " ".join(right)]


#: "Do newsletter subscribers have a higher AOV than non-subscribers?"
_THAN = re.compile(
    r"^\s*(?:do|does|did|are|is|were|will)\s+((?:[\w'-]+\s+){0,2}?[\w'-]+)\s+(?:have|get|spend|convert|buy|churn|retain|engage|stay|close|order|show|see|come|return|bounce|click|open|use|perform|generate)\w*\b[^?]*?\bthan\s+((?:[\w'-]+\s+){0,2}[\w'-]+)"
)


def _in_versus(found: Found, m: Mention) -> bool:
    v = _VERSUS.search(found.text)
    return v is not None and v.start() <= m.start < v.end()


#: Head nouns of groups ("accounts", "leads") dropped when only one side says them.
_GROUP_NOUNS = {
    "accounts",
    "leads",
    "users",
    "customers",
    "visitors",
    "shoppers",
    "buyers",
    "events",
    "deals",
    "subscribers",
    "members",
    "people",
    "traffic",
    "channels",
    "campaigns",
    "ones",
}


def segments(found: Found, question: str = "") -> list[str] | None:
    """The groups a comparison names, as said, lower case ("paid social", "tiktok")."""
    named = _named_segments(found)
    if named is not None:
        return named
    groups = _versus_groups(found)
    if groups:
        for g in groups:
            found.note("segments", g, g, "rule")
    return groups


def _named_segments(found: Found) -> list[str] | None:
    picked: list[tuple[int, str, tuple[int, int]]] = []
    for m in found.mentions:
        for kind in ("channel", "device", "plan", "country", "industry"):
            e = m.of(kind)
            if e is not None:
                picked.append((m.start, m.text.lower(), (m.start, m.end)))
                break
    taken = [span for _, _, span in picked]
    for i, w in enumerate(found.words):
        lw = w.lower
        if lw not in SEGMENT_WORDS or any(a <= w.start < b for a, b in taken):
            continue
        if lw in _NEEDS_NOUN and not _looks_like_group(found, i):
            continue
        if lw in _NEEDS_NOUN and i > 0 and found.words[i - 1].lower in ("to", "into"):
            continue  # "converts better to paid": the outcome, not a group
        picked.append((w.start, _SEGMENT_NORMAL.get(lw, lw), (w.start, w.end)))
    picked.sort()
    values: list[str] = []
    for _, value, span in picked:
        if value not in values:
            values.append(value)
            found.note("segments", value, value, "rule", span)
    return values if len(values) >= 2 else None


#: Segment words that are groups only when a noun or a comparison follows ("new visitors").
_NEEDS_NOUN = {
    "new",
    "paid",
    "free",
    "trial",
    "members",
    "subscribers",
    "us",
    "organic",
    "web",
    "app",
}


def _looks_like_group(found: Found, idx: int) -> bool:
    nxt = found.words[idx + 1].lower if idx + 1 < len(found.words) else ""
    return nxt in (
        "users",
        "visitors",
        "customers",
        "shoppers",
        "accounts",
        "members",
        "plans",
        "plan",
        "vs",
        "versus",
        "or",
        "and",
        "buyers",
        "people",
        "traffic",
    )


_PLATFORMS = (
    "discord",
    "forum",
    "slack",
    "reddit",
    "github",
    "community",
    "linkedin",
    "twitter",
    "youtube",
)
_REGIONS = {
    "europe": "Europe",
    "emea": "EMEA",
    "apac": "APAC",
    "asia": "Asia",
    "north america": "North America",
    "latam": "LATAM",
    "latin america": "Latin America",
    "nordics": "Nordics",
    "dach": "DACH",
    "eu": "EU",
    "uk": "UK",
    "the uk": "UK",
    "the us": "US",
    "usa": "USA",
    "germany": "Germany",
    "france": "France",
    "spain": "Spain",
    "italy": "Italy",
    "canada": "Canada",
    "australia": "Australia",
    "netherlands": "Netherlands",
    "sweden": "Sweden",
    "japan": "Japan",
    "india": "India",
    "brazil": "Brazil",
    "mexico": "Mexico",
    "ireland": "Ireland",
    "scandinavia": "Scandinavia",
    "americas": "Americas",
    "africa": "Africa",
    "middle east": "Middle East",
    "oceania": "Oceania",
}
_PLAN_WORDS = (
    "monthly",
    "annual",
    "yearly",
    "free",
    "pro",
    "premium",
    "basic",
    "starter",
    "growth",
    "enterprise",
    "team",
    "business",
)
_PLAN_ALT = "|".join(_PLAN_WORDS)
_PLAN = re.compile(
    rf"\b((?:{_PLAN_ALT})(?:\s+(?:{_PLAN_ALT}))?)[\s-]+(?:plan[\s-]+)?(?:subscribers|subscriptions|customers|users|accounts|plans?|members|tier|billing|contracts?)\b"
    rf"|\bon (?:the\s+)?((?:{_PLAN_ALT})(?:\s+(?:{_PLAN_ALT}))?)\s+plan\b"
)
_PLATFORM = re.compile(
    rf"\b(?:in|on|from|across|for)\s+(?:the\s+|our\s+)?(?:[\w-]+\s+)??({'|'.join(_PLATFORMS)})\b(?:\s+(?:server|channel|community|group))?|\b({'|'.join(_PLATFORMS[:5])})\s+(?:posters?|members?|users?|threads?|posts?|server|community)\b"
)
_COMMUNITY_PLATFORMS = {"discord", "forum", "slack", "reddit", "github"}


def _typo_platform(found: Found) -> str | None:
    """A misspelt community platform ("discrod")."""
    from rapidfuzz import fuzz

    for w in found.words:
        if len(w.lower) >= 5 and w.lower.isalpha():
            for name in _COMMUNITY_PLATFORMS:
                if w.lower != name and w.lower[0] == name[0] and fuzz.ratio(w.lower, name) >= 85:
                    return name
    return None


_REGION_NAMES = "|".join(sorted(_REGIONS, key=len, reverse=True))
_REGION = re.compile(
    rf"\b(?:in|for|from|across|within|just|only)\s+(?:the\s+)?({_REGION_NAMES})\b"
    rf"|\b({_REGION_NAMES})\s+(?:customers|users|visitors|shoppers|buyers|accounts|subscribers|traffic|market|only)\b"
)
_DEVICE = re.compile(
    r"\b(mobile|desktop|tablet|ios|android)\s+(?:users|visitors|shoppers|customers|traffic|sessions|people|buyers|only)\b|\b(?:on|for|via|from) (mobile|desktop|tablet|ios|android)\b(?! app)"
)


def filters(found: Found, intent: str, segments: list[str] | None = None) -> dict[str, str] | None:
    out = _filters(found, intent)
    if out and segments:
        taken = {s.lower() for s in segments}
        out = {k: v for k, v in out.items() if v.lower() not in taken}
    return out or None


def _filters(found: Found, intent: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if m := _PLAN.search(found.text):
        value = m.group(1) or m.group(2)
        out["plan"] = {"yearly": "annual"}.get(value, value)
        found.note("filters", m.group(), {"plan": out["plan"]}, "rule", m.span())
    if (m := _PLATFORM.search(found.text)) or (m := _typo_platform(found)):
        value = m.group(1) or m.group(2) if isinstance(m, re.Match) else m
        # Social networks with a channel key are channels; the rest are places people talk.
        if value != "community" and (intent == "influencers" or value in _COMMUNITY_PLATFORMS):
            out["platform"] = value
            span = m.span() if isinstance(m, re.Match) else None
            found.note("filters", value, {"platform": value}, "rule", span)
    if m := _REGION.search(found.text):
        out["region"] = _REGIONS[m.group(1) or m.group(2)]
        found.note("filters", m.group(), {"region": out["region"]}, "rule", m.span())
    if intent != "segment_compare" and (m := _DEVICE.search(found.text)):
        value = m.group(1) or m.group(2)
        out["device"] = value
        found.note("filters", m.group(), {"device": value}, "rule", m.span())
    return out
