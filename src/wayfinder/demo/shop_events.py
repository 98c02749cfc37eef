"""A shopper's planned sessions as Segment calls: page views, e-commerce track events, identify.

Each session becomes a script of steps (pages, tracks, identifies) with timestamps a few seconds
to two minutes apart; the purchase session walks its route to the product, the cart and as far
through checkout as its plan says.
"""

from __future__ import annotations

import random
from typing import Any

from wayfinder.demo import catalog, truths
from wayfinder.demo.catalog import SHOP_SITE, Product
from wayfinder.demo.shop_people import Session, Shopper
from wayfinder.demo.world import SECOND, Calendar, Weighted

_OS = {
    "mobile": Weighted([("iOS", 0.6), ("Android", 0.4)]),
    "desktop": Weighted([("Windows", 0.6), ("Mac OS X", 0.4)]),
    "tablet": Weighted([("iPadOS", 0.8), ("Android", 0.2)]),
}
_AGENTS = {
    "iOS": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
    "Windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mac OS X": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "iPadOS": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
}
_MORE_PAGES = Weighted([(0, 0.35), (1, 0.30), (2, 0.20), (3, 0.15)])
_CART_ABANDON = 0.10
_STEPS = ("shipping", "payment", "review")

Step = tuple  # ("page", path) | ("track", event, properties) | ("identify", traits, user_id)


