"""Identity stitching, on hand-written journeys and against a union-find oracle.

Tests taking ``engine`` run on DuckDB and PySpark (kept few: Spark pays ~1 s per query); the rest
run on DuckDB only.
"""

from __future__ import annotations

import itertools
import random
import tempfile
from datetime import datetime, timedelta

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wayfinder.engines import connect
from wayfinder.errors import ConfigError, IdentityError
from wayfinder.model.identifiers import build_edges, is_junk, junk_values, typed_email
from wayfinder.model.identity import events_with_person, person_of, stitch
from wayfinder.store.migrate import migrate

# -- journeys ------------------------------------------------------------------------------------


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def call(kind, *, anon=None, user=None, email=None, prev=None, group=None, key=None, t, msg=None):
    """One Segment call; the identity key is the user id when there is one, as ingestion sets it."""
    if key is None:
        key = f"user_id:{user}" if user else f"anonymous_id:{anon}"
    return {
        "message_id": msg,
        "type": kind,
        "anonymous_id": anon,
        "user_id": user,
        "email": email,
        "previous_id": prev,
        "group_id": group,
        "identity_key": key,
        "timestamp": when(t),
    }


def events(engine, ws, calls):
    ids = (f"m{i}" for i in itertools.count())
    rows = [{**c, "message_id": c["message_id"] or next(ids)} for c in calls]
    engine.insert("events", ws, pa.Table.from_pylist(rows))


def contact(contact_id, *, email=None, user=None, handle=None, account=None, t):
    return {
        "contact_id": contact_id,
        "email": email,
        "user_id": user,
        "social_handle": handle,
        "account_id": account,
        "created_at": when(t),
    }


def people(engine, ws, contacts):
    engine.insert("people", ws, pa.Table.from_pylist(contacts))


def person_map(engine, ws) -> dict[str, str]:
    rows = engine.to_arrow(engine.table("identity_map", ws)).to_pylist()
    return {r["identifier"]: r["person_id"] for r in rows}


def groups(mapping: dict[str, str]) -> set[frozenset[str]]:
    by_person: dict[str, set[str]] = {}
    for identifier, person in mapping.items():
        by_person.setdefault(person, set()).add(identifier)
    return {frozenset(members) for members in by_person.values()}


def evaluate(engine, expr):
    """A scalar expression's value as Python (through Arrow, so a null stays None)."""
    return engine.to_arrow(expr).column(0)[0].as_py()


def issues(engine, ws) -> set[tuple[str, str, int]]:
    rows = engine.to_arrow(engine.table("identity_issues", ws)).to_pylist()
    return {(r["identifier"], r["issue"], r["size"]) for r in rows}


@pytest.fixture
def ws(engine, workspace_name):
    migrate(engine, workspace_name)
    return workspace_name


@pytest.fixture
def duck(tmp_path):
    eng = connect(f"duckdb:///{tmp_path / 'identity.duckdb'}")
    yield eng
    eng.close()


@pytest.fixture
def dws(duck, workspace_name):
    migrate(duck, workspace_name)
    return workspace_name


# -- both engines --------------------------------------------------------------------------------


def test_a_journey_from_first_visit_to_crm_contact_is_one_person(engine, ws):
    events(
        engine,
        ws,
        [
            call("page", anon="a1", t="2026-01-01T10:00"),
            call("identify", anon="a1", user="u1", email=" Ann@X.com", t="2026-01-02T09:00"),
            call("page", anon="a2", user="u1", t="2026-01-03T09:00"),  # her phone
            call("group", anon="a1", user="u1", group="acme-web", t="2026-01-04T09:00"),
            call("page", anon="b1", t="2026-01-05T09:00"),  # somebody else
        ],
    )
    people(engine, ws, [contact("c1", email="ann@x.com", account="acme", t="2025-06-01")])

    report = stitch(engine, ws)

    ann = {
        "contact_id:c1",
        "email:ann@x.com",
        "anonymous_id:a1",
        "user_id:u1",
        "anonymous_id:a2",
    }
    mapping = person_map(engine, ws)
    assert groups(mapping) == {frozenset(ann), frozenset({"anonymous_id:b1"})}
    # The CRM contact was created first: the oldest identifier names the person.
    assert mapping["anonymous_id:a1"] == "contact_id:c1"
    assert report.persons == 2 and report.nodes == 6 and report.stitched == 1
    assert report.incremental is False and report.hubs == report.oversized == 0

    profiles = {
        r["person_id"]: r for r in engine.to_arrow(engine.table("profiles", ws)).to_pylist()
    }
    assert profiles["contact_id:c1"] | {"first_seen": None} == {
        "person_id": "contact_id:c1",
        "identifiers": 5,
        "email": "ann@x.com",
        "user_id": "u1",
        "contact_id": "c1",
        "account_id": "acme",  # the CRM's account wins over the group call's
        "first_seen": None,
    }
    assert profiles["anonymous_id:b1"]["identifiers"] == 1

    assert person_of(engine, ws, "email:ANN@x.com ") == "contact_id:c1"
    assert person_of(engine, ws, "user_id:nobody") is None
    tagged = engine.to_arrow(events_with_person(engine, ws).select("message_id", "person_id"))
    assert dict(zip(*tagged.to_pydict().values(), strict=True)) == {
        "m0": "contact_id:c1",
        "m1": "contact_id:c1",
        "m2": "contact_id:c1",
        "m3": "contact_id:c1",
        "m4": "anonymous_id:b1",
    }
    assert not [t for t in engine.list_tables(ws) if t.startswith("identity_work")]


