"""The query API of a real ``wayfinder serve``: every /api route checks its caller, roles hold,
and the answers are the ones the Python facade gives on the same data.

The session's small demo (2,000 people, seed 0; ``small_demo`` in conftest) is copied and served
once per module; a copy taken before the server starts is the oracle, opened with
``wayfinder.open`` in this process.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

import wayfinder
from server_helpers import ServedDatabase, served_copy
from wayfinder.server.app import create_app
from wayfinder.server.config import ServerConfig, home_for
from wayfinder.server.keys import Keyring

TODAY = date(2026, 11, 22)  # the day after the demo's last: defaults such as "last 3 months" fixed
PATHS_QUESTION = "top 3 paths of buyers"
FUNNEL = {"kind": "funnel", "steps": ["page:/cart", "purchase"], "window": "7d"}
QUICK_FUNNEL = {**FUNNEL, "why": False}  # where only the role matters: the drivers cost seconds
#: Rows for the quarantine: one good event and three that fail validation, each its own way.
BAD_EVENTS = "\n".join(
    [
        '{"type":"track","messageId":"q-1","anonymousId":"anon-q","event":"Product Viewed",'
        '"timestamp":"2026-04-10T10:00:00Z"}',
        '{"type":"track","messageId":"q-2","anonymousId":"anon-q","timestamp":"2026-04-10T10:01:00Z"}',
        '{"type":"track","messageId":"q-3","anonymousId":"anon-q","event":"Cart Viewed",'
        '"timestamp":"the tenth of April"}',
        '{"type":"track","messageId":"q-4","anonymousId":"anon-q","event":"Checkout Started"',
    ]
)


# -- the route table ------------------------------------------------------------------------
def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app under /api, path parameters filled with a dummy value.

    Walked as OpenAPI walks them: ``app.routes`` lists an included router as one entry (its
    routes inside), so reading it alone would find no /api route and check nothing.
    """
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/api"):
            continue
        # A mount or websocket under /api would have no methods to walk: make it fail loudly.
        assert isinstance(route.original_route, APIRoute), f"{path}: walk this kind of route too"
        for method in sorted(route.methods):
            found.append((method, re.sub(r"\{[^}]*\}", "dummy0", path)))
    return found


#: Taken from the app factory itself (no database opens until the app starts), so a route
#: added anywhere - a router, or straight on the app - is walked without editing this test.
ROUTES = api_routes(create_app(ServerConfig(db=Path("walked.duckdb"))))


@dataclass(frozen=True)
class Keys:
    """The secrets the tests call with; ``shop_*`` read shop only, ``b2b`` reads b2b only."""

    all_admin: str
    shop_viewer: str
    shop_analyst: str
    shop_admin: str
    b2b: str
    shop_write_key: str
    default_write_key: str


