"""The ``shop`` unit, a B2C outdoor-gear store: shoppers planned in chunks, written as files.

Per chunk of shoppers: plan each (``shop_people``), give the no-effect pages to the same share
of buyers and non-buyers, render events (``shop_events``) and newsletter interactions, and count
paid clicks for the spend table. Consents, feedback, spend and content complete the unit.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from wayfinder.demo import catalog, newsletter, truths
from wayfinder.demo.ledger import (
    CONSENT_COLUMNS,
    INTERACTION_COLUMNS,
    SPEND_COLUMNS,
    Clicks,
    consent,
    count_click,
    spend_rows,
)
from wayfinder.demo.shop_events import ShopperEvents
from wayfinder.demo.shop_people import Shopper, place, plan_shopper
from wayfinder.demo.shop_world import ShopWorld
from wayfinder.demo.world import DAY, MINUTE, Calendar, Weighted, rng_for
from wayfinder.demo.writer import CsvFile, CsvParts, JsonlParts, write_csv

#: Shoppers planned together; the no-effect pages are balanced within each chunk.
CHUNK = 5_000

CONTENT_COLUMNS = ("content_id", "title", "type", "author", "url", "path", "published_at", "topic")

#: Paid campaigns: (channel, spend source, campaign, flight, cost per click).
FLIGHTS = (
    ("Paid Search", "google_ads", "google_brand", "year", 0.45),
    ("Paid Search", "google_ads", "google_generic", "year", 1.10),
    ("Paid Search", "google_ads", "black_friday", "sale", 0.95),
    ("Paid Social", "facebook", "prospecting", "year", 0.70),
    ("Paid Social", "instagram", "prospecting", "year", 0.65),
    ("Paid Social", "tiktok", "prospecting", "year", 0.40),
    ("Paid Social", "facebook", "spring_sale", "spring", 0.80),
    ("Paid Social", "instagram", "spring_sale", "spring", 0.75),
    ("Paid Social", "facebook", "black_friday", "sale", 0.85),
)
_REVIEW_SCORES = Weighted([(5, 0.5), (4, 0.3), (3, 0.12), (2, 0.05), (1, 0.03)])
_NPS_SCORES = Weighted(list(enumerate((1, 1, 1, 2, 2, 4, 6, 10, 20, 25, 28))))

Progress = Callable[[int], None]


def generate_shop(
    out: Path, people: int, seed: int, calendar: Calendar, progress: Progress | None = None
) -> dict[str, list[Path]]:
    """Write the shop's files under ``out``; returns the files of each input kind."""
    world = ShopWorld(calendar, newsletter.issues(calendar))
    events = JsonlParts(out, "events")
    # CSV: flat rows, and the reader's fastest path for the largest object file of the demo.
    interactions = CsvParts(out, "interactions", INTERACTION_COLUMNS)
    consents = CsvFile(out / "consents.csv", CONSENT_COLUMNS)
    feedback = JsonlParts(out, "feedback")
    clicks: Clicks = Clicks()
    for number, first in enumerate(range(0, people, CHUNK)):
        plan_rng = rng_for(seed, "shop", "plan", number)
        shoppers = [
            plan_shopper(i, plan_rng, world) for i in range(first, min(people, first + CHUNK))
        ]
        _balance_no_effect_pages(shoppers, rng_for(seed, "shop", "pages", number))
        render_rng = rng_for(seed, "shop", "render", number)
        for person in shoppers:
            events.write(ShopperEvents(person, render_rng, calendar, seed).render())
            prefix = f"nl-{seed}-{person.index:07d}"
            interactions.write(
                newsletter.interactions(person.sends, person.email, prefix, calendar)
            )
            consents.write(_consents(person, calendar))
            feedback.write(_feedback(person, render_rng, calendar, seed))
            for s in person.sessions:
                count_click(clicks, s.start, s.touch.channel, s.touch.source, s.touch.campaign)
        if progress is not None:
            progress(len(shoppers))
    files = {
        "events": events.close(),
        "interactions": interactions.close(),
        "consents": consents.close(),
        "feedback": feedback.close(),
        "content": write_csv(out / "content.csv", CONTENT_COLUMNS, catalog.content_rows()),
        "spend": write_csv(out / "spend.csv", SPEND_COLUMNS, _spend(clicks, world, seed)),
    }
    return files


def _balance_no_effect_pages(shoppers: list[Shopper], rng: random.Random) -> None:
    """Truth 3: each no-effect page goes to the same share of buyers and of non-buyers."""
    buyers = [p for p in shoppers if p.buyer]
    others = [p for p in shoppers if not p.buyer]
    for page, share in truths.NO_EFFECT_PAGES.items():
        for group in (buyers, others):
            for person in rng.sample(group, round(share * len(group))):
                place(person, rng, page)


def _consents(person: Shopper, calendar: Calendar) -> list[dict]:
    rows = []
    identified = person.subscriber or person.user_id is not None
    if not identified and person.purchase is not None and person.purchase.steps_done:
        identified = True
    if not identified:
        return rows
    at = person.arrival if person.subscriber or person.user_id else person.purchase.start  # type: ignore[union-attr]
    rows.append(consent(person.email, "analytics", True, at + MINUTE, "banner", calendar))
    if person.subscriber:
        rows.append(consent(person.email, "marketing", True, at + 2 * MINUTE, "form", calendar))
        if person.withdrawn_at is not None and person.withdrawn_at < calendar.end_ms:
            withdrawn = person.withdrawn_at
            rows.append(
                consent(person.email, "marketing", False, withdrawn, "preference_page", calendar)
            )
    return rows


def _feedback(person: Shopper, rng: random.Random, calendar: Calendar, seed: int) -> list[dict]:
    rows = []
    for s in person.sessions:
        if not s.ordered or rng.random() >= 0.25:
            continue
        at = s.start + 7 * DAY + rng.randrange(14 * DAY)
        if at >= calendar.end_ms:
            continue
        product = s.basket[0]  # type: ignore[index]
        score = _REVIEW_SCORES.draw(rng)
        rows.append(
            {
                "feedback_id": f"fb-shop-{seed}-{person.index:07d}-{len(rows) + 1}",
                "type": "review",
                "subject": person.email,
                "timestamp": calendar.iso(at),
                "question": f"How would you rate the {product.name}?",
                "answer": f"{score} stars",
                "score": score,
                "topic": product.category,
            }
        )
    if person.subscriber and rng.random() < 0.12:
        at = person.arrival + DAY + rng.randrange(90 * DAY)
        if at < calendar.end_ms:
            score = _NPS_SCORES.draw(rng)
            rows.append(
                {
                    "feedback_id": f"fb-shop-{seed}-{person.index:07d}-nps",
                    "type": "nps",
                    "subject": person.email,
                    "timestamp": calendar.iso(at),
                    "question": "How likely are you to recommend Ridgeline to a friend?",
                    "answer": str(score),
                    "score": score,
                    "topic": "overall",
                }
            )
    return rows


def _spend(clicks: Clicks, world: ShopWorld, seed: int) -> list[dict]:
    windows = {"year": (0, world.calendar.end_ms), "sale": world.sale, "spring": world.spring}
    rng = rng_for(seed, "shop", "spend")
    return spend_rows(clicks, FLIGHTS, windows, world.calendar, rng, "EUR")
