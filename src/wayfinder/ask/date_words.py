"""The words of dates: a tokenizer that turns a question into the tokens of the date grammar
(``dates.lark``), with month, day, holiday and number names recognised and normalised.

Every token keeps its character offsets in the question, so a match maps back to its words.
Words the grammar does not know become ``WORD`` (or ``OTHER`` for symbols): they end a match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lark import Token

MONTHS = {
    **{m: i for i, m in enumerate(
        "january february march april may june july august september october november december"
        .split(), 1)},
    **{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
       "sept": 9, "oct": 10, "nov": 11, "dec": 12},
}  # fmt: skip
#: "sat", "sun" and "wed" are left out: as words they are far more often not days.
WEEKDAYS = {
    **{
        d: i
        for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())
    },
    **{"mon": 0, "tue": 1, "tues": 1, "thu": 3, "thur": 3, "thurs": 3, "fri": 4},
}
SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn",
           "winter": "winter"}  # fmt: skip

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen \
fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
NUMBERS = {**{w: i for i, w in enumerate(_UNITS)}, **_TENS, "hundred": 100, "couple": 2}
_ORDINAL_UNITS = "zeroth first second third fourth fifth sixth seventh eighth ninth tenth \
eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth \
nineteenth".split()
ORDINALS = {
    **{w: i for i, w in enumerate(_ORDINAL_UNITS) if i},
    "twentieth": 20, "thirtieth": 30,
}  # fmt: skip

#: Units of time, to a canonical singular or plural (a plural counts: "30 days" vs "30-day").
UNITS = {
    **{u: u for u in "day week fortnight month quarter year weekend hour".split()},
    **{u + "s": u + "s" for u in "day week fortnight month quarter year weekend hour".split()},
    "half": "half", "halves": "halves", "wk": "weeks", "wks": "weeks", "mo": "months",
    "mos": "months", "mth": "months", "mths": "months", "qtr": "quarters", "qtrs": "quarters",
    "yr": "years", "yrs": "years", "hr": "hours", "hrs": "hours",
}  # fmt: skip
#: Unit letters written straight after a number ("30d", "6mo", "12m").
_UNIT_SUFFIXES = {"d": "days", "w": "weeks", "m": "months", "y": "years", "h": "hours"}

#: Single words of a class: (class, canonical value).
_CLASSES: dict[str, tuple[str, str]] = {
    **{w: ("REL", "last") for w in ("last", "final")},
    **{w: ("REL", "past") for w in ("past", "trailing")},
    **{w: ("REL", "previous") for w in ("previous", "prior", "preceding")},
    **{w: ("REL", "this") for w in ("this", "current")},
    **{w: ("REL", "next") for w in ("next", "coming", "upcoming")},
    **{w: ("FULL", w) for w in ("full", "complete", "whole", "entire", "calendar")},
    **{w: ("FISCAL", w) for w in ("fiscal", "fy", "financial")},
    **{w: ("PREP", w) for w in ("in", "during", "for", "on", "over", "within", "at", "by",
                                "throughout", "across", "inside")},
    **{w: ("UNTIL", w) for w in ("until", "till", "til", "through", "thru", "upto")},
    **{w: ("COMPARE", w) for w in ("vs", "versus", "against", "than")},
    **{w: ("TO_DATE", unit) for w, unit in (("ytd", "year"), ("mtd", "month"),
                                            ("qtd", "quarter"), ("wtd", "week"))},
    **{w: ("X_OVER_X", unit) for w, unit in (("yoy", "year"), ("qoq", "quarter"))},
    **{w: ("FEW", w) for w in ("few", "several")},
    **{w: ("TRAILING_YEAR", w) for w in ("ttm", "ltm", "l12m")},
    **{w: ("EVENT", w) for w in ("launch", "launched", "relaunch", "relaunched", "release",
                                 "released", "redesign", "redesigned", "rebrand", "rebranded",
                                 "migration", "migrated", "started", "began", "begun", "changed",
                                 "switched", "introduced", "rollout", "kickoff", "opened",
                                 "update", "updated", "change", "golive")},
}  # fmt: skip
#: Abbreviations that are also ordinary words in lower case ("wow", "mom"): classes only when
#: written with a capital.
_CASED = {"wow": ("X_OVER_X", "week"), "mom": ("X_OVER_X", "month"), "dod": ("X_OVER_X", "day")}

#: Phrases of several words: (words...) -> (class, value). Possessive 's is ignored inside them.
PHRASES: dict[tuple[str, ...], tuple[str, str]] = {
    **{tuple(p.split()): ("HOLIDAY", name) for p, name in (
        ("thanksgiving", "thanksgiving"), ("thanksgiving day", "thanksgiving"),
        ("black friday", "black_friday"), ("cyber monday", "cyber_monday"),
        ("christmas eve", "christmas_eve"), ("christmas", "christmas"),
        ("christmas day", "christmas"), ("xmas", "christmas"), ("boxing day", "boxing_day"),
        ("new year eve", "new_years_eve"), ("new years eve", "new_years_eve"),
        ("new year day", "new_year"), ("new years day", "new_year"), ("new year", "new_year"),
        ("valentine day", "valentines_day"), ("valentines day", "valentines_day"),
        ("valentine", "valentines_day"), ("valentines", "valentines_day"),
        ("st patrick day", "st_patricks_day"), ("saint patrick day", "st_patricks_day"),
        ("st patricks day", "st_patricks_day"), ("good friday", "good_friday"),
        ("easter", "easter"), ("easter sunday", "easter"), ("easter monday", "easter_monday"),
        ("mother day", "mothers_day"), ("mothers day", "mothers_day"),
        ("memorial day", "memorial_day"), ("father day", "fathers_day"),
        ("fathers day", "fathers_day"), ("independence day", "independence_day"),
        ("fourth of july", "independence_day"), ("labor day", "labor_day"),
        ("labour day", "labor_day"), ("halloween", "halloween"), ("singles day", "singles_day"),
        ("prime day", "prime_day"), ("prime days", "prime_day"), ("holidays", "holidays"),
        ("holiday season", "holidays"), ("holiday period", "holidays"),
        ("holiday shopping season", "holidays"), ("festive season", "holidays"),
        ("festive period", "holidays"),
    )},
    **{tuple(p.split()): ("COMPARE", p) for p in (
        "compared to", "compared with", "compared against", "compare to", "compare with",
        "compare against", "comparing to", "comparing with", "relative to", "as opposed to",
        "in comparison to", "in comparison with", "in contrast to",
    )},
    **{(u, "over", u): ("X_OVER_X", u) for u in ("day", "week", "month", "quarter", "year")},
    ("up", "to"): ("UNTIL", "up to"), ("up", "until"): ("UNTIL", "up until"),
    ("went", "live"): ("EVENT", "went live"), ("go", "live"): ("EVENT", "went live"),
    ("going", "live"): ("EVENT", "went live"), ("kicked", "off"): ("EVENT", "kicked off"),
    ("rolled", "out"): ("EVENT", "rolled out"), ("a", "couple", "of"): ("NUMWORD", "2"),
    ("couple", "of"): ("NUMWORD", "2"), ("a", "couple"): ("NUMWORD", "2"),
    ("a", "few"): ("FEW", "few"),
}  # fmt: skip
_LONGEST_PHRASE = max(len(p) for p in PHRASES)

#: Words before "may" that make it the month ("in May", "since May", "last May").
_BEFORE_MAY = {"in", "during", "since", "until", "till", "through", "of", "from", "to", "last",
               "this", "early", "mid", "late", "before", "after", "between", "and", "on", "for",
               "by", "over", "-", "–", "next", "previous", "throughout"}  # fmt: skip
#: Abbreviations that may end with a full stop.
_ABBREVIATIONS = {"vs", "st", "mon", "tue", "tues", "thu", "thur", "thurs", "fri", "wk", "wks",
                  "mo", "mos", "yr", "yrs", "qtr", "qtrs", "hr", "hrs",
                  *(m for m in MONTHS if len(m) <= 4)}  # fmt: skip
#: Words before a hyphen that attach to what follows ("mid-March", "pre-2025").
_HYPHEN_PREFIXES = {"mid", "early", "late", "pre", "post"}

_RAW = re.compile(
    r"""
      (?P<ISO_DATE>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?![\d/.-]?\d)
    | (?P<ISO_MONTH>\d{4}-\d{1,2})(?![\d/-])
    | (?P<SLASH_DATE>\d{1,2}/\d{1,2}/(?:\d{4}|\d{2}))(?![\d/])
    | (?P<SHORT_YEAR>['’]\d{2})(?!\d)
    | (?P<OTHERNUM>\d+(?:[.,:]\d+)+|[$£€%#]\d+)
    | (?P<ORDINAL>\d{1,2}(?:st|nd|rd|th))\b
    | (?P<INT>\d+)
    | (?P<POSS>['’]s)\b
    | (?P<WORD>[^\W\d_]+)
    | (?P<DASH>[-–])
    | (?P<COMMA>,)
    | (?P<OTHER>\S)
    """,
    re.X | re.I,
)


@dataclass
class _Raw:
    kind: str
    text: str
    start: int
    end: int
    value: str = ""

    @property
    def low(self) -> str:
        return self.text.lower()


def tokenize(question: str, keywords: Mapping[str, str]) -> list[Token]:
    """The tokens of ``question`` for the date grammar. ``keywords`` maps a keyword (lower case)
    to its terminal name in the grammar."""
    raw = [
        _Raw(m.lastgroup or "OTHER", m.group(), m.start(), m.end()) for m in _RAW.finditer(question)
    ]
    raw = _join_adjacent(raw)
    raw = _hyphens(raw)
    raw = _phrases(raw)
    tokens = []
    for i, r in enumerate(raw):
        kind, value = _classify(r, raw, i, keywords)
        tokens.append(
            Token(
                kind,
                value,
                start_pos=r.start,
                end_pos=r.end,
                line=1,
                column=r.start + 1,
                end_line=1,
                end_column=r.end + 1,
            )  # fmt: skip
        )
    return tokens


def _join_adjacent(raw: list[_Raw]) -> list[_Raw]:
    """Letters and digits written together: Q3, H1, FY2026, D30, 30d, 6mo; others ("10k",
    "covid19") are not counts. A full stop after an abbreviation ("vs.", "Jan.") goes."""
    out: list[_Raw] = []
    i = 0
    while i < len(raw):
        r = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        touching = nxt is not None and nxt.start == r.end
        if touching and r.kind == "WORD" and nxt.text == "." and r.low in _ABBREVIATIONS:
            out.append(r)
            i += 2
            continue
        if touching and r.kind == "WORD" and nxt.kind == "INT":
            kind = {"q": "QUARTER", "h": "HALF", "fy": "FISCAL_YEAR", "d": "DAY_N"}.get(r.low)
            digits = {"QUARTER": (1,), "HALF": (1,), "FISCAL_YEAR": (2, 4), "DAY_N": (1, 2, 3)}
            if kind and len(nxt.text) in digits[kind]:
                out.append(_Raw(kind, r.text + nxt.text, r.start, nxt.end, str(int(nxt.text))))
            else:
                out += [r, _Raw("OTHER", nxt.text, nxt.start, nxt.end)]
            i += 2
            continue
        if touching and r.kind == "INT" and nxt.kind == "WORD":
            unit = _UNIT_SUFFIXES.get(nxt.low) or UNITS.get(nxt.low)
            if unit:
                out += [r, _Raw("UNIT", nxt.text, nxt.start, nxt.end, unit)]
                i += 2
                continue
            r = _Raw("OTHER", r.text, r.start, r.end)
        if r.kind == "OTHERNUM":
            r = _Raw("OTHER", r.text, r.start, r.end)
        out.append(r)
        i += 1
    return out


def _hyphens(raw: list[_Raw]) -> list[_Raw]:
    """A hyphen between words is a space ("last-quarter", "year-over-year", "mid-March"), except
    between two month or day names ("Jan-Mar"); "30-day" is one duration; "twenty-one" and
    "thirty-first" are one number; "2025-Q3" and "H2-2025" are one period, not a range."""
    out: list[_Raw] = []
    i = 0
    while i < len(raw):
        r = raw[i]
        if r.kind == "DASH" and out and i + 1 < len(raw):
            left, right = out[-1], raw[i + 1]
            tight = left.end == r.start and r.end == right.start
            if (
                left.kind in ("INT", "WORD")
                and right.kind == "WORD"
                and right.low in UNITS
                and (left.kind == "INT" or left.low in NUMBERS)
            ):
                count = left.text if left.kind == "INT" else str(NUMBERS[left.low])
                out[-1] = _Raw("ADJ_DURATION", left.text + r.text + right.text, left.start,
                               right.end, f"{count} {UNITS[right.low]}")  # fmt: skip
                i += 2
                continue
            if tight and left.kind == "WORD" and right.kind == "WORD":
                if left.low in _TENS and (right.low in NUMBERS or right.low in ORDINALS):
                    number = _TENS[left.low] + NUMBERS.get(right.low, ORDINALS.get(right.low, 0))
                    kind = "NUMWORD" if right.low in NUMBERS else "ORDINAL"
                    out[-1] = _Raw(kind, left.text + r.text + right.text, left.start, right.end,
                                   str(number))  # fmt: skip
                    i += 2
                    continue
                names = (MONTHS, WEEKDAYS)
                if not any(left.low in n and right.low in n for n in names):
                    i += 1  # the hyphen is a space
                    continue
            if tight and _year_and_part(left, right, out[-2] if len(out) > 1 else None):
                i += 1
                continue
            if tight and left.kind == "WORD" and left.low in _HYPHEN_PREFIXES:
                i += 1
                continue
        out.append(r)
        i += 1
    return out


_PARTS = ("QUARTER", "HALF")


def _is_year(r: _Raw) -> bool:
    return r.kind == "INT" and len(r.text) == 4


def _year_and_part(left: _Raw, right: _Raw, before: _Raw | None) -> bool:
    """A year and a quarter or half joined by a hyphen ("2025-Q3", "H2-2025"), unless the left
    one already has its own ("Q1 2025-Q2 2026" is a range)."""
    named = before is not None and (
        before.kind in _PARTS or _is_year(before) or before.low in MONTHS
    )
    pair = _is_year(left) and right.kind in _PARTS or left.kind in _PARTS and _is_year(right)
    return pair and not named


def _phrases(raw: list[_Raw]) -> list[_Raw]:
    """Merge the words of a known phrase ("Black Friday", "compared with") into one token."""
    out: list[_Raw] = []
    i = 0
    while i < len(raw):
        for n in range(_LONGEST_PHRASE, 0, -1):
            words, j = [], i
            while j < len(raw) and len(words) < n:
                if raw[j].kind == "POSS" and words:
                    j += 1
                    continue
                if raw[j].kind != "WORD":
                    break
                words.append(raw[j].low.replace("’", "'"))
                j += 1
            found = PHRASES.get(tuple(words)) if len(words) == n else None
            if found:
                kind, value = found
                out.append(_Raw(kind, " ".join(r.text for r in raw[i:j]), raw[i].start,
                                raw[j - 1].end, value))  # fmt: skip
                i = j
                break
        else:
            out.append(raw[i])
            i += 1
    return out


def _classify(r: _Raw, raw: list[_Raw], i: int, keywords: Mapping[str, str]) -> tuple[str, str]:
    """The terminal and normalised value of one token."""
    if r.value:  # already classified while merging
        return r.kind, r.value
    low = r.low
    if r.kind == "INT":
        if len(r.text) == 4 and 1900 <= int(r.text) <= 2099:
            return "YEAR", r.text
        return "INT", str(int(r.text))
    if r.kind == "ORDINAL":
        return "ORDINAL", str(int(r.text[:-2]))
    if r.kind == "SHORT_YEAR":
        return "SHORT_YEAR", str(2000 + int(r.text[1:]))
    if r.kind != "WORD":
        return r.kind, r.text
    if low == "may" and not _may_is_month(r, raw, i):
        return "WORD", low
    if low in MONTHS:
        return "MONTH", str(MONTHS[low])
    if low in WEEKDAYS:
        return "WEEKDAY", str(WEEKDAYS[low])
    if low in SEASONS:
        return "SEASON", SEASONS[low]
    if low in UNITS:
        return "UNIT", UNITS[low]
    if low in NUMBERS:
        return "NUMWORD", str(NUMBERS[low])
    if low in ORDINALS:
        return "ORDINAL", str(ORDINALS[low])
    if low in _CASED and r.text != low:
        return _CASED[low]
    if low in _CLASSES:
        return _CLASSES[low]
    if low in keywords:
        return keywords[low], low
    return "WORD", low


def _may_is_month(r: _Raw, raw: list[_Raw], i: int) -> bool:
    """ "May" is the month after a preposition ("in May"), before a number ("May 3", "May 2025")
    or written with a capital inside a sentence; otherwise it is the verb."""
    before = raw[i - 1].low if i else ""
    after = raw[i + 1].kind if i + 1 < len(raw) else ""
    capital_inside = r.text[0].isupper() and i > 0 and raw[i - 1].kind not in ("OTHER",)
    return before in _BEFORE_MAY or after in ("INT", "ORDINAL", "SHORT_YEAR") or capital_inside
