"""The store's world: traffic by day (growth, seasons, Black Friday), the windows of its
campaigns, and how each visit arrives (the channel mixes and the touches they make).
"""

from __future__ import annotations

import random

from wayfinder.demo import touches, truths
from wayfinder.demo.newsletter import Issue
from wayfinder.demo.touches import Touch
from wayfinder.demo.world import DAY, Calendar, DayDensity, Weighted

#: The run-up to this year's Black Friday, at the end of the data: more traffic, more Google Ads.
PRE_SALE_DAYS = 56
#: Traffic by month, relative to the rest of the year (outdoor gear sells in summer).
_MONTHS = {1: 0.8, 2: 0.8, 3: 1.2, 4: 1.2, 5: 1.2, 6: 1.4, 7: 1.4, 8: 1.4, 11: 1.3, 12: 1.2}


class ShopWorld:
    """What every shopper shares: the calendar, traffic by day, newsletter issues, windows."""

    def __init__(self, calendar: Calendar, all_issues: list[Issue]) -> None:
        self.calendar = calendar
        self.issues = all_issues
        self.sale = calendar.sale_window()
        self.spring = calendar.spring()
        self.drop_from = calendar.end_ms - truths.PAID_SEARCH_DROP_DAYS * DAY
        self.pre_sale_from = calendar.end_ms - PRE_SALE_DAYS * DAY
        self.density = DayDensity([self._traffic(d) for d in range(calendar.days)])

    def _traffic(self, day: int) -> float:
        """Visitors per day: a growing store, seasons, a Black Friday rush, busier weekends."""
        moment = day * DAY
        month = self.calendar.day(moment).month
        weight = 1 + 1.2 * day / self.calendar.days
        if self.sale and self.sale[0] <= moment < self.sale[1]:
            weight *= 4.0
        elif self.calendar.days - day <= PRE_SALE_DAYS:
            weight *= 2.0  # the weeks before this year's Black Friday: the busiest of the year
        else:
            weight *= _MONTHS.get(month, 1.0)
        return weight * (1.15 if self.calendar.day(moment).weekday() >= 5 else 1.0)

    def in_sale(self, t: int) -> bool:
        return self.sale is not None and self.sale[0] <= t < self.sale[1]

    def season_log_odds(self, t: int) -> float:
        if self.in_sale(t):
            return truths.SEASON_LOG_ODDS["black_friday"]
        month = self.calendar.day(t).month
        if month == 12:
            return truths.SEASON_LOG_ODDS["december"]
        if month in (6, 7, 8):
            return truths.SEASON_LOG_ODDS["summer"]
        return 0.0


# -- touches ----------------------------------------------------------------------------------
_ACQUISITION = Weighted(
    [
        ("organic_search", 0.23),
        ("paid_search", 0.32),
        ("paid_social", 0.12),
        ("organic_social", 0.07),
        ("referral", 0.06),
        ("direct", 0.20),
    ]
)
_RETURN = Weighted(
    [
        ("direct", 0.36),
        ("organic_search", 0.22),
        ("paid_search", 0.30),
        ("organic_social", 0.06),
        ("referral", 0.06),
    ]
)
#: In the eight weeks before Black Friday, Google Ads carries the push.
_ACQUISITION_PRE_SALE = Weighted(
    [
        ("organic_search", 0.17),
        ("paid_search", 0.45),
        ("paid_social", 0.10),
        ("organic_social", 0.06),
        ("referral", 0.05),
        ("direct", 0.17),
    ]
)
_RETURN_PRE_SALE = Weighted(
    [
        ("direct", 0.30),
        ("organic_search", 0.18),
        ("paid_search", 0.42),
        ("organic_social", 0.05),
        ("referral", 0.05),
    ]
)
_PROSPECTING = Weighted([("facebook", 0.5), ("instagram", 0.25), ("tiktok", 0.25)])


def visit_touch(rng: random.Random, t: int, world: ShopWorld, first: bool) -> Touch:
    """How a visit at ``t`` arrives: the acquisition mix for a first visit, else the return mix."""
    if t >= world.pre_sale_from:
        mix = _ACQUISITION_PRE_SALE if first else _RETURN_PRE_SALE
    else:
        mix = _ACQUISITION if first else _RETURN
    return touch_for(rng, mix.draw(rng), t, world, first)


def touch_for(rng: random.Random, kind: str, t: int, world: ShopWorld, first: bool) -> Touch:
    if kind == "direct":
        return touches.DIRECT
    if kind == "organic_search":
        return touches.organic_search(rng)
    if kind == "organic_social":
        return touches.organic_social(rng)
    if kind == "referral":
        return touches.referral(rng)
    sale = world.in_sale(t) and rng.random() < 0.6
    if kind == "paid_search":
        brand = rng.random() < (0.4 if first else 0.7)
        return touches.paid_search(
            rng, "black_friday" if sale else ("google_brand" if brand else "google_generic")
        )
    if sale:
        return touches.paid_social(rng, "facebook", "black_friday")
    return touches.paid_social(rng, _PROSPECTING.draw(rng), "prospecting")
