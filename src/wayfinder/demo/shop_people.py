"""Who visits the store and what they decide: arrival, devices, sessions and how each arrived,
purchase intent and its causes, the checkout funnel. ``shop_events`` turns plans into events.

The order of decisions is the causal story: causes (delivery help, the spring ad, the season)
set purchase intent; intent and the timing rules pick the purchase session; the checkout
funnel and the Paid Search breakage decide whether an order happens.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from wayfinder.demo import catalog, touches, truths
from wayfinder.demo.catalog import Product
from wayfinder.demo.newsletter import Send, sends_for
from wayfinder.demo.shop_world import ShopWorld, touch_for, visit_touch
from wayfinder.demo.touches import Touch
from wayfinder.demo.world import DAY, HOUR, MINUTE, Weighted, hex_id, person_name, time_of_day

DEVICES = Weighted([("mobile", 0.55), ("desktop", 0.37), ("tablet", 0.08)])
LOCALES = Weighted(
    [("en-GB", 0.4), ("de-DE", 0.25), ("fr-FR", 0.15), ("nl-NL", 0.1), ("en-US", 0.1)]
)
SIGNUP_SHARE = 0.12
SECOND_DEVICE_SHARE = 0.3
_MAIL_DOMAINS = ("mail.example", "post.example", "inbox.example")
WITHDRAW_SHARE = 0.05
#: Later sessions per person, beyond the first: intent makes people come back more.
RETURNS = {
    True: Weighted([(0, 0.35), (1, 0.30), (2, 0.20), (3, 0.10), (4, 0.05)]),
    False: Weighted([(0, 0.60), (1, 0.25), (2, 0.10), (3, 0.05)]),
}
_KIND_ORDER = {"first": 0, "exposure": 1, "email": 2, "return": 3, "repeat": 4}


@dataclass(slots=True, eq=False)
class Session:
    start: int
    touch: Touch
    device: int
    kind: str
    send: Send | None = None
    #: Pages placed in this session by a planted draw (help, no-effect pages).
    extras: list[str] = field(default_factory=list)
    #: A purchase attempt: the basket, then how many checkout steps were completed.
    basket: list[Product] | None = None
    steps_done: int = 0
    ordered: bool = False
    #: True when the Paid Search breakage stopped the purchase before the cart.
    broken: bool = False


@dataclass(slots=True, eq=False)
class Shopper:
    index: int
    first_name: str
    last_name: str
    email: str
    user_id: str | None
    locale: str
    devices: list[str]
    anonymous_ids: list[str]
    arrival: int
    subscriber: bool
    help: bool
    spring: str | None
    intent: bool = False
    sends: list[Send] = field(default_factory=list)
    withdrawn_at: int | None = None
    sessions: list[Session] = field(default_factory=list)
    purchase: Session | None = None

    @property
    def buyer(self) -> bool:
        return any(s.ordered for s in self.sessions)

    @property
    def identified_early(self) -> bool:
        return self.subscriber or self.user_id is not None


# -- one shopper ------------------------------------------------------------------------------
def plan_shopper(index: int, rng: random.Random, world: ShopWorld) -> Shopper:
    """Everything one person does, decided in causal order (see the module docstring)."""
    cal = world.calendar
    first_name, last_name = person_name(rng)
    main = DEVICES.draw(rng)
    arrival = min(world.density.draw(rng) * DAY + time_of_day(rng), cal.end_ms - 3 * HOUR)
    subscriber = rng.random() < truths.SUBSCRIBER_SHARE
    signed_up = rng.random() < SIGNUP_SHARE
    devices = [main]
    if (subscriber or signed_up) and rng.random() < SECOND_DEVICE_SHARE:
        devices.append("desktop" if main != "desktop" else "mobile")
    spring = None
    if world.spring and world.spring[0] <= arrival < world.spring[1] - DAY:
        draw = rng.random()
        spring = (
            "facebook"
            if draw < truths.SPRING_FACEBOOK_SHARE
            else "instagram"
            if draw < truths.SPRING_FACEBOOK_SHARE + truths.SPRING_INSTAGRAM_SHARE
            else "control"
        )
    person = Shopper(
        index=index,
        first_name=first_name,
        last_name=last_name,
        email=f"{first_name}.{last_name}{index}@{_MAIL_DOMAINS[index % 3]}".lower(),
        user_id=f"u-{hex_id(rng, 10)}" if signed_up else None,
        locale=LOCALES.draw(rng),
        devices=devices,
        anonymous_ids=[_uuid(rng) for _ in devices],
        arrival=arrival,
        subscriber=subscriber,
        help=rng.random() < truths.HELP_SHARE,
        spring=spring,
    )
    # Causes -> intent. Nothing else (channel, device, newsletter) moves it.
    log_odds = truths.INTENT_LOG_ODDS + world.season_log_odds(arrival)
    if person.help:
        log_odds += math.log(truths.HELP_ODDS_RATIO)
    if spring == "facebook":
        log_odds += math.log(truths.SPRING_FACEBOOK_ODDS_RATIO)
    elif spring == "instagram":
        log_odds += math.log(truths.SPRING_INSTAGRAM_ODDS_RATIO)
    person.intent = rng.random() < 1 / (1 + math.exp(-log_odds))

    sessions = [Session(arrival, visit_touch(rng, arrival, world, True), 0, "first")]
    t = arrival
    for _ in range(RETURNS[person.intent].draw(rng)):
        t += HOUR + int(rng.expovariate(1 / (3 * DAY)))
        sessions.append(
            Session(
                t,
                visit_touch(rng, t, world, False),
                _device(rng, person, 0.4),
                "return",
            )
        )
    exposure = None
    if spring in ("facebook", "instagram"):
        at = min(arrival + HOUR + rng.randrange(7 * DAY), world.spring[1] - HOUR)  # type: ignore[index]
        exposure = Session(
            at,
            touches.paid_social(rng, spring, truths.SPRING_CAMPAIGN),
            _device(rng, person, 0.4),
            "exposure",
        )
        sessions.append(exposure)
    if subscriber:
        until = cal.end_ms
        if rng.random() < WITHDRAW_SHARE:
            person.withdrawn_at = arrival + 7 * DAY + rng.randrange(200 * DAY)
            until = min(until, person.withdrawn_at)
        person.sends = sends_for(rng, world.issues, arrival + 2 * MINUTE, until, cal.end_ms)
        for send in person.sends:
            if send.clicked is not None:
                issue = send.issue
                touch = touches.email("newsletter", issue.campaign, issue.content_id)
                sessions.append(
                    Session(
                        send.clicked + 2000, touch, _device(rng, person, 0.5), "email", send=send
                    )
                )
    # Plans run past the end of the data; only what happens before it is kept (right-censored),
    # so purchases planned after the end do not pile up on the last days.
    person.sessions = _settle(sessions, rng)
    if person.intent:
        _purchase(person, rng, world, exposure)
    horizon = cal.end_ms - 2 * HOUR
    person.sessions = [s for s in person.sessions if s.start < horizon]
    if person.purchase is not None and person.purchase.start >= horizon:
        person.purchase = None
    _place(person, rng, truths.HELP_PAGE if person.help else None)
    return person


def _purchase(
    person: Shopper, rng: random.Random, world: ShopWorld, exposure: Session | None
) -> None:
    """Pick the purchase session, then run the checkout funnel (and the Paid Search breakage)."""
    sessions = person.sessions
    chosen = [s for s in sessions if s.kind != "email"][-1]
    if exposure is not None and person.spring == "facebook":
        if rng.random() < truths.SPRING_BUY_ON_CLICK:
            chosen = exposure
    # The decision is made; a newsletter click shortly before or after the planned visit is
    # taken as the way back to buy (truth 5). Clicks were drawn before, the same for everyone.
    early, late = truths.EMAIL_WAIT_DAYS
    after = exposure.start if exposure is not None else person.arrival
    clicks = [
        s for s in sessions
        if s.kind == "email" and after < s.start
        and chosen.start - early * DAY <= s.start <= chosen.start + late * DAY
    ]  # fmt: skip
    if clicks and rng.random() < truths.BUY_VIA_EMAIL_CLICK:
        chosen = clicks[0]
    person.purchase = chosen
    _checkout(chosen, person, rng, world, breakable=True)
    if chosen.ordered and rng.random() < truths.REPEAT_PURCHASE_SHARE:
        at = chosen.start + 20 * DAY + rng.randrange(130 * DAY)
        kind = "direct" if rng.random() < 0.6 else "organic_search"
        device = _device(rng, person, 0.4)
        repeat = Session(at, touch_for(rng, kind, at, world, False), device, "repeat")
        person.sessions = _settle([*sessions, repeat], rng)
        _checkout(repeat, person, rng, world, breakable=False)


def _checkout(
    session: Session, person: Shopper, rng: random.Random, world: ShopWorld, breakable: bool
) -> None:
    category = catalog.BUY_CATEGORY.draw(rng)
    main = catalog.BY_SLUG[catalog.BUY_PRODUCT[category].draw(rng)]
    basket = [main]
    if main.slug == truths.PAIR[0] and rng.random() < truths.PAIR_ATTACH_RATE:
        basket.append(catalog.BY_SLUG[truths.PAIR[1]])
    if rng.random() < catalog.ADD_ON_RATE:
        add_on = catalog.BY_SLUG[catalog.ADD_ONS.draw(rng)]
        if add_on not in basket:
            basket.append(add_on)
    session.basket = basket
    if (
        breakable
        and session.touch.channel == "Paid Search"
        and session.start >= world.drop_from
        and rng.random() >= truths.PAID_SEARCH_DROP_KEEP
    ):
        session.broken = True
        return
    device = person.devices[session.device]
    for step in ("shipping", "payment", "review"):
        if rng.random() >= truths.STEP_COMPLETION[step][device]:
            break
        session.steps_done += 1
    session.ordered = session.steps_done == 3


def place(person: Shopper, rng: random.Random, page: str) -> None:
    """Put ``page`` in one of the sessions before the person's purchase (any, for non-buyers)."""
    _place(person, rng, page)


def _place(person: Shopper, rng: random.Random, page: str | None) -> None:
    if page is None:
        return
    eligible = person.sessions
    if person.purchase is not None and person.purchase in eligible:
        eligible = eligible[: eligible.index(person.purchase) + 1]
    rng.choice(eligible).extras.append(page)


def _settle(sessions: list[Session], rng: random.Random) -> list[Session]:
    """Sessions in time order, at least 90 minutes apart, so that no two merge into one."""
    sessions.sort(key=lambda s: (s.start, _KIND_ORDER[s.kind]))
    free_from = -1
    for s in sessions:
        if s.start < free_from:
            s.start = free_from + rng.randrange(HOUR)
            if s.send is not None:
                s.send.clicked = s.start - 2000
        free_from = s.start + 90 * MINUTE
    return sessions


def _device(rng: random.Random, person: Shopper, second_share: float) -> int:
    return 1 if len(person.devices) > 1 and rng.random() < second_share else 0


def _uuid(rng: random.Random) -> str:
    h = hex_id(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
