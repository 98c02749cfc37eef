"""The SaaS company's CRM objects as the rows of their files: accounts, people (contacts and
community members), deals, subscriptions and content.
"""

from __future__ import annotations

from collections.abc import Iterator

from wayfinder.demo import truths
from wayfinder.demo.b2b_crm import Account
from wayfinder.demo.b2b_web import B2B_SITE, OPEN_POSTS, WHITEPAPER
from wayfinder.demo.community import Member
from wayfinder.demo.world import Calendar

ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "domain",
    "industry",
    "employees",
    "country",
    "plan",
    "owner",
    "created_at",
)
PEOPLE_COLUMNS = (
    "contact_id", "email", "user_id", "first_name", "last_name", "name", "account_id", "title",
    "country", "lifecycle_stage", "owner", "social_handle", "created_at",
)  # fmt: skip
DEAL_COLUMNS = (
    "deal_id", "account_id", "contact_id", "name", "amount", "currency", "stage", "pipeline",
    "created_at", "closed_at", "won", "owner", "campaign", "lead_source",
)  # fmt: skip
SUBSCRIPTION_COLUMNS = (
    "subscription_id", "account_id", "contact_id", "plan", "mrr", "currency", "seats",
    "seats_used", "status", "billing_period", "started_at", "ended_at",
)  # fmt: skip
CONTENT_COLUMNS = ("content_id", "title", "type", "author", "url", "path", "published_at", "topic")
EDGE_COLUMNS = ("source_handle", "target_handle", "type", "timestamp", "platform", "weight")
#: (content id, title, type, author, path, published, topic); webinars are also events.
CONTENT: tuple[tuple[str, ...], ...] = (
    (
        "post-attribution-playbook",
        "The B2B attribution playbook",
        "blog_post",
        truths.ALICE,
        truths.ALICE_POST,
        "2025-11-03",
        "attribution",
    ),
    (
        "post-pipeline-hygiene",
        "Pipeline hygiene in five steps",
        "blog_post",
        "Bob Okafor",
        truths.CONTROL_POST,
        "2025-10-20",
        "pipeline",
    ),
    (
        "post-dashboards",
        "Dashboards that get used",
        "blog_post",
        "Carmen Ruiz",
        OPEN_POSTS[0],
        "2025-09-15",
        "analytics",
    ),
    (
        "post-mrr-movements",
        "MRR movements, explained",
        "blog_post",
        "Dev Patel",
        OPEN_POSTS[1],
        "2025-10-05",
        "revenue",
    ),
    (
        "wp-state-of-attribution",
        "State of attribution 2026",
        "whitepaper",
        "Cartograph Research",
        WHITEPAPER,
        "2025-11-10",
        "attribution",
    ),
    (
        "webinar-attribution-101",
        "Attribution 101",
        "webinar",
        "Carmen Ruiz",
        "/webinars/attribution-101",
        "2026-02-18",
        "attribution",
    ),
    (
        "webinar-abm-playbook",
        "The ABM playbook",
        "webinar",
        "Bob Okafor",
        "/webinars/abm-playbook",
        "2026-05-20",
        "abm",
    ),
    (
        "webinar-churn-signals",
        "Churn signals to watch",
        "webinar",
        "Dev Patel",
        "/webinars/churn-signals",
        "2026-09-16",
        "churn",
    ),
)


def account_row(a: Account, cal: Calendar) -> dict:
    return {
        "account_id": a.account_id, "name": a.name, "domain": a.domain, "industry": a.industry,
        "employees": a.employees, "country": a.country, "plan": a.plan, "owner": a.owner,
        "created_at": cal.iso(a.created),
    }  # fmt: skip


def people_rows(accounts: list[Account], members: list[Member], cal: Calendar) -> Iterator[dict]:
    for a in accounts:
        live = any(s.status == "active" for s in a.subscriptions)
        open_deal = a.deal is not None and a.deal.closed is None
        stage = "customer" if live else "opportunity" if open_deal else "lead"
        for c in a.contacts:
            yield {
                "contact_id": c.contact_id, "email": c.email, "user_id": c.user_id,
                "first_name": c.first_name, "last_name": c.last_name,
                "name": f"{c.first_name} {c.last_name}",
                "account_id": a.account_id, "title": c.title, "country": a.country,
                "lifecycle_stage": stage, "owner": c.owner, "social_handle": c.handle,
                "created_at": cal.iso(c.created),
            }  # fmt: skip
    for m in members:
        yield {
            "contact_id": m.contact_id, "email": m.email, "first_name": m.first_name,
            "last_name": m.last_name, "name": f"{m.first_name} {m.last_name}",
            "lifecycle_stage": "subscriber", "social_handle": m.handle,
            "created_at": cal.iso(m.created),
        }  # fmt: skip


def deal_rows(accounts: list[Account], cal: Calendar) -> Iterator[dict]:
    for a in accounts:
        d = a.deal
        if d is None:
            continue
        yield {
            "deal_id": d.deal_id, "account_id": a.account_id, "contact_id": d.contact.contact_id,
            "name": f"{a.name} – {'Expansion' if d.kind == 'expansion' else a.plan}",
            "amount": d.amount, "currency": "USD", "stage": d.stage,
            "pipeline": "Expansion" if d.kind == "expansion" else "New Business",
            "created_at": cal.iso(d.created),
            "closed_at": cal.iso(d.closed) if d.closed is not None else None,
            "won": d.won, "owner": d.owner, "campaign": d.campaign, "lead_source": d.lead_source,
        }  # fmt: skip


def subscription_rows(accounts: list[Account], cal: Calendar) -> Iterator[dict]:
    for a in accounts:
        for s in a.subscriptions:
            yield {
                "subscription_id": s.subscription_id, "account_id": a.account_id,
                "contact_id": a.contacts[0].contact_id, "plan": s.plan, "mrr": s.mrr,
                "currency": "USD", "seats": s.seats, "seats_used": s.seats_used,
                "status": s.status, "billing_period": s.billing, "started_at": cal.iso(s.started),
                "ended_at": cal.iso(s.ended) if s.ended is not None else None,
            }  # fmt: skip


def content_rows() -> list[dict]:
    return [
        {
            "content_id": cid,
            "title": title,
            "type": kind,
            "author": author,
            "url": B2B_SITE + path,
            "path": path,
            "published_at": published + "T08:00:00Z",
            "topic": topic,
        }  # fmt: skip
        for cid, title, kind, author, path, published, topic in CONTENT
    ]
