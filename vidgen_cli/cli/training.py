"""What the `vidgen train ...` commands share: the command line to record, thread settings, and
the progress display (step, loss, validation, ETA on stderr)."""

from __future__ import annotations

import sys
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

ProgressFn = Callable[[int, int, dict[str, float]], None]


def recorded_command(name: str) -> list[str]:
    """The user-facing command line for the metadata, run as `vidgen train NAME` or as a module."""
    args = sys.argv[1:]
    if args[:2] == ["train", name]:
        args = args[2:]
    return ["vidgen", "train", name, *args]


def set_threads(threads: int | None) -> None:
    """Pin torch (and OpenCV) threads; None keeps vidgen's default of half the cores. Called once,
    at the top of a train command; nothing after it changes the count (device.choose has no side effects)."""
    import cv2

    from vidgen_cli import device

    device.set_threads(threads)
    cv2.setNumThreads(1)


def _default_summary(metrics: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k == "loss" or k.startswith("val_"))


@contextmanager
def training_progress(label: str, steps: int, summary: Callable[[dict[str, float]], str] = _default_summary,
                      ) -> Iterator[tuple[Console, ProgressFn]]:
    """A progress bar on stderr; yields the console and the callback for train(..., progress)."""
    console = Console(stderr=True)
    if not console.is_terminal:  # a log file: a plain line every 5% instead of a live bar
        every = max(1, steps // 20)
        latest: dict[str, float] = {}

        def log(step: int, total: int, metrics: dict[str, float]) -> None:
            latest.update(metrics)
            if step % every == 0 or step == total:
                console.print(f"{label} step {step}/{total} {summary(latest)}", markup=False, highlight=False)

        yield console, log
        return
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    shown: dict[str, float] = {}
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(label, total=steps, info="")

        def report(step: int, total: int, metrics: dict[str, float]) -> None:
            shown.update(metrics)  # validation metrics stay on screen between validations
            progress.update(bar, completed=step, info=summary(shown))

        yield console, report


def report_result(console: Console, out: Any, meta: dict[str, Any]) -> None:
    console.print(f"wrote {out} ({meta['parameters']} parameters, {meta['wall_seconds']} s); validation: {meta.get('validation')}",
                  markup=False)


def run_training(name: str, task: Any, settings: Any, placement: Any,
                 summary: Callable[[dict[str, float]], str] = _default_summary) -> dict[str, Any]:
    """Run the shared loop with the progress display, then say what was written."""
    from vidgen_cli.train.core import train

    with training_progress(f"train {name}", settings.steps, summary) as (console, report):
        meta = train(task, settings, placement, report)
    report_result(console, settings.out, meta)
    return meta
