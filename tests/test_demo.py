"""The demo workspaces: built once through the public ingestion path, deterministic for a seed,
and every planted truth of ``docs/demo-data.md`` recovered from the ingested tables.

Each truth is measured with a plain SQL query on the workspace's tables (people through
``identity_map``), never by reading the generator's parameters; the expected values and
tolerances are the ones the document states.
"""

from __future__ import annotations

import hashlib
import math
import random
from pathlib import Path

import duckdb
import pytest

from wayfinder.demo import build, generate, touches
from wayfinder.model.channels import classify

PEOPLE = 20_000
SEED = 0
#: The day after the demo's last day: "today" for the question examples.
TODAY = "2026-11-22"

CANONICAL = (
    "/ > /c/tents > /p/trailhead-2p-tent > /cart > /checkout/shipping > /checkout/payment"
    " > /checkout/review"
)
HUBS = {"@maria_lopez", "@kenji_watanabe", "@fatima_ali", "@lars_nilsson", "@grace_obi"}
CELEBRITY = "@growth_guru"


@pytest.fixture(scope="module")
def demo(demo_build):
    """The 20k-people demo in one DuckDB file, read back through a plain DuckDB connection."""
    db, summary, seconds = demo_build
    print(
        f"\ndemo build, {PEOPLE:,} people: {seconds:.1f} s (generate "
        f"{summary.generate_seconds:.1f} s, ingest {summary.ingest_seconds:.1f} s), "
        f"{summary.rows_loaded:,} rows"
    )
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    _shop_views(con)
    yield {"summary": summary, "seconds": seconds, "con": con}
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


# Independent sessionisation: a person's events 30 minutes apart or more start a new session,
# whose channel is read off its first event by the plain rules below.
CHANNEL_SQL = """
    CASE
      WHEN click_id_type = 'gclid' OR utm_medium = 'cpc' THEN 'Paid Search'
      WHEN utm_medium = 'paid_social' THEN 'Paid Social'
      WHEN utm_medium = 'email' THEN 'Email'
      WHEN regexp_matches(referrer, 'google|bing|duckduckgo') THEN 'Organic Search'
      WHEN regexp_matches(referrer, 'facebook|instagram|reddit|t[.]co|linkedin|ycombinator')
        THEN 'Organic Social'
      WHEN referrer IS NOT NULL THEN 'Referral'
      ELSE 'Direct'
    END
"""


def _shop_views(con) -> None:
    con.execute(
        """
        CREATE TEMP TABLE shop_ev AS
        WITH e AS (
          SELECT e.*, m.person_id FROM ws_shop.events e
          JOIN ws_shop.identity_map m ON m.identifier = e.identity_key
        ), g AS (
          SELECT *, coalesce(timestamp - lag(timestamp) OVER w > INTERVAL 30 MINUTE, true) AS cut
          FROM e WINDOW w AS (PARTITION BY person_id ORDER BY timestamp, message_id)
        )
        SELECT *, sum(cut::int) OVER (PARTITION BY person_id ORDER BY timestamp, message_id)
          AS visit
        FROM g
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE shop_visits AS
        SELECT person_id, visit, min(timestamp) AS started,
               arg_min({CHANNEL_SQL}, timestamp) AS channel
        FROM shop_ev GROUP BY person_id, visit
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE shoppers AS
        SELECT person_id, min(timestamp) AS first_seen,
          bool_or(coalesce(event = 'Order Completed', false)) AS buyer,
          bool_or(coalesce(event = 'Newsletter Subscribed', false)) AS subscriber,
          bool_or(type = 'page' AND path = '/help/delivery') AS help,
          bool_or(type = 'page' AND path = '/about') AS about,
          bool_or(type = 'page' AND path = '/careers') AS careers,
          bool_or(type = 'page' AND path = '/blog/campfire-recipes') AS campfire,
          bool_or(coalesce(utm_campaign = 'spring_sale' AND utm_source = 'facebook', false)) AS fb,
          bool_or(coalesce(utm_campaign = 'spring_sale' AND utm_source = 'instagram', false))
            AS ig
        FROM shop_ev GROUP BY person_id
        """
    )


def odds_ratio(con, flag: str) -> tuple[float, float, float]:
    """Odds ratio of buying with ``flag`` vs without, with its 95% (Woolf) interval."""
    a, b, c, d = con.execute(
        f"""SELECT sum(({flag} AND buyer)::int), sum(({flag} AND NOT buyer)::int),
                   sum((NOT {flag} AND buyer)::int), sum((NOT {flag} AND NOT buyer)::int)
            FROM shoppers"""
    ).fetchone()
    ratio = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return ratio, ratio * math.exp(-1.96 * se), ratio * math.exp(1.96 * se)


