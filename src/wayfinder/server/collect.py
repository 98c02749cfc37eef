"""The collection API, compatible with Segment's HTTP Tracking API: existing clients send unchanged.

``/v1/batch`` (``/v1/b``, ``/v1/import``) and one route per call type with its short form. The
write key comes as the HTTP Basic username or as ``writeKey`` in the body. Events are answered
200 only once journaled and fsynced; invalid events are quarantined by the loader while their
batch-mates are stored, because clients drop a whole batch on any 4xx. 4xx is kept for a bad key
or a request that cannot be read at all; 429 asks senders to retry when the backlog is full.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from wayfinder.server.errors import RequestRefused
from wayfinder.server.keys import Grant

router = APIRouter(tags=["collection"])

#: Route name (long and short) to the Segment call type it implies.
CALL_ROUTES = {name: name for name in ("identify", "track", "page", "screen", "group", "alias")}
CALL_ROUTES.update({name[0]: name for name in list(CALL_ROUTES)})
BATCH_ROUTES = ("batch", "b", "import")
_JSON_TYPES = ("application/json", "text/plain", "")
_CORS = {
    # Write keys are public by design (they ship in web pages), so any origin may send.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}
_OK = orjson.dumps({"success": True})
_RETRY_AFTER = "2"


@router.options("/v1/{route}", include_in_schema=False)
async def preflight(route: str) -> Response:
    return Response(status_code=204, headers=_CORS)


async def collect(route: str, request: Request) -> Response:
    """Batch routes take ``{"batch": [...], "context"?, "sentAt"?}``; call routes take one call."""
    try:
        return await _collect(route, request)
    except RequestRefused as refused:
        return _refusal(refused)


def _named_route(name: str) -> None:
    call_type = CALL_ROUTES.get(name)
    if call_type is None:
        summary = f"Send a batch of calls (Segment /v1/{name})"
        description = (
            'Body: `{"batch": [call, ...], "context"?: {...}, "sentAt"?: "...", "writeKey"?: '
            '"..."}`; the batch\'s context and sentAt apply to its calls. At most 2,500 calls.'
        )
    else:
        summary = f"Send one {call_type} call (Segment /v1/{name})"
        description = f"Body: one Segment {call_type} call; its type comes from the route."

    async def endpoint(request: Request) -> Response:
        return await collect(name, request)

    router.add_api_route(
        f"/v1/{name}",
        endpoint,
        methods=["POST"],
        name=f"collect_{name}",
        summary=summary,
        description=description
        + " Write key as the HTTP Basic username. 200 once the calls are durable; invalid calls"
        " are quarantined and the rest stored. See docs/server.md for every status.",
    )


for _name in (*BATCH_ROUTES, *CALL_ROUTES):
    _named_route(_name)


@router.post("/v1/{route}", include_in_schema=False)
async def unknown_route(route: str, request: Request) -> Response:
    """After the named routes: any other ``/v1`` name gets a 404 that lists the known ones."""
    return await collect(route, request)


def _refusal(refused: RequestRefused) -> Response:
    """The one error shape, plus what senders read: CORS headers, so a browser sees the status
    rather than a network error it would retry forever, and Segment's top-level ``code`` and
    ``message``, which tracking clients read (rudder-sdk-python fails on a body without them)."""
    error = {"type": type(refused).__name__, "message": refused.message, **refused.to_dict()}
    body = {
        "success": False,
        "code": HTTPStatus(refused.status).phrase.lower().replace(" ", "_"),
        "message": refused.message,
        "error": error,
    }
    headers = {**_CORS, **({"Retry-After": _RETRY_AFTER} if refused.status == 429 else {})}
    return JSONResponse(body, status_code=refused.status, headers=headers)


async def _collect(route: str, request: Request) -> Response:
    server = request.app.state.server
    if route in BATCH_ROUTES:
        call_type = None
    elif route in CALL_ROUTES:
        call_type = CALL_ROUTES[route]
    else:
        raise RequestRefused(
            404,
            "no such collection route",
            value=f"/v1/{route}",
            hint="batch, b, import, identify, track, page, screen, group, alias, i, t, p, s, g, a",
        )
    _check_content_type(request)
    header_key = _basic_username(request.headers.get("authorization"))
    if header_key is not None:
        _write_grant(server, header_key)  # refused before the body is even read
    if server.journal.backlog_bytes > server.config.max_backlog_bytes:
        raise RequestRefused(
            429,
            "busy: events are waiting to be loaded",
            hint=f"retry after {_RETRY_AFTER} seconds; nothing of this request was kept",
        )
    body = await _read_body(request, server.config.max_request_bytes)
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise RequestRefused(400, "the body is not valid JSON", value=str(exc)) from None
    if type(document) is not dict:
        raise RequestRefused(
            400,
            "the body must be a JSON object",
            hint='{"batch": [...]} for /v1/batch; one call for the others',
        )
    grant = _grant(server, header_key, document)
    calls = _calls(document, call_type, server.config.max_batch_events)
    received = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    lines = [_journal_line(call, document, call_type, received) for call in calls]
    if lines:
        await run_in_threadpool(server.journal.append, grant.workspace, lines)
        server.loader.wake()
    return Response(_OK, media_type="application/json", headers=_CORS)


def _check_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _JSON_TYPES:
        raise RequestRefused(
            415,
            "events must be sent as JSON",
            value=content_type,
            hint="Content-Type application/json, text/plain or none",
        )


def _basic_username(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise RequestRefused(
            401, "the Authorization header is not valid Basic credentials"
        ) from None
    return decoded.split(":", 1)[0]


def _grant(server: Any, header_key: str | None, document: dict[str, Any]) -> Grant:
    return _write_grant(server, header_key or document.get("writeKey") or document.get("write_key"))


def _write_grant(server: Any, key: object) -> Grant:
    grant = server.keyring.find(key) if isinstance(key, str) else None
    if grant is None:
        what = "no write key" if not key else "unknown write key"
        raise RequestRefused(401, what, hint="send the workspace's write key as the Basic username")
    if grant.kind != "write_key":
        # An API token reads; letting a viewer's token write events would widen what it may do.
        raise RequestRefused(
            401, "an API token is not a write key", hint="send with `wayfinder keys write-key`"
        )
    return grant


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, decompressed, refused past ``limit`` bytes before or after decompression."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, int(declared))
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise _too_large(limit, size)
        parts.append(part)
    body = b"".join(parts)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise RequestRefused(
            415, "unsupported Content-Encoding", value=encoding, hint="gzip or none"
        )
    # Decompress at most limit + 1 bytes: a small bomb never gets to expand in memory.
    inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding == "gzip" else 0))
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise RequestRefused(400, f"the body is not valid {encoding}", value=str(exc)) from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise RequestRefused(
            413,
            f"the decompressed body is over the {limit:,}-byte limit",
            hint="send smaller batches",
        )
    return data


def _too_large(limit: int, size: int) -> RequestRefused:
    return RequestRefused(
        413,
        f"the body is over the {limit:,}-byte limit",
        value=f"{size:,} bytes",
        hint="send smaller batches",
    )


def _calls(document: dict[str, Any], call_type: str | None, max_events: int) -> list[Any]:
    if call_type is not None:
        return [document]
    calls = document.get("batch")
    if type(calls) is not list:
        raise RequestRefused(400, "a batch request needs a batch array", hint='{"batch": [...]}')
    if len(calls) > max_events:
        raise RequestRefused(
            413,
            f"a batch may hold at most {max_events:,} events",
            value=f"{len(calls):,} events",
            hint="split it into smaller batches",
        )
    return calls


def _journal_line(
    call: Any, document: dict[str, Any], call_type: str | None, received: str
) -> bytes:
    """One call as journaled: the batch's context and sentAt applied, receivedAt stamped."""
    if type(call) is not dict:
        # The loader quarantines it, with its batch-mates stored. The reader finds a file's
        # format from its first line: an array there would pass for a whole-file JSON array
        # and sink the segment, so an array is journaled as its text.
        return orjson.dumps(orjson.dumps(call).decode() if type(call) is list else call)
    event = dict(call)
    event.pop("writeKey", None)  # a credential, not part of the event
    # No field of a call, stored nowhere; as the first line of a segment it would make the
    # reader take the segment for one batch body and sink it.
    event.pop("batch", None)
    if call_type is not None:
        event.setdefault("type", call_type)
    elif document is not None:
        context = document.get("context")
        if type(context) is dict and context:
            own = event.get("context")
            if own is None:
                event["context"] = context
            elif type(own) is dict:
                event["context"] = {**context, **own}
        if event.get("sentAt") is None and document.get("sentAt") is not None:
            event["sentAt"] = document["sentAt"]
    # The server is the receiver: its clock, not the sender's, says when an event arrived.
    event["receivedAt"] = received
    try:
        return orjson.dumps(event)
    except TypeError:  # cannot happen for decoded JSON; kept for safety
        return orjson.dumps(str(event))
