"""The canonical data model: every table Wayfinder stores, column by column, on every engine.

Each ``TableSpec`` says what a table holds, its columns with their meaning, which columns an input
row must carry, and the natural key that makes re-ingesting the same data add nothing.
``docs/data-model.md`` is generated from these specs (``python -m wayfinder.store.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis

#: Bumped when a table or column is added; ``migrate`` brings older stores up to it.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str
    required: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    doc: str
    columns: tuple[Column, ...]
    #: Columns that identify one real-world thing; the same key and content again adds nothing.
    key: tuple[str, ...] = ()
    #: Input tables are loaded from sources; derived tables are computed by the model layer.
    derived: bool = False
    #: Bookkeeping columns added to every input table (not part of an input file).
    bookkeeping: tuple[Column, ...] = field(default=())

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.bookkeeping

    @property
    def schema(self) -> ibis.Schema:
        return ibis.schema({c.name: c.dtype for c in self.all_columns})

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(name)


_BOOKKEEPING = (
    Column("source_file", "string", "the file (or `http`) the row was loaded from"),
    Column("loaded_at", "timestamp", "when Wayfinder stored the row (UTC)"),
    Column(
        "row_hash",
        "string",
        "hash of the row's content: with the key, it tells a re-delivery from a changed record",
    ),
)

_TRAITS = Column("traits", "string", "every other input column, as a JSON object")


def _input(name: str, doc: str, columns: list[Column], key: tuple[str, ...]) -> TableSpec:
    return TableSpec(name, doc, tuple(columns), key=key, bookkeeping=_BOOKKEEPING)


EVENTS = _input(
    "events",
    "Behaviour: every Segment-spec call (identify, track, page, screen, group, alias).",
    [
        Column("message_id", "string", "unique id of the call (`messageId`); dedup key", True),
        Column("type", "string", "identify, track, page, screen, group or alias", True),
        Column("event", "string", "the action of a track call (`Order Completed`)"),
        Column("name", "string", "page or screen name"),
        Column("anonymous_id", "string", "device or cookie id (`anonymousId`)"),
        Column("user_id", "string", "the firm's own user id (`userId`)"),
        Column("previous_id", "string", "alias calls: the id being merged (`previousId`)"),
        Column("group_id", "string", "group calls: the account id (`groupId`)"),
        Column(
            "identity_key",
            "string",
            "typed identifier the event belongs to (`user_id:42`, else `anonymous_id:abc`); "
            "joins to identity_map.identifier",
            True,
        ),
        Column(
            "timestamp",
            "timestamp",
            "when it happened, UTC; `receivedAt - (sentAt - originalTimestamp)` when sentAt is "
            "present (corrects device clocks)",
            True,
        ),
        Column("original_timestamp", "timestamp", "the time the device reported, UTC"),
        Column("sent_at", "timestamp", "when the device sent it, UTC"),
        Column("received_at", "timestamp", "when a server received it, UTC"),
        Column("url", "string", "page URL"),
        Column("path", "string", "page path"),
        Column("referrer", "string", "referring URL"),
        Column("title", "string", "page title"),
        Column("search", "string", "URL query string"),
        Column("utm_source", "string", "campaign source (context.campaign or URL)"),
        Column("utm_medium", "string", "campaign medium"),
        Column("utm_campaign", "string", "campaign name"),
        Column("utm_term", "string", "campaign term"),
        Column("utm_content", "string", "campaign content"),
        Column("click_id", "string", "ad click id found on the URL (gclid, fbclid, ...)"),
        Column("click_id_type", "string", "which click id: gclid, fbclid, msclkid, ttclid, ..."),
        Column("revenue", "float64", "revenue of the event (`properties.revenue`, else `total`)"),
        Column("currency", "string", "ISO currency of the revenue"),
        Column("device_type", "string", "mobile, desktop, tablet, ... (`context.device.type`)"),
        Column("os_name", "string", "operating system (`context.os.name`)"),
        Column("user_agent", "string", "browser user agent"),
        Column("ip", "string", "client IP address"),
        Column("locale", "string", "client locale"),
        Column("country", "string", "country (`context.location.country`)"),
        Column("email", "string", "e-mail found in traits, normalised (lower-case, trimmed)"),
        Column("properties", "string", "the call's properties, JSON object"),
        Column("traits", "string", "traits from `traits` and `context.traits`, JSON object"),
        Column("context", "string", "the call's context, JSON object"),
    ],
    key=("message_id",),
)

PEOPLE = _input(
    "people",
    "CRM contacts (and other known people) as exported from a CRM.",
    [
        Column("contact_id", "string", "the CRM's contact id", True),
        Column("email", "string", "e-mail, normalised"),
        Column("user_id", "string", "the firm's user id, when the CRM knows it"),
        Column("first_name", "string", "first name"),
        Column("last_name", "string", "last name"),
        Column("name", "string", "full name"),
        Column("phone", "string", "phone number"),
        Column("account_id", "string", "the account (company) the person belongs to"),
        Column("title", "string", "job title"),
        Column("country", "string", "country"),
        Column("city", "string", "city"),
        Column("lifecycle_stage", "string", "lead, MQL, SQL, opportunity, customer, ..."),
        Column("owner", "string", "the rep who owns the contact"),
        Column("social_handle", "string", "social handle, `platform:@handle` or `@handle`"),
        Column("created_at", "timestamp", "when the contact was created, UTC"),
        _TRAITS,
    ],
    key=("contact_id",),
)

ACCOUNTS = _input(
    "accounts",
    "Companies (B2B accounts).",
    [
        Column("account_id", "string", "the CRM's account id", True),
        Column("name", "string", "company name"),
        Column("domain", "string", "web domain"),
        Column("industry", "string", "industry"),
        Column("employees", "int64", "number of employees"),
        Column("country", "string", "country"),
        Column("plan", "string", "current plan or tier"),
        Column("owner", "string", "account owner (rep)"),
        Column("created_at", "timestamp", "when the account was created, UTC"),
        _TRAITS,
    ],
    key=("account_id",),
)

DEALS = _input(
    "deals",
    "CRM deals (opportunities) and their pipeline.",
    [
        Column("deal_id", "string", "the CRM's deal id", True),
        Column("account_id", "string", "the account the deal is with"),
        Column("contact_id", "string", "the main contact"),
        Column("name", "string", "deal name"),
        Column("amount", "float64", "deal amount"),
        Column("currency", "string", "ISO currency"),
        Column("stage", "string", "pipeline stage"),
        Column("pipeline", "string", "which pipeline"),
        Column("created_at", "timestamp", "when the deal was created, UTC", True),
        Column("closed_at", "timestamp", "when it was closed (won or lost), UTC"),
        Column("won", "boolean", "true when closed-won, false when closed-lost, null when open"),
        Column("owner", "string", "the rep who owns the deal"),
        Column("campaign", "string", "the campaign the CRM credits"),
        Column("lead_source", "string", "the CRM's lead source"),
        _TRAITS,
    ],
    key=("deal_id",),
)

INTERACTIONS = _input(
    "interactions",
    "One-to-one and one-to-many touches: e-mails, calls, meetings, chats, webinars.",
    [
        Column("interaction_id", "string", "unique id", True),
        Column(
            "type",
            "string",
            "email_sent, email_opened, email_clicked, call, meeting, chat, webinar_registered, "
            "webinar_attended, ...",
            True,
        ),
        Column("timestamp", "timestamp", "when it happened, UTC", True),
        Column("contact_id", "string", "the CRM contact"),
        Column("email", "string", "the person's e-mail, normalised"),
        Column("user_id", "string", "the firm's user id"),
        Column("account_id", "string", "the account"),
        Column("owner", "string", "the rep who did it"),
        Column("campaign", "string", "campaign it belongs to"),
        Column("content_id", "string", "content it carried (an e-mail, a webinar)"),
        Column("channel", "string", "email, phone, chat, event, ..."),
        Column("subject", "string", "subject line or title"),
        Column("direction", "string", "inbound or outbound"),
        Column("duration_seconds", "float64", "length of a call or meeting"),
        _TRAITS,
    ],
    key=("interaction_id",),
)

CONTENT = _input(
    "content",
    "Content items: blog posts, whitepapers, videos, webinars, pages.",
    [
        Column("content_id", "string", "unique id", True),
        Column("title", "string", "title"),
        Column("type", "string", "blog_post, whitepaper, video, webinar, page, ..."),
        Column("author", "string", "author (often a rep)"),
        Column("url", "string", "URL"),
        Column("path", "string", "URL path, to match page views"),
        Column("published_at", "timestamp", "when it was published, UTC"),
        Column("topic", "string", "topic or category"),
        _TRAITS,
    ],
    key=("content_id",),
)

SUBSCRIPTIONS = _input(
    "subscriptions",
    "Subscriptions and their recurring revenue.",
    [
        Column("subscription_id", "string", "unique id", True),
        Column("account_id", "string", "the paying account"),
        Column("contact_id", "string", "the paying person, for B2C"),
        Column("user_id", "string", "the firm's user id"),
        Column("plan", "string", "plan name", True),
        Column("mrr", "float64", "monthly recurring revenue", True),
        Column("currency", "string", "ISO currency"),
        Column("seats", "int64", "licensed seats"),
        Column("seats_used", "int64", "seats in use"),
        Column("status", "string", "active, trialing, past_due, canceled, ..."),
        Column("billing_period", "string", "month or year"),
        Column("started_at", "timestamp", "start, UTC", True),
        Column("ended_at", "timestamp", "end (cancellation), UTC; null while active"),
        _TRAITS,
    ],
    key=("subscription_id",),
)

SPEND = _input(
    "spend",
    "Marketing spend per day, channel and campaign.",
    [
        Column("date", "date", "the day", True),
        Column("channel", "string", "channel (Paid Social, Paid Search, ...)", True),
        Column("source", "string", "platform (facebook, google_ads, linkedin, ...)"),
        Column("campaign", "string", "campaign name"),
        Column("cost", "float64", "amount spent", True),
        Column("currency", "string", "ISO currency"),
        Column("impressions", "int64", "impressions"),
        Column("clicks", "int64", "clicks"),
        _TRAITS,
    ],
    key=("date", "channel", "source", "campaign"),
)

SOCIAL_EDGES = _input(
    "social_edges",
    "Social and community relations: follows, mentions, replies, shares, referrals.",
    [
        Column("source_handle", "string", "who acts (`@ann`, or a typed identifier)", True),
        Column("target_handle", "string", "who is followed, mentioned, referred", True),
        Column("type", "string", "follow, mention, reply, share or referral", True),
        Column("timestamp", "timestamp", "when, UTC", True),
        Column("platform", "string", "twitter, linkedin, community, ..."),
        Column("weight", "float64", "strength (default 1)"),
        _TRAITS,
    ],
    key=("source_handle", "target_handle", "type", "timestamp"),
)

CONSENTS = _input(
    "consents",
    "Consent per purpose, as the person gave or withdrew it.",
    [
        Column("subject", "string", "who: e-mail, user id or typed identifier", True),
        Column("purpose", "string", "analytics, marketing, personalisation, ...", True),
        Column("granted", "boolean", "true when given, false when withdrawn", True),
        Column("timestamp", "timestamp", "when, UTC", True),
        Column("method", "string", "banner, form, API, ..."),
        _TRAITS,
    ],
    key=("subject", "purpose", "timestamp"),
)

FEEDBACK = _input(
    "feedback",
    "What customers say: survey answers, votes, stated plans and intents.",
    [
        Column("feedback_id", "string", "unique id", True),
        Column("type", "string", "survey, nps, vote, intent, review, ...", True),
        Column("subject", "string", "who: e-mail, user id or typed identifier"),
        Column("timestamp", "timestamp", "when, UTC", True),
        Column("question", "string", "the question asked"),
        Column("answer", "string", "the answer as given"),
        Column("score", "float64", "numeric answer (NPS 0-10, rating, vote +1/-1)"),
        Column("topic", "string", "what it is about"),
        _TRAITS,
    ],
    key=("feedback_id",),
)

QUARANTINE = TableSpec(
    "quarantine",
    "Rows that failed validation, kept whole with the reason, never silently dropped.",
    (
        Column("quarantine_id", "string", "hash of source, position and payload; dedup key", True),
        Column("kind", "string", "the input kind the row was meant for", True),
        Column("source_file", "string", "file path (or `http`)", True),
        Column("line", "int64", "1-based line (JSONL) or row (CSV, Parquet) number"),
        Column("reason", "string", "stable reason code, e.g. `missing_identity`", True),
        Column("detail", "string", "what exactly is wrong, in words"),
        Column("raw", "string", "the raw payload as received"),
        Column("quarantined_at", "timestamp", "when, UTC", True),
    ),
    key=("quarantine_id",),
)

IDENTITIES = TableSpec(
    "identities",
    "Identity graph edges between typed identifiers (`email:ann@x.com`, `anonymous_id:abc`).",
    (
        Column("identifier_a", "string", "typed identifier", True),
        Column("identifier_b", "string", "typed identifier (equal to a: a lone sighting)", True),
        Column("first_seen", "timestamp", "earliest time the link was observed, UTC", True),
        Column("origin", "string", "identify, alias, event, group, crm", True),
        Column("source_file", "string", "where the link came from"),
    ),
    key=("identifier_a", "identifier_b", "origin"),
    derived=True,
)

IDENTITY_MAP = TableSpec(
    "identity_map",
    "Each identifier's stitched person: the output of identity stitching.",
    (
        Column("identifier", "string", "typed identifier", True),
        Column("person_id", "string", "stable person id: the component's oldest identifier", True),
        Column("first_seen", "timestamp", "when the identifier was first seen, UTC"),
    ),
    key=("identifier",),
    derived=True,
)

PROFILES = TableSpec(
    "profiles",
    "One row per stitched person, with what is known of them.",
    (
        Column("person_id", "string", "stable person id", True),
        Column("identifiers", "int64", "how many identifiers were stitched"),
        Column("email", "string", "an e-mail of the person"),
        Column("user_id", "string", "a user id of the person"),
        Column("contact_id", "string", "a CRM contact id of the person"),
        Column("account_id", "string", "the account the person belongs to"),
        Column("first_seen", "timestamp", "first sighting, UTC"),
    ),
    key=("person_id",),
    derived=True,
)

IDENTITY_ISSUES = TableSpec(
    "identity_issues",
    "Components and identifiers that stitching refused to merge blindly, for review.",
    (
        Column("identifier", "string", "the identifier concerned", True),
        Column("issue", "string", "`hub` (linked to too many others) or `oversized_component`"),
        Column("size", "int64", "links or component size that triggered it"),
        Column("detected_at", "timestamp", "when, UTC"),
    ),
    derived=True,
)

META = TableSpec(
    "wayfinder_meta",
    "Bookkeeping of the workspace: schema version and the like.",
    (
        Column("key", "string", "setting", True),
        Column("value", "string", "its value", True),
    ),
    key=("key",),
    derived=True,
)

#: Input kinds, in the order they are usually loaded.
INPUT_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        EVENTS,
        PEOPLE,
        ACCOUNTS,
        DEALS,
        INTERACTIONS,
        CONTENT,
        SUBSCRIPTIONS,
        SPEND,
        SOCIAL_EDGES,
        CONSENTS,
        FEEDBACK,
    )
}

#: Tables Wayfinder keeps for itself: quarantine, the identity graph and its results, bookkeeping.
SYSTEM_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (QUARANTINE, IDENTITIES, IDENTITY_MAP, PROFILES, IDENTITY_ISSUES, META)
}

TABLES: dict[str, TableSpec] = {**INPUT_TABLES, **SYSTEM_TABLES}

#: The kinds `ingest` accepts; object kinds are every input table but events.
KINDS: tuple[str, ...] = tuple(INPUT_TABLES)
OBJECT_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "events")
