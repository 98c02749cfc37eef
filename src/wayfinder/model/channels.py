"""GA4's default channel grouping: the rule table, the site lists, and the classifier in two forms.

``classify`` applies the rules to one touch in Python; ``with_channels`` compiles the same rules
to Ibis so the engine classifies every event. ``docs/channels.md`` shows the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir

from wayfinder.errors import ConfigError

# Patterns use only what Python's `re`, RE2 (DuckDB) and java.util.regex (Spark) read alike (no
# look-arounds, `[.]` for a dot), because the tests hold the two classifiers to one answer.
#: A value without surrounding whitespace. A regex, not Ibis's ``strip``: on Spark that one's
#: `\f\v` reach SQL unescaped and it trims the letters `f` and `v` too (`facebook` -> `acebook`).
TRIMMED = r"(?s)^[ \t\n\r\f]*(.*?)[ \t\n\r\f]*$"
PAID_MEDIUM = "^(.*cp.*|ppc|retargeting|paid.*)$"
SHOPPING_CAMPAIGN = "^(.*(([^a-df-z]|^)shop|shopping).*)$"
EMAIL = "^(email|e-mail|e_mail|e mail)$"
DIRECT_SOURCE = "^([(]direct[)]|[(]not set[)])$"
DIRECT_MEDIUM = "^([(]none[)]|[(]not set[)])$"
#: The host of a URL, with or without a scheme (`android-app://...` referrers have one too).
URL_HOST = "^(?:[a-z][a-z0-9+.-]*:)?(?://)?(?:[^@/?#]*@)?([^/?#:]+)"
#: The registered domain of a host: its last two labels, three under `co.uk`-style suffixes.
REGISTERED_DOMAIN = (
    "([a-z0-9-]+[.](?:(?:co|com|ac|org|net|gov|edu|ne|or|go|gob|mil)[.][a-z]{2}|[a-z0-9-]+))$"
)

#: GA4's source categories, abridged. A bare name matches that name and any host whose
#: registrable label it is (`facebook` matches `l.facebook.com`, `facebook.co.uk`); a dotted name
#: matches that host and its subdomains (`t.co`).
SITES: dict[str, tuple[str, ...]] = {
    "search": tuple(
        """360 alice aol ask avg baidu biglobe bing brave coccoc daum dogpile duckduckgo ecosia
        eniro exalead excite go.mail.ru google googlequicksearchbox kvasir lens.google.com lycos
        msn najdi naver onet qwant rambler search-results seznam so.com sogou startpage startsiden
        terra virgilio wp.pl ya.ru yahoo yandex""".split()
    ),
    "social": tuple(
        """43things academia.edu badoo bebo blogger blogspot bsky.app care2 classmates cyworld
        deviantart discord disqus douban ello facebook fb flickr flipboard foursquare glassdoor
        goodreads habbo hatena hi5 ig instagram kakao line linkedin livejournal lnkd
        mastodon.social medium meetup messenger meta mixi myspace news.ycombinator.com nextdoor
        ning ok.ru pinterest plus.google.com producthunt qq quora reddit renren skype slack
        snapchat stackexchange stackoverflow t.co t.me telegram threads tiktok tumblr twitter vk
        wechat weibo whatsapp wordpress x xing yammer yelp zalo""".split()
    ),
    "video": tuple(
        """bilibili brightcove crackle curiositystream dailymotion disneyplus hulu iqiyi netflix
        primevideo rumble ted twitch vidyard vimeo wistia youku youtu youtube""".split()
    ),
    "shopping": tuple(
        """alibaba aliexpress amazon bestbuy ebay etsy mercadolibre mercadolivre rakuten shein
        shop.app shopify shopping.google.com shopping.naver.com shopping.yahoo.com shopzilla
        target temu walmart wayfair wish zalando""".split()
    ),
}

#: Normalised source names, first match wins; entries match like ``SITES`` entries.
SOURCE_NAMES: dict[str, tuple[str, ...]] = {
    "google_ads": ("adwords", "googleads", "google_ads", "google-ads", "googleadservices"),
    "google": ("google", "googlequicksearchbox"),
    "bing": ("bing",),
    "facebook": ("facebook", "fb", "meta"),
    "instagram": ("instagram", "ig"),
    "tiktok": ("tiktok",),
    "linkedin": ("linkedin", "lnkd"),
    "twitter": ("twitter", "x", "t.co"),
    "youtube": ("youtube", "youtu"),
    "reddit": ("reddit",),
    "pinterest": ("pinterest",),
    "amazon": ("amazon",),
    "ebay": ("ebay",),
    "email": ("email", "e-mail", "e_mail", "e mail"),
}

#: A source's name when the medium says the click was paid: the platform the spend table names.
PAID_SOURCE_NAMES: dict[str, str] = {"google": "google_ads"}


@dataclass(frozen=True)
class ClickId:
    """What an ad click id on the landing URL says about the touch."""

    source: str
    medium: str
    #: Paid ids are set only on ad clicks, so they outrank UTM tags, as GA4's auto-tagging does.
    #: Unpaid ids only fill in what the tags leave blank.
    paid: bool = True


CLICK_IDS: dict[str, ClickId] = {
    "gclid": ClickId("google", "cpc"),
    "gbraid": ClickId("google", "cpc"),
    "wbraid": ClickId("google", "cpc"),
    "dclid": ClickId("google", "cpc"),
    "msclkid": ClickId("bing", "cpc"),
    "ttclid": ClickId("tiktok", "cpc"),
    "li_fat_id": ClickId("linkedin", "cpc"),
    "twclid": ClickId("twitter", "cpc"),
    "epik": ClickId("pinterest", "cpc"),
    "sccid": ClickId("snapchat", "cpc"),
    "yclid": ClickId("yandex", "cpc"),
    # Facebook appends fbclid to every outbound link, organic posts included, so it proves a
    # Facebook click but not a paid one: paid only when the medium says so.
    "fbclid": ClickId("facebook", "social", paid=False),
}

#: Fields a condition can test: the touch's source, medium and campaign after derivation, the
#: click id type, and the referrer's host (absent for self-referrals and ignored referrers).
FIELDS = ("source", "medium", "campaign", "click_id_type", "referrer")


@dataclass(frozen=True)
class Condition:
    """A test on one field: a regex searched in the lower-cased value, or a site list."""

    field: str
    matches: str | None = None
    sites: str | None = None

    def __post_init__(self) -> None:
        if self.field not in FIELDS:
            raise ConfigError("unknown channel field", value=self.field, hint=", ".join(FIELDS))
        if (self.matches is None) == (self.sites is None):
            raise ConfigError("a channel condition needs exactly one of matches or sites")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ConfigError("not a valid regex", value=self.matches, hint=str(exc)) from exc


@dataclass(frozen=True)
class Rule:
    """A channel and when it applies: every ``all_of`` condition and one ``any_of`` (if any)."""

    channel: str
    all_of: tuple[Condition, ...] = ()
    any_of: tuple[Condition, ...] = ()


def _m(field: str, pattern: str) -> Condition:
    return Condition(field, matches=pattern)


def _in(field: str, sites: str) -> Condition:
    return Condition(field, sites=sites)


_PAID = _m("medium", PAID_MEDIUM)
_SHOP = (_in("source", "shopping"), _m("campaign", SHOPPING_CAMPAIGN))

#: GA4's rules for manually tagged traffic, in GA4's order; the first that holds wins.
GA4_RULES: tuple[Rule, ...] = (
    Rule("Direct", all_of=(_m("source", DIRECT_SOURCE), _m("medium", DIRECT_MEDIUM))),
    Rule("Cross-network", all_of=(_m("campaign", "cross-network"),)),
    Rule("Paid Shopping", all_of=(_PAID,), any_of=_SHOP),
    Rule("Paid Search", all_of=(_in("source", "search"), _PAID)),
    Rule("Paid Social", all_of=(_in("source", "social"), _PAID)),
    Rule("Paid Video", all_of=(_in("source", "video"), _PAID)),
    Rule("Display", all_of=(_m("medium", "^(display|banner|expandable|interstitial|cpm)$"),)),
    Rule("Paid Other", all_of=(_PAID,)),
    Rule("Organic Shopping", any_of=_SHOP),
    Rule(
        "Organic Social",
        any_of=(
            _in("source", "social"),
            _m("medium", "^(social|social-network|social-media|sm|social network|social media)$"),
        ),
    ),
    Rule("Organic Video", any_of=(_in("source", "video"), _m("medium", "^(.*video.*)$"))),
    Rule("Organic Search", any_of=(_in("source", "search"), _m("medium", "^organic$"))),
    Rule("Referral", all_of=(_m("medium", "^(referral|app|link)$"),)),
    Rule("Email", any_of=(_m("source", EMAIL), _m("medium", EMAIL))),
    Rule("Affiliates", all_of=(_m("medium", "^affiliate$"),)),
    Rule("Audio", all_of=(_m("medium", "^audio$"),)),
    Rule("SMS", any_of=(_m("source", "^sms$"), _m("medium", "^sms$"))),
    Rule(
        "Mobile Push",
        any_of=(
            _m("medium", "push$"),
            _m("medium", "mobile"),
            _m("medium", "notification"),
            _m("source", "^firebase$"),
        ),
    ),
)

UNASSIGNED = "Unassigned"
_SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9 ._-]*$")


def sites_pattern(names: Iterable[str]) -> str:
    """One regex matching any of ``names`` as ``SITES`` describes.

    >>> bool(re.search(sites_pattern(["facebook", "t.co"]), "l.facebook.com"))
    True
    """
    names = sorted(set(names))
    for name in names:
        if not _SITE_NAME.match(name):
            raise ConfigError("not a site name", value=name, hint="lower-case host or name")
    quoted = [n.replace(".", "[.]") for n in names]
    bare = "|".join(q for q, n in zip(quoted, names, strict=True) if "." not in n)
    dotted = "|".join(q for q, n in zip(quoted, names, strict=True) if "." in n)
    parts = []
    if bare:  # the name, then an optional TLD such as `.com`, `.co.uk`, `.com.au`
        parts.append(f"([a-z0-9-]+[.])*({bare})(([.][a-z]{{2,3}})?[.][a-z]{{2,}})?")
    if dotted:
        parts.append(f"([a-z0-9-]+[.])*({dotted})")
    if not parts:
        raise ConfigError("a site list is empty")
    return "^(" + "|".join(parts) + ")$"


@dataclass(frozen=True)
class ChannelRules:
    """The whole classifier as data: rules in order, site lists, names, click ids."""

    rules: tuple[Rule, ...] = GA4_RULES
    sites: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(SITES))
    source_names: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(SOURCE_NAMES))
    paid_source_names: Mapping[str, str] = field(default_factory=lambda: dict(PAID_SOURCE_NAMES))
    click_ids: Mapping[str, ClickId] = field(default_factory=lambda: dict(CLICK_IDS))
    #: Referrers treated as no referrer (payment pages, login providers): GA4's unwanted referrals.
    ignore_referrers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for rule in self.rules:
            for cond in rule.all_of + rule.any_of:
                if cond.sites is not None and cond.sites not in self.sites:
                    raise ConfigError(
                        "unknown site list", value=cond.sites, hint=", ".join(self.sites)
                    )
        # Build the patterns now, so a bad site name fails where the settings are read.
        _ = self._site_patterns, self.name_patterns, self.ignore_pattern

    @cached_property
    def _site_patterns(self) -> dict[str, str]:
        return {name: sites_pattern(entries) for name, entries in self.sites.items()}

    @cached_property
    def name_patterns(self) -> list[tuple[str, str]]:
        """(normalised name, regex) pairs, in the order they are tried."""
        return [(name, sites_pattern(aliases)) for name, aliases in self.source_names.items()]

    @cached_property
    def ignore_pattern(self) -> str | None:
        return sites_pattern(self.ignore_referrers) if self.ignore_referrers else None

    def site_pattern(self, name: str) -> str:
        return self._site_patterns[name]

    def condition_pattern(self, cond: Condition) -> str:
        return cond.matches if cond.matches is not None else self.site_pattern(cond.sites or "")

    def with_overrides(self, config: Mapping[str, Any] | None) -> ChannelRules:
        """Rules with a workspace's additions: custom rules first, longer lists, more names.

        ``config`` keys: ``rules`` (list of ``{"channel": ..., "<field>_matches": regex,
        "<field>_in": site list}``, all conditions must hold), ``sites`` (list name -> extra
        entries), ``source_names`` (name -> aliases, checked before the defaults),
        ``click_ids`` (type -> ``{"source", "medium", "paid"}``), ``ignore_referrers``.
        """
        if not config:
            return self
        known = {"rules", "sites", "source_names", "click_ids", "ignore_referrers"}
        unknown = set(config) - known
        if unknown:
            raise ConfigError("unknown channel setting", value=", ".join(sorted(unknown)))
        sites = dict(self.sites)
        for name, extra in (config.get("sites") or {}).items():
            sites[name] = tuple(dict.fromkeys([*sites.get(name, ()), *_entries(extra)]))
        names = {k: _entries(v) for k, v in (config.get("source_names") or {}).items()}
        click_ids = dict(self.click_ids)
        for kind, spec in (config.get("click_ids") or {}).items():
            if not isinstance(spec, Mapping) or not {"source", "medium"} <= set(spec):
                raise ConfigError("a click id needs a source and a medium", value=kind)
            paid = bool(spec.get("paid", True))
            click_ids[kind.lower()] = ClickId(_lower(spec["source"]), _lower(spec["medium"]), paid)
        custom = tuple(_rule_from_config(r) for r in config.get("rules") or ())
        return replace(
            self,
            rules=custom + self.rules,
            sites=sites,
            source_names={
                **names,
                **{k: v for k, v in self.source_names.items() if k not in names},
            },
            click_ids=click_ids,
            ignore_referrers=self.ignore_referrers + _entries(config.get("ignore_referrers")),
        )


def _lower(text: str) -> str:
    return str(text).strip().lower()


def _entries(value: Any) -> tuple[str, ...]:
    """A setting's list of names; one name alone counts as a list of one."""
    items = [value] if isinstance(value, str) else list(value or ())
    return tuple(_lower(item) for item in items)


