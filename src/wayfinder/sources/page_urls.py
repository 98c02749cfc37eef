"""What a page URL says about a visit: its path and search, the utm_* campaign parameters and
the ad click id; read without urllib and cached, as every event of a page view repeats its URL.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote_plus

__all__ = ["CLICK_IDS", "NOTHING_FOUND", "UTM_PARAMS", "query_facts", "split_url", "url_facts"]

#: Ad click ids looked for on the page URL, in order of precedence.
CLICK_IDS = (
    "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid",
    "ttclid", "li_fat_id", "twclid", "epik", "ScCid",
)  # fmt: skip
#: utm_* columns in order, as URL parameters.
UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
#: Query facts of a URL without utm_* parameters or click id.
NOTHING_FOUND: tuple[None, ...] = (None,) * 7
#: URL parameters worth reading: utm_* to slots 0-4, click ids from slot 5 by precedence.
_QUERY_SLOTS = {key: slot for slot, key in enumerate(UTM_PARAMS + CLICK_IDS)}


def split_url(url: str) -> tuple[str, str]:
    """(path, query) of a URL without urlsplit, which costs several times more per event.

    >>> split_url("https://shop.example/pricing?plan=pro#faq")
    ('/pricing', 'plan=pro')
    """
    start = url.find("://")
    start = start + 3 if start >= 0 else (2 if url.startswith("//") else 0)
    end = url.find("#", start)
    if end < 0:
        end = len(url)
    query_at = url.find("?", start, end)
    path_end = query_at if query_at >= 0 else end
    slash = url.find("/", start, path_end)
    path = url[slash:path_end] if slash >= 0 else "/"
    return path, (url[query_at + 1 : end] if query_at >= 0 else "")


# Events of one page view share its URL (the page call, then every track call on the page),
# so the facts read from a URL are cached.
@lru_cache(maxsize=8192)
def url_facts(url: str) -> tuple[str, str | None, tuple[str | None, ...]]:
    """(path, search, query facts) of a URL; query facts as ``query_facts`` gives them.

    >>> url_facts("https://shop.example/tents?utm_source=google&gclid=abc")
    ('/tents', '?utm_source=google&gclid=abc', ('google', None, None, None, None, 'abc', 'gclid'))
    """
    path, query = split_url(url)
    if not query:
        return path, None, NOTHING_FOUND
    return path, "?" + query, query_facts(query)


def query_facts(query: str) -> tuple[str | None, ...]:
    """(utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, click_id_type).

    >>> query_facts("utm_medium=cpc&fbclid=f1&gclid=g1&utm_medium=email")
    (None, 'cpc', None, None, None, 'g1', 'gclid')
    """
    found: list[str | None] = [None] * 7
    click_rank = len(CLICK_IDS)
    for part in query.split("&"):
        key, _, value = part.partition("=")
        slot = _QUERY_SLOTS.get(key)
        if slot is None or not value:
            continue
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        if slot < 5:
            if found[slot] is None:  # the first occurrence wins, as browsers read it
                found[slot] = value
        elif slot - 5 < click_rank:
            click_rank = slot - 5
            found[5], found[6] = value, key
    return tuple(found)
