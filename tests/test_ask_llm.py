"""The LLM adapter against a fake OpenAI-compatible server on 127.0.0.1: a valid answer is
re-linked, and every way the model or the network can fail becomes a problem in words."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wayfinder.ask.frame import Reading
from wayfinder.ask.llm import MAX_NAMES_PER_KIND, LLMConfig, propose, strip_fences
from wayfinder.errors import ConfigError

TODAY = date(2026, 11, 22)
KEY = "sk-test-0123456789"
CATALOGUE = {
    "goal": ["purchase", "signup", "closed_deal"],
    "metric": ["revenue", "conversions"],
    "channel": ["facebook", "email", "referral"],
    "campaign": ["Spring Sale 2026", "Black Friday"],
    "event": ["Order Completed", "Product Viewed"],
    "page": ["/pricing", "/features"],
    "content": ["Size guide"],
}
LINKS = {
    ("channel", "fb"): "facebook",
    ("channel", "facebook"): "facebook",
    ("channel", "email"): "email",
    ("goal", "purchase"): "purchase",
    ("goal", "closed_deal"): "closed_deal",
    ("campaign", "spring sale"): "Spring Sale 2026",
    ("steps", "pricing page"): "/pricing",
    ("steps", "purchase"): "purchase",
    ("metric", "revenue"): "revenue",
}


def relink(slot: str, value: str) -> str | None:
    """A stand-in for the catalogue linker: a fixed table, case-insensitive."""
    return LINKS.get((slot, value.lower()))


@dataclass
class Behaviour:
    """What the fake server does with the next requests, and what it received."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    config: LLMConfig | None = None

    def answer(self, content: str) -> None:
        """Reply with a chat completion whose message is ``content``."""
        reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        self.status, self.body = 200, json.dumps(reply).encode()


@pytest.fixture
def server():
    behaviour = Behaviour()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the name http.server calls)
            length = int(self.headers.get("Content-Length", 0))
            behaviour.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            if behaviour.delay:
                # Woken at teardown, so a slow reply never holds the test run.
                behaviour.released.wait(behaviour.delay)
            try:
                self.send_response(behaviour.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(behaviour.body)))
                self.end_headers()
                self.wfile.write(behaviour.body)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    behaviour.config = LLMConfig(
        url=f"http://127.0.0.1:{httpd.server_address[1]}/v1", model="tiny-test", key=KEY
    )
    yield behaviour
    behaviour.released.set()
    httpd.shutdown()
    httpd.server_close()


def ask(server: Behaviour, question: str = "How did the FB spring sale drive purchases?"):
    return propose(question, TODAY, CATALOGUE, server.config, relink)


def test_a_valid_answer_becomes_a_reading_and_the_request_is_an_openai_chat_call(server):
    server.answer(
        json.dumps(
            {
                "intent": "attribution",
                "slots": {
                    "channel": "facebook",
                    "campaign": "spring sale",
                    "goal": "purchase",
                    "time_range": {
                        "text": "last month",
                        "start": "2026-10-01",
                        "end": "2026-10-31",
                    },
                },
            }
        )
    )
    outcome = ask(server)
    assert outcome.problem is None
    assert outcome.reading.intent == "attribution"
    # The campaign is re-linked to the workspace's own name; the period is kept as given.
    assert outcome.reading.slots.campaign == "Spring Sale 2026"
    assert outcome.reading.slots.time_range.iso == "2026-10-01/2026-10-31"
    assert outcome.reading.slots.time_range.text == "last month"

    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    body = request["json"]
    assert body["model"] == "tiny-test"
    assert body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    text = "\n".join(m["content"] for m in body["messages"])
    assert "How did the FB spring sale drive purchases?" in text
    assert "2026-11-22" in text
    for names in CATALOGUE.values():
        for name in names:
            assert name in text
    assert json.dumps(Reading.model_json_schema(), separators=(",", ":")) in text
    assert "never SQL" in text


def test_no_key_sends_no_authorization(server):
    server.answer('{"intent": "ambiguous", "slots": {}}')
    config = LLMConfig(url=server.config.url, model="m")
    outcome = propose("How's performance?", TODAY, {}, config, relink)
    assert outcome.reading == Reading(intent="ambiguous")
    assert "Authorization" not in server.requests[0]["headers"]


def test_a_name_is_relinked_to_its_canonical_form_in_lists_too(server):
    server.answer(
        '{"intent": "funnel", "slots": {"channel": ["FB", "email"], '
        '"steps": ["pricing page", "purchase"]}}'
    )
    outcome = ask(server)
    assert outcome.problem is None
    assert outcome.reading.slots.channel == ["facebook", "email"]
    assert outcome.reading.slots.steps == ["/pricing", "purchase"]


def test_fenced_json_is_read(server):
    server.answer('```json\n{"intent": "attribution", "slots": {"channel": "fb"}}\n```')
    outcome = ask(server)
    assert outcome.problem is None
    assert outcome.reading.slots.channel == "facebook"


def test_an_unknown_name_is_a_problem_that_names_it(server):
    server.answer('{"intent": "attribution", "slots": {"campaign": "Tiktok Spring"}}')
    outcome = ask(server)
    assert outcome.reading is None
    assert outcome.problem == (
        "the model named 'Tiktok Spring' which is not a campaign of this workspace"
    )


def test_every_unknown_name_is_named(server):
    server.answer('{"intent": "funnel", "slots": {"steps": ["purchase", "wishlist"], "goal": "x"}}')
    problem = ask(server).problem
    assert "'x' which is not a goal" in problem
    assert "'wishlist' which is not an event, page or goal" in problem
    assert "'purchase'" not in problem