def _rule_from_config(spec: Mapping[str, Any]) -> Rule:
    if not isinstance(spec, Mapping) or not spec.get("channel"):
        raise ConfigError("a channel rule needs a channel name", value=spec)
    conditions = []
    for key, value in spec.items():
        if key == "channel":
            continue
        field_name, _, kind = key.rpartition("_")
        if kind == "matches":
            conditions.append(Condition(field_name, matches=str(value)))
        elif kind == "in":
            conditions.append(Condition(field_name, sites=str(value)))
        else:
            raise ConfigError(
                "unknown key in a channel rule", value=key, hint="use <field>_matches or <field>_in"
            )
    if not conditions:
        raise ConfigError("a channel rule needs at least one condition", value=spec["channel"])
    return Rule(str(spec["channel"]), all_of=tuple(conditions))


DEFAULT_RULES = ChannelRules()


# -- pure Python ------------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    return _extract(TRIMMED, str(value).lower())


def _search(pattern: str, value: str | None) -> bool:
    return value is not None and re.search(pattern, value) is not None


def _extract(pattern: str, value: str | None) -> str | None:
    if value is None:
        return None
    found = re.search(pattern, value)
    return (found.group(1) or None) if found else None


def _registered(host: str) -> str:
    return _extract(REGISTERED_DOMAIN, host) or host


