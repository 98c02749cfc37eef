"""The semantic layer: loading and layering catalog files, validation errors, synonyms, and goals
and metrics compiled to Ibis, checked against numbers computed by hand on a small written dataset.
"""

from __future__ import annotations

import doctest
import json
from datetime import datetime
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

import wayfinder
from wayfinder.engines import connect
from wayfinder.errors import ConfigError, UnknownName
from wayfinder.semantic import Catalog, conditions, config_dir_for, definitions, synonyms
from wayfinder.semantic import catalog as catalog_module
from wayfinder.semantic.loader import BUILTIN

ROOT = Path(__file__).resolve().parents[1]


def write(root: Path, firm: str | None = None, **workspaces: str) -> Path:
    """A config dir with ``firm.toml`` and ``workspaces/<name>.toml`` holding the given text."""
    if firm is not None:
        (root / "firm.toml").write_text(firm, encoding="utf-8")
    for name, text in workspaces.items():
        (root / "workspaces").mkdir(parents=True, exist_ok=True)
        (root / "workspaces" / f"{name}.toml").write_text(text, encoding="utf-8")
    return root


# -- loading and layering --------------------------------------------------------------------
def test_builtin_defaults():
    c = Catalog.load(None, "default")
    assert c.files == [BUILTIN]
    assert set(c.goals) == {
        "purchase", "signup", "trial_start", "demo_request", "newsletter_signup",
        "whitepaper_download", "add_to_cart", "checkout", "closed_deal", "deal_created",
        "paid_subscription", "repeat_purchase", "new_customer",
    }  # fmt: skip
    assert {"revenue", "orders", "conversion_rate", "aov", "pipeline", "mrr", "signups"} <= set(
        c.metrics
    )
    assert {"page_views", "visitors"} <= set(c.metrics)
    purchase = c.goals["purchase"].definition
    assert (purchase.kind, purchase.event, purchase.value) == (
        "event",
        "Order Completed",
        "revenue",
    )
    assert c.goals["repeat_purchase"].definition.describe() == "2nd and later of purchase"
    assert c.goals["new_customer"].definition.of == ("purchase", "closed_deal")
    assert str(c.goals["closed_deal"].definition.where[0]) == "won = true"
    assert c.metrics["aov"].definition.describe() == "revenue / orders"
    assert c.metrics["mrr"].definition.snapshot


def test_layering_adds_overrides_and_merges_synonyms(tmp_path):
    root = write(
        tmp_path,
        firm="""
[goals.webinar_attended]
table = "interactions"
where = ["type = 'webinar_attended'"]
synonyms = ["webinar"]

[goals.purchase]
synonyms = ["gear order"]
""",
        shop="""
[goals.purchase]
description = "An order in the shop."
event = "Checkout Done"
synonyms = ["kit bought"]

[goals.closed_deal]
event = "Deal Won"

[metrics.tent_revenue]
agg = "sum"
goal = "purchase"
format = "currency"
""",
    )
    shop = Catalog.load(root, "shop")
    firm_file, shop_file = str(root / "firm.toml"), str(root / "workspaces" / "shop.toml")
    assert shop.files == [BUILTIN, firm_file, shop_file]
    purchase = shop.entry("goal", "purchase")
    assert purchase.model.definition.event == "Checkout Done"
    assert purchase.model.description == "An order in the shop."
    assert (purchase.defined_in, purchase.changed_in) == (shop_file, [firm_file, shop_file])
    phrases = {s.phrase for s in shop.synonyms("goal", "purchase")}
    assert {"buy", "checkouts", "gear order", "kit bought"} <= phrases
    # A new definition replaces the old one whole: the deal goal lost its table and condition.
    assert shop.goals["closed_deal"].definition.kind == "event"
    assert "closed-won" in {s.phrase for s in shop.synonyms("goal", "closed_deal")}
    assert shop.resolve("Webinar") == ("goal", "webinar_attended")
    assert shop.metrics["tent_revenue"].format == "currency"

    other = Catalog.load(root, "b2b")  # no file of its own: defaults + firm
    assert other.files == [BUILTIN, firm_file]
    assert other.goals["purchase"].definition.event == "Order Completed"
    assert other.entry("goal", "purchase").defined_in == BUILTIN
    assert other.resolve("gear order") == ("goal", "purchase")
    assert other.resolve("kit bought") is None