# -- the build --------------------------------------------------------------------------------
def test_build_loads_everything_without_quarantine(demo):
    summary, con = demo["summary"], demo["con"]
    assert summary.quarantined == 0
    for unit in ("shop", "b2b"):
        assert one(con, f"SELECT count(*) FROM ws_{unit}.quarantine") == 0
    shop, b2b = summary.status["shop"].tables, summary.status["b2b"].tables
    for kind in ("events", "interactions", "content", "spend", "consents", "feedback"):
        assert shop[kind] > 0, kind
    for kind in (
        "events", "people", "accounts", "deals", "interactions", "content", "subscriptions",
        "spend", "social_edges", "consents", "feedback",
    ):  # fmt: skip
        assert b2b[kind] > 0, kind


def test_calendar_covers_the_question_windows(demo):
    con = demo["con"]
    first, last = rows(con, "SELECT min(timestamp), max(timestamp) FROM ws_shop.events")[0]
    assert str(first) >= "2025-11-22" and str(last) < TODAY
    windows = {
        "Black Friday week": ("2025-11-24", "2025-12-02"),
        "spring": ("2026-03-01", "2026-06-01"),
        "last quarter": ("2026-07-01", "2026-10-01"),
        "last month": ("2026-10-01", "2026-11-01"),
        "this month": ("2026-11-01", TODAY),
    }
    for name, (lo, hi) in windows.items():
        orders = one(
            con,
            f"""SELECT count(*) FROM ws_shop.events WHERE event = 'Order Completed'
                AND timestamp >= '{lo}' AND timestamp < '{hi}'""",
        )
        assert orders > 50, name
        if name != "Black Friday week":  # a shop's date; the SaaS pipeline starts later
            deals = one(
                con,
                f"""SELECT count(*) FROM ws_b2b.deals
                    WHERE closed_at >= '{lo}' AND closed_at < '{hi}'""",
            )
            assert deals > 5, name


def test_identity_finds_the_planted_people(demo):
    con = demo["con"]
    assert one(con, "SELECT count(DISTINCT person_id) FROM ws_shop.identity_map") == PEOPLE
    merged = one(
        con,
        """SELECT count(*) FROM (SELECT person_id FROM ws_shop.identity_map
           WHERE identifier LIKE 'anonymous_id:%' GROUP BY 1 HAVING count(*) > 1)""",
    )
    assert merged > 0.05 * PEOPLE  # people on two devices, merged by identify calls
    # Every contact who visited the site is one person with their CRM record.
    split = one(
        con,
        """SELECT count(*) FROM (
             SELECT m.person_id FROM ws_b2b.identity_map m
             WHERE m.identifier LIKE 'contact_id:%' GROUP BY 1 HAVING count(*) > 1)""",
    )
    assert split == 0


def test_touches_classify_as_the_channel_they_are_made_for(demo):
    rng = random.Random(1)
    made = [
        touches.DIRECT,
        touches.organic_search(rng),
        touches.paid_search(rng, "google_brand"),
        touches.paid_social(rng, "facebook", "spring_sale"),
        touches.paid_social(rng, "instagram", "spring_sale"),
        touches.paid_social(rng, "tiktok", "prospecting"),
        touches.paid_social(rng, "linkedin", "abm_q2"),
        touches.organic_social(rng),
        touches.organic_social(rng, b2b=True),
        touches.email("newsletter", "newsletter"),
        touches.referral(rng),
        touches.referral(rng, b2b=True),
    ]
    for touch in made:
        click = touch.click_param if touch.click_param else None
        found, _ = classify(touch.source, touch.medium, touch.campaign, click, touch.referrer)
        assert found == touch.channel, touch
    # And the channel rules agree with the simple rule the truths below are measured with,
    # on every distinct landing of both workspaces.
    con = demo["con"]
    for unit, site in (("shop", "ridgeline.example"), ("b2b", "cartograph.example")):
        landings = rows(
            con,
            f"""SELECT DISTINCT utm_source, utm_medium, utm_campaign, click_id_type, referrer,
                       {CHANNEL_SQL}
                FROM ws_{unit}.events
                WHERE type = 'page' AND (referrer IS NULL OR referrer NOT LIKE '%{site}%')""",
        )
        assert len(landings) > 10
        for source, medium, campaign, click, referrer, simple in landings:
            assert classify(source, medium, campaign, click, referrer)[0] == simple