def classify(
    source: str | None,
    medium: str | None,
    campaign: str | None,
    click_id_type: str | None,
    referrer: str | None,
    *,
    url: str | None = None,
    rules: ChannelRules = DEFAULT_RULES,
) -> tuple[str, str]:
    """The channel and normalised source name of one touch.

    >>> classify("google", "cpc", None, None, None)
    ('Paid Search', 'google_ads')
    >>> classify(None, None, None, None, "https://t.co/abc")
    ('Organic Social', 'twitter')
    """
    src, med, camp, kind = _clean(source), _clean(medium), _clean(campaign), _clean(click_id_type)
    ref_host = _extract(URL_HOST, _clean(referrer))
    page_host = _extract(URL_HOST, _clean(url))
    if ref_host is not None and (
        (page_host is not None and _registered(ref_host) == _registered(page_host))
        or (rules.ignore_pattern is not None and _search(rules.ignore_pattern, ref_host))
    ):
        ref_host = None  # a self-referral or an unwanted one says nothing about acquisition
    click = rules.click_ids.get(kind or "")
    from_referrer = False
    if click is not None and click.paid:
        src, med = click.source, click.medium
    elif src is not None or med is not None:
        fill = click is not None
        src = src or (click.source if fill else "(not set)")
        med = med or (click.medium if fill else "(not set)")
    elif ref_host is not None:
        from_referrer = True
        src = ref_host
        med = "organic" if _search(rules.site_pattern("search"), src) else "referral"
    elif click is not None:
        src, med = click.source, click.medium
    else:
        src, med = "(direct)", "(none)"
    values = {"source": src, "medium": med, "campaign": camp, "click_id_type": kind}
    values["referrer"] = ref_host

    def holds(cond: Condition) -> bool:
        return _search(rules.condition_pattern(cond), values[cond.field])

    channel = UNASSIGNED
    for rule in rules.rules:
        if all(map(holds, rule.all_of)) and (not rule.any_of or any(map(holds, rule.any_of))):
            channel = rule.channel
            break
    name = next((n for n, p in rules.name_patterns if _search(p, src)), None)
    if name is not None and name in rules.paid_source_names and _search(PAID_MEDIUM, med):
        name = rules.paid_source_names[name]
    if name is None:
        name = _registered(src) if from_referrer else src
    return channel, name