def test_invalid_json_is_a_problem(server):
    server.answer('{"intent": "trend", "slots": ')
    outcome = ask(server)
    assert outcome == type(outcome)(None, "the model's answer was not valid JSON")


def test_a_json_array_is_not_an_answer(server):
    server.answer('[{"intent": "trend"}]')
    assert "not an object" in ask(server).problem


@pytest.mark.parametrize(
    "answer, where",
    [
        ('{"intent": "forecast", "slots": {}}', "intent"),
        ('{"intent": "trend", "slots": {"sql": "SELECT 1"}}', "slots.sql"),
        ('{"intent": "trend", "slots": {}, "why": "because"}', "why"),
        ('{"intent": "paths", "slots": {"top_n": 0}}', "slots.top_n"),
    ],
)
def test_an_answer_that_does_not_validate_names_the_field(server, answer, where):
    server.answer(answer)
    outcome = ask(server)
    assert outcome.reading is None
    assert outcome.problem.startswith(f"the model's answer does not fit the spec: {where}: ")


def test_a_reply_without_message_content_is_a_problem(server):
    server.body = b'{"error": "nope"}'
    assert "no message content" in ask(server).problem


def test_http_error_gives_the_status_and_an_excerpt_without_the_key(server):
    server.status = 500
    server.body = f'{{"error": "model crashed", "echo": "Bearer {KEY}"}}'.encode()
    outcome = ask(server)
    assert outcome.reading is None
    assert "HTTP 500" in outcome.problem
    assert "model crashed" in outcome.problem
    assert KEY not in outcome.problem


def test_a_slow_model_times_out_quickly(server):
    server.answer('{"intent": "trend", "slots": {}}')
    server.delay = 5.0
    config = LLMConfig(url=server.config.url, model="m", timeout=0.5)
    began = time.monotonic()
    outcome = propose("revenue by week", TODAY, CATALOGUE, config, relink)
    elapsed = time.monotonic() - began
    assert outcome.reading is None
    assert outcome.problem == "the model did not answer within 0.5 s"
    assert elapsed < 3


def test_a_closed_port_is_a_problem_not_an_exception():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = LLMConfig(url=f"http://127.0.0.1:{port}/v1", model="m", key=KEY, timeout=2)
    outcome = propose("revenue by week", TODAY, CATALOGUE, config, relink)
    assert outcome.reading is None
    assert outcome.problem.startswith("could not reach the model at ")
    assert KEY not in outcome.problem


def test_a_url_that_cannot_be_used_is_a_problem():
    config = LLMConfig(url="http://127.0.0.1:port/v1", model="m")
    assert "cannot be used" in propose("q", TODAY, {}, config, relink).problem


def test_a_config_needs_an_http_url_a_model_and_a_positive_timeout():
    with pytest.raises(ConfigError, match="http"):
        LLMConfig(url="127.0.0.1:8080/v1", model="m")
    with pytest.raises(ConfigError, match="model"):
        LLMConfig(url="http://127.0.0.1:8080/v1", model=" ")
    with pytest.raises(ConfigError, match="positive"):
        LLMConfig(url="http://127.0.0.1:8080/v1", model="m", timeout=-1)


def test_long_catalogues_are_cut_and_the_prompt_says_so(server):
    server.answer('{"intent": "ambiguous"}')
    pages = [f"/page-{i}" for i in range(MAX_NAMES_PER_KIND + 50)]
    propose("q", TODAY, {"page": pages, "goal": ["purchase"]}, server.config, relink)
    text = server.requests[0]["json"]["messages"][1]["content"]
    (line,) = [line for line in text.splitlines() if line.startswith("- page")]
    head, names = line.split(": ", 1)
    assert names.split(", ") == pages[:MAX_NAMES_PER_KIND]
    assert f"the first {MAX_NAMES_PER_KIND} of {MAX_NAMES_PER_KIND + 50}" in head
    assert "- goal: purchase" in text


def test_strip_fences_leaves_plain_text_alone():
    assert strip_fences('```\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_fences('  {"a": "```"}  ') == '{"a": "```"}'


ENV = ("WAYFINDER_LLM_URL", "WAYFINDER_LLM_MODEL", "WAYFINDER_LLM_KEY", "WAYFINDER_LLM_TIMEOUT")


def test_config_from_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    assert LLMConfig.from_env() is None
    monkeypatch.setenv("WAYFINDER_LLM_URL", "http://127.0.0.1:8080/v1")
    assert LLMConfig.from_env() is None  # a URL without a model is not a configuration
    monkeypatch.setenv("WAYFINDER_LLM_MODEL", "qwen")
    assert LLMConfig.from_env() == LLMConfig("http://127.0.0.1:8080/v1", "qwen", None, 20.0)
    monkeypatch.setenv("WAYFINDER_LLM_KEY", KEY)
    monkeypatch.setenv("WAYFINDER_LLM_TIMEOUT", "7.5")
    config = LLMConfig.from_env()
    assert (config.key, config.timeout) == (KEY, 7.5)
    assert KEY not in repr(config)
    monkeypatch.setenv("WAYFINDER_LLM_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="WAYFINDER_LLM_TIMEOUT"):
        LLMConfig.from_env()
    monkeypatch.setenv("WAYFINDER_LLM_TIMEOUT", "0")
    with pytest.raises(ConfigError, match="positive"):
        LLMConfig.from_env()
