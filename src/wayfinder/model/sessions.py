"""Sessions: cuts each person's events into visits, GA4-style, and gives each visit its channel.

``sessionize`` tags every event with its session; ``sessions`` makes one row per session.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from wayfinder.model.channels import DEFAULT_RULES, ChannelRules, trimmed, with_channels

#: Where a tracking client's own session id sits inside the ``properties``/``context`` JSON text.
#: Read with a regex rather than a JSON function: the same pattern runs on every engine.
JSON_SESSION_ID = '"(?:session_id|sessionId)" *: *"?([^",} ]+)'

#: Event types that count as page views.
PAGE_TYPES = ("page", "screen")

SESSION_COLUMNS = (
    "session_id",
    "session_number",
    "session_start",
    "session_channel",
    "session_source_name",
    "session_campaign",
)


def sessionize(
    events: ir.Table,
    *,
    timeout_minutes: float = 30,
    rules: ChannelRules = DEFAULT_RULES,
    person_key: str = "identity_key",
    session_key: str | None = "json",
) -> ir.Table:
    """``events`` with their session: id, number, start, and the channel of its first event.

    A person's next event starts a new session when it comes more than ``timeout_minutes`` after
    the previous one; when it carries a tracker's session id other than the last one seen
    (``session_key="json"`` reads ``session_id``/``sessionId`` from ``properties`` or
    ``context``; a column name reads that column; ``None`` ignores them); or when it carries
    campaign values (UTM source, medium, campaign or a click id) other than the last ones of
    the session, as GA4 does. Events are ordered by timestamp, then the event that carries
    campaign values first, then ``message_id``, so the result never depends on input order.
    ``session_id`` is the MD5 of the person key and the session's first ``message_id``: the same
    on every engine and unchanged when later events arrive.

    ``events`` needs ``timestamp``, ``message_id``, the person key and the columns
    ``with_channels`` reads; ``click_id``, ``properties`` and ``context`` are used when present.
    """
    return _sessionized(events, timeout_minutes, rules, person_key, session_key).drop("_seq")


def sessions(
    events: ir.Table,
    *,
    timeout_minutes: float = 30,
    rules: ChannelRules = DEFAULT_RULES,
    person_key: str = "identity_key",
    session_key: str | None = "json",
) -> ir.Table:
    """One row per session: who, when, how many events and page views, where it came from.

    ``landing_path`` and ``device_type`` are those of the session's first event that has one.
    """
    t = _sessionized(events, timeout_minutes, rules, person_key, session_key)
    absent = {c: ibis.null("string") for c in ("type", "path", "device_type") if c not in t.columns}
    t = t.mutate(**absent) if absent else t

    def first_known(col: ir.Value) -> ir.Scalar:
        return col.argmin(ibis.cases((col.notnull(), t._seq)))

    constant = ["session_channel", "session_source_name", "session_campaign"]
    per_session = t.group_by(["session_id", person_key, "session_number", *constant]).aggregate(
        start=t.timestamp.min(),
        end=t.timestamp.max(),
        events=t.count(),
        pageviews=t.count(where=t.type.isin(PAGE_TYPES)),
        landing_path=first_known(t.path),
        device_type=first_known(t.device_type),
    )
    return per_session.select(
        "session_id",
        person_key,
        "session_number",
        "start",
        "end",
        "events",
        "pageviews",
        channel="session_channel",
        source_name="session_source_name",
        campaign="session_campaign",
        landing_path="landing_path",
        device_type="device_type",
    )


def _tracker_session_id(t: ir.Table, session_key: str | None) -> ir.StringValue:
    if session_key is None:
        return ibis.null("string")
    if session_key != "json":
        return trimmed(t[session_key])
    found = [
        t[name].re_extract(JSON_SESSION_ID, 1).nullif("")
        for name in ("properties", "context")
        if name in t.columns
    ]
    return ibis.coalesce(*found, ibis.null("string")) if found else ibis.null("string")


def _campaign_key(t: ir.Table) -> ir.StringValue:
    """The touch's campaign values as one string; null when the event carries none."""
    parts = [trimmed(t[c]).lower() for c in ("utm_source", "utm_medium", "utm_campaign")]
    parts.append(trimmed(t.click_id) if "click_id" in t.columns else ibis.null("string"))
    joined = ibis.literal("")
    for part in parts:
        joined = joined + "|" + ibis.coalesce(part, ibis.literal(""))
    any_set = parts[0].notnull() | parts[1].notnull() | parts[2].notnull() | parts[3].notnull()
    return ibis.cases((any_set, joined), else_=ibis.null("string"))


