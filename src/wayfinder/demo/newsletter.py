"""The store's weekly newsletter: the issues, and what each subscriber does with each one.

Every subscriber is sent every issue from the week after subscribing until they withdraw
consent or the data ends; opens and clicks are drawn at one rate for everyone (truth 5).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from wayfinder.demo import truths
from wayfinder.demo.world import DAY, HOUR, MINUTE, SECOND, Calendar

#: Issues go out on Tuesdays at 07:00 UTC.
SEND_WEEKDAY = 1
SEND_HOUR = 7

_SUBJECTS = (
    "Trail notes: what to pack this week",
    "New in: lighter tents, warmer bags",
    "Five camp stoves compared",
    "Weekend plans? Three routes we love",
    "From the workshop: caring for your down",
    "Members' picks of the month",
)


@dataclass(frozen=True)
class Issue:
    sent: int
    campaign: str
    content_id: str
    subject: str


@dataclass
class Send:
    """One issue sent to one subscriber, and whether (and when) it was opened and clicked."""

    issue: Issue
    opened: int | None
    clicked: int | None


def issues(calendar: Calendar) -> list[Issue]:
    """Every issue of the year; those in the Black Friday sale carry its campaign."""
    first = calendar.start + timedelta(days=(SEND_WEEKDAY - calendar.start.weekday()) % 7)
    sale = calendar.sale_window()
    found = []
    day = first
    while day <= calendar.end:
        sent = calendar.at(day) + SEND_HOUR * HOUR
        in_sale = sale is not None and sale[0] <= sent < sale[1]
        campaign = "black_friday" if in_sale else "newsletter"
        subject = (
            "Black Friday: up to 40% off tents and bags"
            if in_sale
            else _SUBJECTS[(day.toordinal() // 7) % len(_SUBJECTS)]
        )
        found.append(Issue(sent, campaign, f"nl-{day.isoformat()}", subject))
        day += timedelta(days=7)
    return found


def sends_for(
    rng: random.Random, all_issues: list[Issue], subscribed: int, until: int, end_ms: int
) -> list[Send]:
    """The issues sent to one subscriber between ``subscribed`` and ``until``, with reactions."""
    found = []
    for issue in all_issues:
        if issue.sent <= subscribed or issue.sent >= until:
            continue
        opened = clicked = None
        if rng.random() < truths.OPEN_RATE:
            opened = issue.sent + int(rng.expovariate(1 / (6 * HOUR))) + MINUTE
            if opened >= min(end_ms, issue.sent + 3 * DAY):
                opened = None
            elif rng.random() < truths.CLICK_RATE_OF_OPENS:
                clicked = opened + rng.randrange(5 * SECOND, 3 * MINUTE)
        found.append(Send(issue, opened, clicked))
    return found


def interactions(
    sends: list[Send], email: str, prefix: str, calendar: Calendar
) -> list[dict[str, object]]:
    """The sends of one subscriber as interaction rows: sent, opened, clicked."""
    rows: list[dict[str, object]] = []
    for number, send in enumerate(sends):
        issue = send.issue
        base = {
            "email": email,
            "campaign": issue.campaign,
            "content_id": issue.content_id,
            "channel": "email",
            "subject": issue.subject,
        }
        events = [("email_sent", issue.sent, "outbound")]
        if send.opened is not None:
            events.append(("email_opened", send.opened, "inbound"))
        if send.clicked is not None:
            events.append(("email_clicked", send.clicked, "inbound"))
        for kind, at, direction in events:
            rows.append(
                {
                    "interaction_id": f"{prefix}-{number:03d}-{kind[6:]}",
                    "type": kind,
                    "timestamp": calendar.iso(at),
                    **base,
                    "direction": direction,
                }
            )
    return rows
