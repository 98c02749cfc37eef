"""Identity stitching: which identifiers are one person, computed in the engine as Ibis expressions.
Owns the ``identity_map`` and ``identity_issues`` tables; edges and profiles live next door.

Every identifier (node) gets an integer rank by ``(first_seen, identifier)``; connected components
come from label propagation with pointer jumping (``model/components.py``), one materialised table
per round, until no label moves. A person's id is its component's **oldest identifier string**
(``user_id:42``, not a hash): readable, the same for the same input, and stable as long as nothing
older joins the person.

Limits, not blind merges:

- A **hub** is an identifier linked to more than ``max_links`` distinct identifiers of one type
  (a shared office inbox, a kiosk's device id). Its edges are left out and it stays a person of
  its own; it is recorded in ``identity_issues`` (``hub``, size = those links).
- A component still larger than ``max_component_size`` is recorded (``oversized_component``,
  identifier = its would-be person id, size) and not merged: its members are re-stitched over
  strong edges only (both ends ``user_id``, ``contact_id`` or ``email``); a strong component still
  too large leaves each of its identifiers a person of its own.

Incremental runs: when ``identity_map`` holds rows, only persons touched by new evidence are
recomputed: persons with an identifier linked to a new identifier or to another person, persons
sharing their id with a newly found hub, persons that lost identifiers. Their identifiers start
from their previous person's label (or their own, when the person may come apart), so a merge keeps
the older person's id and nothing else moves. Components split for size link different persons,
so they are re-examined on every run (same result, some rounds). Removing an edge whose ends both
remain, or changing the limits or the junk list, needs ``stitch(..., full=True)``. One stitch per
workspace at a time: working tables are named ``identity_work_*``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir

from wayfinder.engines.base import Engine
from wayfinder.errors import ConfigError
from wayfinder.model.components import (
    MAX_ITERATIONS,
    WorkTables,
    components,
    hubs_of,
    links_of,
    pairs,
    ranked_nodes,
)
from wayfinder.model.identifiers import build_edges, event_key, junk_values, normalise_key
from wayfinder.model.profiles import build_profiles
from wayfinder.progress import SILENT, Reporter
from wayfinder.store.schema import (
    EVENTS,
    IDENTITIES,
    IDENTITY_ISSUES,
    IDENTITY_MAP,
    PROFILES,
)


@dataclass(frozen=True)
class StitchReport:
    workspace: str
    incremental: bool
    #: propagation rounds, over every pass (the fallback for oversized components included)
    iterations: int
    nodes: int
    edges: int
    persons: int
    #: persons with more than one identifier
    stitched: int
    #: persons known before this run that were absorbed into an older one
    merged: int
    #: identifiers recomputed in this run (all of them on a first run)
    recomputed: int
    hubs: int
    oversized: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def stitch(
    engine: Engine,
    workspace: str,
    *,
    max_component_size: int = 1000,
    max_links: int = 50,
    junk: Iterable[str] = (),
    full: bool = False,
    rebuild_edges: bool = True,
    max_iterations: int = MAX_ITERATIONS,
    reporter: Reporter | None = None,
) -> StitchReport:
    """Stitch identifiers into persons; rewrite identity_map, identity_issues and profiles.

    ``rebuild_edges=False`` stitches the ``identities`` table as stored (typed identifiers are
    re-spelled and junk dropped on the way in); ``full=True`` ignores the previous map.
    """
    if max_component_size < 1 or max_links < 1:
        raise ConfigError(
            "stitching limits must be at least 1", value=(max_component_size, max_links)
        )
    started = time.perf_counter()
    reporter = reporter or SILENT
    junk_list = junk_values(junk)
    for spec in (IDENTITIES, IDENTITY_MAP, IDENTITY_ISSUES, PROFILES):
        engine.create_table(spec.name, workspace, spec.schema)
    work = WorkTables(engine, workspace)
    reporter.start("identity", None, "iterations")
    try:
        if rebuild_edges:
            reporter.note("identity: collecting identifier links")
            identities = build_edges(engine, workspace, junk=junk_list)
            links = identities.select(
                a=identities.identifier_a,
                b=identities.identifier_b,
                first_seen=identities.first_seen,
            )
        else:
            identities = engine.table(IDENTITIES.name, workspace)
            spelled = identities.select(
                a=normalise_key(identities.identifier_a, junk_list),
                b=normalise_key(identities.identifier_b, junk_list),
                first_seen=identities.first_seen,
            )
            # A link to a junk id still says its other end exists.
            links = spelled.select(
                a=spelled.a.coalesce(spelled.b),
                b=spelled.b.coalesce(spelled.a),
                first_seen=spelled.first_seen,
            )
        edges = work.put("pairs", pairs(links))
        nodes = work.put("nodes", ranked_nodes(edges))
        hubs = work.put("hubs", hubs_of(edges, nodes, max_links))
        graph = work.put("links", links_of(edges, nodes, hubs))

        old_map = engine.table(IDENTITY_MAP.name, workspace)
        incremental = not full and engine.scalar(old_map.limit(1).count()) > 0
        previous = touched = None
        if incremental:
            previous = work.put("previous", _previous(nodes, old_map))
            touched = work.put("touched", _touched(previous, graph, hubs, old_map, nodes))
            seeds = _seeds(previous, touched)
        else:
            seeds = nodes.select(node=nodes.node, label=nodes.node)

        def progress(done: int) -> None:
            reporter.advance("identity", done)

        labels, oversized, iterations = components(
            work, seeds, graph, incremental, max_component_size, max_iterations, progress
        )
        # The new map reads working tables only, never identity_map, so it can be written over.
        engine.replace_table(
            IDENTITY_MAP.name, workspace, _new_map(labels, nodes, previous, touched)
        )
        _write_issues(work, hubs, oversized, nodes, touched)
        build_profiles(engine, workspace, junk=junk_list)
        figures = _figures(engine, workspace, identities, nodes, hubs, oversized, labels, touched)
        report = StitchReport(
            workspace=workspace,
            incremental=incremental,
            iterations=iterations,
            seconds=time.perf_counter() - started,
            **figures,
        )
    finally:
        work.drop_all()
        reporter.finish("identity")
    reporter.note(
        f"identity: {report.persons} persons from {report.nodes} identifiers "
        f"in {report.iterations} iterations"
    )
    return report


# -- incremental ---------------------------------------------------------------------------------
def _previous(nodes: ir.Table, old_map: ir.Table) -> ir.Table:
    """Every node with its previous person (null when new) and that person's rank."""
    before = old_map.select(known=old_map.identifier, person_id=old_map.person_id)
    with_person = nodes.left_join(before, nodes.identifier == before.known)
    twin = nodes.view()
    owners = twin.select(owner=twin.identifier, person_node=twin.node)
    full = with_person.left_join(owners, with_person.person_id == owners.owner)
    return full.select(
        node=full.node,
        identifier=full.identifier,
        first_seen=full.first_seen,
        person_id=full.person_id,
        person_node=full.person_node,
    )


