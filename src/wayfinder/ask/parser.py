"""The rule parser: a question in, a ``Frame`` out (intent, slots, evidence, confidence, and a
clarification or refusal when it cannot answer).

Order of work: refusals first (they never run anything), then periods (the date grammar claims
its words so "spring sale" or "30 days" are not read twice), then names (the lexicon), then the
intent (cues plus names), then the slots the intent takes, then what to ask when something is
missing, unresolved or too close to call.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from wayfinder.ask import guards, slots
from wayfinder.ask.dates import FoundPeriod, find_periods
from wayfinder.ask.frame import Frame, Option, Period, Reading, Slots
from wayfinder.ask.intents import MONEY_METRICS, IntentScores, score
from wayfinder.ask.lexicon import CLOSE, Lexicon, Mention
from wayfinder.ask.text import STOPWORDS, fold, words

if TYPE_CHECKING:
    from wayfinder.ask.text import Word

#: Below this intent score the question says too little to pick an analysis.
MIN_INTENT_SCORE = 1.5
#: Words the fuzzy matcher never tries (common English words that sit near names).
_NO_FUZZ = STOPWORDS | {
    "people",
    "website",
    "through",
    "products",
    "product",
    "customers",
    "customer",
    "members",
    "others",
    "often",
    "beforehand",
    "together",
    "shoppers",
    "visitors",
    "users",
    "other",
    "month",
    "months",
    "weeks",
    "quarter",
    "years",
    "today",
    "number",
    "count",
    "attribution",
    "attribute",
    "attributed",
    "retention",
    "funnel",
    "funnels",
    "journey",
    "journeys",
    "cohort",
    "cohorts",
    "churn",
    "churning",
    "compare",
    "comparison",
    "recommendations",
    "influential",
    "influencers",
    "contribute",
    "contributed",
    "convertion",
    "versus",
    "breakdown",
}


def parse(question: str, lexicon: Lexicon, today: date | None = None) -> Frame:
    """Read one question against a workspace's lexicon, relative to ``today``."""
    today = today or date.today()
    text = fold(question)
    ws = words(question)
    periods = [p for p in find_periods(question, today) if _keep_period(p, question, today)]
    period_spans = [p.span for p in periods]
    kept = [w for w in ws if not _inside(w.start, w.end, period_spans)]
    mentions = _shift(lexicon.mentions(kept), kept, ws)
    fuzzy, rivals = _fuzzy(lexicon, ws, mentions, period_spans)
    mentions = sorted(mentions + fuzzy, key=lambda m: m.start)
    found = slots.Found(
        text=text, words=ws, mentions=mentions, used=list(period_spans), periods=list(period_spans)
    )

    guard = guards.check(text, question)
    if guard is not None:
        return _refusal(
            question,
            today,
            found,
            guard,
            periods
            if guard.kind in ("action", "personal_data", "generation", "instructions")
            else [],
        )
    vague = guards.vagueness(text)
    scores = score(text, mentions)
    if vague is not None:
        return _ambiguous(
            question, today, found, periods, vague.reason, _options_for(scores, mentions)
        )

    intent, margin = _pick(scores, found, question)
    if intent is None:
        reason = "I could not tell which analysis this asks for."
        return _ambiguous(question, today, found, periods, reason, _options_for(scores, mentions))
    filled = fill(intent, found, periods, question)
    frame = Frame(
        question=question,
        today=today,
        reading=Reading(intent=intent, slots=filled),  # type: ignore[arg-type]
        evidence=found.evidence
        + [
            _intent_evidence(intent, scores),
        ],
        unused=_unused(ws, found.used + scores.spans + [(m.start, m.end) for m in mentions]),
        confidence=_confidence(scores, margin, found),
    )
    _ask_when_needed(frame, periods, rivals)
    return frame


# -- intent ------------------------------------------------------------------------------------


def _pick(scores: IntentScores, found: slots.Found, question: str) -> tuple[str | None, float]:
    """The intent with the best score after the structural rules below."""
    metrics = {e.canonical for m in found.mentions if (e := slots.nlq_metric(m)) is not None}
    goals = {e.canonical for _, e in found.of_kind("goal")} - {"conversion"}
    adjusted = dict(scores.scores)
    if adjusted["segment_compare"] > 0:
        # Two named groups and a comparison word: the comparison is the question.
        adjusted["segment_compare"] = (
            0.0
            if slots.segments(_copy(found), question) is None
            else adjusted["segment_compare"] + (1.0 if adjusted["attribution"] >= 3.5 else 3.0)
        )
    # "Why ... cancel" is the churn question even when it also says "predict" or "what makes";
    # "more likely to cancel" is a driver question whose outcome is churn.
    if adjusted["churn_drivers"] >= 3.5:
        adjusted["churn_drivers"] += 2.0 + (adjusted["conversion_drivers"] > 0) * 1.0
    # Two or more steps joined as a progression ("X to Y", "who X ... Y", "X -> Y"): a funnel,
    # unless the words are a path's or a repeat purchase's (a retention question).
    steps = goals | _page_steps(found)
    if (
        len(steps) >= 2
        and "repeat_purchase" not in goals
        and _PROGRESSION.search(found.text)
        and scores.scores["paths"] < 2
    ):
        adjusted["funnel"] += 2.5
    # A campaign said with money and a verb of bringing it in: credit for that campaign.
    if (
        adjusted["attribution"] > 0
        and metrics & MONEY_METRICS
        and _NAMED_CAMPAIGN.search(found.text)
    ):
        adjusted["attribution"] += 2.0
    # "Attribute" and "credit" name the analysis outright.
    if re.search(r"\battribut|\bcredit", found.text):
        adjusted["attribution"] += 2.0
    # One named person or company and what they did: a lookup.
    if _named_person(question, found) and _PERSON_ACT.search(found.text):
        adjusted["lookup_customer"] += 4.0
    # Money over time is revenue metrics ("pipeline by month"), unless the question asks for
    # credit, a comparison of groups, a recommendation or says "trend" outright.
    if (
        metrics & MONEY_METRICS
        and max(adjusted["attribution"], adjusted["segment_compare"], adjusted["recommendations"])
        < 3
        and not re.search(r"\btrend", found.text)
    ):
        adjusted["revenue_metrics"] += 1.0 + (adjusted["trend"] > 0) * 1.5
    best = sorted(adjusted.items(), key=lambda kv: -kv[1])
    (top, s1), (_, s2) = best[0], best[1]
    if s1 < MIN_INTENT_SCORE:
        # Names alone: a measure over a period is a trend (money: revenue metrics).
        if metrics & MONEY_METRICS:
            return "revenue_metrics", 1.0
        if metrics or goals:
            return "trend", 1.0
        return None, 0.0
    return top, s1 - s2