def test_a_later_file_may_point_a_phrase_elsewhere(tmp_path):
    root = write(tmp_path, shop='[synonyms]\n"customers" = "new_customers"\n')
    assert Catalog.load(None).resolve("customers") == ("metric", "buyers")
    assert Catalog.load(root, "shop").resolve("customers") == ("metric", "new_customers")


FIRM_LOCKS = """
[metrics.revenue]
locked = true

[goals.vip]
event = "VIP Joined"
locked = true
"""


@pytest.mark.parametrize(
    ("workspace", "expected"),
    [
        ("[metrics.revenue]\nagg = 'count'\ngoal = 'purchase'\n", "changes the metric 'revenue'"),
        ("[metrics.revenue]\ndescription = 'mine'\n", "changes the metric 'revenue'"),
        ("[metrics.revenue]\nlocked = false\n", "changes the metric 'revenue'"),
        ("[goals.vip]\nevent = 'Other'\n", "changes the goal 'vip'"),
        # purchase is what the locked revenue is computed from
        (
            "[goals.purchase]\nevent = 'Order Placed'\n",
            "changes the goal 'purchase', which the metric 'revenue' is computed from",
        ),
    ],
)
def test_a_workspace_cannot_change_a_locked_definition(tmp_path, workspace, expected):
    root = write(tmp_path, firm=FIRM_LOCKS, shop=workspace)
    with pytest.raises(ConfigError) as err:
        Catalog.load(root, "shop")
    message = str(err.value)
    assert expected in message
    assert str(root / "workspaces" / "shop.toml") in message
    assert f"locked in {root / 'firm.toml'}" in message


def test_a_locked_definition_still_takes_synonyms(tmp_path):
    root = write(
        tmp_path,
        firm=FIRM_LOCKS,
        shop="[metrics.revenue]\nsynonyms = ['kit sales']\n[goals.purchase]\nsynonyms = ['kit']\n",
    )
    c = Catalog.load(root, "shop")
    assert c.resolve("kit sales") == ("metric", "revenue")
    assert c.resolve("KIT") == ("goal", "purchase")
    assert c.entry("metric", "revenue").locked_in == str(root / "firm.toml")
    assert c.entry("metric", "revenue").defined_in == BUILTIN


