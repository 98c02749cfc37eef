"""``wayfinder catalog``: the goals, metrics and synonyms a workspace understands, with the file
each came from. ``register(app)`` adds the command to the ``wayfinder`` Typer app.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wayfinder.semantic import Catalog, config_dir_for
from wayfinder.semantic.loader import BUILTIN


def register(app: typer.Typer) -> None:
    """Add the ``catalog`` command to ``app``."""
    app.command("catalog")(catalog)


def catalog(
    config_dir: Annotated[
        Path | None,
        typer.Option(
            "--config-dir",
            envvar="WAYFINDER_CONFIG_DIR",
            help="Folder with firm.toml and workspaces/<workspace>.toml "
            "(default: wayfinder-config next to the DuckDB file).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Goals, metrics and synonyms of the workspace, and the file each definition came from."""
    from wayfinder.cli.main import Settings

    root = config_dir if config_dir is not None else config_dir_for(Settings.db)
    loaded = Catalog.load(root, Settings.workspace)
    if as_json:
        data = {"workspace": Settings.workspace, "config_dir": str(root), **loaded.to_dict()}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    console = Console()
    for table in catalog_tables(loaded, root):
        console.print(table)


def catalog_tables(loaded: Catalog, root: Path | None = None) -> list[Table]:
    """The Rich tables of ``wayfinder catalog``: goals, metrics, other synonyms."""
    data = loaded.to_dict()

    def origin(item: dict) -> str:
        text = _short(item["defined_in"], root)
        extended = [_short(f, root) for f in item["changed_in"] if f != item["defined_in"]]
        if extended:
            text += "\n+ " + ", ".join(dict.fromkeys(extended))
        if item["locked_in"]:
            text += f"\nlocked by {_short(item['locked_in'], root)}"
        return text

    goals = Table(title=f"Goals ({len(data['goals'])})", show_lines=True)
    for column in ("goal", "definition", "level", "synonyms", "from"):
        goals.add_column(column, overflow="fold")
    for g in data["goals"]:
        definition = g["definition"] + (f"\n[dim]{g['description']}[/]" if g["description"] else "")
        goals.add_row(g["name"], definition, g["level"], ", ".join(g["synonyms"]), origin(g))

    metrics = Table(title=f"Metrics ({len(data['metrics'])})", show_lines=True)
    for column in ("metric", "definition", "format", "synonyms", "from"):
        metrics.add_column(column, overflow="fold")
    for m in data["metrics"]:
        definition = m["definition"] + (f"\n[dim]{m['description']}[/]" if m["description"] else "")
        metrics.add_row(m["name"], definition, m["format"], ", ".join(m["synonyms"]), origin(m))

    others = Table(title="Other names", show_lines=True)
    for column in ("kind", "name", "synonyms", "from"):
        others.add_column(column, overflow="fold")
    grouped: dict[tuple[str, str], list[dict]] = {}
    for s in data["other_synonyms"]:
        grouped.setdefault((s["kind"], s["target"]), []).append(s)
    for (kind, name), items in sorted(grouped.items()):
        files = ", ".join(dict.fromkeys(_short(s["file"], root) for s in items))
        others.add_row(kind, name, ", ".join(s["phrase"] for s in items), files)
    return [goals, metrics, others]


def _short(label: str, root: Path | None) -> str:
    """A file label as the user knows it: ``built-in``, ``firm.toml``, ``workspaces/shop.toml``."""
    if label == BUILTIN:
        return "built-in"
    if root is not None:
        try:
            return Path(label).relative_to(root).as_posix()
        except ValueError:
            pass
    return label
