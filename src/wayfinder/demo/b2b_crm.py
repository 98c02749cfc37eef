"""The ``b2b`` unit's CRM: accounts and contacts, deals and how they close, subscriptions and why
they churn, support tickets. Web behaviour is ``b2b_web``; the community is ``community``.

Causal order per account: who it is (industry, size, country: no effect on anything planted),
how it came (referral by a hub or not), its deal and whether a contact read Alice's post before
the close (truth 9), then its subscriptions (``b2b_revenue``, truth 10).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from wayfinder.demo import truths
from wayfinder.demo.b2b_revenue import PLANS, Subscription, subscriptions
from wayfinder.demo.world import DAY, HOUR, Calendar, DayDensity, Weighted, person_name

REPS = ("Alice Chen", "Bob Okafor", "Carmen Ruiz", "Dev Patel")
INDUSTRIES = Weighted(
    [
        ("Software", 0.24),
        ("Manufacturing", 0.16),
        ("Retail", 0.16),
        ("Healthcare", 0.12),
        ("Finance", 0.12),
        ("Education", 0.10),
        ("Energy", 0.10),
    ]
)
COUNTRIES = Weighted(
    [
        ("US", 0.35),
        ("GB", 0.15),
        ("DE", 0.15),
        ("FR", 0.1),
        ("ES", 0.08),
        ("NL", 0.07),
        ("SE", 0.05),
        ("CA", 0.05),
    ]
)
TITLES = (
    "VP Marketing", "Head of Growth", "Marketing Manager", "Marketing Ops Lead", "CMO",
    "Data Analyst", "Demand Gen Manager", "RevOps Manager", "Content Lead", "CTO",
)  # fmt: skip
_WORDS_A = (
    "North Blue Bright Iron Silver Swift Clear Green Red Stone Oak Pine Cedar Maple River Lake "
    "Summit Harbor Beacon Atlas Nova Orbit Prism Vector Delta Alpine Coral Ember Frost Lumen"
).split()
_WORDS_B = (
    "wind peak field works labs systems logic point bridge gate path line forge craft ware "
    "scale frame grid loop spark wave leaf root stack cloud"
).split()
_SUFFIXES = ("Inc", "GmbH", "Ltd", "BV", "AB", "SA", "Group", "Co")
OPEN_STAGES = ((15, "Qualification"), (35, "Demo"), (60, "Proposal"), (10**6, "Negotiation"))
SOURCES_OUTSIDE_ABM = Weighted(
    [("Inbound", 0.36), ("Paid Social", 0.24), ("Webinar", 0.18), ("Outbound", 0.22)]
)
SOURCES_IN_ABM = Weighted(
    [("ABM", 0.35), ("Inbound", 0.25), ("Paid Social", 0.15), ("Webinar", 0.10), ("Outbound", 0.15)]
)
CAMPAIGNS = {"Referral": "community_referral", "ABM": "abm_q2", "Paid Social": "linkedin_awareness"}
EXISTING_SHARE = 0.35
EXPANSION_DEAL_SHARE = 0.4
HANDLE_SHARE = 0.35
#: After-the-close reads of a post: they happen, but cannot have caused the outcome.
LATE_READ_SHARE = 0.12


@dataclass(eq=False)
class Contact:
    contact_id: str
    account: Account | None
    first_name: str
    last_name: str
    email: str
    title: str
    owner: str | None
    created: int
    handle: str | None = None
    user_id: str | None = None
    #: Planned page views of the reps' posts: (path, time).
    reads: list[tuple[str, int]] = field(default_factory=list)


@dataclass(eq=False)
class Deal:
    deal_id: str
    kind: str
    created: int
    closed: int | None
    won: bool | None
    amount: float
    stage: str
    owner: str
    lead_source: str
    campaign: str | None
    contact: Contact
    alice: bool
    control: bool


@dataclass(eq=False)
class Account:
    account_id: str
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    plan: str
    owner: str
    created: int
    existing: bool
    lead_source: str
    campaign: str | None = None
    referrer: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    deal: Deal | None = None
    subscriptions: list[Subscription] = field(default_factory=list)
    #: Support tickets: (time, contact).
    tickets: list[tuple[int, Contact]] = field(default_factory=list)


class Crm:
    """Makes accounts one by one; holds what they share (calendar, windows, names in use)."""

    def __init__(self, calendar: Calendar, seed: int, other_referrers: list[str]) -> None:
        self.calendar = calendar
        self.seed = seed
        self.other_referrers = other_referrers
        self.abm = calendar.quarter(calendar.end.year, 2)
        days = calendar.days
        self.density = DayDensity([1 + 0.8 * d / days for d in range(days)])
        self.hubs_left = list(truths.HUBS)
        self.slugs: set[str] = set()

    # -- one account -------------------------------------------------------------------------
    def account(self, index: int, rng: random.Random) -> Account:
        cal = self.calendar
        existing = rng.random() < EXISTING_SHARE
        employees = max(5, min(20_000, int(math.exp(rng.gauss(4.6, 1.3)))))
        plan = "Starter" if employees < 60 else "Growth" if employees < 600 else "Enterprise"
        if existing:
            created = -(60 * DAY + rng.randrange(840 * DAY))
        else:
            created = (
                min(self.density.draw(rng) * DAY, cal.end_ms - DAY)
                + 8 * HOUR
                + rng.randrange(10 * HOUR)
            )
        name, domain = self._name(rng)
        account = Account(
            account_id=f"acc-{index:06d}",
            name=name,
            domain=domain,
            industry=INDUSTRIES.draw(rng),
            employees=employees,
            country=COUNTRIES.draw(rng),
            plan=plan,
            owner=REPS[rng.randrange(len(REPS))],
            created=created,
            existing=existing,
            lead_source="Existing customer",
        )
        hub = self.hubs_left.pop(0) if existing and self.hubs_left else None
        for number in range(2 + _CONTACTS.draw(rng)):
            account.contacts.append(
                self._contact(account, number, rng, hub if number == 0 else None)
            )
        if not existing:
            self._lead_source(account, rng)
        self._deal(account, rng)
        subscriptions(account, rng, self.calendar.end_ms)
        return account

    def _name(self, rng: random.Random) -> tuple[str, str]:
        a, b = rng.choice(_WORDS_A), rng.choice(_WORDS_B)
        slug = f"{a}{b}".lower()
        base, n = slug, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}{n}"
        self.slugs.add(slug)
        return f"{a}{b} {rng.choice(_SUFFIXES)}", f"{slug}.example"

    def _contact(
        self, account: Account, number: int, rng: random.Random, hub: str | None
    ) -> Contact:
        first, last = person_name(rng)
        if hub is not None:
            first, last = (part.capitalize() for part in hub[1:].split("_"))
        contact = Contact(
            contact_id=f"c-{account.account_id[4:]}-{number + 1}",
            account=account,
            first_name=first,
            last_name=last,
            email=self._email(account, first, last),
            title=rng.choice(TITLES),
            owner=account.owner,
            created=account.created + rng.randrange(30 * DAY),
        )
        if hub is not None:
            contact.handle = hub
        elif rng.random() < HANDLE_SHARE:
            contact.handle = f"@{first}_{last}_{account.account_id[4:]}{number}".lower()
        return contact

    @staticmethod
    def _email(account: Account, first: str, last: str) -> str:
        taken = {c.email for c in account.contacts}
        email, n = f"{first}.{last}@{account.domain}".lower(), 1
        while email in taken:
            n += 1
            email = f"{first}.{last}{n}@{account.domain}".lower()
        return email

    def _lead_source(self, account: Account, rng: random.Random) -> None:
        """Truth 11: a referral share of new accounts, most referred by the five hubs."""
        if rng.random() < truths.REFERRAL_SHARE:
            account.lead_source = "Referral"
            if rng.random() < truths.HUB_SHARE_OF_REFERRALS:
                account.referrer = _HUBS.draw(rng)
            else:
                account.referrer = rng.choice(self.other_referrers)
            champion = account.contacts[0]
            if champion.handle is None:
                champion.handle = (
                    f"@{champion.first_name}_{champion.last_name}_{account.account_id[4:]}0".lower()
                )
        else:
            in_abm = self.abm is not None and self.abm[0] <= account.created < self.abm[1]
            account.lead_source = (SOURCES_IN_ABM if in_abm else SOURCES_OUTSIDE_ABM).draw(rng)
        account.campaign = CAMPAIGNS.get(account.lead_source)

    # -- deals ---------------------------------------------------------------------------------
    def _deal(self, account: Account, rng: random.Random) -> None:
        """Truth 9: win rate x1.8 when a contact read Alice's post before the close."""
        end = self.calendar.end_ms
        if account.existing:
            if rng.random() >= EXPANSION_DEAL_SHARE:
                self._late_reads(account, None, rng)
                return
            kind, created = "expansion", rng.randrange(end - 20 * DAY)
        else:
            kind, created = "new_business", account.created + 2 * DAY + rng.randrange(28 * DAY)
            if created >= end - DAY:
                return
        close = created + 20 * DAY + rng.randrange(90 * DAY)
        alice = rng.random() < truths.POST_READ_SHARE
        control = rng.random() < truths.POST_READ_SHARE
        low, high = PLANS[account.plan][1]
        amount = float(round(rng.uniform(low, high), -2))
        if kind == "expansion":
            amount = float(round(amount * rng.uniform(0.25, 0.6), -2))
        closed = won = None
        if close < end:
            closed = close
            rate = truths.WIN_RATE[kind] * (truths.ALICE_WIN_RATIO if alice else 1.0)
            won = rng.random() < rate
            stage = "Closed Won" if won else "Closed Lost"
        else:
            age = (end - created) // DAY
            stage = next(name for limit, name in OPEN_STAGES if age < limit)
        contact = account.contacts[0]
        deal = Deal(
            deal_id=f"d-{account.account_id[4:]}",
            kind=kind,
            created=created,
            closed=closed,
            won=won,
            amount=amount,
            stage=stage,
            owner=account.owner,
            lead_source=account.lead_source,
            campaign=account.campaign,
            contact=contact,
            alice=alice,
            control=control,
        )
        account.deal = deal
        before = (closed if closed is not None else end) - HOUR
        for path, read in ((truths.ALICE_POST, alice), (truths.CONTROL_POST, control)):
            if read and before > created:
                rng.choice(account.contacts).reads.append((path, rng.randrange(created, before)))
        self._late_reads(account, deal, rng)

    def _late_reads(self, account: Account, deal: Deal | None, rng: random.Random) -> None:
        """Reads that cannot matter: after the close, or at accounts without a deal."""
        end = self.calendar.end_ms
        start = 0 if deal is None else (deal.closed or end) + DAY
        for path, read in (
            (truths.ALICE_POST, deal and deal.alice),
            (truths.CONTROL_POST, deal and deal.control),
        ):
            if read or start >= end - HOUR or rng.random() >= LATE_READ_SHARE:
                continue
            rng.choice(account.contacts).reads.append((path, rng.randrange(start, end - HOUR)))


_HUBS = Weighted(list(zip(truths.HUBS, truths.HUB_WEIGHTS, strict=True)))
_CONTACTS = Weighted([(0, 0.2), (1, 0.25), (2, 0.25), (3, 0.15), (4, 0.1), (5, 0.05)])
