"""Marketing touches as a browser sees them: the landing URL's tags and click id, the referrer.

Each factory makes a touch that ``wayfinder.model.channels`` classifies as the channel it is
named after (``tests/test_demo.py`` holds the two to one answer).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from wayfinder.demo.world import Weighted, hex_id


@dataclass(frozen=True)
class Touch:
    """How one session arrived: the channel it must classify as, and what carries it."""

    channel: str
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    click_param: str | None = None
    click_value: str | None = None
    referrer: str | None = None

    @property
    def tagged(self) -> bool:
        return self.source is not None or self.click_param is not None

    def query(self) -> str:
        """The landing URL's query string (with ``?``), or ``""``."""
        parts = []
        for key, value in (
            ("utm_source", self.source),
            ("utm_medium", self.medium),
            ("utm_campaign", self.campaign),
            ("utm_content", self.content),
            (self.click_param, self.click_value),
        ):
            if key and value:
                parts.append(f"{key}={value}")
        return "?" + "&".join(parts) if parts else ""

    def context_campaign(self) -> dict[str, str] | None:
        """``context.campaign`` as analytics.js fills it from the landing URL's UTM tags."""
        if self.source is None:
            return None
        found = {"source": self.source, "medium": self.medium, "name": self.campaign}
        if self.content:
            found["content"] = self.content
        return {k: v for k, v in found.items() if v}


DIRECT = Touch("Direct")

_SEARCH_ENGINES = Weighted(
    [
        ("https://www.google.com/", 0.80),
        ("https://www.bing.com/", 0.12),
        ("https://duckduckgo.com/", 0.08),
    ]
)


def organic_search(rng: random.Random) -> Touch:
    return Touch("Organic Search", referrer=_SEARCH_ENGINES.draw(rng))


def paid_search(rng: random.Random, campaign: str) -> Touch:
    # Auto-tagged Google Ads: a gclid, plus the UTM tags many advertisers add by template.
    return Touch(
        "Paid Search",
        source="google",
        medium="cpc",
        campaign=campaign,
        click_param="gclid",
        click_value="Cj0K" + hex_id(rng, 20),
        referrer="https://www.google.com/",
    )


_SOCIAL_REFERRERS = {
    "facebook": "https://l.facebook.com/",
    "instagram": "https://l.instagram.com/",
    "tiktok": "https://www.tiktok.com/",
    "linkedin": "https://www.linkedin.com/",
}
_CLICK_PARAMS = {"facebook": "fbclid", "instagram": "fbclid", "tiktok": "ttclid"}


def paid_social(rng: random.Random, source: str, campaign: str, content: str | None = None):
    param = _CLICK_PARAMS.get(source)
    return Touch(
        "Paid Social",
        source=source,
        medium="paid_social",
        campaign=campaign,
        content=content,
        click_param=param,
        click_value=("IwAR" + hex_id(rng, 20)) if param else None,
        referrer=_SOCIAL_REFERRERS[source],
    )


_SHOP_SOCIAL = Weighted(
    [
        ("https://www.facebook.com/", 0.35),
        ("https://www.instagram.com/", 0.30),
        ("https://www.reddit.com/r/camping/", 0.20),
        ("https://t.co/k3Xq9z", 0.15),
    ]
)
_B2B_SOCIAL = Weighted(
    [
        ("https://www.linkedin.com/feed/", 0.70),
        ("https://t.co/r8Lm2w", 0.20),
        ("https://news.ycombinator.com/", 0.10),
    ]
)


def organic_social(rng: random.Random, b2b: bool = False) -> Touch:
    return Touch("Organic Social", referrer=(_B2B_SOCIAL if b2b else _SHOP_SOCIAL).draw(rng))


def email(source: str, campaign: str, content: str | None = None) -> Touch:
    return Touch("Email", source=source, medium="email", campaign=campaign, content=content)


_SHOP_REFERRALS = Weighted(
    [
        ("https://www.outdoorgearlab.example/best-backpacking-tents", 0.45),
        ("https://trailjournal.example/gear-list", 0.35),
        ("https://campingmag.example/reviews/stoves", 0.20),
    ]
)
_B2B_REFERRALS = Weighted(
    [
        ("https://www.g2.example/categories/marketing-analytics", 0.5),
        ("https://partners.dataworks.example/directory", 0.3),
        ("https://forum.revops.example/t/attribution-tools", 0.2),
    ]
)


def referral(rng: random.Random, b2b: bool = False) -> Touch:
    return Touch("Referral", referrer=(_B2B_REFERRALS if b2b else _SHOP_REFERRALS).draw(rng))