# -- Ibis -------------------------------------------------------------------------------------


def trimmed(col: ir.Value) -> ir.StringValue:
    """``col`` as text without surrounding whitespace; null when nothing is left."""
    return col.cast("string").re_extract(TRIMMED, 1).nullif("")


def _clean_expr(col: ir.Value) -> ir.StringValue:
    return trimmed(col.cast("string").lower())


def _registered_expr(host: ir.StringValue) -> ir.StringValue:
    return ibis.coalesce(host.re_extract(REGISTERED_DOMAIN, 1).nullif(""), host)


def with_channels(
    table: ir.Table,
    rules: ChannelRules = DEFAULT_RULES,
    *,
    channel: str = "channel",
    source_name: str = "source_name",
) -> ir.Table:
    """``table`` with its touches' channel and source name, classified by the engine.

    ``table`` needs ``utm_source``, ``utm_medium``, ``utm_campaign``, ``click_id_type`` and
    ``referrer``; with a ``url`` column, referrers from the page's own domain are ignored.
    """
    # Three projections (clean inputs; source and medium; rules), each reading the columns of
    # the one before, so the engine derives each value once. Nested into one expression, every
    # rule would repeat the source, medium and referrer derivations: ~450 KB of SQL that DuckDB
    # and Spark take a minute to plan.
    names: list[str] = []

    def step(t: ir.Table, values: dict[str, ir.Value]) -> tuple[ir.Table, dict[str, ir.Value]]:
        t = t.mutate(**{_HELPER + k: v for k, v in values.items()})
        names.extend(values)
        return t, {k: t[_HELPER + k] for k in names}

    t, values = step(table, _inputs(table, rules))
    t, values = step(t, _source_medium(values, rules))
    t = t.mutate(**{channel: _channel(values, rules), source_name: _source_name(values, rules)})
    return t.drop(*(_HELPER + k for k in names))