def _copy(found: slots.Found) -> slots.Found:
    return slots.Found(
        found.text, found.words, found.mentions, list(found.used), periods=found.periods
    )


def _intent_evidence(intent: str, scores: IntentScores):  # type: ignore[no-untyped-def]
    from wayfinder.ask.frame import Evidence

    cues = scores.cues.get(intent) or ["the names in the question"]
    return Evidence(
        slot="intent",
        words=", ".join(dict.fromkeys(cues)),
        value=intent,
        method="rule",
        score=round(scores.scores.get(intent, 0.0), 2),
    )


def _confidence(scores: IntentScores, margin: float, found: slots.Found) -> float:
    s1 = scores.ranked[0][1]
    conf = 0.45 + 0.08 * min(s1, 5) + 0.06 * min(margin, 3)
    if any(e.method == "fuzzy" for e in found.evidence):
        conf -= 0.1
    return round(max(0.05, min(conf, 0.99)), 2)


# -- slots -------------------------------------------------------------------------------------


def fill(intent: str, found: slots.Found, periods: list[FoundPeriod], question: str) -> Slots:
    """The slots ``intent`` takes, read from the question."""
    out: dict[str, object] = {}
    ranges = [p for p in periods if p.role == "range"]
    compares = [p for p in periods if p.role == "compare"]
    if ranges:
        out["time_range"] = ranges[0].period or Period(text=ranges[0].text)
        found.note("time_range", ranges[0].text, out["time_range"].iso, "rule")  # type: ignore[union-attr]
    if compares:
        out["compare_to"] = compares[0].period or Period(text=compares[0].text)
        found.note("compare_to", compares[0].text, out["compare_to"].iso, "rule")  # type: ignore[union-attr]

    if intent == "unsupported":
        if not _PERSONAL.search(found.text):
            _channel(out, found, intent)
        if f := slots.filters(found, intent):
            out["filters"] = f
        if (c := slots.campaign(found, _channel_words(found))) is not None:
            out["campaign"] = c
        _goal(
            out, found, last=False, only={"checkout_abandonment", "repeat_purchase", "new_customer"}
        )
        return Slots(**out)  # type: ignore[arg-type]
    if intent == "lookup_customer":
        if value := slots.customer(found, question):
            out["customer"] = value
        if re.search(r"\b(spent|spend|paid us|paid|worth|revenue|lifetime value)\b", found.text):
            out["metric"] = "revenue"
            found.note("metric", "spent", "revenue", "rule")
        _channel(out, found, intent)
        if (
            "metric" not in out
            and _goal(out, found, last=False) is None
            and any(e.canonical == "orders" for _, e in found.of_kind("metric"))
        ):
            out["goal"] = "purchase"
        return Slots(**out)  # type: ignore[arg-type]

    if (n := slots.top_n(found)) is not None and intent not in ("funnel", "retention"):
        out["top_n"] = n
    content_first = intent in (
        "conversion_drivers",
        "churn_drivers",
        "attribution",
        "trend",
        "segment_compare",
        "influencers",
        "revenue_metrics",
    )
    if content_first and (
        content := slots.content(
            found,
            question,
            on_page=intent in ("trend", "segment_compare", "influencers", "revenue_metrics"),
            subject=intent == "conversion_drivers",
        )
    ):
        out["content"] = content
    segs = slots.segments(found, question) if intent == "segment_compare" else None
    if segs:
        out["segments"] = segs
    # The campaign first: "the October webinar" is a campaign before "webinar" is a channel.
    if (c := slots.campaign(found, _channel_words(found))) is not None:
        out["campaign"] = c
    if intent != "segment_compare":
        _channel(out, found, intent)
    if intent == "paths":
        between = _BETWEEN.search(found.text)
        if between:  # "between downloading the whitepaper and asking for a demo"
            firsts = [
                (m, e)
                for m, e in slots.goals(found)
                if between.start(1) <= m.start < between.end(1)
            ]
            if firsts:
                m, e = firsts[0]
                out["start"] = _goal_name(found, m, e)
                found.note("start", m.text, out["start"], m.method, (m.start, m.end))
        if "start" not in out and (start := slots.start_page(found)):
            out["start"] = start
        _goal(out, found, last=True)
    elif intent == "funnel":
        steps = _steps(found)
        if steps:
            out["steps"] = steps
        if metric := slots.metric(found, intent):
            out["metric"] = metric
        elif _RATE.search(found.text):
            out["metric"] = "conversion_rate"
    elif intent == "attribution":
        _attribution_goal(out, found)
        if "metric" not in out and (metric := slots.metric(found, intent)):
            if metric in (
                "revenue",
                "pipeline",
                "bookings",
                "conversions",
                "orders",
                "signups",
                "leads",
                "trials",
                "demo_requests",
            ):
                out["metric"] = metric
        if models := slots.models(found):
            out["model"] = models[0] if len(models) == 1 else models
    elif intent in ("trend", "revenue_metrics"):
        metric = slots.metric(found, intent)
        if metric is None and intent == "revenue_metrics" and _MADE.search(found.text):
            metric = "revenue"
        if metric is None:
            # The goal counted carries the measure, unless a metric counts it ("orders").
            goal = _goal(out, found, last=False)
            if goal in slots.GOAL_METRICS:
                metric = slots.GOAL_METRICS[goal]
                del out["goal"]
                found.note("metric", goal, metric, "rule")
        if metric:
            out["metric"] = metric
        if intent == "revenue_metrics" and "goal" not in out:
            _goal(out, found, last=True, only={"closed_deal", "deal_created", "paid_subscription"})
    elif intent == "retention":
        _retention(out, found)
    elif intent == "conversion_drivers":
        _drivers_goal(out, found)
    elif intent == "recommendations":
        _improve_target(out, found)
        if "metric" not in out and (metric := slots.metric(found, intent)) and metric != "spend":
            out["metric"] = metric  # the measure the advice is judged on ("ROAS by channel")
        if re.search(r"\bby (channel|campaign|source|device|country)", found.text) and (
            b := slots.breakdown(found)
        ):
            out["breakdown"] = b
    elif intent == "influencers":
        if metric := slots.metric(found, intent):
            out["metric"] = metric
        if _goal(out, found, last=True) == "conversion":
            del out["goal"]  # "the most conversations": only a named goal is the members' outcome
    elif intent == "segment_compare":
        if metric := slots.metric(found, intent):
            out["metric"] = metric
        elif re.search(
            r"\b(come|comes|came|coming) back\b|\bretention\b|\bretain\w*|\bkeeps? (\w+ )?around\b|\bstick(s|ing)? around\b",
            found.text,
        ):
            out["metric"] = "retention_rate"
        elif re.search(r"\bconver(t|ts|sion|sions|ted)\b", found.text):
            out["metric"] = "conversion_rate"
        if _TO_CONVERSION.search(found.text) or _CONVERTS_TO.search(found.text):
            _goal(out, found, last=True)
    if intent in (
        "attribution",
        "trend",
        "revenue_metrics",
        "retention",
        "funnel",
        "paths",
        "conversion_drivers",
        "churn_drivers",
        "influencers",
    ) and (b := slots.breakdown(found)):
        if intent == "conversion_drivers" and b == ["content"] and "content" not in out:
            out["content"] = next(e.words for e in found.evidence if e.slot == "breakdown")
            b = []
        if intent != "attribution" or "campaign" not in out or b != ["campaign"]:
            out["breakdown"] = b
    if f := slots.filters(found, intent, segs):
        out["filters"] = f
    return Slots(**out)  # type: ignore[arg-type]