def test_junk_ids_never_merge_two_people(engine, ws):
    junk_devices = ["anonymous", "0", "null", "00000000-0000-0000-0000-000000000000", " ", "NaN"]
    calls = [
        call("identify", anon=device, user=f"u{i}", email="test", t=f"2026-01-0{i + 1}T10:00")
        for i, device in enumerate(junk_devices)
    ]
    calls.append(call("page", anon="undefined", key="anonymous_id:undefined", t="2026-01-09"))
    calls.append(call("identify", anon="a9", user="-1", t="2026-01-09T10:00"))
    events(engine, ws, calls)

    report = stitch(engine, ws)

    mapping = person_map(engine, ws)
    assert groups(mapping) == {frozenset({f"user_id:u{i}"}) for i in range(6)} | {
        frozenset({"anonymous_id:a9"})
    }
    assert report.persons == 7


def test_hubs_and_oversized_components_are_reported_not_merged(engine, ws):
    # A kiosk used by four people, and one person with many devices and addresses.
    calls = [
        call("identify", anon="kiosk", user=f"k{i}", t=f"2026-01-0{i + 1}T10:00") for i in range(4)
    ]
    calls += [call("identify", anon=f"d{i}", user="big", t=f"2026-02-0{i + 1}") for i in range(3)]
    calls.append(call("identify", anon="d0", user="big", email="big@x.com", t="2026-02-01"))
    events(engine, ws, calls)

    report = stitch(engine, ws, max_links=3, max_component_size=4)

    mapping = person_map(engine, ws)
    assert mapping["anonymous_id:kiosk"] == "anonymous_id:kiosk"
    assert len({mapping[f"user_id:k{i}"] for i in range(4)}) == 4
    # big's component (3 devices, user, e-mail) is 5 > 4: only the strong user-email link holds.
    assert mapping["email:big@x.com"] == mapping["user_id:big"] == "email:big@x.com"
    assert {mapping[f"anonymous_id:d{i}"] for i in range(3)} == {
        "anonymous_id:d0",
        "anonymous_id:d1",
        "anonymous_id:d2",
    }
    assert issues(engine, ws) == {
        ("anonymous_id:kiosk", "hub", 4),
        ("anonymous_id:d0", "oversized_component", 5),
    }
    assert (report.hubs, report.oversized) == (1, 1)


def test_incremental_run_merges_touched_persons_and_leaves_the_rest(engine, ws):
    events(
        engine,
        ws,
        [
            call("identify", anon="a1", user="u1", t="2026-01-01T10:00"),
            call("identify", anon="a2", user="u2", t="2026-01-02T10:00"),
            call("identify", anon="a3", user="u3", t="2026-01-03T10:00"),
        ],
    )
    stitch(engine, ws)
    before = person_map(engine, ws)

    # u2 logs in on a1's device: the two persons are one, and the older id stays.
    events(engine, ws, [call("page", anon="a1", user="u2", t="2026-01-04T10:00", msg="n1")])
    report = stitch(engine, ws)

    after = person_map(engine, ws)
    assert report.incremental and report.merged == 1 and report.recomputed == 4
    assert {
        after[i] for i in ("anonymous_id:a1", "user_id:u1", "anonymous_id:a2", "user_id:u2")
    } == {"anonymous_id:a1"}
    assert after["user_id:u3"] == before["user_id:u3"] == "anonymous_id:a3"

    again = stitch(engine, ws)
    assert person_map(engine, ws) == after
    assert (again.iterations, again.recomputed, again.merged) == (1, 0, 0)


