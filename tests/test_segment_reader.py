"""The Segment reader: calls in JSONL, batch or array files become events rows or rejections.

Journeys are written as Segment calls with ``call(kind, what, ...)``; files hold them as the
tracking clients send them.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from wayfinder.errors import FileUnreadable
from wayfinder.sources import segment, segment_calls
from wayfinder.sources.base import MAX_EVENT_BYTES, REASONS
from wayfinder.sources.segment import (
    CHUNK_SCHEMA,
    RowInvalid,
    parse_event,
    read_events,
)
from wayfinder.store.schema import EVENTS

T0 = "2026-03-02T10:00:00Z"
NOON = datetime(2026, 3, 2, 12, 0)


def call(kind: str, what: str | None = None, *, anon="ann-laptop", user=None, at=T0, **fields):
    """One Segment call as a client sends it; ``what`` is the event or page/screen name."""
    payload: dict = {"type": kind, "anonymousId": anon, "timestamp": at}
    if user is not None:
        payload["userId"] = user
    if kind == "track":
        payload["event"] = what
    elif what is not None:
        payload["name"] = what
    payload.update(fields)
    return payload


def page_at(url: str, **context) -> dict:
    return {"page": {"url": url}, **context}


def write_jsonl(path: Path, *lines: dict | str) -> Path:
    """Dicts are written as JSON, strings as they are (to plant broken lines)."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(text + "\n")
    return path


def read_all(path: Path, **options) -> tuple[list[dict], list]:
    rows, rejections = [], []
    for chunk in read_events(path, **options):
        assert chunk.rows.schema == CHUNK_SCHEMA
        rows += chunk.rows.to_pylist()
        rejections += chunk.rejections
    return rows, rejections


def parse(payload: object, raw_size: int = 100) -> dict:
    return parse_event(payload, raw_size=raw_size, received_at=NOON)


def reason_of(payload: object, raw_size: int = 100) -> tuple[str, str]:
    with pytest.raises(RowInvalid) as caught:
        parse(payload, raw_size)
    return caught.value.reason, caught.value.detail


# Ann reads the pricing page, signs up, joins her company's account and buys.
ANN = [
    call("page", "Pricing", properties={"url": "https://shop.example/pricing?plan=pro"}),
    call("identify", user="ann-42", traits={"email": " Ann@Example.COM ", "plan": "pro"}),
    call("alias", anon=None, user="ann-42", previousId="ann-laptop"),
    call("group", user="ann-42", groupId="acme", traits={"name": "Acme"}),
    call("screen", "Checkout", user="ann-42"),
    call("track", "Order Completed", user="ann-42", properties={"revenue": 49.5}),
]


# -- round trips -----------------------------------------------------------------------------
def expect_ann(rows: list[dict]) -> None:
    assert [(r["line"], r["type"], r["event"], r["name"]) for r in rows] == [
        (1, "page", None, "Pricing"),
        (2, "identify", None, None),
        (3, "alias", None, None),
        (4, "group", None, None),
        (5, "screen", None, "Checkout"),
        (6, "track", "Order Completed", None),
    ]
    assert [r["identity_key"] for r in rows] == ["anonymous_id:ann-laptop"] + ["user_id:ann-42"] * 5
    alias, group, order = rows[2], rows[3], rows[5]
    assert (alias["previous_id"], alias["user_id"], alias["anonymous_id"]) == (
        "ann-laptop",
        "ann-42",
        None,
    )
    assert group["group_id"] == "acme"
    assert order["revenue"] == 49.5
    assert rows[0]["path"] == "/pricing" and rows[0]["search"] == "?plan=pro"
    assert rows[1]["email"] == "ann@example.com"
    assert all(r["timestamp"] == datetime(2026, 3, 2, 10, 0) for r in rows)


def test_jsonl_round_trip_of_the_six_call_types(tmp_path):
    rows, rejections = read_all(write_jsonl(tmp_path / "ann.jsonl", *ANN))
    assert rejections == []
    expect_ann(rows)


