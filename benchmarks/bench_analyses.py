"""Journey analyses at scale: paths, a 4-step funnel, a weekly trend with breakdown and weekly
retention on the demo's shop workspace, each beside two baselines measured in the same run.

Usage: ``python -m benchmarks.bench_analyses DB CASE MODE`` prints one JSON line; ``MODE`` is
``wayfinder`` (the runner through ``Workspace.run``), ``scan`` (a bare ``count(*) GROUP BY person``
over the same columns in DuckDB: what any per-person pass costs) or ``pandas`` (the same analysis
written plainly in pandas over the same columns, loaded from DuckDB; load and compute timed apart).
Each mode runs in its own process, so its peak memory is its own. ``check`` holds a few figures of
the answer, so the runner and pandas can be compared for agreement.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

WORKSPACE = "shop"
FUNNEL_EVENTS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")

#: The spec each case runs; the pandas twin below computes the same thing.
SPECS: dict[str, dict] = {
    "paths": {"kind": "paths", "goal": "purchase", "top": 10, "per": "session", "steps": 20},
    "funnel": {"kind": "funnel", "steps": [f"event:{e}" for e in FUNNEL_EVENTS], "window": "7d"},
    "trend": {
        "kind": "trend",
        "event": "event:Order Completed",
        "measure": "count",
        "interval": "week",
        "breakdown": "device_type",
    },
    "retention": {"kind": "retention", "start": "page:*", "interval": "week", "periods": 8},
}
#: The columns each case reads, for the scan baseline and the pandas load.
COLUMNS = {
    "paths": ("timestamp", "message_id", "type", "event", "path"),
    "funnel": ("timestamp", "message_id", "event"),
    "trend": ("timestamp", "event", "device_type"),
    "retention": ("timestamp", "type"),
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _events_sql(columns: tuple[str, ...]) -> str:
    """The population's events: person from identity_map, else the event's own identity key."""
    cols = ", ".join(f"e.{c}" for c in columns)
    return (
        f"SELECT coalesce(m.person_id, e.identity_key) AS person_id, {cols} "
        f"FROM ws_{WORKSPACE}.events e "
        f"LEFT JOIN ws_{WORKSPACE}.identity_map m ON e.identity_key = m.identifier"
    )


def scan(db: str, case: str) -> dict:
    con = duckdb.connect(db, read_only=True)
    started = time.perf_counter()
    n = con.execute(
        f"SELECT count(*) FROM (SELECT person_id, count(*) FROM ({_events_sql(COLUMNS[case])}) "
        "GROUP BY person_id)"
    ).fetchone()[0]
    return {"seconds": time.perf_counter() - started, "groups": n}


def wayfinder_case(db: str, case: str) -> dict:
    import wayfinder

    ws = wayfinder.open(f"duckdb:///{db}", WORKSPACE)
    started = time.perf_counter()
    result = ws.run(SPECS[case])
    seconds = time.perf_counter() - started
    check = CHECKS[case](result.table.to_pandas())
    ws.close()
    return {"seconds": seconds, "answer": result.answer, "check": check}


def pandas_case(db: str, case: str) -> dict:
    con = duckdb.connect(db, read_only=True)
    started = time.perf_counter()
    df = con.execute(_events_sql(COLUMNS[case])).df()
    load = time.perf_counter() - started
    started = time.perf_counter()
    check = PANDAS[case](df)
    return {
        "seconds": time.perf_counter() - started,
        "load_seconds": load,
        "rows": len(df),
        "check": check,
    }


# -- pandas twins ----------------------------------------------------------------------------
def pandas_paths(df: pd.DataFrame) -> dict:
    """Pages of each 30-minute session up to its first order, repeats collapsed."""
    df = df.sort_values(["person_id", "timestamp", "message_id"], kind="stable")
    gap = df.groupby("person_id")["timestamp"].diff()
    df["session"] = (gap.isna() | (gap > timedelta(minutes=30))).cumsum()
    bought = df["event"].eq("Order Completed")
    first_buy = df[bought].groupby("session")["timestamp"].min().rename("buy_at")
    df = df.join(first_buy, on="session", how="inner")
    pages = df[(df["type"] == "page") & (df["timestamp"] <= df["buy_at"])]
    pages = pages[pages["path"].ne(pages.groupby("session")["path"].shift())]
    paths = pages.groupby("session")["path"].agg(" > ".join)
    counts = paths.value_counts()
    return {"converting_sessions": int(len(first_buy)), "top_count": int(counts.iloc[0])}


def pandas_funnel(df: pd.DataFrame) -> dict:
    """Ordered 4-step funnel, 7-day window from step 1: each person's furthest step."""
    df = df[df["event"].isin(FUNNEL_EVENTS)].sort_values(["person_id", "timestamp", "message_id"])
    step = df["event"].map({e: i for i, e in enumerate(FUNNEL_EVENTS)}).to_numpy()
    person = df["person_id"].to_numpy()
    ts = df["timestamp"].to_numpy()
    window = np.timedelta64(7, "D")
    best: dict[str, int] = {}
    # Greedy per attempt: from each step-1 event, take the earliest next step in order.
    starts = np.flatnonzero(step == 0)
    ends = np.r_[np.flatnonzero(person[1:] != person[:-1]) + 1, len(person)]
    end_of = np.repeat(ends, np.diff(np.r_[0, ends]))
    for s in starts:
        reached, j, limit = 0, s + 1, ts[s] + window
        while j < end_of[s] and ts[j] <= limit and reached < 3:
            if step[j] == reached + 1:
                reached += 1
            j += 1
        p = person[s]
        if best.get(p, -1) < reached:
            best[p] = reached
    counts = np.bincount(np.fromiter(best.values(), int), minlength=4)
    reached_at_least = counts[::-1].cumsum()[::-1]
    return {"people": [int(x) for x in reached_at_least]}