# -- validation ------------------------------------------------------------------------------
ERRORS = {
    "bad TOML, with its line": ('[goals.x]\nevent = "A"\nvalue = \n', ["not valid TOML", "line 3"]),
    "unknown section": ("[goal.x]\nevent = 'A'\n", ["unknown section 'goal'"]),
    "unknown key": ("[goals.x]\nevent = 'A'\nvalu = 'revenue'\n", ["goals.x", "valu: unknown key"]),
    "no definition": ("[goals.x]\ndescription = 'A'\n", ["goals.x", "no definition"]),
    "two kinds": ("[goals.x]\nevent = 'A'\ntable = 'deals'\n", ["goals.x", "mixes definitions"]),
    "bad name": ("[goals.Big-Win]\nevent = 'A'\n", ["goals.Big-Win", "not a valid name"]),
    "unknown goal in a metric": (
        "[metrics.m]\nagg = 'count'\ngoal = 'purchse'\n",
        ["metrics.m: unknown goal 'purchse'", "purchase"],
    ),
    "unknown metric in a ratio": (
        "[metrics.m]\nnumerator = 'revenue'\ndenominator = 'oders'\n",
        ["metrics.m: unknown metric 'oders'"],
    ),
    "unknown goal in a derived goal": (
        "[goals.x]\nof = 'purchases'\nnth = 2\n",
        ["goals.x: unknown goal 'purchases'"],
    ),
    "circular goals": (
        "[goals.a]\nof = 'b'\n[goals.b]\nof = 'a'\n",
        ["circular: a -> b -> a"],
    ),
    "unknown table": ("[goals.x]\ntable = 'dealz'\n", ["goals.x", "unknown table 'dealz'"]),
    "table that is no source": (
        "[goals.x]\ntable = 'quarantine'\n",
        ["goals.x", "cannot be read by goals and metrics"],
    ),
    "unknown column": (
        "[goals.x]\ntable = 'deals'\nwhere = ['wonn = true']\n",
        ["goals.x", "unknown column 'wonn' of table deals"],
    ),
    "unknown column in a metric": (
        "[metrics.m]\nagg = 'sum'\ntable = 'deals'\ncolumn = 'amout'\n",
        ["metrics.m", "column: unknown column 'amout' of table deals"],
    ),
    "literal of the wrong type": (
        "[goals.x]\ntable = 'deals'\nwhere = ['won = \"yes\"']\n",
        ["goals.x", "'won' is true or false"],
    ),
    "unreadable condition": (
        "[goals.x]\ntable = 'deals'\nwhere = ['won equals true']\n",
        ["goals.x", "cannot read the condition 'won equals true'"],
    ),
    "JSON key of a table without JSON": (
        "[goals.x]\ntable = 'deals'\nwhere = ['properties.plan = \"pro\"']\n",
        ["goals.x", "table deals has no JSON column 'properties'"],
    ),
    "time column that is no time": (
        "[goals.x]\ntable = 'deals'\ntime = 'amount'\n",
        ["goals.x", "time: column 'amount' is float64"],
    ),
    "a page glob with a bracket": ("[goals.x]\npath = '/a[1]'\n", ["goals.x", "cannot hold '['"]),
    "a filter on a goal metric": (
        "[metrics.m]\nagg = 'count'\ngoal = 'purchase'\nwhere = ['type = \"track\"']\n",
        ["metrics.m", "where applies to a table"],
    ),
    "a snapshot of a table without span": (
        "[metrics.m]\nagg = 'count'\ntable = 'events'\nsnapshot = true\n",
        ["metrics.m", "snapshot: table events has no span"],
    ),
    "a phrase meaning two names": (
        "[goals.x]\nevent = 'A'\nsynonyms = ['big win']\n[goals.y]\nevent = 'B'\n"
        "synonyms = ['Big-Win']\n",
        ["the synonym 'Big-Win' points at two names: 'x' and 'y'"],
    ),
    "a synonym of an unknown name": (
        "[synonyms]\n'kit' = 'purchse'\n",
        ["synonyms: 'kit' points at an unknown goal or metric 'purchse'"],
    ),
    "a synonym that is another entry's name": (
        "[goals.purchase]\nsynonyms = ['orders']\n",
        ["the synonym 'orders' of the goal 'purchase' is the name of the metric 'orders'"],
    ),
    "a metric named like a goal": (
        "[metrics.purchase]\nagg = 'count'\ngoal = 'signup'\n",
        ["metrics.purchase: the name is already a goal"],
    ),
}


@pytest.mark.parametrize("text, expected", ERRORS.values(), ids=ERRORS.keys())
def test_validation_errors_name_the_file_the_entry_and_the_problem(tmp_path, text, expected):
    root = write(tmp_path, shop=text)
    with pytest.raises(ConfigError) as err:
        Catalog.load(root, "shop")
    message = str(err.value)
    assert str(root / "workspaces" / "shop.toml") in message
    for fragment in expected:
        assert fragment in message


def test_a_name_used_twice_across_files(tmp_path):
    root = write(tmp_path, firm="[goals.vip]\nevent = 'VIP'\n", shop="[metrics.vip]\nagg='count'\n")
    with pytest.raises(ConfigError, match="metrics.vip: the name is already a goal"):
        Catalog.load(root, "shop")


