"""From a reading to an analysis spec of the workspace: names linked to its goals, metrics, pages
and columns, defaults filled in and said, and anything the analysis cannot apply said too.

A reading whose analysis does not exist yet, or whose measure the semantic layer does not define,
gets a plan with no spec and a plain reason; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from wayfinder.ask.frame import Frame, Period
from wayfinder.ask.lexicon import Lexicon
from wayfinder.ask.text import key

#: Intents with a runner today, and the analysis kind each runs.
KINDS = {
    "paths": "paths",
    "funnel": "funnel",
    "attribution": "attribution",
    "trend": "trend",
    "revenue_metrics": "trend",
    "retention": "retention",
    "churn_drivers": "churn_drivers",
    "conversion_drivers": "conversion_drivers",
}
#: What each intent without a runner would do, for the "not available yet" answer.
NOT_YET = {
    "influencers": "ranking community members by influence (the social graph analysis)",
    "recommendations": "recommendations on where to act or spend",
    "segment_compare": "comparing named segments on a measure side by side",
    "lookup_customer": "one customer's activity log",
}

#: docs/ask.md metric keys -> metrics of the semantic layer (same name when absent here).
METRICS = {
    "traffic": "visitors",
    "sessions": "visitors",
    "active_users": "active_people",
    "deal_size": "avg_deal_size",
    "win_rate": "win_rate",
}
#: docs/ask.md breakdown keys -> the event column a trend or funnel splits by.
EVENT_COLUMNS = {
    "device": "device_type",
    "country": "country",
    "campaign": "utm_campaign",
    "channel": "utm_source",
    "content": "path",
    "landing_page": "path",
    "region": "country",
}
#: docs/ask.md breakdown keys -> the touchpoint column attribution credits.
TOUCH_COLUMNS = {
    "channel": "channel",
    "campaign": "campaign",
    "content": "content_title",
    "rep": "owner",
    "author": "author",
    "landing_page": "landing_path",
    "device": "device_type",
}
#: docs/ask.md model keys -> attribution models.
MODELS = {
    "first_touch": ("first_touch",),
    "last_touch": ("last_touch",),
    "linear": ("linear",),
    "time_decay": ("time_decay",),
    "position_based": ("position_based",),
    "data_driven": ("markov", "shapley"),
}
#: Named flows -> their steps (goals of the default semantic layer).
FLOWS = {
    "checkout": ["add_to_cart", "checkout", "purchase"],
    "purchase": ["add_to_cart", "checkout", "purchase"],
    "signup": ["signup", "trial_start", "paid_subscription"],
    "sign up": ["signup", "trial_start", "paid_subscription"],
    "onboarding": ["signup", "trial_start", "paid_subscription"],
    "registration": ["signup", "trial_start"],
    "trial": ["trial_start", "paid_subscription"],
    "demo": ["demo_request", "deal_created", "closed_deal"],
    "booking": ["demo_request", "deal_created", "closed_deal"],
}
#: Goals a person reaches once: their cohorts come back by visiting again.
ONCE_GOALS = {
    "signup",
    "trial_start",
    "app_install",
    "new_customer",
    "paid_subscription",
    "newsletter_signup",
    "demo_request",
    "whitepaper_download",
}
#: Goals a "conversion" means, first that the workspace has.
PRIMARY_GOALS = ("purchase", "closed_deal", "paid_subscription", "signup")


@dataclass
class Plan:
    """The spec to run (None when there is nothing to run), and what was assumed or left out."""

    spec: dict[str, Any] | None
    restatement: str
    defaults: list[str] = field(default_factory=list)
    #: Slots the analysis could not apply, in words (the answer says so).
    not_applied: list[str] = field(default_factory=list)
    #: Why nothing runs: not available yet, a name the workspace does not have.
    unavailable: str | None = None
    #: Words to focus the answer on (a campaign or content item named in the question).
    focus: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What planning needs to know about the workspace."""

    lexicon: Lexicon
    goals: set[str]
    metrics: set[str]
    primary_goal: str | None


