"""Segment-Spec calls into rows of the events table: ``parse_event`` checks one call (for files
and the HTTP API); ``read_events`` reads JSONL, batch and array files, gzipped or not.
"""

from __future__ import annotations

import gc
import gzip
import math
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_plus

import orjson
import pyarrow as pa

from wayfinder.errors import FileUnreadable
from wayfinder.sources.base import MAX_EVENT_BYTES, Chunk, Rejection, content_hash
from wayfinder.store.schema import EVENTS

__all__ = ["RowInvalid", "parse_event", "read_events", "EVENT_COLUMNS", "CHUNK_SCHEMA"]

CALL_TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})

#: Columns ``parse_event`` returns: the events input columns plus ``row_hash``.
EVENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in EVENTS.columns) + ("row_hash",)

_TABLE_SCHEMA = EVENTS.schema.to_pyarrow()
#: Arrow schema of ``Chunk.rows``: typed exactly as the stored events table, plus ``line``.
CHUNK_SCHEMA: pa.Schema = pa.schema(
    [_TABLE_SCHEMA.field(name) for name in EVENT_COLUMNS] + [pa.field("line", pa.int64())]
)

#: Ad click ids looked for on the page URL, in order of precedence.
CLICK_IDS = (
    "gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid",
    "ttclid", "li_fat_id", "twclid", "epik", "ScCid",
)  # fmt: skip
#: utm_* columns in order, as URL parameters and as context.campaign keys (Segment's names).
_UTM_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_CAMPAIGN_KEYS = ("source", "medium", "name", "term", "content")
_NO_UTM: tuple[None, ...] = (None,) * 5
_NOTHING_FOUND: tuple[None, ...] = (None,) * 7
#: URL parameters worth reading: utm_* to slots 0-4, click ids from slot 5 by precedence.
_QUERY_SLOTS = {key: slot for slot, key in enumerate(_UTM_PARAMS + CLICK_IDS)}
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
def _describe(value: object) -> str:
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
    raise RowInvalid("wrong_type", f"{field} is {_describe(value)}, not a string")


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
    raise RowInvalid("properties_not_object", f"{field} is {_describe(value)}, not an object")


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
            return _naive_utc(value)
    except (OverflowError, ValueError):
        raise RowInvalid("bad_timestamp", f"{field} {value!r} is out of range") from None
    raise RowInvalid("bad_timestamp", f"{field} is {_describe(value)}, not a timestamp")


def _from_epoch_ms(value: float, field: str) -> datetime:
    if value < _MIN_EPOCH_MS:
        raise RowInvalid(
            "bad_timestamp",
            f"{field} {value!r} is not epoch milliseconds (epoch seconds are not accepted)",
        )
    return _EPOCH + timedelta(milliseconds=value)


def _naive_utc(moment: datetime) -> datetime:
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
        raise RowInvalid("wrong_type", f"properties.{field} is {_describe(value)}, not a number")
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


def _split_url(url: str) -> tuple[str, str]:
    """(path, query) of a URL without urlsplit, which costs several times more per event."""
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
def _url_facts(url: str) -> tuple[str, str | None, tuple[str | None, ...]]:
    """(path, search, query facts) of a URL; query facts as ``_query_facts`` gives them."""
    path, query = _split_url(url)
    if not query:
        return path, None, _NOTHING_FOUND
    return path, "?" + query, _query_facts(query)


def _query_facts(query: str) -> tuple[str | None, ...]:
    """(utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, click_id_type)."""
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
        raise RowInvalid("not_an_object", f"record is {_describe(payload)}, not a JSON object")
    get = payload.get

    kind = get("type")
    if kind is None or kind == "":
        raise RowInvalid("missing_type", "event has no type")
    if type(kind) is not str:
        raise RowInvalid("unknown_type", f"type is {_describe(kind)}, not a call type")
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
        received = received_at if received_at.tzinfo is None else _naive_utc(received_at)
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
        url_path, url_search, found = _url_facts(url)
        path = path or url_path
        search = search or url_search
    elif search is not None:
        found = _query_facts(search[1:] if search[0] == "?" else search)
    else:
        found = _NOTHING_FOUND
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


# -- files -----------------------------------------------------------------------------------
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_BOM = b"\xef\xbb\xbf"