# -- synonyms --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("purchase", ("goal", "purchase")),
        ("Order Completed", ("goal", "purchase")),
        ("bought", ("goal", "purchase")),
        ("  CHECKOUTS ", ("goal", "purchase")),
        ("closed-won", ("goal", "closed_deal")),
        ("Deals we've won", ("goal", "closed_deal")),
        ("deals we’ve won", ("goal", "closed_deal")),
        ("registration", ("goal", "signup")),
        ("sign up", ("goal", "signup")),
        ("repeat purchase", ("goal", "repeat_purchase")),
        ("first-time buyer", ("goal", "new_customer")),
        ("sign-ups", ("metric", "signups")),
        ("Registrations", ("metric", "signups")),
        ("average order value", ("metric", "aov")),
        ("Conversion Rate", ("metric", "conversion_rate")),
        ("sales", ("metric", "revenue")),
        ("monthly recurring revenue", ("metric", "mrr")),
        ("pipeline generated", ("metric", "pipeline")),
        ("pageviews", ("metric", "page_views")),
        ("FB", ("channel", "facebook")),
        ("facebook", ("channel", "facebook")),
        ("AdWords", ("channel", "google_ads")),
        ("sessions", None),
        ("purchse", None),
        ("???", None),
    ],
)
def test_resolve(word, expected):
    assert Catalog.load(None).resolve(word) == expected


def test_resolve_a_kind():
    c = Catalog.load(None)
    assert c.resolve("sign-ups", kind="goal") == ("goal", "signup")
    assert c.resolve("orders", kind="goal") == ("goal", "purchase")
    assert c.resolve("aov", kind="goal") is None  # a ratio names no single goal
    assert c.resolve("fb", kind="goal") is None
    assert c.goal("checkouts").name == "purchase"
    assert c.metric("Average order value").name == "aov"
    with pytest.raises(UnknownName, match="unknown goal: revenue"):
        c.goal("revenue")


CONDITION_ROWS = [
    {"won": True, "amount": 10.0, "day": "2026-03-01", "properties": '{"$price": 5, "vip": true}'},
    {
        "won": False,
        "amount": 20.0,
        "day": "2026-03-05",
        "properties": '{"plan": "pro", "vip": false}',
    },
    {"won": None, "amount": 30.0, "day": "2026-03-09", "properties": '{"plan": "team", "n": "x"}'},
]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("won = true", [0]),
        ("won != true", [1]),
        ("won is null", [2]),
        ("amount >= 20", [1, 2]),
        ("amount in (10, 30)", [0, 2]),
        ("day > '2026-03-01'", [1, 2]),
        ("properties.plan = 'pro'", [1]),
        ("properties.plan not in ('pro')", [2]),
        ("properties.plan is null", [0]),
        ("properties.$price > 4", [0]),
        ("properties.vip = false", [1]),
        ("properties.n > 1", []),  # not a number: no match, no error
    ],
)
def test_conditions_compile(text, rows):
    t = ibis.memtable(pa.Table.from_pylist(CONDITION_ROWS)).mutate(
        day=lambda t: t.day.cast("date"), i=ibis.row_number()
    )
    condition = conditions.Condition.model_validate(text)
    assert conditions.Condition.model_validate(str(condition)) == condition
    result = ibis.duckdb.connect().to_pyarrow(t.filter(condition.compile(t)).select("i"))
    assert sorted(result.column("i").to_pylist()) == rows


def test_doctests_of_the_semantic_modules():
    for module in (conditions, definitions, synonyms, catalog_module):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_config_dir_next_to_the_database(tmp_path):
    assert config_dir_for(f"duckdb:///{tmp_path}/wf.duckdb") == tmp_path / "wayfinder-config"
    assert config_dir_for(tmp_path / "wf.duckdb") == tmp_path / "wayfinder-config"
    assert config_dir_for("duckdb:///:memory:") == Path("wayfinder-config")