def plan(frame: Frame, ctx: Context) -> Plan:
    intent = frame.intent
    if intent in ("ambiguous", "unsupported"):
        return Plan(None, frame.clarification or frame.refusal or "")
    if intent in NOT_YET:
        return Plan(
            None,
            _restate_generic(frame),
            unavailable=f"Not available yet: {NOT_YET[intent]} is on the roadmap but not built.",
        )
    builder = _BUILDERS[KINDS[intent]]
    return builder(frame, ctx)


# -- shared pieces ----------------------------------------------------------------------------


def _time(frame: Frame, p: Plan, default: str | None = None) -> dict[str, Any]:
    period = frame.slots.time_range
    if period is not None and period.start is None and period.end is not None:
        return {"time": {"end": period.end.isoformat()}}
    if period is not None and period.resolved:
        return {"time": {"start": period.start.isoformat(), "end": period.end.isoformat()}}  # type: ignore[union-attr]
    if default is None:
        p.defaults.append("all time")
        return {}
    p.defaults.append(f"the last {_last_words(default)}")
    return {"time": {"last": default}}


def _last_words(last: str) -> str:
    n, unit = int(last[:-1]), {"d": "day", "w": "week", "m": "month", "y": "year"}[last[-1]]
    return f"{n} {unit}s" if n != 1 else unit


def _period_words(period: Period | None) -> str:
    if period is None or not period.resolved:
        return "all time"
    s, e = period.start, period.end
    assert s is not None and e is not None
    span = (
        f"{_day(s)} - {_day(e)} {e.year}"
        if s.year == e.year
        else f"{_day(s)} {s.year} - {_day(e)} {e.year}"
    )
    return f"{span} ({period.text})"


def _day(d: date) -> str:
    return f"{d.day} {d.strftime('%b')}"


def _filters(frame: Frame, p: Plan, *, events: bool) -> list[str]:
    out: list[str] = []
    for name, value in (frame.slots.filters or {}).items():
        if name == "device" and events:
            out.append(f"device_type = '{value}'")
        elif name == "country" and events:
            out.append(f"country = '{value}'")
        else:
            p.not_applied.append(
                f"the {name} filter ({value}): this analysis cannot filter by {name} yet"
            )
    return out


_CHANNEL_SOURCES = {"facebook", "instagram", "tiktok", "linkedin", "youtube", "twitter"}
_CHANNEL_MEDIUMS = {
    "email": "email",
    "paid_search": "cpc",
    "google_ads": "cpc",
    "paid_social": "paid_social",
}


def _channel_filter(frame: Frame, p: Plan) -> list[str]:
    """A stated channel as a condition on the events' UTM columns (where it can be one)."""
    channel = frame.slots.channel
    if channel is None:
        return []
    values = [channel] if isinstance(channel, str) else list(channel)
    sources = [v for v in values if v in _CHANNEL_SOURCES]
    mediums = sorted({_CHANNEL_MEDIUMS[v] for v in values if v in _CHANNEL_MEDIUMS})
    rest = [v for v in values if v not in _CHANNEL_SOURCES and v not in _CHANNEL_MEDIUMS]
    if rest:
        p.not_applied.append(
            f"the channel {', '.join(rest)}: events carry no such UTM source or medium"
        )
    out = []
    if sources:
        out.append(
            f"utm_source in ({', '.join(repr(s) for s in sources)})"
            if len(sources) > 1
            else f"utm_source = '{sources[0]}'"
        )
    if mediums:
        out.append(
            f"utm_medium in ({', '.join(repr(m) for m in mediums)})"
            if len(mediums) > 1
            else f"utm_medium = '{mediums[0]}'"
        )
    return out[:1]


def _goal(name: str | None, ctx: Context, p: Plan) -> str | None:
    if name in (None, "conversion"):
        if ctx.primary_goal is None:
            return None
        p.defaults.append(f"the goal {ctx.primary_goal} (this workspace's main conversion)")
        return ctx.primary_goal
    if name in ctx.goals:
        return name
    return None


def _page(words: str, ctx: Context) -> str | None:
    """A page the words name: ``"pricing page"`` -> ``"/pricing"``, via the lexicon's pages."""
    text = words.lower().replace("_view", "").replace("_", " ")
    text = re.sub(r"^(the|our|a)\s+", "", text)
    for variant in (text, f"{text} page", text.replace(" page", "")):
        for entry in ctx.lexicon.phrases.get(key(variant), []):
            if entry.kind == "page":
                return entry.canonical
    if text in ("homepage", "home page", "home"):
        return "/"
    best = ctx.lexicon.fuzzy(text if "page" in text else f"{text} page", ("page",))
    return best[0][0].canonical if best else None