def test_batch_body_round_trip_with_its_envelope(tmp_path):
    # The envelope's sentAt and context are defaults; a call's own values win, key by key.
    calls = [dict(c) for c in ANN]
    calls[5]["sentAt"] = "2026-03-02T10:00:05Z"
    calls[5]["context"] = {"locale": "fr-FR"}
    body = {
        "batch": calls,
        "sentAt": "2026-03-02T10:00:02Z",
        "context": {"library": {"name": "analytics-python"}, "locale": "en-GB"},
        "writeKey": "wk_123",
        "integrations": {"All": True},
    }
    path = tmp_path / "body.json"
    path.write_bytes(orjson.dumps(body))
    rows, rejections = read_all(path)
    assert rejections == []
    expect_ann(rows)
    assert rows[0]["sent_at"] == datetime(2026, 3, 2, 10, 0, 2)
    assert rows[5]["sent_at"] == datetime(2026, 3, 2, 10, 0, 5)
    assert rows[0]["locale"] == "en-GB" and rows[5]["locale"] == "fr-FR"
    assert json.loads(rows[5]["context"]) == {
        "library": {"name": "analytics-python"},
        "locale": "fr-FR",
    }


def test_json_array_and_single_call_files(tmp_path):
    array = tmp_path / "calls.json"
    array.write_text(json.dumps(ANN, indent=2))
    rows, _ = read_all(array)
    expect_ann(rows)

    single = tmp_path / "one.json"
    single.write_text(json.dumps(ANN[5], indent=2))
    rows, _ = read_all(single)
    assert [(r["line"], r["event"]) for r in rows] == [(1, "Order Completed")]


def test_gzip_is_found_by_content_whatever_the_name(tmp_path):
    rows, _ = read_all(write_jsonl(tmp_path / "ann.jsonl.gz", *ANN))
    expect_ann(rows)

    body = tmp_path / "upload.bin"
    body.write_bytes(gzip.compress(orjson.dumps({"batch": ANN})))
    rows, _ = read_all(body)
    expect_ann(rows)


def test_format_is_found_by_content_not_by_extension(tmp_path):
    jsonl_named_json = write_jsonl(tmp_path / "export.json", *ANN[:2])
    batch_named_txt = tmp_path / "body.txt"
    batch_named_txt.write_text(json.dumps({"batch": ANN[:2]}, indent=2))
    for path in (jsonl_named_json, batch_named_txt):
        rows, rejections = read_all(path)
        assert [r["type"] for r in rows] == ["page", "identify"] and rejections == []


def test_blank_lines_are_skipped_but_counted_and_a_bom_is_ignored(tmp_path):
    path = tmp_path / "gaps.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + orjson.dumps(ANN[0]) + b"\n\n   \n" + orjson.dumps(ANN[5]) + b"\r\n"
    )
    rows, rejections = read_all(path)
    assert [(r["line"], r["type"]) for r in rows] == [(1, "page"), (4, "track")]
    assert rejections == []


def test_chunks_hold_at_most_chunk_rows_records_typed_as_the_events_table(tmp_path):
    path = write_jsonl(tmp_path / "ann.jsonl", *ANN, "{broken")
    chunks = list(read_events(path, chunk_rows=4))
    assert [(c.rows.num_rows, len(c.rejections)) for c in chunks] == [(4, 0), (2, 1)]
    events = EVENTS.schema.to_pyarrow()
    for name in (*(c.name for c in EVENTS.columns), "row_hash"):
        assert chunks[0].rows.schema.field(name).type == events.field(name).type, name
    assert chunks[0].rows.schema.field("timestamp").type == pa.timestamp("us")
    assert chunks[0].rows.schema.field("line").type == pa.int64()


def test_large_chunks_are_built_from_small_arrow_batches_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "_BATCH_ROWS", 2)
    path = write_jsonl(tmp_path / "ann.jsonl", *ANN, "[]", *ANN)
    chunks = list(read_events(path, chunk_rows=9))
    assert [(c.rows.num_rows, [r.line for r in c.rejections]) for c in chunks] == [
        (8, [7]),
        (4, []),
    ]
    assert [line for c in chunks for line in c.rows.column("line").to_pylist()] == [
        1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13,
    ]  # fmt: skip

    body = tmp_path / "body.json"
    body.write_text(json.dumps({"batch": ANN}))
    assert [c.rows.num_rows for c in read_events(body, chunk_rows=4)] == [4, 2]