def test_examples_and_docs():
    examples = ROOT / "examples" / "config"
    shop, b2b = Catalog.load(examples, "shop"), Catalog.load(examples, "b2b")
    assert shop.goals["checkout"].definition.kind == "page"
    assert shop.resolve("bought a tent") == ("goal", "tent_purchase")
    assert shop.resolve("bf") == ("campaign", "Black Friday")
    assert b2b.goals["new_customer"].level == "account"
    assert b2b.metrics["conversion_rate"].definition.numerator == "demo_requesters"
    assert b2b.entry("metric", "revenue").locked_in == str(examples / "firm.toml")
    docs = (ROOT / "docs" / "semantic-layer.md").read_text(encoding="utf-8")
    default = Catalog.load(None)
    missing = [n for n in [*default.goals, *default.metrics] if f"`{n}`" not in docs]
    assert missing == []


def test_cli_catalog_lists_definitions_and_their_files(monkeypatch):
    import typer
    from typer.testing import CliRunner

    from wayfinder.cli import catalog_cmd
    from wayfinder.cli.main import Settings

    app = typer.Typer()
    app.callback()(lambda: None)
    catalog_cmd.register(app)
    monkeypatch.setattr(Settings, "workspace", "shop")
    examples = ROOT / "examples" / "config"
    runner = CliRunner()
    result = runner.invoke(app, ["catalog", "--config-dir", str(examples), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    goals = {g["name"]: g for g in data["goals"]}
    assert goals["tent_purchase"]["defined_in"] == str(examples / "workspaces" / "shop.toml")
    assert goals["checkout"]["definition"] == "page /checkout/*"
    assert "gear order" in goals["purchase"]["synonyms"]
    result = runner.invoke(app, ["catalog", "--config-dir", str(examples)], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "tent_purchase" in result.output and "workspaces/shop.toml" in result.output


def test_bad_compute_arguments():
    c = Catalog.load(None)
    with pytest.raises(ConfigError, match="unknown time grain: fortnight"):
        c.metric("revenue").compute(None, by="fortnight")
    with pytest.raises(UnknownName, match="unknown goal: nope"):
        c.metric("conversion_rate").compute(None, goal="nope")


# -- compilation, on every engine ------------------------------------------------------------
def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour)


ANN, ANN_PHONE, BOB, CAT, DAN = (
    "user_id:ann",
    "anonymous_id:ann-phone",
    "user_id:bob",
    "anonymous_id:cat",
    "user_id:dan",
)
#: Weeks start on Monday: 2 March, 9 March, 16 March, 23 March 2026.
EVENTS = [
    # (identity key, type, event or path, time, revenue, properties)
    (ANN_PHONE, "page", "/products/tents", at(2, 10), None, {}),
    (ANN_PHONE, "track", "Order Completed", at(2, 11), 100.0, {"category": "tents"}),
    (BOB, "page", "/", at(3), None, {}),
    (BOB, "track", "Product Added", at(3), None, {"category": "tents"}),
    (CAT, "page", "/pricing", at(4), None, {}),
    (ANN, "track", "Order Completed", at(10), 50.0, {"category": "boots", "qty": 2}),
    (BOB, "track", "Order Completed", at(11), 80.0, {"category": "tents", "qty": 1}),
    (DAN, "page", "/checkout/thank-you.html", at(11), None, {}),
    (ANN, "track", "Order Completed", at(17), 20.0, {}),
    (DAN, "track", "Signed Up", at(18), None, {"plan": "pro"}),
    (CAT, "page", "/pricing", at(19), None, {}),
]
#: Stitching already ran: Ann's phone is Ann, and CRM contact c1 is Dan.
IDENTITY_MAP = [
    (ANN, ANN),
    (ANN_PHONE, ANN),
    (DAN, DAN),
    ("contact_id:c1", DAN),
]
PROFILES = [(ANN, "household-7"), (DAN, "ACME")]
DEALS = [
    # (deal, contact, account, amount, created, closed, won, loaded)
    ("d1", "c1", "ACME", 1000.0, at(20, month=2), at(5), True, at(1, month=4)),
    # d2 was re-ingested: the newer version (lost, 500) replaces the older (won, 999).
    ("d2", "c2", "GLOBEX", 999.0, at(3), at(12), True, at(1, month=4)),
    ("d2", "c2", "GLOBEX", 500.0, at(3), at(12), False, at(2, month=4)),
    ("d3", "c1", "ACME", 300.0, at(10), at(20), True, at(1, month=4)),
    ("d4", None, "INITECH", 700.0, at(16), None, None, at(1, month=4)),
]
SUBSCRIPTIONS = [
    # (subscription, contact, account, mrr, started, ended)
    ("s1", "c1", "ACME", 100.0, at(15, month=1), None),
    ("s2", None, "GLOBEX", 50.0, at(10, month=2), at(20)),
    ("s3", None, "INITECH", 0.0, at(1, month=2), None),  # a free plan: no MRR
]
WORKSPACE_FILE = """
[goals.tent_purchase]
event = "Order Completed"
where = ["properties.category = 'tents'"]

[goals.multi_item_order]
event = "Order Completed"
where = ["properties.qty >= 2"]

[goals.thank_you_page]
path = "/checkout/thank-you*"

[goals.pro_signup]
event = "Signed Up"
type = "track"
where = ["properties.plan in ('pro', 'team')"]
"""
_loaded: dict[str, str] = {}


@pytest.fixture
def shop(engine, workspace_name, tmp_path):
    """The dataset above in a workspace, and its catalog (defaults + a workspace file).

    Spark keeps one catalog for the whole run, so the data is loaded there once.
    """
    name = _loaded.setdefault(engine.url, workspace_name)
    ws = wayfinder.Workspace(engine, name)
    if name == workspace_name:
        _load(ws)
    catalog = Catalog.load(write(tmp_path, **{name: WORKSPACE_FILE}), name)
    return ws, catalog


@pytest.fixture
def duck_shop(tmp_path):
    """The same on DuckDB alone, for what needs no second engine."""
    engine = connect(f"duckdb:///{tmp_path / 'shop.duckdb'}")
    ws = wayfinder.Workspace(engine, "shop")
    _load(ws)
    yield ws, Catalog.load(write(tmp_path, shop=WORKSPACE_FILE), "shop")
    engine.close()


def _load(ws) -> None:
    eng = ws.engine
    events = [
        {
            "message_id": f"m{i}",
            "identity_key": key,
            "type": kind,
            "event": what if kind == "track" else None,
            "path": what if kind == "page" else None,
            "timestamp": time,
            "revenue": revenue,
            "properties": json.dumps(props),
        }
        for i, (key, kind, what, time, revenue, props) in enumerate(EVENTS)
    ]
    eng.insert("events", ws.name, pa.Table.from_pylist(events))
    eng.insert("identity_map", ws.name, _columns(["identifier", "person_id"], IDENTITY_MAP))
    eng.insert("profiles", ws.name, _columns(["person_id", "account_id"], PROFILES))
    deal_columns = ["deal_id", "contact_id", "account_id", "amount", "created_at", "closed_at"]
    deals = _columns([*deal_columns, "won", "loaded_at"], DEALS)
    eng.insert("deals", ws.name, deals.append_column("row_hash", pa.array(["h"] * len(DEALS))))
    sub_columns = ["subscription_id", "contact_id", "account_id", "mrr", "started_at", "ended_at"]
    subs = _columns(sub_columns, SUBSCRIPTIONS)
    eng.insert("subscriptions", ws.name, subs.append_column("plan", pa.array(["p"] * 3)))


def _columns(names: list[str], rows: list[tuple]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(names, row, strict=True)) for row in rows])


