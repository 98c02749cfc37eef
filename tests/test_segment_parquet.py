"""Segment calls in Parquet files: one row a call, a column per field, read like the JSONL.

Each test writes the same journey as JSONL and as Parquet and expects the same rows: the
JSONL reader is the oracle for every rule the Parquet reader must apply.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wayfinder.errors import FileUnreadable
from wayfinder.sources import segment
from wayfinder.sources.base import MAX_EVENT_BYTES, REASONS
from wayfinder.sources.segment import CHUNK_SCHEMA, read_events

FIELDS = (
    "type", "messageId", "anonymousId", "userId", "event", "name", "previousId", "groupId",
    "timestamp", "originalTimestamp", "sentAt", "receivedAt", "properties", "traits", "context",
)  # fmt: skip
OBJECTS = ("properties", "traits", "context")
TIMES = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
T0 = "2026-03-02T10:00:00Z"
NOON = datetime(2026, 3, 2, 12, 0)
LANDING = "https://shop.example/tents?utm_source=google&utm_medium=cpc&gclid=g-1"


def call(kind: str, what: str | None = None, *, anon="ben-phone", user=None, at=T0, **fields):
    """One Segment call as a client sends it; ``what`` is the event or page/screen name."""
    payload: dict = {"type": kind, "anonymousId": anon, "timestamp": at}
    if user is not None:
        payload["userId"] = user
    if kind == "track":
        payload["event"] = what
    elif what is not None:
        payload["name"] = what
    payload.update(fields)
    return {key: value for key, value in payload.items() if value is not None}


# Ben lands from a Google ad, signs up, joins his company's account and buys: every column and
# object shape once, messageIds given and derived, a clock to correct.
BEN = [
    call("page", "Tents", context={"page": {"url": LANDING, "title": "Tents"}, "locale": "en-GB"}),
    call(
        "track",
        "Product Added",
        messageId="m-2",
        properties={"sku": "tent-2p", "price": 120, "items": [{"sku": "peg"}, {"qty": 8}]},
        context={"page": {"url": LANDING}, "device": {"type": "mobile"}},
        sentAt="2026-03-02T10:00:05Z",
        receivedAt="2026-03-02T10:00:02Z",
    ),
    call("identify", user="ben-7", traits={"email": "Ben@Example.com", "plan": "free"}),
    call("alias", anon=None, user="ben-7", previousId="ben-phone"),
    call("group", user="ben-7", groupId="acme", traits={"name": "Acme"}),
    call("screen", "Checkout", user="ben-7", originalTimestamp="2026-03-02T09:59:58Z"),
    call(
        "track",
        "Order Completed",
        user="ben-7",
        properties={"revenue": 150.5, "currency": "EUR"},
        context={"campaign": {"source": "newsletter", "medium": "email"}},
    ),
]


def write_jsonl(path: Path, calls: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in calls))
    return path


def write_parquet(path: Path, calls: list[dict], *, objects: str = "json", **columns) -> Path:
    """A column per Segment field; objects as JSON text (``"json"``) or as Arrow infers them
    (``"struct"``: dicts become structs). ``columns`` replaces whole columns with other types.
    """
    table = {}
    for field in FIELDS:
        values = [c.get(field) for c in calls]
        if field in OBJECTS and objects == "json":
            # Pretty-printed on purpose: the text only has to be JSON.
            table[field] = pa.array(
                [None if v is None else json.dumps(v, indent=2) for v in values], pa.string()
            )
        elif field in OBJECTS or any(v is not None for v in values):
            table[field] = pa.array(values)
        else:
            table[field] = pa.array(values, pa.string())
    table.update(columns)
    pq.write_table(pa.table(table), path)
    return path


def read_all(path: Path, **options) -> tuple[list[dict], list]:
    rows, rejections = [], []
    options.setdefault("received_at", NOON)  # the same arrival for every read, to compare rows
    for chunk in read_events(path, **options):
        assert chunk.rows.schema == CHUNK_SCHEMA
        rows += chunk.rows.to_pylist()
        rejections += chunk.rejections
    return rows, rejections


def as_jsonl(tmp_path: Path, calls: list[dict]) -> list[dict]:
    rows, rejections = read_all(write_jsonl(tmp_path / "oracle.jsonl", calls))
    assert rejections == []
    return rows


# -- the same rows as the JSONL --------------------------------------------------------------
def test_json_text_objects_load_the_same_rows_as_jsonl(tmp_path):
    rows, rejections = read_all(write_parquet(tmp_path / "ben.parquet", BEN))
    assert rejections == []
    assert rows == as_jsonl(tmp_path, BEN)
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    landing = rows[0]
    assert (landing["utm_source"], landing["click_id"], landing["path"]) == (
        "google",
        "g-1",
        "/tents",
    )
    assert rows[1]["timestamp"] == datetime(2026, 3, 2, 9, 59, 57)  # device clock corrected


def test_struct_and_map_objects_load_the_same_rows_as_jsonl(tmp_path):
    traits = pa.array(
        [None if c.get("traits") is None else list(c["traits"].items()) for c in BEN],
        pa.map_(pa.string(), pa.string()),
    )
    path = write_parquet(tmp_path / "ben.parquet", BEN, objects="struct", traits=traits)
    schema = pq.read_schema(path)
    assert pa.types.is_struct(schema.field("context").type)
    assert pa.types.is_map(schema.field("traits").type)

    rows, rejections = read_all(path)
    assert rejections == []
    # A struct has every field in every row: the fields a call lacked must not appear as nulls.
    assert rows == as_jsonl(tmp_path, BEN)
    assert json.loads(rows[1]["properties"])["items"] == [{"sku": "peg"}, {"qty": 8}]


def test_decimals_in_objects_are_numbers(tmp_path):
    order = call("track", "Order Completed", properties={"revenue": 150.5, "currency": "EUR"})
    money = pa.struct([("revenue", pa.decimal128(10, 2)), ("currency", pa.string())])
    properties = pa.array([{"revenue": Decimal("150.50"), "currency": "EUR"}], money)
    path = write_parquet(tmp_path / "order.parquet", [order], properties=properties)
    assert read_all(path) == (as_jsonl(tmp_path, [order]), [])


def test_text_as_binary_or_dictionary_columns_loads_the_same_rows(tmp_path):
    # Some tools write strings without their UTF-8 mark, or dictionary-encode repeated ones.
    text = write_parquet(tmp_path / "text.parquet", BEN)
    table = pq.read_table(text)
    for name in ("anonymousId", "context"):
        table = table.set_column(
            table.schema.get_field_index(name), name, table.column(name).cast(pa.binary())
        )
    at = table.schema.get_field_index("properties")
    table = table.set_column(at, "properties", table.column("properties").dictionary_encode())
    pq.write_table(table, tmp_path / "odd.parquet")
    schema = pq.read_schema(tmp_path / "odd.parquet")
    assert schema.field("context").type == pa.binary()
    assert pa.types.is_dictionary(schema.field("properties").type)
    assert read_all(tmp_path / "odd.parquet") == (as_jsonl(tmp_path, BEN), [])


def test_parquet_timestamp_columns_with_and_without_a_zone(tmp_path):
    def moments(kind: pa.DataType, shift: timedelta, tz: timezone | None) -> dict:
        def moment(text):
            if text is None:
                return None
            utc = datetime.fromisoformat(text.removesuffix("Z"))
            return (utc + shift).replace(tzinfo=tz)

        return {f: pa.array([moment(c.get(f)) for c in BEN], kind) for f in TIMES}

    paris = timezone(timedelta(hours=1))
    oracle = as_jsonl(tmp_path, BEN)
    cases = {
        "aware-us": moments(pa.timestamp("us", tz="Europe/Paris"), timedelta(hours=1), paris),
        "aware-ms": moments(pa.timestamp("ms", tz="+01:00"), timedelta(hours=1), paris),
        "naive-ns": moments(pa.timestamp("ns"), timedelta(0), None),  # zone-less means UTC
        "naive-s": moments(pa.timestamp("s"), timedelta(0), None),
    }
    for name, columns in cases.items():
        path = write_parquet(tmp_path / f"{name}.parquet", BEN, **columns)
        assert pa.types.is_timestamp(pq.read_schema(path).field("timestamp").type)
        rows, rejections = read_all(path)
        assert rejections == [], name
        assert rows == oracle, name


def test_the_format_is_found_by_its_magic_bytes_gzipped_or_not(tmp_path):
    oracle = as_jsonl(tmp_path, BEN)
    parquet = write_parquet(tmp_path / "ben.parquet", BEN)
    misnamed = tmp_path / "ben.jsonl"
    misnamed.write_bytes(parquet.read_bytes())
    zipped = tmp_path / "ben.parquet.gz"
    zipped.write_bytes(gzip.compress(parquet.read_bytes()))
    for path in (misnamed, zipped):
        assert read_all(path) == (oracle, [])


# -- rejections ------------------------------------------------------------------------------
def test_bad_rows_are_rejected_with_their_row_number_while_others_load(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "_PARQUET_ROWS", 2)  # row numbers run on across record batches
    good = call("track", "Signed Up")
    calls = [
        good,  # 1
        {"anonymousId": "ben-phone", "event": "Signed Up"},  # 2 no type
        call("track", "Signed Up", at="2026-13-45"),  # 3
        good,  # 4
        call("track", "Signed Up", properties="{broken"),  # 5 text that is not JSON
        call("track", "Signed Up", properties="[1, 2]"),  # 6 JSON, not an object
        call("track", "Signed Up", anon=None),  # 7
        good,  # 8
    ]
    # Objects as given: a text column that holds two rows of text that are not JSON objects.
    path = write_parquet(tmp_path / "mixed.parquet", calls, objects="struct")

    rows, rejections = read_all(path, chunk_rows=3)
    assert [r["line"] for r in rows] == [1, 4, 8]
    assert [(r.line, r.reason) for r in rejections] == [
        (2, "missing_type"),
        (3, "bad_timestamp"),
        (5, "malformed_json"),
        (6, "properties_not_object"),
        (7, "missing_identity"),
    ]
    assert all(r.reason in REASONS for r in rejections)
    by_line = {r.line: r for r in rejections}
    # The raw text is the row as compact JSON, its null columns left out: fix it and re-send.
    assert by_line[2].raw == orjson.dumps(calls[1]).decode()
    assert by_line[3].detail == "timestamp '2026-13-45' is not ISO 8601"
    assert by_line[5].detail.startswith("properties is not valid JSON: ")
    assert json.loads(by_line[5].raw)["properties"] == "{broken"
    assert json.loads(by_line[6].raw)["properties"] == [1, 2]


def test_the_32_kb_limit_applies_to_the_row_as_compact_json(tmp_path):
    blob = "x" * (MAX_EVENT_BYTES // 2)
    roomy = call("track", "Signed Up", properties={"a": blob})  # fits once compact
    large = call("track", "Signed Up", properties={"a": blob, "b": blob})
    texts = pa.array([json.dumps(c["properties"], indent=MAX_EVENT_BYTES) for c in (roomy, large)])
    assert len(texts[0].as_py()) > MAX_EVENT_BYTES
    path = write_parquet(tmp_path / "big.parquet", [roomy, large], properties=texts)

    rows, rejections = read_all(path)
    assert [r["line"] for r in rows] == [1]
    assert [(r.line, r.reason) for r in rejections] == [(2, "event_too_large")]
    size = len(orjson.dumps(large))
    assert rejections[0].detail.startswith(f"event is {size} bytes")
    assert json.loads(rejections[0].raw) == large


def test_a_timestamp_beyond_year_9999_is_rejected_and_the_others_load(tmp_path):
    far = 253_402_300_800_000_000 + 1  # microseconds: just after 9999-12-31T23:59:59.999999
    ticks = pa.array([1_772_445_600_000_000, far], pa.int64())
    path = write_parquet(
        tmp_path / "far.parquet",
        [call("track", "Signed Up"), call("track", "Signed Up")],
        timestamp=ticks.cast(pa.timestamp("us", tz="UTC")),
    )
    rows, rejections = read_all(path)
    assert [(r["line"], r["timestamp"]) for r in rows] == [(1, datetime(2026, 3, 2, 10, 0))]
    assert [(r.line, r.reason) for r in rejections] == [(2, "bad_timestamp")]
    assert "'10000-01-01 00:00:00.000001Z'" in rejections[0].detail


# -- files that cannot be read ---------------------------------------------------------------
@pytest.mark.parametrize("damage", ["garbage after the magic", "cut in half", "footer lost"])
def test_a_corrupt_parquet_file_is_unreadable_and_named(tmp_path, damage):
    whole = write_parquet(tmp_path / "ben.parquet", BEN * 50).read_bytes()
    broken = {
        "garbage after the magic": b"PAR1" + b"\x00garbage" * 40,
        "cut in half": whole[: len(whole) // 2],
        "footer lost": whole[:-12] + whole[-4:],
    }[damage]
    path = tmp_path / "events.parquet"
    path.write_bytes(broken)
    with pytest.raises(FileUnreadable) as caught:
        list(read_events(path))
    assert str(path) in caught.value.message
    assert "not a readable Parquet file" in caught.value.message
