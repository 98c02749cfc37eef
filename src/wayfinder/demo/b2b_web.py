"""What the SaaS company's contacts do on its site (Segment calls) and in their inbox (nurture
e-mails). The reads of the reps' posts come from the CRM plan (truth 9) and are never moved
past a deal's close; every other session finds room around them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from wayfinder.demo import touches
from wayfinder.demo.b2b_crm import Contact
from wayfinder.demo.touches import Touch
from wayfinder.demo.world import DAY, HOUR, MINUTE, SECOND, Calendar, Weighted

B2B_SITE = "https://cartograph.example"
#: Posts anyone may land on; Alice's and Bob's posts are read only through the CRM plan.
OPEN_POSTS = ("/blog/dashboards-that-get-used", "/blog/mrr-movements-explained")
PAGES = (
    "/pricing", "/features", "/features/attribution", "/features/journeys", "/customers",
    "/integrations", "/docs/getting-started", *OPEN_POSTS,
)  # fmt: skip
WHITEPAPER = "/resources/state-of-attribution-2026"
_GENERAL = Weighted(
    [
        ("direct", 0.30),
        ("organic_search", 0.30),
        ("organic_social", 0.10),
        ("referral", 0.10),
        ("paid_search", 0.10),
        ("paid_social", 0.10),
    ]
)
_READ_TOUCH = Weighted([("organic_social", 0.5), ("direct", 0.25), ("organic_search", 0.25)])
_NURTURE_OPEN, _NURTURE_CLICK = 0.30, 0.25
_TITLES = {"/": "Cartograph: marketing answers", "/demo": "Book a demo", "/signup": "Start a trial"}


@dataclass(eq=False)
class Visit:
    start: int
    touch: Touch
    kind: str
    pages: list[str] = field(default_factory=list)


def touch_for(rng: random.Random, kind: str) -> Touch:
    if kind == "direct":
        return touches.DIRECT
    if kind == "organic_search":
        return touches.organic_search(rng)
    if kind == "organic_social":
        return touches.organic_social(rng, b2b=True)
    if kind == "referral":
        return touches.referral(rng, b2b=True)
    if kind == "paid_search":
        return touches.paid_search(rng, "b2b_search")
    return touches.paid_social(rng, "linkedin", "linkedin_awareness")


class ContactWeb:
    """Plans and renders one contact's visits; ``nurture`` rows come with their clicks."""

    def __init__(
        self,
        contact: Contact,
        rng: random.Random,
        calendar: Calendar,
        seed: int,
        abm: tuple[int, int] | None,
    ) -> None:
        self.contact = contact
        self.rng = rng
        self.calendar = calendar
        self.prefix = f"b2b-{seed}-{contact.contact_id}-"
        self.abm = abm
        self.anonymous_id = f"{rng.getrandbits(64):016x}-{contact.contact_id}"
        self.device = "desktop" if rng.random() < 0.8 else "mobile"
        self.visits: list[Visit] = []
        self.nurture: list[dict[str, Any]] = []

    # -- planning ----------------------------------------------------------------------------
    def plan(self, active: bool, withdrawn: int | None) -> None:
        rng, c, end = self.rng, self.contact, self.calendar.end_ms - 2 * HOUR
        lo = max(0, c.created)
        fixed: list[Visit] = []
        for path, at in sorted(c.reads, key=lambda r: r[1]):
            if fixed and at < fixed[-1].start + 90 * MINUTE:
                fixed[-1].pages.append(path)  # read in the same visit, a little earlier
            else:
                fixed.append(Visit(at, touch_for(rng, _READ_TOUCH.draw(rng)), "read", [path]))
        loose: list[Visit] = []
        if active and lo < end:
            for _ in range(1 + rng.randrange(4)):
                loose.append(
                    Visit(rng.randrange(lo, end), touch_for(rng, _GENERAL.draw(rng)), "general")
                )
        account = c.account
        deal = account.deal if account is not None else None
        if deal is not None and deal.contact is c and deal.kind == "new_business":
            loose.append(
                Visit(
                    max(lo, deal.created - rng.randrange(3 * DAY)),
                    touch_for(rng, _GENERAL.draw(rng)),
                    "demo",
                )
            )
            if account.plan != "Enterprise" and rng.random() < 0.5:  # type: ignore[union-attr]
                loose.append(
                    Visit(deal.created + DAY + rng.randrange(6 * DAY), touches.DIRECT, "trial")
                )
                c.user_id = f"u-{c.contact_id}"
        if account is not None and account.campaign == "abm_q2" and self.abm and rng.random() < 0.6:
            start = max(self.abm[0], lo)
            if start < self.abm[1]:
                loose.append(
                    Visit(
                        rng.randrange(start, self.abm[1]),
                        touches.paid_social(rng, "linkedin", "abm_q2"),
                        "abm",
                    )
                )
        if account is not None and not account.existing and deal is not None:
            loose += self._nurture(lo, min(deal.closed or end, withdrawn or end, end))
        placed = list(fixed)
        for visit in sorted(loose, key=lambda v: v.start):
            while any(abs(visit.start - other.start) < 90 * MINUTE for other in placed):
                visit.start += 90 * MINUTE + rng.randrange(HOUR)
            if visit.start < end:
                placed.append(visit)
        self.visits = sorted((v for v in placed if 0 <= v.start < end), key=lambda v: v.start)

    def _nurture(self, start: int, stop: int) -> list[Visit]:
        """Nurture e-mails every two weeks until the deal closes; clicks open a visit."""
        rng, cal, c = self.rng, self.calendar, self.contact
        visits = []
        sent = start + DAY
        for n in range(8):
            if sent >= stop:
                break
            base = {
                "contact_id": c.contact_id,
                "email": c.email,
                "account_id": c.account.account_id,  # type: ignore[union-attr]
                "owner": c.owner,
                "campaign": "nurture",
                "content_id": f"nurture-{n + 1}",
                "channel": "email",
                "subject": _NURTURE_SUBJECTS[n],
            }
            self.nurture.append(
                {
                    "interaction_id": f"{self.prefix}n{n}-sent",
                    "type": "email_sent",
                    "timestamp": cal.iso(sent),
                    **base,
                    "direction": "outbound",
                }
            )
            if rng.random() < _NURTURE_OPEN:
                opened = sent + rng.randrange(2 * DAY)
                self.nurture.append(
                    {
                        "interaction_id": f"{self.prefix}n{n}-opened",
                        "type": "email_opened",
                        "timestamp": cal.iso(opened),
                        **base,
                        "direction": "inbound",
                    }
                )
                if rng.random() < _NURTURE_CLICK:
                    clicked = opened + rng.randrange(5 * SECOND, 2 * MINUTE)
                    self.nurture.append(
                        {
                            "interaction_id": f"{self.prefix}n{n}-clicked",
                            "type": "email_clicked",
                            "timestamp": cal.iso(clicked),
                            **base,
                            "direction": "inbound",
                        }
                    )
                    visits.append(
                        Visit(
                            clicked + 2 * SECOND,
                            touches.email("nurture", "nurture", f"nurture-{n + 1}"),
                            "nurture",
                        )
                    )
            sent += 14 * DAY
        return visits

    # -- rendering ---------------------------------------------------------------------------
    def render(self) -> list[dict[str, Any]]:
        rng, c = self.rng, self.contact
        out: list[dict[str, Any]] = []
        self.count = 0
        self.user_id: str | None = None
        whitepaper = rng.random() < 0.15
        for number, visit in enumerate(self.visits):
            steps: list[tuple] = []
            pages = visit.pages or [self._landing(visit)]
            steps.append(("page", pages[0]))
            if number == 0:
                company = c.account.name if c.account is not None else None
                traits = {
                    "email": c.email,
                    "name": f"{c.first_name} {c.last_name}",
                    "company": company,
                }
                steps.append(("identify", traits))
            steps += [("page", p) for p in pages[1:]]
            if visit.kind == "read" and rng.random() < 0.3:
                steps.append(("page", "/pricing"))
            elif visit.kind == "demo":
                steps += [
                    ("page", "/demo"),
                    ("track", "Demo Requested", {"team_size": c.account.employees}),
                ]  # type: ignore[union-attr]
            elif visit.kind == "trial":
                plan = c.account.plan  # type: ignore[union-attr]
                steps += [
                    ("page", "/pricing"),
                    ("page", "/signup"),
                    ("track", "Signed Up", {"plan": plan}),
                ]
                steps += [("identify_user", {"email": c.email}), ("group", c.account.account_id)]  # type: ignore[union-attr]
                steps.append(("track", "Trial Started", {"plan": plan, "trial_days": 14}))
            elif visit.kind in ("general", "nurture", "abm"):
                for _ in range(rng.randrange(4)):
                    steps.append(("page", rng.choice(PAGES)))
                if whitepaper and visit.kind == "general":
                    steps += [
                        ("page", WHITEPAPER),
                        ("track", "Whitepaper Downloaded", {"title": "State of attribution 2026"}),
                    ]
                    whitepaper = False
            self._emit(visit, steps, out)
        return out

    def _landing(self, visit: Visit) -> str:
        draw = self.rng.random()
        if visit.kind == "abm":
            return "/solutions/abm"
        if visit.kind == "nurture":
            return ("/customers", "/features/attribution", *OPEN_POSTS)[int(draw * 4)]
        if visit.touch.channel == "Organic Search":
            return self.rng.choice(OPEN_POSTS) if draw < 0.4 else "/features" if draw < 0.7 else "/"
        if visit.touch.channel in ("Paid Search", "Paid Social"):
            return "/pricing" if draw < 0.5 else "/features"
        return "/"

    def _emit(self, visit: Visit, steps: list[tuple], out: list[dict[str, Any]]) -> None:
        rng, cal = self.rng, self.calendar
        context: dict[str, Any] = {
            "device": {"type": self.device},
            "locale": "en-US",
            "userAgent": _AGENT[self.device],
        }
        t, url, first = visit.start, None, True
        for step in steps:
            kind = step[0]
            if kind == "page":
                if url is not None:
                    t += rng.randrange(20 * SECOND, 150 * SECOND)
                path = step[1]
                referrer = url if url is not None else visit.touch.referrer
                url = B2B_SITE + path + (visit.touch.query() if first else "")
                props = {
                    "path": path,
                    "url": url,
                    "title": _TITLES.get(
                        path, path.rsplit("/", 1)[-1].replace("-", " ").capitalize() or "Home"
                    ),
                }
                if referrer:
                    props["referrer"] = referrer
                call: dict[str, Any] = {"type": "page", "name": props["title"], "properties": props}
                campaign = visit.touch.context_campaign() if first else None
                call["context"] = {**context, "campaign": campaign} if campaign else context
                first = False
            else:
                t += rng.randrange(SECOND, 6 * SECOND)
                page_context = {**context, "page": {"path": props["path"], "url": url}}
                if kind == "track":
                    call = {"type": "track", "event": step[1], "properties": step[2]}
                elif kind == "group":
                    call = {
                        "type": "group",
                        "groupId": step[1],
                        "traits": {"name": self.contact.account.name},
                    }  # type: ignore[union-attr]
                else:
                    call = {"type": "identify", "traits": step[1]}
                    if kind == "identify_user":
                        self.user_id = self.contact.user_id
                call["context"] = page_context
            self.count += 1
            call["messageId"] = self.prefix + f"{self.count:03d}"
            call["anonymousId"] = self.anonymous_id
            if self.user_id is not None:
                call["userId"] = self.user_id
            call["timestamp"] = stamp = cal.iso(t)
            call["receivedAt"] = cal.iso_after(stamp, t, rng.randrange(80, 900))
            out.append(call)


_AGENT = {
    "desktop": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
}
_NURTURE_SUBJECTS = (
    "Three questions your attribution should answer",
    "How Northwind cut CAC by a fifth",
    "The MRR movements cheat sheet",
    "Paths to purchase, explained",
    "Your pipeline, by campaign",
    "Why customers churn (and how to see it coming)",
    "A 15-minute tour of Cartograph",
    "Still deciding? Let's talk",
)