# -- determinism -----------------------------------------------------------------------------
def table_hashes(db: Path, unit: str) -> dict[str, str]:
    """A content hash of every input table, rows sorted, bookkeeping columns left out."""
    con = duckdb.connect(str(db), read_only=True)
    hashes = {}
    for (name,) in rows(
        con,
        f"""SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'ws_{unit}' AND table_name NOT LIKE 'identity_work%'
              AND table_name != 'wayfinder_meta'""",
    ):
        columns = [
            c
            for (c,) in rows(
                con,
                f"""SELECT column_name FROM information_schema.columns
                    WHERE table_schema = 'ws_{unit}' AND table_name = '{name}'
                    ORDER BY ordinal_position""",
            )
            if c not in ("source_file", "loaded_at", "quarantined_at", "detected_at")
        ]
        if not columns:
            continue
        listed = ", ".join(f'"{c}"' for c in columns)
        digest = hashlib.sha256()
        for row in rows(con, f"SELECT {listed} FROM ws_{unit}.{name} ORDER BY ALL"):
            digest.update(repr(row).encode())
        hashes[name] = digest.hexdigest()
    con.close()
    return hashes


def test_same_seed_same_tables_other_seed_other_tables(tmp_path):
    built = {}
    for label, seed in (("a", 3), ("b", 3), ("c", 4)):
        db = tmp_path / f"{label}.duckdb"
        summary = build(f"duckdb:///{db}", people=400, seed=seed, out_dir=tmp_path / label)
        assert summary.quarantined == 0
        built[label] = {unit: table_hashes(db, unit) for unit in ("shop", "b2b")}
    assert built["a"] == built["b"]
    for unit in ("shop", "b2b"):
        for table in ("events", "interactions", "consents"):
            assert built["a"][unit][table] != built["c"][unit][table], (unit, table)


