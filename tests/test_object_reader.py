"""The object reader: sample files, column mappings, and every way an input can be wrong."""

from __future__ import annotations

import gzip
from datetime import date, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wayfinder.errors import FileUnreadable, MappingError, UnknownName
from wayfinder.sources import objects
from wayfinder.sources.base import REASONS, Rejection
from wayfinder.sources.mapping import ColumnMapping, load_mapping
from wayfinder.sources.objects import read_objects
from wayfinder.store.schema import INPUT_TABLES, OBJECT_KINDS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"
MAPPINGS = ROOT / "examples" / "mappings"

SAMPLES = {
    "people.csv": ("people", 9),
    "accounts.csv": ("accounts", 7),
    "deals.csv": ("deals", 8),
    "deals.parquet": ("deals", 8),
    "interactions.jsonl": ("interactions", 10),
    "content.csv": ("content", 6),
    "subscriptions.csv": ("subscriptions", 7),
    "spend.csv": ("spend", 11),
    "social_edges.csv": ("social_edges", 8),
    "consents.csv": ("consents", 7),
    "feedback.jsonl": ("feedback", 7),
}
ARROW = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


def read(path: Path, kind: str, **options) -> tuple[pa.Table, list[Rejection]]:
    chunks = list(read_objects(path, kind, **options))
    schema = _schema(kind)
    tables = [c.rows for c in chunks] or [schema.empty_table()]
    for table in tables:
        assert table.schema == schema
    rejections = [r for c in chunks for r in c.rejections]
    for rejection in rejections:
        assert rejection.reason in REASONS
    return pa.concat_tables(tables), rejections


def rows(table: pa.Table) -> dict[str, dict]:
    """Rows by their first column (the kind's id), for readable assertions."""
    key = table.column_names[0]
    return {row[key]: row for row in table.to_pylist()}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _schema(kind: str) -> pa.Schema:
    spec = INPUT_TABLES[kind]
    fields = [pa.field(c.name, ARROW[c.dtype]) for c in spec.columns]
    return pa.schema(fields + [pa.field("row_hash", pa.string()), pa.field("line", pa.int64())])


# --- the sample files ------------------------------------------------------------------------