def test_goal_occurrences(shop):
    ws, catalog = shop
    names = [
        "purchase", "repeat_purchase", "new_customer", "closed_deal", "paid_subscription",
        "tent_purchase", "multi_item_order", "thank_you_page", "pro_signup",
    ]  # fmt: skip
    union = ibis.union(*(catalog.goal(n).occurrences(ws) for n in names), distinct=False)
    rows = ws.engine.to_arrow(union).to_pylist()
    found = {n: set() for n in names}
    for r in rows:
        found[r["goal"]].add(
            (r["identity_key"], r["person_id"], r["account_id"], r["timestamp"], r["value"])
        )
    assert found["purchase"] == {
        (ANN_PHONE, ANN, "household-7", at(2, 11), 100.0),
        (ANN, ANN, "household-7", at(10), 50.0),
        (BOB, BOB, None, at(11), 80.0),
        (ANN, ANN, "household-7", at(17), 20.0),
    }
    # Ann's second and third orders: the first was on her phone, stitched to her.
    assert found["repeat_purchase"] == {
        (ANN, ANN, "household-7", at(10), 50.0),
        (ANN, ANN, "household-7", at(17), 20.0),
    }
    # Ann's and Bob's first orders, and Dan's first won deal (as CRM contact c1); not d3.
    assert found["new_customer"] == {
        (ANN_PHONE, ANN, "household-7", at(2, 11), 100.0),
        (BOB, BOB, None, at(11), 80.0),
        ("contact_id:c1", DAN, "ACME", at(5), 1000.0),
    }
    # d2's newest version is lost; its older "won" version must not count.
    assert found["closed_deal"] == {
        ("contact_id:c1", DAN, "ACME", at(5), 1000.0),
        ("contact_id:c1", DAN, "ACME", at(20), 300.0),
    }
    assert found["paid_subscription"] == {
        ("contact_id:c1", DAN, "ACME", at(15, month=1), 100.0),
        ("account_id:GLOBEX", "account_id:GLOBEX", "GLOBEX", at(10, month=2), 50.0),
    }
    assert {(r[0], r[3]) for r in found["tent_purchase"]} == {(ANN_PHONE, at(2, 11)), (BOB, at(11))}
    assert {(r[0], r[3]) for r in found["multi_item_order"]} == {(ANN, at(10))}
    assert found["thank_you_page"] == {(DAN, DAN, "ACME", at(11), None)}
    assert {(r[0], r[3]) for r in found["pro_signup"]} == {(DAN, at(18))}


