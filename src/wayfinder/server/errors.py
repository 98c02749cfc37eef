"""Errors as JSON, mapped once: domain errors and refused requests become ``{"error": {...}}``.

``RequestRefused`` carries an HTTP status; ``WayfinderError`` subclasses map by type (an unknown
name is 404, bad input 400), so routes raise and never build error responses themselves.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from wayfinder.errors import ConfigError, UnknownName, Unsupported, WayfinderError


class RequestRefused(WayfinderError):
    """A request refused with an HTTP status: 401 no or wrong key, 403 not allowed, 413 too big."""

    def __init__(
        self, status: int, what: str, *, value: Any = None, hint: str | None = None
    ) -> None:
        super().__init__(what, value=value, hint=hint)
        self.status = status


def status_of(exc: WayfinderError) -> int:
    if isinstance(exc, RequestRefused):
        return exc.status
    if isinstance(exc, UnknownName):
        return 404
    if isinstance(exc, Unsupported):
        return 501
    if isinstance(exc, ConfigError):
        return 400
    return 400


def install(app: FastAPI) -> None:
    """Map every domain error and spec validation error to one JSON shape."""

    @app.exception_handler(WayfinderError)
    async def _domain(request: Request, exc: WayfinderError) -> JSONResponse:
        status = status_of(exc)
        headers = (
            {"WWW-Authenticate": "Bearer"}
            if status == 401 and request.url.path.startswith("/api")
            else None
        )
        body = {
            "success": False,
            "error": {"type": type(exc).__name__, "message": exc.message, **exc.to_dict()},
        }
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(ValidationError)
    async def _invalid(request: Request, exc: ValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse(
            {
                "success": False,
                "error": {
                    "type": "InvalidSpec",
                    "message": "the spec is not valid",
                    "problems": problems,
                },
            },
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # A request body that does not fit its route's model (a missing question, a wrong type).
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
            for e in exc.errors()
        ]
        message = "the request is not valid"
        return JSONResponse(
            {
                "success": False,
                "error": {"type": "InvalidRequest", "message": message, "problems": problems},
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The framework's own refusals (no such route, wrong method, a body over the limit).
        message = str(exc.detail)
        return JSONResponse(
            {
                "success": False,
                "error": {"type": "RequestRefused", "message": message, "what": message},
            },
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