# -- DuckDB: small cases -------------------------------------------------------------------------


def test_cross_device_the_oldest_device_names_the_person(duck, dws):
    events(
        duck,
        dws,
        [
            call("page", anon="phone", t="2026-01-02T08:00"),
            call("page", anon="laptop", t="2026-01-01T08:00"),
            call("identify", anon="phone", user="u1", t="2026-01-03T08:00"),
            call("identify", anon="laptop", user="u1", t="2026-01-04T08:00"),
        ],
    )
    stitch(duck, dws)
    assert set(person_map(duck, dws).values()) == {"anonymous_id:laptop"}


def test_cycles_converge_to_one_person(duck, dws):
    events(
        duck,
        dws,
        [
            call("identify", anon="a1", user="u1", email="e@x.com", t="2026-01-05"),
            call("identify", anon="a2", user="u2", email="e@x.com", t="2026-01-04"),
            call("identify", anon="a2", user="u1", t="2026-01-03"),
            call("identify", anon="a1", user="u2", t="2026-01-02"),
        ],
    )
    people(duck, dws, [contact("c1", email="e@x.com", user="u1", t="2026-01-06")])
    report = stitch(duck, dws)
    mapping = person_map(duck, dws)
    assert len(mapping) == 6 and set(mapping.values()) == {"anonymous_id:a1"}
    assert report.persons == 1


def test_a_long_chain_needs_few_rounds(duck, dws):
    # a00 - u00 - a01 - u01 - ... - a40: a path of 81 identifiers.
    calls = []
    for i in range(40):
        calls.append(call("identify", anon=f"a{i:02}", user=f"u{i:02}", t="2026-01-01"))
        calls.append(call("identify", anon=f"a{i + 1:02}", user=f"u{i:02}", t="2026-01-01"))
    events(duck, dws, calls)
    report = stitch(duck, dws, max_component_size=100)
    assert report.persons == 1 and report.nodes == 81
    assert report.iterations <= 12  # pointer jumping: about log2(80) + a few, not 80


def test_a_long_chain_in_random_order_contracts_in_few_rounds(duck, dws):
    # Random ranks along a path make many small regions; whole regions must merge per round.
    order = random.Random(3).sample(range(3000), 3000)
    nodes = [f"user_id:n{i:04}" for i in range(3000)]
    days = [i % 6 for i in range(3000)]
    path = [(order[k], order[k + 1]) for k in range(2999)]
    duck.insert("identities", dws, identity_rows(nodes, days, path, lone=range(3000)))
    report = stitch(duck, dws, rebuild_edges=False, max_component_size=5000)
    assert report.persons == 1 and report.iterations <= 20


def test_alias_links_a_device_or_an_earlier_user_id(duck, dws):
    events(
        duck,
        dws,
        [
            call("page", anon="a1", t="2026-01-01"),
            call("alias", prev="a1", user="u1", t="2026-01-02"),
            call("identify", anon="a2", user="old", t="2026-01-01"),
            call("alias", prev="old", user="new", t="2026-01-03"),
            call("alias", prev="anonymous", user="u9", t="2026-01-03"),
        ],
    )
    stitch(duck, dws)
    mapping = person_map(duck, dws)
    assert mapping["user_id:u1"] == "anonymous_id:a1"
    # "old" is a known user id, so it is typed user_id: and the alias reaches a2.
    assert mapping["user_id:new"] == "anonymous_id:a2"
    assert "anonymous_id:old" not in mapping
    assert mapping["user_id:u9"] == "user_id:u9"
    edges = duck.to_arrow(duck.table("identities", dws)).to_pylist()
    links = {(e["identifier_a"], e["identifier_b"]): e["origin"] for e in edges}
    assert links[("user_id:new", "user_id:old")] == "alias"


