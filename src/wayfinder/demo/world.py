"""The demo's shared world: its calendar, seeded randomness, names and the clock format.

Both units (``shop`` and ``b2b``) read time from one ``Calendar`` and draw randomness from
``rng_for``, so a seed always makes the same data and no part depends on another's draws.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

#: The demo's default last day: a Saturday, the day before the "today" of the question examples.
DEFAULT_END = date(2026, 11, 21)

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream for one part of the world.

    A text seed is hashed with SHA-512 by ``random.Random``, so the stream is the same on every
    run and platform, and changing one part's draws never shifts another's.

    >>> rng_for(0, "shop", 1).random() == rng_for(0, "shop", 1).random()
    True
    """
    return random.Random("wayfinder-demo/" + "/".join(str(p) for p in (seed, *parts)))


class Calendar:
    """Twelve months of data ending on ``end`` (inclusive); times are ms since ``start``."""

    def __init__(self, end: date = DEFAULT_END) -> None:
        self.end = end
        try:
            year_before = end.replace(year=end.year - 1)
        except ValueError:  # 29 February
            year_before = end.replace(year=end.year - 1, day=28)
        self.start = year_before + timedelta(days=1)
        self.days = (end - self.start).days + 1
        #: The first instant after the data (midnight after ``end``).
        self.end_ms = self.days * DAY
        self._prefixes: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"Calendar({self.start} to {self.end})"

    def at(self, day: date) -> int:
        """Midnight of ``day``, in ms since the start (negative before the calendar)."""
        return (day - self.start).days * DAY

    def day(self, ms: int) -> date:
        return self.start + timedelta(days=ms // DAY)

    def iso(self, ms: int) -> str:
        """ISO 8601 UTC with milliseconds and ``Z``, as Segment clients send it.

        >>> Calendar(date(2026, 11, 21)).iso(DAY + HOUR + MINUTE + SECOND + 1)
        '2025-11-23T01:01:01.001Z'
        """
        day, rest = divmod(ms, DAY)
        prefix = self._prefixes.get(day)
        if prefix is None:
            prefix = self._prefixes[day] = self.day(day * DAY).isoformat()
        hour, rest = divmod(rest, HOUR)
        minute, rest = divmod(rest, MINUTE)
        second, milli = divmod(rest, SECOND)
        return f"{prefix}T{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}Z"

    def iso_after(self, stamp: str, ms: int, delay: int) -> str:
        """``iso(ms + delay)`` given ``stamp == iso(ms)``, cheaply when the second is the same."""
        later = ms + delay
        if later // SECOND == ms // SECOND:
            return f"{stamp[:-4]}{later % SECOND:03d}Z"
        return self.iso(later)

    def iso_date(self, ms: int) -> str:
        return self.day(ms).isoformat()

    # -- named windows ---------------------------------------------------------------------
    def black_friday(self) -> date | None:
        """The Black Friday inside the calendar (the day after the fourth Thursday of November)."""
        for year in (self.start.year, self.end.year):
            first = date(year, 11, 1)
            thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
            friday = thursday + timedelta(days=1)
            if self.start <= friday <= self.end:
                return friday
        return None

    def sale_window(self) -> tuple[int, int] | None:
        """The Black Friday sale: Monday before Black Friday to Cyber Monday, in ms."""
        friday = self.black_friday()
        if friday is None:
            return None
        return self.clip(self.at(friday - timedelta(days=4)), self.at(friday + timedelta(days=4)))

    def spring(self) -> tuple[int, int] | None:
        """March to May of the calendar's year with a spring in it, in ms."""
        for year in (self.end.year, self.start.year):
            window = self.clip(self.at(date(year, 3, 1)), self.at(date(year, 6, 1)))
            if window is not None:
                return window
        return None

    def quarter(self, year: int, q: int) -> tuple[int, int] | None:
        first = date(year, 3 * q - 2, 1)
        after = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        return self.clip(self.at(first), self.at(after))

    def clip(self, lo: int, hi: int) -> tuple[int, int] | None:
        lo, hi = max(lo, 0), min(hi, self.end_ms)
        return (lo, hi) if lo < hi else None


class Weighted(Generic[T]):
    """A fixed set of choices with weights, drawn by bisection (``random.choices`` re-sums)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


class DayDensity:
    """Draws a day of the calendar from per-day weights (traffic growth, seasons, weekdays)."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> int:
        index = bisect_right(self.cumulative, rng.random() * self.total)
        return min(index, len(self.cumulative) - 1)


def time_of_day(rng: random.Random) -> int:
    """A moment of a day in ms, busier in the evening, as shoppers browse."""
    hour = _HOURS.draw(rng)
    return hour * HOUR + rng.randrange(HOUR)


_HOURS = Weighted(
    [
        (h, w)
        for h, w in enumerate(
            [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 5, 5, 5, 6, 7, 8, 9, 8, 5, 2]
        )
    ]
)


def hex_id(rng: random.Random, length: int = 16) -> str:
    return f"{rng.getrandbits(4 * length):0{length}x}"


FIRST_NAMES = (
    "Ana Ben Chloe Daniel Elena Farid Grace Hugo Ines Jonas Keiko Liam Maya Noah Olga Pablo "
    "Quinn Rosa Sami Tara Umar Vera Wei Ximena Yusuf Zoe Amir Bianca Caleb Dalia Emil Freya "
    "Goran Hana Ivan Julia Kofi Lena Marco Nadia Oscar Priya Rafael Sofia Tomas Uma Viktor Wanda"
).split()
LAST_NAMES = (
    "Adams Berg Costa Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Larsen Moreau "
    "Novak Ortiz Petrov Quint Rossi Silva Tanaka Ueda Varga Weber Xu Yilmaz Zimmer Ahmed Brown "
    "Castro Dias Evans Fontaine Greene Haddad Iqbal Jovanovic Kim Lopez Meyer Nguyen Okoye Park"
).split()


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