_BETWEEN = re.compile(r"\bbetween ([^?]+?) and ([^?]+)")
_MADE = re.compile(
    r"\bhow much (did|do|have|has|will) (we|you|i|the shop|the business) (make|made|earn|earned|bring in|brought in|take|taken|sell|sold)\b|\bhow much money\b"
)
_TO_CONVERSION = re.compile(r"\b[\w-]+[- ]to[- ][\w-]+ conver")
_CONVERTS_TO = re.compile(r"\bconver\w* (better |more |faster )?(to|into)\b")
#: Requests about personal data: "email" there is an address, not the channel.
_PERSONAL = re.compile(
    r"\b(emails?|e-mail addresses|phone numbers?|addresses)\b[^?]*\b(export|csv|spreadsheet|dump|list)\b|\b(export|dump|download)\b[^?]*\b(emails?|phone)"
)


def _attribution_goal(out: dict[str, object], found: slots.Found) -> None:
    """The outcome credited: a goal, or a count said as a measure ("the most orders", "how many
    conversions"): a plural word that is both a goal and a metric of ask is the metric."""
    goal = _goal(out, found, last=True)
    if goal is None:
        return
    mention = next(
        (m for m, e in slots.goals(found) if out.get("goal") == _goal_name(found, m, e)), None
    )
    metric = slots.nlq_metric(mention) if mention is not None else None
    if metric is not None and metric.source != "built-in vocabulary":
        metric = None  # "purchases" counts orders in the semantic layer, but is said as the goal
    if (
        metric is not None
        and mention.text.lower().endswith("s")
        and metric.canonical in ("orders", "conversions", "leads")
    ):
        del out["goal"]
        out["metric"] = metric.canonical