def test_crm_links_contacts_emails_user_ids_and_handles(duck, dws):
    people(
        duck,
        dws,
        [
            contact(
                "c1", email="Ann@X.com", user="u1", handle="@Ann", account="acme", t="2025-01-01"
            ),
            contact("c2", email="bob@y.com", handle="twitter:@bob", account="acme", t="2025-01-02"),
            contact("c3", email="not an email", user="0", handle="@", t="2025-01-03"),
        ],
    )
    duck.insert(
        "interactions",
        dws,
        pa.Table.from_pylist(
            [
                {
                    "interaction_id": "i1",
                    "type": "email_sent",
                    "contact_id": "c2",
                    "email": "Bob.Alt@Y.com",
                    "timestamp": when("2025-02-01"),
                },
            ]
        ),
    )
    duck.insert(
        "social_edges",
        dws,
        pa.Table.from_pylist(
            [
                {
                    "source_handle": "@ann",
                    "target_handle": "twitter:@bob",
                    "type": "follow",
                    "timestamp": when("2025-03-01"),
                }
            ]
        ),
    )
    stitch(duck, dws)
    assert groups(person_map(duck, dws)) == {
        frozenset({"contact_id:c1", "email:ann@x.com", "user_id:u1", "handle:@ann"}),
        frozenset(
            {"contact_id:c2", "email:bob@y.com", "handle:twitter:@bob", "email:bob.alt@y.com"}
        ),
        frozenset({"contact_id:c3"}),
    }
    accounts = duck.to_arrow(duck.table("profiles", dws).select("person_id", "account_id"))
    # Sharing an account links people to it; it does not make them one person.
    assert dict(zip(*accounts.to_pydict().values(), strict=True)) == {
        "contact_id:c1": "acme",
        "contact_id:c2": "acme",
        "contact_id:c3": None,
    }


def test_the_account_falls_back_to_the_latest_group_call(duck, dws):
    events(
        duck,
        dws,
        [
            call("group", user="u1", group="old-co", t="2026-01-01"),
            call("group", user="u1", group="new-co", t="2026-03-01"),
            call("group", user="u2", group="0", t="2026-03-01"),
        ],
    )
    stitch(duck, dws)
    profiles = duck.to_arrow(duck.table("profiles", dws).select("person_id", "account_id"))
    assert dict(zip(*profiles.to_pydict().values(), strict=True)) == {
        "user_id:u1": "new-co",
        "user_id:u2": None,
    }


def test_a_junk_identity_key_falls_back_to_the_device(duck, dws):
    events(
        duck,
        dws,
        [
            call("page", anon="a1", t="2026-01-01"),
            call("track", anon="a1", user="0", key="user_id:0", t="2026-01-02", msg="x"),
        ],
    )
    stitch(duck, dws)
    assert person_map(duck, dws) == {"anonymous_id:a1": "anonymous_id:a1"}
    tagged = duck.to_arrow(events_with_person(duck, dws).filter(ibis._.message_id == "x"))
    assert tagged.column("person_id").to_pylist() == ["anonymous_id:a1"]


def test_extra_junk_values_are_honoured(duck, dws):
    events(
        duck,
        dws,
        [call("identify", anon="N/A", user=f"u{i}", t=f"2026-01-0{i + 1}") for i in range(3)],
    )
    stitch(duck, dws)
    assert len(set(person_map(duck, dws).values())) == 1  # "N/A" is not junk by default
    stitch(duck, dws, junk=["n/a"], full=True)
    assert len(set(person_map(duck, dws).values())) == 3


@pytest.mark.parametrize(
    ("value", "junk"),
    [
        (None, True),
        ("", True),
        ("   ", True),
        ("NULL", True),
        ("Undefined", True),
        ("none", True),
        ("NaN", True),
        ("0", True),
        ("-1", True),
        ("Anonymous", True),
        ("unknown", True),
        ("guest", True),
        ("test", True),
        ("0000", True),
        ("00000000-0000-0000-0000-000000000000", True),
        ("a1", False),
        ("10", False),
        ("00000000-0000-0000-0000-000000000001", False),
        ("nullable", False),
    ],
)
def test_junk_values(duck, value, junk):
    assert evaluate(duck, is_junk(ibis.literal(value, "string"), junk_values())) is junk


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        (" Ann@Example.COM ", "email:ann@example.com"),
        ("ann.o'neil+news@mail.example.co.uk", "email:ann.o'neil+news@mail.example.co.uk"),
        ("ann@localhost", None),
        ("ann at example.com", None),
        ("@example.com", None),
        ("test", None),
        (None, None),
    ],
)
def test_emails_are_normalised_and_checked(duck, value, typed):
    assert evaluate(duck, typed_email(ibis.literal(value, "string"), junk_values())) == typed