def _step(value: str, ctx: Context) -> str | None:
    """A step name of a reading as a spec step: a goal, a page, or an event of the workspace."""
    if value in ctx.goals:
        return f"goal:{value}"
    if value.endswith("_view") or "page" in value:
        page = _page(value, ctx)
        return f"page:{page}" if page else None
    for entry in ctx.lexicon.phrases.get(key(value.replace("_", " ")), []):
        if entry.kind == "event":
            return f"event:{entry.canonical}"
        if entry.kind == "goal" and entry.canonical in ctx.goals:
            return f"goal:{entry.canonical}"
    return None


def _interval(frame: Frame, default: str) -> str:
    q = frame.question.lower()
    for pattern, interval in (
        (r"\b(hour|hourly|per hour|by hour)\b", "hour"),
        (r"\b(daily|per day|by day|each day|a day|day[- ]by[- ]day|every day)\b", "day"),
        (
            r"\b(weekly|per week|by week|each week|a week|week[- ]by[- ]week|every week|week over week)\b",
            "week",
        ),
        (
            r"\b(monthly|per month|by month|each month|a month|month[- ]by[- ]month|every month|month over month)\b",
            "month",
        ),
    ):
        if re.search(pattern, q):
            return interval
    period = frame.slots.time_range
    if period is not None and period.resolved and period.end and period.start:
        days = (period.end - period.start).days + 1
        return "day" if days <= 31 else "week" if days <= 183 else "month"
    return default


# -- one builder per analysis -----------------------------------------------------------------