def _touched(
    previous: ir.Table, links: ir.Table, hubs: ir.Table, old_map: ir.Table, nodes: ir.Table
) -> ir.Table:
    """Previous persons to recompute; ``resplit`` = 1 when they may come apart (start afresh)."""
    src = previous.select(s_node=previous.node, s_person=previous.person_id)
    twin = previous.view()
    dst = twin.select(d_node=twin.node, d_person=twin.person_id)
    ends = links.join(src, links.src == src.s_node).join(dst, links.dst == dst.d_node)
    # Links run both ways, so taking the source end's person covers both persons of a new link.
    new_link = ends.d_person.isnull() | (ends.s_person != ends.d_person)
    linked = ends.filter(ends.s_person.notnull() & new_link.fill_null(True))
    linked = linked.select(person_id=linked.s_person, resplit=ibis.literal(0))
    # A hub alone is already as split as it gets; a hub sharing a person was merged before it
    # became a hub, and that person must come apart.
    shared = previous.filter(previous.person_id.notnull())
    shared = shared.group_by("person_id").agg(members=shared.count())
    shared = shared.filter(shared.members > 1)
    holding_hub = previous.semi_join(hubs, previous.node == hubs.node)
    holding_hub = holding_hub.semi_join(shared, holding_hub.person_id == shared.person_id)
    holding_hub = holding_hub.select(person_id=holding_hub.person_id, resplit=ibis.literal(1))
    lost = old_map.anti_join(nodes, old_map.identifier == nodes.identifier)
    lost = lost.select(person_id=lost.person_id, resplit=ibis.literal(1))
    reasons = ibis.union(linked, holding_hub, lost, distinct=False)
    return reasons.group_by("person_id").agg(resplit=reasons.resplit.max())


def _seeds(previous: ir.Table, touched: ir.Table) -> ir.Table:
    """Starting labels of the nodes to recompute: their previous person's rank, or their own."""
    t = touched.select(t_person=touched.person_id, resplit=touched.resplit)
    joined = previous.left_join(t, previous.person_id == t.t_person)
    chosen = joined.filter(joined.person_id.isnull() | joined.t_person.notnull())
    fresh = chosen.person_node.isnull() | (chosen.resplit == 1)
    return chosen.select(
        node=chosen.node, label=ibis.ifelse(fresh, chosen.node, chosen.person_node)
    )


# -- outputs -------------------------------------------------------------------------------------
def _new_map(labels, nodes, previous, touched) -> ir.Table:
    """identity_map: recomputed nodes with their new person, the others as they were."""
    twin = nodes.view()
    owners = twin.select(owner_node=twin.node, person_id=twin.identifier)
    fresh = labels.join(nodes, labels.node == nodes.node).join(
        owners, labels.label == owners.owner_node
    )
    fresh = fresh.select("identifier", "person_id", "first_seen")
    if previous is None:
        return fresh
    kept = previous.filter(previous.person_id.notnull())
    kept = kept.anti_join(touched, kept.person_id == touched.person_id)
    kept = kept.select("identifier", "person_id", "first_seen")
    return ibis.union(kept, fresh, distinct=False)


