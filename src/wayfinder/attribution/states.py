"""The states of an order-k journey chain and where each path's transitions land, built once
per set of paths with numpy (no loop over journeys) and shared by every bootstrap resample."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wayfinder.attribution.path_table import Touches
from wayfinder.errors import ConfigError

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"


@dataclass(frozen=True)
class ChainLayout:
    """Which transient state each touch puts a journey in, and the transitions between them.

    State 0 is ``(start)``; state ``s >= 1`` is the window of the last ``order`` touches (fewer
    at the start of a journey) in row ``s - 1`` of ``windows``. Transition counts are linear in
    the journeys per path (:meth:`counts`), which makes a bootstrap refit one weighted count.
    """

    order: int
    channels: tuple[str, ...]
    windows: np.ndarray  # int64 (states - 1, order): channel ids, oldest first, -1 padding first
    source: np.ndarray  # int64 from-state of each distinct transient transition
    target: np.ndarray  # int64 to-state of each distinct transient transition
    transition: np.ndarray  # int64 distinct transition each touch makes (from the state before)
    touch_path: np.ndarray  # int64 path of each touch
    last: np.ndarray  # int64 state each path ends in, before conversion or null

    @property
    def size(self) -> int:
        """Transient states, (start) included."""
        return self.windows.shape[0] + 1

    def counts(self, journeys: np.ndarray) -> np.ndarray:
        """Journeys making each distinct transition, given the journeys per path."""
        weights = journeys[self.touch_path]
        return np.bincount(self.transition, weights=weights, minlength=self.source.size)

    def holding(self, channel: int) -> np.ndarray:
        """Boolean mask over states: the window holds ``channel`` (never true for (start))."""
        mask = np.zeros(self.size, dtype=bool)
        mask[1:] = (self.windows == channel).any(axis=1)
        return mask

    def names(self) -> tuple[str, ...]:
        """State names as text: ``(start)``, then windows like ``"Email > Search"``."""
        labels = [START]
        for window in self.windows.tolist():
            labels.append(" > ".join(self.channels[c] for c in window if c >= 0))
        return tuple(labels)


def layout(touches: Touches, order: int) -> ChainLayout:
    """The order-``order`` chain layout of the paths in ``touches``."""
    channel, position = touches.channel, touches.position
    base = len(touches.channels) + 1
    if base**order >= 2**62:
        raise ConfigError(
            "too many channels for a Markov chain of this order",
            value=f"{base - 1} channels at order {order}",
            hint="group small channels into 'Other' (PathTable.group_small)",
        )
    # A window is a number in base (channels + 1): digit j is the touch j steps back, plus one,
    # and 0 where the journey had not yet made that touch. Distinct numbers are the states.
    code = channel + 1
    for back in range(1, order):
        earlier = np.zeros_like(code)
        earlier[back:] = channel[:-back] + 1
        code = code + np.where(position >= back, earlier, 0) * base**back
    codes, state = _distinct(code, base**order)
    state += 1
    size = codes.size + 1
    previous = np.empty_like(state)
    previous[1:] = state[:-1]
    previous[position == 0] = 0
    keys, transition = _distinct(previous * size + state, size * size)
    windows = np.empty((codes.size, order), dtype=np.int64)
    for back in range(order):
        windows[:, order - 1 - back] = (codes // base**back) % base - 1
    return ChainLayout(
        order=order,
        channels=touches.channels,
        windows=windows,
        source=keys // size,
        target=keys % size,
        transition=transition,
        touch_path=touches.path,
        last=state[touches.ends] if state.size else state,
    )


def _distinct(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and each key's index among them (``np.unique`` with
    ``return_inverse``), by a lookup table when the keys are small: linear time, no sort."""
    # The table costs 9 bytes per possible key: worth it while that is not far above the sort's.
    if space > max(1 << 20, 4 * keys.size):
        found, index = np.unique(keys, return_inverse=True)
        return found, index.reshape(-1).astype(np.int64)
    present = np.zeros(space, dtype=bool)
    present[keys] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64), rank[keys]