def test_every_object_kind_has_a_sample():
    assert {kind for kind, _ in SAMPLES.values()} == set(OBJECT_KINDS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reads_without_rejections(name):
    kind, count = SAMPLES[name]
    table, rejections = read(DATA / name, kind)
    assert rejections == []
    assert table.num_rows == count
    spec = INPUT_TABLES[kind]
    for column in spec.required:
        assert table.column(column).null_count == 0, column
    assert table.column("row_hash").null_count == 0
    assert len(set(table.column("row_hash").to_pylist())) == count


def test_sample_values_are_typed():
    people = rows(read(DATA / "people.csv", "people")[0])
    assert people["c-1003"]["name"] == "José Núñez 🚀"
    assert people["c-1005"]["first_name"] == "Zoë"
    assert people["c-1001"]["created_at"] == datetime(2025, 11, 3, 10, 5)
    assert people["c-1002"]["user_id"] is None
    assert people["c-1001"]["line"] == 2 and people["c-1009"]["line"] == 10
    # lead_score is not a people column: kept in traits, as the text the file had.
    assert orjson.loads(people["c-1001"]["traits"]) == {"lead_score": "92"}

    accounts = rows(read(DATA / "accounts.csv", "accounts")[0])
    assert accounts["acc-rocket"]["name"] == "Rocket 🚀 Labs"
    assert accounts["acc-acme"]["employees"] == 1200

    spend, _ = read(DATA / "spend.csv", "spend")
    first = spend.to_pylist()[0]
    assert first["date"] == date(2026, 4, 1) and first["cost"] == 420.5
    assert first["impressions"] == 51000 and first["clicks"] == 640
    assert spend.column("impressions").null_count == 1

    consents = read(DATA / "consents.csv", "consents")[0].to_pylist()
    assert [c["granted"] for c in consents] == [True, True, True, True, False, False, True]

    subscriptions = rows(read(DATA / "subscriptions.csv", "subscriptions")[0])
    assert subscriptions["sub-3004"]["mrr"] == 1041.67
    assert subscriptions["sub-3002"]["ended_at"] == datetime(2026, 4, 8)
    assert subscriptions["sub-3001"]["ended_at"] is None

    edges = read(DATA / "social_edges.csv", "social_edges")[0].to_pylist()
    assert edges[3]["weight"] == 5.0 and edges[5]["weight"] is None


def test_jsonl_sample_values():
    interactions = rows(read(DATA / "interactions.jsonl", "interactions")[0])
    # +01:00 offset, converted to UTC.
    assert interactions["int-5003"]["timestamp"] == datetime(2026, 3, 12, 14, 0)
    assert interactions["int-5003"]["duration_seconds"] == 1860.0
    # An epoch-seconds number.
    assert interactions["int-5008"]["timestamp"] == datetime(2026, 4, 17, 9, 20)
    # E-mails normalised.
    assert interactions["int-5006"]["email"] == "ann@acme.example"
    assert orjson.loads(interactions["int-5005"]["traits"]) == {
        "meta": {"questions_asked": 2, "poll": "journeys"}
    }
    assert "📈" in orjson.loads(interactions["int-5003"]["traits"])["notes"]
    assert interactions["int-5010"]["line"] == 10

    feedback = rows(read(DATA / "feedback.jsonl", "feedback")[0])
    assert feedback["fb-7002"]["answer"].startswith("Love it 😍")
    assert feedback["fb-7002"]["score"] is None
    assert feedback["fb-7006"]["timestamp"] == datetime(2026, 6, 1, 6, 0)
    assert orjson.loads(feedback["fb-7006"]["traits"]) == {"tags": ["journeys", "attribution"]}


def test_parquet_and_csv_give_the_same_rows():
    from_csv, _ = read(DATA / "deals.csv", "deals")
    from_parquet, _ = read(DATA / "deals.parquet", "deals")
    assert from_csv.drop_columns(["line"]).equals(from_parquet.drop_columns(["line"]))
    assert from_parquet.column("line").to_pylist() == list(range(1, 9))
    assert from_csv.column("line").to_pylist() == list(range(2, 10))
    deals = rows(from_parquet)
    assert deals["d-2001"]["won"] is True and deals["d-2005"]["won"] is None
    assert deals["d-2001"]["created_at"] == datetime(2026, 3, 2, 9, 0)


# --- column mappings -------------------------------------------------------------------------


def test_hubspot_contacts_mapping():
    mapping = load_mapping(MAPPINGS / "hubspot_contacts.toml")
    people = rows(read(DATA / "hubspot_contacts.csv", "people", mapping=mapping)[0])
    ann = people["51001"]
    assert ann["email"] == "ann@acme.example"
    assert ann["account_id"] == "9001" and ann["owner"] == "Alice Chen"
    assert ann["lifecycle_stage"] == "customer"
    assert people["51003"]["lifecycle_stage"] == "mql"
    # Europe/Berlin: UTC+1 in November, UTC+2 in July.
    assert ann["created_at"] == datetime(2025, 11, 3, 10, 5)
    assert people["51003"]["created_at"] == datetime(2026, 7, 2, 12, 0)
    traits = orjson.loads(people["51003"]["traits"])
    assert traits == {"Company Name": "Müller & Söhne GmbH", "Original Source": "Direct Traffic"}
    assert people["51002"]["first_name"] == "José"


def test_hubspot_deals_mapping():
    mapping = load_mapping(MAPPINGS / "hubspot_deals.toml")
    deals = rows(read(DATA / "hubspot_deals.csv", "deals", mapping=mapping)[0])
    assert [deals[k]["won"] for k in ("71001", "71002", "71003", "71004")] == [
        True,
        False,
        None,
        None,
    ]
    assert deals["71003"]["stage"] == "Contract Sent"
    assert deals["71003"]["amount"] == 12500.0
    assert {d["currency"] for d in deals.values()} == {"EUR"}
    assert deals["71001"]["closed_at"] == datetime(2026, 4, 20, 17, 0)
    assert deals["71001"]["lead_source"] == "PAID_SOCIAL"
    assert orjson.loads(deals["71001"]["traits"]) == {"Deal Type": "newbusiness"}


def test_salesforce_opportunities_mapping():
    mapping = load_mapping(MAPPINGS / "salesforce_opportunities.yaml")
    assert mapping.kind == "deals" and mapping.timezone == "America/Los_Angeles"
    deals = rows(read(DATA / "salesforce_opportunities.csv", "deals", mapping=mapping)[0])
    acme = deals["0065g00000AbCdEAAV"]
    # 3/2/2026 1:00 AM in Los Angeles (PST, UTC-8); 3/10 is after the switch to PDT (UTC-7).
    assert acme["created_at"] == datetime(2026, 3, 2, 9, 0)
    assert deals["0065g00000AbCdFAAV"]["created_at"] == datetime(2026, 3, 10, 9, 30)
    assert acme["closed_at"] == datetime(2026, 4, 20, 7, 0)
    assert acme["won"] is True
    assert deals["0065g00000AbCdFAAV"]["won"] is False
    assert deals["0065g00000AbCdGAAV"]["won"] is None
    assert (
        acme["lead_source"] == "Website"
        and deals["0065g00000AbCdGAAV"]["lead_source"] == "Referral"
    )
    assert acme["currency"] == "USD" and acme["amount"] == 48000.0
    assert deals["0065g00000AbCdIAAV"]["amount"] is None
    assert deals["0065g00000AbCdHAAV"]["name"] == "Rocket 🚀 Labs – Starter"
    # Ignored headers are dropped, others kept.
    assert orjson.loads(acme["traits"]) == {"Type": "New Business", "Fiscal Period": "Q2-2026"}


def test_mapping_with_unknown_column_suggests_the_closest(tmp_path):
    path = write(tmp_path, "bad.toml", 'kind = "deals"\n[columns]\n"Amount" = "amout"\n')
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'amout'" in message and "did you mean 'amount'?" in message
    assert "deal_id" in message  # the valid names are listed


def test_mapping_errors_name_file_and_line(tmp_path):
    bad_toml = write(tmp_path, "broken.toml", '[columns]\n"Amount" = \n')
    with pytest.raises(MappingError, match=r"broken\.toml is not valid TOML.*line 2"):
        load_mapping(bad_toml)
    bad_yaml = write(tmp_path, "broken.yaml", "columns:\n  Amount: amount\n - oops\n")
    with pytest.raises(MappingError, match=r"broken\.yaml is not valid YAML at line 3"):
        load_mapping(bad_yaml)
    typo = write(tmp_path, "typo.toml", '[colums]\n"Amount" = "amount"\n')
    with pytest.raises(MappingError, match="did you mean 'columns'"):
        load_mapping(typo)
    zone = write(tmp_path, "zone.toml", 'timezone = "Europe/Berln"\n')
    with pytest.raises(MappingError, match="unknown time zone 'Europe/Berln'"):
        load_mapping(zone)
    values = write(tmp_path, "values.yaml", "values:\n  stagee:\n    Won: x\n")
    with pytest.raises(MappingError, match=r"values\.stagee.*did you mean 'stage'"):
        load_mapping(values)
    yes = write(tmp_path, "yes.yaml", "values:\n  won:\n    yes: true\n")
    with pytest.raises(MappingError, match="quote keys"):
        load_mapping(yes)
    with pytest.raises(MappingError, match="cannot read column mapping"):
        load_mapping(tmp_path / "missing.toml")


def test_mapping_is_checked_against_the_kind_read(tmp_path):
    people_only = ColumnMapping(columns={"Job": "title"})
    path = write(tmp_path, "deals.csv", "deal_id,created_at,Job\nd1,2026-01-01,CEO\n")
    with pytest.raises(MappingError, match=r"names an unknown column: 'title' \(deals columns"):
        list(read_objects(path, "deals", mapping=people_only))
    for_people = load_mapping(MAPPINGS / "hubspot_contacts.toml")
    with pytest.raises(MappingError, match="is for people, not deals"):
        read_objects(path, "deals", mapping=for_people)


def test_mapping_default_fills_a_missing_required_column(tmp_path):
    path = write(tmp_path, "subs.csv", "subscription_id,mrr,started_at\ns1,10,2026-01-01\n")
    mapping = ColumnMapping(defaults={"plan": "Starter"})
    table, rejections = read(path, "subscriptions", mapping=mapping)
    assert rejections == [] and table.column("plan").to_pylist() == ["Starter"]


# --- rows that do not fit ----------------------------------------------------------------------


def test_wrong_type_rejects_only_that_row(tmp_path):
    path = write(
        tmp_path,
        "deals.csv",
        "Deal ID,Amount,created_at,won\n"
        "d1,1200.5,2026-01-05T10:00:00Z,yes\n"
        "d2,abc,2026-01-06T10:00:00Z,no\n"
        "d3,12.0,2026-01-07T10:00:00Z,maybe\n"
        "d4,,2026-01-08,\n",
    )
    table, rejections = read(path, "deals")
    deals = rows(table)
    assert sorted(deals) == ["d1", "d4"]
    assert deals["d1"]["amount"] == 1200.5 and deals["d1"]["won"] is True
    assert deals["d4"]["amount"] is None and deals["d4"]["created_at"] == datetime(2026, 1, 8)
    assert [(r.line, r.reason) for r in rejections] == [(3, "wrong_type"), (4, "wrong_type")]
    assert rejections[0].detail == "column amount: 'abc' is not a number"
    assert rejections[1].detail == "column won: 'maybe' is not true or false"
    assert orjson.loads(rejections[0].raw) == {
        "Deal ID": "d2",
        "Amount": "abc",
        "created_at": "2026-01-06T10:00:00Z",
        "won": "no",
    }


def test_integers_accept_integral_floats_only(tmp_path):
    path = write(tmp_path, "a.csv", "account_id,employees\na1,12.0\na2,12.5\na3, 40 \na4,1_000\n")
    table, rejections = read(path, "accounts")
    assert rows(table)["a1"]["employees"] == 12 and rows(table)["a3"]["employees"] == 40
    assert [r.detail for r in rejections] == [
        "column employees: '12.5' is not a whole number",
        "column employees: '1_000' is not a number",
    ]


def test_bad_timestamp(tmp_path):
    path = write(tmp_path, "c.csv", "subject,purpose,granted,timestamp\na@x.example,ads,t,soon\n")
    _, rejections = read(path, "consents")
    assert rejections[0].reason == "bad_timestamp"
    assert rejections[0].detail.startswith("column timestamp: 'soon' is not a timestamp")


def test_missing_required_column_rejects_every_row(tmp_path):
    path = write(
        tmp_path, "deals.csv", "Deal Name,Amount,created_at\nA,1,2026-01-01\nB,2,2026-01-02\n"
    )
    table, rejections = read(path, "deals")
    assert table.num_rows == 0
    assert [r.line for r in rejections] == [2, 3]
    assert {r.reason for r in rejections} == {"missing_required"}
    assert "column deal_id is absent" in rejections[0].detail
    assert "Deal Name, Amount, created_at" in rejections[0].detail


def test_empty_required_value(tmp_path):
    path = write(tmp_path, "deals.csv", "deal_id,created_at\nd1,2026-01-01\n,2026-01-02\nNULL,\n")
    table, rejections = read(path, "deals")
    assert table.column("deal_id").to_pylist() == ["d1"]
    assert [(r.line, r.reason) for r in rejections] == [(3, "missing_required")] * 1 + [
        (4, "missing_required")
    ]
    assert rejections[0].detail == "column deal_id is empty"
    assert rejections[1].detail == "column deal_id is empty; column created_at is empty"


def test_malformed_jsonl_lines(tmp_path):
    path = write(
        tmp_path,
        "feedback.jsonl",
        '{"feedback_id": "f1", "type": "nps", "timestamp": "2026-01-01T00:00:00Z", "score": "9"}\n'
        '{"feedback_id": "f2", "type": \n'
        "\n"
        "[1, 2]\n"
        '{"feedback_id": 3, "type": "vote", "timestamp": 1767225600000}\n'
        '{"type": "vote", "timestamp": "2026-01-01"}\n',
    )
    table, rejections = read(path, "feedback")
    assert table.column("feedback_id").to_pylist() == ["f1", "3"]
    assert table.column("score").to_pylist() == [9.0, None]
    assert table.column("line").to_pylist() == [1, 5]
    assert table.column("timestamp").to_pylist()[1] == datetime(2026, 1, 1)
    assert [(r.line, r.reason) for r in rejections] == [
        (2, "malformed_json"),
        (4, "not_an_object"),
        (6, "missing_required"),
    ]
    assert rejections[0].raw == '{"feedback_id": "f2", "type": '
    assert rejections[2].detail.startswith("column feedback_id is absent (found: type, timestamp")


def test_unknown_kind():
    with pytest.raises(UnknownName) as caught:
        read_objects(DATA / "deals.csv", "dealz")
    assert "dealz" in str(caught.value) and "subscriptions" in str(caught.value)
    with pytest.raises(UnknownName):
        read_objects(DATA / "deals.csv", "events")


# --- files that cannot be read ---------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileUnreadable, match="no-such.csv.*No such file"):
        list(read_objects(tmp_path / "no-such.csv", "deals"))


def test_corrupt_parquet(tmp_path):
    garbage = write(tmp_path, "deals.parquet", "PAR1 this is not parquet at all")
    with pytest.raises(FileUnreadable, match="not a readable Parquet file"):
        list(read_objects(garbage, "deals"))
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes((DATA / "deals.parquet").read_bytes()[:300])
    with pytest.raises(FileUnreadable, match="truncated.parquet"):
        list(read_objects(truncated, "deals"))


def test_binary_garbage_as_csv(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(FileUnreadable, match="binary"):
        list(read_objects(path, "people"))


def test_not_utf8_csv(tmp_path):
    path = write(tmp_path, "people.csv", "contact_id,name\nc1,Zoë Schäfer\n", encoding="latin-1")
    with pytest.raises(FileUnreadable, match="not UTF-8.*re-save it as UTF-8"):
        list(read_objects(path, "people"))
    late = tmp_path / "late.csv"
    late.write_bytes(b"contact_id,name\n" + b"c1,Ann\n" * 20_000 + b"c2,Zo\xeb\n")
    with pytest.raises(FileUnreadable, match="not UTF-8"):
        list(read_objects(late, "people"))


def test_empty_and_array_files(tmp_path):
    with pytest.raises(FileUnreadable, match="no header row"):
        list(read_objects(write(tmp_path, "empty.csv", "\n\n"), "people"))
    with pytest.raises(FileUnreadable, match="JSON array"):
        list(read_objects(write(tmp_path, "people.json", '[{"contact_id": "c1"}]'), "people"))
    assert list(read_objects(write(tmp_path, "empty.jsonl", ""), "people")) == []
    assert list(read_objects(write(tmp_path, "header.csv", "contact_id,name"), "people")) == []
    assert list(read_objects(write(tmp_path, "header2.csv", "contact_id\n\n"), "people")) == []


# --- CSV dialects and text -------------------------------------------------------------------


def test_bom_and_semicolons(tmp_path):
    path = write(
        tmp_path,
        "accounts.csv",
        "\ufeffaccount_id;Name;Employees;Notes\n"
        'acc-1;Müller & Söhne;240;"a; b"\n'
        "acc-2;Rocket 🚀;;x\n",
    )
    accounts = rows(read(path, "accounts")[0])
    assert accounts["acc-1"]["name"] == "Müller & Söhne" and accounts["acc-1"]["employees"] == 240
    assert orjson.loads(accounts["acc-1"]["traits"]) == {"Notes": "a; b"}
    assert accounts["acc-2"]["name"] == "Rocket 🚀" and accounts["acc-2"]["employees"] is None


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_other_delimiters(tmp_path, delimiter):
    text = delimiter.join(["account_id", "name"]) + "\n" + delimiter.join(["a1", "A, Inc"]) + "\n"
    accounts = rows(read(write(tmp_path, "a.txt", text), "accounts")[0])
    assert accounts["a1"]["name"] == "A, Inc"


def test_quoted_newlines_blank_lines_and_ragged_records(tmp_path):
    path = write(
        tmp_path,
        "content.csv",
        'content_id,title\nct1,"Two\nlines"\n\nct2,Plain\nct3,Too,many\nct4\nct5,Last\n',
    )
    table, rejections = read(path, "content")
    content = rows(table)
    assert content["ct1"]["title"] == "Two\nlines"
    # Records are numbered from the header (1); the blank line has no number.
    assert {k: v["line"] for k, v in content.items()} == {"ct1": 2, "ct2": 3, "ct5": 6}
    assert [(r.line, r.reason, r.raw) for r in rejections] == [
        (4, "malformed_row", "ct3,Too,many"),
        (5, "malformed_row", "ct4"),
    ]
    assert "record has 3 fields but the header has 2" in rejections[0].detail


def test_line_numbers_across_blocks_and_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(objects, "_CSV_BLOCK_BYTES", 256)
    body = "".join(f"c{i},Person {i}\n" for i in range(2, 300))
    path = write(tmp_path, "p.csv", "contact_id,name\n" + body + "bad,row,here\nc301,Last\n")
    chunks = list(read_objects(path, "people", chunk_rows=40))
    assert max(c.size for c in chunks) <= 41
    lines = [line for c in chunks for line in c.rows.column("line").to_pylist()]
    ids = [i for c in chunks for i in c.rows.column("contact_id").to_pylist()]
    assert lines == list(range(2, 300)) + [301]
    assert ids[0] == "c2" and ids[-1] == "c301"
    assert [r.line for c in chunks for r in c.rejections] == [300]


def test_gzipped_inputs(tmp_path):
    csv_gz = tmp_path / "deals.csv.gz"
    csv_gz.write_bytes(gzip.compress((DATA / "deals.csv").read_bytes()))
    jsonl_gz = tmp_path / "interactions.jsonl.gz"
    jsonl_gz.write_bytes(gzip.compress((DATA / "interactions.jsonl").read_bytes()))
    assert read(csv_gz, "deals")[0].equals(read(DATA / "deals.csv", "deals")[0])
    assert read(jsonl_gz, "interactions")[0].num_rows == 10


def test_null_spellings_booleans_and_timestamps(tmp_path):
    path = write(
        tmp_path,
        "deals.csv",
        "deal_id,created_at,closed_at,won,campaign,email_like\n"
        "d1,1767225600,NULL,T,null,x\n"
        "d2,1767225600000,None,0,None,y\n"
        "d3,2026-01-01T01:00:00+01:00,2026-02-01,Yes, ,z\n",
    )
    deals = rows(read(path, "deals")[0])
    assert deals["d1"]["created_at"] == datetime(2026, 1, 1)
    assert deals["d2"]["created_at"] == datetime(2026, 1, 1)
    assert deals["d3"]["created_at"] == datetime(2026, 1, 1)
    assert deals["d3"]["closed_at"] == datetime(2026, 2, 1)
    assert [deals[k]["won"] for k in ("d1", "d2", "d3")] == [True, False, True]
    assert [deals[k]["campaign"] for k in ("d1", "d2", "d3")] == [None, None, None]
    assert deals["d1"]["closed_at"] is None


def test_naive_timestamps_take_the_mapping_zone(tmp_path):
    path = write(
        tmp_path, "d.csv", "deal_id,created_at\nd1,2026-01-15 09:30\nd2,15.07.2026 09:30\n"
    )
    mapping = ColumnMapping(timezone="Asia/Tokyo", timestamp_format=["%d.%m.%Y %H:%M"])
    deals = rows(read(path, "deals", mapping=mapping)[0])
    assert deals["d1"]["created_at"] == datetime(2026, 1, 15, 0, 30)
    assert deals["d2"]["created_at"] == datetime(2026, 7, 15, 0, 30)


def test_header_matching_and_traits(tmp_path):
    path = write(
        tmp_path,
        "people.csv",
        "Contact ID,E-Mail,First_Name,LAST NAME,Favourite colour,traits,Skip me\n"
        'c1, Ann@Acme.Example ,Ann,Lee,teal,"{""plan"": ""pro""}",x\n',
    )
    mapping = ColumnMapping(ignore=["skip me"])
    person = read(path, "people", mapping=mapping)[0].to_pylist()[0]
    assert person["contact_id"] == "c1" and person["email"] == "ann@acme.example"
    assert (person["first_name"], person["last_name"]) == ("Ann", "Lee")
    assert orjson.loads(person["traits"]) == {"plan": "pro", "Favourite colour": "teal"}


def test_parquet_with_typed_and_text_columns(tmp_path):
    table = pa.table(
        {
            "account_id": pa.array([1, 2], pa.int32()),
            "employees": pa.array(["12", "oops"]),
            "created_at": pa.array([datetime(2026, 1, 1, 12), None], pa.timestamp("ns")),
            "founded": pa.array([date(1999, 5, 1), None]),
        }
    )
    path = tmp_path / "accounts.parquet"
    pq.write_table(table, path)
    out, rejections = read(path, "accounts")
    assert out.to_pylist()[0]["account_id"] == "1" and out.to_pylist()[0]["employees"] == 12
    assert out.to_pylist()[0]["created_at"] == datetime(2026, 1, 1, 12)
    assert orjson.loads(out.to_pylist()[0]["traits"]) == {"founded": "1999-05-01"}
    assert [(r.line, r.detail) for r in rejections] == [
        (2, "column employees: 'oops' is not a number")
    ]
    assert orjson.loads(rejections[0].raw)["account_id"] == 2
