"""Subscriptions of the SaaS company's accounts: starts, plan changes, churn and its causes,
reactivations, and the support tickets that come with them (truth 10).

Churn is decided per subscription from two causes only, low seat usage and a pile of recent
tickets; industry, size, country and plan play no part.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wayfinder.demo import truths
from wayfinder.demo.world import DAY, HOUR

if TYPE_CHECKING:
    from wayfinder.demo.b2b_crm import Account

PLANS = {
    # plan: (seats range, annual amount range)
    "Starter": ((5, 16), (4_000, 9_000)),
    "Growth": ((15, 61), (12_000, 30_000)),
    "Enterprise": ((60, 401), (40_000, 120_000)),
}
CONTRACTION_SHARE = 0.05
REACTIVATION_SHARE = 0.12


@dataclass(eq=False)
class Subscription:
    subscription_id: str
    plan: str
    mrr: float
    seats: int
    seats_used: int
    billing: str
    started: int
    ended: int | None = None
    status: str = "active"
    many_tickets: bool = False


def subscriptions(account: Account, rng: random.Random, end: int) -> None:
    """The account's subscriptions over the year, each final one run through the churn model."""
    deal = account.deal
    if account.existing:
        current = _new(account, rng, account.created + rng.randrange(30 * DAY))
        if deal is not None and deal.won and deal.closed is not None:
            current = _change(account, current, deal.closed, 1 + rng.uniform(0.3, 0.8), rng)
        elif rng.random() < CONTRACTION_SHARE:
            at = 30 * DAY + rng.randrange(end - 60 * DAY)
            current = _change(account, current, at, rng.uniform(0.5, 0.7), rng)
    elif deal is not None and deal.won and deal.closed is not None:
        start = deal.closed + rng.randrange(10 * DAY)
        if start >= end - DAY:
            return
        current = _new(account, rng, start, amount=deal.amount)
    else:
        return
    not_before = deal.closed if deal is not None and deal.closed is not None else 0
    life = max(0, account.subscriptions[0].started)
    while current is not None:
        churned = _life(account, current, max(not_before, current.started), life, end, rng)
        current = None
        if churned is not None and rng.random() < REACTIVATION_SHARE:
            start = churned + 60 * DAY + rng.randrange(90 * DAY)
            if start < end - DAY:
                current = _new(account, rng, start)
                life = not_before = start
    account.plan = account.subscriptions[-1].plan


def _new(
    account: Account, rng: random.Random, start: int, amount: float | None = None
) -> Subscription:
    seats_range, amount_range = PLANS[account.plan]
    if amount is None:
        amount = float(round(rng.uniform(*amount_range), -2))
    sub = Subscription(
        subscription_id=f"sub-{account.account_id[4:]}-{len(account.subscriptions) + 1}",
        plan=account.plan,
        mrr=round(amount / 12, 2),
        seats=rng.randrange(*seats_range),
        seats_used=0,
        billing="year" if account.plan == "Enterprise" or rng.random() < 0.5 else "month",
        started=start,
    )
    account.subscriptions.append(sub)
    return sub


def _change(
    account: Account, old: Subscription, at: int, factor: float, rng: random.Random
) -> Subscription:
    """A plan change: the old subscription ends (superseded), a bigger or smaller one starts."""
    old.ended, old.status = at, "superseded"
    new = _new(account, rng, at)
    new.mrr = round(old.mrr * factor, 2)
    new.seats = max(5, round(old.seats * factor))
    return new


def _life(
    account: Account, sub: Subscription, not_before: int, life: int, end: int, rng: random.Random
) -> int | None:
    """Usage and tickets set the chance of churn; returns the churn time, if any."""
    low = rng.random() < truths.LOW_USAGE_SHARE
    # Clear of the threshold on both sides, so rounding seats never crosses it.
    edge = truths.LOW_USAGE_RATIO
    ratio = rng.uniform(0.10, edge - 0.02) if low else rng.uniform(edge + 0.02, 1.0)
    sub.seats_used = (math.floor if low else math.ceil)(sub.seats * ratio)
    sub.many_tickets = rng.random() < truths.MANY_TICKETS_SHARE
    p = (
        truths.CHURN_BASE
        + truths.CHURN_LOW_USAGE * low
        + truths.CHURN_MANY_TICKETS * sub.many_tickets
    )
    earliest = max(not_before, sub.started + truths.CHURN_MIN_DAYS * DAY, DAY)
    churned = None
    if rng.random() < p and earliest < end - DAY:
        churned = rng.randrange(earliest, end - DAY)
        sub.ended, sub.status = churned, "canceled"
    _tickets(account, sub, life, churned if churned is not None else end, rng)
    return churned


def _tickets(account: Account, sub: Subscription, life: int, ref: int, rng: random.Random) -> None:
    """Five to eight tickets in the 90 days before ``ref`` when the subscription has many,
    else at most three over its whole life (never five in any 90 days)."""
    window = truths.TICKET_WINDOW_DAYS * DAY
    lo = max(life, 0)
    if sub.many_tickets:
        recent = max(ref - window + HOUR, lo)
        times = [rng.randrange(recent, ref) for _ in range(truths.MANY_TICKETS + rng.randrange(4))]
        if ref - window > lo:
            times += [rng.randrange(lo, ref - window) for _ in range(rng.randrange(3))]
    else:
        times = [rng.randrange(lo, ref) for _ in range(rng.randrange(truths.MANY_TICKETS - 1))]
    for t in sorted(times):
        account.tickets.append((t, rng.choice(account.contacts)))
