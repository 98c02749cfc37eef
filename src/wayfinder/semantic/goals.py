"""Goals compiled to Ibis: every time a person (or account) reached a goal, as one table of
occurrences that runs in the engine (columns: ``sources.OCCURRENCE_SCHEMA``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.errors import UnknownName
from wayfinder.semantic.conditions import read_number
from wayfinder.semantic.definitions import EventGoal, Goal, NthGoal, PageGoal, TableGoal
from wayfinder.semantic.sources import (
    ROLES,
    attach_people,
    conform,
    current_rows,
    occurrence_rows,
)

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

#: Event types that are page views for page goals.
PAGE_TYPE = "page"


def occurrences(goal: Goal, ws: Workspace, goals: Mapping[str, Goal]) -> ir.Table:
    """Each occurrence of ``goal``: goal, identity_key, person_id, account_id, timestamp, value.

    ``goals`` resolves the goals a derived goal is built from.
    """
    d = goal.definition
    if isinstance(d, NthGoal):
        return _nth(goal, d, ws, goals)
    if isinstance(d, EventGoal | PageGoal):
        rows = _event_rows(goal.name, d, ws)
    else:
        rows = _table_rows(goal.name, d, ws)
    return conform(attach_people(ws, rows))


def _event_rows(name: str, d: EventGoal | PageGoal, ws: Workspace) -> ir.Table:
    t = current_rows(ws, "events")
    if isinstance(d, EventGoal):
        t = t.filter(t.event == d.event)
        if d.type is not None:
            t = t.filter(t.type == d.type)
        value = read_number(t, d.value) if d.value else None
    else:
        t = t.filter((t.type == PAGE_TYPE) & t.path.re_search(d.regex))
        value = None
    for condition in d.where:
        t = t.filter(condition.compile(t))
    return occurrence_rows(t, ROLES["events"], goal=name, time=t.timestamp, value=value)


def _table_rows(name: str, d: TableGoal, ws: Workspace) -> ir.Table:
    role = ROLES[d.table]
    t = current_rows(ws, d.table)
    for condition in d.where:
        t = t.filter(condition.compile(t))
    value_column = d.value or role.value
    value = read_number(t, value_column) if value_column else None
    return occurrence_rows(t, role, goal=name, time=t[d.time or role.time], value=value)


def _nth(goal: Goal, d: NthGoal, ws: Workspace, goals: Mapping[str, Goal]) -> ir.Table:
    """The nth occurrence (or nth and later) of the ``of`` goals together, per person or account.

    Ranking runs over all time, before any period filter, so a repeat purchase in March is one
    even when the first purchase was in January. Ties in time are broken by identifier and
    value so the choice is the same on every engine.
    """
    parts = []
    for name in d.of:
        if name not in goals:
            raise UnknownName(f"goal {goal.name!r} is derived from an unknown goal", value=name)
        parts.append(occurrences(goals[name], ws, goals))
    rows = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    unit = "account_id" if goal.level == "account" else "person_id"
    rows = rows.filter(rows[unit].notnull())
    window = ibis.window(
        group_by=rows[unit], order_by=[rows.timestamp, rows.identity_key, rows.value]
    )
    ranked = rows.mutate(_rank=ibis.row_number().over(window) + 1)
    keep = ranked._rank >= d.nth if d.or_later else ranked._rank == d.nth
    ranked = ranked.filter(keep).mutate(goal=ibis.literal(goal.name, "string"))
    return conform(ranked)
