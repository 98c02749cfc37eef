"""What `ask` will not run: requests it refuses, and questions too vague or too dependent on an
earlier conversation to answer without asking.

Refusals say why and what can be asked instead. Clarifications offer options the user can pick.
Neither runs a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ = re.compile


@dataclass(frozen=True)
class Guard:
    kind: str  # "action", "generation", "external_data", "personal_data", "instructions", "vague", "deictic"
    reason: str
    suggestions: tuple[str, ...] = field(default=())


_INSTRUCTIONS = _(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.?!]*\b(instructions?|rules?|prompts?|guidelines|previous|above|system)\b"
    r"|^\s*system\s*:|\badmin mode\b|\bdrop (the )?\w+ table\b"
    r"|\byou are now\b|\bact as (a|an|the)\b|\bpretend (to be|you)\b|\bsystem prompt\b|\bjailbreak\b"
    r"|\bdeveloper mode\b|\bdrop table\b|\bdelete from\b|\b(run|execute) (this|the following|my) (sql|query|code|command)\b"
    r"|;\s*--|\bselect \* from\b|\bunion select\b|<\s*script"
)
_GENERATION_LIST = _(
    r"^\s*(please |can you |could you )?(give|get|send) (me|us) (\d+|some|a few|a couple of|ten|five|three|twenty) (new )?(hooks|ideas|headlines|subject lines|captions|taglines|names|slogans|scripts|posts|tweets|emails|angles|concepts|variations|ad ideas|copy)\b"
)
_GENERATION = _(
    r"^\s*(please |can you |could you |help me |i need you to |let's )?"
    r"(write|draft|compose|generate|create|craft|produce|come up with|brainstorm|rewrite|design|make)\b"
    r"[^?]*\b(posts?|tweets?|emails?|newsletters?|copy|headlines?|blogs?|articles?|captions?|ads?|slogans?|taglines?|landing pages?|scripts?|press releases?|images?|banners?|messages?|subject lines?|content|descriptions?|replies|responses|summar(y|ies)|bios?)\b"
)
_ACTION = _(
    r"^\s*(please |can you |could you |go ahead and |i want you to |let's )?"
    r"(pause|stop|start|launch|raise|lower|increase|decrease|cut|boost|set|change|update|delete|remove|send|schedule|publish|post|email|unsubscribe|cancel|enable|disable|turn (on|off)|add|upload|import|sync|block|ban|refund|charge|bid|reallocate|move|shift|duplicate|create|dm|message|text|call|contact|reach out to|invite|tag|reply to|offer)\b"
    r"[^?]*\b(campaign|campaigns|bid|bids|budget|budgets|ad|ads|adset|ad set|keywords?|email|emails|newsletter|post|list|segment|audience|customer|customers|user|users|account|accounts|subscription|price|prices|discount|coupon|spend|workflow|automation|sequence|posters?|members?|leads?|followers?|influencers?|creators?|everyone|access)\b"
)
#: Another company doing something ("How much is Patagonia spending on ads?"): outside data.
_OTHER_POSSESSIVE = re.compile(
    r"\b([A-Z][\w&]+)['’]s\s+(?:conversion rate|revenue|traffic|ad spend|spend|followers|prices?|pricing|ads|sales|market share|growth|roas|cac|reviews|customers|audience|seo|rankings?)\b"
)
_OTHER_COMPANY = re.compile(
    r"\b(?:is|are|does|do|did|has|have)\s+([A-Z][\w&]+)\s+(?:spending|spend|doing|earning|making|charging|paying|running|posting|selling|growing|advertising)\b"
)
_EXTERNAL = _(
    r"\b(typical|average|industry|benchmark|normal)\b[^?]*\b(companies|businesses|brands|firms|retailers|startups|competitors)\b(?! (we|our))"
    r"|"
    r"\bcompetitors?'?s?\b|\brivals?\b|\bindustry (average|benchmark)s?\b|\bbenchmarks? (for|against|of) (the )?(industry|market)\b"
    r"|\bmarket share\b|\bstock (price|market)\b|\bweather\b|\bgoogle trends\b|\bsearch volumes?\b|\bnews\b"
    r"|\b(other|another) (companies|company|brands?|firms?)\b|\bworldwide\b.*\bmarket\b"
)
_PERSONAL_EXPORT = _(
    r"\b(card details|payment details|credit card numbers?|saved cards?|card numbers?|social security|passport)\b"
    r"|\bfull list of (all )?(users|customers|contacts|subscribers|leads)\b"
    r"|"
    r"\b(give|export|send|dump|download|pull|put|compile|get)\b[^?]*\b(every|all|each)\b[^?]*\b(home address|address|addresses|phone|phones|phone number|emails?|e-mail)\b[^?]*\b(spreadsheet|csv|excel|file|list|sheet)\b"
    r"|\b(every|all|each)\b[^?]*['’]s (home )?(address|phone number|email|e-mail|date of birth)\b"
    r"|"
    r"\b(home |postal |street |mailing )?(addresses|phone numbers?|mobile numbers?|cell numbers?|e-?mail addresses|emails|personal data|pii|contact details|passwords?|credit cards?|dates? of birth|raw (user|customer) records)\b[^?]*\b(of|for|from|at) (all|every\w*|each|our (customers|users|subscribers|buyers|leads|top))\b"
    r"|\b(give|send|hand|show) (me|us) (the |all )?(home |postal )?(addresses|phone numbers|e-?mail addresses|emails|personal data)\b"
    r"|"
    r"\b(export|download|dump|give me|send me|list|extract|copy|pull)\b[^?]*\b(all|every|each|entire|whole|full)\b[^?]*"
    r"\b(emails?|e-mail addresses|addresses|phone numbers?|phones?|personal data|pii|contact (details|info|list)|names and emails|credit cards?|passwords?|customer list|user list|database|data of (all|every))\b"
    r"|\b(export|download|dump)\b[^?]*\b(customers?|users?|contacts?|people|leads|subscribers)\b[^?]*\b(csv|excel|spreadsheet|file|list)\b"
)
_DEICTIC = _(
    r"\b(same|the same) (thing|again|but|for|as before|analysis|question|report|chart|query)\b|^\s*(and|but|now|ok|okay|so)?\s*(how|what) about\b"
    r"|\bthe (second|first|third|last|other|previous|next) (one|ones|option|result|item|row|bar)\b|\b(that|this|those|these) (one|ones|again|instead)\b"
    r"|\b(that|this|those|these) (number|numbers|figure|figures|metric|chart|graph|result|results|value|spike|dip|drop|trend|table|campaign|segment|cohort|page|list)\b(?! (of|for|from|in|on|per|by|which|that|we|our|you))"
    r"|\b(why|how|when) (did|does|has|is|was) (it|that|this|they|those) (drop|dip|fall|go down|spike|rise|change|jump|happen|move|grow)\b"
    r"|\bdo (it|that|this) again\b|\b(break|split|filter|show) (it|that|this|them) (down|by|for)\b|\bas (above|before)\b"
    r"|^\s*(and|also|now|ok|okay|then)\b[^?]{0,40}\?\s*$|\bzoom in\b|\bdrill into (it|that|this)\b|\bwhat did you mean\b|\bthe one you\b"
)
_VAGUE = _(
    r"^\s*(so,? )?(how'?s|how is|how are|how was|how were|how did|how do|how does)\s+(it|things|we|our|the|business|everything|performance|marketing|stuff|numbers|we doing|it going)\b[^?]{0,25}\??\s*$"
    r"|^\s*(any )?(updates?|insights?|news|thoughts|numbers|stats|metrics|data|report|results|dashboard|analysis|overview|summary)\s*\??\s*$"
    r"|^\s*(what'?s|what is) (going on|happening|new|up|the status|the situation)\b[^?]{0,20}\??\s*$"
    r"|^\s*(show|give|tell) me (something|everything|the (data|numbers|stats|report|dashboard|results))\s*\??\s*$"
    r"|^\s*(is it|are we|is this|are they) (working|good|bad|ok|okay|doing well|on track)\s*\??\s*$"
    r"|\bhow'?s performance\b|\bhow are (we|things) (doing|going)\b|\bhow is (it|everything) going\b|\bhow did we do\b\s*\??\s*$"
)

_ASK_INSTEAD = (
    "What are the top paths of buyers last quarter?",
    "Which channels drove the most revenue last month?",
    "Why are customers churning?",
    "How many sign-ups per week since July?",
)


def check(text: str, question: str = "") -> Guard | None:
    """The guard a folded question trips, most serious first; None when it may be answered."""
    if (
        question
        and (m := _OTHER_COMPANY.search(question))
        and m.group(1).lower() not in ("we", "our", "it", "this", "that", "i")
    ):
        return Guard(
            "external_data",
            "Wayfinder only knows your own workspace's data, not other companies' figures.",
            ("How much did we spend on TikTok ads last month?", "Which channels bring our buyers?"),
        )
    if _INSTRUCTIONS.search(text):
        return Guard(
            "instructions",
            "This reads as instructions to the system rather than a question about your data; "
            "Wayfinder only answers questions and never runs text as a query.",
            _ASK_INSTEAD,
        )
    if _PERSONAL_EXPORT.search(text):
        return Guard(
            "personal_data",
            "Bulk exports of personal data are not answered in `ask`; a workspace admin can export "
            "one person's data with the consent and export tools.",
            ("Show the activity of customer 10577", "How many newsletter sign-ups this month?"),
        )
    if _GENERATION.search(text) or _GENERATION_LIST.search(text):
        return Guard(
            "generation",
            "Wayfinder analyses your data; it does not write posts, e-mails or ad copy.",
            ("Which posts helped close deals last quarter?", "Which channels drove sign-ups?"),
        )
    if _ACTION.search(text) and not re.search(
        r"\b(should|would|could|if we|what if|impact)\b", text
    ):
        return Guard(
            "action",
            "Wayfinder cannot change campaigns, bids, budgets or customer records; it answers "
            "questions about what happened and why.",
            (
                "Which campaigns drove the most revenue last month?",
                "Where would extra ad spend have the most impact?",
            ),
        )
    if _EXTERNAL.search(text):
        return Guard(
            "external_data",
            "Wayfinder only knows your own workspace's data, not competitors', markets' or other "
            "outside sources.",
            (
                "How did our traffic trend over the last 6 months?",
                "Which channels bring our buyers?",
            ),
        )
    return None


def vagueness(text: str) -> Guard | None:
    """A question that refers to an earlier one, or says too little to pick an analysis."""
    if _DEICTIC.search(text):
        return Guard(
            "deictic",
            "This refers to an earlier question or result, and `ask` answers each question on its own.",
        )
    if _VAGUE.search(text):
        return Guard("vague", "This does not say which result or measure you mean.")
    return None
