"""The query API under ``/api``: ask, run a spec, the people behind a number, and what a
workspace holds. Every route depends on ``auth.caller``; routes that change things need a role.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from wayfinder.analyses import RUNNERS, SpecBase, parse_spec
from wayfinder.server.auth import Caller, caller, needs
from wayfinder.server.errors import RequestRefused
from wayfinder.server.keys import ALL_WORKSPACES

router = APIRouter(prefix="/api", tags=["query"], dependencies=[Depends(caller)])

MAX_PEOPLE = 1_000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=1_000)
    today: date | None = None


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: dict[str, Any]


class PeopleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    result_id: str | None = None
    spec: dict[str, Any] | None = None
    selector: dict[str, Any] = Field(default_factory=dict)
    limit: int = Field(100, ge=1, le=MAX_PEOPLE)


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=500)
    title: str | None = Field(None, max_length=200)


class Results:
    """Recent results, so the people behind a number need not run the analysis again.

    A result can only be drilled on the read slot it ran on (its cursor); from another slot the
    spec runs again there, which gives the same people.
    """

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, tuple[str, dict[str, Any], Any, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def keep(self, workspace: str, spec: dict[str, Any], result: Any, ws: Any) -> str:
        result_id = secrets.token_hex(8)
        with self._lock:
            self._items[result_id] = (workspace, spec, result, ws)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return result_id

    def get(self, result_id: str) -> tuple[str, dict[str, Any], Any, Any] | None:
        with self._lock:
            return self._items.get(result_id)


def _server(request: Request) -> Any:
    return request.app.state.server


def _checked_spec(data: dict[str, Any], who: Caller) -> SpecBase:
    """The spec of a request, validated field by field, on the caller's workspace only.

    Validated against its kind's model so a wrong or unknown field is a 422 naming that field
    (``errors.install``), not a sentence. A spec may name a workspace and the runner would read
    it, so one naming a workspace other than the caller's is refused like ``?workspace=``.
    """
    runner = RUNNERS.get(data.get("kind"))  # type: ignore[arg-type]
    spec = parse_spec(data) if runner is None else runner.spec_type.model_validate(data)
    if spec.workspace is not None and spec.workspace != who.workspace:
        raise RequestRefused(
            403,
            "this spec names another workspace",
            value=spec.workspace,
            hint=f"this request reads {who.workspace}; pick another with ?workspace=",
        )
    return spec


def _existing(request: Request, who: Caller) -> str:
    """The caller's workspace, which must exist (routes that keep files per workspace)."""
    if who.workspace not in _server(request).database.workspaces():
        raise RequestRefused(
            404, "no such workspace", value=who.workspace, hint="see GET /api/workspaces"
        )
    return who.workspace


@router.get("/me", summary="Who the token is: role and workspaces")
def me(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return {
        "role": who.role,
        "workspace": who.workspace,
        "workspaces": _readable(request, who),
        "key_id": who.grant.id,
        "name": who.grant.name,
    }


@router.get("/workspaces", summary="The workspaces this token may read")
def workspaces(request: Request, who: Caller = Depends(caller)) -> list[str]:
    return _readable(request, who)


def _readable(request: Request, who: Caller) -> list[str]:
    names = _server(request).database.workspaces()
    if who.grant.workspace == ALL_WORKSPACES:
        return names
    return [n for n in names if n == who.grant.workspace]


@router.post("/ask", summary="Ask a question in plain English")
def ask(body: AskRequest, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    server = _server(request)
    with server.database.read(who.workspace) as ws:
        answer = ws.ask(body.question, today=body.today)
        data = answer.to_dict()
        if answer.result is not None and answer.plan.spec is not None:
            data["result_id"] = server.results.keep(
                who.workspace, answer.plan.spec, answer.result, ws
            )
    return data


@router.post("/query", summary="Run an analysis spec")
def query(body: QueryRequest, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    server = _server(request)
    spec = _checked_spec(body.spec, who)
    with server.database.read(who.workspace) as ws:
        result = ws.run(spec)
        data = result.to_dict()
        data["result_id"] = server.results.keep(who.workspace, spec, result, ws)
    return data


@router.post("/people", summary="The people behind one number of a result")
def people(body: PeopleRequest, request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    server = _server(request)
    kept = server.results.get(body.result_id) if body.result_id else None
    if kept is not None and kept[0] != who.workspace:
        raise RequestRefused(403, "this result belongs to another workspace")
    if kept is not None:
        spec = kept[1]
    elif body.spec is not None:
        spec = _checked_spec(body.spec, who)
    else:
        raise RequestRefused(404, "unknown or expired result", value=body.result_id,
                             hint="send the spec with the selector")  # fmt: skip
    with server.database.read(who.workspace) as ws:
        result = kept[2] if kept is not None and kept[3] is ws else ws.run(spec)
        try:
            table = result.people(body.limit, **body.selector)
        except NotImplementedError as exc:
            raise RequestRefused(400, str(exc)) from None
        except TypeError as exc:
            raise RequestRefused(
                400, "this selector does not fit the result", value=str(exc)
            ) from None
    rows = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        for r in table.to_pylist()
    ]
    return {"columns": table.column_names, "rows": rows, "count": len(rows), "limit": body.limit}


@router.get("/catalog", summary="Goals, metrics and synonyms of the workspace")
def catalog(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    with _server(request).database.read(who.workspace) as ws:
        return ws.catalog.to_dict()


@router.get("/status", summary="Tables, row counts, quarantine, identity, collection")
def status(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    server = _server(request)
    with server.database.read(who.workspace) as ws:
        data = ws.status().to_dict()
    data["collection"] = {
        "backlog_bytes": server.journal.backlog_bytes,
        **server.loader.stats.to_dict(),
    }
    return data


@router.get("/quarantine", summary="Rows that failed validation, newest first")
def quarantine(
    request: Request,
    reason: str | None = Query(None),
    limit: int = Query(100, ge=1, le=10_000),
    who: Caller = Depends(needs("analyst")),
) -> dict[str, Any]:
    with _server(request).database.read(who.workspace) as ws:
        table = ws.quarantine(reason=reason, limit=limit)
    rows = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        for r in table.to_pylist()
    ]
    return {"rows": rows, "count": len(rows)}


@router.get("/dashboard", summary="Saved questions of the workspace")
def dashboard(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return {"questions": _server(request).saved.list(_existing(request, who))}


@router.post("/dashboard", summary="Save a question to the dashboard")
def save(
    body: SaveRequest, request: Request, who: Caller = Depends(needs("analyst"))
) -> dict[str, Any]:
    workspace = _existing(request, who)
    return _server(request).saved.add(workspace, body.question, body.title, who.grant.id)


@router.delete("/dashboard/{item_id}", summary="Remove a saved question")
def unsave(
    item_id: str, request: Request, who: Caller = Depends(needs("analyst"))
) -> dict[str, Any]:
    _server(request).saved.remove(_existing(request, who), item_id)
    return {"success": True}