def test_the_same_input_always_gives_the_same_persons(tmp_path):
    rng = random.Random(7)
    calls = [
        call(
            "identify",
            anon=f"a{rng.randrange(30)}",
            user=f"u{rng.randrange(20)}",
            t=f"2026-01-{rng.randrange(1, 28):02}",
        )
        for _ in range(40)
    ]
    maps = []
    for n, order in enumerate([calls, list(reversed(calls))]):
        eng = connect(f"duckdb:///{tmp_path / f'd{n}.duckdb'}")
        migrate(eng, "det")
        events(eng, "det", order)
        stitch(eng, "det")
        maps.append(person_map(eng, "det"))
        eng.close()
    assert maps[0] == maps[1]


def test_the_iteration_guard_raises(duck, dws):
    events(
        duck,
        dws,
        [call("identify", anon=f"a{i}", user=f"u{i // 2}", t="2026-01-01") for i in range(8)]
        + [call("identify", anon=f"a{i + 1}", user=f"u{i // 2}", t="2026-01-01") for i in range(8)],
    )
    with pytest.raises(IdentityError, match="did not converge"):
        stitch(duck, dws, max_iterations=1)
    assert not [t for t in duck.list_tables(dws) if t.startswith("identity_work")]


def test_an_empty_workspace_stitches_to_nobody(duck, workspace_name):
    duck.ensure_workspace(workspace_name)  # not even migrated: no events, no people
    report = stitch(duck, workspace_name)
    assert (report.nodes, report.persons, report.iterations) == (0, 0, 1)
    assert person_of(duck, workspace_name, "user_id:1") is None


def test_limits_must_be_positive(duck, dws):
    with pytest.raises(ConfigError):
        stitch(duck, dws, max_links=0)


def test_a_newly_detected_hub_splits_the_person_it_had_merged(duck, dws):
    events(duck, dws, [call("identify", anon="kiosk", user="k1", t="2026-01-01")])
    events(duck, dws, [call("identify", anon="kiosk", user="k2", t="2026-01-02")])
    stitch(duck, dws, max_links=2)
    assert len(set(person_map(duck, dws).values())) == 1
    events(duck, dws, [call("identify", anon="kiosk", user="k3", t="2026-01-03", msg="n")])
    report = stitch(duck, dws, max_links=2)
    mapping = person_map(duck, dws)
    assert report.incremental and report.hubs == 1
    assert groups(mapping) == {
        frozenset({"anonymous_id:kiosk"}),
        frozenset({"user_id:k1"}),
        frozenset({"user_id:k2"}),
        frozenset({"user_id:k3"}),
    }
    again = stitch(duck, dws, max_links=2)
    assert (again.recomputed, again.hubs) == (0, 1) and person_map(duck, dws) == mapping


def test_an_older_identifier_renames_the_person_a_younger_one_does_not(duck, dws):
    events(duck, dws, [call("identify", anon="a1", user="u1", t="2026-02-01")])
    stitch(duck, dws)
    events(duck, dws, [call("identify", anon="a9", user="u1", t="2026-03-01", msg="n1")])
    stitch(duck, dws)
    assert set(person_map(duck, dws).values()) == {"anonymous_id:a1"}
    people(duck, dws, [contact("c1", user="u1", t="2025-01-01")])
    report = stitch(duck, dws)
    assert set(person_map(duck, dws).values()) == {"contact_id:c1"}
    assert report.merged == 1


def test_a_new_lone_visitor_is_the_only_recomputed_identifier(duck, dws):
    events(duck, dws, [call("identify", anon="a1", user="u1", t="2026-01-01")])
    stitch(duck, dws)
    events(duck, dws, [call("page", anon="b1", t="2026-01-02", msg="n1")])
    report = stitch(duck, dws)
    assert report.recomputed == 1 and report.persons == 2
    assert person_map(duck, dws)["anonymous_id:b1"] == "anonymous_id:b1"


def test_oversized_components_stay_reported_across_runs(duck, dws):
    events(
        duck, dws, [call("identify", anon=f"d{i}", user="big", t="2026-01-01") for i in range(4)]
    )
    stitch(duck, dws, max_component_size=3)
    first = issues(duck, dws)
    events(duck, dws, [call("page", anon="b1", t="2026-01-02", msg="n1")])
    stitch(duck, dws, max_component_size=3)
    assert issues(duck, dws) == first == {("anonymous_id:d0", "oversized_component", 5)}


