"""The arithmetic of "why did a metric change": a total's change split over the values of one
dimension, a ratio's change split into rate, mix and interaction effects (shift-share), and how
far each value's move stands out from its sampling noise (a z-score).

Pure functions on small aggregates (one number per dimension value and period): the engine
computes the aggregates, these split them, and the tests check them against hand computations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from wayfinder.explain.noise import signed_inf, z_score

#: A total that moved by more than this part of its base has a direction to explain.
MOVED = 0.05
#: A total's change is notable (worth explaining) when it moved by more than ``MOVED`` and its z
#: is at least this (5% two-sided: one test, the total's own).
NOTABLE_Z = 1.96


@dataclass(frozen=True)
class Contribution:
    """One dimension value's part of a change.

    ``change`` is what the value adds to the total's change; ``share`` is that part of the total
    change (None when the total did not move); ``base_share`` how big the value was before (its
    part of the base total, or of the base denominator for ratios); ``surprise`` the part of its
    change that its size does not explain, ``change - base_share x total change`` (a value that
    moves with the total has none; one that moves while the total stays put has all). For ratio
    metrics ``change`` is ``rate_effect + mix_effect + interaction``, with the value's rates
    and weights. ``z``: the surprise over its standard error under sampling noise (None when
    no variances were given), so a small value's move and a large value's compare.
    """

    value: str
    base: float
    current: float
    change: float
    share: float | None
    base_share: float | None
    surprise: float = 0.0
    base_rate: float | None = None
    current_rate: float | None = None
    base_weight: float | None = None
    current_weight: float | None = None
    rate_effect: float | None = None
    mix_effect: float | None = None
    interaction: float | None = None
    z: float | None = None


@dataclass(frozen=True)
class Decomposition:
    """A change split over the values of one dimension, biggest contributions first.

    ``unexplained`` is the part of the change the values do not add up to: people counted under
    two values (unique counts, visitors of two channels), or the gap between a ratio's pooled
    rate over the values and the metric measured as a whole. 0 for sums and counts of rows.
    ``noise``: the standard error of the total's change under sampling noise (None without
    variances).
    """

    base_total: float
    current_total: float
    parts: list[Contribution] = field(default_factory=list)
    unexplained: float = 0.0
    noise: float | None = None

    @property
    def change(self) -> float:
        return self.current_total - self.base_total

    @property
    def top(self) -> Contribution | None:
        """The value whose move its size explains least (None when nothing moved); when the
        total moved by more than ``MOVED`` of its base, only values whose surprise goes the same
        way count (a channel that grew, or fell less than its share, explains no fall)."""
        return self.top_of()

    def top_of(self, exclude: tuple[str, ...] = ()) -> Contribution | None:
        """``top`` among the values not in ``exclude`` (such as the folded "Other"): the largest
        ``|z|`` when the noise is known (a big value's move of 10 orders can be its usual noise,
        a small value's rarely is), else the largest ``|surprise|``."""
        moved = [p for p in self.parts if p.value not in exclude and p.surprise]
        if abs(self.change) > MOVED * abs(self.base_total):
            # Beyond its size the value must move the total's way: one that fell by less than
            # its share of a fall (its surprise is a rise) explains none of it.
            moved = [p for p in moved if p.surprise * self.change > 0]
        return max(moved, key=lambda p: (_strength(p), p.value)) if moved else None

    @property
    def notable(self) -> bool:
        """Whether the total moved by more than ``MOVED`` of its base and, when its noise is
        known, by at least ``NOTABLE_Z`` standard errors."""
        z = self.z
        moved = abs(self.change) > MOVED * abs(self.base_total)
        return moved and (z is None or abs(z) >= NOTABLE_Z)

    @property
    def z(self) -> float | None:
        """The total's change over its standard error (None without variances)."""
        if self.noise is None:
            return None
        return self.change / self.noise if self.noise else signed_inf(self.change)

    @property
    def concentration(self) -> float:
        """Herfindahl index of the absolute contributions: 1 when one value holds all of the
        movement, 1/n when n values move alike; 0 when nothing moved."""
        moves = [abs(p.change) for p in self.parts]
        total = sum(moves)
        return sum((m / total) ** 2 for m in moves) if total else 0.0

    def score(self, exclude: tuple[str, ...] = ()) -> float:
        """How well the dimension explains the change: its top value's surprise as a part of the
        base total (the same base for every dimension of a metric, so scores compare)."""
        top = self.top_of(exclude)
        if top is None:
            return 0.0
        scale = abs(self.base_total) or abs(self.current_total) or 1.0
        return abs(top.surprise) / scale

    def strength(self, exclude: tuple[str, ...] = ()) -> float:
        """How far the dimension's top value stands out: its ``|z|`` (its ``score`` when the
        noise is unknown). Dimensions are ranked by it."""
        top = self.top_of(exclude)
        if top is None:
            return 0.0
        return abs(top.z) if top.z is not None else self.score(exclude)


def _strength(p: Contribution) -> float:
    return abs(p.z) if p.z is not None else abs(p.surprise)


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def additive(
    values: Sequence[str],
    base: Sequence[float],
    current: Sequence[float],
    *,
    base_total: float | None = None,
    current_total: float | None = None,
    base_var: Sequence[float] | None = None,
    current_var: Sequence[float] | None = None,
) -> Decomposition:
    """A count or sum split by value: each value adds ``current - base`` to the change.

    Totals default to the sums of the values; give them when values overlap (unique people).
    ``base_var``/``current_var``: each value's sampling variance in each period (see
    ``noise.pooled_variances``); with them every value gets its ``z``.

    >>> d = additive(["a", "b"], [10, 30], [4, 31])
    >>> [(p.value, p.change, p.share) for p in d.parts]
    [('a', -6, 1.2), ('b', 1, -0.2)]
    """
    b_total = float(sum(base)) if base_total is None else base_total
    c_total = float(sum(current)) if current_total is None else current_total
    change = c_total - b_total
    parts = []
    for v, b, c in zip(values, base, current, strict=True):
        size = _share(b, b_total)
        surprise = (c - b) - (size or 0.0) * change
        parts.append(Contribution(v, b, c, c - b, _share(c - b, change), size, surprise))
    explained = sum(p.change for p in parts)
    noise = None
    if base_var is not None and current_var is not None:
        ratio = c_total / b_total if b_total else 1.0
        # Each value's noise on the scale of its surprise: the base enters through its share.
        own = [c + ratio**2 * b for c, b in zip(current_var, base_var, strict=True)]
        parts = _with_z(parts, own)
        noise = math.sqrt(sum(current_var) + sum(base_var))
    return Decomposition(b_total, c_total, _ranked(parts), change - explained, noise)


def _with_z(parts: list[Contribution], own: Sequence[float]) -> list[Contribution]:
    """Each part with its z: ``surprise = c - s C`` (``s`` its base share, ``C`` the current
    total) moves with its own figures by ``1 - s`` and with every other value's by ``-s``, so
    its variance is ``(1 - s)^2 own + s^2 (all - own)``, ``own`` a value's noise in both
    periods."""
    everyone = sum(own)
    out = []
    for p, mine in zip(parts, own, strict=True):
        s = p.base_share or 0.0
        variance = (1 - s) ** 2 * mine + s**2 * (everyone - mine)
        out.append(replace(p, z=z_score(p.surprise, variance)))
    return out


def shift_share(
    values: Sequence[str],
    base_numerator: Sequence[float],
    base_denominator: Sequence[float],
    current_numerator: Sequence[float],
    current_denominator: Sequence[float],
    *,
    base_rate: float | None = None,
    current_rate: float | None = None,
    base_rate_var: Sequence[float] | None = None,
    current_rate_var: Sequence[float] | None = None,
) -> Decomposition:
    """A ratio's change (conversion rate, order value) split by value into three effects.

    With ``w`` a value's weight (its part of the denominator), ``r`` its rate and ``R`` the
    pooled rate ``sum(w r)``, in the base (0) and current (1) periods:
    rate effect ``w0 (r1 - r0)``: the value's own rate moved;
    mix effect ``(w1 - w0)(r0 - R0)``: its weight moved (centred on ``R0``, so a shift towards a
    value converting at the average changes nothing; the weights' moves sum to 0, so the total is
    the textbook ``sum((w1 - w0) r0)``);
    interaction ``(w1 - w0)(r1 - r0)``: both at once.
    The three summed over values are exactly ``R1 - R0``. A value absent from one period has no
    rate there, so it counts as all mix. ``base_rate``/``current_rate``: the metric measured as
    a whole, when it differs from the pooled rate (overlapping values); the gap is unexplained.
    ``base_rate_var``/``current_rate_var``: the sampling variance of each value's rate in each
    period (``noise.rate_variances``); the weights are taken as known, so a value's noise is
    ``w0^2 var(r0) + w1^2 var(r1)`` and every value gets its ``z``.

    >>> d = shift_share(["a", "b"], [10, 10], [100, 100], [5, 10], [100, 100])
    >>> [(p.value, p.rate_effect, p.mix_effect) for p in d.parts]
    [('a', -0.025, 0.0), ('b', 0.0, 0.0)]
    """
    d0_total, d1_total = float(sum(base_denominator)), float(sum(current_denominator))
    pooled0 = sum(base_numerator) / d0_total if d0_total else 0.0
    pooled1 = sum(current_numerator) / d1_total if d1_total else 0.0
    r0_total = pooled0 if base_rate is None else base_rate
    r1_total = pooled1 if current_rate is None else current_rate
    change = r1_total - r0_total
    # Centring needs weights summing to 1 in both periods; with an empty period it is skipped.
    centre = pooled0 if d0_total and d1_total else 0.0
    parts, own = [], []
    noisy = base_rate_var is not None and current_rate_var is not None
    variances = zip(base_rate_var or values, current_rate_var or values, strict=True)
    rows = zip(
        values, base_numerator, base_denominator, current_numerator, current_denominator,
        variances, strict=True,
    )  # fmt: skip
    for value, n0, d0, n1, d1, (v0, v1) in rows:
        if not d0 and not d1:
            continue
        w0 = d0 / d0_total if d0_total else 0.0
        w1 = d1 / d1_total if d1_total else 0.0
        r0 = n0 / d0 if d0 else None
        r1 = n1 / d1 if d1 else None
        # A value missing from one period takes its other rate there: its part is all mix.
        a0 = r0 if r0 is not None else r1
        a1 = r1 if r1 is not None else r0
        assert a0 is not None and a1 is not None
        if noisy:
            own.append(w0**2 * float(v0) + w1**2 * float(v1))
        rate = w0 * (a1 - a0)
        mix = (w1 - w0) * (a0 - centre)
        interaction = (w1 - w0) * (a1 - a0)
        total = rate + mix + interaction
        parts.append(
            Contribution(
                value,
                float(n0),
                float(n1),
                total,
                _share(total, change),
                w0,
                surprise=total - w0 * change,
                base_rate=r0,
                current_rate=r1,
                base_weight=w0,
                current_weight=w1,
                rate_effect=rate,
                mix_effect=mix,
                interaction=interaction,
            )  # fmt: skip
        )
    unexplained = (r1_total - pooled1) - (r0_total - pooled0)
    if not noisy:
        return Decomposition(r0_total, r1_total, _ranked(parts), unexplained)
    noise = math.sqrt(sum(own))
    return Decomposition(r0_total, r1_total, _ranked(_with_z(parts, own)), unexplained, noise)


def _ranked(parts: list[Contribution]) -> list[Contribution]:
    return sorted(parts, key=lambda p: (-abs(p.change), p.value))


def rank(
    decompositions: dict[str, Decomposition], exclude: tuple[str, ...] = ()
) -> list[tuple[str, Decomposition]]:
    """Dimensions best explaining the change first: by how far their top value stands out from
    its noise (``strength``: its ``|z|``, or its surprise when the noise is unknown)."""
    return sorted(decompositions.items(), key=lambda kv: (-kv[1].strength(exclude), kv[0]))


def traffic_part(
    base_count: float, current_count: float, base_traffic: float, current_traffic: float
) -> float | None:
    """How much of a count's change its traffic explains, on the log scale: count = traffic x
    rate, so ``log(c1/c0) = log(t1/t0) + log(rate1/rate0)``; returns ``log(t1/t0) / log(c1/c0)``
    (1: traffic alone, 0: the rate alone). None when a number is 0 or the count did not move.

    >>> traffic_part(100, 50, 200, 200) == 0, traffic_part(100, 50, 200, 100)
    (True, 1.0)
    """
    if min(base_count, current_count, base_traffic, current_traffic) <= 0:
        return None
    moved = math.log(current_count / base_count)
    if abs(moved) < 1e-12:
        return None
    return math.log(current_traffic / base_traffic) / moved


@dataclass(frozen=True)
class Held:
    """What of a value's move persists with another candidate's value held out: its surprise
    there and that surprise's z (both 0 when it moves the other way there)."""

    surprise: float
    z: float | None = None

    def strength(self, base: float) -> float:
        """``|z|``, or the surprise as a part of ``base`` when the noise is unknown."""
        return abs(self.z) if self.z is not None else abs(self.surprise) / (abs(base) or 1.0)


def held_out(within: Decomposition, value: str, full: Contribution) -> Held:
    """The part of ``full`` (a value's contribution to the whole change) that persists in
    ``within``, the same metric split into ``value`` vs the rest over the rows outside another
    candidate's value: the value's surprise there (and its z), counted only while it moves the
    way it did overall (a dip that turns into a rise once the other value is held out explains
    nothing).

    >>> full = additive(["a", "b"], [50, 50], [10, 70]).top
    >>> held_out(additive(["a", "rest"], [25, 25], [5, 35]), "a", full).surprise
    -15.0
    """
    part = next((p for p in within.parts if p.value == value), None)
    if part is None or part.surprise * full.surprise <= 0:
        return Held(0.0, None if full.z is None else 0.0)
    return Held(part.surprise, part.z)


def cross_checked(
    order: Sequence[str], scores: dict[str, float], held: dict[tuple[str, str], float]
) -> list[str]:
    """Candidates from different dimensions reordered by what survives the others: ``held[a, b]``
    is a's strength with b's value held out (its ``|z|`` there, or its surprise as a part of the
    base), on the same scale as ``scores`` (a's own).
    A candidate's robust score is its smallest held-out score against every other candidate; the
    candidates are sorted by it (ties keep ``order``). A value whose move is mostly another's
    (mobile's dip, when the drop is Paid Search's on every device) falls behind that one.

    >>> cross_checked(["mobile", "paid"], {"mobile": .3, "paid": .25},
    ...               {("mobile", "paid"): .05, ("paid", "mobile"): .2})
    ['paid', 'mobile']
    """
    robust = {
        a: min((abs(held.get((a, b), scores[a])) for b in order if b != a), default=scores[a])
        for a in order
    }
    return sorted(order, key=lambda a: (-robust[a], order.index(a)))