_HELPER = "_wf_channel_"


def _inputs(table: ir.Table, rules: ChannelRules) -> dict[str, ir.Value]:
    ref_host = _clean_expr(table.referrer).re_extract(URL_HOST, 1).nullif("")
    unwanted = []
    if rules.ignore_pattern is not None:
        unwanted.append(ref_host.re_search(rules.ignore_pattern))
    if "url" in table.columns:
        page_host = _clean_expr(table.url).re_extract(URL_HOST, 1).nullif("")
        unwanted.append(_registered_expr(ref_host) == _registered_expr(page_host))
    if unwanted:
        # A null test (no page URL) counts as false in a CASE, which keeps the referrer.
        ref_host = ibis.cases(*[(u, ibis.null("string")) for u in unwanted], else_=ref_host)
    return {
        "src": _clean_expr(table.utm_source),
        "med": _clean_expr(table.utm_medium),
        "campaign": _clean_expr(table.utm_campaign),
        "click_id_type": _clean_expr(table.click_id_type),
        "referrer": ref_host,
    }


def _source_medium(v: dict[str, ir.Value], rules: ChannelRules) -> dict[str, ir.Value]:
    kind, ref_host = v["click_id_type"], v["referrer"]
    paid_kinds = [k for k, c in rules.click_ids.items() if c.paid]
    unpaid_kinds = [k for k, c in rules.click_ids.items() if not c.paid]
    no = ibis.literal(False)
    is_paid_click = kind.isin(paid_kinds).fill_null(False) if paid_kinds else no
    is_unpaid_click = kind.isin(unpaid_kinds).fill_null(False) if unpaid_kinds else no

    def click_value(attr: str, kinds: list[str]) -> ir.StringValue:
        branches = [(kind == k, ibis.literal(getattr(rules.click_ids[k], attr))) for k in kinds]
        return ibis.cases(*branches, else_=ibis.null("string")) if kinds else ibis.null("string")

    tagged = v["src"].notnull() | v["med"].notnull()
    has_ref = ref_host.notnull()
    search = ref_host.re_search(rules.site_pattern("search"))
    unset = ibis.literal("(not set)")
    source = ibis.cases(
        (is_paid_click, click_value("source", paid_kinds)),
        (tagged, ibis.coalesce(v["src"], click_value("source", unpaid_kinds), unset)),
        (has_ref, ref_host),
        (is_unpaid_click, click_value("source", unpaid_kinds)),
        else_=ibis.literal("(direct)"),
    )
    medium = ibis.cases(
        (is_paid_click, click_value("medium", paid_kinds)),
        (tagged, ibis.coalesce(v["med"], click_value("medium", unpaid_kinds), unset)),
        (has_ref, ibis.cases((search, "organic"), else_="referral")),
        (is_unpaid_click, click_value("medium", unpaid_kinds)),
        else_=ibis.literal("(none)"),
    )
    return {"source": source, "medium": medium, "from_referrer": ~is_paid_click & ~tagged & has_ref}


