"""Marketing touchpoints: each person's web visits, content views and interactions, in order.
Owns the derived ``touchpoints`` table that attribution and the "why" engine read.

Three kinds of touch, one row each, all with the same columns (``TOUCHPOINTS``):

- ``session``: a web visit (``model/sessions.py``, cut per stitched person), timed at its start,
  with its GA4 channel, source name, campaign, landing path and device.
- ``content_view``: the first view within a visit of a page whose path is a ``content`` item's
  path (a rep's blog post, a whitepaper), with the item's title and author. It sits inside a visit
  that is already a touch, so it carries the visit's ``session_id`` but no channel or campaign:
  crediting channels on every touch would count one visit once per page read.
- an interaction (its ``type``: ``email_clicked``, ``call``, ``webinar_attended``, ...), with its
  campaign, its rep (``owner``), the content it carried and a channel from ``INTERACTION_CHANNELS``.

Touches with no stitched person are left out (nothing can be said of whose journey they are).
``touch_id`` is the same for the same stored data; a visit's id includes its person's, so it
changes when a new stitching run gives that person an older id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.engines.portable import strip
from wayfinder.model.channels import DEFAULT_RULES, UNASSIGNED, ChannelRules, trimmed
from wayfinder.model.identifiers import junk_values, typed_email, typed_id
from wayfinder.model.identity import events_with_person
from wayfinder.model.sessions import PAGE_TYPES, sessionize, sessions
from wayfinder.store.schema import (
    CONTENT,
    IDENTITY_MAP,
    INTERACTIONS,
    PROFILES,
    Column,
    TableSpec,
)

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

#: Calls that make up a visit. Identify, group and alias calls are bookkeeping: a CRM sync's
#: identify hours after the last page view must not count as a Direct visit.
VISIT_TYPES = (*PAGE_TYPES, "track")

#: Channel of an interaction by its type (lower-cased), first match wins. "Sales" is Wayfinder's
#: own channel, outside GA4's list, for one-to-one touches by a rep: calls and meetings.
INTERACTION_CHANNELS: tuple[tuple[str, str], ...] = (
    ("^e-?mail", "Email"),
    ("^(call|meeting|demo)", "Sales"),
    ("^(webinar|event)", "Events"),
    ("^chat", "Chat"),
    ("^support", "Support"),
)

#: When the type says nothing, the CRM's own ``channel`` value (lower-cased) decides.
CRM_CHANNELS: tuple[tuple[str, str], ...] = (
    ("^(e-?mail|e_mail)$", "Email"),
    ("^(phone|call|video|meeting|in[-_ ]?person)$", "Sales"),
    ("^(events?|webinars?|conferences?)$", "Events"),
    ("^chat$", "Chat"),
    ("^support$", "Support"),
)

#: Prefixes of ``touch_id``: readable, unique across kinds, and, at one instant, ordering an
#: e-mail click before the visit it opens and a visit before the pages read in it.
INTERACTION_PREFIX, SESSION_PREFIX, VIEW_PREFIX = "interaction:", "session:", "view:"

#: The path of a URL, with or without scheme and host.
URL_PATH = "^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?([^?#]*)"

TOUCHPOINTS = TableSpec(
    "touchpoints",
    "Marketing touchpoints, one row per touch, ordered per person; derived from events, "
    "interactions, content and profiles, and rebuilt by `materialize_touchpoints`.",
    (
        Column("touch_id", "string", "`session:`, `view:` or `interaction:` + its id", True),
        Column("person_id", "string", "the stitched person", True),
        Column("account_id", "string", "the person's account (from profiles)"),
        Column("timestamp", "timestamp", "when: a visit's start, a view's or interaction's time"),
        Column("order_in_journey", "int64", "1-based place in the person's journey"),
        Column("touch_type", "string", "`session`, `content_view` or the interaction type"),
        Column("channel", "string", "a visit's GA4 channel, an interaction's; null on views"),
        Column("source_name", "string", "normalised source of a visit (`google`, `facebook`)"),
        Column("campaign", "string", "a visit's UTM campaign or an interaction's campaign"),
        Column("content_id", "string", "content viewed, or carried by an interaction"),
        Column("content_title", "string", "that content's title"),
        Column("author", "string", "that content's author (often a rep)"),
        Column("owner", "string", "the rep who did the interaction"),
        Column("landing_path", "string", "a visit's first page path"),
        Column("session_id", "string", "the visit of a session or content view"),
        Column("device_type", "string", "device of a visit or content view"),
    ),
    key=("touch_id",),
    derived=True,
)
TOUCH_COLUMNS = TOUCHPOINTS.schema.names


def touchpoints(
    ws: Workspace,
    *,
    timeout_minutes: float = 30,
    rules: ChannelRules = DEFAULT_RULES,
    junk: Iterable[str] = (),
) -> ir.Table:
    """Every touch of every person, with ``order_in_journey`` (1-based, timestamp then touch_id).

    ``timeout_minutes`` and ``rules`` cut and classify the visits as ``sessions`` does.
    Interactions find their person through ``identity_map`` by contact id, else e-mail, else
    user id; ``account_id`` is the person's account in ``profiles``.
    """
    engine, name = ws.engine, ws.name
    junk_list = junk_values(junk)
    visits = _visits(events_with_person(engine, name, junk=junk_list))
    content = _latest(engine.table(CONTENT.name, name), CONTENT.key)
    touches = ibis.union(
        _session_touches(visits, timeout_minutes, rules),
        _content_views(visits, content, timeout_minutes, rules),
        _interaction_touches(
            _latest(engine.table(INTERACTIONS.name, name), INTERACTIONS.key),
            engine.table(IDENTITY_MAP.name, name),
            content,
            junk_list,
        ),
        distinct=False,
    )
    profiles = engine.table(PROFILES.name, name)
    accounts = profiles.select(p_person=profiles.person_id, account_id=strip(profiles.account_id))
    t = touches.left_join(accounts, touches.person_id == accounts.p_person)
    t = t.mutate(
        order_in_journey=ibis.row_number().over(
            group_by="person_id", order_by=["timestamp", "touch_id"]
        )
        + 1
    )
    return t.select(*TOUCH_COLUMNS).cast(TOUCHPOINTS.schema)


def account_touchpoints(
    ws: Workspace,
    *,
    timeout_minutes: float = 30,
    rules: ChannelRules = DEFAULT_RULES,
    junk: Iterable[str] = (),
    touches: ir.Table | None = None,
) -> ir.Table:
    """The touches of every person of an account as one stream, with ``order_in_account``.

    Touches of people without an account are left out. ``touches`` reuses a table already built
    (``materialize_touchpoints``) instead of deriving it again.
    """
    if touches is None:
        touches = touchpoints(ws, timeout_minutes=timeout_minutes, rules=rules, junk=junk)
    t = touches.filter(touches.account_id.notnull())
    order = ibis.row_number().over(group_by="account_id", order_by=["timestamp", "touch_id"])
    return t.mutate(order_in_account=(order + 1).cast("int64"))


def materialize_touchpoints(
    ws: Workspace,
    *,
    timeout_minutes: float = 30,
    rules: ChannelRules = DEFAULT_RULES,
    junk: Iterable[str] = (),
) -> ir.Table:
    """Write the ``touchpoints`` table of the workspace and return it.

    It is derived data: rebuilt whole from the stored tables on every call, so it is stale once
    new events, interactions or a new stitching run arrive, and never edited in place.
    """
    expr = touchpoints(ws, timeout_minutes=timeout_minutes, rules=rules, junk=junk)
    ws.engine.replace_table(TOUCHPOINTS.name, ws.name, expr)
    return ws.engine.table(TOUCHPOINTS.name, ws.name)


# -- web ------------------------------------------------------------------------------------
def _visits(events: ir.Table) -> ir.Table:
    """The calls that make up visits, of known persons, with only what sessions read."""
    wanted = [
        "message_id", "person_id", "type", "timestamp", "path", "url", "referrer", "utm_source",
        "utm_medium", "utm_campaign", "click_id", "click_id_type", "device_type", "properties",
        "context",
    ]  # fmt: skip
    t = events.select(*wanted)
    return t.filter(t.person_id.notnull() & t.type.isin(VISIT_TYPES))


def _session_touches(visits: ir.Table, timeout: float, rules: ChannelRules) -> ir.Table:
    s = sessions(visits, timeout_minutes=timeout, rules=rules, person_key="person_id")
    return s.select(
        touch_id=SESSION_PREFIX + s.session_id,
        person_id=s.person_id,
        timestamp=s.start,
        touch_type=ibis.literal("session"),
        channel=s.channel,
        source_name=s.source_name,
        campaign=s.campaign,
        content_id=ibis.null("string"),
        content_title=ibis.null("string"),
        author=ibis.null("string"),
        owner=ibis.null("string"),
        landing_path=s.landing_path,
        session_id=s.session_id,
        device_type=s.device_type,
    )


def path_key(path: ir.StringValue) -> ir.StringValue:
    """A page path as content and page views are matched: trimmed, no trailing slash but the root.

    Case is kept: paths are case-sensitive on most servers.
    """
    return strip(path).re_extract("^(/?.*?)/*$", 1).nullif("")


def _content_by_path(content: ir.Table) -> ir.Table:
    """One content item per page path (the most recently published, then the lowest id)."""
    from_url = content.url.re_extract(URL_PATH, 1).nullif("")
    c = content.mutate(c_path=path_key(ibis.coalesce(content.path, from_url)))
    c = c.filter(c.c_path.notnull())
    rank = ibis.row_number().over(
        group_by="c_path",
        order_by=[ibis.desc(c.published_at, nulls_first=False), c.content_id],
    )
    c = c.mutate(c_rank=rank)
    c = c.filter(c.c_rank == 0)
    return c.select("c_path", c_id=c.content_id, c_title=c.title, c_author=trimmed(c.author))


def _content_views(
    visits: ir.Table, content: ir.Table, timeout: float, rules: ChannelRules
) -> ir.Table:
    items = _content_by_path(content)
    pages = visits.filter(visits.type.isin(PAGE_TYPES))
    pages = pages.mutate(v_path=path_key(pages.path))
    viewed = pages.semi_join(items, pages.v_path == items.c_path)
    # Sessions are cut per person, so sessionizing only the readers' events gives the same
    # visits at a fraction of the work.
    readers = viewed.select(r_person=viewed.person_id).distinct()
    theirs = visits.semi_join(readers, visits.person_id == readers.r_person)
    s = sessionize(theirs, timeout_minutes=timeout, rules=rules, person_key="person_id")
    s = s.filter(s.type.isin(PAGE_TYPES)).mutate(v_path=path_key(s.path))
    v = s.join(items, s.v_path == items.c_path)
    # Reloads and back-and-forth within one visit are one read.
    first = ibis.row_number().over(
        group_by=["session_id", "c_id"], order_by=["timestamp", "message_id"]
    )
    v = v.mutate(v_rank=first)
    v = v.filter(v.v_rank == 0)
    return v.select(
        touch_id=VIEW_PREFIX + v.message_id,
        person_id=v.person_id,
        timestamp=v.timestamp,
        touch_type=ibis.literal("content_view"),
        channel=ibis.null("string"),
        source_name=ibis.null("string"),
        campaign=ibis.null("string"),
        content_id=v.c_id,
        content_title=v.c_title,
        author=v.c_author,
        owner=ibis.null("string"),
        landing_path=ibis.null("string"),
        session_id=v.session_id,
        device_type=v.device_type,
    )


# -- interactions ----------------------------------------------------------------------------
def interaction_channel(kind: ir.StringValue, crm_channel: ir.StringValue) -> ir.StringValue:
    """The channel of an interaction: by its type, else by the CRM's channel, else Unassigned."""
    kind, crm = trimmed(kind.lower()), trimmed(crm_channel.lower())
    branches = [(kind.re_search(p), ibis.literal(c)) for p, c in INTERACTION_CHANNELS]
    branches += [(crm.re_search(p), ibis.literal(c)) for p, c in CRM_CHANNELS]
    # A null test counts as false in a CASE, so a missing type falls through to the CRM's value.
    return ibis.cases(*branches, else_=ibis.literal(UNASSIGNED))


