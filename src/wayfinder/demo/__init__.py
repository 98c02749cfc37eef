"""The demo workspaces: two business units with planted truths, generated as files and loaded
through the public ingestion path. ``docs/demo-data.md`` lists every table and planted truth.

``generate(out_dir)`` writes the files of ``shop`` (a B2C outdoor-gear store) and ``b2b`` (a
SaaS company); ``build(target)`` generates them and ingests them into the two workspaces of one
database with ``Workspace.ingest``, as a user would. The same seed always gives the same data.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from wayfinder.demo.b2b import accounts_for, generate_b2b
from wayfinder.demo.shop import generate_shop
from wayfinder.demo.world import DEFAULT_END, Calendar
from wayfinder.engines import DEFAULT_URL, Engine, connect
from wayfinder.progress import SILENT, Reporter
from wayfinder.store.ingest import IngestSummary
from wayfinder.workspace import Status
from wayfinder.workspace import open as open_workspace

UNITS = ("shop", "b2b")
#: The order kinds are loaded in: CRM objects first, so identities meet their people early.
LOAD_ORDER = (
    "people", "accounts", "content", "events", "interactions", "deals", "subscriptions",
    "spend", "social_edges", "consents", "feedback",
)  # fmt: skip


@dataclass
class DemoFiles:
    """Where the generated files are: ``units[unit][kind]`` is a list of files of that kind."""

    out_dir: Path
    people: int
    seed: int
    end: date
    units: dict[str, dict[str, list[Path]]]
    seconds: float

    def files(self, unit: str) -> list[tuple[str, list[Path]]]:
        """The unit's (kind, files) pairs in load order."""
        kinds = self.units[unit]
        return [(kind, kinds[kind]) for kind in LOAD_ORDER if kinds.get(kind)]


@dataclass
class DemoSummary:
    """What ``build`` did: the files, the time each phase took, each workspace's status."""

    url: str
    files: DemoFiles
    generate_seconds: float
    ingest_seconds: float
    ingests: dict[str, list[IngestSummary]] = field(default_factory=dict)
    status: dict[str, Status] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return sum(sum(s.quarantined.values()) for runs in self.ingests.values() for s in runs)

    @property
    def rows_loaded(self) -> int:
        return sum(s.loaded for runs in self.ingests.values() for s in runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "people": self.files.people,
            "seed": self.files.seed,
            "end": self.files.end.isoformat(),
            "out_dir": str(self.files.out_dir),
            "generate_seconds": round(self.generate_seconds, 2),
            "ingest_seconds": round(self.ingest_seconds, 2),
            "rows_loaded": self.rows_loaded,
            "quarantined": self.quarantined,
            "workspaces": {unit: st.to_dict() for unit, st in self.status.items()},
        }


def generate(
    out_dir: str | Path,
    people: int = 20_000,
    seed: int = 0,
    end: date = DEFAULT_END,
    *,
    reporter: Reporter = SILENT,
) -> DemoFiles:
    """Write both units' files under ``out_dir/shop`` and ``out_dir/b2b``.

    ``people`` is the number of store visitors; the SaaS company gets one account per 16 of
    them. Files stream to disk in chunks, so memory stays flat for a million people.
    """
    if people < 100:
        raise ValueError("the demo needs at least 100 people")
    started = time.perf_counter()
    out = Path(out_dir)
    calendar = Calendar(end)
    units: dict[str, dict[str, list[Path]]] = {}

    reporter.start("generate shop", total=people, unit="people")
    units["shop"] = generate_shop(
        out / "shop", people, seed, calendar, lambda n: reporter.advance("generate shop", n)
    )
    reporter.finish("generate shop")
    accounts = accounts_for(people)
    reporter.start("generate b2b", total=accounts, unit="accounts")
    units["b2b"] = generate_b2b(
        out / "b2b", people, seed, calendar, lambda n: reporter.advance("generate b2b", n)
    )
    reporter.finish("generate b2b")
    return DemoFiles(out, people, seed, end, units, time.perf_counter() - started)


def build(
    target: str | Path | Engine = DEFAULT_URL,
    people: int = 20_000,
    seed: int = 0,
    out_dir: str | Path | None = None,
    reporter: Reporter = SILENT,
    *,
    end: date = DEFAULT_END,
) -> DemoSummary:
    """Generate the demo files and load them into workspaces ``shop`` and ``b2b`` of ``target``.

    Loading goes through ``Workspace.ingest`` (validation, dedup, quarantine) and one identity
    stitching per workspace. Without ``out_dir`` the files live in a temporary directory.
    Building again into the same database adds nothing: every row is deduplicated.
    """
    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="wayfinder-demo-") as tmp:
            return build(target, people, seed, tmp, reporter, end=end)
    files = generate(out_dir, people, seed, end, reporter=reporter)
    return load(target, files, reporter)


def load(target: str | Path | Engine, files: DemoFiles, reporter: Reporter = SILENT) -> DemoSummary:
    """Ingest generated files into workspaces ``shop`` and ``b2b`` of ``target``."""
    engine = connect(target)
    owned = not isinstance(target, Engine)
    started = time.perf_counter()
    summary = DemoSummary(engine.url, files, files.seconds, 0.0)
    try:
        for unit in UNITS:
            workspace = open_workspace(engine, workspace=unit)
            runs = summary.ingests.setdefault(unit, [])
            for kind, paths in files.files(unit):
                runs.append(workspace.ingest(paths, kind, stitch=False, reporter=reporter))
            workspace.stitch(reporter=reporter)
            summary.status[unit] = workspace.status()
        summary.ingest_seconds = time.perf_counter() - started
    finally:
        if owned:
            engine.close()
    return summary


__all__ = ["LOAD_ORDER", "UNITS", "DemoFiles", "DemoSummary", "build", "generate", "load"]
