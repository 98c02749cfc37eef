"""Typed identifiers and the identity graph's edges: how a raw id is spelled, which values are junk,
and which stored observations link two identifiers.

An identifier is a string ``type:value``:

- ``anonymous_id:<id>``, ``user_id:<id>``, ``contact_id:<id>`` keep the id's spelling (ids are
  case-sensitive); surrounding whitespace is stripped.
- ``email:<address>`` is stripped and lower-cased, and only values shaped like an address count.
- ``handle:<handle>`` is stripped and lower-cased; the ``@`` and any ``platform:`` prefix are kept
  as the CRM gave them, so ``@ann`` and ``twitter:@ann`` stay two identifiers.

``account_id`` is not a person identifier: accounts link people, they do not merge them.

Junk values (``JUNK_VALUES``, all-zero ids like the nil UUID, blanks and nulls) never make a node
and never link anything. Every rule here is an Ibis expression, so it runs in the engine.

Edges (the ``identities`` table), each with the earliest time it was observed:

- events: ``anonymous_id`` - ``user_id`` on any call carrying both (origin ``identify`` for identify
  calls, else ``event``); the event's identity key - ``email`` when the call carries an e-mail;
  alias calls: ``previous_id`` - ``user_id`` (origin ``alias``), where ``previous_id`` is typed
  ``user_id:`` when that value is seen as a user id anywhere in the events, else ``anonymous_id:``;
  and every identity key alone (a self-edge), so a lone visitor is a person too.
- people (origin ``crm``, first seen ``created_at`` else ``loaded_at``): ``contact_id`` - ``email``,
  ``contact_id`` - ``user_id``, ``contact_id`` - ``social_handle``.
- interactions (origin ``crm``): ``contact_id`` - ``email``.

Social edges are relations between people, not evidence that two ids are one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import ibis
import ibis.expr.types as ir

from wayfinder.engines.base import Engine
from wayfinder.engines.portable import strip
from wayfinder.store.schema import EVENTS, IDENTITIES, INTERACTIONS, PEOPLE

#: Values that SDKs and CRMs send when they have no real id; compared stripped and lower-cased.
JUNK_VALUES: frozenset[str] = frozenset(
    {
        "",
        "null",
        "undefined",
        "none",
        "nan",
        "0",
        "-1",
        "anonymous",
        "unknown",
        "guest",
        "test",
    }
)

#: Identifier types that name one person.
ID_TYPES: tuple[str, ...] = ("anonymous_id", "user_id", "contact_id")
PERSON_TYPES: tuple[str, ...] = (*ID_TYPES, "email", "handle")
#: Types a firm issues to one person: the edges kept when a component is too large to trust.
STRONG_TYPES: frozenset[str] = frozenset({"user_id", "contact_id", "email"})

# Without backslashes: a regex literal must survive every engine's SQL string escaping unchanged.
EMAIL_PATTERN = "^[^@ ]+@[^@ ]+[.][^@ ]+$"
_KIND_PATTERN = "^([a-z_]+):"
_HANDLE_PREFIX = "^([a-z0-9_]+:)?@?"
SCRATCH_PREFIX = "identity_work_observed_"


def junk_values(extra: Iterable[str] = ()) -> list[str]:
    """The junk list with ``extra`` values added, folded the way values are compared.

    >>> junk_values(["N/A"])[:3]
    ['', '-1', '0']
    >>> "n/a" in junk_values(["N/A"])
    True
    """
    return sorted(JUNK_VALUES | {str(v).strip().lower() for v in extra})


def is_junk(value: ir.StringValue, junk: Sequence[str]) -> ir.BooleanValue:
    """True when ``value`` cannot name anyone: null, blank, a junk word or an all-zero id."""
    return value.isnull() | strip(value).lower().re_search(junk_pattern(junk))


def junk_pattern(junk: Sequence[str]) -> str:
    """One anchored regex for the junk words and all-zero ids (nil UUIDs, ``0000``, blanks).

    One regex, not ``IN (...)``: DuckDB plans each IN list as a join, and the typing rules use
    the junk test a dozen times per row.

    >>> junk_pattern(["null", "n.a", ""])
    '^(null|n[.]a|[0-]*)$'
    """
    words = [_literal(w) for w in junk if w]
    return "^(" + "|".join([*words, "[0-]*"]) + ")$"


def _literal(word: str) -> str:
    # Character classes rather than backslashes, so the pattern reads the same in every SQL
    # dialect's string literal; the three characters a class cannot hold are escaped.
    return "".join("\\" + c if c in "\\]^" else f"[{c}]" if c in ".$*+?()[{}|" else c for c in word)


def _null() -> ir.StringValue:
    return ibis.null("string")


def typed_id(kind: str, value: ir.StringValue, junk: Sequence[str]) -> ir.StringValue:
    """``kind:value`` for an opaque id (spelling kept, whitespace stripped), else null."""
    return ibis.ifelse(is_junk(value, junk), _null(), kind + ":" + strip(value))


def typed_email(value: ir.StringValue, junk: Sequence[str]) -> ir.StringValue:
    """``email:address`` lower-cased, when the value is shaped like an address, else null."""
    folded = strip(value).lower()
    usable = ~is_junk(value, junk) & folded.re_search(EMAIL_PATTERN)
    return ibis.ifelse(usable.fill_null(False), "email:" + folded, _null())


def typed_handle(value: ir.StringValue, junk: Sequence[str]) -> ir.StringValue:
    """``handle:@name`` lower-cased as given, else null (``@`` alone is junk)."""
    folded = strip(value).lower()
    bare = folded.re_replace(_HANDLE_PREFIX, "")
    return ibis.ifelse(is_junk(value, junk) | is_junk(bare, junk), _null(), "handle:" + folded)


def kind_of(identifier: ir.StringValue) -> ir.StringValue:
    """The type part of a typed identifier (``email`` for ``email:ann@x.com``)."""
    return identifier.re_extract(_KIND_PATTERN, 1)


def normalise_key(identifier: ir.StringValue, junk: Sequence[str]) -> ir.StringValue:
    """A typed identifier re-spelled by the rules of its type; null when junk or untyped."""
    branches = [
        (identifier.startswith(f"{kind}:"), typed_id(kind, identifier.substr(len(kind) + 1), junk))
        for kind in ID_TYPES
    ]
    branches.append((identifier.startswith("email:"), typed_email(identifier.substr(6), junk)))
    branches.append((identifier.startswith("handle:"), typed_handle(identifier.substr(7), junk)))
    return ibis.cases(*branches, else_=_null())


def event_key(events: ir.Table, junk: Sequence[str]) -> ir.StringValue:
    """The identifier an event belongs to: its identity key, else its user id, else its device id.

    A junk key (``user_id:0``) falls back to the next usable id, so the event still finds a person.
    """
    user = typed_id("user_id", events.user_id, junk)
    anon = typed_id("anonymous_id", events.anonymous_id, junk)
    key = events.identity_key
    # Nearly every key is already the typed user or device id; only the others pay for the
    # general re-spelling (engines evaluate a CASE branch only for the rows that reach it).
    spelled = ibis.cases((key == user, user), (key == anon, anon), else_=normalise_key(key, junk))
    return ibis.coalesce(spelled, user, anon)


# -- edges ---------------------------------------------------------------------------------------
def build_edges(
    engine: Engine, workspace: str, *, junk: Iterable[str] = (), append: bool = False
) -> ir.Table:
    """Write the ``identities`` table from events, people and interactions.

    ``append=False`` rebuilds it from what is stored (so erased rows take their edges with them);
    ``append=True`` adds the observed edges to those already there (e.g. loaded from elsewhere).
    Either way rows are unique on the table's key, keeping the earliest ``first_seen``.
    """
    junk_list = junk_values(junk)
    present = set(engine.list_tables(workspace))
    sources = [
        (spec.name, sightings, edges_of)
        for spec, sightings, edges_of in (
            (EVENTS, _event_sightings, _event_edges),
            (PEOPLE, _people_sightings, _people_edges),
            (INTERACTIONS, _interaction_sightings, _interaction_edges),
        )
        if spec.name in present
    ]
    engine.create_table(IDENTITIES.name, workspace, IDENTITIES.schema)
    stored = engine.table(IDENTITIES.name, workspace)
    scratch: list[str] = []
    try:
        parts = []
        for name, sightings, edges_of in sources:
            seen = sightings(engine.table(name, workspace), junk_list)
            if name == EVENTS.name:
                # Events are spelled once into a narrow table: the typing rules are long
                # expressions that each edge kind would otherwise repeat, on the largest table.
                table = f"{SCRATCH_PREFIX}{name}"
                engine.replace_table(table, workspace, seen)
                scratch.append(table)
                seen = engine.table(table, workspace)
            parts += edges_of(seen)
        if append:
            parts.append(
                stored.select(a=stored.identifier_a, b=stored.identifier_b, **_rest(stored))
            )
        if not parts:
            return stored
        observed = _deduplicate(parts)
        if append:
            # Engines that refuse to overwrite a table they are reading get a copy in between.
            table = f"{SCRATCH_PREFIX}edges"
            engine.replace_table(table, workspace, observed)
            scratch.append(table)
            observed = engine.table(table, workspace)
        engine.replace_table(IDENTITIES.name, workspace, observed)
    finally:
        for table in scratch:
            engine.drop_table(table, workspace)
    return engine.table(IDENTITIES.name, workspace)


def _rest(t: ir.Table) -> dict[str, ir.Value]:
    return {
        "first_seen": t.first_seen.cast("timestamp"),
        "origin": t.origin.cast("string"),
        "source_file": t.source_file.cast("string"),
    }


def _pair(t: ir.Table, a: ir.StringValue, b: ir.StringValue, origin, first_seen) -> ir.Table:
    """One row per observation: the link a-b, or the usable end alone when the other is junk."""
    rows = t.select(
        a=ibis.coalesce(a, b),
        b=ibis.coalesce(b, a),
        first_seen=first_seen.cast("timestamp"),
        origin=ibis.literal(origin) if isinstance(origin, str) else origin,
        source_file=t.source_file.cast("string"),
    )
    return rows.filter(rows.a.notnull())


def _event_sightings(events: ir.Table, junk: Sequence[str]) -> ir.Table:
    """Each distinct combination of ids seen on calls, typed, with its first time and file."""
    calls = events.mutate(
        origin=ibis.cases(
            (events.type == "identify", "identify"),
            (events.type == "alias", "alias"),
            else_="event",
        )
    )
    # Page views repeat the same ids thousands of times: group first, then type each
    # combination once (the typing rules are the costly part).
    ids = ("identity_key", "anonymous_id", "user_id", "email", "previous_id", "origin")
    raw = calls.group_by(*ids).agg(
        timestamp=calls.timestamp.min(), source_file=calls.source_file.min()
    )
    seen = raw.select(
        key=event_key(raw, junk),
        anon=typed_id("anonymous_id", raw.anonymous_id, junk),
        user=typed_id("user_id", raw.user_id, junk),
        email=typed_email(raw.email, junk),
        prev_user=typed_id("user_id", raw.previous_id, junk),
        prev_anon=typed_id("anonymous_id", raw.previous_id, junk),
        origin=raw.origin,
        timestamp=raw.timestamp,
        source_file=raw.source_file,
    )
    return seen.filter(seen.key.notnull())


def _event_edges(ev: ir.Table) -> list[ir.Table]:
    # An alias call's own origin is kept for its alias link only; its other links are events.
    origin = ibis.ifelse(ev.origin == "identify", "identify", "event")
    linked = ev.filter(ev.anon.notnull() & ev.user.notnull())
    emailed = ev.filter(ev.email.notnull())

    # previous_id names either a device or an earlier user id; a value also seen as a user id
    # is taken to be one, so that aliasing two user ids links the right node.
    users = ev.filter(ev.user.notnull()).select(known=ev.user).distinct()
    alias = ev.filter((ev.origin == "alias") & ev.prev_user.notnull() & ev.user.notnull())
    was_user = alias.semi_join(users, alias.prev_user == users.known)
    was_device = alias.anti_join(users, alias.prev_user == users.known)
    return [
        _pair(ev, ev.key, ev.key, "event", ev.timestamp),
        _pair(linked, linked.anon, linked.user, origin, linked.timestamp),
        _pair(emailed, emailed.key, emailed.email, origin, emailed.timestamp),
        _pair(was_user, was_user.prev_user, was_user.user, "alias", was_user.timestamp),
        _pair(was_device, was_device.prev_anon, was_device.user, "alias", was_device.timestamp),
    ]


def _people_sightings(people: ir.Table, junk: Sequence[str]) -> ir.Table:
    return people.select(
        contact=typed_id("contact_id", people.contact_id, junk),
        email=typed_email(people.email, junk),
        user=typed_id("user_id", people.user_id, junk),
        handle=typed_handle(people.social_handle, junk),
        seen=ibis.coalesce(people.created_at, people.loaded_at),
        source_file=people.source_file,
    )


def _people_edges(p: ir.Table) -> list[ir.Table]:
    return [
        _pair(p, p.contact, p.email, "crm", p.seen),
        _pair(p, p.contact, p.user, "crm", p.seen),
        _pair(p, p.contact, p.handle, "crm", p.seen),
    ]


def _interaction_sightings(interactions: ir.Table, junk: Sequence[str]) -> ir.Table:
    t = interactions
    return t.select(
        contact=typed_id("contact_id", t.contact_id, junk),
        email=typed_email(t.email, junk),
        seen=t.timestamp,
        source_file=t.source_file,
    )


def _interaction_edges(t: ir.Table) -> list[ir.Table]:
    return [_pair(t, t.contact, t.email, "crm", t.seen)]


def _deduplicate(parts: list[ir.Table]) -> ir.Table:
    rows = ibis.union(*parts, distinct=False)
    # One spelling per undirected link, so the key dedups a-b and b-a together.
    low = ibis.least(rows.a, rows.b)
    high = ibis.greatest(rows.a, rows.b)
    grouped = rows.group_by(identifier_a=low, identifier_b=high, origin=rows.origin).agg(
        first_seen=rows.first_seen.min(), source_file=rows.source_file.min()
    )
    return grouped.select(*IDENTITIES.schema.names)
