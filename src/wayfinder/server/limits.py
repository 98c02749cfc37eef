"""A size limit on query-API request bodies, enforced while they are read.

The collection routes read their bodies themselves (4 MB, gzip-aware); every other route is
JSON a person or a script sends, so 1 MB is plenty and anything larger is refused with 413
before it fills memory, whether or not it declares its length.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import HTTPException

MAX_API_BODY = 1024 * 1024


class BodyTooLarge(HTTPException):
    """Raised from inside the body read: FastAPI passes HTTP exceptions through as they are."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over the {limit:,}-byte limit")


class LimitApiBodies:
    """ASGI middleware: bodies of ``/api`` requests over ``limit`` bytes get 413."""

    def __init__(self, app: Any, limit: int = MAX_API_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = orjson.dumps(
            {
                "success": False,
                "error": {
                    "type": "RequestRefused",
                    "message": f"the body is over the {self.limit:,}-byte limit",
                    "what": f"the body is over the {self.limit:,}-byte limit",
                    "value": None,
                    "hint": "send less",
                },
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
