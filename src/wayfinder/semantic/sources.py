"""What each stored table means to the semantic layer: its time, value, people and account columns,
and the common shape every goal occurrence takes once read.

Occurrences have the columns ``OCCURRENCE_SCHEMA``: ``goal``, ``identity_key`` (the typed
identifier the row belongs to: the event's ``identity_key``, ``contact_id:<id>`` for CRM rows, else
``account_id:<id>``), ``person_id`` (the stitched person from ``identity_map``, else the
identity key), ``account_id`` (the row's own account, else the person's profile account),
``timestamp`` and ``value`` (float64, null when the goal has no value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.model.channels import trimmed
from wayfinder.model.identifiers import junk_values, typed_email, typed_id
from wayfinder.store.schema import EVENTS, IDENTITY_MAP, PROFILES, TABLES

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

OCCURRENCE_SCHEMA = ibis.schema(
    {
        "goal": "string",
        "identity_key": "string",
        "person_id": "string",
        "account_id": "string",
        "timestamp": "timestamp",
        "value": "float64",
    }
)


@dataclass(frozen=True)
class TableRole:
    """How rows of one table become occurrences."""

    table: str
    #: When a row happened, unless a goal or metric names another time column.
    time: str
    #: The default value column (summed by revenue-like metrics), or None.
    value: str | None
    #: Person identifier columns in order of preference, with the type they are spelled with
    #: (None: the column already holds a typed identifier).
    people: tuple[tuple[str, str | None], ...]
    account: str | None = None
    #: A row's active span (opened, closed) for snapshot metrics such as MRR or open pipeline.
    span: tuple[str, str] | None = None


ROLES: dict[str, TableRole] = {
    role.table: role
    for role in (
        TableRole("events", "timestamp", "revenue", (("identity_key", None),)),
        TableRole(
            "deals",
            "closed_at",
            "amount",
            (("contact_id", "contact_id"),),
            account="account_id",
            span=("created_at", "closed_at"),
        ),
        TableRole(
            "subscriptions",
            "started_at",
            "mrr",
            (("contact_id", "contact_id"), ("user_id", "user_id")),
            account="account_id",
            span=("started_at", "ended_at"),
        ),
        TableRole(
            "interactions",
            "timestamp",
            "duration_seconds",
            (("contact_id", "contact_id"), ("user_id", "user_id"), ("email", "email")),
            account="account_id",
        ),
        TableRole("people", "created_at", None, (("contact_id", "contact_id"),), "account_id"),
        TableRole("accounts", "created_at", None, (), account="account_id"),
        TableRole("feedback", "timestamp", "score", (("subject", None),)),
        TableRole("spend", "date", "cost", ()),
    )
}


def role_of(table: str) -> TableRole:
    """The role of a table a goal or metric may read; KeyError for others."""
    return ROLES[table]


def current_rows(ws: Workspace, table: str) -> ir.Table:
    """The table as it stands now: for CRM objects, the newest version of each key.

    Re-ingesting a changed object appends a new version (see ``store.ingest``); readers take
    the newest ``loaded_at`` per key, ties broken by content hash so the choice is stable.
    """
    t = ws.table(table)
    spec = TABLES[table]
    if table == EVENTS.name or not spec.key:
        return t
    window = ibis.window(
        group_by=list(spec.key), order_by=[ibis.desc(t.loaded_at), ibis.desc(t.row_hash)]
    )
    return (
        t.mutate(_version=ibis.row_number().over(window))
        .filter(lambda r: r._version == 0)
        .drop("_version")
    )


def identity_key(t: ir.Table, role: TableRole) -> ir.StringValue:
    """The typed identifier of each row: the first person id present, else the account.

    Spelled by ``model.identifiers`` (junk values such as ``0`` skipped), so keys join
    ``identity_map`` exactly as stitching wrote it.
    """
    junk = junk_values()
    keys = []
    for column, kind in role.people:
        if kind is None:
            keys.append(t[column])
        elif kind == "email":
            keys.append(typed_email(t[column], junk))
        else:
            keys.append(typed_id(kind, t[column], junk))
    if role.account is not None:
        keys.append(typed_id("account_id", t[role.account], junk))
    if not keys:
        return ibis.null("string")
    return ibis.coalesce(*keys) if len(keys) > 1 else keys[0]


def occurrence_rows(
    t: ir.Table,
    role: TableRole,
    *,
    goal: str,
    time: ir.Value,
    value: ir.Value | None,
    **extra: ir.Value,
) -> ir.Table:
    """Rows of ``t`` in the occurrence shape (and ``extra`` columns), before people are attached."""
    account = trimmed(t[role.account]) if role.account else ibis.null("string")
    rows = t.select(
        goal=ibis.literal(goal, "string"),
        identity_key=identity_key(t, role),
        account_hint=account,
        timestamp=time.cast("timestamp"),
        value=ibis.null("float64") if value is None else value.cast("float64"),
        **extra,
    )
    return rows.filter(rows.timestamp.notnull())


def attach_people(ws: Workspace, rows: ir.Table) -> ir.Table:
    """Add the stitched person and the account to occurrence rows.

    A row whose identifier is not (yet) stitched stands for a person of its own, so results do
    not depend on whether stitching has run; the account is the row's own, else the profile's.
    """
    idmap = ws.table(IDENTITY_MAP.name)
    idmap = idmap.select(_identifier=idmap.identifier, _person=idmap.person_id)
    profiles = ws.table(PROFILES.name)
    profiles = profiles.select(_pid=profiles.person_id, _account=profiles.account_id)
    joined = rows.left_join(idmap, rows.identity_key == idmap._identifier)
    joined = joined.mutate(_person_id=ibis.coalesce(joined._person, joined.identity_key))
    joined = joined.left_join(profiles, joined._person_id == profiles._pid)
    extra = [c for c in rows.columns if c not in OCCURRENCE_SCHEMA and c != "account_hint"]
    return joined.select(
        goal=joined.goal,
        identity_key=joined.identity_key,
        person_id=joined._person_id,
        account_id=ibis.coalesce(joined.account_hint, joined._account),
        timestamp=joined.timestamp,
        value=joined.value,
        **{c: joined[c] for c in extra},
    )


def conform(rows: ir.Table) -> ir.Table:
    """Occurrence rows cast to ``OCCURRENCE_SCHEMA`` (so unions of goals line up)."""
    return rows.select(
        *(rows[name].cast(dtype).name(name) for name, dtype in OCCURRENCE_SCHEMA.items())
    )
