"""Synonyms: the words marketers use for goals, metrics and other canonical names, and how a word
is looked up (exact, ignoring case, spaces and punctuation; fuzzy matching is a later layer).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Kinds whose names are entries of the catalog; any other kind (channel, ...) names free values.
ENTRY_KINDS = ("goal", "metric")


def normalize(phrase: str) -> str:
    """The lookup key of a word or phrase: lower-case letters and digits only.

    >>> normalize("Sign-ups"), normalize("sign ups"), normalize("SIGNUPS")
    ('signups', 'signups', 'signups')
    >>> normalize("Deals we’ve won")
    'dealswevewon'
    >>> normalize("Café orders")
    'cafeorders'
    """
    decomposed = unicodedata.normalize("NFKD", phrase.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


@dataclass(frozen=True)
class Synonym:
    """``phrase`` means the ``kind`` named ``target``; declared in ``file``."""

    phrase: str
    kind: str | None
    target: str
    file: str

    @property
    def key(self) -> str:
        return normalize(self.phrase)

    def to_dict(self) -> dict[str, str | None]:
        return {"phrase": self.phrase, "kind": self.kind, "target": self.target, "file": self.file}


@dataclass(frozen=True)
class Name:
    """A canonical name the catalog knows: a goal, a metric, or a value of another kind."""

    kind: str
    name: str
    file: str


class Index:
    """Normalized word -> (kind, name): canonical names first, then synonyms."""

    def __init__(self) -> None:
        self.names: dict[str, Name] = {}
        self.synonyms: dict[str, Synonym] = {}

    def add_name(self, name: Name) -> Name | None:
        """Register a canonical name; returns the other name it clashes with, if any."""
        key = normalize(name.name)
        known = self.names.get(key)
        if known is not None and (known.kind, known.name) != (name.kind, name.name):
            return known
        self.names.setdefault(key, name)
        return None

    def resolve(self, word: str) -> tuple[str, str] | None:
        key = normalize(word)
        if not key:
            return None
        if (name := self.names.get(key)) is not None:
            return name.kind, name.name
        if (synonym := self.synonyms.get(key)) is not None and synonym.kind is not None:
            return synonym.kind, synonym.target
        return None

    def of(self, kind: str, name: str) -> list[Synonym]:
        """The synonyms pointing at one name, in the order they were declared."""
        return [s for s in self.synonyms.values() if s.kind == kind and s.target == name]