_NAMED_CAMPAIGN = re.compile(r"\b(campaign|promo|promotion|sale|webinar|series|push|launch)\b")
#: Words that join steps into a progression.
_PROGRESSION = re.compile(
    r"\b(how many|what %|what percent\w*|what share|what fraction|what proportion|of (those|everyone|the people|all|people)|ended up|end up|went on|go on|went through|then|and then|actually)\b|->|→|%|\bto\b[^?]*\bconver"
)
#: A person's or company's name (two capitalised words, or a possessive company) in the question.
_PERSON = re.compile(
    r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]+\s+[A-Z][a-z]+\b(?!['’]s\s+(blog|post|article|webinar|video))|\b[A-Z][\w&]+['’]s\s+(account|team|company)\b"
    r"|^\s*[A-Z][a-z]+\s+[A-Z][a-z]+\s*[—:,-]"
)
_PERSON_ACT = re.compile(
    r"\b(has|have|did|does|interacted|touchpoints?|timeline|history|activity|bought|opened|visited|clicked|done|do before|signed|journey of|profile)\b"
)


#: Capitalised pairs that are days or events, not people.
_NOT_PEOPLE = re.compile(
    r"black friday|cyber monday|boxing day|new year|christmas|prime day|mother'?s day|father'?s day|labor day|labour day|google ads|tik tok|linked in",
    re.IGNORECASE,
)


_COMPANY_DID = re.compile(
    r"\b(?:did|has|does|have)\s+([A-Z][\w&]+)\s+(?:ever\s+|already\s+|actually\s+)?(?:attend|request|buy|order|open|visit|click|download|sign|book|pay|spend|have|log|engage|use|touch)\w*"
)


def _named_person(question: str, found: slots.Found) -> bool:
    if (c := _COMPANY_DID.search(question)) and not any(
        x.start <= c.start(1) < x.end for x in found.mentions
    ):
        return True
    for m in _PERSON.finditer(question):
        if _NOT_PEOPLE.search(m.group()):
            continue
        if any(x.start < m.end() and m.start() < x.end for x in found.mentions):
            continue
        return True
    return False


def _page_steps(found: slots.Found) -> set[str]:
    return {e.canonical for _, e in found.of_kind("page")} | {
        m.group() for m in _PAGE_STEP.finditer(found.text)
    }


def _channel(out: dict[str, object], found: slots.Found, intent: str) -> None:
    chans = slots.channels(found)
    if not chans:
        return
    values = [c for _, c in chans]
    out["channel"] = values[0] if len(values) == 1 else values
    for m, c in chans:
        found.note(
            "channel",
            m.text,
            c,
            m.method,
            (m.start, m.end),
            score=m.score if m.method == "fuzzy" else None,
        )


def _channel_words(found: slots.Found) -> set[str]:
    return {w for m, _ in found.of_kind("channel") for w in m.text.lower().split()}


def _goal(
    out: dict[str, object], found: slots.Found, *, last: bool, only: set[str] | None = None
) -> str | None:
    """The goal said (the last one for outcomes, the first otherwise), skipping words another slot
    took ("the newsletter" as a channel)."""
    candidates = [
        (m, e)
        for m, e in slots.goals(found)
        if not _inside(m.start, m.end, found.used)
        and (only is None or _goal_name(found, m, e) in only)
    ]
    # A word that is also a metric ("conversions", "bookings") is the goal only if said as one.
    candidates = [
        (m, e)
        for m, e in candidates
        if not (m.of("metric") and e.canonical in ("conversion",) and len(candidates) > 1)
    ]
    if not candidates:
        return None
    m, e = candidates[-1] if last else candidates[0]
    name = _goal_name(found, m, e)
    out["goal"] = name
    found.note(
        "goal",
        m.text,
        name,
        m.method,
        (m.start, m.end),
        score=m.score if m.method == "fuzzy" else None,
        linked=e.linked,
    )
    return name


_SUBSCRIPTION_CONTEXT = re.compile(
    r"\b(trials?|trialists?|subscri\w*|plans?|upgrade\w*|saas|seats?|mrr|free tier|freemium)\b"
)


def _goal_name(found: slots.Found, m: Mention, e) -> str:  # type: ignore[no-untyped-def]
    """A goal word read in context: "paid" after a trial is a paid subscription, after a
    checkout a purchase; "first purchase" in a funnel is the purchase step."""
    if m.text.lower() in ("paid", "paying", "pay"):
        return "paid_subscription" if _SUBSCRIPTION_CONTEXT.search(found.text) else "purchase"
    if e.canonical == "checkout" and m.text.lower().endswith("checkouts"):
        return "purchase"  # "checkouts" as an outcome are purchases (docs/ask.md)
    return e.canonical


_STAGE_GOALS = {
    "add_to_cart",
    "checkout",
    "trial_start",
    "signup",
    "demo_request",
    "whitepaper_download",
    "newsletter_signup",
    "deal_created",
}


