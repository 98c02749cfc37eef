"""Saved questions: the dashboard of each workspace, one JSON file per workspace.

A saved question is re-asked each time the dashboard opens, so it always shows current data.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wayfinder.errors import UnknownName

MAX_QUESTION = 500


class SavedQuestions:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def list(self, workspace: str) -> list[dict[str, Any]]:
        path = self._path(workspace)
        if not path.exists():
            return []
        return json.loads(path.read_text(encoding="utf-8")).get("questions", [])

    def add(self, workspace: str, question: str, title: str | None, by: str) -> dict[str, Any]:
        item = {
            "id": secrets.token_hex(4),
            "question": question,
            "title": title or question,
            "added_by": by,
            "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._lock:
            self._write(workspace, [*self.list(workspace), item])
        return item

    def remove(self, workspace: str, item_id: str) -> None:
        with self._lock:
            items = self.list(workspace)
            kept = [q for q in items if q["id"] != item_id]
            if len(kept) == len(items):
                raise UnknownName("no saved question with this id", value=item_id)
            self._write(workspace, kept)

    def _path(self, workspace: str) -> Path:
        return self.folder / f"{workspace}.json"

    def _write(self, workspace: str, items: list[dict[str, Any]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(workspace)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"questions": items}, indent=2), encoding="utf-8")
        os.replace(temporary, path)
