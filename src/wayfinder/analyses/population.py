"""The population: the people and events every analysis may read, with the workspace's rules
applied.

Every runner reads through ``Population``, so a rule that must hold everywhere is added here once:
people who withdrew consent to analytics are left out, as are the workspace's excluded people
(test accounts, staff) and anyone outside the spec's person and account filters. Event filters
and the time range cut events; a person's id is the stitched ``person_id``, else the event's own
identity key (an unstitched visitor is a person of their own, as in the semantic layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from wayfinder.analyses.spec import Filter, SpecBase
from wayfinder.errors import ConfigError
from wayfinder.semantic.conditions import check_column
from wayfinder.store.schema import ACCOUNTS, EVENTS, PROFILES

if TYPE_CHECKING:
    from wayfinder.workspace import Workspace

#: The consent purpose that covers analysis of behaviour.
ANALYTICS = "analytics"
#: Identifier types a consent subject may be written with (``email:ann@x.com``).
_TYPED = ("email", "user_id", "anonymous_id", "contact_id", "handle", "account_id")


@dataclass
class Population:
    """The events and people one spec may read; built by ``Population.of(ws, spec)``."""

    ws: Workspace
    spec: SpecBase
    #: ``[start, end)`` of the spec's time range, naive UTC; None when open.
    start: datetime | None
    end: datetime | None
    excluded: list[Filter] = field(default_factory=list)

    @classmethod
    def of(cls, ws: Workspace, spec: SpecBase) -> Population:
        check_filters(spec.filters)
        newest = None
        if spec.time.last:
            events = ws.table(EVENTS.name)
            newest = ws.engine.scalar(events.timestamp.max())
        start, end = spec.time.bounds(spec.zone, newest)
        return cls(ws, spec, start, end, list(getattr(ws, "excluded_people", [])))

    # -- events ----------------------------------------------------------------------------------
    def events(self, *, in_range: bool = True) -> ir.Table:
        """Events with ``person_id``, of allowed people, passing the event filters.

        ``in_range=False`` ignores the time range (first-ever events, conversion windows that
        run past the range's end); the filters and rules still apply.
        """
        events = self.ws.table(EVENTS.name)
        if in_range:
            events = self.in_range(events, events.timestamp)
        for f in self.spec.filters:
            if f.on == "event":
                events = events.filter(f.compile(events))
        idmap = self.ws.table("identity_map")
        idmap = idmap.select(_identifier=idmap.identifier, _person=idmap.person_id)
        joined = events.left_join(idmap, events.identity_key == idmap._identifier)
        columns = [c for c in events.columns if c != "person_id"]
        events = joined.select(
            person_id=ibis.coalesce(joined._person, joined.identity_key),
            **{c: joined[c] for c in columns},
        )
        return self.allowed(events)

    def in_range(self, t: ir.Table, time: ir.TimestampValue) -> ir.Table:
        """Rows of ``t`` whose ``time`` falls in the spec's range."""
        if self.start is not None:
            t = t.filter(time >= self.start)
        if self.end is not None:
            t = t.filter(time < self.end)
        return t

    # -- people ----------------------------------------------------------------------------------
    def allowed(self, t: ir.Table, key: str = "person_id") -> ir.Table:
        """Rows of ``t`` whose ``key`` is a person this spec may read (rules and person filters)."""
        withdrawn = self._withdrawn()
        if withdrawn is not None:
            # IN-subqueries, not anti/semi joins: ``t`` is often a projection of a join, which
            # Ibis 12 cannot join again to a relation built from the same tables.
            t = t.filter(~t[key].isin(withdrawn._withdrawn))
        people_filters = [f for f in self.spec.filters if f.on != "event"]
        if people_filters:
            chosen = self._profiles_where(people_filters, any_of=False)
            t = t.filter(t[key].isin(chosen._chosen))
        # Excluded people go; people without a profile (never identified) stay.
        exclusions = [f for f in self.excluded if f.on != "event"]
        if exclusions:
            excluded = self._profiles_where(exclusions, any_of=True)
            t = t.filter(~t[key].isin(excluded._chosen))
        return t

    def leaves_people_out(self) -> bool:
        """True when a rule removes someone (withdrawn consent, exclusions, person filters): code
        that cannot read through the population must then refuse rather than count them."""
        return (
            self._withdrawn() is not None
            or any(f.on != "event" for f in self.excluded)
            or any(f.on != "event" for f in self.spec.filters)
        )

    def profiles(self) -> ir.Table:
        """The profiles of allowed people (``person_id``, ``email``, ``account_id``, ...)."""
        return self.allowed(self.ws.table(PROFILES.name))

    def _profiles_where(self, filters: list[Filter], *, any_of: bool) -> ir.Table:
        """Person ids whose profile (and account) meets all ``filters``, or any with ``any_of``."""
        profiles = self.ws.table(PROFILES.name).view()
        if any(f.on == "account" for f in filters):
            accounts = self.ws.table(ACCOUNTS.name)
            profiles = profiles.left_join(
                accounts, profiles.account_id == accounts.account_id
            ).select(
                *[profiles[c] for c in profiles.columns],
                *[accounts[c].name(f"account__{c}") for c in accounts.columns if c != "account_id"],
            )
        conditions = [_on_profile(f).compile(profiles).fill_null(False) for f in filters]
        combined = conditions[0]
        for c in conditions[1:]:
            combined = (combined | c) if any_of else (combined & c)
        return profiles.filter(combined).select(_chosen=profiles.person_id)

    def _withdrawn(self) -> ir.Table | None:
        """Persons whose latest analytics consent is a withdrawal; None when nobody withdrew.

        One cheap count first, so workspaces without withdrawals pay no join.
        """
        consents = self.ws.table("consents")
        analytics = consents.filter(consents.purpose.lower() == ANALYTICS)
        if not self.ws.engine.scalar((~analytics.granted).fill_null(False).sum()):
            return None
        subject = analytics.subject.strip()
        prefix = subject.split(":")[0].lower()
        identifier = ibis.cases(
            (prefix.isin(_TYPED) & subject.contains(":"), subject),
            (subject.contains("@"), "email:" + subject.lower()),
            else_="user_id:" + subject,
        )
        keyed = analytics.select(
            identifier=identifier, granted=analytics.granted, timestamp=analytics.timestamp
        )
        # A view: the events side joins identity_map too, and Ibis needs distinct relations.
        idmap = self.ws.table("identity_map").view()
        joined = keyed.left_join(idmap, keyed.identifier == idmap.identifier)
        keyed = joined.select(
            person=ibis.coalesce(joined.person_id, keyed.identifier),
            granted=joined.granted,
            timestamp=joined.timestamp,
        )
        latest = keyed.group_by("person").aggregate(granted=keyed.granted.argmax(keyed.timestamp))
        return latest.filter(~latest.granted).select(_withdrawn=latest.person)


def _on_profile(f: Filter) -> Filter:
    """A person or account filter rewritten to the joined profile columns."""
    if f.on == "account" and f.property != "account_id":
        return f.model_copy(update={"property": f"account__{f.property}"})
    return f


def check_filters(filters: tuple[Filter, ...] | list[Filter]) -> None:
    """Fail before running when a filter names a column its scope does not have."""
    tables = {"event": EVENTS, "person": PROFILES, "account": ACCOUNTS}
    for f in filters:
        table = tables[f.on]
        problem = check_column(table, f.property)
        if problem:
            raise ConfigError(f"cannot filter on {f.on} property", value=f.property, hint=problem)


def as_text(value: ir.Value, none: str = "(none)") -> ir.StringValue:
    """A dimension's value as text for grouping, ``none`` where it is unknown."""
    return ibis.coalesce(value.cast("string"), ibis.literal(none))


def with_profile_value(
    pop: Population, rows: ir.Table, on: str, property: str, name: str
) -> ir.Table:
    """``rows`` with column ``name``: a property of each row's person (``on="person"``) or of
    the person's account (``on="account"``) as text, ``(none)`` when unknown."""
    from wayfinder.semantic.conditions import read_column
    from wayfinder.semantic.sources import current_rows

    profiles = pop.ws.table(PROFILES.name)
    if on == "person":
        keyed = profiles.select(_pid=profiles.person_id, _g=read_column(profiles, property))
    else:
        accounts = current_rows(pop.ws, "accounts")
        accounts = accounts.select(_aid=accounts.account_id, _g=read_column(accounts, property))
        joined = profiles.join(accounts, profiles.account_id == accounts._aid)
        keyed = joined.select(_pid=joined.person_id, _g=joined._g)
    joined = rows.left_join(keyed, rows.person_id == keyed._pid)
    return joined.select(*[joined[c] for c in rows.columns], **{name: as_text(joined._g)})
