"""Reading a file of questions (the format of the NLQ examples) and the prediction lines
``wayfinder ask --batch`` writes for the scorer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wayfinder.ask.frame import Frame
from wayfinder.errors import ConfigError


def read_questions(path: Path) -> list[dict[str, Any]]:
    """``{"id", "question", ...}`` per line; a line that is not such a record is an error naming
    the file and line (a batch is scored as a whole, so nothing is skipped silently)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError("cannot read the questions file", value=path, hint=str(exc)) from exc
    out: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number} is not JSON", hint=exc.msg) from exc
        if not isinstance(record, dict) or not isinstance(record.get("question"), str):
            raise ConfigError(
                f"{path}:{number} has no question", hint='each line: {"id": ..., "question": ...}'
            )
        record.setdefault("id", str(number))
        out.append(record)
    return out


def reading_line(frame: Frame, question_id: str) -> dict[str, Any]:
    """One prediction line: a reading that asks for clarification is ``ambiguous`` (it runs no
    query), a refusal ``unsupported``; slots as the reading has them."""
    line = frame.to_prediction(str(question_id))
    if frame.refusal is not None:
        line["intent"] = "unsupported"
    elif frame.clarification is not None:
        line["intent"] = "ambiguous"
    return line