def _paths(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    spec: dict[str, Any] = {"kind": "paths"}
    goal = _goal(s.goal, ctx, p) if s.goal else None
    if s.goal and goal is None:
        return _missing(frame, f"the goal {s.goal!r} is not defined in this workspace")
    if goal:
        spec["goal"] = f"goal:{goal}"
    if s.start:
        step = _step(s.start, ctx)
        if step is None:
            return _missing(frame, f"no page or event of this workspace matches {s.start!r}")
        spec["start"] = step
    spec["top"] = s.top_n or 10
    if not s.top_n:
        p.defaults.append("the top 10 paths")
    spec |= _time(frame, p)
    if filters := _filters(frame, p, events=True):
        spec["filters"] = filters
    if s.channel:
        p.not_applied.append("the channel: paths show every visit's pages, whatever the source")
    end = f"ending in {goal}" if goal else ""
    start = f"starting at {spec['start'].split(':', 1)[1]}" if s.start else ""
    p.spec = spec
    p.restatement = (
        _join(f"Top {spec['top']} paths", start, end)
        + f", {_period_words(s.time_range)}, all channels"
    )
    return p


def _funnel(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    names = s.steps
    if isinstance(names, str):
        flow = next((steps for word, steps in FLOWS.items() if word in names.lower()), None)
        if flow is None:
            return _missing(frame, f"no known flow is called {names!r}; name its steps")
        p.defaults.append(f"the {names} as {' -> '.join(flow)}")
        names = flow
    steps: list[str] = []
    for name in names or []:
        step = _step(name, ctx)
        if step is None:
            return _missing(
                frame, f"no goal, page or event of this workspace matches the step {name!r}"
            )
        steps.append(step)
    if len(steps) < 2:
        return _missing(frame, "a funnel needs at least two steps")
    spec: dict[str, Any] = {"kind": "funnel", "steps": steps, "window": "30d"}
    p.defaults.append("a 30-day window to finish the funnel")
    spec |= _time(frame, p)
    if s.breakdown:
        column = EVENT_COLUMNS.get(s.breakdown[0])
        if column:
            spec["breakdown"] = column
    if filters := _filters(frame, p, events=True):
        spec["filters"] = filters
    p.spec = spec
    p.restatement = (
        f"Funnel {' -> '.join(x.split(':', 1)[1] for x in steps)}, {_period_words(s.time_range)}"
    )
    return p


def _attribution(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    name = s.goal
    if name is None and s.metric == "pipeline":
        name = "deal_created"
    if name is None and s.metric in ("bookings",):
        name = "closed_deal"
    goal = _goal(name, ctx, p)
    if goal is None:
        return _missing(frame, f"the goal {name!r} is not defined in this workspace")
    by = [TOUCH_COLUMNS[b] for b in (s.breakdown or []) if b in TOUCH_COLUMNS]
    if s.campaign and "campaign" not in by:
        by.append("campaign")
        p.focus["campaign"] = s.campaign
    if s.channel:
        # Networks (facebook, tiktok) are sources; email or paid search are channel groups.
        named = [s.channel] if isinstance(s.channel, str) else list(s.channel)
        column = "source_name" if all(c in _CHANNEL_SOURCES for c in named) else "channel"
        if column not in by:
            by.insert(0, column)
    if not by:
        by = ["channel"]
        p.defaults.append("credit by channel")
    spec: dict[str, Any] = {"kind": "attribution", "goal": goal, "by": by}
    if s.model:
        models: list[str] = []
        for m in [s.model] if isinstance(s.model, str) else s.model:
            models += MODELS.get(m, ())
        spec["models"] = models
        spec["headline"] = models[0]
    else:
        spec["models"] = [
            "first_touch",
            "last_touch",
            "linear",
            "time_decay",
            "position_based",
            "markov",
            "shapley",
        ]
        p.defaults.append("every model side by side (data-driven: Markov and Shapley)")
    spec["orders"] = [1]
    # Exact Shapley credit is exponential in the values credited: keep the largest, group the rest.
    spec["top"] = s.top_n or 12
    if not s.top_n:
        p.defaults.append("the 12 largest values credited, the rest as Other")
    if goal in ("closed_deal", "deal_created"):
        spec["lookback"] = "180d"
        p.defaults.append("a 180-day lookback (deals)")
    spec |= _time(frame, p)
    if s.channel:
        p.focus["channel"] = s.channel if isinstance(s.channel, str) else ", ".join(s.channel)
    p.spec = spec
    value = " (value: " + s.metric + ")" if s.metric in ("revenue", "pipeline", "bookings") else ""
    p.restatement = f"Credit for {goal}{value} by {' and '.join(by)}, {_period_words(s.time_range)}"
    return p


def _trend(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    metric = s.metric
    if metric is None and s.goal:
        metric = "conversions"
    if metric is None:
        return _missing(frame, "which measure to show (orders, revenue, sign-ups, visitors...)")
    name = METRICS.get(metric, metric)
    if name not in ctx.metrics:
        return Plan(
            None,
            _restate_generic(frame),
            unavailable=f"Not available yet: {metric} is not a metric of this workspace's semantic layer "
            f"(it has {', '.join(sorted(ctx.metrics))}).",
        )
    if name != metric:
        p.defaults.append(f"{metric} measured as the semantic layer's {name}")
    interval = _interval(frame, "month" if frame.intent == "revenue_metrics" else "week")
    spec: dict[str, Any] = {"kind": "trend", "metric": name, "interval": interval}
    spec |= _time(frame, p, default="12m" if frame.intent == "revenue_metrics" else "3m")
    if s.compare_to is not None and s.compare_to.resolved:
        spec["compare"] = {
            "start": s.compare_to.start.isoformat(),
            "end": s.compare_to.end.isoformat(),
        }  # type: ignore[union-attr]
    if s.breakdown:
        column = EVENT_COLUMNS.get(s.breakdown[0])
        if column:
            spec["breakdown"] = column
        else:
            p.not_applied.append(f"the breakdown by {s.breakdown[0]}")
    filters = _filters(frame, p, events=True) + _channel_filter(frame, p)
    if filters:
        spec["filters"] = filters
    p.spec = spec
    period = (
        _period_words(s.time_range)
        if s.time_range
        else f"the last {_last_words(spec['time']['last'])}"
    )
    channel = f", {s.channel}" if isinstance(s.channel, str) else ", all channels"
    p.restatement = f"{name.replace('_', ' ').capitalize()} by {interval}, {period}{channel}"
    return p


def _retention(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    if s.goal == "repeat_purchase":
        start, back = "goal:purchase", "goal:purchase"
    else:
        start_name = s.start or ("signup" if "signup" in ctx.goals else ctx.primary_goal)
        if s.start is None:
            p.defaults.append(f"cohorts by first {start_name}")
        step = _step(start_name or "", ctx)
        if step is None:
            return _missing(
                frame, f"no goal, page or event of this workspace matches {start_name!r}"
            )
        start, back = step, None
        if start_name in ONCE_GOALS:
            # One sign-up per person: coming back means visiting again, not signing up again.
            back = "page:*"
            p.defaults.append("coming back = any page view")
    window = _window_days(frame.question)
    interval, periods = ("day", min(window, 90)) if window and window <= 90 else ("week", 8)
    if window is None:
        p.defaults.append("weekly retention over 8 weeks")
    spec: dict[str, Any] = {
        "kind": "retention",
        "start": start,
        "interval": interval,
        "periods": periods,
    }
    if back:
        spec["back"] = back
        spec["cohort"] = "first_time"
        if back == start:
            spec["mode"] = "on_or_after"
    spec |= _time(frame, p, default="6m")
    if s.breakdown:
        column = EVENT_COLUMNS.get(s.breakdown[0])
        if column:
            spec["breakdown"] = column
    p.spec = spec
    what = "Repeat purchase" if back == start else f"Retention of {start.split(':', 1)[1]} cohorts"
    p.restatement = f"{what}, {periods} {interval}s, cohorts from {_period_words(s.time_range) if s.time_range else 'the last 6 months'}"
    return p


def _window_days(question: str) -> int | None:
    m = re.search(
        r"\bwithin (\d+) (day|week)s?\b|\b(\d+)[- ]day\b|\b(?:d|day)[- ]?(\d+)\b", question.lower()
    )
    if not m:
        return None
    if m.group(1):
        return int(m.group(1)) * (7 if m.group(2) == "week" else 1)
    return int(m.group(3) or m.group(4))


def _churn(frame: Frame, ctx: Context) -> Plan:
    p = Plan(None, "")
    spec: dict[str, Any] = {"kind": "churn_drivers"}
    for name, value in (frame.slots.filters or {}).items():
        p.not_applied.append(f"the {name} filter ({value}): churn drivers read every subscription")
    p.defaults.append("churn from subscriptions when present, else 60 days without activity")
    spec |= _time(frame, p)
    p.spec = spec
    p.restatement = f"What sets churned customers apart from retained ones, {_period_words(frame.slots.time_range)}"
    return p


def _drivers(frame: Frame, ctx: Context) -> Plan:
    s = frame.slots
    p = Plan(None, "")
    goal = _goal(s.goal, ctx, p)
    if goal is None:
        return _missing(frame, f"the goal {s.goal!r} is not defined in this workspace")
    spec: dict[str, Any] = {"kind": "conversion_drivers", "goal": f"goal:{goal}"}
    if goal in ("closed_deal", "deal_created", "paid_subscription"):
        spec["level"] = "account"
        spec["window"] = "180d"
    if s.start:
        step = _step(s.start, ctx)
        if step:
            spec["entry"] = step
    if s.content:
        p.focus["content"] = s.content
    spec |= _time(frame, p)
    p.spec = spec
    entry = f" among people who reached {s.start}" if s.start else ""
    p.restatement = f"What sets people who reach {goal} apart{entry}, {_period_words(s.time_range)}"
    return p


_BUILDERS = {
    "paths": _paths,
    "funnel": _funnel,
    "attribution": _attribution,
    "trend": _trend,
    "retention": _retention,
    "churn_drivers": _churn,
    "conversion_drivers": _drivers,
}


def _missing(frame: Frame, what: str) -> Plan:
    return Plan(None, _restate_generic(frame), unavailable=f"I cannot run this as asked: {what}.")


def _restate_generic(frame: Frame) -> str:
    parts = [frame.intent.replace("_", " ").capitalize()]
    for name, value in frame.slots.to_prediction().items():
        if isinstance(value, dict) and "text" in value:
            value = value["text"]
        parts.append(f"{name.replace('_', ' ')}: {value}")
    return ", ".join(parts)


def _join(*parts: str) -> str:
    return " ".join(x for x in parts if x)