def pandas_trend(df: pd.DataFrame) -> dict:
    orders = df[df["event"] == "Order Completed"]
    week = orders["timestamp"].dt.to_period("W-SUN").dt.start_time
    table = orders.groupby([week, orders["device_type"].fillna("(none)")]).size()
    return {"orders": int(table.sum()), "weeks": int(week.nunique())}


def pandas_retention(df: pd.DataFrame) -> dict:
    """First-time weekly cohorts of page viewers; share back in each of the next 8 weeks."""
    pages = df[df["type"] == "page"]
    week = pages["timestamp"].dt.to_period("W-SUN").dt.start_time
    active = pd.DataFrame({"person_id": pages["person_id"], "week": week}).drop_duplicates()
    cohort = active.groupby("person_id")["week"].min().rename("cohort")
    active = active.join(cohort, on="person_id")
    active["n"] = (active["week"] - active["cohort"]).dt.days // 7
    grid = active[active["n"] <= 8].groupby(["cohort", "n"])["person_id"].nunique()
    sizes = grid.xs(0, level="n")
    return {
        "people": int(sizes.sum()),
        "back_in_week_1": int(grid.xs(1, level="n").sum()),
    }


PANDAS = {
    "paths": pandas_paths,
    "funnel": pandas_funnel,
    "trend": pandas_trend,
    "retention": pandas_retention,
}
#: Figures read off the runner's table, comparable with the pandas twin's.
CHECKS: dict = {
    "paths": lambda t: {
        "converting_sessions": int(t["sessions"].sum()),
        "top_count": int(t["sessions"].iloc[0]),
    },
    "funnel": lambda t: {"people": [int(x) for x in t["people"]]},
    "trend": lambda t: {"orders": int(t["value"].sum())},
    "retention": lambda t: {
        "people": int(t.drop_duplicates("cohort")["cohort_size"].sum()),
        "back_in_week_1": int(t.loc[t["period"] == 1, "people"].fillna(0).sum()),
    },
}


def main(db: str, case: str, mode: str) -> None:
    run = {"wayfinder": wayfinder_case, "scan": scan, "pandas": pandas_case}[mode]
    figures = run(db, case)
    figures.update(case=case, mode=mode, peak_rss_mb=round(peak_rss_mb(), 1))
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