def _by_period(ws, tables: list[ibis.Table]) -> list[dict]:
    joined = tables[0]
    for other in tables[1:]:
        joined = joined.join(other, "period")
    rows = ws.engine.to_arrow(joined).to_pylist()
    return sorted(rows, key=lambda r: r["period"])


def _rows(rows: list[dict], names: list[str]) -> list[tuple]:
    return [(r["period"], *(r[n] for n in names)) for r in rows]


def _approx(expected: list[tuple]) -> list[tuple]:
    """Expected rows with floats compared to 1e-9 (ratios like 1/3)."""
    return [
        tuple(pytest.approx(v, abs=1e-9) if isinstance(v, float) else v for v in row)
        for row in expected
    ]


def test_weekly_shop_metrics(shop):
    ws, catalog = shop
    names = ["revenue", "orders", "aov", "buyers", "active_people", "conversion_rate"]
    weekly = _by_period(
        ws, [catalog.metric(n).compute(ws, "2026-03-02", "2026-03-30", "week") for n in names]
    )
    expected = [
        # week, revenue, orders, aov, buyers, active people, conversion rate
        (at(2, 0), 100.0, 1, 100.0, 1, 3, 1 / 3),  # Ann (phone) buys; Ann, Bob, Cat active
        (at(9, 0), 130.0, 2, 65.0, 2, 3, 2 / 3),  # Ann and Bob buy; Ann, Bob, Dan active
        (at(16, 0), 20.0, 1, 20.0, 1, 3, 1 / 3),  # Ann buys; Ann, Dan, Cat active
        (at(23, 0), 0.0, 0, None, 0, 0, None),  # nothing: zeros, and no ratio of nothing
    ]
    assert _rows(weekly, names) == _approx(expected)

    totals = [
        catalog.metric("revenue").compute(ws),
        catalog.metric("aov").compute(ws),
        catalog.metric("conversion_rate").compute(ws),
        catalog.metric("conversion_rate")
        .compute(ws, goal="signup")
        .rename(signup_rate="conversion_rate"),
        catalog.metric("orders").compute(ws, start="2026-03-09", end="2026-03-16"),
    ]
    joined = totals[0]
    for other in totals[1:]:
        joined = joined.cross_join(other)
    total = ws.engine.to_arrow(joined).to_pylist()[0]
    assert total["revenue"] == 250.0
    assert total["aov"] == pytest.approx(62.5)
    assert total["conversion_rate"] == pytest.approx(2 / 4)  # Ann and Bob of Ann, Bob, Cat, Dan
    assert total["signup_rate"] == pytest.approx(1 / 4)  # Dan
    assert total["orders"] == 2