def _drivers_goal(out: dict[str, object], found: slots.Found) -> None:
    goals = slots.goals(found)
    if not goals:
        return
    abandon = [(m, e) for m, e in goals if e.canonical == "checkout_abandonment"]
    m, e = abandon[0] if abandon else goals[-1]
    out["goal"] = _goal_name(found, m, e)
    if out["goal"] == "conversion" and any(e.canonical == "trial_start" for _, e in goals):
        out["goal"] = "paid_subscription"  # trials that convert become paying subscribers
    found.note("goal", m.text, out["goal"], m.method, (m.start, m.end), linked=e.linked)
    for m0, e0 in goals[:-1]:
        if (
            e0.canonical in _STAGE_GOALS
            and e0.canonical != e.canonical
            and not _inside(m0.start, m0.end, found.used)
        ):
            out["start"] = e0.canonical
            found.note("start", m0.text, e0.canonical, m0.method, (m0.start, m0.end))
            break


def _retention(out: dict[str, object], found: slots.Found) -> None:
    goals = slots.goals(found)
    metric = slots.metric(found, "retention")
    repeat = [(m, e) for m, e in goals if e.canonical == "repeat_purchase"]
    if repeat or metric == "repeat_purchase_rate":
        out["goal"] = "repeat_purchase"
        if repeat:
            found.note(
                "goal",
                repeat[0][0].text,
                "repeat_purchase",
                repeat[0][0].method,
                (repeat[0][0].start, repeat[0][0].end),
            )
        if metric == "repeat_purchase_rate" or _RATE.search(found.text):
            out["metric"] = "repeat_purchase_rate"
        return
    starts = [
        (m, e)
        for m, e in goals
        if e.canonical
        in _STAGE_GOALS | {"purchase", "paid_subscription", "new_customer", "app_install"}
    ]
    if starts:
        m, e = starts[0]
        out["start"] = _goal_name(found, m, e)
        found.note("start", m.text, out["start"], m.method, (m.start, m.end))
    elif start := slots.start_page(found):
        out["start"] = start
    if metric in ("retention_rate", "churn_rate"):
        out["metric"] = metric
    elif (
        metric is None
        and _RATE.search(found.text)
        and re.search(
            r"\b(still|active|retain\w*|come back|came back|return\w*|stay\w*|stick\w*|renew\w*)\b",
            found.text,
        )
    ):
        out["metric"] = "retention_rate"


_RATE = re.compile(
    r"\b(fraction|share|percent|percentage|proportion|rate|ratio|how often|what %|how likely)\b|%"
)
_IMPROVE = re.compile(
    r"\b(lift|boost|improve|increase|grow|raise|get more|drive more|reduce|lower|cut|win more|more)\s+$"
)


def _improve_target(out: dict[str, object], found: slots.Found) -> None:
    """What a recommendation should lift: the first goal or metric after "lift", "boost",
    "reduce", "get more ... to" (the last such verb when there are several)."""
    verbs = list(_IMPROVE_ANY.finditer(found.text))
    picked = None
    for verb in reversed(verbs):
        after = [
            m
            for m in found.mentions
            if verb.end() <= m.start <= verb.end() + 40 and (m.of("goal") or slots.nlq_metric(m))
        ]
        if after:
            named = [
                m for m in after if not (m.of("goal") and m.of("goal").canonical == "conversion")
            ]
            picked = (named or after)[0]
            break
    if picked is None:
        return
    if (e := picked.of("goal")) is not None:
        out["goal"] = _goal_name(found, picked, e)
        found.note("goal", picked.text, out["goal"], picked.method, (picked.start, picked.end))
    elif (e := slots.nlq_metric(picked)) is not None and e.canonical != "spend":
        out["metric"] = e.canonical
        found.note("metric", picked.text, e.canonical, picked.method, (picked.start, picked.end))


_IMPROVE_ANY = re.compile(
    r"\b(lift\w*|boost\w*|improv\w*|increas\w*|grow\w*|rais\w*|get more|drive more|reduc\w*|lower\w*|cut\w*|win more|more|convert\w*)\b"
)


_FLOW = re.compile(
    r"\b((?:(?!the\b|a\b|our\b|my\b|show\b|me\b|for\b|of\b)[\w-]+\s+){1,2})(flow|process|funnel|sequence|journey)\b"
)


_PAGE_STEP = re.compile(
    r"\b(?:the\s+|a\s+|our\s+)?((?:(?!from|to|then|the|a|our|of|on|between|and)[a-z]+\s+)?(?!from|to|then|the|a|our|of|on|between|and)[a-z]+)\s+page(\s+views?|\s+visits?)?\b|\b(homepage|home page)(\s+views?)?\b"
)


#: Metrics that count one goal: said in a funnel, they are that goal's step ("new signups").
_COUNTED_GOALS = {"signups": "signup", "orders": "purchase"}
_EMAIL_STEP = re.compile(
    r"\b(clicked|clicks|click|opened|opens|open)\b (?:on )?(?:the |our |a |an )?(?:[\w-]+ ){0,3}?emails?\b"
)
_REGISTERED = re.compile(
    r"\b(?:regist\w*|signed up|sign up|signing up)\s+(?:for|to)\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:[\w-]+\s+){0,2}webinars?\b"
)
_VIEWED = re.compile(
    r"\b(?:viewed|visited|saw|hit|landed on|opened|looked at|view|visit)\s+(?:the\s+|our\s+)?([a-z]+)\b(?!\s+(?:page|pages|post|posts|article))"
)


_ARROW = re.compile(r"\s*(?:->|→|=>|>>|>)\s*")


