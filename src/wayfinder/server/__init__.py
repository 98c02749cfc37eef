"""The HTTP server: Segment-compatible collection, the query API and the web app, in one process.

``create_app(config)`` builds the FastAPI app; ``wayfinder serve`` runs it with uvicorn.
"""

from typing import Any

from wayfinder.server.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # The app is imported on first use: every CLI command looks for server.json through this
    # package, and must not pay for FastAPI and the analyses to do so.
    if name == "create_app":
        from wayfinder.server.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
