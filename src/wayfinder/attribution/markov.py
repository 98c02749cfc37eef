"""Data-driven credit from the absorbing Markov chain of journeys, order 1 to 3, solved exactly:
conversion probability, value per journey and removal effects by linear solves, not simulation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from wayfinder.attribution.credit import Credit, scaled
from wayfinder.attribution.path_table import PathTable
from wayfinder.attribution.states import CONVERSION, NULL, ChainLayout, layout
from wayfinder.errors import ConfigError, UnknownName

ORDERS = (1, 2, 3)


class MarkovChain:
    """The absorbing chain of order ``k`` estimated from every journey of a path table.

    A state is the window of a journey's last ``k`` touches (fewer near its start); ``(start)``
    begins every journey and ``(conversion)`` and ``(null)`` absorb. A path with ``c``
    conversions and ``n`` nulls adds ``c + n`` to each transition along it, ``c`` from its last
    state to ``(conversion)`` and ``n`` to ``(null)``. Transition probabilities are the counts
    divided by the journeys leaving the state, so the chain reproduces the data: its conversion
    probability is exactly conversions / journeys, and its value per journey (the reward on
    leaving a state being the value of the conversions from it) is total value / journeys.

    Removing a channel sends every transition into a state holding it to ``(null)``. Each figure
    is a solution of the linear system ``(I - Q) h = r`` to machine precision (see
    :func:`absorb`), not a simulation.
    """

    def __init__(self, pt: PathTable, chain_layout: ChainLayout) -> None:
        lay = self._layout = chain_layout
        self.order = lay.order
        self.channels = lay.channels
        self._pt = pt
        self._counts = lay.counts(pt.conversions + pt.nulls)
        self._to_conversion = np.bincount(lay.last, weights=pt.conversions, minlength=lay.size)
        self._to_null = np.bincount(lay.last, weights=pt.nulls, minlength=lay.size)
        self._leaving = (
            np.bincount(lay.source, weights=self._counts, minlength=lay.size)
            + self._to_conversion
            + self._to_null
        )
        # A state no journey leaves (possible in a bootstrap replicate) keeps a zero row.
        per_leaving = np.divide(1.0, self._leaving, out=np.zeros(lay.size), where=self._leaving > 0)
        self._stay = sp.csr_matrix(
            (self._counts * per_leaving[lay.source], (lay.source, lay.target)),
            shape=(lay.size, lay.size),
        )
        value_out = np.bincount(lay.last, weights=pt.value, minlength=lay.size)
        self._rewards = np.column_stack([self._to_conversion, value_out]) * per_leaving[:, None]
        self._solved: np.ndarray | None = None  # (1 + channels, 2), row 0 with nothing removed

    @classmethod
    def fit(cls, pt: PathTable, order: int = 1) -> MarkovChain:
        """The order-``order`` chain of ``pt`` (its layout is cached and shared by resamples)."""
        if not isinstance(order, int) or isinstance(order, bool) or order not in ORDERS:
            raise ConfigError("the Markov order must be 1, 2 or 3", value=order)
        chain_layout = pt._memo(("markov", order), lambda: layout(pt.touches(), order))
        return cls(pt, chain_layout)

    @property
    def states(self) -> tuple[str, ...]:
        """Every state as text: ``(start)``, the windows, ``(conversion)``, ``(null)``."""
        return self._layout.names() + (CONVERSION, NULL)

    def transitions(self) -> pa.Table:
        """Every transition journeys made: ``from_state``, ``to_state``, ``journeys`` (count)
        and ``probability`` (journeys / journeys leaving ``from_state``). Repeated touches
        (``Email > Email``) stay as transitions of a state to itself."""
        lay = self._layout
        names = np.array(self.states, dtype=object)
        conv_at, null_at = lay.size, lay.size + 1
        used = np.flatnonzero(self._counts > 0)
        ends = np.arange(lay.size)
        source = np.concatenate([lay.source[used], ends, ends])
        target = np.concatenate(
            [lay.target[used], np.full(lay.size, conv_at), np.full(lay.size, null_at)]
        )
        journeys = np.concatenate([self._counts[used], self._to_conversion, self._to_null])
        keep = journeys > 0
        source, target, journeys = source[keep], target[keep], journeys[keep]
        order = np.lexsort((target, source))
        source, target, journeys = source[order], target[order], journeys[order]
        return pa.table(
            {
                "from_state": pa.array(names[source].tolist(), pa.string()),
                "to_state": pa.array(names[target].tolist(), pa.string()),
                "journeys": pa.array(journeys, pa.float64()),
                "probability": pa.array(journeys / self._leaving[source], pa.float64()),
            }
        )

    def conversion_probability(self, removed: str | None = None) -> float:
        """Probability that a journey from ``(start)`` converts, with ``removed`` taken out."""
        return self._solve(removed)[0]

    def value_per_journey(self, removed: str | None = None) -> float:
        """Expected conversion value of a journey from ``(start)``, with ``removed`` taken out."""
        return self._solve(removed)[1]

    def removal_effects(self) -> dict[str, float]:
        """``1 - P(conversion without c) / P(conversion)`` per channel ``c``: the share of
        converting journeys (under the chain) that pass through ``c``."""
        return self._effects(0)

    def value_removal_effects(self) -> dict[str, float]:
        """The same on value: ``1 - value without c / value``."""
        return self._effects(1)

    def credit(self) -> Credit:
        """Removal-effect share x total, for conversions and for value separately (as
        ChannelAttribution does)."""
        conv = np.array(list(self.removal_effects().values()))
        worth = np.array(list(self.value_removal_effects().values()))
        return scaled(self._pt, f"markov_{self.order}", conv, worth)

    def _effects(self, which: int) -> dict[str, float]:
        solved = self._solutions()[:, which]
        whole = float(solved[0])
        # Removal can only lose conversions; a difference below zero is round-off.
        return {
            name: max(0.0, 1.0 - float(without) / whole) if whole > 0 else 0.0
            for name, without in zip(self.channels, solved[1:], strict=True)
        }

    def _solve(self, removed: str | None) -> tuple[float, float]:
        row = 0
        if removed is not None:
            if removed not in self.channels:
                raise UnknownName(
                    "no such channel in the path table",
                    value=removed,
                    hint="channels: " + ", ".join(self.channels),
                )
            row = self.channels.index(removed) + 1
        conversion, value = self._solutions()[row]
        return float(conversion), float(value)

    def _solutions(self) -> np.ndarray:
        if self._solved is None:
            lay = self._layout
            keep = np.ones((lay.size, 1 + len(self.channels)), dtype=bool)
            for channel in range(len(self.channels)):
                keep[:, channel + 1] = ~lay.holding(channel)
            self._solved = absorb(self._stay, self._rewards, keep)
        return self._solved


#: Jacobi sweeps stop when no figure moves by more than this, relative to its largest value.
TOLERANCE = 1e-15
#: Past this many sweeps the chain mixes too slowly for sweeping: sparse LU solves instead.
MAX_SWEEPS = 1000
#: Solve at most this many figures (states x columns) at once, to bound memory.
_BLOCK = 1 << 23


def absorb(stay: sp.csr_matrix, rewards: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Start-state solutions of ``h = r + Q h`` restricted to the states each column of ``keep``
    keeps (a dropped state is worth 0: the journeys entering it are lost), for both reward
    columns: returns ``(keep.shape[1], 2)``.

    All the restricted systems are swept together by Jacobi iteration (self-loops divided out),
    one sparse product per sweep, until no figure moves by ``TOLERANCE`` of its column's size;
    journeys are short, so this takes a few hundred sweeps and costs far less than a sparse LU
    per channel, whose fill-in is near dense at order 3. Columns still moving after
    ``MAX_SWEEPS`` are solved by sparse LU.
    """
    size, variants = keep.shape
    loop = stay.diagonal()
    # Every state a journey leaves is also left for good by some journey, so loop < 1.
    scale = 1.0 / (1.0 - loop)
    step = (sp.diags(scale) @ (stay - sp.diags(loop))).tocsr()
    solved = np.empty((variants, 2))
    per_block = max(1, _BLOCK // (2 * size))
    for first in range(0, variants, per_block):
        block = keep[:, first : first + per_block]
        mask = np.repeat(block, 2, axis=1).astype(np.float64)
        base = mask * np.tile(rewards * scale[:, None], (1, block.shape[1]))
        x = base.copy()
        for _ in range(MAX_SWEEPS):
            following = mask * (step @ x) + base
            moved = np.abs(following - x).max(axis=0)
            x = following
            if np.all(moved <= TOLERANCE * np.abs(x).max(axis=0)):
                break
        else:
            system = (sp.identity(size, format="csr") - stay).tocsr()
            for column in range(block.shape[1]):
                kept = np.flatnonzero(block[:, column])
                lu = spla.splu(system[kept][:, kept].tocsc())
                x[kept, 2 * column : 2 * column + 2] = lu.solve(rewards[kept])
        solved[first : first + block.shape[1]] = x[0].reshape(-1, 2)
    return solved


def markov(pt: PathTable, order: int = 1) -> Credit:
    """Markov removal-effect credit of order ``order`` (1 to 3), solved exactly."""
    return MarkovChain.fit(pt, order).credit()