def _interaction_touches(
    interactions: ir.Table, identity_map: ir.Table, content: ir.Table, junk: list[str]
) -> ir.Table:
    t = interactions.mutate(
        k_contact=typed_id("contact_id", interactions.contact_id, junk),
        k_email=typed_email(interactions.email, junk),
        k_user=typed_id("user_id", interactions.user_id, junk),
    )
    for kind in ("contact", "email", "user"):
        m = identity_map.view()
        found = m.select(**{f"m_{kind}": m.identifier, f"p_{kind}": m.person_id})
        t = t.left_join(found, t[f"k_{kind}"] == found[f"m_{kind}"])
    t = t.mutate(person_id=ibis.coalesce(t.p_contact, t.p_email, t.p_user))
    t = t.filter(t.person_id.notnull())
    items = content.select(
        c_id=content.content_id, c_title=content.title, c_author=trimmed(content.author)
    )
    t = t.mutate(i_content=trimmed(t.content_id))
    t = t.left_join(items, t.i_content == items.c_id)
    return t.select(
        touch_id=INTERACTION_PREFIX + t.interaction_id,
        person_id=t.person_id,
        timestamp=t.timestamp,
        touch_type=trimmed(t.type.lower()),
        channel=interaction_channel(t.type, t.channel),
        source_name=ibis.null("string"),
        campaign=trimmed(t.campaign),
        content_id=t.i_content,
        content_title=t.c_title,
        author=t.c_author,
        owner=trimmed(t.owner),
        landing_path=ibis.null("string"),
        session_id=ibis.null("string"),
        device_type=ibis.null("string"),
    )


def _latest(table: ir.Table, key: Iterable[str]) -> ir.Table:
    """The newest stored version of each record: CRM objects keep their history."""
    rank = ibis.row_number().over(
        group_by=list(key), order_by=[ibis.desc(table.loaded_at), table.row_hash]
    )
    ranked = table.mutate(wf_version=rank)
    return ranked.filter(ranked.wf_version == 0).drop("wf_version")


__all__ = [
    "CRM_CHANNELS",
    "INTERACTION_CHANNELS",
    "TOUCHPOINTS",
    "TOUCH_COLUMNS",
    "VISIT_TYPES",
    "account_touchpoints",
    "interaction_channel",
    "materialize_touchpoints",
    "path_key",
    "touchpoints",
]