_TO_CHAIN = re.compile(r"\b([\w-]+(?: [\w-]+)?) to ([\w-]+(?: [\w-]+)?) to ([\w-]+(?: [\w-]+)?)\b")


def _arrow_steps(found: slots.Found) -> list[str] | None:
    """Steps written as a chain ("signup -> trial -> paid"): each link is a goal, a page or,
    when nothing names it, its own words in snake case ("activation", "ad_click")."""
    if not _ARROW.search(found.text):
        chain = _TO_CHAIN.search(found.text)
        if chain is None or chain.group(1).split()[-1] in (
            "how",
            "want",
            "need",
            "go",
            "went",
            "likely",
        ):
            return None
        text = found.text[: chain.start()] + " -> ".join(chain.groups()) + found.text[chain.end() :]
        found = slots.Found(
            text, found.words, found.mentions, found.used, found.evidence, found.periods
        )
    steps: list[str] = []
    pos = 0
    for part in _ARROW.split(found.text):
        start = found.text.index(part, pos) if part else pos
        pos = start + len(part)
        part = part.split(",")[0].split(":")[-1].strip(" ?.:")
        if not part:
            continue
        start = found.text.find(part, start)
        end = start + len(part)
        inside = [m for m in found.mentions if start <= m.start < end]
        name = None
        for m in inside:
            if (e := m.of("goal")) is not None and e.canonical != "conversion":
                name = _goal_name(found, m, e)
                name = "purchase" if name == "new_customer" else name
            elif (e := m.of("page")) is not None:
                name = "_".join(m.text.lower().split()) + "_view"
            elif (e := m.of("metric")) is not None and e.canonical in _COUNTED_GOALS:
                name = _COUNTED_GOALS[e.canonical]
        if name is None and any(m.of("channel") for m in inside):
            continue  # "PPC traffic -> ...": where people came from, not a step
        if name is None:
            words = [
                w
                for w in re.findall(r"[a-z0-9]+", part)
                if w not in STOPWORDS and w not in _CHAIN_NOISE
            ]
            if not words or len(words) > 4:
                continue
            if words[-1] in ("visits", "visit", "views", "view") and "page" in words:
                words = words[: words.index("page") + 1]
            name = "_".join(words)
            name = f"{name}_view" if words[-1] == "page" else name
        if not steps or steps[-1] != name:
            steps.append(name)
            found.note("steps", part, name, "rule", (start, end))
    return steps if len(steps) >= 2 else None


#: "trial-to-paid", "lead-to-customer": a funnel said as one compound.
_TO_PAIR = re.compile(r"\b(\w+)[- ]to[- ](\w+)\b")
_PAIR_STEPS = {
    "trial": "trial_start",
    "paid": "paid_subscription",
    "signup": "signup",
    "demo": "demo_request",
    "cart": "add_to_cart",
    "checkout": "checkout",
    "purchase": "purchase",
    "lead": "lead",
    "mql": "mql",
    "sql": "sql",
    "opp": "opportunity",
    "opportunity": "opportunity",
    "close": "closed_deal",
    "win": "closed_deal",
    "won": "closed_deal",
    "customer": "new_customer",
    "visit": "visit",
    "visitor": "visit",
    "order": "purchase",
    "install": "app_install",
}
#: Words around a chain that are not steps ("conversion", "funnel", "for Meta traffic").
_CHAIN_NOISE = {
    "conversion",
    "conversions",
    "funnel",
    "rate",
    "rates",
    "last",
    "days",
    "week",
    "month",
    "quarter",
    "pls",
    "please",
}


