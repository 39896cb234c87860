"""Everything a command says: progress and messages on stderr, data (JSON) on stdout.

On a terminal progress is a live bar. When stderr is a file or a pipe (a batch script, CI, `2>log`)
it is a plain line every 10% or every 10 s, whichever comes first, so a log shows that a long job
is alive and how long it has left. Messages are never wrapped: a log line is one line whatever its
length (rich wraps at 80 columns when it cannot see a terminal).
"""

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

LOG_EVERY_SECONDS = 10.0


def format_duration(seconds: float) -> str:
    """'45s', '3m05s', '1h02m'."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressLog:
    """Decides when to print a plain progress line (each tenth of the total, or every
    LOG_EVERY_SECONDS) and what it says: done/total, rate, elapsed, ETA.

    `clock` is injectable so tests can drive it. Call `update(done)`; it returns the line to print
    or None; `final(done)` always returns one."""

    def __init__(self, label: str, total: int | None, unit: str = "frames",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.total, self.unit, self.clock = label, total or None, unit, clock
        self.started = clock()
        self.last_time = self.started
        self.last_step = 0  # tenths of the total already reported
        self.last_done = 0

    def line(self, done: int, extra: str = "") -> str:
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = done / elapsed
        text = f"{self.label}: {done}"
        if self.total:
            text += f"/{self.total} {self.unit} ({100 * done / self.total:.0f}%)"
        else:
            text += f" {self.unit}"
        text += f", {rate:.2f} {self.unit}/s, elapsed {format_duration(elapsed)}"
        if self.total and rate > 0 and done < self.total:
            text += f", ETA {format_duration((self.total - done) / rate)}"
        return text + (f", {extra}" if extra else "")

    def update(self, done: int, extra: str = "") -> str | None:
        now = self.clock()
        step = int(done * 10 // self.total) if self.total else 0
        due = now - self.last_time >= LOG_EVERY_SECONDS or step > self.last_step
        if not due or done == self.last_done:
            return None
        self.last_time, self.last_done, self.last_step = now, done, max(step, self.last_step)
        return self.line(done, extra)


def _fields_text(fields: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())


def placement_record(placement: Any) -> dict[str, Any]:
    """Where models run, for the start line and --json: device, precision and torch's CPU threads."""
    import torch

    record: dict[str, Any] = {"device": str(placement.device),
                              "precision": "float16" if placement.dtype == torch.float16 else "float32",
                              "threads": torch.get_num_threads()}
    if placement.is_cuda:
        record["gpu"] = torch.cuda.get_device_name(placement.device)
    return record


def placement_line(record: dict[str, Any]) -> str:
    gpu = f" ({record['gpu']})" if "gpu" in record else ""
    threads = record["threads"]
    return (f"vidgen: models run on {record['device']}{gpu}, {record['precision']}, "
            f"{threads} CPU thread{'s' if threads != 1 else ''} for torch")


_SAID: list[str] = []  # warnings said since the last job's --json record (every Reporter of the run adds to it)


def start_run() -> None:
    """Forget the warnings of an earlier command run in this process (tests run many)."""
    _SAID.clear()


class Reporter:
    """One per command run. `quiet` silences progress and notes; warnings (what a run does not keep,
    what it assumes) and errors still print, as ffmpeg's `-loglevel warning -nostats` does. With
    `json_mode` each input's record carries the warnings said for it ("warnings": [...])."""

    def __init__(self, quiet: bool = False, json_mode: bool = False) -> None:
        self.quiet = quiet
        self.json_mode = json_mode
        self.console = Console(stderr=True, highlight=False)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        """One stderr line per distinct message (segments and frames repeat theirs)."""
        if message not in _SAID:
            _SAID.append(message)
        seen = self.__dict__.setdefault("_warned", set())
        if message not in seen:
            seen.add(message)
            self.console.print(f"vidgen: warning: {message}", markup=False, style="yellow", soft_wrap=True)

    def emit(self, record: dict[str, Any]) -> None:
        """One JSON object per line on stdout, for scripts (only with --json). An input's record (not the
        batch summary) gets "warnings": the warning lines said since the previous record."""
        if not record.get("summary"):
            record = {**record, "warnings": list(_SAID)}
            _SAID.clear()
        if self.json_mode:
            sys.stdout.write(json.dumps(record, default=str) + "\n")
            sys.stdout.flush()

    @contextmanager
    def progress(self, label: str, total: int | None = None, unit: str = "frames",
                 describe: Callable[[dict[str, Any]], str] = _fields_text,
                 keep_fields: bool = False) -> Iterator[Callable[..., None]]:
        """Yield `update(done, **fields)`: a live bar on a terminal, plain lines in a log.

        `describe` turns the fields into the text after the counts; with `keep_fields` a field stays
        shown until it is given again (a training run's validation metrics between validations)."""
        if self.quiet:
            yield lambda done, **fields: None
            return
        shown: dict[str, Any] = {}

        def text(fields: dict[str, Any]) -> str:
            if not keep_fields:
                shown.clear()
            shown.update(fields)
            return describe(shown)

        if not self.console.is_terminal:
            log = ProgressLog(label, total, unit)
            latest = [0]

            def log_update(done: int, **fields: Any) -> None:
                latest[0] = done
                line = log.update(done, text(fields))
                if line:
                    self.note(line)

            yield log_update
            if latest[0] and latest[0] != log.last_done:
                self.note(log.line(latest[0], describe(shown)))
            return
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[extra]}")]
        started = time.monotonic()
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(label, total=total or None, rate="", extra="")

            def update(done: int, **fields: Any) -> None:
                elapsed = max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=done, rate=f"{done / elapsed:.1f} {unit}/s", extra=text(fields))

            yield update
