"""The web app in a real browser: Playwright drives Debian's Chromium against ``wayfinder serve``.

A copy of the session's small demo (2,000 people, seed 0) and one server per module; each test
opens a fresh page, logs in with a token and works as a marketer would. Screenshots go to
``test-artifacts/screenshots``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server_helpers import ServedDatabase, served_copy
from wayfinder.server.config import home_for
from wayfinder.server.keys import Keyring

try:
    from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
except ImportError:  # the dev extra brings it; without it the browser cannot be driven
    sync_playwright = None

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
#: Asking can take seconds on a busy machine (attribution runs every model).
SLOW = 60_000


def _chromium() -> str:
    """Debian's Chromium; a missing one skips, except under CI where it is a failure."""
    found = shutil.which("chromium")
    if found and sync_playwright is not None:
        return found
    missing = "Chromium" if sync_playwright is not None else "the playwright package"
    if os.environ.get("CI"):
        # CI installs both (make test); browser tests that vanish are a failure.
        pytest.fail(f"CI must run the browser tests: {missing} is missing", pytrace=False)
    pytest.skip(f"{missing} is not installed (scripts/ensure-system-package.sh)")


@dataclass
class Served:
    server: ServedDatabase
    keys: dict[str, str]
    #: One browser context for the module: its cache keeps plotly.js from loading per test.
    browser: BrowserContext

    def api(self, method: str, path: str, key: str, workspace: str, **kw: Any) -> Any:
        response = httpx.request(
            method,
            self.server.url + path,
            params={"workspace": workspace},
            headers={"Authorization": f"Bearer {self.keys[key]}"},
            timeout=120,
            **kw,
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def served(tmp_path_factory, small_demo) -> Iterator[Served]:
    chromium = _chromium()
    db = served_copy(small_demo, tmp_path_factory.mktemp("web"))
    # Straight through the keyring `wayfinder keys` uses: a process per key is slow.
    keyring = Keyring(home_for(db) / "keys.json")
    keys = {
        "admin": keyring.create("token", "*", "admin", name="lead"),
        "analyst": keyring.create("token", "shop", "analyst", name="marketer"),
        "viewer": keyring.create("token", "shop", "viewer", name="intern"),
        "write": keyring.create("write_key", "shop"),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    server = ServedDatabase(db).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(SLOW)
        try:
            yield Served(server, keys, context)
        finally:
            browser.close()
            server.stop()


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    """A new tab, so a new sessionStorage: nobody is logged in."""
    page = served.browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served.server.url + "/")
    yield page
    page.close()
    assert not errors, f"the page threw: {errors}"


def log_in(page: Page, token: str, workspace: str | None = None) -> None:
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#nav")).to_be_visible()
    if workspace is not None:
        page.get_by_label("Workspace").select_option(workspace)


def ask(page: Page, question: str) -> str:
    """Ask in the ask box; the answer's status once it is shown."""
    page.get_by_label("Ask a question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    # The click replaces the previous answer at once; the new one appears when the API answers.
    expect(page.locator(".answer-card")).to_be_visible(timeout=SLOW)
    return page.locator(".answer-card").get_attribute("data-status") or ""


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def people_listed(page: Page) -> list[str]:
    """The person ids in the people panel, once it has them."""
    panel = page.locator("#people-panel")
    expect(panel.locator(".people-count")).to_be_visible(timeout=SLOW)
    return panel.locator("tbody tr td:first-child").all_inner_texts()


# -- logging in ------------------------------------------------------------------------------
def test_logging_in_with_a_token_and_out(served: Served, page: Page):
    page.get_by_label("API token").fill("wft_not-a-token")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_contain_text("unknown API token")
    expect(page.locator("#nav")).to_be_hidden()

    log_in(page, served.keys["analyst"])
    expect(page.locator("#who")).to_contain_text("analyst")
    expect(page.get_by_label("Workspace")).to_have_value("shop")
    assert page.evaluate("sessionStorage.getItem('wayfinder.token')") == served.keys["analyst"]
    page.reload()  # the token is kept for the tab: still logged in
    expect(page.locator("#nav")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("API token")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('wayfinder.token')") is None


# -- asking ----------------------------------------------------------------------------------
def test_paths_answer_with_sankey_interpretation_and_the_people_behind(served: Served, page: Page):
    log_in(page, served.keys["analyst"])
    assert ask(page, "top 3 paths of buyers") == "answered"
    expect(page.locator(".answer-text")).to_contain_text("Top path")
    expect(page.locator(".chart g.sankey")).to_have_count(1)
    traces = page.locator(".chart").evaluate("node => node.data.map(t => t.type)")
    assert traces == ["sankey"]
    chips = page.locator(".interpretation .chip")
    expect(chips.filter(has_text="buyers")).to_contain_text("purchase")
    expect(chips.filter(has_text="top 3")).to_contain_text("3")
    expect(page.locator(".interpretation")).to_contain_text("Confidence")
    expect(page.locator(".why .reason").first).to_contain_text("Suggested experiment")
    shot(page, "paths")

    # The people behind the top path: the same people the API gives for that path.
    first = page.locator("tr.drillable").first
    selector = json.loads(first.get_attribute("data-selector") or "{}")
    path = first.locator("td").nth(2).inner_text()
    assert selector == {"path": path}
    first.click()
    expect(page.locator("#people-what")).to_contain_text(path.split(" > ")[-1])
    listed = people_listed(page)
    spec = served.api(
        "POST", "/api/ask", "analyst", "shop", json={"question": "top 3 paths of buyers"}
    )["spec"]
    oracle = served.api(
        "POST", "/api/people", "analyst", "shop", json={"spec": spec, "selector": selector}
    )
    assert listed == [str(row["person_id"]) for row in oracle["rows"]]
    assert len(listed) > 0
    shot(page, "paths-people")
    page.get_by_role("button", name="Close the people panel").click()
    expect(page.locator("#people-panel")).to_be_hidden()

    # And behind a sentence of the why.
    page.locator(".why").get_by_role("button").first.click()
    assert len(people_listed(page)) > 0


def test_a_clarification_option_asks_again(served: Served, page: Page):
    vague = "how are we doing"
    reply = served.api("POST", "/api/ask", "analyst", "shop", json={"question": vague})
    assert reply["status"] == "clarify" and reply["options"], reply
    option = reply["options"][1]

    log_in(page, served.keys["analyst"])
    assert ask(page, vague) == "clarify"
    buttons = page.locator(".options button.option")
    expect(buttons).to_have_count(len(reply["options"]))
    shot(page, "clarify")
    buttons.filter(has_text=option["question"]).click()
    expect(page.locator(".answer-card")).to_have_attribute("data-status", "answered", timeout=SLOW)
    expect(page.get_by_label("Ask a question")).to_have_value(option["question"])
    expect(page.locator(".chart.js-plotly-plot")).to_have_count(1)


def test_a_saved_question_is_a_dashboard_card_with_its_chart(served: Served, page: Page):
    question = "funnel from cart to checkout to purchase"
    log_in(page, served.keys["analyst"])
    assert ask(page, question) == "answered"
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notice")).to_contain_text("Saved")
    saved = served.api("GET", "/api/dashboard", "analyst", "shop")["questions"]
    assert [q["question"] for q in saved] == [question]

    page.get_by_role("link", name="Dashboard").click()
    card = page.locator(".saved-card", has_text=question)
    expect(card.locator(".js-plotly-plot")).to_have_count(1, timeout=SLOW)
    assert card.locator(".js-plotly-plot").evaluate("n => n.data[0].type") == "funnel"
    expect(card.locator(".answer-text")).to_contain_text("reached the last step")
    shot(page, "dashboard")

    card.get_by_role("button", name="Remove").click()
    expect(page.locator(".saved-card")).to_have_count(0)
    expect(page.locator("#dashboard")).to_contain_text("No saved questions")
    assert served.api("GET", "/api/dashboard", "analyst", "shop")["questions"] == []


def test_switching_workspace_reads_the_other_workspace(served: Served, page: Page):
    log_in(page, served.keys["admin"], workspace="shop")
    names = page.get_by_label("Workspace").locator("option").all_inner_texts()
    assert {"shop", "b2b"} <= set(names)
    question = "top 3 paths of buyers"
    for workspace in ("shop", "b2b"):
        page.get_by_label("Workspace").select_option(workspace)
        page.get_by_role("link", name="Status").click()
        status = served.api("GET", "/api/status", "admin", workspace)
        expect(page.locator("#status dl.facts dd").first).to_have_text(workspace)
        events = page.locator("#status tr").filter(
            has=page.get_by_role("cell", name="events", exact=True)
        )
        expect(events).to_contain_text(f"{status['tables']['events']:,}")
        page.get_by_role("link", name="Ask").click()
        assert ask(page, question) == "answered"
        said = served.api("POST", "/api/ask", "admin", workspace, json={"question": question})
        expect(page.locator(".answer-text")).to_have_text(said["answer"])
        expect(page.locator(".provenance")).to_contain_text(f"workspace {workspace}")
    shot(page, "workspace-b2b")


# -- quarantine and errors -------------------------------------------------------------------
def test_quarantine_view_lists_rejected_events_and_a_viewer_is_told_why_not(
    served: Served, page: Page
):
    sent = httpx.post(
        served.server.url + "/v1/batch",
        auth=(served.keys["write"], ""),
        json={"batch": [
            {"type": "track", "userId": "web-1", "messageId": "web-m1",
             "timestamp": "2026-11-01T00:00:00Z"},
            {"type": "track", "userId": "web-2", "event": "Order Completed", "messageId": "web-m2",
             "timestamp": "2026-11-01T00:00:00Z"},
        ]},
        timeout=30,
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    served.server.drain(served.keys["analyst"], "shop")
    deadline = time.monotonic() + 30
    while not served.api("GET", "/api/quarantine", "analyst", "shop")["count"]:
        assert time.monotonic() < deadline, "the bad event never reached the quarantine"
        time.sleep(0.2)

    log_in(page, served.keys["analyst"])
    page.get_by_role("link", name="Quarantine").click()
    row = page.locator("#quarantine tr", has_text="web-1")
    expect(row).to_contain_text("missing_event_name")
    page.get_by_label("Reason").fill("missing_identity")
    page.locator("#quarantine-form").get_by_role("button", name="Show").click()
    expect(page.locator("#quarantine")).to_contain_text("Nothing quarantined")
    shot(page, "quarantine")

    page.get_by_role("button", name="Log out").click()
    log_in(page, served.keys["viewer"])
    expect(page.get_by_role("link", name="Quarantine")).to_be_hidden()
    page.goto(served.server.url + "/#quarantine")
    expect(page.locator("#quarantine .error-box")).to_contain_text("this needs the analyst role")
    shot(page, "quarantine-viewer")