def refusals(send, method: str, path: str, keys: Keys) -> list[str]:
    """What is wrong with how one route treats callers it must refuse; empty when all are.

    ``send(method, path, headers, params)`` returns ``(status, json body)``. A refusal must be
    the server's own error (``success: false``), not a 404 or 405 that happened to come first.
    """
    basic = base64.b64encode(f"{keys.shop_write_key}:".encode()).decode()
    cases = [
        ("no token", {}, {}, 401, None),
        ("bearer, no token", {"Authorization": "Bearer"}, {}, 401, None),
        ("basic auth", {"Authorization": f"Basic {basic}"}, {}, 401, None),
        ("unknown token", {"Authorization": "Bearer wft_" + "x" * 32}, {}, 401, None),
        ("garbage", {"Authorization": "Bearer not a token at all"}, {}, 401, None),
        ("write key", _bearer(keys.shop_write_key), {}, 403, "a write key can only send events"),
        (
            "shop token, ?workspace=b2b",
            _bearer(keys.shop_admin),
            {"workspace": "b2b"},
            403,
            "this token is not for this workspace",
        ),
        (
            "b2b token, ?workspace=shop",
            _bearer(keys.b2b),
            {"workspace": "shop"},
            403,
            "this token is not for this workspace",
        ),
    ]
    wrong = []
    for name, headers, params, status, what in cases:
        got, body = send(method, path, headers, params)
        if not isinstance(body, dict) or got != status or body.get("success") is not False:
            wrong.append(f"{name}: {got} {body}")
        elif what is not None and body["error"].get("what") != what:
            wrong.append(f"{name}: refused for another reason: {body['error']}")
    return wrong


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# -- the served demo ------------------------------------------------------------------------
@dataclass
class Api:
    server: ServedDatabase
    keys: Keys
    oracle: Any  # the facade's shop workspace on a copy of the served database

    def call(
        self, method: str, path: str, secret: str | None, *, workspace: str | None = None, **kw
    ) -> httpx.Response:
        params = {"workspace": workspace} if workspace else None
        headers = _bearer(secret) if secret else {}
        return httpx.request(
            method, self.server.url + path, params=params, headers=headers, timeout=120, **kw
        )

    def ok(self, method: str, path: str, secret: str, **kw) -> Any:
        response = self.call(method, path, secret, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def ask(self, secret: str, question: str) -> Any:
        return self.ok(
            "POST", "/api/ask", secret, json={"question": question, "today": TODAY.isoformat()}
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory, small_demo):
    folder = tmp_path_factory.mktemp("api")
    db = served_copy(small_demo, folder)
    bad = folder / "bad.jsonl"
    bad.write_text(BAD_EVENTS + "\n", encoding="utf-8")
    with wayfinder.open(f"duckdb:///{db}", "shop") as shop:
        assert shop.ingest([bad], "events").quarantined
    oracle_db = folder / "oracle" / "demo.duckdb"
    oracle_db.parent.mkdir()
    shutil.copy(db, oracle_db)

    # Keys straight through the keyring the CLI's `keys` commands use: a process each is slow.
    keyring = Keyring(home_for(db) / "keys.json")
    keys = Keys(
        all_admin=keyring.create("token", "*", "admin"),
        shop_viewer=keyring.create("token", "shop", "viewer"),
        shop_analyst=keyring.create("token", "shop", "analyst"),
        shop_admin=keyring.create("token", "shop", "admin"),
        b2b=keyring.create("token", "b2b", "admin"),
        shop_write_key=keyring.create("write_key", "shop"),
        default_write_key=keyring.create("write_key", "default"),
    )
    server = ServedDatabase(db).start()
    oracle = wayfinder.open(f"duckdb:///{oracle_db}", "shop")
    try:
        yield Api(server, keys, oracle)
    finally:
        oracle.close()
        server.stop()


def _json(data: Any) -> Any:
    """What ``data`` looks like after a trip through JSON, as the server's answers have made:
    dates as text, and NaN (an odds ratio that cannot be estimated) as null, JSON having no NaN.
    """
    return json.loads(json.dumps(data, default=str), parse_constant=lambda _: None)


# -- auth over every route ------------------------------------------------------------------
def test_the_walker_sees_the_whole_api():
    walked = {f"{method} {path}" for method, path in ROUTES}
    assert len(walked) >= 10, walked
    for route in ("POST /api/ask", "POST /api/query", "POST /api/people", "GET /api/quarantine",
                  "DELETE /api/dashboard/dummy0", "POST /api/cli"):  # fmt: skip
        assert route in walked


def test_only_the_local_cli_runs_commands(api):
    """``/api/cli`` runs any command: even an admin token of every workspace may not call it."""
    command = {"argv": ["status", "--json"], "cwd": str(api.server.db.parent)}
    refused = api.call("POST", "/api/cli", api.keys.all_admin, json=command)
    assert refused.status_code == 403, refused.text
    assert "only the local wayfinder command" in refused.json()["error"]["what"]


def test_the_walker_catches_a_route_added_without_auth(tmp_path):
    """The real app plus one route declared on it without the router's dependency: the walk
    names that route and no other (requests refused before any database is touched)."""
    app = create_app(ServerConfig(db=tmp_path / "never-opened.duckdb"))

    @app.get("/api/leak")
    def leak() -> dict[str, bool]:
        return {"ok": True}

    keyring = Keyring(tmp_path / "keys.json")
    keys = Keys(
        *(keyring.create("token", w, "admin") for w in ("*", "shop", "shop", "shop", "b2b")),
        keyring.create("write_key", "shop"),
        keyring.create("write_key", "default"),
    )
    app.state.server = SimpleNamespace(keyring=keyring)
    client = TestClient(app)  # not entered: the lifespan (and the database) never starts

    def send(method, path, headers, params):
        response = client.request(method, path, headers=headers, params=params, json={})
        return response.status_code, response.json()

    leaking = {f"{m} {p}" for m, p in api_routes(app) if refusals(send, m, p, keys)}
    assert leaking == {"GET /api/leak"}


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_api_route_refuses_callers_it_must(api, method, path):
    def send(method, path, headers, params):
        response = httpx.request(
            method, api.server.url + path, headers=headers, params=params, json={}, timeout=60
        )
        return response.status_code, response.json()

    assert refusals(send, method, path, api.keys) == []
    # The same request with a token of the workspace passes the gate (whatever comes next),
    # so the refusals above came from the caller check, not from a path that matched nothing.
    status, body = send(method, path, _bearer(api.keys.shop_admin), {})
    assert status not in (401, 403), (status, body)


# -- roles ----------------------------------------------------------------------------------
def test_a_viewer_reads_but_neither_saves_nor_sees_the_quarantine(api):
    viewer = api.keys.shop_viewer
    assert api.ok("GET", "/api/me", viewer)["role"] == "viewer"
    for path in ("/api/catalog", "/api/status", "/api/dashboard", "/api/workspaces"):
        api.ok("GET", path, viewer)
    assert api.ask(viewer, "orders per week")["status"] == "answered"
    queried = api.ok("POST", "/api/query", viewer, json={"spec": QUICK_FUNNEL})
    people = api.ok(
        "POST",
        "/api/people",
        viewer,
        json={"result_id": queried["result_id"], "selector": {"step": 2}, "limit": 5},
    )
    assert people["count"] == 5

    saved = api.ok("POST", "/api/dashboard", api.keys.shop_analyst, json={"question": "revenue"})
    refused = [
        api.call("POST", "/api/dashboard", viewer, json={"question": "orders"}),
        api.call("DELETE", f"/api/dashboard/{saved['id']}", viewer),
        api.call("GET", "/api/quarantine", viewer),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["what"] == "this needs the analyst role"
    listed = api.ok("GET", "/api/dashboard", viewer)["questions"]
    assert saved["id"] in [q["id"] for q in listed]  # the viewer's delete did nothing


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_save_and_read_the_quarantine(api, role):
    secret = api.keys.shop_analyst if role == "analyst" else api.keys.shop_admin
    assert api.ok("GET", "/api/me", secret)["role"] == role
    saved = api.ok("POST", "/api/dashboard", secret, json={"question": "orders", "title": role})
    assert saved["title"] == role
    assert api.ok("GET", "/api/quarantine", secret)["count"] > 0
    assert api.ok("DELETE", f"/api/dashboard/{saved['id']}", secret) == {"success": True}


# -- the answers ----------------------------------------------------------------------------
def test_ask_answers_with_the_sankey_the_why_and_the_people_behind_a_path(api):
    data = api.ask(api.keys.shop_viewer, PATHS_QUESTION)
    assert data["status"] == "answered" and data["intent"] == "paths"
    assert data["result"]["chart"]["data"][0]["type"] == "sankey"
    assert data["why"] and all(reason["sentence"] for reason in data["why"])
    evidence = {e["slot"]: e for e in data["interpretation"]["evidence"]}
    assert evidence["goal"]["value"] == "purchase" and evidence["goal"]["words"] == "buyers"
    assert evidence["top_n"]["value"] == 3
    assert data["result_id"]

    expected = api.oracle.ask(PATHS_QUESTION, today=TODAY)
    assert data["result"]["rows"] == _json(expected.to_dict()["result"]["rows"])
    assert data["answer"] == expected.text

    top = data["result"]["rows"][0]
    by_result = api.ok(
        "POST",
        "/api/people",
        api.keys.shop_viewer,
        json={"result_id": data["result_id"], "selector": {"path": top["path"]}, "limit": 1000},
    )
    assert by_result["count"] == top["people"] > 0
    oracle_people = expected.result.people(1000, path=top["path"])
    assert [r["person_id"] for r in by_result["rows"]] == oracle_people["person_id"].to_pylist()
    assert by_result["columns"] == oracle_people.column_names
    # Without the kept result the spec runs again, on whichever read slot: the same people.
    by_spec = api.ok(
        "POST",
        "/api/people",
        api.keys.shop_viewer,
        json={"spec": data["spec"], "selector": {"path": top["path"]}, "limit": 1000},
    )
    assert by_spec["rows"] == by_result["rows"]

    # A token of another workspace, on its own default workspace, cannot drill into it.
    stranger = api.call(
        "POST",
        "/api/people",
        api.keys.b2b,
        json={"result_id": data["result_id"], "selector": {"path": top["path"]}},
    )
    assert stranger.status_code == 403, stranger.text


def test_a_vague_question_gets_options_not_a_guess(api):
    data = api.ask(api.keys.shop_viewer, "Revenue in Q5")
    assert data["status"] == "clarify" and data["clarification"]
    assert data["options"] and all(o["label"] and o["question"] for o in data["options"])
    assert data["result"] is None and "result_id" not in data


def test_a_spec_gives_what_the_facade_gives_and_its_drill_down(api):
    data = api.ok("POST", "/api/query", api.keys.shop_viewer, json={"spec": FUNNEL})
    expected = _json(api.oracle.run(FUNNEL).to_dict())
    for key in ("kind", "spec", "answer", "interpretation", "rows", "tables", "chart", "why"):
        assert data[key] == expected[key], key
    assert data["provenance"]["workspace"] == "shop"

    dropped = data["rows"][0]["dropped"]
    people = api.ok(
        "POST",
        "/api/people",
        api.keys.shop_viewer,
        json={"result_id": data["result_id"], "selector": {"step": 1, "dropped": True}},
    )
    assert people["count"] == min(dropped, people["limit"]) > 0
    bad_selector = api.call(
        "POST",
        "/api/people",
        api.keys.shop_viewer,
        json={"result_id": data["result_id"], "selector": {"shoe_size": 3}},
    )
    assert bad_selector.status_code == 400, bad_selector.text


def test_spec_errors_name_the_field_or_give_a_hint(api):
    viewer = api.keys.shop_viewer
    unknown_field = api.call("POST", "/api/query", viewer, json={"spec": {**FUNNEL, "windw": "7d"}})
    assert unknown_field.status_code == 422, unknown_field.text
    problems = unknown_field.json()["error"]["problems"]
    assert [p["field"] for p in problems] == ["windw"]

    unknown_goal = api.call(
        "POST", "/api/query", viewer, json={"spec": {"kind": "paths", "goal": "goal:teleport"}}
    )
    assert 400 <= unknown_goal.status_code < 500, unknown_goal.text
    error = unknown_goal.json()["error"]
    assert error["value"] == "teleport" and "catalog" in error["hint"]

    unknown_kind = api.call("POST", "/api/query", viewer, json={"spec": {"kind": "horoscope"}})
    assert unknown_kind.status_code == 400 and "funnel" in unknown_kind.json()["error"]["hint"]


def test_a_spec_cannot_name_another_workspace(api):
    """A spec's own ``workspace`` field would make the runner read that workspace."""
    spec = {"kind": "trend", "metric": "deals_won", "workspace": "b2b"}
    for path, body in (("/api/query", {"spec": spec}), ("/api/people", {"spec": spec})):
        response = api.call("POST", path, api.keys.shop_admin, json=body)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["value"] == "b2b"
    own = {**spec, "workspace": "b2b"}
    assert api.ok("POST", "/api/query", api.keys.b2b, json={"spec": own})["kind"] == "trend"


# -- what a workspace holds -----------------------------------------------------------------
def test_catalog_and_status_are_the_workspaces_own(api):
    catalog = api.ok("GET", "/api/catalog", api.keys.shop_viewer)
    assert catalog == _json(api.oracle.catalog.to_dict())
    assert "purchase" in {g["name"] for g in catalog["goals"]}

    status = api.ok("GET", "/api/status", api.keys.shop_viewer)
    expected = _json(api.oracle.status().to_dict())
    assert status["tables"] == expected["tables"] and status["quarantine"] == expected["quarantine"]
    assert status["workspace"] == "shop"


def test_status_counts_what_the_server_collected(api):
    batch = {
        "batch": [
            {"type": "track", "messageId": "api-1", "anonymousId": "a1", "event": "Signed Up"},
            {"type": "track", "messageId": "api-2", "anonymousId": "a1"},  # no event name
        ]
    }
    sent = httpx.post(
        api.server.url + "/v1/batch", json=batch, auth=(api.keys.default_write_key, ""), timeout=60
    )
    assert sent.status_code == 200, sent.text
    status = api.server.drain(api.keys.all_admin, workspace="default")
    assert status["workspace"] == "default" and status["tables"]["events"] == 1
    collection = status["collection"]
    assert collection["backlog_bytes"] == 0 and collection["failures"] == 0
    assert collection["loaded"] == 1 and collection["quarantined"] == 1
    quarantined = api.ok("GET", "/api/quarantine", api.keys.all_admin, workspace="default")
    assert [r["reason"] for r in quarantined["rows"]] == ["missing_event_name"]


def test_quarantine_by_reason_and_limit(api):
    analyst = api.keys.shop_analyst
    everything = api.ok("GET", "/api/quarantine", analyst)
    expected = _json(api.oracle.quarantine().to_pylist())
    assert everything["count"] == len(expected) == 3
    assert sorted(r["reason"] for r in everything["rows"]) == sorted(r["reason"] for r in expected)
    one = api.ok("GET", "/api/quarantine?reason=bad_timestamp", analyst)
    assert [r["reason"] for r in one["rows"]] == ["bad_timestamp"]
    assert api.ok("GET", "/api/quarantine?limit=2", analyst)["count"] == 2


def test_dashboard_add_list_delete_stays_in_its_workspace(api):
    analyst = api.keys.shop_analyst
    saved = api.ok(
        "POST", "/api/dashboard", analyst, json={"question": PATHS_QUESTION, "title": "Top paths"}
    )
    assert saved["question"] == PATHS_QUESTION and saved["title"] == "Top paths"

    def ids(secret: str) -> list[str]:
        return [q["id"] for q in api.ok("GET", "/api/dashboard", secret)["questions"]]

    assert saved["id"] in ids(api.keys.shop_viewer)
    assert saved["id"] not in ids(api.keys.b2b)
    # Another workspace's token, on its own workspace, cannot delete shop's question.
    assert api.call("DELETE", f"/api/dashboard/{saved['id']}", api.keys.b2b).status_code == 404
    assert saved["id"] in ids(api.keys.shop_viewer)
    assert api.ok("DELETE", f"/api/dashboard/{saved['id']}", analyst) == {"success": True}
    assert saved["id"] not in ids(api.keys.shop_viewer)
    assert api.call("DELETE", f"/api/dashboard/{saved['id']}", analyst).status_code == 404


def test_a_workspace_must_be_a_name_even_for_an_all_workspaces_token(api):
    """Saved questions are files named after the workspace: no path may come through."""
    for name in ("../../escape", "ghost"):
        response = api.call(
            "POST", "/api/dashboard", api.keys.all_admin, workspace=name, json={"question": "x"}
        )
        assert response.status_code in (400, 404), response.text
    assert not list(api.server.db.parent.rglob("escape*"))


def test_workspaces_listed_per_token(api):
    everything = api.ok("GET", "/api/workspaces", api.keys.all_admin)
    assert {"shop", "b2b"} <= set(everything)
    assert api.ok("GET", "/api/workspaces", api.keys.shop_viewer) == ["shop"]
    assert api.ok("GET", "/api/workspaces", api.keys.b2b) == ["b2b"]
    me = api.ok("GET", "/api/me", api.keys.all_admin, workspace="b2b")
    assert me["workspace"] == "b2b" and me["role"] == "admin" and me["workspaces"] == everything


def test_oversized_api_bodies_are_refused_before_they_fill_memory(api):
    """Query-API bodies over 1 MB get 413 in the server's error shape, whether the request
    declares its length or streams it in chunks; a normal request afterwards still answers."""
    big = b'{"question": "' + b"a" * 2_000_000 + b'"}'
    headers = {"content-type": "application/json", **_bearer(api.keys.shop_viewer)}
    url = api.server.url + "/api/ask"
    declared = httpx.post(url, content=big, headers=headers, timeout=120)

    def chunks():
        for _ in range(30):
            yield b"x" * 100_000

    streamed = httpx.post(url, content=chunks(), headers=headers, timeout=120)
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        body = response.json()
        assert body["success"] is False and "1,048,576-byte limit" in body["error"]["message"]
    assert api.ask(api.keys.shop_viewer, "top 3 paths of buyers")["status"] == "answered"


def test_a_request_body_that_does_not_fit_its_route_names_the_field(api):
    response = api.call("POST", "/api/ask", api.keys.shop_viewer, json={"questio": "paths"})
    assert response.status_code == 422, response.text
    fields = {p["field"] for p in response.json()["error"]["problems"]}
    assert fields == {"question", "questio"}
