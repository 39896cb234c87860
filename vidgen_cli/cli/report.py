"""Everything a command says: progress and messages on stderr, data (JSON) on stdout."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Reporter:
    """One per command run. `quiet` silences progress and notes (errors still print)."""

    def __init__(self, quiet: bool = False, json_mode: bool = False) -> None:
        self.quiet = quiet
        self.json_mode = json_mode
        self.console = Console(stderr=True, highlight=False)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False)

    def warn(self, message: str) -> None:
        """One stderr line per distinct message (segments and frames repeat theirs)."""
        seen = self.__dict__.setdefault("_warned", set())
        if not self.quiet and message not in seen:
            seen.add(message)
            self.console.print(f"vidgen: warning: {message}", markup=False, style="yellow", soft_wrap=True)

    def emit(self, record: dict[str, Any]) -> None:
        """One JSON object per line on stdout, for scripts (only with --json)."""
        if self.json_mode:
            sys.stdout.write(json.dumps(record, default=str) + "\n")
            sys.stdout.flush()

    @contextmanager
    def progress(self, label: str, total: int | None = None, unit: str = "frames") -> Iterator[Callable[..., None]]:
        """Yield `update(done, **fields)`; shows done/total, rate, elapsed and ETA on stderr."""
        if self.quiet or not self.console.is_terminal:
            yield lambda done, **fields: None
            return
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[extra]}")]
        started = time.monotonic()
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(label, total=total or None, rate="", extra="")

            def update(done: int, **fields: Any) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
                bar.update(task, completed=done, rate=f"{done / elapsed:.1f} {unit}/s", extra=extra)

            yield update
