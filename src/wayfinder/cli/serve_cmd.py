"""``wayfinder serve`` and ``wayfinder keys``: run the server, and manage who may use it."""

from __future__ import annotations

from typing import Annotated

import typer

keys_app = typer.Typer(help="API tokens (viewer, analyst, admin) and write keys of the server.")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(keys_app, name="keys")


def _config(**options: object):  # type: ignore[no-untyped-def]
    from wayfinder.cli.main import Settings
    from wayfinder.server.config import ServerConfig

    return ServerConfig.for_database(Settings.db, **options)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8750,
    readers: Annotated[int, typer.Option(help="Analyses that may run at once.")] = 4,
    max_backlog: Annotated[
        int | None,
        typer.Option(
            "--max-backlog",
            envvar="WAYFINDER_MAX_BACKLOG_BYTES",
            help="Collected bytes not yet loaded past which senders are told to retry (429).",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the collection API (Segment-compatible), the query API and the web app.

    The server owns the database while it runs; other `wayfinder` commands on the same
    database are sent to it and run there.
    """
    from wayfinder.cli.main import console
    from wayfinder.server.serve import serve as run

    limits = {} if max_backlog is None else {"max_backlog_bytes": max_backlog}
    config = _config(host=host, port=port, readers=readers, **limits)
    keyring_path = config.home / "keys.json"
    console.print(
        f"serving {config.db} on {config.url}  "
        f"(web app: {config.url}/, API docs: {config.url}/docs)",
        soft_wrap=True,
        highlight=False,
    )
    if not keyring_path.exists():
        console.print(
            "[yellow]no keys yet:[/] create some with `wayfinder keys token` "
            "and `wayfinder keys write-key`"
        )
    run(config, log_level=log_level)


@keys_app.command("token")
def create_token(
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    workspace: Annotated[
        str | None,
        typer.Option("--for", help="Workspace it may read; '*' for all. Default: --workspace."),
    ] = None,
    name: Annotated[str, typer.Option(help="Who or what it is for.")] = "",
) -> None:
    """Create an API token and print it (shown once)."""
    _create("token", workspace, role, name)


@keys_app.command("write-key")
def create_write_key(
    workspace: Annotated[
        str | None, typer.Option("--for", help="Workspace it sends to. Default: --workspace.")
    ] = None,
    name: Annotated[str, typer.Option(help="Which source sends with it.")] = "",
) -> None:
    """Create a write key for tracking clients and print it (shown once)."""
    _create("write_key", workspace, "writer", name)


def _create(kind: str, workspace: str | None, role: str, name: str) -> None:
    from wayfinder.cli.main import Settings
    from wayfinder.engines import check_workspace_name
    from wayfinder.server.keys import ALL_WORKSPACES, Keyring

    target = workspace or Settings.workspace
    if target != ALL_WORKSPACES:
        check_workspace_name(target)
    secret = Keyring(_config().home / "keys.json").create(kind, target, role, name)
    typer.echo(secret)


@keys_app.command("list")
def list_keys() -> None:
    """The keys (never their secrets): id, kind, workspace, role, name, created."""
    from rich.table import Table

    from wayfinder.cli.main import console
    from wayfinder.server.keys import Keyring

    table = Table(title="Keys")
    for column in ("id", "kind", "workspace", "role", "name", "created_at"):
        table.add_column(column)
    for g in Keyring(_config().home / "keys.json").grants():
        table.add_row(g.id, g.kind, g.workspace, g.role, g.name, g.created_at)
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key; a running server refuses it from its next request."""
    from wayfinder.cli.main import console
    from wayfinder.server.keys import Keyring

    grant = Keyring(_config().home / "keys.json").revoke(key_id)
    console.print(f"revoked {grant.kind} {grant.id} ({grant.workspace})")