def _write_issues(work: WorkTables, hubs, oversized, nodes, touched) -> None:
    """identity_issues: current hubs and oversized components, keeping first detection times."""
    engine, workspace = work.engine, work.workspace
    now = ibis.literal(datetime.now(UTC).replace(tzinfo=None), type="timestamp")
    hub_rows = hubs.select(
        identifier=hubs.identifier, issue=ibis.literal("hub"), size=hubs.links.cast("int64")
    )
    big = oversized.join(nodes, oversized.label == nodes.node)
    big_rows = big.select(
        identifier=big.identifier,
        issue=ibis.literal("oversized_component"),
        size=big.size.cast("int64"),
    )
    found = ibis.union(hub_rows, big_rows, distinct=False)
    old = engine.table(IDENTITY_ISSUES.name, workspace)
    if engine.scalar(old.limit(1).count()) == 0:
        engine.replace_table(IDENTITY_ISSUES.name, workspace, found.mutate(detected_at=now))
        return
    before = old.select(o_id=old.identifier, o_issue=old.issue, o_at=old.detected_at)
    dated = found.left_join(
        before, (found.identifier == before.o_id) & (found.issue == before.o_issue)
    )
    rows = dated.select(
        "identifier", "issue", "size", detected_at=dated.o_at.coalesce(now).cast("timestamp")
    )
    if touched is not None:
        # Oversized components nobody touched were not re-examined: their record stands.
        standing = old.filter(old.issue == "oversized_component")
        standing = standing.anti_join(touched, standing.identifier == touched.person_id)
        standing = standing.anti_join(found, standing.identifier == found.identifier)
        standing = standing.select(*rows.columns).cast(rows.schema())
        rows = ibis.union(rows, standing, distinct=False)
    # identity_issues is read above, so the rows go through a working table first.
    engine.replace_table(IDENTITY_ISSUES.name, workspace, work.put("issues", rows))


def _figures(engine, workspace, identities, nodes, hubs, oversized, labels, touched) -> dict:
    """The report's counts, fetched in one query (one row of cross-joined aggregates)."""
    identity_map = engine.table(IDENTITY_MAP.name, workspace)
    sizes = identity_map.group_by("person_id").agg(n=identity_map.count())
    row = sizes.aggregate(persons=sizes.count(), stitched=(sizes.n > 1).sum().cast("int64"))
    counted = {
        "nodes": nodes,
        "edges": identities,
        "hubs": hubs,
        "oversized": oversized,
        "recomputed": labels,
    }
    if touched is not None:
        persons = sizes.view()
        counted["merged"] = touched.anti_join(persons, touched.person_id == persons.person_id)
    for name, table in counted.items():
        row = row.cross_join(table.aggregate(**{name: table.count()}))
    figures = engine.to_arrow(row).to_pylist()[0]
    figures.setdefault("merged", 0)
    return {name: int(value or 0) for name, value in figures.items()}


# -- reading the result --------------------------------------------------------------------------
def person_of(engine: Engine, workspace: str, identifier: str) -> str | None:
    """The person an identifier (``email:Ann@x.com``, ``user_id:42``) belongs to, if stitched."""
    kind, sep, value = identifier.partition(":")
    if not sep:
        raise ConfigError(
            "an identifier is typed",
            value=identifier,
            hint="write it as type:value, e.g. user_id:42",
        )
    kind, value = kind.strip(), value.strip()
    if kind in ("email", "handle"):
        value = value.lower()
    wanted = f"{kind}:{value}"
    identity_map = engine.table(IDENTITY_MAP.name, workspace)
    found = identity_map.filter(identity_map.identifier == wanted).select("person_id").limit(1)
    rows = engine.to_arrow(found).column("person_id").to_pylist()
    return rows[0] if rows else None


def events_with_person(engine: Engine, workspace: str, *, junk: Iterable[str] = ()) -> ir.Table:
    """The events with a ``person_id`` column (null for events no person could be found for)."""
    events = engine.table(EVENTS.name, workspace)
    identity_map = engine.table(IDENTITY_MAP.name, workspace)
    columns = [c for c in events.columns if c != "person_id"]
    keyed = events.select(*columns, wf_person_key=event_key(events, junk_values(junk)))
    persons = identity_map.select(
        wf_identifier=identity_map.identifier, person_id=identity_map.person_id
    )
    joined = keyed.left_join(persons, keyed.wf_person_key == persons.wf_identifier)
    return joined.select(*columns, "person_id")


__all__ = ["MAX_ITERATIONS", "StitchReport", "events_with_person", "person_of", "stitch"]
