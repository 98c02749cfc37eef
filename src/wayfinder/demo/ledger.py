"""Rows both units keep the same way: daily spend per paid campaign, and consent records.

Spend follows the paid clicks the generators made, so cost per click and ROAS come out sane.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from wayfinder.demo.world import DAY, Calendar

SPEND_COLUMNS = (
    "date", "channel", "source", "campaign", "cost", "currency", "impressions", "clicks",
)  # fmt: skip
CONSENT_COLUMNS = ("subject", "purpose", "granted", "timestamp", "method")
INTERACTION_COLUMNS = (
    "interaction_id", "type", "timestamp", "contact_id", "email", "account_id", "owner",
    "campaign", "content_id", "channel", "subject", "direction", "duration_seconds",
)  # fmt: skip

#: A paid campaign: (channel, spend source, campaign, flight name, cost per click).
Flight = tuple[str, str, str, str, float]
#: Paid sessions counted by (day, channel, spend source, campaign).
Clicks = Counter[tuple[int, str, str, str]]


def count_click(
    clicks: Clicks, start: int, channel: str, source: str | None, campaign: str | None
) -> None:
    """Count one paid session; Google's ``google`` + cpc is the ``google_ads`` platform."""
    if channel not in ("Paid Search", "Paid Social") or source is None or campaign is None:
        return
    clicks[(start // DAY, channel, "google_ads" if source == "google" else source, campaign)] += 1


def spend_rows(
    clicks: Clicks,
    flights: Sequence[Flight],
    windows: Mapping[str, tuple[int, int] | None],
    calendar: Calendar,
    rng: random.Random,
    currency: str,
) -> list[dict]:
    """One row per campaign and day of its flight; clicks are the sessions it brought."""
    rows = []
    for channel, source, campaign, flight, cpc in flights:
        window = windows[flight]
        if window is None:
            continue
        for day in range(window[0] // DAY, -(-window[1] // DAY)):
            n = clicks.get((day, channel, source, campaign), 0)
            rows.append(
                {
                    "date": calendar.iso_date(day * DAY),
                    "channel": channel,
                    "source": source,
                    "campaign": campaign,
                    "cost": round((n + 0.5) * cpc * rng.uniform(0.85, 1.15), 2),
                    "currency": currency,
                    "impressions": n * rng.randrange(40, 90) + rng.randrange(100, 500),
                    "clicks": n,
                }
            )
    return rows


def consent(subject: str, purpose: str, granted: bool, at: int, method: str, cal: Calendar) -> dict:
    return {
        "subject": subject,
        "purpose": purpose,
        "granted": granted,
        "timestamp": cal.iso(at),
        "method": method,
    }
