"""Rich rendering for the CLI: the progress reporter and the tables commands print.

Only the CLI imports this; the core reports through the silent-by-default Reporter protocol.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from wayfinder.store.ingest import IngestSummary
from wayfinder.workspace import Status


class RichReporter:
    """Shows each task with a bar (or spinner) and its rate in rows per second."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} {task.fields[unit]}"),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, tuple[TaskID, float]] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, task: str, total: int | None = None, unit: str = "rows") -> None:
        task_id = self.progress.add_task(task, total=total, unit=unit, rate="")
        self.tasks[task] = (task_id, time.perf_counter())

    def advance(self, task: str, amount: int) -> None:
        task_id, started = self.tasks[task]
        self.progress.advance(task_id, amount)
        done = self.progress.tasks[task_id].completed
        elapsed = max(time.perf_counter() - started, 1e-9)
        self.progress.update(task_id, rate=f"{done / elapsed:,.0f}/s")

    def finish(self, task: str) -> None:
        task_id, _ = self.tasks[task]
        total = self.progress.tasks[task_id].completed
        self.progress.update(task_id, total=total or 1, completed=total or 1)

    def note(self, message: str) -> None:
        self.progress.console.print(f"[dim]{message}")


def summary_table(summary: IngestSummary) -> Table:
    table = Table(title=f"Ingest into workspace '{summary.workspace}'")
    for column in ("file", "kind", "read", "loaded", "updated", "duplicates", "quarantined"):
        table.add_column(column, justify="left" if column in ("file", "kind") else "right")
    for f in summary.files:
        if f.error:
            table.add_row(f.path, f.kind, "", "", "", "", f"[red]unreadable: {f.error}")
            continue
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(f.quarantined.items()))
        table.add_row(
            f.path,
            f.kind,
            f"{f.rows_read:,}",
            f"{f.loaded:,}",
            f"{f.updated:,}",
            f"{f.duplicates:,}",
            f"[yellow]{reasons}" if reasons else "0",
        )
    return table


def status_tables(status: Status) -> list[Table]:
    head = Table(title=f"Workspace '{status.workspace}' on {status.url}", show_header=False)
    head.add_row("engine", status.engine)
    head.add_row("workspaces", ", ".join(status.workspaces))
    head.add_row("schema version", str(status.schema_version))
    ident = status.identity
    head.add_row("people (stitched)", f"{ident.people:,}")
    head.add_row("identifiers", f"{ident.identifiers:,}")
    head.add_row("people with several identifiers", f"{ident.merged_people:,}")
    head.add_row("hub identifiers (not merged)", f"{ident.hubs:,}")
    head.add_row("oversized components (not merged)", f"{ident.oversized_components:,}")

    rows = Table(title="Tables")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, count in status.tables.items():
        rows.add_row(name, f"{count:,}")

    quarantine = Table(title="Quarantine by reason")
    quarantine.add_column("reason")
    quarantine.add_column("rows", justify="right")
    for reason, count in status.quarantine.items():
        quarantine.add_row(reason, f"{count:,}")
    if not status.quarantine:
        quarantine.add_row("(empty)", "0")
    return [head, rows, quarantine]