def test_monthly_crm_metrics(shop):
    ws, catalog = shop
    names = ["pipeline", "bookings", "win_rate", "mrr", "open_pipeline", "subscribers"]
    monthly = _by_period(
        ws, [catalog.metric(n).compute(ws, "2026-01-01", "2026-04-01", "month") for n in names]
    )
    expected = [
        # month, pipeline, bookings, win rate, mrr, open pipeline, subscribers (at month end)
        (datetime(2026, 1, 1), 0.0, 0.0, None, 100.0, 0.0, 1),
        (datetime(2026, 2, 1), 1000.0, 0.0, None, 150.0, 1000.0, 2),  # d1 created and open
        # d2 (newest: 500), d3 and d4 created; d1 and d3 won, d2 lost; s2 ended; d4 still open
        (datetime(2026, 3, 1), 1500.0, 1300.0, 2 / 3, 100.0, 700.0, 1),
    ]
    assert _rows(monthly, names) == _approx(expected)

    at_instant = (
        catalog.metric("mrr")
        .compute(ws, end="2026-03-10")
        .cross_join(catalog.metric("open_pipeline").compute(ws, end="2026-03-10"))
        .cross_join(catalog.metric("new_customers").compute(ws))
    )
    row = ws.engine.to_arrow(at_instant).to_pylist()[0]
    # at 10 March: s1 and s2 run; only d2 is open (d1 closed, d3 opens at noon, d4 later)
    assert (row["mrr"], row["open_pipeline"], row["new_customers"]) == (150.0, 500.0, 3)


def test_periods_follow_the_data_when_no_bounds_are_given(duck_shop):
    ws, catalog = duck_shop

    def rows(name, **window):
        table = ws.engine.to_arrow(catalog.metric(name).compute(ws, **window))
        return [tuple(r.values()) for r in table.to_pylist()]

    # From the first purchase's week to the last's; no empty week after.
    assert rows("revenue", by="week") == [(at(2, 0), 100.0), (at(9, 0), 130.0), (at(16, 0), 20.0)]
    assert rows("orders", start="2026-03-09", by="week") == [(at(9, 0), 2), (at(16, 0), 1)]
    assert rows("orders", end="2026-03-09", by="week") == [(at(2, 0), 1)]
    # Snapshots run to the last start or end: s2 ends on 20 March.
    assert rows("mrr", by="month") == [
        (datetime(2026, 1, 1), 100.0),
        (datetime(2026, 2, 1), 150.0),
        (datetime(2026, 3, 1), 100.0),
    ]
    assert rows("mrr") == [(100.0,)]  # now: s1 only
    assert rows("avg_deal_size") == [(650.0,)]  # (1000 + 300) / 2
    assert (rows("page_views"), rows("visitors")) == ([(5,)], [(4,)])
    assert rows("new_customers", by="month", start="2026-03-01", end="2026-04-01") == [
        (datetime(2026, 3, 1), 3)
    ]