def _steps(found: slots.Found) -> list[str] | str | None:
    """A funnel's steps in the order said: goals by their canonical names, pages as
    ``<words>_page_view``, events by name."""
    if chain := _arrow_steps(found):
        return chain
    picked: list[tuple[int, str, str, tuple[int, int], str, str | None]] = []
    for m in found.mentions:
        e = m.of("goal") or m.of("page") or m.of("event")
        counted = _COUNTED_GOALS.get(mm.canonical) if (mm := m.of("metric")) is not None else None
        if e is None and counted is not None:
            picked.append((m.start, counted, m.text, (m.start, m.end), m.method, None))
            continue
        if e is None or (m.of("metric") and not m.of("goal")) or e.canonical == "conversion":
            continue
        if e.kind == "goal":
            name = _goal_name(found, m, e)
            name = "purchase" if name == "new_customer" else name
        elif e.kind == "page":
            name = "_".join(m.text.lower().replace("-", " ").split()) + "_view"
        else:
            name = "_".join(e.canonical.lower().split())
        picked.append((m.start, name, m.text, (m.start, m.end), m.method, e.linked))
    for pm in _PAGE_STEP.finditer(found.text):
        span = pm.span()
        if any(a < span[1] and span[0] < b for _, _, _, (a, b), _, _ in picked):
            continue
        words = (pm.group(1) or pm.group(3) or "").replace("home page", "homepage")
        name = "_".join(words.split()) + ("_page_view" if pm.group(1) else "_view")
        picked.append((span[0], name, pm.group(), span, "rule", None))
    for em in _EMAIL_STEP.finditer(found.text):
        name = "email_click" if em.group(1).startswith("click") else "email_open"
        picked = [x for x in picked if not (x[3][0] < em.end() and em.start() < x[3][1])]
        picked.append((em.start(), name, em.group(), em.span(), "rule", None))
    for rm in _REGISTERED.finditer(found.text):
        if not any(a < rm.end() and rm.start() < b for _, _, _, (a, b), _, _ in picked):
            picked.append((rm.start(), "webinar_registration", rm.group(), rm.span(), "rule", None))
        else:  # the words were read as a sign-up: a webinar registration is the step
            picked = [x for x in picked if not (x[3][0] < rm.end() and rm.start() < x[3][1])]
            picked.append((rm.start(), "webinar_registration", rm.group(), rm.span(), "rule", None))
    for vm in _VIEWED.finditer(found.text):
        span = vm.span(1)
        if (
            any(a < span[1] and span[0] < b for _, _, _, (a, b), _, _ in picked)
            or vm.group(1) in STOPWORDS
        ):
            continue
        picked.append((span[0], f"{vm.group(1)}_page_view", vm.group(1), span, "rule", None))
    picked.sort()
    steps: list[str] = []
    for _, name, text, span, method, linked in picked:
        if not steps or steps[-1] != name:
            steps.append(name)
            found.note("steps", text, name, method, span, linked=linked)
    if len(steps) < 2 and (pair := _TO_PAIR.search(found.text)):
        first, second = _PAIR_STEPS.get(pair.group(1)), _PAIR_STEPS.get(pair.group(2))
        if first and second:
            found.note("steps", pair.group(), [first, second], "rule", pair.span())
            return [first, second]
    if len(steps) >= 2:
        return steps
    if m := _FLOW.search(found.text):
        # "the checkout flow" names a flow with its noun; "onboarding checklist funnel" names it
        # before the word funnel.
        end = m.end(2) if m.group(2) in ("flow", "process", "sequence") else m.end(1)
        text = slots._span_text(found, m.start(1), end)
        if text and text.split()[0].lower() not in (
            "conversion",
            "sales",
            "marketing",
            "full",
            "whole",
        ):
            found.note("steps", text, text, "rule", (m.start(1), end))
            return text
    return steps or None


# -- asking and refusing -------------------------------------------------------------------------


def _ask_when_needed(
    frame: Frame, periods: list[FoundPeriod], rivals: list[tuple[Mention, str, str]]
) -> None:
    # "until March" has an open start (from the beginning of the data); only a period with no
    # dates at all is one the words could not place.
    unresolved = [
        p
        for p in periods
        if p.role != "window"
        and (p.period is None or (p.period.start is None and p.period.end is None))
    ]
    if unresolved:
        text = unresolved[0].text
        frame.clarification = (
            f"I could not tell which dates {text!r} means. Which period did you mean?"
        )
        frame.options = [
            Option(label=label, question=_replace(frame.question, text, label))
            for label in ("last month", "last quarter", "this year", "the last 30 days")
        ]
        return
    if rivals:
        m, first, second = rivals[0]
        frame.clarification = (
            f"{m.text!r} is close to both {first!r} and {second!r}. Which did you mean?"
        )
        frame.options = [
            Option(label=v, question=_replace(frame.question, m.text, v)) for v in (first, second)
        ]
        return
    if frame.intent == "funnel" and not frame.slots.steps:
        frame.clarification = "A funnel needs at least two steps. Which steps should it have?"
        frame.options = [
            Option(label=label, question=f"Funnel from {label}")
            for label in (
                "add to cart to checkout to purchase",
                "signup to trial start to paid subscription",
            )
        ]


_CAMPAIGN_AFTER = re.compile(
    r"^\s*(sale|sales|campaign|campaigns|promo|promos|promotion|promotions|offer|offers|email|emails|newsletter|ads?|push|deal|deals|discount|weekend sale|launch|event|webinar|webinars|conference|summit|giveaway)\b",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"^\s*(before|by|until|till|ahead of|in time for|for)\b|^\s*(the\s+)?next\b|^\s*(upcoming|coming)\b",
    re.IGNORECASE,
)


#: Named days that are periods only after a time word ("since Black Friday"); else campaigns.
_HOLIDAY_NAME = re.compile(
    r"^(the )?(black friday|cyber monday|bfcm|prime day|boxing day)( weekend)?$", re.IGNORECASE
)
_TIME_WORDS = {
    "since",
    "on",
    "from",
    "until",
    "till",
    "before",
    "after",
    "during",
    "around",
    "over",
    "at",
    "by",
    "through",
    "between",
    "and",
}


def _keep_period(p: FoundPeriod, question: str, today: date) -> bool:
    """Periods that are not the question's time: a campaign's name ("the spring sale", "Black
    Friday orders"), a granularity ("week over week"), a deadline ahead ("before Christmas")."""
    if _CAMPAIGN_AFTER.match(question[p.span[1] :]):
        return False
    if _HOLIDAY_NAME.match(p.text.strip()):
        # The span may hold the time word itself ("on Black Friday"); look before the name.
        at = question.lower().rfind(p.text.lower(), p.span[0], p.span[1] + 1)
        word = question[: at if at >= 0 else p.span[0]].lower().split()[-1:]
        if word == ["and"] and "between" not in question[: p.span[0]].lower():
            return False
        if not word or word[0] not in _TIME_WORDS:
            return False
    if p.text.lower().strip() in (
        "last time",
        "the last time",
        "next time",
    ):
        return False
    before = question[: p.span[0]].lower().split()[-1:]
    if _DEADLINE.match(p.text) or before in (
        ["before"],
        ["by"],
        ["next"],
        ["upcoming"],
        ["until"],
        ["till"],
    ):
        period = p.period
        if (
            period is None
            or not period.resolved
            or (period.end is not None and period.end >= today)
        ):
            return False
    return True