# -- rejections ------------------------------------------------------------------------------
def test_each_bad_call_is_rejected_with_its_reason_and_line_while_good_ones_load(tmp_path):
    good = call("track", "Signed Up")
    lines = [
        good,  # 1
        '{"type": "track", "event": "Signed Up", "anonymousId": ',  # 2 cut short
        {"event": "Signed Up", "anonymousId": "a"},  # 3
        call("purchase"),  # 4
        call("track", "Signed Up", anon=None),  # 5
        call("track", "Signed Up", at="2026-13-45"),  # 6
        call("track", None),  # 7
        call("track", "Signed Up", properties=["plan", "pro"]),  # 8
        call("track", "Signed Up", properties={"blob": "x" * MAX_EVENT_BYTES}),  # 9
        call("alias", user="ann-42"),  # 10
        call("group", user="ann-42"),  # 11
        '["track", "Signed Up"]',  # 12
        call("track", "Order Completed", properties={"revenue": "lots"}),  # 13
        call("identify", user="ann-42", context={"traits": "vip"}),  # 14
        good,  # 15
    ]
    rows, rejections = read_all(write_jsonl(tmp_path / "mixed.jsonl", *lines))
    assert [r["line"] for r in rows] == [1, 15]
    assert [(r.line, r.reason) for r in rejections] == [
        (2, "malformed_json"),
        (3, "missing_type"),
        (4, "unknown_type"),
        (5, "missing_identity"),
        (6, "bad_timestamp"),
        (7, "missing_event_name"),
        (8, "properties_not_object"),
        (9, "event_too_large"),
        (10, "missing_alias_ids"),
        (11, "missing_group_id"),
        (12, "not_an_object"),
        (13, "wrong_type"),
        (14, "properties_not_object"),
    ]
    assert all(r.reason in REASONS for r in rejections)
    by_line = {r.line: r for r in rejections}
    assert by_line[2].raw == lines[1]
    assert by_line[2].detail.startswith("line is not valid JSON: unexpected end of data at column")
    assert by_line[6].detail == "timestamp '2026-13-45' is not ISO 8601"
    assert by_line[4].detail.startswith("type 'purchase' is not identify")
    assert by_line[8].detail == "properties is an array, not an object"
    assert by_line[10].detail == "alias call without previousId"
    assert by_line[13].detail == "properties.revenue is the string 'lots', not a number"
    assert by_line[14].detail == "context.traits is the string 'vip', not an object"
    assert json.loads(by_line[9].raw) == lines[8]  # kept whole in quarantine


def test_batch_rejections_carry_the_position_in_the_batch(tmp_path):
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"batch": [ANN[0], call("track", None), "oops", ANN[5]]}))
    rows, rejections = read_all(path)
    assert [r["line"] for r in rows] == [1, 4]
    assert [(r.line, r.reason, r.raw) for r in rejections] == [
        (2, "missing_event_name", orjson.dumps(call("track", None)).decode()),
        (3, "not_an_object", '"oops"'),
    ]


def test_size_is_checked_before_anything_else():
    assert reason_of("not even an object", raw_size=MAX_EVENT_BYTES + 1)[0] == "event_too_large"
    assert parse(call("track", "Signed Up"), raw_size=MAX_EVENT_BYTES)["event"] == "Signed Up"


BAD_CALLS = [
    ("missing_alias_ids", "alias call without previousId and userId", call("alias", anon=None)),
    ("missing_alias_ids", "alias call without previousId", call("alias", user="u", previousId="")),
    ("missing_group_id", "group call without groupId", call("group", groupId=None)),
    ("missing_event_name", "track call without an event name", call("track", "")),
    ("bad_timestamp", "sentAt 'yesterday' is not ISO 8601", call("track", "x", sentAt="yesterday")),
    (
        "bad_timestamp",
        "timestamp 1700000000 is not epoch milliseconds (epoch seconds are not accepted)",
        call("track", "x", at=1_700_000_000),
    ),
    ("bad_timestamp", "timestamp is the value true, not a timestamp", call("track", "x", at=True)),
    ("properties_not_object", "traits is the value 7, not an object", call("identify", traits=7)),
    (
        "properties_not_object",
        "context is the string 'web', not an object",
        call("page", context="web"),
    ),
    ("wrong_type", "userId is an object, not a string", call("track", "x", userId={"id": 1})),
    ("unknown_type", "type ' ' is not identify, track, page, screen, group or alias", call(" ")),
    (
        "wrong_type",
        "properties.total is the string '1,50', not a number",
        call("track", "x", properties={"total": "1,50"}),
    ),
]


