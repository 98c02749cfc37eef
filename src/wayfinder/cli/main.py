"""The ``wayfinder`` command: thin Typer commands over the Python facade.

Domain errors print as one red line and exit 1; read commands take ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import pyarrow.csv as pacsv
import typer
from rich.console import Console

import wayfinder
from wayfinder.errors import ConfigError, WayfinderError
from wayfinder.store.schema import KINDS

app = typer.Typer(
    name="wayfinder",
    help="Ask plain questions of your customer data; learn what happened and why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
quarantine_app = typer.Typer(help="Rows that failed validation, kept with their reason.")
app.add_typer(quarantine_app, name="quarantine")

console = Console()
err_console = Console(stderr=True)


class Settings:
    """Where the CLI points: the engine URL and the workspace (from options or environment)."""

    db: str = wayfinder.DEFAULT_URL
    workspace: str = wayfinder.DEFAULT_WORKSPACE


@app.callback()
def _options(
    db: Annotated[
        str,
        typer.Option(
            "--db",
            envvar="WAYFINDER_DB",
            help="Engine URL or DuckDB file (duckdb:///wayfinder.duckdb, pyspark://local).",
        ),
    ] = wayfinder.DEFAULT_URL,
    workspace: Annotated[
        str,
        typer.Option("--workspace", "-w", envvar="WAYFINDER_WORKSPACE", help="Workspace name."),
    ] = wayfinder.DEFAULT_WORKSPACE,
) -> None:
    Settings.db = db
    Settings.workspace = workspace


def open_workspace() -> wayfinder.Workspace:
    return wayfinder.open(Settings.db, workspace=Settings.workspace)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


@app.command()
def init() -> None:
    """Create the database and the workspace (idempotent)."""
    with open_workspace() as wf:
        console.print(
            f"[green]ready:[/] workspace [bold]{wf.name}[/] on {wf.engine.url} "
            f"(workspaces: {', '.join(wf.engine.list_workspaces())})"
        )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files to load.", show_default=False)],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help=f"What the files hold: {', '.join(KINDS)}.")
    ] = "events",
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="Column-mapping file (TOML or YAML) for CRM exports."),
    ] = None,
    stitch: Annotated[
        bool, typer.Option("--stitch/--no-stitch", help="Stitch identities after loading.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Load files; bad rows go to quarantine. Exit 3 if rows were quarantined, 4 if a file
    could not be read (nothing from it was loaded)."""
    from wayfinder.cli.render import RichReporter, summary_table

    with open_workspace() as wf:
        if as_json:
            summary = wf.ingest(paths, kind, mapping=mapping, stitch=stitch)
            _print_json(summary.to_dict())
        else:
            with RichReporter(err_console) as reporter:
                summary = wf.ingest(paths, kind, mapping=mapping, stitch=stitch, reporter=reporter)
            console.print(summary_table(summary))
            for failed in summary.failed_files:
                err_console.print(f"[red]error:[/] {failed.path}: {failed.error}")
            if summary.quarantined:
                console.print(
                    "[yellow]some rows were quarantined[/]: "
                    "see `wayfinder quarantine list` (exit status "
                    f"{summary.exit_code})"
                )
    raise typer.Exit(summary.exit_code)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Tables and row counts, people, quarantine by reason, identity statistics."""
    from wayfinder.cli.render import status_tables

    with open_workspace() as wf:
        st = wf.status()
    if as_json:
        _print_json(st.to_dict())
        return
    for table in status_tables(st):
        console.print(table)


@quarantine_app.command("list")
def quarantine_list(
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show quarantined rows, newest first."""
    from rich.table import Table

    with open_workspace() as wf:
        rows = wf.quarantine(reason=reason, limit=limit).to_pylist()
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"Quarantine ({len(rows)} shown)")
    for column in ("kind", "source_file", "line", "reason", "detail", "raw"):
        table.add_column(column, overflow="fold", max_width=60 if column == "raw" else None)
    for r in rows:
        table.add_row(
            r["kind"],
            r["source_file"],
            str(r["line"]),
            r["reason"],
            r["detail"] or "",
            (r["raw"] or "")[:200],
        )
    console.print(table)


@quarantine_app.command("export")
def quarantine_export(
    out: Annotated[Path, typer.Argument(help="Output file: .jsonl or .csv.")],
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
) -> None:
    """Write quarantined rows (with the raw payload) to a file, to fix and re-ingest."""
    if out.suffix not in (".jsonl", ".csv"):
        raise ConfigError("export to a .jsonl or .csv file", value=out)
    with open_workspace() as wf:
        table = wf.quarantine(reason=reason)
    if out.suffix == ".csv":
        pacsv.write_csv(table, out)
    else:
        with out.open("w", encoding="utf-8") as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
    console.print(f"wrote {table.num_rows:,} rows to {out}")


@app.command()
def workspaces(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the workspaces of the database."""
    with open_workspace() as wf:
        names = wf.engine.list_workspaces()
    if as_json:
        _print_json(names)
    else:
        for name in names:
            console.print(name)


def _register_commands() -> None:
    # Commands that live in their own modules (one concept each) add themselves to the app.
    from wayfinder.cli import (
        analyses_cmd,
        ask_cmd,
        attribution_cmd,
        catalog_cmd,
        change_cmd,
        demo_cmd,
        drivers_cmd,
        funnel_cmd,
        paths_cmd,
        retention_cmd,
        serve_cmd,
        trend_cmd,
    )

    for module in (
        catalog_cmd,
        demo_cmd,
        paths_cmd,
        funnel_cmd,
        trend_cmd,
        retention_cmd,
        attribution_cmd,
        drivers_cmd,
        change_cmd,
        ask_cmd,
        serve_cmd,
    ):
        module.register(app)
    analyses_cmd.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs a command and turns domain errors into one red line and exit 1.

    When a server owns the database, the command runs there (``cli/remote.py``).
    """
    from wayfinder.cli.remote import forward

    forwarded = forward(sys.argv[1:] if argv is None else argv)
    if forwarded is not None:
        return forwarded
    try:
        # Standalone mode lets Typer print usage errors and exit; our own errors come through.
        app(args=argv, prog_name="wayfinder")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except WayfinderError as exc:
        err_console.print(f"[red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
