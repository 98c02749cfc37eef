"""The reporter protocol through which the core tells progress without doing any I/O itself.

The core calls a ``Reporter``; the default one is silent, the CLI renders it with Rich and the
server logs it.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def start(self, task: str, total: int | None = None, unit: str = "rows") -> None:
        """A task begins; ``total`` is how many units it will process, when known."""

    def advance(self, task: str, amount: int) -> None:
        """``amount`` more units of ``task`` are done."""

    def finish(self, task: str) -> None:
        """``task`` is done."""

    def note(self, message: str) -> None:
        """A line worth telling the user (a warning, a step)."""


class SilentReporter:
    """Reports nothing: the default for library use."""

    def start(self, task: str, total: int | None = None, unit: str = "rows") -> None:
        pass

    def advance(self, task: str, amount: int) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


SILENT = SilentReporter()