@pytest.mark.parametrize(("reason", "detail", "payload"), BAD_CALLS)
def test_rejection_details_say_exactly_what_is_wrong(reason, detail, payload):
    assert reason_of(payload) == (reason, detail)


# -- identity ----------------------------------------------------------------------------------
def test_explicit_nulls_and_empty_strings_are_absent():
    row = parse(
        call(
            "track",
            "Signed Up",
            anon="",
            userId=None,
            user_id="ann-42",
            properties=None,
            context=None,
            timestamp=None,
            messageId=None,
        )
    )
    assert (row["anonymous_id"], row["user_id"], row["identity_key"]) == (
        None,
        "ann-42",
        "user_id:ann-42",
    )
    assert (row["properties"], row["context"]) == (None, None)
    assert row["timestamp"] == NOON  # no device time: when it was received
    assert row["message_id"].startswith("wf-")
    assert reason_of(call("track", "x", anon=None, userId=None))[0] == "missing_identity"


def test_ids_are_strings_and_junk_is_kept_for_identity_stitching():
    row = parse(call("group", anon=12345, user=7.0, groupId=99))
    assert (row["anonymous_id"], row["user_id"], row["group_id"]) == ("12345", "7", "99")
    junk = parse(call("track", "x", anon="undefined"))
    assert junk["identity_key"] == "anonymous_id:undefined"
    snake = parse({"type": "Page", "anonymous_id": "a-1", "message_id": "m-1"})
    assert (snake["type"], snake["anonymous_id"], snake["message_id"]) == ("page", "a-1", "m-1")


def test_traits_merge_context_traits_with_top_level_winning():
    row = parse(
        call(
            "identify",
            user="ann-42",
            traits={"plan": "pro"},
            context={"traits": {"plan": "free", "email": "ANN@example.com"}},
        )
    )
    assert json.loads(row["traits"]) == {"plan": "pro", "email": "ANN@example.com"}
    assert row["email"] == "ann@example.com"

    track = parse(call("track", "x", context={"traits": {"email": "bob@example.com "}}))
    assert track["email"] == "bob@example.com"
    assert parse(call("identify", traits={"email": "not an email"}))["email"] is None


def test_a_group_s_traits_are_the_company_s_so_its_email_is_not_the_person_s():
    row = parse(call("group", user="ann-42", groupId="acme", traits={"email": "billing@acme.com"}))
    assert row["email"] is None
    assert json.loads(row["traits"]) == {"email": "billing@acme.com"}


# -- time --------------------------------------------------------------------------------------
def test_clock_skew_is_corrected_with_sent_and_received_times():
    # Ann's phone runs 5 minutes fast. It records the order at 10:05:00 by its own clock and
    # sends it 30 s later (10:05:30 by its clock); the server receives it at 10:00:31 real time.
    # timestamp = receivedAt - (sentAt - originalTimestamp) = 10:00:31 - 30 s = 10:00:01.
    row = parse(
        call(
            "track",
            "Order Completed",
            at=None,
            originalTimestamp="2026-03-02T12:05:00+02:00",
            sentAt="2026-03-02T10:05:30.000Z",
            receivedAt="2026-03-02 10:00:31",
        )
    )
    assert row["timestamp"] == datetime(2026, 3, 2, 10, 0, 1)
    assert row["original_timestamp"] == datetime(2026, 3, 2, 10, 5, 0)
    assert row["sent_at"] == datetime(2026, 3, 2, 10, 5, 30)
    assert row["received_at"] == datetime(2026, 3, 2, 10, 0, 31)


