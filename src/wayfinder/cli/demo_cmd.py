"""``wayfinder demo``: build the demo workspaces ``shop`` and ``b2b`` with their planted truths.

``register(app)`` adds the command to the main app; the command only calls
``wayfinder.demo.build`` and renders its summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wayfinder.demo import DemoSummary


def register(app: typer.Typer) -> None:
    """Add ``wayfinder demo`` to ``app``."""
    app.command("demo")(demo)


def demo(
    people: Annotated[
        int,
        typer.Option(
            "--people", "-n", min=100, help="Store visitors; the SaaS unit gets one account per 16."
        ),
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed makes the same data.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Keep the generated files here (default: a temporary directory)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate the demo data (a B2C store and a SaaS company, twelve months ending 2026-11-21)
    and load it into workspaces `shop` and `b2b`. See docs/demo-data.md for what is planted."""
    # Imported here: the main module registers this command, so it cannot be imported at the top.
    from wayfinder.cli.main import Settings, console, err_console
    from wayfinder.cli.render import RichReporter
    from wayfinder.demo import build

    if as_json:
        summary = build(Settings.db, people=people, seed=seed, out_dir=out)
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2, default=str) + "\n")
        return
    with RichReporter(err_console) as reporter:
        summary = build(Settings.db, people=people, seed=seed, out_dir=out, reporter=reporter)
    for table in summary_tables(summary):
        console.print(table)
    console.print(
        f"[green]demo ready[/] on {summary.url}: {summary.rows_loaded:,} rows in "
        f"{summary.generate_seconds + summary.ingest_seconds:.0f} s; try "
        "[bold]wayfinder -w shop status[/] or [bold]wayfinder -w b2b status[/]"
    )
    if summary.quarantined:
        console.print(f"[yellow]{summary.quarantined:,} rows were quarantined[/]")


def summary_tables(summary: DemoSummary) -> list[Table]:
    """One table per workspace: rows per table, people, quarantine."""
    tables = []
    for unit, status in summary.status.items():
        table = Table(title=f"Workspace '{unit}'")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, count in status.tables.items():
            if count:
                table.add_row(name, f"{count:,}")
        table.add_row("[bold]people (stitched)", f"{status.identity.people:,}")
        quarantined = sum(status.quarantine.values())
        table.add_row("[bold]quarantined", f"{quarantined:,}")
        tables.append(table)
    return tables
