"""Journeys aggregated by their sequence of touches: the path table every attribution model reads.
It owns parsing and checking path exports, merging duplicate paths, grouping small channels and
the bootstrap resample over journeys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from wayfinder.errors import ConfigError


@dataclass(frozen=True)
class Touches:
    """The paths as integer arrays, one entry per touch, paths one after another: what the
    vectorised models read instead of looping over journeys."""

    channels: tuple[str, ...]  # sorted distinct channel names; ``channel`` indexes into it
    channel: np.ndarray  # int64 channel id of every touch
    path: np.ndarray  # int64 index of the path each touch belongs to
    position: np.ndarray  # int64 place of the touch in its path, 0 for the first
    starts: np.ndarray  # int64 index of each path's first touch
    lengths: np.ndarray  # int64 touches per path

    @property
    def ends(self) -> np.ndarray:
        """Index of each path's last touch."""
        return self.starts + self.lengths - 1


@dataclass(frozen=True, eq=False)
class PathTable:
    """Journeys aggregated by their sequence of touches: the interchange format of
    ChannelAttribution and marketing-attribution-models.

    A path with ``c`` conversions and ``n`` nulls stands for ``c + n`` journeys that took it;
    ``value`` is the total conversion value of its ``c`` conversions. Build one with
    :meth:`parse`, which checks the input; the constructor trusts it.
    """

    paths: tuple[tuple[str, ...], ...]  # unique, non-empty touch sequences (repeats kept)
    conversions: np.ndarray  # float64, converting journeys per path
    nulls: np.ndarray  # float64, non-converting journeys per path
    value: np.ndarray  # float64, total conversion value per path (0 if none)
    # Encodings derived from ``paths`` alone (touch arrays, chain layouts, channel sets): a
    # bootstrap resample keeps the paths, so it shares them and each rep skips the re-encoding.
    _shared: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        size = len(self.paths)
        for name in ("conversions", "nulls", "value"):
            column = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1)
            if column.shape[0] != size:
                raise ConfigError(
                    f"the path table's {name} has a different length from its paths",
                    value=f"{column.shape[0]} != {size}",
                )
            object.__setattr__(self, name, column)

    @classmethod
    def parse(
        cls,
        paths: Sequence[str],
        conversions: Any,
        nulls: Any = None,
        value: Any = None,
        sep: str = ">",
    ) -> PathTable:
        """Paths as text (``"Email > Search > Direct"``) with their counts, checked.

        Blanks around touches are stripped and empty touches dropped (as ChannelAttribution
        does); duplicate paths are merged. A path with no touch, a count that is not a number or
        is negative, or value on a path without conversions is a ``ConfigError`` naming the row
        (counted from 1).

        >>> PathTable.parse(["a > b", "a>b ", "b"], [1, 2, 0], nulls=[0, 1, 3]).paths
        (('a', 'b'), ('b',))
        """
        if not isinstance(sep, str) or not sep:
            raise ConfigError("the path separator must be a non-empty text", value=repr(sep))
        texts = paths.to_pylist() if hasattr(paths, "to_pylist") else list(paths)  # arrow
        rows = len(texts)
        conv = _column("conversions", conversions, rows)
        null = np.zeros(rows) if nulls is None else _column("nulls", nulls, rows)
        worth = np.zeros(rows) if value is None else _column("value", value, rows)
        unpaid = np.flatnonzero((worth > 0) & (conv == 0))
        if unpaid.size:
            raise ConfigError(
                "a path has conversion value but no conversions",
                value=f"row {unpaid[0] + 1}",
                hint="value is the revenue of the path's conversions",
            )
        where: dict[tuple[str, ...], int] = {}
        slots: list[int] = []
        strip = str.strip
        for row, text in enumerate(texts):
            # The hot loop of a large export: map/filter run in C, about twice a generator.
            touches = tuple(map(strip, text.split(sep))) if isinstance(text, str) else ()
            if "" in touches:
                touches = tuple(filter(None, touches))
            if not touches:
                raise ConfigError(
                    "a path has no touch",
                    value=f"row {row + 1}: {text!r}",
                    hint=f"paths are touches separated by {sep!r}, like 'Email {sep} Direct'",
                )
            slots.append(where.setdefault(touches, len(where)))
        slot = np.array(slots, dtype=np.int64)
        return cls._merged(tuple(where), slot, conv, null, worth)

    @classmethod
    def _merged(cls, unique, slot, conv, null, worth) -> PathTable:
        size = len(unique)
        return cls(
            unique,
            np.bincount(slot, weights=conv, minlength=size),
            np.bincount(slot, weights=null, minlength=size),
            np.bincount(slot, weights=worth, minlength=size),
        )

    @property
    def channels(self) -> tuple[str, ...]:
        """Sorted distinct touches."""
        return self.touches().channels

    @property
    def journeys(self) -> float:
        return float(self.conversions.sum() + self.nulls.sum())

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    def _memo(self, key: Any, build: Callable[[], Any]) -> Any:
        """An encoding derived from the paths alone, built once and shared with resamples."""
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    def touches(self) -> Touches:
        """The paths as integer arrays (built once, shared with bootstrap resamples)."""
        return self._memo("touches", self._encode)

    def _encode(self) -> Touches:
        flat = list(chain.from_iterable(self.paths))
        channels = tuple(sorted(set(flat)))
        ids = {name: i for i, name in enumerate(channels)}
        channel = np.fromiter(map(ids.__getitem__, flat), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, self.paths), dtype=np.int64, count=len(self.paths))
        starts = np.zeros(len(self.paths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        path = np.repeat(np.arange(len(self.paths), dtype=np.int64), lengths)
        position = np.arange(len(flat), dtype=np.int64) - np.repeat(starts, lengths)
        return Touches(channels, channel, path, position, starts, lengths)

    def journeys_touched(self, *, converting: bool = False) -> np.ndarray:
        """Journeys whose path holds each channel at least once, in ``channels`` order; with
        ``converting``, only the journeys that converted."""
        t = self.touches()
        pair = np.unique(t.path * len(t.channels) + t.channel)
        journeys = self.conversions if converting else self.conversions + self.nulls
        weight = journeys[pair // len(t.channels)]
        return np.bincount(pair % len(t.channels), weights=weight, minlength=len(t.channels))

    def group_small(self, keep: int, other: str = "Other") -> PathTable:
        """The top ``keep`` channels by journeys touched stay, the rest become ``other``
        (ties broken by name); paths that become equal are merged. Repeats are kept:
        ``a > x > y`` with x and y grouped is ``a > Other > Other``.

        >>> pt = PathTable.parse(["a > x", "a > y", "b"], [1, 1, 1])
        >>> pt.group_small(1).paths
        (('a', 'Other'), ('Other',))
        """
        if not isinstance(keep, int) or keep < 1:
            raise ConfigError("group_small keeps at least one channel", value=keep)
        channels = self.channels
        if keep >= len(channels):
            return self
        touched = self.journeys_touched()
        ranked = sorted(range(len(channels)), key=lambda i: (-touched[i], channels[i]))
        kept = {channels[i] for i in ranked[:keep]}
        if other in kept:
            raise ConfigError(
                "the name for grouped channels is already a kept channel",
                value=other,
                hint="pass another name as other=",
            )
        where: dict[tuple[str, ...], int] = {}
        slot = np.empty(len(self.paths), dtype=np.int64)
        for row, path in enumerate(self.paths):
            renamed = tuple(touch if touch in kept else other for touch in path)
            slot[row] = where.setdefault(renamed, len(where))
        return self._merged(tuple(where), slot, self.conversions, self.nulls, self.value)

    def resample(self, rng: np.random.Generator) -> PathTable:
        """A bootstrap replicate over journeys: as many journeys as the table holds, drawn
        with replacement, i.e. multinomial over the (path, converted?) cells. A path's value
        scales with its drawn conversions at its mean value per conversion. The paths (and so
        the shared encodings) stay, some with zero journeys."""
        cells = np.concatenate([self.conversions, self.nulls])
        total = cells.sum()
        if total <= 0:
            return self
        # Counts may be fractional (weighted exports); the replicate keeps the rounded size.
        drawn = rng.multinomial(round(total), cells / total).astype(np.float64)
        size = len(self.paths)
        per_conversion = np.divide(
            self.value, self.conversions, out=np.zeros(size), where=self.conversions > 0
        )
        conv = drawn[:size]
        return PathTable(self.paths, conv, drawn[size:], conv * per_conversion, self._shared)


def _column(name: str, values: Any, rows: int) -> np.ndarray:
    """Counts as float64, or a ConfigError naming the first bad row."""
    if isinstance(values, np.ndarray):
        items = values
    elif hasattr(values, "to_numpy"):  # pandas and arrow columns, without a Python round trip
        items = values.to_numpy()
    else:
        items = list(values)
    if len(items) != rows:
        raise ConfigError(
            f"the {name} column has a different length from the paths",
            value=f"{len(items)} != {rows}",
        )
    try:
        column = np.asarray(items, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        column = None
    if column is None or not np.isfinite(column).all():
        for row, item in enumerate(items):
            number = _number(item)
            if number is None or not np.isfinite(number):
                raise ConfigError(
                    f"{name} must be numbers", value=f"row {row + 1}: {item!r}"
                ) from None
        if column is None:
            raise ConfigError(f"{name} must be one number per path", value=type(values).__name__)
    negative = np.flatnonzero(column < 0)
    if negative.size:
        row = int(negative[0])
        raise ConfigError(f"{name} cannot be negative", value=f"row {row + 1}: {column[row]:g}")
    return column


def _number(item: Any) -> float | None:
    try:
        return float(item)
    except (TypeError, ValueError):
        return None