def test_generated_files_repeat_byte_for_byte(tmp_path):
    def digest(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    generate(tmp_path / "one", people=300, seed=7)
    generate(tmp_path / "two", people=300, seed=7)
    generate(tmp_path / "three", people=300, seed=8)
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    one_, three = digest(tmp_path / "one"), digest(tmp_path / "three")
    assert one_.keys() == three.keys() and one_ != three


# -- shop: planted truths ---------------------------------------------------------------------
def test_1_the_canonical_path_is_the_most_common_buyer_path(demo):
    con = demo["con"]
    by_visit = rows(
        con,
        """WITH conv AS (SELECT DISTINCT person_id, visit FROM shop_ev
                         WHERE event = 'Order Completed'),
                p AS (SELECT person_id, visit,
                             string_agg(path, ' > ' ORDER BY timestamp, message_id) AS pages
                      FROM shop_ev JOIN conv USING (person_id, visit)
                      WHERE type = 'page' GROUP BY ALL)
           SELECT pages, count(*) AS n FROM p GROUP BY pages ORDER BY n DESC LIMIT 2""",
    )
    assert by_visit[0][0] == CANONICAL
    assert by_visit[0][1] >= 2.5 * by_visit[1][1]
    # Over whole journeys (every page up to the first order), too.
    by_person = rows(
        con,
        """WITH first_order AS (SELECT person_id, min(timestamp) AS t FROM shop_ev
                                WHERE event = 'Order Completed' GROUP BY 1),
                p AS (SELECT person_id,
                             string_agg(path, ' > ' ORDER BY timestamp, message_id) AS pages
                      FROM shop_ev JOIN first_order USING (person_id)
                      WHERE type = 'page' AND timestamp <= t GROUP BY 1)
           SELECT pages, count(*) AS n FROM p GROUP BY pages ORDER BY n DESC LIMIT 2""",
    )
    print(
        f"\ncanonical path: {by_visit[0][1]} converting visits (runner-up {by_visit[1][1]}), "
        f"{by_person[0][1]} whole journeys (runner-up {by_person[1][1]})"
    )
    assert by_person[0][0] == CANONICAL
    assert by_person[0][1] >= 1.3 * by_person[1][1]


def test_2_delivery_help_triples_the_odds_of_buying(demo):
    ratio, low, high = odds_ratio(demo["con"], "help")
    print(f"\n/help/delivery: purchase odds ratio {ratio:.2f} [{low:.2f}, {high:.2f}]")
    assert 2.4 <= ratio <= 3.8
    assert low > 1.8


@pytest.mark.parametrize("flag", ["about", "careers", "campfire"])
def test_3_pages_without_effect_show_none(demo, flag):
    ratio, low, high = odds_ratio(demo["con"], flag)
    print(f"\n{flag}: purchase odds ratio {ratio:.2f} [{low:.2f}, {high:.2f}]")
    assert 0.8 <= ratio <= 1.25
    assert low < 1 < high


def test_4_spring_sale_facebook_lifts_purchases_instagram_does_not(demo):
    found = dict(
        (group, (n, rate))
        for group, n, rate in rows(
            demo["con"],
            """SELECT CASE WHEN fb THEN 'facebook' WHEN ig THEN 'instagram' ELSE 'neither' END,
                      count(*), avg(buyer::int)
               FROM shoppers WHERE first_seen >= '2026-03-01' AND first_seen < '2026-05-31'
               GROUP BY 1""",
        )
    )
    base = found["neither"][1]
    facebook, instagram = found["facebook"][1] / base, found["instagram"][1] / base
    print(
        f"\nspring_sale purchase rate vs unexposed: facebook x{facebook:.2f}, "
        f"instagram x{instagram:.2f} (unexposed {base:.3f})"
    )
    # Exposure was assigned at random: about 30% facebook, 20% instagram, 50% neither.
    total = sum(n for n, _ in found.values())
    assert 0.26 <= found["facebook"][0] / total <= 0.34
    assert 1.4 <= facebook <= 2.1
    assert 0.7 <= instagram <= 1.35


def test_5_email_is_a_frequent_last_touch_with_no_lift(demo):
    con = demo["con"]
    by_channel = dict(
        rows(
            con,
            """SELECT v.channel, count(*) / sum(count(*)) OVER ()
               FROM shop_ev e JOIN shop_visits v USING (person_id, visit)
               WHERE e.event = 'Order Completed' GROUP BY 1""",
        )
    )
    print(f"\nlast-touch share of orders: {by_channel}")
    assert by_channel["Email"] >= 0.12
    # Clicks per e-mail sent are the same among buyers and non-buyers ...
    rates = dict(
        rows(
            con,
            """SELECT s.buyer, sum((i.type = 'email_clicked')::int)
                                 / sum((i.type = 'email_sent')::int)
               FROM ws_shop.interactions i
               JOIN ws_shop.identity_map m ON m.identifier = 'email:' || i.email
               JOIN shoppers s USING (person_id) GROUP BY 1""",
        )
    )
    assert 0.9 <= rates[True] / rates[False] <= 1.1
    # ... and subscribers, who get every issue, buy no more often than everyone else.
    bought = dict(rows(con, "SELECT subscriber, avg(buyer::int) FROM shoppers GROUP BY 1"))
    assert 0.87 <= bought[True] / bought[False] <= 1.15


def test_6_mobile_drops_at_the_payment_step(demo):
    found = rows(
        demo["con"],
        """WITH c AS (
             SELECT json_extract_string(properties, '$.checkout_id') AS checkout,
               any_value(device_type) AS device,
               bool_or(event = 'Checkout Started') AS started,
               bool_or(coalesce(json_extract_string(properties, '$.step') = 'shipping', false))
                 AS shipping,
               bool_or(coalesce(json_extract_string(properties, '$.step') = 'payment', false))
                 AS payment,
               bool_or(coalesce(json_extract_string(properties, '$.step') = 'review', false))
                 AS review
             FROM ws_shop.events
             WHERE event IN ('Checkout Started', 'Checkout Step Completed') GROUP BY 1)
           SELECT device, avg(shipping::int), avg(payment::int) FILTER (WHERE shipping),
                  avg(review::int) FILTER (WHERE payment)
           FROM c WHERE started GROUP BY 1""",
    )
    steps = {device: values for device, *values in found}
    shipping, payment, review = (steps["mobile"][i] / steps["desktop"][i] for i in range(3))
    print(
        f"\nmobile / desktop step completion: shipping {shipping:.2f}, payment {payment:.2f}, "
        f"review {review:.2f}"
    )
    assert 0.4 <= payment <= 0.6
    assert 0.93 <= shipping <= 1.07 and 0.93 <= review <= 1.07


def test_7_tent_and_pad_are_bought_together(demo):
    con = demo["con"]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE order_lines AS
           SELECT DISTINCT json_extract_string(properties, '$.order_id') AS order_id,
                  json_extract_string(line, '$.sku') AS sku
           FROM (SELECT properties,
                        unnest(json_extract(properties, '$.products[*]')) AS line
                 FROM ws_shop.events WHERE event = 'Order Completed')"""
    )

    def lift(a: str, b: str) -> float:
        n = one(con, "SELECT count(DISTINCT order_id) FROM order_lines")
        na = one(con, f"SELECT count(*) FROM order_lines WHERE sku = '{a}'")
        nb = one(con, f"SELECT count(*) FROM order_lines WHERE sku = '{b}'")
        both = one(
            con,
            f"""SELECT count(*) FROM order_lines x JOIN order_lines y USING (order_id)
                WHERE x.sku = '{a}' AND y.sku = '{b}'""",
        )
        return both * n / (na * nb)

    planted = lift("TNT-SUM4", "SLP-ALP")
    print(f"\nSummit tent + Alpine pad lift {planted:.1f}")
    assert 6 <= planted <= 20
    assert lift("TNT-TRL2", "SLP-CLD") < 1.5  # a popular tent and pad: no affinity


def test_8_paid_search_conversions_collapse_in_the_last_week(demo):
    found = rows(
        demo["con"],
        """SELECT v.channel = 'Paid Search',
                  sum((e.timestamp >= DATE '2026-11-15')::int),
                  sum((e.timestamp >= DATE '2026-10-18' AND e.timestamp < DATE '2026-11-15')::int)
           FROM shop_ev e JOIN shop_visits v USING (person_id, visit)
           WHERE e.event = 'Order Completed' GROUP BY 1""",
    )
    ratios = {paid: last / (before / 4) for paid, last, before in found}
    visits = rows(
        demo["con"],
        """SELECT sum((started >= DATE '2026-11-15')::int),
                  sum((started >= DATE '2026-10-18' AND started < DATE '2026-11-15')::int) / 4
           FROM shop_visits WHERE channel = 'Paid Search'""",
    )[0]
    print(
        f"\nlast week vs the 4 before: Paid Search orders x{ratios[True]:.2f}, others "
        f"x{ratios[False]:.2f}, Paid Search visits x{visits[0] / visits[1]:.2f}"
    )
    assert ratios[True] <= 0.45  # four in five purchases lost: ~0.2
    assert 0.7 <= ratios[False] <= 1.4
    assert 0.8 <= visits[0] / visits[1] <= 1.25  # the clicks still come


# -- b2b: planted truths ----------------------------------------------------------------------
def _win_rates(con, path: str) -> dict[bool, float]:
    """Win rate of closed deals by whether a contact of the account read ``path`` before."""
    return dict(
        rows(
            con,
            f"""WITH reads AS (
                  SELECT p.account_id, e.timestamp
                  FROM ws_b2b.events e
                  JOIN ws_b2b.identity_map m ON m.identifier = e.identity_key
                  JOIN ws_b2b.identity_map c ON c.person_id = m.person_id
                  JOIN ws_b2b.people p ON c.identifier = 'contact_id:' || p.contact_id
                  WHERE e.type = 'page' AND e.path = '{path}')
                SELECT EXISTS (SELECT 1 FROM reads r WHERE r.account_id = d.account_id
                               AND r.timestamp < d.closed_at),
                       avg(won::int)
                FROM ws_b2b.deals d WHERE closed_at IS NOT NULL GROUP BY 1""",
        )
    )


def test_9_alice_post_lifts_the_win_rate(demo):
    alice = _win_rates(demo["con"], "/blog/b2b-attribution-playbook")
    bob = _win_rates(demo["con"], "/blog/pipeline-hygiene")
    print(
        f"\nwin rate read/not: Alice x{alice[True] / alice[False]:.2f} "
        f"({alice[True]:.2f} vs {alice[False]:.2f}), Bob x{bob[True] / bob[False]:.2f}"
    )
    assert 1.4 <= alice[True] / alice[False] <= 2.3
    assert 0.7 <= bob[True] / bob[False] <= 1.4


CHURN_SQL = f"""
    CREATE OR REPLACE TEMP TABLE churn AS
    SELECT s.*, a.industry, a.country, a.plan AS account_plan,
      s.status = 'canceled' AS churned,
      s.seats_used / s.seats < 0.4 AS low_usage,
      (SELECT count(*) FROM ws_b2b.interactions i
       WHERE i.type = 'support_ticket' AND i.account_id = s.account_id
         AND i.timestamp > coalesce(s.ended_at, TIMESTAMP '{TODAY}') - INTERVAL 90 DAY
         AND i.timestamp <= coalesce(s.ended_at, TIMESTAMP '{TODAY}')) >= 5 AS many_tickets
    FROM ws_b2b.subscriptions s JOIN ws_b2b.accounts a USING (account_id)
    WHERE s.status IN ('active', 'canceled')
      AND s.started_at < TIMESTAMP '{TODAY}' - INTERVAL 120 DAY
"""

#: Chi-square critical values at p = 0.01 by degrees of freedom.
CHI2_01 = {1: 6.63, 2: 9.21, 3: 11.34, 4: 13.28, 5: 15.09, 6: 16.81, 7: 18.48}


def test_10_low_usage_and_many_tickets_cause_churn(demo):
    con = demo["con"]
    con.execute(CHURN_SQL)
    rate = {
        (low, many): (n, r)
        for low, many, n, r in rows(
            con,
            "SELECT low_usage, many_tickets, count(*), avg(churned::int) FROM churn GROUP BY ALL",
        )
    }
    base = rate[(False, False)][1]
    low = rate[(True, False)][1] - base
    many = rate[(False, True)][1] - base
    print(f"\nchurn: base {base:.2f}, low usage +{low:.2f}, many tickets +{many:.2f}")
    assert 0.04 <= base <= 0.13
    assert 0.18 <= low <= 0.42
    assert 0.13 <= many <= 0.37
    # Nothing else about the account matters: churn is independent of industry, plan, country.
    for column in ("industry", "account_plan", "country"):
        table = rows(
            con,
            f"""SELECT count(*), sum(churned::int) FROM churn
                GROUP BY {column} HAVING count(*) >= 20""",
        )
        total = sum(n for n, _ in table)
        p = sum(c for _, c in table) / total
        chi2 = sum((c - n * p) ** 2 / (n * p) + (c - n * p) ** 2 / (n * (1 - p)) for n, c in table)
        assert chi2 < CHI2_01[len(table) - 1], column


def test_11_five_hubs_bring_a_large_share_of_new_account_revenue(demo):
    con = demo["con"]
    new_revenue = """SELECT d.account_id, d.amount FROM ws_b2b.deals d
                     JOIN ws_b2b.accounts a USING (account_id)
                     WHERE d.won AND d.pipeline = 'New Business'
                       AND a.created_at >= TIMESTAMP '2025-11-22'"""
    total = one(con, f"SELECT sum(amount) FROM ({new_revenue})")
    by_referrer = rows(
        con,
        f"""SELECT e.source_handle, sum(r.amount) AS revenue
            FROM ws_b2b.social_edges e
            JOIN ws_b2b.people p ON lower(p.social_handle) = lower(e.target_handle)
            JOIN ({new_revenue}) r ON r.account_id = p.account_id
            WHERE e.type = 'referral' GROUP BY 1 ORDER BY revenue DESC, 1 LIMIT 5""",
    )
    share = sum(revenue for _, revenue in by_referrer) / total
    print(f"\ntop five referrers bring {share:.0%} of new-account revenue")
    assert {handle for handle, _ in by_referrer} == HUBS
    assert 0.33 <= share <= 0.60
    # The most followed member is not an influencer by revenue: they refer no one.
    followed = rows(
        con,
        """SELECT target_handle FROM ws_b2b.social_edges WHERE type = 'follow'
           GROUP BY 1 ORDER BY count(*) DESC LIMIT 1""",
    )
    assert followed[0][0] == CELEBRITY
    assert (
        one(
            con,
            f"SELECT count(*) FROM ws_b2b.social_edges WHERE type = 'referral' "
            f"AND source_handle = '{CELEBRITY}'",
        )
        == 0
    )


def test_demo_command_builds_and_reports(tmp_path, monkeypatch):
    import json

    import typer
    from typer.testing import CliRunner

    from wayfinder.cli import demo_cmd
    from wayfinder.cli.main import Settings

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    demo_cmd.register(app)
    monkeypatch.setattr(Settings, "db", f"duckdb:///{tmp_path / 'cli.duckdb'}")
    result = CliRunner().invoke(app, ["demo", "--people", "300", "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["quarantined"] == 0
    assert set(summary["workspaces"]) == {"shop", "b2b"}
    assert summary["workspaces"]["shop"]["tables"]["events"] > 0
    result = CliRunner().invoke(app, ["demo", "--people", "300", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Workspace 'b2b'" in result.output and "demo ready" in result.output
