"""The SaaS company's community: members, who follows and mentions whom, and referrals.

Five hubs (``truths.HUBS``) refer most of the accounts that come by referral (truth 11); one
celebrity is followed and mentioned most and refers no one, so centrality alone misleads.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from wayfinder.demo import truths
from wayfinder.demo.b2b_crm import Account, Contact
from wayfinder.demo.world import DAY, HOUR, Calendar, person_name

PLATFORMS = ("community", "linkedin", "twitter")


@dataclass(frozen=True)
class Member:
    """A community member who is not a contact of any account."""

    contact_id: str
    first_name: str
    last_name: str
    handle: str
    created: int

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}.{self.contact_id[3:]}@mail.example".lower()


def members(rng: random.Random, count: int, calendar: Calendar) -> list[Member]:
    """Community-only members; the first is the celebrity."""
    found = [Member("cm-000000", "Jordan", "Reyes", truths.CELEBRITY, -400 * DAY)]
    for n in range(1, count):
        first, last = person_name(rng)
        handle = f"@{first}_{last}_{n}".lower()
        created = rng.randrange(-300 * DAY, calendar.end_ms - DAY)
        found.append(Member(f"cm-{n:06d}", first, last, handle, created))
    return found


def edges(
    rng: random.Random, community: list[Member], accounts: list[Account], calendar: Calendar
) -> Iterator[dict]:
    """Social edges: follows, mentions, replies and shares among members, then referrals."""
    handles = [m.handle for m in community]
    handles += [c.handle for a in accounts for c in a.contacts if c.handle is not None]
    hubs = list(truths.HUBS)
    end = calendar.end_ms
    count = 0

    def edge(source: str, target: str, kind: str, at: int, weight: float = 1.0) -> dict:
        nonlocal count
        count += 1
        platform = "community" if kind == "referral" else PLATFORMS[count % len(PLATFORMS)]
        return {
            "source_handle": source,
            "target_handle": target,
            "type": kind,
            "timestamp": calendar.iso(at),
            "platform": platform,
            "weight": weight,
        }

    def popular() -> str:
        draw = rng.random()
        if draw < 0.18:
            return truths.CELEBRITY
        if draw < 0.40:
            return rng.choice(hubs)
        return rng.choice(handles)

    for source in handles:
        # One member's edges at a time: a relation is kept once, and never with oneself.
        seen: set[tuple[str, str]] = {
            (source, kind) for kind in ("follow", "mention", "reply", "share")
        }
        follows = [popular() for _ in range(2 + rng.randrange(5))]
        planned = [(target, "follow") for target in follows]
        for _ in range(rng.randrange(4)):
            planned.append((truths.CELEBRITY if rng.random() < 0.3 else popular(), "mention"))
        planned += [(rng.choice(follows), "reply") for _ in range(rng.randrange(3))]
        planned += [(t, "share") for t in follows if t in hubs and rng.random() < 0.3]
        for target, kind in planned:
            at = rng.randrange(end)
            if (target, kind) not in seen:
                seen.add((target, kind))
                yield edge(source, target, kind, at)
    for account in accounts:
        if account.referrer is None:
            continue
        champion: Contact = account.contacts[0]
        at = max(0, account.created - DAY - rng.randrange(10 * DAY)) + rng.randrange(HOUR)
        yield edge(account.referrer, champion.handle or "", "referral", at, 5.0)