class ShopperEvents:
    """Renders one shopper: message ids count up per person; devices remember who logged in."""

    def __init__(self, person: Shopper, rng: random.Random, calendar: Calendar, seed: int) -> None:
        self.person = person
        self.rng = rng
        self.calendar = calendar
        self.prefix = f"shop-{seed}-{person.index:07d}-"
        self.count = 0
        self.orders = 0
        self.user_on: list[str | None] = [None] * len(person.devices)
        self.known_on = [False] * len(person.devices)
        self.contexts = []
        for device in person.devices:
            os_name = _OS[device].draw(rng)
            self.contexts.append(
                {
                    "device": {"type": device},
                    "os": {"name": os_name},
                    "userAgent": _AGENTS[os_name],
                    "locale": person.locale,
                }
            )

    def render(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for number, session in enumerate(self.person.sessions):
            script = self._script(session, first=number == 0)
            self._emit(session, script, events)
        return events

    # -- scripts ---------------------------------------------------------------------------
    def _script(self, s: Session, first: bool) -> list[Step]:
        rng, person = self.rng, self.person
        if s.basket is not None:
            route = self._purchase_route(s)
        else:
            route = self._browse_route(s)
        steps: list[Step] = [("page", route[0][0]), *route[0][1]]
        # What happens on the landing page: forms, logins, then the planted extra pages.
        if not self.known_on[s.device] and (first or person.identified_early):
            if person.user_id is not None:
                if first:
                    steps.append(("track", "Signed Up", {"method": "email"}))
                steps.append(("identify", self._traits(), person.user_id))
                self.known_on[s.device] = True
            if person.subscriber:
                if first:
                    steps.append(("track", "Newsletter Subscribed", {"list": "weekly"}))
                if not self.known_on[s.device]:
                    steps.append(("identify", {"email": person.email}, None))
                    self.known_on[s.device] = True
        help_page = truths.HELP_PAGE in s.extras
        steps += [("page", p) for p in s.extras if p != truths.HELP_PAGE]
        for path, tracks in route[1:]:
            steps.append(("page", path))
            steps += tracks
            if help_page and s.basket is not None and path == s.basket[0].path:
                steps.append(("page", truths.HELP_PAGE))
                help_page = False
        if help_page:
            steps.append(("page", truths.HELP_PAGE))
        if s.basket is not None and not s.broken:
            steps += self._checkout(s)
        elif s.basket is None and route[-1][0].startswith("/p/") and rng.random() < _CART_ABANDON:
            product = catalog.BY_SLUG[route[-1][0][3:]]
            steps += [("track", "Product Added", product.line()), ("page", "/cart")]
            steps.append(("track", "Cart Viewed", {"products": [product.line()]}))
        return steps

    def _purchase_route(self, s: Session) -> list[tuple[str, list[Step]]]:
        rng = self.rng
        main = s.basket[0]  # type: ignore[index]
        category = f"/c/{main.category}"
        channel, campaign = s.touch.channel, s.touch.campaign
        draw = rng.random()
        if channel == "Paid Search":
            landing = "/" if campaign == "google_brand" else (category if draw < 0.5 else main.path)
        elif channel == "Organic Search":
            landing = "/" if draw < 0.45 else category if draw < 0.8 else main.path
        elif channel == "Paid Social":
            landing = "/" if draw < 0.4 else category if draw < 0.7 else main.path
        else:
            landing = "/"
        paths = [landing]
        if landing == "/":
            paths.append(category)
        if landing != main.path:
            if rng.random() < 0.2:
                paths.append(catalog.browse_product(rng, main.category).path)
            if paths[-1] != main.path:
                paths.append(main.path)
        route = [(p, self._page_tracks(p)) for p in paths]
        if not s.broken:
            route[-1][1].append(("track", "Product Added", main.line()))
        return route

    def _browse_route(self, s: Session) -> list[tuple[str, list[Step]]]:
        rng = self.rng
        channel = s.touch.channel
        draw = rng.random()
        if channel == "Organic Search":
            landing = (
                rng.choice(catalog.SEARCH_POSTS)
                if draw < 0.3
                else f"/c/{rng.choice(catalog.CATEGORIES)}"
                if draw < 0.55
                else catalog.browse_product(rng).path
                if draw < 0.8
                else "/"
            )
        elif channel in ("Paid Search", "Paid Social"):
            landing = catalog.browse_product(rng).path if draw < 0.6 else "/"
        else:
            landing = "/"
        paths = [landing]
        for _ in range(_MORE_PAGES.draw(rng)):
            paths.append(self._next_page(paths[-1]))
        return [(p, self._page_tracks(p)) for p in paths]

    def _next_page(self, path: str) -> str:
        rng = self.rng
        if path.startswith("/c/"):
            return catalog.browse_product(rng, path[3:]).path
        if path.startswith("/p/"):
            draw = rng.random()
            if draw < 0.5:
                return catalog.browse_product(rng, catalog.BY_SLUG[path[3:]].category).path
            return f"/c/{rng.choice(catalog.CATEGORIES)}" if draw < 0.8 else "/"
        if path.startswith("/blog/"):
            return catalog.browse_product(rng).path if rng.random() < 0.6 else "/"
        return f"/c/{rng.choice(catalog.CATEGORIES)}"

    @staticmethod
    def _page_tracks(path: str) -> list[Step]:
        if path.startswith("/p/"):
            return [("track", "Product Viewed", catalog.BY_SLUG[path[3:]].line())]
        return []

    def _checkout(self, s: Session) -> list[Step]:
        basket: list[Product] = s.basket  # type: ignore[assignment]
        person = self.person
        self.orders += 1
        checkout_id = f"co-{person.index:07d}-{self.orders}"
        lines = [p.line() for p in basket]
        steps: list[Step] = [("page", "/cart")]
        steps += [
            ("track", "Product Added", {**p.line(), "source": "cross_sell"}) for p in basket[1:]
        ]
        steps.append(("track", "Cart Viewed", {"products": lines}))
        revenue = round(sum(p.price for p in basket), 2)
        steps.append(
            (
                "track",
                "Checkout Started",
                {"checkout_id": checkout_id, "value": revenue, "currency": "EUR"},
            )
        )
        for number, step in enumerate(_STEPS, 1):
            steps.append(("page", f"/checkout/{step}"))
            if s.steps_done < number:
                break
            if step == "shipping" and not self.known_on[s.device]:
                steps.append(("identify", {"email": person.email}, None))
                self.known_on[s.device] = True
            done = {"checkout_id": checkout_id, "step": step, "step_number": number}
            steps.append(("track", "Checkout Step Completed", done))
        if s.ordered:
            order = {
                "order_id": f"R{person.index:07d}-{self.orders}",
                "checkout_id": checkout_id,
                "revenue": revenue,
                "currency": "EUR",
                "products": lines,
            }
            steps.append(("track", "Order Completed", order))
        return steps

    def _traits(self) -> dict[str, str]:
        p = self.person
        return {"email": p.email, "first_name": p.first_name, "last_name": p.last_name}

    # -- calls -----------------------------------------------------------------------------
    def _emit(self, s: Session, script: list[Step], out: list[dict[str, Any]]) -> None:
        rng, cal = self.rng, self.calendar
        person, device = self.person, s.device
        anonymous_id = person.anonymous_ids[device]
        context = self.contexts[device]
        t = s.start
        url = referrer = None
        first_page = True
        for step in script:
            kind = step[0]
            if kind == "page":
                path = step[1]
                if url is not None:
                    t += rng.randrange(15 * SECOND, 120 * SECOND)
                referrer = url if url is not None else s.touch.referrer
                url = SHOP_SITE + path + (s.touch.query() if first_page else "")
                properties = {"path": path, "url": url, "title": catalog.title(path)}
                if referrer:
                    properties["referrer"] = referrer
                call: dict[str, Any] = {"type": "page", "name": catalog.page_name(path)}
                call["properties"] = properties
                page_context = context
                campaign = s.touch.context_campaign() if first_page else None
                if campaign:
                    page_context = {**context, "campaign": campaign}
                first_page = False
            else:
                t += rng.randrange(SECOND, 5 * SECOND)
                page_context = {**context, "page": {"path": properties["path"], "url": url}}
                if kind == "track":
                    call = {"type": "track", "event": step[1], "properties": step[2]}
                else:
                    call = {"type": "identify", "traits": step[1]}
                    if step[2] is not None:
                        self.user_on[device] = step[2]
            self.count += 1
            call["messageId"] = self.prefix + f"{self.count:04d}"
            call["anonymousId"] = anonymous_id
            if self.user_on[device] is not None:
                call["userId"] = self.user_on[device]
            call["context"] = page_context
            call["timestamp"] = stamp = cal.iso(t)
            call["receivedAt"] = cal.iso_after(stamp, t, rng.randrange(80, 900))
            out.append(call)