def _channel(v: dict[str, ir.Value], rules: ChannelRules) -> ir.StringValue:
    def holds(cond: Condition) -> ir.BooleanValue:
        return v[cond.field].re_search(rules.condition_pattern(cond))

    branches = []
    for rule in rules.rules:
        test = ibis.literal(True)
        for cond in rule.all_of:
            test = test & holds(cond)
        if rule.any_of:
            either = holds(rule.any_of[0])
            for cond in rule.any_of[1:]:
                either = either | holds(cond)
            test = test & either
        branches.append((test, ibis.literal(rule.channel)))
    return ibis.cases(*branches, else_=ibis.literal(UNASSIGNED))


def _source_name(v: dict[str, ir.Value], rules: ChannelRules) -> ir.StringValue:
    source = v["source"]
    paid = v["medium"].re_search(PAID_MEDIUM)
    branches = []
    for name, pattern in rules.name_patterns:
        matched = source.re_search(pattern)
        if name in rules.paid_source_names:
            branches.append((matched & paid, ibis.literal(rules.paid_source_names[name])))
        branches.append((matched, ibis.literal(name)))
    branches.append((v["from_referrer"], _registered_expr(source)))
    return ibis.cases(*branches, else_=source)


__all__ = [
    "CLICK_IDS",
    "DEFAULT_RULES",
    "GA4_RULES",
    "SITES",
    "SOURCE_NAMES",
    "UNASSIGNED",
    "ChannelRules",
    "ClickId",
    "Condition",
    "Rule",
    "classify",
    "sites_pattern",
    "trimmed",
    "with_channels",
]
