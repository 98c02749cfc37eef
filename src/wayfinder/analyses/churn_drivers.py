"""Churn drivers: the spec (level, where churn comes from, windows, thresholds) and its runner,
which builds churned vs retained units and their features and hands them to ``find_drivers``.

Population and features live in ``wayfinder.explain.churn_features``; the statistics, the
multivariate check and the words in ``wayfinder.explain.drivers``. Semantics:
docs/analyses/drivers.md, "Churn drivers".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from pydantic import Field

from wayfinder.analyses.runner import Output, Runner
from wayfinder.analyses.spec import SpecBase
from wayfinder.errors import ConfigError
from wayfinder.explain import churn_features as cf

if TYPE_CHECKING:
    from wayfinder.analyses.population import Population
    from wayfinder.workspace import Workspace


class ChurnDriversSpec(SpecBase):
    """What sets churned accounts or people apart: ``{"kind": "churn_drivers"}``.

    The data's end is the end of ``time`` when given (an "as of" date), else the day after the
    newest event; only what is known by then is read.
    """

    kind: Literal["churn_drivers"] = "churn_drivers"
    #: Accounts or people; None: accounts when the churn comes from subscriptions, else people.
    level: Literal["account", "person"] | None = None
    #: Where churn comes from: canceled subscriptions, or going silent. None: subscriptions when
    #: the workspace has any, else inactivity.
    source: Literal["subscriptions", "inactivity"] | None = None
    #: Inactivity: churned means no event at all in this many days before the end.
    inactive_days: int = Field(default=60, ge=1, le=3650)
    #: Only lives (or people) started at least this long before the end: time to churn.
    min_tenure_days: int = Field(default=120, ge=0, le=3650)
    #: Features are measured in this many days before each unit's reference date.
    lookback_days: int = Field(default=90, ge=1, le=3650)
    #: A feature needs this many units to be tested.
    min_support: int = Field(default=30, ge=1)
    #: False discovery rate (Benjamini-Hochberg) for calling a driver significant.
    fdr: float = Field(default=0.05, gt=0, lt=1)
    #: Check the significant drivers together (L1 logistic regression).
    multivariate: bool = True
    max_model_features: int = Field(default=50, ge=1, le=500)

    def describe(self) -> str:
        unit = f"{self.level or 'unit'}s"
        if self.source == "inactivity":
            how = f"churned = no activity in the last {self.inactive_days} days"
        elif self.source == "subscriptions":
            how = "churned = subscription canceled"
        else:
            how = "churn from subscriptions, else inactivity"
        return (
            f"What sets churned {unit} apart ({how}), features in the {self.lookback_days} days "
            f"before each cancellation or the end, {unit} with {self.min_tenure_days}+ days of "
            f"tenure; {self.describe_scope()}"
        )


class ChurnDriversRunner(Runner):
    kind = "churn_drivers"
    spec_type = ChurnDriversSpec

    def validate(self, spec: SpecBase, ws: Workspace) -> SpecBase:
        assert isinstance(spec, ChurnDriversSpec)
        subs = int(ws.engine.scalar(ws.table("subscriptions").count()))
        source = spec.source or ("subscriptions" if subs else "inactivity")
        if source == "subscriptions" and not subs:
            raise ConfigError(
                "no subscriptions to take churn from",
                value=ws.name,
                hint='load subscriptions, or use "source": "inactivity"',
            )
        level = spec.level or ("account" if source == "subscriptions" else "person")
        return spec.model_copy(update={"source": source, "level": level})

    def compute(self, spec: SpecBase, pop: Population) -> Output:
        from wayfinder.explain.drivers import find_drivers

        assert isinstance(spec, ChurnDriversSpec)
        end = data_end(pop)
        units = churn_units(spec, pop, end)
        features, people = cf.churn_features(
            pop, units, level=spec.level or "account", days=spec.lookback_days
        )
        plural = "accounts" if spec.level == "account" else "people"
        drivers = find_drivers(
            pop.ws.engine,
            units.select("unit_id", "success"),
            features,
            min_support=spec.min_support,
            fdr=spec.fdr,
            multivariate=spec.multivariate,
            max_model_features=spec.max_model_features,
            outcome_words=("churned", "churn"),
            population_word=plural,
        )
        sizes = pop.ws.engine.to_arrow(
            units.aggregate(units=units.count(), churned=units.success.cast("int64").sum())
        ).to_pylist()[0]
        total, churned = int(sizes["units"] or 0), int(sizes["churned"] or 0)
        population = pa.table(
            {
                "source": [spec.source],
                "level": [spec.level],
                "end": [end],
                "units": [total],
                "churned": [churned],
                "churn_rate": [churned / total if total else float("nan")],
            }
        )

        def drill(feature: str | None = None, churned: bool | None = None) -> ir.Table:
            """People behind a driver: ``people(feature="usage:seats<0.4", churned=True)``."""
            chosen = drivers.drill(feature, churned)
            return people.filter(people.unit_id.isin(chosen.unit_id)).select("person_id")

        return Output(
            table=drivers.table,
            answer=_answer(drivers.table, total, churned, plural),
            chart=_chart(drivers.table),
            tables={"population": population, "warnings": pa.table({"warning": drivers.warnings})},
            drill=drill,
            why=drivers.reasons,
        )


def data_end(pop: Population) -> datetime:
    """The end of the spec's range, else midnight after the newest event (else the newest
    subscription or interaction): churn and tenure are counted up to it."""
    if pop.end is not None:
        return pop.end
    ws = pop.ws
    newest = ws.engine.scalar(ws.table("events").timestamp.max())
    if newest is None:
        subs, inter = ws.table("subscriptions"), ws.table("interactions")
        candidates = [
            ws.engine.scalar(subs.started_at.max()),
            ws.engine.scalar(subs.ended_at.max()),
            ws.engine.scalar(inter.timestamp.max()),
        ]
        newest = max((c for c in candidates if c is not None), default=None)
    if newest is None:
        raise ConfigError("the workspace has no data to measure churn on", value=ws.name)
    newest = newest.replace(tzinfo=None)
    return datetime(newest.year, newest.month, newest.day) + timedelta(days=1)


def churn_units(spec: ChurnDriversSpec, pop: Population, end: datetime) -> ir.Table:
    """The population with the columns every feature builder reads: ``unit_id``, ``success``
    (churned), ``ref``, ``account_id``, ``person_id`` (+ plan, seats ... from subscriptions)."""
    ws = pop.ws
    profiles = pop.profiles().select("person_id", "account_id", "contact_id")
    if spec.source == "subscriptions":
        units = cf.subscription_units(
            ws.table("subscriptions"), end, min_tenure_days=spec.min_tenure_days
        )
        if spec.level == "person":
            p = profiles.view()
            j = units.join(p, units.contact_id == p.contact_id)
            units = j.select(*[units[c] for c in units.columns], person_id=p.person_id)
        else:
            units = units.mutate(person_id=ibis.null("string"))
            if pop.leaves_people_out():
                # An account is analysed while any of its people may be.
                units = units.filter(units.account_id.isin(profiles.account_id))
        return units
    events = pop.events(in_range=False)
    if spec.level == "account":
        p = profiles.view()
        events = events.join(p, events.person_id == p.person_id).select(
            events.timestamp, account_id=p.account_id
        )
    units = cf.inactivity_units(
        events,
        end,
        key="account_id" if spec.level == "account" else "person_id",
        inactive_days=spec.inactive_days,
        min_tenure_days=spec.min_tenure_days,
    )
    if spec.level == "account":
        return units.mutate(account_id=units.unit_id, person_id=ibis.null("string"))
    p = profiles.view()
    j = units.left_join(p, units.unit_id == p.person_id)
    return j.select(
        units.unit_id, units.success, units.ref, account_id=p.account_id, person_id=units.unit_id
    )


def _answer(table: pa.Table, total: int, churned: int, plural: str) -> str:
    if not total:
        return f"No {plural} to study: none started early enough to have had time to churn."
    # Drivers of more churn that survive the multivariate check (near-duplicates drop out).
    rows = [
        r
        for r in table.to_pylist()
        if r["significant"]
        and (r["odds_ratio"] or 0) > 1
        and r["holds_when_controlled"] is not False
    ]
    head = f"{churned} of {total} {plural} churned ({churned / total:.0%})."
    if not rows:
        protective = [
            r
            for r in table.to_pylist()
            if r["significant"]
            and (r["odds_ratio"] or 0) < 1
            and r["holds_when_controlled"] is not False
        ]
        if not protective:
            return head + " No feature sets them apart at the chosen false discovery rate."
        top = "; ".join(
            f"{r['label']} ({r['rate_with']:.0%} churned vs {r['rate_without']:.0%})"
            for r in protective[:3]
        )
        return (
            f"{head} No feature goes with more churn at the chosen false discovery rate; "
            f"less churn goes with: {top}. Associations, not proven causes."
        )
    top = "; ".join(
        f"{r['label']} ({r['rate_with']:.0%} churned vs {r['rate_without']:.0%})" for r in rows[:3]
    )
    return f"{head} Churn is most associated with: {top}. Associations, not proven causes."


def _chart(table: pa.Table) -> dict[str, Any]:
    rows = [r for r in table.to_pylist() if r["significant"]][:15][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [r["label"] for r in rows],
                "x": [r["lift"] for r in rows],
                "name": "churn rate with / without",
            }
        ],
        "layout": {
            "title": {"text": "Churn drivers (lift of the churn rate)"},
            "xaxis": {"title": {"text": "churn rate with the feature / without"}, "type": "log"},
        },
    }
