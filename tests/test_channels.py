"""GA4 channel grouping: the rule table row by row, overrides, and Python/engine agreement."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from wayfinder.errors import ConfigError
from wayfinder.model import channels
from wayfinder.model.channels import DEFAULT_RULES, SITES, classify, with_channels

DOCS = Path(__file__).parents[1] / "docs" / "channels.md"


def touch(tags: str = "", click: str | None = None, ref: str | None = None) -> tuple:
    """``touch("google / cpc / spring", click="gclid")``: the five inputs of ``classify``.

    Tags are source / medium / campaign; ``-`` or a missing tail means absent.
    """
    parts = [None if p.strip() == "-" else p.strip() for p in tags.split(" / ")] if tags else []
    return (*parts, *[None] * (3 - len(parts)), click, ref)


# name: (inputs, channel, source name)
CASES = {
    # one per rule, in GA4's order
    "direct": (touch("(direct) / (none)"), "Direct", "(direct)"),
    "cross-network": (touch("google / cpc / pmax cross-network"), "Cross-network", "google_ads"),
    "paid shopping site": (touch("amazon / cpc"), "Paid Shopping", "amazon"),
    "paid search": (touch("google / cpc"), "Paid Search", "google_ads"),
    "paid social": (touch("facebook / paid_social"), "Paid Social", "facebook"),
    "paid video": (touch("youtube / cpc"), "Paid Video", "youtube"),
    "display cpm": (touch("adroll / cpm"), "Display", "adroll"),
    "paid other": (touch("acme / ppc"), "Paid Other", "acme"),
    "organic shopping": (touch(ref="https://www.amazon.co.uk/dp/1"), "Organic Shopping", "amazon"),
    "organic social": (touch("ig / social"), "Organic Social", "instagram"),
    "organic video medium": (touch("acme / video"), "Organic Video", "acme"),
    "organic search": (touch("google / organic"), "Organic Search", "google"),
    "referral medium": (touch("partner / link"), "Referral", "partner"),
    "email": (touch("newsletter / email"), "Email", "newsletter"),
    "affiliate": (touch("awin / affiliate"), "Affiliates", "awin"),
    "audio": (touch("podcast / audio"), "Audio", "podcast"),
    "sms": (touch("sms"), "SMS", "sms"),
    "mobile push": (touch("app / push"), "Mobile Push", "app"),
    "unassigned": (touch("acme / foo"), "Unassigned", "acme"),
    # the tricky ones
    "empty everything": (touch(), "Direct", "(direct)"),
    "blank strings": (("  ", "", " ", "", ""), "Direct", "(direct)"),
    "gclid without utm": (touch(click="gclid"), "Paid Search", "google_ads"),
    "gclid outranks utm": (touch("newsletter / email", click="gclid"), "Paid Search", "google_ads"),
    "gbraid shopping campaign": (
        touch("- / - / Shopping - EU", click="gbraid"),
        "Paid Shopping",
        "google_ads",
    ),
    "fbclid without utm": (touch(click="fbclid"), "Organic Social", "facebook"),
    "fbclid with paid medium": (
        touch("- / paid_social", click="fbclid"),
        "Paid Social",
        "facebook",
    ),
    "msclkid": (touch(click="msclkid"), "Paid Search", "bing"),
    "ttclid": (touch(click="ttclid"), "Paid Social", "tiktok"),
    "li_fat_id": (touch(click="li_fat_id"), "Paid Social", "linkedin"),
    "email medium E-Mail": (touch("crm / E-Mail"), "Email", "crm"),
    "email source": (touch("e_mail / blast"), "Email", "email"),
    "shopping campaign with cpc": (
        touch("partner / cpc / summer_shop"),
        "Paid Shopping",
        "partner",
    ),
    "shop inside a word is not shopping": (
        touch("partner / cpc / workshop"),
        "Paid Other",
        "partner",
    ),
    "referrer news site": (
        touch(ref="https://www.nytimes.com/2026/a.html"),
        "Referral",
        "nytimes.com",
    ),
    "referrer google.com": (touch(ref="https://www.google.com/"), "Organic Search", "google"),
    "referrer t.co": (touch(ref="https://t.co/abc"), "Organic Social", "twitter"),
    "referrer youtube": (touch(ref="https://m.youtube.com/watch?v=1"), "Organic Video", "youtube"),
    "referrer android app": (
        touch(ref="android-app://com.google.android.googlequicksearchbox/"),
        "Organic Search",
        "google",
    ),
    "referrer co.uk": (touch(ref="https://news.bbc.co.uk/x"), "Referral", "bbc.co.uk"),
    "utm outranks referrer": (
        touch("newsletter / email", ref="https://www.google.com/"),
        "Email",
        "newsletter",
    ),
    "source without medium": (touch("Facebook.com"), "Organic Social", "facebook"),
    "medium without source": (touch("- / cpc"), "Paid Other", "(not set)"),
    "fb alias": (touch("fb / paid"), "Paid Social", "facebook"),
    "Meta alias": (touch("Meta / cpc"), "Paid Social", "facebook"),
    "l.facebook.com": (touch("l.facebook.com / referral"), "Organic Social", "facebook"),
    "x.com": (touch("x.com / social"), "Organic Social", "twitter"),
    "display before paid other, after paid search": (
        touch("google / cpm"),
        "Paid Search",
        "google_ads",
    ),
    "firebase": (touch("firebase / notif"), "Mobile Push", "firebase"),
}


@pytest.mark.parametrize("inputs, channel, name", list(CASES.values()), ids=list(CASES))
def test_rule_table(inputs, channel, name):
    assert classify(*inputs) == (channel, name)


def test_rules_are_in_ga4_order():
    assert [r.channel for r in DEFAULT_RULES.rules] == [
        "Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video",
        "Display", "Paid Other", "Organic Shopping", "Organic Social", "Organic Video",
        "Organic Search", "Referral", "Email", "Affiliates", "Audio", "SMS", "Mobile Push",
    ]  # fmt: skip


def test_every_rule_has_a_case():
    covered = {channel for _, channel, _ in CASES.values()}
    assert {r.channel for r in DEFAULT_RULES.rules} | {"Unassigned"} <= covered


def test_self_referral_is_not_a_source():
    own = "https://blog.example.com/post"
    assert classify(None, None, None, None, own, url="https://www.example.com/") == (
        "Direct",
        "(direct)",
    )
    assert classify(None, None, None, None, own, url="https://other.org/")[0] == "Referral"


# -- overrides ----------------------------------------------------------------------------------


def test_custom_rule_comes_first():
    rules = DEFAULT_RULES.with_overrides(
        {"rules": [{"channel": "Partners", "source_matches": "^partner_"}]}
    )
    assert classify("partner_acme", "cpc", None, None, None, rules=rules)[0] == "Partners"
    assert classify("google", "cpc", None, None, None, rules=rules)[0] == "Paid Search"
    assert DEFAULT_RULES.rules[0].channel == "Direct"  # the defaults are untouched


def test_custom_rule_conditions_all_hold():
    rules = DEFAULT_RULES.with_overrides(
        {"rules": [{"channel": "Events", "medium_matches": "^event$", "campaign_in": "expos"}],
         "sites": {"expos": ["websummit"]}}
    )  # fmt: skip
    assert classify("booth", "event", "websummit", None, None, rules=rules)[0] == "Events"
    assert classify("booth", "event", "other", None, None, rules=rules)[0] == "Unassigned"


def test_site_lists_and_names_extend():
    rules = DEFAULT_RULES.with_overrides(
        {"sites": {"social": ["Mastodon.Example"]}, "source_names": {"acme": ["acme", "acm"]}}
    )
    ref = "https://mastodon.example/@ann"
    assert classify(None, None, None, None, ref, rules=rules) == (
        "Organic Social",
        "mastodon.example",
    )
    assert classify(None, None, None, None, ref) == ("Referral", "mastodon.example")
    assert classify("ACM", "email", None, None, None, rules=rules) == ("Email", "acme")
    assert "mastodon.example" not in SITES["social"]


def test_click_ids_and_ignored_referrers_extend():
    rules = DEFAULT_RULES.with_overrides(
        {"click_ids": {"rdt_cid": {"source": "reddit", "medium": "cpc"}},
         "ignore_referrers": ["checkout.stripe.com"]}
    )  # fmt: skip
    assert classify(None, None, None, "rdt_cid", None, rules=rules) == ("Paid Social", "reddit")
    stripe = "https://checkout.stripe.com/pay"
    assert classify(None, None, None, None, stripe, rules=rules)[0] == "Direct"
    assert classify(None, None, None, None, stripe)[0] == "Referral"


@pytest.mark.parametrize(
    "config, message",
    [
        ({"colours": {}}, "unknown channel setting"),
        ({"rules": [{"source_matches": "x"}]}, "needs a channel name"),
        ({"rules": [{"channel": "X"}]}, "at least one condition"),
        ({"rules": [{"channel": "X", "source_like": "x"}]}, "unknown key"),
        ({"rules": [{"channel": "X", "colour_matches": "x"}]}, "unknown channel field"),
        ({"rules": [{"channel": "X", "source_matches": "(("}]}, "not a valid regex"),
        ({"rules": [{"channel": "X", "source_in": "nope"}]}, "unknown site list"),
        ({"sites": {"social": ["bad/name"]}}, "not a site name"),
        ({"click_ids": {"xclid": {"source": "x"}}}, "needs a source and a medium"),
    ],
)
def test_bad_overrides_are_refused(config, message):
    with pytest.raises(ConfigError, match=message):
        DEFAULT_RULES.with_overrides(config)


# -- the engine agrees with Python --------------------------------------------------------------

EXTRA = [
    ("GOOGLE ", " CPC", None, None, None),
    ("Google", "Organic", None, None, "https://www.bing.com/"),
    ("newsletter", "Email", "May Digest", None, None),
    ("reddit", "paid", "launch", None, None),
    ("pinterest", "cpc", "home-shop", None, None),
    ("twitch", "display", None, None, None),
    ("acme", "retargeting", None, None, None),
    ("acme", "sm", None, None, None),
    (None, None, None, None, "http://duckduckgo.com/?q=x"),
    (None, None, None, None, "https://www.ecosia.org/search"),
    (None, None, None, None, "https://l.instagram.com/?u=x"),
    (None, None, None, None, "https://www.linkedin.com/feed/"),
    (None, None, None, None, "https://vimeo.com/1"),
    (None, None, None, None, "https://shopping.google.com/x"),
    (None, None, None, None, "https://partner.io"),
    (None, None, None, "fbclid", "https://l.facebook.com/"),
    (None, None, None, "wbraid", None),
    (None, None, None, "unknown_id", None),
    ("partner_acme", "cpc", None, None, None),
]


INPUTS = ("utm_source", "utm_medium", "utm_campaign", "click_id_type", "referrer")


def test_engine_agrees_with_python(engine):
    custom = DEFAULT_RULES.with_overrides(
        {"rules": [{"channel": "Partners", "source_matches": "^partner_"}],
         "ignore_referrers": ["partner.io"]}
    )  # fmt: skip
    touches = [inputs for inputs, _, _ in CASES.values()] + EXTRA
    rows = [{"url": None, **dict(zip(INPUTS, t, strict=True))} for t in touches]
    # a self-referral: the page's own registered domain
    rows.append({**rows[0], "referrer": "https://a.example.com/", "url": "https://b.example.com/"})
    for i, row in enumerate(rows):
        row["n"] = i
    schema = pa.schema([("n", pa.int64()), *((c, pa.string()) for c in (*INPUTS, "url"))])
    table = ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
    query = with_channels(
        with_channels(table, channel="ch", source_name="name"),
        custom,
        channel="ch2",
        source_name="name2",
    ).order_by("n")
    out = engine.to_arrow(query).to_pylist()
    assert len(out) == len(rows) >= 60
    for row, got in zip(rows, out, strict=True):
        args = [row[c] for c in INPUTS]
        assert (got["ch"], got["name"]) == classify(*args, url=row["url"]), row
        assert (got["ch2"], got["name2"]) == classify(*args, url=row["url"], rules=custom), row


# -- the docs say what the code does ------------------------------------------------------------


def test_docs_list_the_rules_in_order():
    text = DOCS.read_text()
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", text, flags=re.M)
    assert [name.strip() for _, name in rows] == [r.channel for r in DEFAULT_RULES.rules]


def test_docs_list_every_site():
    text = DOCS.read_text()
    for kind, names in SITES.items():
        line = re.search(rf"\*\*{kind}\*\*:(.*?)(?=\n- \*\*|\n\n)", text, flags=re.S)
        assert line is not None, kind
        assert sorted(n.strip() for n in line.group(1).split(",")) == sorted(names), kind


def test_docs_examples_run():
    failures, _ = doctest.testfile(str(DOCS), module_relative=False)
    assert failures == 0
    assert doctest.testmod(channels).failed == 0
