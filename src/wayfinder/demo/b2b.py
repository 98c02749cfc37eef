"""The ``b2b`` unit, a SaaS company selling marketing analytics: its CRM, its contacts' visits and
inboxes, its sales and support touches, its community, spend, consents and feedback, as files.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from pathlib import Path

from wayfinder.demo import b2b_records as records
from wayfinder.demo import community
from wayfinder.demo.b2b_crm import Account, Contact, Crm
from wayfinder.demo.b2b_web import ContactWeb
from wayfinder.demo.ledger import (
    CONSENT_COLUMNS,
    INTERACTION_COLUMNS,
    SPEND_COLUMNS,
    Clicks,
    consent,
    count_click,
    spend_rows,
)
from wayfinder.demo.world import DAY, HOUR, MINUTE, Calendar, Weighted, rng_for
from wayfinder.demo.writer import CsvFile, CsvParts, JsonlParts, write_csv

#: Accounts made with one random stream, so that a larger demo extends a smaller one.
BLOCK = 500
PEOPLE_PER_ACCOUNT = 16

FLIGHTS = (
    ("Paid Social", "linkedin", "abm_q2", "abm", 6.5),
    ("Paid Social", "linkedin", "linkedin_awareness", "year", 4.0),
    ("Paid Search", "google_ads", "b2b_search", "year", 3.2),
)
_NPS = Weighted(list(enumerate((1, 1, 1, 2, 3, 4, 6, 10, 20, 24, 28))))
_FEATURES = (
    ("Salesforce sync", "integrations"),
    ("SSO with Okta", "security"),
    ("Scheduled reports", "reporting"),
    ("Custom channel rules", "attribution"),
)
_TICKETS = (
    "SSO login fails",
    "Data import stuck",
    "Dashboard is slow",
    "Billing question",
    "Sync error with CRM",
)

Progress = Callable[[int], None]


def accounts_for(people: int) -> int:
    return max(40, people // PEOPLE_PER_ACCOUNT)


def generate_b2b(
    out: Path, people: int, seed: int, calendar: Calendar, progress: Progress | None = None
) -> dict[str, list[Path]]:
    """Write the b2b unit's files under ``out``; returns the files of each input kind."""
    n_accounts = accounts_for(people)
    members = community.members(
        rng_for(seed, "b2b", "community"), max(30, n_accounts // 4), calendar
    )
    crm = Crm(calendar, seed, [m.handle for m in members[1:]])
    accounts: list[Account] = []
    for block, first in enumerate(range(0, n_accounts, BLOCK)):
        rng = rng_for(seed, "b2b", "crm", block)
        accounts += [crm.account(i, rng) for i in range(first, min(n_accounts, first + BLOCK))]

    events = JsonlParts(out, "events")
    interactions = CsvParts(out, "interactions", INTERACTION_COLUMNS)
    consents = CsvFile(out / "consents.csv", CONSENT_COLUMNS)
    feedback = JsonlParts(out, "feedback")
    clicks = Clicks()
    webinars = [
        (row[0], row[1], row[3], calendar.at(date.fromisoformat(row[5])) + 16 * HOUR)
        for row in records.CONTENT
        if row[2] == "webinar"
    ]
    for block, first in enumerate(range(0, n_accounts, BLOCK)):
        rng = rng_for(seed, "b2b", "web", block)
        for account in accounts[first : first + BLOCK]:
            for contact in account.contacts:
                withdrawn = None
                if rng.random() < 0.05:
                    withdrawn = max(0, contact.created) + rng.randrange(30 * DAY, 300 * DAY)
                web = ContactWeb(contact, rng, calendar, seed, crm.abm)
                web.plan(rng.random() < (0.5 if account.existing else 0.75), withdrawn)
                events.write(web.render())
                interactions.write(web.nurture)
                interactions.write(_webinars(contact, webinars, rng, calendar))
                consents.write(_consents(contact, withdrawn, calendar))
                feedback.write(_feedback(contact, rng, calendar, seed))
                for visit in web.visits:
                    t = visit.touch
                    count_click(clicks, visit.start, t.channel, t.source, t.campaign)
            interactions.write(_sales_touches(account, rng, calendar))
            interactions.write(_support(account, calendar))
        if progress is not None:
            progress(min(BLOCK, n_accounts - first))
    windows = {"year": (0, calendar.end_ms), "abm": crm.abm}
    spend = spend_rows(clicks, FLIGHTS, windows, calendar, rng_for(seed, "b2b", "spend"), "USD")
    edges = community.edges(rng_for(seed, "b2b", "edges"), members, accounts, calendar)
    return {
        "events": events.close(),
        "interactions": interactions.close(),
        "consents": consents.close(),
        "feedback": feedback.close(),
        "accounts": write_csv(
            out / "accounts.csv",
            records.ACCOUNT_COLUMNS,
            (records.account_row(a, calendar) for a in accounts),
        ),
        "people": write_csv(
            out / "people.csv",
            records.PEOPLE_COLUMNS,
            records.people_rows(accounts, members, calendar),
        ),
        "deals": write_csv(
            out / "deals.csv", records.DEAL_COLUMNS, records.deal_rows(accounts, calendar)
        ),
        "subscriptions": write_csv(
            out / "subscriptions.csv",
            records.SUBSCRIPTION_COLUMNS,
            records.subscription_rows(accounts, calendar),
        ),
        "content": write_csv(out / "content.csv", records.CONTENT_COLUMNS, records.content_rows()),
        "social_edges": write_csv(out / "social_edges.csv", records.EDGE_COLUMNS, edges),
        "spend": write_csv(out / "spend.csv", SPEND_COLUMNS, spend),
    }


# -- interactions -------------------------------------------------------------------------------
def _sales_touches(account: Account, rng: random.Random, cal: Calendar) -> list[dict]:
    """Calls and meetings by the deal's owner while the deal is open."""
    deal = account.deal
    if deal is None:
        return []
    lo = max(0, deal.created - 7 * DAY)
    hi = deal.closed if deal.closed is not None else cal.end_ms - HOUR
    rows = []
    plan = [("call", n) for n in range(1 + rng.randrange(4))] + [
        ("meeting", n) for n in range(rng.randrange(4))
    ]
    for kind, n in plan:
        contact = rng.choice(account.contacts)
        at = rng.randrange(lo, hi)
        subject = (
            ("Discovery call", "Pricing discussion", "Follow-up", "Security review")[n]
            if kind == "call"
            else ("Demo", "Workshop", "Negotiation")[n % 3]
        )
        rows.append(
            {
                "interaction_id": f"{deal.deal_id}-{kind}-{n + 1}",
                "type": kind,
                "timestamp": cal.iso(at),
                "contact_id": contact.contact_id,
                "email": contact.email,
                "account_id": account.account_id,
                "owner": deal.owner,
                "channel": "phone" if kind == "call" else "video",
                "subject": subject,
                "direction": "outbound",
                "duration_seconds": float(
                    rng.randrange(300, 2400) if kind == "call" else rng.randrange(1800, 3600)
                ),
            }
        )
    return rows


def _support(account: Account, cal: Calendar) -> list[dict]:
    """Truth 10's tickets, as the support desk logs them."""
    return [
        {
            "interaction_id": f"tk-{account.account_id[4:]}-{n + 1:03d}",
            "type": "support_ticket",
            "timestamp": cal.iso(at),
            "contact_id": contact.contact_id,
            "email": contact.email,
            "account_id": account.account_id,
            "channel": "support",
            "subject": _TICKETS[(n + len(account.name)) % len(_TICKETS)],
            "direction": "inbound",
        }
        for n, (at, contact) in enumerate(account.tickets)
    ]


def _webinars(
    contact: Contact, webinars: list[tuple[str, str, str, int]], rng: random.Random, cal: Calendar
) -> list[dict]:
    rows = []
    for content_id, title, host, at in webinars:
        if not (0 <= at < cal.end_ms) or contact.created > at - 14 * DAY or rng.random() >= 0.06:
            continue
        base = {
            "contact_id": contact.contact_id,
            "email": contact.email,
            "account_id": contact.account.account_id if contact.account else None,
            "campaign": content_id.replace("-", "_"),
            "content_id": content_id,
            "channel": "event",
            "subject": title,
        }
        registered = at - DAY - rng.randrange(13 * DAY)
        rows.append(
            {
                "interaction_id": f"{content_id}-{contact.contact_id}-reg",
                "type": "webinar_registered",
                "timestamp": cal.iso(registered),
                **base,
            }
        )
        if rng.random() < 0.55:
            attended = at + rng.randrange(10 * MINUTE)
            rows.append(
                {
                    "interaction_id": f"{content_id}-{contact.contact_id}-att",
                    "type": "webinar_attended",
                    "timestamp": cal.iso(attended),
                    "owner": host,
                    **base,
                }
            )
    return rows


def _consents(contact: Contact, withdrawn: int | None, cal: Calendar) -> list[dict]:
    rows = [
        consent(contact.email, "analytics", True, contact.created, "banner", cal),
        consent(contact.email, "marketing", True, contact.created + MINUTE, "form", cal),
    ]
    if withdrawn is not None and withdrawn < cal.end_ms:
        rows.append(consent(contact.email, "marketing", False, withdrawn, "preference_page", cal))
    return rows


def _feedback(contact: Contact, rng: random.Random, cal: Calendar, seed: int) -> list[dict]:
    """NPS twice a year from customers; scores are lower where tickets pile up (a symptom)."""
    rows = []
    account = contact.account
    for month in (6, 10):
        at = cal.at(date(cal.end.year, month, 15)) + 10 * HOUR
        if not (0 <= at < cal.end_ms) or account is None or rng.random() >= 0.3:
            continue
        live = [
            s
            for s in account.subscriptions
            if s.started <= at and (s.ended is None or s.ended > at)
        ]
        if not live:
            continue
        score = max(0, _NPS.draw(rng) - (3 if live[0].many_tickets else 0))
        rows.append(
            {
                "feedback_id": f"fb-{seed}-{contact.contact_id}-{month}",
                "type": "nps",
                "subject": contact.email,
                "timestamp": cal.iso(at + rng.randrange(5 * DAY)),
                "question": "How likely are you to recommend Cartograph to a colleague?",
                "answer": str(score),
                "score": float(score),
                "topic": "overall",
            }
        )
    if rng.random() < 0.04:
        feature, topic = _FEATURES[rng.randrange(len(_FEATURES))]
        at = (
            rng.randrange(max(0, contact.created), cal.end_ms)
            if contact.created < cal.end_ms
            else 0
        )
        rows.append(
            {
                "feedback_id": f"fb-{seed}-{contact.contact_id}-vote",
                "type": "vote",
                "subject": contact.email,
                "timestamp": cal.iso(at),
                "question": f"Feature request: {feature}",
                "answer": "upvote",
                "score": 1.0,
                "topic": topic,
            }
        )
    return rows
