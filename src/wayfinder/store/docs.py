"""Writes ``docs/data-model.md`` from the canonical schema, so the docs cannot drift from it.

Run ``python -m wayfinder.store.docs`` after changing ``schema.py``; a test checks they agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wayfinder.store.schema import INPUT_TABLES, SCHEMA_VERSION, SYSTEM_TABLES, TableSpec

INTRO = """# Data model

Generated from `src/wayfinder/store/schema.py` by `python -m wayfinder.store.docs`; do not edit by
hand. Schema version {version}.

Every workspace is a namespace of its own (`ws_<workspace>`: a DuckDB schema, a Spark database)
holding the tables below. Input tables are filled by `wayfinder ingest --kind KIND`; a sample file
of every kind is in `examples/data/`. Timestamps are stored in UTC. Input tables are append-only:
re-ingesting the same rows adds nothing (natural key + `row_hash`), and a changed object record
(a deal that moved stage) is appended as a newer version of its key; readers take the newest
`loaded_at` per key. Columns marked *required* must be present and non-empty in every input row,
else the row goes to `quarantine` with reason `missing_required`. Input columns that match no
canonical column are kept in `traits` (JSON); a column-mapping file renames a CRM export's headers
(see `examples/mappings/`).
"""


def render() -> str:
    parts = [INTRO.format(version=SCHEMA_VERSION)]
    parts.append("\n## Input tables (`--kind`)\n")
    for spec in INPUT_TABLES.values():
        parts.append(_table(spec, sample=True))
    parts.append("\n## Tables Wayfinder keeps\n")
    for spec in SYSTEM_TABLES.values():
        parts.append(_table(spec, sample=False))
    return "\n".join(parts).rstrip() + "\n"


def _table(spec: TableSpec, *, sample: bool) -> str:
    lines = [f"### `{spec.name}`", "", spec.doc, ""]
    if spec.key:
        lines.append("Natural key: " + ", ".join(f"`{k}`" for k in spec.key) + ".")
    if sample:
        lines.append(f"Sample: `examples/data/{_sample_name(spec.name)}`.")
    lines += ["", "| column | type | required | meaning |", "|---|---|---|---|"]
    for column in spec.all_columns:
        required = "yes" if column.required else ""
        lines.append(f"| `{column.name}` | {column.dtype} | {required} | {column.doc} |")
    return "\n".join(lines) + "\n"


def _sample_name(kind: str) -> str:
    root = Path(__file__).resolve().parents[3] / "examples" / "data"
    for candidate in sorted(root.glob(f"{kind}.*")) if root.exists() else []:
        return candidate.name
    return f"{kind}.csv"


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/data-model.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