def _changed(value: ir.Value, previous: ir.Value) -> ir.BooleanValue:
    """True when both are known and differ; never null, so it can be summed."""
    return (value.notnull() & previous.notnull() & (value != previous)).fill_null(False)


def _sessionized(
    events: ir.Table,
    timeout_minutes: float,
    rules: ChannelRules,
    person_key: str,
    session_key: str | None,
) -> ir.Table:
    columns = events.columns
    t = with_channels(events, rules, channel="_channel", source_name="_source_name")
    t = t.mutate(
        _campaign=_campaign_key(t),
        _tracker=_tracker_session_id(t, session_key),
    )
    t = t.mutate(_untagged=t._campaign.isnull())
    # At the same instant the event carrying the campaign leads: it is the landing, and a
    # same-millisecond identify must not become a session of its own. Windows name columns
    # rather than hold expressions, because each mutate below makes a new relation.
    order = ["timestamp", "_untagged", "message_id"]
    person = [person_key]
    by_person = ibis.window(group_by=person, order_by=order)

    # 1. Inactivity and tracker session ids cut the events into runs.
    t = t.mutate(
        _seq=ibis.row_number().over(by_person),
        _prev_ts=t.timestamp.lag().over(by_person),
        _tracker_n=t._tracker.notnull().cast("int64").cumsum(group_by=person, order_by=order),
    )
    t = t.mutate(_tracker_last=t._tracker.max().over(group_by=[*person, "_tracker_n"]))
    t = t.mutate(_tracker_prev=t._tracker_last.lag().over(by_person))
    timeout = ibis.interval(seconds=round(timeout_minutes * 60))
    t = t.mutate(
        _cut=(
            t._prev_ts.isnull()
            | (t.timestamp > t._prev_ts + timeout)
            | _changed(t._tracker, t._tracker_prev)
        ).fill_null(False)
    )
    t = t.mutate(_run=t._cut.cast("int64").cumsum(group_by=person, order_by=order))

    # 2. Within a run, campaign values other than the last ones seen start a new session,
    #    including the first campaign after an untagged (direct or referral) start.
    in_run = [*person, "_run"]
    t = t.mutate(
        _campaign_n=t._campaign.notnull().cast("int64").cumsum(group_by=in_run, order_by=order)
    )
    t = t.mutate(_campaign_last=t._campaign.max().over(group_by=[*in_run, "_campaign_n"]))
    t = t.mutate(_campaign_prev=t._campaign_last.lag().over(group_by=in_run, order_by=order))
    t = t.mutate(
        _start=(
            t._cut
            | (
                t._campaign.notnull()
                & (t._campaign_prev.isnull() | (t._campaign != t._campaign_prev))
            )
        ).fill_null(False)
    )
    t = t.mutate(session_number=t._start.cast("int64").cumsum(group_by=person, order_by=order))

    # 3. The session takes its id, start and channel from its first event.
    session = [*person, "session_number"]

    def at_start(value: ir.Value) -> ir.Value:
        return ibis.cases((t._start, value)).max().over(group_by=session)

    key = ibis.coalesce(t[person_key].cast("string"), ibis.literal("")) + "/" + t.message_id
    t = t.mutate(
        session_id=at_start(key.hexdigest("md5")),
        session_start=t.timestamp.min().over(group_by=session),
        session_channel=at_start(t._channel),
        session_source_name=at_start(t._source_name),
        session_campaign=at_start(trimmed(t.utm_campaign)),
    )
    return t.select(*columns, *SESSION_COLUMNS, "_seq")


__all__ = ["PAGE_TYPES", "SESSION_COLUMNS", "sessionize", "sessions"]