def test_edges_can_be_appended_and_stitched_as_stored(duck, dws):
    duck.insert(
        "identities",
        dws,
        pa.table(
            {
                "identifier_a": ["user_id:x", "email:X@Y.com", "user_id:z"],
                "identifier_b": ["email:x@y.com", "email:x@y.com", "anonymous_id:0"],
                "first_seen": [when("2026-01-01")] * 3,
                "origin": ["import"] * 3,
            }
        ),
    )
    events(duck, dws, [call("identify", anon="a1", user="x", t="2026-02-01")])
    build_edges(duck, dws, append=True)
    stored = duck.to_arrow(duck.table("identities", dws)).to_pylist()
    assert {"import", "identify", "event"} == {r["origin"] for r in stored}
    stitch(duck, dws, rebuild_edges=False)
    assert groups(person_map(duck, dws)) == {
        frozenset({"user_id:x", "email:x@y.com", "anonymous_id:a1"}),
        frozenset({"user_id:z"}),
    }


# -- the oracle ----------------------------------------------------------------------------------


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def oracle(edges, seen: dict[str, datetime]) -> dict[str, str]:
    """identifier -> its component's oldest identifier, by (first seen, identifier)."""
    uf = UnionFind()
    for a, b in edges:
        uf.union(a, b)
    members: dict[str, list[str]] = {}
    for node in seen:
        members.setdefault(uf.find(node), []).append(node)
    return {
        node: min(group, key=lambda n: (seen[n], n)) for group in members.values() for node in group
    }


T0 = datetime(2026, 1, 1)
graphs = st.integers(min_value=1, max_value=14).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),  # each node's day of first sighting
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n),
        st.integers(0, 2 * n),  # where the first of two batches of links ends
    )
)
_runs = itertools.count()


def identity_rows(nodes: list[str], days: list[int], pairs, lone=()) -> pa.Table:
    """Edges as ingestion writes them: each node's own sighting, then the links between them."""
    seen = [T0 + timedelta(days=d) for d in days]
    rows = [(nodes[i], nodes[i], seen[i]) for i in lone]
    rows += [(nodes[i], nodes[j], max(seen[i], seen[j])) for i, j in pairs]
    a, b, first_seen = zip(*rows, strict=True) if rows else ((), (), ())
    return pa.table(
        {
            "identifier_a": pa.array(a, pa.string()),
            "identifier_b": pa.array(b, pa.string()),
            "first_seen": pa.array(first_seen, pa.timestamp("us")),
            "origin": pa.array(["test"] * len(rows), pa.string()),
        }
    )


def stitch_batches(batches: list[pa.Table]) -> tuple[dict[str, str], object]:
    """Stitch after each batch of edges, in a fresh DuckDB file; the last map and report."""
    with tempfile.TemporaryDirectory() as folder:
        eng = connect(f"duckdb:///{folder}/oracle.duckdb")
        ws = f"oracle{next(_runs)}"
        migrate(eng, ws)
        for batch in batches:
            eng.insert("identities", ws, batch)
            report = stitch(eng, ws, rebuild_edges=False)
        mapping = person_map(eng, ws)
        eng.close()
    return mapping, report


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs)
def test_components_match_union_find(graph):
    days, pairs, _ = graph
    nodes = [f"anonymous_id:n{i}" for i in range(len(days))]
    seen = {n: T0 + timedelta(days=d) for n, d in zip(nodes, days, strict=True)}
    got, _ = stitch_batches([identity_rows(nodes, days, pairs, lone=range(len(nodes)))])
    assert got == oracle([(nodes[i], nodes[j]) for i, j in pairs], seen)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs)
def test_incremental_runs_match_union_find(graph):
    days, pairs, cut = graph
    nodes = [f"user_id:n{i}" for i in range(len(days))]
    seen = {n: T0 + timedelta(days=d) for n, d in zip(nodes, days, strict=True)}
    first, later = pairs[:cut], pairs[cut:]
    # A node enters with the first batch that mentions it (the first batch when none does), as
    # its own sighting: so its first sighting never changes between the runs.
    in_later = {k for p in later for k in p} - {k for p in first for k in p}
    early = [i for i in range(len(nodes)) if i not in in_later]
    got, report = stitch_batches(
        [
            identity_rows(nodes, days, first, lone=early),
            identity_rows(nodes, days, later, lone=sorted(in_later)),
        ]
    )
    assert report.incremental
    assert got == oracle([(nodes[i], nodes[j]) for i, j in pairs], seen)