def read_events(
    path: Path, *, chunk_rows: int = 50_000, received_at: datetime | None = None
) -> Iterator[Chunk]:
    """Read an event file into chunks of valid rows (``CHUNK_SCHEMA``) and rejections.

    The format is found from the content, gzip included: JSONL (``line`` is the file's line;
    blank lines are skipped), a ``{"batch": [...]}`` body as the Segment HTTP API receives it, a
    JSON array of calls, or one call (``line`` is the position in the batch or array). As Segment
    does, a batch's ``sentAt`` and ``context`` are defaults for the calls that lack them (context
    merged key by key, the call's own keys winning); ``integrations`` and ``writeKey`` are not
    stored. ``received_at`` stands for calls without ``receivedAt``: given, it is their real
    arrival and corrects device clocks; left out, the ingest time fills the column but device
    clocks of those calls are not corrected (see ``parse_event``).

    Raises ``FileUnreadable`` when the file is missing, not UTF-8, a corrupt gzip or not JSON at
    all, possibly after some chunks were yielded: the caller then loads nothing from the file.
    """
    path = Path(path)
    known = received_at is not None
    received = _naive_utc(datetime.now(UTC) if received_at is None else received_at)
    raw = _open(path)
    stream: IO[bytes] = raw
    try:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=raw)
        builder = _ChunkBuilder(max(1, chunk_rows), received, known, path)
        yield from _read(stream, path, builder)
    except (OSError, EOFError, zlib.error) as exc:
        why = "it is a corrupt or truncated gzip file" if stream is not raw else "reading failed"
        raise _unreadable(path, f"{why}: {exc}") from exc
    finally:
        stream.close()
        raw.close()


def _unreadable(path: Path, why: str) -> FileUnreadable:
    return FileUnreadable("cannot read events file", value=str(path), hint=why)


def _open(path: Path) -> Any:
    try:
        return open(path, "rb", buffering=1 << 20)  # closed by read_events
    except FileNotFoundError:
        raise _unreadable(path, "no such file") from None
    except IsADirectoryError:
        raise _unreadable(path, "it is a directory") from None
    except PermissionError:
        raise _unreadable(path, "permission denied") from None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None


def _read(stream: IO[bytes], path: Path, builder: _ChunkBuilder) -> Iterator[Chunk]:
    # Keep the lines up to the first non-blank one: they tell the format, then are replayed.
    head: list[bytes] = []
    first = b""
    for line in stream:
        if not head and line.startswith(_BOM):
            line = line[len(_BOM) :]
        head.append(line)
        first = line.strip()
        if first:
            break
    if not first:
        return  # an empty file holds no calls

    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    if first[:1] == b"{":
        try:
            opening = _loads(first)
        except orjson.JSONDecodeError:
            opening = None
        if type(opening) is dict and "batch" not in opening:
            yield from builder.jsonl(head, stream)
            return
        if opening is None and suffix in _JSONL_SUFFIXES:
            yield from builder.jsonl(head, stream)
            return
        data = b"".join(head) + stream.read()
        try:
            document = _load_document(data)
        except orjson.JSONDecodeError as exc:
            if opening is None and suffix != ".json":
                # Not one JSON document: JSONL whose first line is broken (rejected, not fatal).
                yield from builder.jsonl(data.split(b"\n"), ())
                return
            raise _not_json(path, data, exc) from None
    elif first[:1] == b"[":
        data = b"".join(head) + stream.read()
        try:
            document = _load_document(data)
        except orjson.JSONDecodeError as exc:
            raise _not_json(path, data, exc) from None
    elif suffix in _JSONL_SUFFIXES:
        yield from builder.jsonl(head, stream)
        return
    else:
        _decode(first, path, len(head))
        raise _unreadable(path, "it does not start with a JSON object or array")
    yield from builder.document(document)


def _load_document(data: bytes) -> Any:
    # Decoding creates every object of the document and no reference cycle, yet lets the garbage
    # collector make full passes over the growing document: more than doubling the time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _loads(data)
    finally:
        if enabled:
            gc.enable()


def _not_json(path: Path, data: bytes, exc: orjson.JSONDecodeError) -> FileUnreadable:
    try:
        data.decode()
    except UnicodeDecodeError as bad:
        return _unreadable(path, f"it is not UTF-8 text (byte {bad.start})")
    return _unreadable(path, f"it is not valid JSON: {exc}")


def _decode(line: bytes, path: Path, number: int) -> str:
    try:
        return line.decode().rstrip("\r\n")
    except UnicodeDecodeError:
        # An encoding is a property of the whole file: quarantining every non-ASCII line of a
        # Latin-1 file would hide the real fix, which is to re-encode the file.
        raise _unreadable(path, f"line {number} is not UTF-8 text") from None


#: Rows turned into Arrow at a time. Python row dicts weigh several times their Arrow form, so
#: few are held at once: a chunk of 50,000 peaks a third lower in memory, with less GC work.
_BATCH_ROWS = 4096


