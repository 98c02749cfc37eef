"""Words of a question with where they stand, and the small normalisations matching needs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: A word: letters/digits with inner apostrophes, hyphens, dots (e-mail, 40-20-40, x.com), an
#: e-mail address, or a money amount; everything else separates words.
_WORD = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail address
    r"|\$?\d[\d,]*(?:\.\d+)?[km%]?"  # numbers, money, percentages
    r"|[^\W_](?:[\w]|['’](?=\w)|[-.](?=\w))*",
    re.UNICODE,
)

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "a dozen": 12,
}

#: Words that carry no meaning of their own in a question (left out of "words not used").
STOPWORDS = frozenset(
    """a an the of to for in on at by with from and or but is are was were be been being do does
    did done have has had our we us my me i you your it its this that these those there their they
    them what which who whom whose how when where why whats what's s can could would should will
    shall may might must please show tell give get let find see list me about any all some as than
    into out up so if just also only ever more most much many very per each every over under
    across between after before during since until within via vs versus""".split()
)


@dataclass(frozen=True)
class Word:
    """One word of the question: its text as written, lower-cased form and character span."""

    text: str
    lower: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lower case without accents, curly quotes made straight."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("’", "'").replace("‘", "'")
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def words(question: str) -> list[Word]:
    """The question's words with their spans (the folded text keeps the original's offsets only
    for ASCII; accented letters fold to one character, so spans stay aligned)."""
    folded = fold(question)
    if len(folded) != len(question):  # a ligature or similar changed the length: fall back
        folded = question.casefold()
    return [
        Word(question[m.start() : m.end()], m.group(), m.start(), m.end())
        for m in _WORD.finditer(folded)
    ]


def key(phrase: str) -> tuple[str, ...]:
    """The match key of a phrase: its words, lower case, hyphens as spaces, each word singular.

    >>> key("Trade-show events")
    ('trade', 'show', 'event')
    >>> key("deals we've won")
    ('deal', 'we', 'have', 'won')
    """
    out: list[str] = []
    for w in words(phrase.replace("-", " ").replace("_", " ")):
        out.extend(stem(part) for part in _expand(w.lower))
    return tuple(out)


def stem(word: str) -> str:
    """A crude singular: enough to make "campaigns" meet "campaign" and "signups" meet "signup"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        return word[:-1]
    return word


_CONTRACTIONS = {"'ve": "have", "'re": "are", "'s": "", "'ll": "will", "'d": "would", "n't": "not"}


def _expand(word: str) -> list[str]:
    for suffix, full in _CONTRACTIONS.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            stem_part = word[: -len(suffix)]
            if suffix == "n't":
                stem_part = {"won": "will", "can": "can", "don": "do"}.get(stem_part, stem_part)
            return [stem_part, full] if full else [stem_part]
    return [word]


def number(text: str) -> int | None:
    """An integer written in digits or as a number word ("3", "three", "a dozen")."""
    text = text.lower().strip()
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text)