def test_without_sent_at_the_device_time_is_kept():
    row = parse(call("track", "x", at="2026-03-02T10:00:00Z", receivedAt="2026-03-02T11:00:00Z"))
    assert row["timestamp"] == datetime(2026, 3, 2, 10, 0)
    assert row["received_at"] == datetime(2026, 3, 2, 11, 0)
    # A warehouse export carries Segment's corrected timestamp next to the device's own.
    exported = parse(call("track", "x", at=T0, originalTimestamp="2026-03-02T10:05:00Z"))
    assert exported["timestamp"] == datetime(2026, 3, 2, 10, 0)
    assert exported["original_timestamp"] == datetime(2026, 3, 2, 10, 5)


def test_a_file_s_ingest_time_does_not_correct_clocks_but_a_known_arrival_does(tmp_path):
    path = write_jsonl(tmp_path / "old.jsonl", call("track", "x", sentAt="2026-03-02T10:00:30Z"))
    (row,), _ = read_all(path)
    assert row["timestamp"] == datetime(2026, 3, 2, 10, 0)  # not moved to today
    assert row["received_at"] > datetime(2026, 1, 1)  # the ingest time stands in

    arrival = datetime(2026, 3, 2, 11, 0, 10, tzinfo=UTC)
    (row,), _ = read_all(path, received_at=arrival)
    assert row["timestamp"] == datetime(2026, 3, 2, 10, 59, 40)
    assert row["received_at"] == datetime(2026, 3, 2, 11, 0, 10)


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-03-02T10:00:00Z", datetime(2026, 3, 2, 10, 0)),
        ("2026-03-02T10:00:00.123Z", datetime(2026, 3, 2, 10, 0, 0, 123000)),
        ("2026-03-02T10:00:00.123456789Z", datetime(2026, 3, 2, 10, 0, 0, 123456)),
        ("2026-03-02T12:30:00+02:30", datetime(2026, 3, 2, 10, 0)),
        ("2026-03-02T05:00:00-05:00", datetime(2026, 3, 2, 10, 0)),
        ("2026-03-02 10:00:00", datetime(2026, 3, 2, 10, 0)),
        (1772445600000, datetime(2026, 3, 2, 10, 0)),
        (1772445600123.0, datetime(2026, 3, 2, 10, 0, 0, 123000)),
        ("1772445600000", datetime(2026, 3, 2, 10, 0)),
    ],
)
def test_timestamps_are_normalised_to_naive_utc(written, utc):
    row = parse(call("track", "x", at=written))
    assert row["timestamp"] == utc and row["timestamp"].tzinfo is None


def test_an_aware_received_at_argument_is_turned_to_naive_utc():
    paris = timezone(timedelta(hours=1))
    row = parse_event(
        call("track", "x", at=None), raw_size=10, received_at=datetime(2026, 3, 2, 13, tzinfo=paris)
    )
    assert row["received_at"] == row["timestamp"] == NOON


# -- where from ------------------------------------------------------------------------------
def test_page_fields_come_from_page_properties_then_context_page():
    row = parse(
        call(
            "page",
            properties={"title": "Pricing", "url": "https://shop.example/pricing?x=1#top"},
            context={"page": {"referrer": "https://news.example/", "title": "ignored"}},
        )
    )
    assert (row["url"], row["path"], row["search"], row["title"], row["referrer"]) == (
        "https://shop.example/pricing?x=1#top",
        "/pricing",
        "?x=1",
        "Pricing",
        "https://news.example/",
    )
    # A track call takes them from context.page only: its properties describe the action.
    track = parse(
        call("track", "Clicked", properties={"url": "https://cdn.example/file.pdf"}, context={})
    )
    assert track["url"] is None
    assert parse(call("page", context=page_at("https://shop.example")))["path"] == "/"


def test_utm_come_from_the_url_when_context_campaign_is_absent():
    url = "https://shop.example/?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring%20sale&utm_content=video+a"
    row = parse(call("page", context=page_at(url)))
    assert (row["utm_source"], row["utm_medium"], row["utm_campaign"]) == (
        "facebook",
        "paid_social",
        "spring sale",
    )
    assert (row["utm_term"], row["utm_content"]) == (None, "video a")