class _ChunkBuilder:
    """Collects parsed rows and rejections; hands out a Chunk every ``limit`` input records."""

    def __init__(self, limit: int, received: datetime, known: bool, path: Path) -> None:
        self.limit = limit
        self.received = received
        self.known = known
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.batches: list[pa.RecordBatch] = []
        self.sealed = 0  # rows of the coming chunk already in ``batches``
        self.rejections: list[Rejection] = []

    def jsonl(self, head: list[bytes], rest: Any) -> Iterator[Chunk]:
        rows, lines, rejections = self.rows, self.lines, self.rejections
        received, known, limit, path = self.received, self.known, self.limit, self.path
        number = 0
        for source in (head, rest):
            for line in source:
                number += 1
                size = len(line)
                if size > MAX_EVENT_BYTES:
                    size = len(line.rstrip(b"\r\n"))  # exact only where it matters
                try:
                    # An oversized line is not even decoded: parse_event rejects it on its size.
                    payload = _loads(line) if size <= MAX_EVENT_BYTES else None
                    row = parse_event(
                        payload, raw_size=size, received_at=received, received_at_known=known
                    )
                    rows.append(row)
                    lines.append(number)
                except orjson.JSONDecodeError as exc:
                    if not line.strip():
                        continue
                    detail = f"line is not valid JSON: {exc.msg} at column {exc.colno}"
                    raw = _decode(line, path, number)
                    rejections.append(Rejection(number, "malformed_json", detail, raw))
                except RowInvalid as exc:
                    raw = _decode(line, path, number)
                    rejections.append(Rejection(number, exc.reason, exc.detail, raw))
                if len(rows) >= _BATCH_ROWS:
                    self.seal()
                if self.sealed + len(rows) + len(rejections) >= limit:
                    yield self.flush()
                    rejections = self.rejections
        if self.sealed or rows or rejections:
            yield self.flush()

    def document(self, document: object) -> Iterator[Chunk]:
        calls, context, sent_at = _unwrap(document, self.path)
        received, known, limit = self.received, self.known, self.limit
        for number, call in enumerate(calls, 1):
            # Let go of each call once read: a large document shrinks as it is read, which keeps
            # memory and the garbage collector's full passes over it small.
            calls[number - 1] = None
            raw = _dumps(call)
            payload = call
            if type(call) is dict and (context or sent_at is not None):
                payload = _apply_envelope(call, context, sent_at)
            try:
                row = parse_event(
                    payload, raw_size=len(raw), received_at=received, received_at_known=known
                )
                self.rows.append(row)
                self.lines.append(number)
            except RowInvalid as exc:
                self.rejections.append(Rejection(number, exc.reason, exc.detail, raw.decode()))
            if len(self.rows) >= _BATCH_ROWS:
                self.seal()
            if self.sealed + len(self.rows) + len(self.rejections) >= limit:
                yield self.flush()
        if self.sealed or self.rows or self.rejections:
            yield self.flush()

    def seal(self) -> None:
        """Turn the rows collected so far into one Arrow batch."""
        rows = self.rows
        arrays = [
            pa.array([row[name] for row in rows], type=CHUNK_SCHEMA.field(name).type)
            for name in EVENT_COLUMNS
        ]
        arrays.append(pa.array(self.lines, type=pa.int64()))
        self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=CHUNK_SCHEMA))
        self.sealed += len(rows)
        rows.clear()  # in place: the reading loops hold these lists
        self.lines.clear()

    def flush(self) -> Chunk:
        if self.rows or not self.batches:
            self.seal()
        chunk = Chunk(pa.Table.from_batches(self.batches, schema=CHUNK_SCHEMA), self.rejections)
        self.batches, self.sealed, self.rejections = [], 0, []
        return chunk


def _unwrap(document: object, path: Path) -> tuple[list[Any], dict[str, Any] | None, Any]:
    """The calls of a JSON document, with the batch envelope's context and sentAt."""
    if type(document) is list:
        return document, None, None
    if type(document) is not dict or "batch" not in document:
        return [document], None, None  # one call on its own
    calls = document["batch"]
    if type(calls) is not list:
        raise _unreadable(path, f"its batch is {_describe(calls)}, not an array of calls")
    context = document.get("context")
    if context is not None and type(context) is not dict:
        raise _unreadable(path, f"its batch context is {_describe(context)}, not an object")
    return calls, context, document.get("sentAt")


def _apply_envelope(call: dict[str, Any], context: dict[str, Any] | None, sent_at: Any) -> dict:
    merged = dict(call)
    if sent_at is not None and call.get("sentAt") is None:
        merged["sentAt"] = sent_at
    if context:
        own = call.get("context")
        if own is None:
            merged["context"] = context
        elif type(own) is dict:
            merged["context"] = {**context, **own}
        # A call's non-object context stays as sent, for parse_event to reject.
    return merged
