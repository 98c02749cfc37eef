"""The planted truths: every causal effect the demo generator builds in, with its true size.

The generators read these constants; ``docs/demo-data.md`` states them with the tolerance a
test accepts. Tests never read them: they measure each effect from the ingested tables.
"""

from __future__ import annotations

# -- shop (B2C outdoor-gear store) ------------------------------------------------------------

#: 1. The canonical buyer path: the converting session most buyers walk, page by page.
CANONICAL_TENT = "trailhead-2p-tent"
CANONICAL_PATH = (
    "/",
    "/c/tents",
    f"/p/{CANONICAL_TENT}",
    "/cart",
    "/checkout/shipping",
    "/checkout/payment",
    "/checkout/review",
)

#: 2. Seeing the delivery help page multiplies the odds of purchase intent by 3.5; the checkout
#: funnel, which it does not touch, then loses the same share of every intent, which leaves the
#: odds of an order about 3 times as high (see docs/demo-data.md for the arithmetic).
HELP_PAGE = "/help/delivery"
HELP_SHARE = 0.15
HELP_ODDS_RATIO = 3.5

#: 3. Pages with no effect at all: each is given to the same share of buyers and of non-buyers
#: (stratified random draw), so it is independent of purchase exactly, not just on average.
NO_EFFECT_PAGES = {"/about": 0.08, "/careers": 0.03, "/blog/campfire-recipes": 0.06}

#: 4. spring_sale: people arriving in spring are assigned at random to see the facebook ad,
#: the instagram ad, or neither; facebook doubles the odds of purchase intent, instagram does
#: nothing (attribution credits both, only one is incremental).
SPRING_CAMPAIGN = "spring_sale"
SPRING_FACEBOOK_SHARE = 0.30
SPRING_INSTAGRAM_SHARE = 0.20
SPRING_FACEBOOK_ODDS_RATIO = 2.0
SPRING_INSTAGRAM_ODDS_RATIO = 1.0
#: Share of facebook-exposed buyers who buy in the ad's own session.
SPRING_BUY_ON_CLICK = 0.4

#: 5. The newsletter: subscribers are a random share of visitors; every subscriber is sent
#: every weekly issue and clicks at the same rate whether or not they buy. A buyer who clicks a
#: newsletter from two weeks before to ten weeks after the planned purchase buys in that click's
#: session instead (the decision came first), so Email is often the last touch of an order
#: while it changes no one's decision.
SUBSCRIBER_SHARE = 0.40
OPEN_RATE = 0.35
CLICK_RATE_OF_OPENS = 0.20
BUY_VIA_EMAIL_CLICK = 0.9
EMAIL_WAIT_DAYS = (14, 70)

#: 6. Checkout: completion of each step given the one before, by device. Mobile payment is
#: half the desktop rate; every other step is the same on every device.
STEP_COMPLETION = {
    "shipping": {"desktop": 0.90, "mobile": 0.90, "tablet": 0.90},
    "payment": {"desktop": 0.90, "mobile": 0.45, "tablet": 0.90},
    "review": {"desktop": 0.95, "mobile": 0.95, "tablet": 0.95},
}

#: 7. Bought together: an order with the four-season tent adds the insulated pad this often.
PAIR = ("summit-4season-tent", "alpine-insulated-pad")
PAIR_ATTACH_RATE = 0.6

#: 8. In the last 7 days, four in five of the purchases due in a Paid Search session do not
#: happen (an ad change sends clicks to an out-of-stock page); traffic and other channels are
#: steady. Four in five, not half: at 20,000 people a week holds ~25 Paid Search orders, and
#: halving them (a fall of ~12, 2-3 standard errors) is within what the week's other ~15
#: channel, campaign and device values reach by chance (docs/analyses/drivers.md).
PAID_SEARCH_DROP_DAYS = 7
PAID_SEARCH_DROP_KEEP = 0.2

#: Purchase intent: base log-odds and the seasons' shifts (not planted truths, just the world).
INTENT_LOG_ODDS = -1.85
SEASON_LOG_ODDS = {"black_friday": 0.8, "december": 0.2, "summer": 0.2}
REPEAT_PURCHASE_SHARE = 0.2

# -- b2b (SaaS) ------------------------------------------------------------------------------

#: 9. Alice Chen's post: a deal whose account has a contact reading it before the close wins
#: 1.8 times as often (risk ratio; base win rates below). Bob's post is read as often, no effect.
ALICE = "Alice Chen"
ALICE_POST = "/blog/b2b-attribution-playbook"
CONTROL_POST = "/blog/pipeline-hygiene"
POST_READ_SHARE = 0.30
ALICE_WIN_RATIO = 1.8
WIN_RATE = {"new_business": 0.25, "expansion": 0.30}

#: 10. Churn, as probability of cancelling before the data ends: a base, plus a fixed amount
#: for low seat usage (seats_used / seats < 0.4) and for many tickets (>= 5 in the 90 days
#: before the cancellation, or before the end for those who stay). Nothing else matters.
CHURN_BASE = 0.08
CHURN_LOW_USAGE = 0.30
CHURN_MANY_TICKETS = 0.25
LOW_USAGE_SHARE = 0.30
MANY_TICKETS_SHARE = 0.25
LOW_USAGE_RATIO = 0.4
MANY_TICKETS = 5
TICKET_WINDOW_DAYS = 90
#: Churn happens at least this long after a subscription starts.
CHURN_MIN_DAYS = 60

#: 11. Community hubs: five members whose referrals bring new accounts; with the share of new
#: accounts that come by referral and the share of those that a hub referred, the hubs bring
#: about 0.50 * 0.90 = 45% of new accounts and (same win rate and deal size) of their revenue.
HUBS = ("@maria_lopez", "@kenji_watanabe", "@fatima_ali", "@lars_nilsson", "@grace_obi")
HUB_WEIGHTS = (0.24, 0.22, 0.20, 0.18, 0.16)
REFERRAL_SHARE = 0.50
HUB_SHARE_OF_REFERRALS = 0.90
#: Followed and mentioned by many, refers no one: centrality is not influence on revenue.
CELEBRITY = "@growth_guru"