def test_utm_come_from_context_campaign_as_a_whole_when_present():
    campaign = {"name": "spring", "source": "newsletter", "medium": "email", "term": "shoes"}
    row = parse(
        call(
            "page",
            context=page_at(
                "https://shop.example/?utm_source=facebook&utm_content=c1", campaign=campaign
            ),
        )
    )
    assert [row[f"utm_{k}"] for k in ("source", "medium", "campaign", "term", "content")] == [
        "newsletter",
        "email",
        "spring",
        "shoes",
        None,  # not taken from the URL: that would mix two campaigns
    ]


def test_a_campaign_without_utm_keys_leaves_the_url_s_utm():
    context = page_at("https://shop.example/?utm_source=google&utm_medium=cpc", campaign={})
    row = parse(call("page", context=context))
    assert (row["utm_source"], row["utm_medium"]) == ("google", "cpc")


@pytest.mark.parametrize(
    ("query", "click_id", "click_id_type"),
    [
        ("gclid=Cj0KCQ", "Cj0KCQ", "gclid"),
        ("fbclid=IwAR1&gclid=G1", "G1", "gclid"),  # gclid takes precedence over fbclid
        ("utm_source=x&msclkid=m-1", "m-1", "msclkid"),
        ("li_fat_id=li-9", "li-9", "li_fat_id"),
        ("ScCid=snap", "snap", "ScCid"),
        ("ttclid=&twclid=tw", "tw", "twclid"),  # an empty value is no click id
        ("ref=home", None, None),
    ],
)
def test_click_ids_are_found_on_the_url(query, click_id, click_id_type):
    row = parse(call("track", "x", context=page_at(f"https://shop.example/p?{query}")))
    assert (row["click_id"], row["click_id_type"]) == (click_id, click_id_type)


def test_revenue_currency_and_context_columns():
    context = {
        "device": {"type": "mobile"},
        "os": {"name": "iOS"},
        "userAgent": "Mozilla/5.0",
        "ip": "203.0.113.7",
        "locale": "de-DE",
        "location": {"country": "Germany"},
    }
    row = parse(
        call(
            "track",
            "Order Completed",
            properties={"total": "19.90", "currency": "EUR"},
            context=context,
        )
    )
    assert (row["revenue"], row["currency"]) == (19.9, "EUR")
    assert [
        row[c] for c in ("device_type", "os_name", "user_agent", "ip", "locale", "country")
    ] == [
        "mobile",
        "iOS",
        "Mozilla/5.0",
        "203.0.113.7",
        "de-DE",
        "Germany",
    ]
    both = parse(call("track", "x", properties={"revenue": 5, "total": 100}))
    assert both["revenue"] == 5.0


# -- content kept intact -----------------------------------------------------------------------
def test_non_ascii_and_emoji_round_trip_exactly(tmp_path):
    calls = [
        call("identify", user="zoë", traits={"name": "Zoë Ørsted 🚀", "city": "東京"}),
        call("track", "Заказ оформлен 🎉", user="zoë", properties={"note": "naïve café ☕"}),
    ]
    rows, rejections = read_all(write_jsonl(tmp_path / "intl.jsonl", *calls))
    assert rejections == []
    assert rows[0]["traits"] == '{"city":"東京","name":"Zoë Ørsted 🚀"}'
    assert rows[1]["event"] == "Заказ оформлен 🎉"
    assert rows[1]["identity_key"] == "user_id:zoë"
    assert json.loads(rows[1]["properties"]) == {"note": "naïve café ☕"}


def test_parse_event_gives_exactly_the_events_input_columns():
    row = parse(ANN[5])
    assert list(row) == [c.name for c in EVENTS.columns] + ["row_hash"]


def test_the_reader_module_re_exports_what_the_call_module_owns():
    owned = {
        "RowInvalid",
        "parse_event",
        "CHUNK_SCHEMA",
        "EVENT_COLUMNS",
        "CALL_TYPES",
        "CLICK_IDS",
    }
    assert set(segment_calls.__all__) == owned
    for name in owned:
        assert getattr(segment, name) is getattr(segment_calls, name), name
        assert name in segment.__all__, name