def _replace(question: str, old: str, new: str) -> str:
    idx = question.lower().find(old.lower())
    return question if idx < 0 else question[:idx] + new + question[idx + len(old) :]


def _refusal(
    question: str, today: date, found: slots.Found, guard: guards.Guard, periods: list[FoundPeriod]
) -> Frame:
    filled = fill("unsupported", found, periods, question)
    return Frame(
        question=question,
        today=today,
        reading=Reading(intent="unsupported", slots=filled),
        evidence=found.evidence,
        confidence=0.9,
        refusal=guard.reason,
        suggestions=list(guard.suggestions),
        unused=[],
    )


def _ambiguous(
    question: str,
    today: date,
    found: slots.Found,
    periods: list[FoundPeriod],
    reason: str,
    options: list[Option],
) -> Frame:
    out: dict[str, object] = {}
    if f := slots.filters(found, "ambiguous"):
        out["filters"] = f
    if b := slots.breakdown(found):
        out["breakdown"] = b
    for p in periods:
        if p.role == "range" and p.period is not None:
            out["time_range"] = p.period
            break
    if metric := slots.metric(found, "ambiguous"):
        out["metric"] = metric
    chans = slots.channels(found)
    if chans:
        values = [c for _, c in chans]
        out["channel"] = values[0] if len(values) == 1 else values
    return Frame(
        question=question,
        today=today,
        reading=Reading(intent="ambiguous", slots=Slots(**out)),  # type: ignore[arg-type]
        evidence=found.evidence,
        confidence=0.3,
        clarification=reason + " What would you like to see?",
        options=options,
    )


_OPTION_QUESTIONS = {
    "trend": "How many orders per week over the last 3 months?",
    "revenue_metrics": "Revenue by month this year",
    "attribution": "Which channels drove the most revenue last quarter?",
    "paths": "What are the top paths of buyers last month?",
    "funnel": "Funnel from add to cart to checkout to purchase, last 30 days",
    "conversion_drivers": "What sets buyers apart from other visitors?",
    "churn_drivers": "Why are customers churning?",
    "retention": "Weekly retention of sign-ups over the last 3 months",
}


def _options_for(scores: IntentScores, mentions: list[Mention]) -> list[Option]:
    ranked = [i for i, s in scores.ranked if s > 0 and i in _OPTION_QUESTIONS][:2]
    for default in ("revenue_metrics", "trend", "attribution", "paths"):
        if len(ranked) >= 4:
            break
        if default not in ranked:
            ranked.append(default)
    return [Option(label=i.replace("_", " "), question=_OPTION_QUESTIONS[i]) for i in ranked]


# -- words ---------------------------------------------------------------------------------------


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start >= a and end <= b for a, b in spans)


def _shift(mentions: list[Mention], kept: list[Word], all_words: list[Word]) -> list[Mention]:
    """Mentions found on the words outside periods, re-indexed to the question's words."""
    index = {id(w): i for i, w in enumerate(all_words)}
    out = []
    for m in mentions:
        first, last = index[id(kept[m.first])], index[id(kept[m.last])]
        out.append(
            Mention(first, last, m.start, m.end, m.text, m.entries, m.method, m.score, m.rival)
        )
    return out


def _fuzzy(
    lexicon: Lexicon, ws: list[Word], mentions: list[Mention], periods: list[tuple[int, int]]
) -> tuple[list[Mention], list[tuple[Mention, str, str]]]:
    """Typos: single words nothing matched, compared with the lexicon's phrases."""
    covered = [(m.start, m.end) for m in mentions] + periods
    out: list[Mention] = []
    rivals: list[tuple[Mention, str, str]] = []
    for i, w in enumerate(ws):
        if (
            _inside(w.start, w.end, covered)
            or w.lower in _NO_FUZZ
            or len(w.lower) < 5
            or w.lower.endswith(("ed", "ing"))
            or not w.lower.isalpha()
        ):
            continue
        kinds = ("goal", "metric", "channel", "campaign", "model")
        if i > 0 and ws[i - 1].lower in ("by", "per", "which", "each"):
            kinds = ("breakdown",)  # "CAC by chanel": a dimension
        matches = lexicon.fuzzy(w.lower, kinds)
        if not matches:
            continue
        (entry, s), rival = matches[0], (matches[1] if len(matches) > 1 else None)
        close = (
            rival is not None
            and s - rival[1] < CLOSE
            and rival[0].kind == entry.kind
            and rival[0].canonical != entry.canonical
        )
        m = Mention(i, i, w.start, w.end, w.text, (entry,), "fuzzy", s, rival[0] if close else None)
        out.append(m)
        if close:
            rivals.append((m, entry.canonical, rival[0].canonical))  # type: ignore[index]
    return out, rivals


def _unused(ws: list[Word], used: list[tuple[int, int]]) -> list[str]:
    return [
        w.text
        for w in ws
        if w.lower not in STOPWORDS and not any(a <= w.start < b for a, b in used)
    ]
