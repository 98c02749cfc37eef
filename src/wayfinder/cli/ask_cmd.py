"""``wayfinder ask``: a plain-English question, answered with its interpretation and why; and
``--batch``, which reads a file of questions and writes the readings (no query runs) for
``benchmarks/nlq_eval.py`` to score.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from wayfinder.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add ``ask`` to ``app``."""
    app.command("ask")(ask)


def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in quotes.")] = None,
    today: Annotated[
        str | None,
        typer.Option("--today", help="The day the question is asked (YYYY-MM-DD); default today."),
    ] = None,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help="A JSONL file of {id, question} records to read, not run."),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions", help="With --batch: where to write {id, intent, slots} lines."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole answer as JSON.")
    ] = False,
) -> None:
    """Ask a question: ``wayfinder ask "top 3 paths of buyers last quarter"``. Set
    WAYFINDER_LLM_URL and WAYFINDER_LLM_MODEL (and WAYFINDER_LLM_KEY) to let a language model
    read the questions the rules are unsure of."""
    from wayfinder.ask.answer import Asker
    from wayfinder.ask.llm import LLMConfig
    from wayfinder.cli.main import open_workspace

    day = _day(today)
    with open_workspace() as ws:
        asker = Asker(ws, llm=LLMConfig.from_env())
        if batch is not None:
            _batch(asker, batch, predictions, day)
            return
        if not question:
            raise ConfigError(
                "give a question, or --batch FILE", hint='wayfinder ask "revenue by month"'
            )
        answer = asker.ask(question, day)
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), indent=2, default=str) + "\n")
        return
    show(answer, Console())


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError("--today is not a date", value=text, hint="write YYYY-MM-DD") from exc


def _batch(asker, path: Path, out: Path | None, today: date | None) -> None:  # type: ignore[no-untyped-def]
    from wayfinder.ask.batch import read_questions, reading_line

    records = read_questions(path)
    lines = [reading_line(asker.read(r["question"], today), r["id"]) for r in records]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        Console(stderr=True).print(f"{len(lines)} readings written to {out}", highlight=False)


def show(answer, console: Console) -> None:  # type: ignore[no-untyped-def]
    """The interpretation first, then the answer, the why and the table."""
    from wayfinder.cli.analyses_cmd import arrow_table

    f = answer.frame
    console.print(f"[bold]Q:[/] {f.question}", highlight=False)
    console.print(
        f"[dim]Understood as ({f.intent}, confidence {f.confidence:.2f}): "
        f"{answer.plan.restatement}[/]",
        highlight=False,
    )
    for e in f.evidence:
        score = f" {e.score:.0f}" if e.method == "fuzzy" and e.score is not None else ""
        console.print(
            f"[dim]  {e.slot}: {e.value!r} from {e.words!r} ({e.method}{score})[/]", highlight=False
        )
    for d in answer.plan.defaults:
        console.print(f"[dim]  default: {d}[/]", highlight=False)
    for n in answer.plan.not_applied:
        console.print(f"[yellow]  not applied: {n}[/]", highlight=False)
    if f.unused:
        console.print(f"[dim]  words not used: {', '.join(f.unused)}[/]", highlight=False)
    if answer.status == "clarify":
        console.print(f"[yellow]{answer.text}[/]", highlight=False)
        for i, o in enumerate(f.options, 1):
            console.print(f"  {i}. {o.label}: [italic]{o.question}[/]", highlight=False)
        return
    if answer.status == "refused":
        console.print(f"[yellow]{answer.text}[/]", highlight=False)
        for s in f.suggestions:
            console.print(f"  you can ask: [italic]{s}[/]", highlight=False)
        return
    if answer.status in ("not_available", "failed"):
        console.print(f"[yellow]{answer.text}[/]", highlight=False)
        return
    console.print(f"[bold]{answer.text}[/]", highlight=False)
    for line in answer.focus:
        console.print(f"  [magenta]focus[/]: {line}", highlight=False)
    for reason in answer.why:
        console.print(f"  [cyan]why[/] ({reason.claim}): {reason.sentence}", highlight=False)
    console.print(arrow_table(answer.result.table, limit=10))
