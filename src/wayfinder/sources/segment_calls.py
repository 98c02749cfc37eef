"""One Segment-Spec call into one row of the events table: ``parse_event`` checks and normalises
a call (for files and the HTTP API), raising ``RowInvalid`` with a reason code when it fails.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from wayfinder.sources.base import MAX_EVENT_BYTES, content_hash
from wayfinder.sources.page_urls import CLICK_IDS, NOTHING_FOUND, query_facts, url_facts
from wayfinder.store.schema import EVENTS

__all__ = [
    "CALL_TYPES",
    "CHUNK_SCHEMA",
    "CLICK_IDS",
    "EVENT_COLUMNS",
    "RowInvalid",
    "parse_event",
]

CALL_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})

#: Columns ``parse_event`` returns: the events input columns plus ``row_hash``.
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in EVENTS.columns) + ("row_hash",)

_TABLE_SCHEMA = EVENTS.schema.to_pyarrow()
#: Arrow schema of ``Chunk.rows``: typed exactly as the stored events table, plus ``line``.
CHUNK_SCHEMA: pa.Schema = pa.schema(
    [_TABLE_SCHEMA.field(name) for name in EVENT_COLUMNS] + [pa.field("line", pa.int64())]
)

#: context.campaign keys (Segment's names) in the order of the utm_* columns.
_CAMPAIGN_KEYS = ("source", "medium", "name", "term", "content")
_NO_UTM: tuple[None, ...] = (None,) * 5
_PAGE_FIELDS = ("url", "path", "referrer", "title", "search")
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
#: Epoch numbers below this (1973-03-03 in milliseconds) are almost surely seconds, not ms.
_MIN_EPOCH_MS = 100_000_000_000
_EMPTY: dict[str, Any] = {}
_SORTED = orjson.OPT_SORT_KEYS
_loads = orjson.loads
_dumps = orjson.dumps
_fromisoformat = datetime.fromisoformat


class RowInvalid(Exception):
    """One call that fails validation: ``reason`` is a code of ``base.REASONS``."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


