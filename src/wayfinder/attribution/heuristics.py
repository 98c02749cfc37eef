"""The rule-based attribution models on a path table: first, last and last non-direct touch,
linear per touch and per channel, and position based. Time decay needs touch times, which a path
table does not have: the journeys engine computes it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from wayfinder.attribution.credit import Credit, spread
from wayfinder.attribution.path_table import PathTable
from wayfinder.errors import ConfigError


def first_touch(pt: PathTable) -> Credit:
    """All of a path's conversions and value to its first touch."""
    t = pt.touches()
    return spread(pt, "first_touch", (t.position == 0).astype(np.float64))


def last_touch(pt: PathTable) -> Credit:
    """All of a path's conversions and value to its last touch."""
    t = pt.touches()
    return spread(pt, "last_touch", (t.position == t.lengths[t.path] - 1).astype(np.float64))


def last_non_direct(pt: PathTable, direct: Iterable[str] = ("Direct",)) -> Credit:
    """All to the last touch whose channel is not in ``direct``; a journey made of direct
    touches only credits its last touch (there is nothing else to credit)."""
    if isinstance(direct, str):
        direct = (direct,)
    t = pt.touches()
    direct_ids = [i for i, name in enumerate(t.channels) if name in set(direct)]
    indirect = ~np.isin(t.channel, direct_ids)
    # The index of the last indirect touch in each path, -1 when there is none.
    marked = np.where(indirect, np.arange(t.channel.size), -1)
    chosen = np.maximum.reduceat(marked, t.starts) if t.starts.size else marked[:0]
    chosen = np.where(chosen < 0, t.ends, chosen)
    share = np.zeros(t.channel.size)
    share[chosen] = 1.0
    return spread(pt, "last_non_direct", share)


def linear(pt: PathTable) -> Credit:
    """Equal credit per touch: a channel touched twice in a path of four earns half of it
    (ChannelAttribution's ``linear_touch``)."""
    t = pt.touches()
    return spread(pt, "linear", 1.0 / t.lengths[t.path])


def linear_distinct(pt: PathTable) -> Credit:
    """Equal credit per distinct channel of the path, however often it was touched."""
    t = pt.touches()
    # The first touch of each channel in each path carries the channel's share.
    key = t.path * max(len(t.channels), 1) + t.channel
    _, first = np.unique(key, return_index=True)
    distinct = np.bincount(t.path[first], minlength=t.starts.size)
    share = np.zeros(t.channel.size)
    share[first] = 1.0 / distinct[t.path[first]]
    return spread(pt, "linear_distinct", share)


def position_based(pt: PathTable, first: float = 0.4, last: float = 0.4) -> Credit:
    """``first`` to the first touch, ``last`` to the last, the rest split equally over the touches
    between. A one-touch path gives it everything; a two-touch path splits in the ratio
    ``first : last`` (50/50 at the defaults; 50/50 too when both are 0)."""
    for name, share in (("first", first), ("last", last)):
        if not 0 <= share <= 1:
            raise ConfigError(
                f"the position-based {name} share must be within 0 and 1", value=share
            )
    if first + last > 1 + 1e-12:
        raise ConfigError(
            "the position-based first and last shares add up to more than 1",
            value=f"{first} + {last}",
            hint="the middle touches share 1 - first - last",
        )
    t = pt.touches()
    length = t.lengths[t.path]
    is_first = t.position == 0
    is_last = t.position == length - 1
    ends = first + last
    two_first = first / ends if ends > 0 else 0.5
    share = np.select(
        [
            length == 1,
            (length == 2) & is_first,
            length == 2,
            is_first,
            is_last,
        ],
        [1.0, two_first, 1.0 - two_first, first, last],
        default=(1.0 - first - last) / np.maximum(length - 2, 1),
    )
    return spread(pt, "position_based", share)
