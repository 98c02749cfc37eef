"""``wayfinder run SPEC.json`` and what every analysis command shares: the scope options (time
range, filters, time zone), running a spec on the CLI's workspace, and printing a Result.

Each analysis has its own command module (``paths_cmd``, ``funnel_cmd``, ...) whose flags mirror
its spec; they build a spec dict and call ``run_and_show``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from rich.console import Console
from rich.table import Table

#: Options every analysis command takes, in the order they appear in --help.
Since = Annotated[
    str | None, typer.Option("--since", help="First day (YYYY-MM-DD) or instant, included.")
]
Until = Annotated[str | None, typer.Option("--until", help="Last day (YYYY-MM-DD), included.")]
Last = Annotated[
    str | None,
    typer.Option("--last", help="The period ending with the newest event: 30d, 8w, 3m, 1y."),
]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help='Filter, repeatable: "device_type = \'mobile\'", "person: email is not null", '
        "\"account: industry = 'Retail'\", \"path contains 'blog'\".",
    ),
]
Timezone = Annotated[
    str, typer.Option("--timezone", "--tz", help="IANA time zone for days and date bounds.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON.")]

ROW_LIMIT = 50


def register(app: typer.Typer) -> None:
    """Add ``run`` to ``app``."""
    app.command("run")(run_spec)


def run_spec(
    spec: Annotated[Path, typer.Argument(help="A JSON file holding one analysis spec.")],
    as_json: AsJson = False,
) -> None:
    """Run an analysis spec from a JSON file (any kind: paths, funnel, trend, retention, ...)."""
    from wayfinder.analyses import parse_spec

    run_and_show(parse_spec(spec), as_json)


def scope(
    since: str | None, until: str | None, last: str | None, where: list[str] | None, tz: str
) -> dict[str, Any]:
    """The spec fields the shared options set (only those given, so spec defaults apply)."""
    fields: dict[str, Any] = {}
    time = {k: v for k, v in (("start", since), ("end", until), ("last", last)) if v}
    if time:
        fields["time"] = time
    if where:
        fields["filters"] = list(where)
    if tz != "UTC":
        fields["timezone"] = tz
    return fields


def run_and_show(spec: Any, as_json: bool) -> None:
    """Run ``spec`` (a dict or model) on the CLI's workspace and print the result."""
    from wayfinder.analyses import parse_spec
    from wayfinder.cli.main import open_workspace

    spec = parse_spec(spec)
    with open_workspace() as ws:
        result = ws.run(spec)
    show(result, as_json)


def show(result: Any, as_json: bool) -> None:
    """The answer, how the question was understood, the table (and other views), provenance."""
    if as_json:
        sys.stdout.write(result.to_json(indent=2) + "\n")
        return
    console = Console()
    console.print(f"[bold]{result.answer}[/]", highlight=False)
    console.print(f"[dim]Understood as: {result.interpretation}[/]", highlight=False)
    for reason in result.why:
        console.print(f"  [cyan]why[/] ({reason.claim}): {reason.sentence}", highlight=False)
    console.print(arrow_table(result.table))
    for name, table in result.tables.items():
        console.print(arrow_table(table, title=name.replace("_", " "), limit=OTHER_VIEW_ROWS))
    p = result.provenance
    console.print(
        f"[dim]{p.engine}, workspace {p.workspace}: {p.rows_scanned:,} events in range, "
        f"{p.duration_seconds:.2f} s[/]",
        highlight=False,
    )


#: Rows shown of a result's other views (Sankey edges, histograms); --json has them all.
OTHER_VIEW_ROWS = 12
#: Float columns whose names hold one of these words (split at "_") are shares: percentages.
_PERCENT_WORDS = frozenset({"share", "rate", "conversion", "change", "pct", "percent", "effect"})


def arrow_table(table: pa.Table, title: str | None = None, limit: int = ROW_LIMIT) -> Table:
    """A Rich table of an Arrow table's first ``limit`` rows; numbers right-aligned, shares as
    percentages; list columns left out when a text column spells the same (a path's items)."""
    out = Table(title=title, title_justify="left")
    fields = [
        f
        for f in table.schema
        if not (pa.types.is_list(f.type) or pa.types.is_large_list(f.type))
        or "path" not in table.schema.names
    ]
    for f in fields:
        numeric = pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        out.add_column(f.name.replace("_", " "), justify="right" if numeric else "left")
    percent = {
        f.name
        for f in fields
        if _PERCENT_WORDS & set(f.name.split("_")) or (f.metadata or {}).get(b"unit") == b"share"
    }
    for row in table.slice(0, limit).to_pylist():
        out.add_row(*(_cell(row[f.name], f.name in percent) for f in fields))
    if table.num_rows > limit:
        out.caption = f"first {limit} of {table.num_rows:,} rows (--json for all)"
    return out


def _cell(value: Any, percent: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1%}" if percent else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return " > ".join(map(str, value))
    return str(value)
