"""The app factory: one FastAPI app holding the database, the journal, the loader and the keys.

Routers: collection (``/v1``), the query API (``/api``), the local CLI bridge (``/api/cli``) and
the web app (``/``, ``/static``). Domain errors become JSON in one place (``errors.install``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

import wayfinder
from wayfinder.server import api, cli_bridge, collect, errors
from wayfinder.server.api import Results
from wayfinder.server.config import ServerConfig
from wayfinder.server.database import Database
from wayfinder.server.journal import Journal
from wayfinder.server.keys import Keyring
from wayfinder.server.limits import LimitApiBodies
from wayfinder.server.loader import Loader
from wayfinder.server.saved import SavedQuestions

log = logging.getLogger("wayfinder.server")
WEB = Path(wayfinder.__file__).parent / "web"


@dataclass
class ServerState:
    """Everything the routes share, built when the app starts and closed when it stops."""

    config: ServerConfig
    database: Database
    journal: Journal
    loader: Loader
    keyring: Keyring
    saved: SavedQuestions
    results: Results = field(default_factory=Results)
    #: The local CLI's token for this run (see ``cli_bridge``), written to ``server.json``.
    cli_token: str = ""

    def close(self) -> None:
        self.loader.stop()
        self.database.close()


def open_state(config: ServerConfig) -> ServerState:
    home = config.home
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    config_dir = config.db.parent / "wayfinder-config"
    database = Database(config.db, readers=config.readers, config_dir=config_dir)
    journal = Journal(home / "journal")
    loader = Loader(journal, database, interval=config.load_interval)
    keyring = Keyring(home / "keys.json")
    state = ServerState(config, database, journal, loader, keyring, SavedQuestions(home / "saved"))
    state.cli_token = keyring.add_ephemeral("cli", "*", "admin", "local CLI")
    if journal.backlog_bytes:
        log.info("loading %d bytes journaled before the last stop", journal.backlog_bytes)
    loader.start()
    return state


def create_app(
    config: ServerConfig, *, on_start: Callable[[ServerState], None] | None = None
) -> FastAPI:
    """The whole server as an ASGI app; the database opens when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = open_state(config)
        app.state.server = state
        if on_start is not None:
            on_start(state)
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="Wayfinder",
        version=wayfinder.__version__,
        summary="Collect events (Segment-compatible), ask questions, get answers and the why.",
        lifespan=lifespan,
        # FastAPI's own docs pages load their scripts from a CDN; ours render /openapi.json
        # with local assets only.
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(LimitApiBodies)
    app.include_router(collect.router)
    app.include_router(api.router)
    app.include_router(cli_bridge.router)

    @app.get("/health", tags=["server"], summary="Liveness and the collection backlog")
    def health() -> dict[str, Any]:
        state = app.state.server
        backlog = state.journal.backlog_bytes
        return {
            "ok": True,
            "backlog_bytes": backlog,
            # Everything acknowledged is loaded and its identities stitched.
            "settled": backlog == 0 and not state.loader.unstitched,
            "pid": os.getpid(),
        }

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # plotly.js as shipped inside the Plotly package: the web app never reaches a CDN.
        return FileResponse(_plotly_js(), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> FileResponse:
        return FileResponse(WEB / "api-docs.html", media_type="text/html")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html")

    return app


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
