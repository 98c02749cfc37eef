"""Person profiles: one row per stitched person with its ids and the account it belongs to.
Owns the ``profiles`` table, rebuilt from ``identity_map``, people and group calls after stitching.

Choices are deterministic: the e-mail, user id and contact id shown are the person's oldest of
that type (by first sighting, then by spelling). The account is the one the CRM gives the
person's oldest contact that has one; failing that, the group id of the person's latest group
call (people change companies, and the latest call says where they are now).
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from wayfinder.engines.base import Engine
from wayfinder.engines.portable import strip
from wayfinder.model.identifiers import event_key, is_junk, junk_values, kind_of, typed_id
from wayfinder.store.schema import EVENTS, IDENTITY_MAP, PEOPLE, PROFILES

#: Profile columns filled from the person's identifiers, by identifier type.
SHOWN_TYPES = ("email", "user_id", "contact_id")


def build_profiles(engine: Engine, workspace: str, *, junk: Iterable[str] = ()) -> ir.Table:
    """Rewrite ``profiles`` from the current ``identity_map``."""
    junk_list = junk_values(junk)
    present = set(engine.list_tables(workspace))
    identity_map = engine.table(IDENTITY_MAP.name, workspace)
    profiles = _identifiers(identity_map)
    accounts = []
    if PEOPLE.name in present:
        accounts.append(
            _crm_accounts(engine.table(PEOPLE.name, workspace), identity_map, junk_list)
        )
    if EVENTS.name in present:
        accounts.append(
            _group_accounts(engine.table(EVENTS.name, workspace), identity_map, junk_list)
        )
    for rank, found in enumerate(accounts):
        found = found.select(p=found.person_id, **{f"account_{rank}": found.account_id})
        profiles = profiles.left_join(found, profiles.person_id == found.p).drop("p")
    account = ibis.coalesce(
        *(profiles[f"account_{r}"] for r in range(len(accounts))), ibis.null("string")
    )
    profiles = profiles.mutate(account_id=account)
    engine.replace_table(PROFILES.name, workspace, profiles.select(*PROFILES.schema.names))
    return engine.table(PROFILES.name, workspace)


def _oldest_first(t: ir.Table, group: list, order: list) -> ir.Table:
    """The first row of each group by ``order`` (a row_number window, portable everywhere)."""
    ranked = t.mutate(wf_rank=ibis.row_number().over(group_by=group, order_by=order))
    return ranked.filter(ranked.wf_rank == 0).drop("wf_rank")


def _identifiers(identity_map: ir.Table) -> ir.Table:
    m = identity_map.mutate(kind=kind_of(identity_map.identifier))
    shown = _oldest_first(
        m.filter(m.kind.isin(list(SHOWN_TYPES))),
        [m.person_id, m.kind],
        [ibis.asc(m.first_seen, nulls_first=False), m.identifier],
    )
    value = shown.identifier.substr(shown.kind.length() + 1)
    pivot = shown.group_by(p=shown.person_id).agg(
        **{
            kind: ibis.ifelse(shown.kind == kind, value, ibis.null("string")).max()
            for kind in SHOWN_TYPES
        }
    )
    summary = m.group_by("person_id").agg(
        identifiers=m.count().cast("int64"), first_seen=m.first_seen.min()
    )
    joined = summary.left_join(pivot, summary.person_id == pivot.p)
    return joined.select("person_id", "identifiers", *SHOWN_TYPES, "first_seen")


def _crm_accounts(people: ir.Table, identity_map: ir.Table, junk: list[str]) -> ir.Table:
    contacts = people.filter(~is_junk(people.account_id, junk)).select(
        key=typed_id("contact_id", people.contact_id, junk),
        account_id=strip(people.account_id),
        seen=ibis.coalesce(people.created_at, people.loaded_at),
    )
    owned = contacts.join(identity_map, contacts.key == identity_map.identifier)
    first = _oldest_first(
        owned,
        [owned.person_id],
        [ibis.asc(owned.seen, nulls_first=False), owned.key, owned.account_id],
    )
    return first.select("person_id", "account_id")


def _group_accounts(events: ir.Table, identity_map: ir.Table, junk: list[str]) -> ir.Table:
    calls = events.filter((events.type == "group") & ~is_junk(events.group_id, junk))
    calls = calls.select(
        key=event_key(calls, junk), account_id=strip(calls.group_id), called_at=calls.timestamp
    )
    owned = calls.join(identity_map, calls.key == identity_map.identifier)
    latest = _oldest_first(
        owned, [owned.person_id], [ibis.desc(owned.called_at, nulls_first=False), owned.account_id]
    )
    return latest.select("person_id", "account_id")
