"""Hand-written journeys for analysis tests, readable at a glance, loaded into any engine.

    T0 = datetime(2026, 3, 2, 9, 0)
    JOURNEYS = {
        "ann": [page("/", 0), page("/pricing", 5), track("Order Completed", 9, revenue=40)],
        "bob": [page("/", 0, device="mobile")],
    }
    ws = load(engine, workspace_name, JOURNEYS)

Each person's events get ``identity_key = user_id:<name>`` (so the population's ``person_id`` is
``user_id:ann``); times are minutes after ``T0`` unless a datetime is given. ``flatten`` gives
the same events as plain dicts for the pure-Python references.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from wayfinder.store.schema import EVENTS
from wayfinder.workspace import Workspace

T0 = datetime(2026, 3, 2, 9, 0)


def _when(at: float | datetime) -> datetime:
    return at if isinstance(at, datetime) else T0 + timedelta(minutes=at)


def page(path: str, at: float | datetime, **extra: Any) -> dict:
    """A page view of ``path`` at ``at`` (minutes after T0, or a datetime)."""
    return {
        "type": "page",
        "path": path,
        "url": "https://shop.example.com" + path,
        "timestamp": _when(at),
        **_extra(extra),
    }


def screen(name: str, at: float | datetime, **extra: Any) -> dict:
    return {"type": "screen", "name": name, "timestamp": _when(at), **_extra(extra)}


def track(event: str, at: float | datetime, **extra: Any) -> dict:
    """A track call; keyword ``revenue``, ``device`` and any ``properties`` given as a dict."""
    return {"type": "track", "event": event, "timestamp": _when(at), **_extra(extra)}


def _extra(extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "device" in extra:
        out["device_type"] = extra.pop("device")
    out["properties"] = json.dumps(extra.pop("properties", {}))
    out.update(extra)
    return out


def flatten(journeys: dict[str, list[dict]]) -> list[dict]:
    """Every event as a full events row: person name, identity key, message id in input order."""
    rows = []
    for name, events in journeys.items():
        for i, e in enumerate(events):
            row = {c: None for c in EVENTS.schema.names}
            row.update(e)
            row["identity_key"] = f"user_id:{name}"
            row["user_id"] = name
            row["message_id"] = e.get("message_id") or f"{name}-{i:04d}"
            row["received_at"] = row["timestamp"]
            rows.append(row)
    return rows


def load(engine, workspace: str, journeys: dict[str, list[dict]], **kwargs: Any) -> Workspace:
    """A workspace on ``engine`` holding exactly these journeys (no identity stitching run)."""
    ws = Workspace(engine, workspace, **kwargs)
    engine.insert(EVENTS.name, workspace, _events(journeys))
    return ws


def replace_events(ws: Workspace, journeys: dict[str, list[dict]]) -> None:
    """Make ``ws`` hold exactly these journeys' events (hypothesis tests reuse one workspace)."""
    ws.engine.replace_table(EVENTS.name, ws.name, _events(journeys))


def _events(journeys: dict[str, list[dict]]) -> pa.Table:
    return pa.Table.from_pylist(flatten(journeys), schema=EVENTS.schema.to_pyarrow())


def person(name: str) -> str:
    """The person id a journey's events get."""
    return f"user_id:{name}"