# -- dedup -------------------------------------------------------------------------------------
def test_a_missing_message_id_is_derived_from_the_content_deterministically(tmp_path):
    path = write_jsonl(tmp_path / "ann.jsonl", *ANN)
    first, _ = read_all(path, received_at=datetime(2026, 3, 2, 11))
    again, _ = read_all(path, received_at=datetime(2026, 3, 9, 11))
    ids = [r["message_id"] for r in first]
    assert ids == [r["message_id"] for r in again]
    assert all(i.startswith("wf-") for i in ids) and len(set(ids)) == len(ids)
    assert [r["message_id"] for r in first] == ["wf-" + r["row_hash"] for r in first]


def test_a_client_retry_hashes_the_same_and_a_changed_event_does_not():
    order = call("track", "Order Completed", properties={"revenue": 10, "sku": "a"})
    retry = {**order, "sentAt": "2026-03-02T10:09:00Z", "receivedAt": "2026-03-02T10:09:01Z"}
    reordered = {**order, "properties": {"sku": "a", "revenue": 10}}
    changed = {**order, "properties": {"revenue": 11, "sku": "a"}}
    hashes = [parse(p)["row_hash"] for p in (order, retry, reordered, changed)]
    assert hashes[0] == hashes[1] == hashes[2] != hashes[3]
    given = parse({**order, "messageId": "m-1"})
    assert (given["message_id"], given["row_hash"]) == ("m-1", hashes[0])


# -- files that cannot be read -----------------------------------------------------------------
def unreadable(path: Path) -> str:
    with pytest.raises(FileUnreadable) as caught:
        list(read_events(path))
    assert str(path) in caught.value.message
    return caught.value.message


def test_a_missing_file_is_unreadable(tmp_path):
    assert "no such file" in unreadable(tmp_path / "nowhere.jsonl")
    assert "directory" in unreadable(tmp_path)


def test_a_corrupt_or_truncated_gzip_is_unreadable(tmp_path):
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00garbage" * 20)
    assert "corrupt or truncated gzip" in unreadable(corrupt)

    whole = gzip.compress(b"\n".join(orjson.dumps(c) for c in ANN * 500))
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    assert "corrupt or truncated gzip" in unreadable(truncated)


def test_binary_garbage_and_other_encodings_are_unreadable(tmp_path):
    garbage = tmp_path / "image.jsonl"
    garbage.write_bytes(bytes(range(128, 256)) * 4)
    assert "not UTF-8" in unreadable(garbage)

    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(
        orjson.dumps(ANN[0]) + b"\n" + '{"type": "track", "event": "Café"}'.encode("latin-1")
    )
    assert "line 2 is not UTF-8" in unreadable(latin1)

    csv = tmp_path / "events.csv"
    csv.write_text("type,event\ntrack,Signed Up\n")
    assert "does not start with a JSON object or array" in unreadable(csv)


def test_a_json_file_that_is_not_json_is_unreadable(tmp_path):
    broken = tmp_path / "body.json"
    broken.write_text('{\n  "batch": [\n    {"type": "track"},\n')
    assert "not valid JSON" in unreadable(broken)

    array = tmp_path / "calls.txt"
    array.write_text('[{"type": "track"}, ')
    assert "not valid JSON" in unreadable(array)

    not_a_batch = tmp_path / "odd.json"
    not_a_batch.write_text('{"batch": {"type": "track"}}')
    assert "not an array of calls" in unreadable(not_a_batch)


def test_a_broken_first_jsonl_line_is_a_rejection_not_a_file_error(tmp_path):
    for name in ("events.jsonl", "events.log"):
        path = write_jsonl(
            tmp_path / name, '{"type": "track", "event": "Sig', call("track", "Signed Up")
        )
        rows, rejections = read_all(path)
        assert [r["line"] for r in rows] == [2]
        assert [(r.line, r.reason) for r in rejections] == [(1, "malformed_json")]

    plain_text = write_jsonl(tmp_path / "notes.ndjson", "hello", call("track", "Signed Up"))
    rows, rejections = read_all(plain_text)
    assert len(rows) == 1 and [(r.line, r.reason) for r in rejections] == [(1, "malformed_json")]


def test_an_empty_file_yields_nothing(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert list(read_events(empty)) == []