# -- small value readers ---------------------------------------------------------------------
def describe(value: object) -> str:
    """A wrong value in words for a rejection: "an object", "the string 'abc'"."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {_clip(value)}"
    try:
        return f"the value {_dumps(value).decode()}"
    except TypeError:  # not a JSON value: only from Python callers
        return f"a {type(value).__name__}"


def _clip(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _identifier(payload: dict[str, Any], camel: str, snake: str) -> str | None:
    # Null and "" are absent; junk such as "undefined" is kept for identity stitching to judge.
    value = payload.get(camel)
    if value is None or value == "":
        value = payload.get(snake)
        if value is None or value == "":
            return None
    return value if type(value) is str else _as_text(value, camel)


def _as_text(value: object, field: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    raise RowInvalid("wrong_type", f"{field} is {describe(value)}, not a string")


def _text(value: object) -> str | None:
    """A lenient string for descriptive fields (URL, campaign, device): numbers become text."""
    if type(value) is str:
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _object(value: object, field: str) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value  # type: ignore[return-value]
    raise RowInvalid("properties_not_object", f"{field} is {describe(value)}, not an object")


def _timestamp(value: object, field: str) -> datetime | None:
    """Naive UTC datetime from ISO 8601 (Z, offset, space, any fraction) or epoch milliseconds."""
    if value is None or value == "":
        return None
    try:
        if type(value) is str:
            try:
                # Most clients send UTC with "Z": parsing it as naive skips a costly replace().
                if value[-1] == "Z":
                    moment = _fromisoformat(value[:-1])
                    if moment.tzinfo is None:
                        return moment
                    raise ValueError("two time zones")
                moment = _fromisoformat(value)
            except ValueError:
                if not value.isdigit():
                    raise RowInvalid(
                        "bad_timestamp", f"{field} {_clip(value)} is not ISO 8601"
                    ) from None
                return _from_epoch_ms(int(value), field)
            offset = moment.utcoffset()
            if offset is not None:
                moment = (moment - offset).replace(tzinfo=None)
            return moment
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _from_epoch_ms(value, field)
        if isinstance(value, datetime):  # from Python callers
            return naive_utc(value)
    except (OverflowError, ValueError):
        raise RowInvalid("bad_timestamp", f"{field} {value!r} is out of range") from None
    raise RowInvalid("bad_timestamp", f"{field} is {describe(value)}, not a timestamp")


def _from_epoch_ms(value: float, field: str) -> datetime:
    if value < _MIN_EPOCH_MS:
        raise RowInvalid(
            "bad_timestamp",
            f"{field} {value!r} is not epoch milliseconds (epoch seconds are not accepted)",
        )
    return _EPOCH + timedelta(milliseconds=value)


def naive_utc(moment: datetime) -> datetime:
    """The moment as a naive UTC datetime; a naive one is taken to be UTC already."""
    offset = moment.utcoffset()
    return moment if offset is None else (moment - offset).replace(tzinfo=None)


def _revenue(properties: dict[str, Any]) -> float | None:
    field = "revenue"
    value = properties.get("revenue")
    if value is None or value == "":
        field, value = "total", properties.get("total")
        if value is None or value == "":
            return None
    number = math.nan
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            pass
    if not math.isfinite(number):
        raise RowInvalid("wrong_type", f"properties.{field} is {describe(value)}, not a number")
    return number


def _email(traits: dict[str, Any] | None) -> str | None:
    value = traits.get("email") if traits else None
    if type(value) is not str:
        return None
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    # A cheap plausibility check, not RFC 5322: one @, a dotted domain, no spaces.
    if not (local and at and "." in domain[1:-1] and "@" not in domain and " " not in value):
        return None
    return value


def _dump(value: dict[str, Any] | None) -> str | None:
    # Sorted keys: the same content always gives the same text, so it hashes (dedups) the same.
    return None if value is None else _dumps(value, option=_SORTED).decode()


# -- one call --------------------------------------------------------------------------------
def parse_event(
    payload: object, *, raw_size: int, received_at: datetime, received_at_known: bool = True
) -> dict[str, Any]:
    """Validate one Segment call (JSON-decoded) into a dict of the events input columns.

    ``received_at`` fills in for a call without ``receivedAt``. ``timestamp`` is corrected for
    the device clock, ``receivedAt - (sentAt - originalTimestamp)``, when ``sentAt`` is present.
    ``received_at_known=False`` says ``received_at`` only stands in for an unknown arrival (a
    file's ingest time): a call without its own ``receivedAt`` then keeps its device time, as
    correcting by the ingest time would move last month's events to today.

    A call without ``messageId`` gets ``"wf-" + row_hash``: the same call read again (the same
    file re-ingested, a client retry) gets the same id and is deduplicated, while two calls
    identical in all the hash covers are taken to be one. ``row_hash`` covers the business
    content (type, names, ids, device time, properties, traits), not sentAt or receivedAt.
    Raises ``RowInvalid`` with a reason code and words saying what is wrong.
    """
    if raw_size > MAX_EVENT_BYTES:
        raise RowInvalid(
            "event_too_large", f"event is {raw_size} bytes, over the {MAX_EVENT_BYTES}-byte limit"
        )
    if type(payload) is not dict:
        raise RowInvalid("not_an_object", f"record is {describe(payload)}, not a JSON object")
    get = payload.get

    kind = get("type")
    if kind is None or kind == "":
        raise RowInvalid("missing_type", "event has no type")
    if type(kind) is not str:
        raise RowInvalid("unknown_type", f"type is {describe(kind)}, not a call type")
    lowered = kind.lower()
    if lowered not in CALL_TYPES:
        lowered = lowered.strip()
        if lowered not in CALL_TYPES:
            raise RowInvalid(
                "unknown_type",
                f"type {_clip(kind)} is not identify, track, page, screen, group or alias",
            )
    kind = lowered

    user_id = _identifier(payload, "userId", "user_id")
    anonymous_id = _identifier(payload, "anonymousId", "anonymous_id")
    previous_id = group_id = None
    if kind == "alias":
        previous_id = _identifier(payload, "previousId", "previous_id")
        if previous_id is None or user_id is None:
            missing = " and ".join(
                name for name, v in (("previousId", previous_id), ("userId", user_id)) if v is None
            )
            raise RowInvalid("missing_alias_ids", f"alias call without {missing}")
    elif user_id is None and anonymous_id is None:
        raise RowInvalid("missing_identity", "event has neither anonymousId nor userId")
    elif kind == "group":
        group_id = _identifier(payload, "groupId", "group_id")
        if group_id is None:
            raise RowInvalid("missing_group_id", "group call without groupId")

    event = name = None
    if kind == "track":
        event = get("event")
        if event is None or event == "":
            raise RowInvalid("missing_event_name", "track call without an event name")
        if type(event) is not str:
            event = _as_text(event, "event")
    elif kind == "page" or kind == "screen":
        name = get("name")
        if name is not None and type(name) is not str:
            name = _as_text(name, "name")
        name = name or None

    properties = _object(get("properties"), "properties")
    traits = _object(get("traits"), "traits")
    context = _object(get("context"), "context") or _EMPTY
    context_traits = _object(context.get("traits"), "context.traits")
    # Segment's rule: top-level traits win over context.traits.
    if context_traits:
        merged_traits = {**context_traits, **traits} if traits else context_traits
    else:
        merged_traits = traits

    # -- when ----------------------------------------------------------------------------
    received = _timestamp(get("receivedAt"), "receivedAt")
    arrival_known = received is not None or received_at_known
    if received is None:
        received = received_at if received_at.tzinfo is None else naive_utc(received_at)
    sent_at = _timestamp(get("sentAt"), "sentAt")
    reported = _timestamp(get("timestamp"), "timestamp")
    original = _timestamp(get("originalTimestamp"), "originalTimestamp")
    device_time = original if original is not None else reported
    if sent_at is not None and device_time is not None and arrival_known:
        timestamp = received - (sent_at - device_time)
    elif reported is not None:
        timestamp = reported
    else:
        timestamp = device_time if device_time is not None else received

    # -- where: page fields from page properties, then context.page ----------------------
    page = context.get("page")
    page = page if type(page) is dict else _EMPTY
    url, path, referrer, title, search = map(_text, map(page.get, _PAGE_FIELDS))
    if kind == "page" and properties:
        own = map(_text, map(properties.get, _PAGE_FIELDS))
        fallback = (url, path, referrer, title, search)
        url, path, referrer, title, search = (a or b for a, b in zip(own, fallback, strict=True))
    if url is not None:
        url_path, url_search, found = url_facts(url)
        path = path or url_path
        search = search or url_search
    elif search is not None:
        found = query_facts(search[1:] if search[0] == "?" else search)
    else:
        found = NOTHING_FOUND
    campaign = context.get("campaign")
    utm = found[:5]
    if type(campaign) is dict:
        # All from context.campaign or all from the URL: mixing two would invent a campaign.
        from_context = tuple(_text(campaign.get(key)) for key in _CAMPAIGN_KEYS)
        if from_context != _NO_UTM:
            utm = from_context
    click_id, click_id_type = found[5], found[6]

    # -- who and what else ---------------------------------------------------------------
    if properties:
        revenue = _revenue(properties)
        currency = _text(properties.get("currency"))
    else:
        revenue = currency = None
    device = context.get("device")
    os_ = context.get("os")
    location = context.get("location")
    # Group traits describe the company, so its e-mail must not be taken for the person's.
    email = _email(context_traits if kind == "group" else merged_traits)

    try:
        properties_json = _dump(properties)
        traits_json = _dump(merged_traits)
        context_json = _dump(context) if context is not _EMPTY else None
    except TypeError as exc:  # only reachable from Python callers: JSON input always dumps
        raise RowInvalid("wrong_type", f"a value cannot be stored as JSON: {exc}") from None

    # One tuple rather than ten parts (one repr, one hash update), and the device time as
    # microseconds since the epoch: repr(datetime) alone would cost a third of the hash.
    row_hash = content_hash(
        (kind, event, name, anonymous_id, user_id, previous_id, group_id,
         None if device_time is None else (device_time - _EPOCH) // _MICROSECOND,
         properties_json, traits_json)
    )  # fmt: skip
    if user_id is not None:
        identity_key = "user_id:" + user_id
    else:
        identity_key = "anonymous_id:" + anonymous_id  # type: ignore[operator]  # checked above
    message_id = get("messageId")
    if message_id is None or message_id == "":
        message_id = get("message_id")
    if message_id is None or message_id == "":
        message_id = "wf-" + row_hash
    elif type(message_id) is not str:
        message_id = _as_text(message_id, "messageId")

    return {
        "message_id": message_id,
        "type": kind,
        "event": event,
        "name": name,
        "anonymous_id": anonymous_id,
        "user_id": user_id,
        "previous_id": previous_id,
        "group_id": group_id,
        "identity_key": identity_key,
        "timestamp": timestamp,
        "original_timestamp": device_time,
        "sent_at": sent_at,
        "received_at": received,
        "url": url,
        "path": path,
        "referrer": referrer,
        "title": title,
        "search": search,
        "utm_source": utm[0],
        "utm_medium": utm[1],
        "utm_campaign": utm[2],
        "utm_term": utm[3],
        "utm_content": utm[4],
        "click_id": click_id,
        "click_id_type": click_id_type,
        "revenue": revenue,
        "currency": currency,
        "device_type": _text(device.get("type")) if type(device) is dict else None,
        "os_name": _text(os_.get("name")) if type(os_) is dict else None,
        "user_agent": _text(context.get("userAgent")),
        "ip": _text(context.get("ip")),
        "locale": _text(context.get("locale")),
        "country": _text(location.get("country")) if type(location) is dict else None,
        "email": email,
        "properties": properties_json,
        "traits": traits_json,
        "context": context_json,
        "row_hash": row_hash,
    }
