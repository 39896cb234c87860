"""What the `vidgen train ...` commands share: the command line to record, thread settings, and
the progress display (step, loss, validation, ETA on stderr)."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Optional

import typer

from rich.console import Console

from vidgen_cli.cli.report import Reporter, placement_line, placement_record

ProgressFn = Callable[[int, int, dict[str, float]], None]

# The options every train command has, declared once (each command gives its own defaults).
Data = Annotated[list[Path], typer.Option("--data", metavar="PATH", show_default=False,
                                          help="Videos, frame folders, or folders of those (repeatable).")]
WeightsOutput = Annotated[Path, typer.Option("-o", "--output", metavar="PATH", show_default=False,
                                             help="Weights to write: NAME.pt, with NAME.json beside it.")]
Steps = Annotated[int, typer.Option("--steps", min=1, metavar="N", help="Optimizer steps.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, metavar="N", help="Training examples (crops, frame pairs) per step.")]
LearningRate = Annotated[float, typer.Option("--lr", metavar="RATE", help="Peak learning rate (cosine decay).")]
CheckpointEvery = Annotated[int, typer.Option("--checkpoint-every", min=1, metavar="N", help="Save NAME.ckpt every N steps.")]
ValidateEvery = Annotated[int, typer.Option("--validate-every", min=1, metavar="N", help="Validate every N steps.")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue from NAME.ckpt if present.")]
Seed = Annotated[int, typer.Option("--seed", metavar="N", help="Random seed (data sampling, init).")]
Device = Annotated[str, typer.Option("--device", metavar="DEVICE", help="auto, cpu, cuda or cuda:N (the N-th GPU).")]
Threads = Annotated[Optional[int], typer.Option("--threads", min=1, metavar="N", help="CPU threads for torch (default: half the cores).")]
Crop = Annotated[int, typer.Option("--crop", min=32, metavar="PIXELS", help="Training crop size.")]
MaxSide = Annotated[int, typer.Option("--max-side", metavar="PIXELS", help="Clips are decoded at most this large (longer side).")]
MaxFrames = Annotated[int, typer.Option("--max-frames", metavar="N", help="Frames decoded per clip at most.")]


_OUTPUT_FLAGS = {"-o", "--output", "--out"}


def recorded_command(name: str) -> list[str]:
    """The user-facing command line for the metadata, run as `vidgen train NAME` or as a module;
    paths in it are made portable (see portable_path), so the command reruns from the repository."""
    from vidgen_cli.train.core import portable_path

    args = sys.argv[1:]
    if args[:2] == ["train", name]:
        args = args[2:]
    recorded = []
    for i, arg in enumerate(args):
        is_path = not arg.startswith("-") and (Path(arg).exists() or (i > 0 and args[i - 1] in _OUTPUT_FLAGS))
        recorded.append(portable_path(arg) if is_path else arg)
    return ["vidgen", "train", name, *recorded]


def check_weights_output(out: Path, **reads: list[Path] | None) -> None:
    """Refuse, before any work, an -o whose NAME.pt, NAME.json or NAME.ckpt would replace a file the
    command reads (`reads`: option name -> paths, e.g. data=[...] for --data). Raises OutputError."""
    from vidgen_cli.io.outputs import check_not_read

    pairs = [(f"--{name.replace('_', '-')}", path) for name, paths in reads.items() for path in paths or []]
    for written in (out, out.with_suffix(".pt"), out.with_suffix(".json"), out.with_suffix(".ckpt")):
        check_not_read(written, pairs)


def prepare_run(threads: int | None, seed: int) -> None:
    """Pin torch (and OpenCV) threads (None keeps vidgen's default of half the cores) and seed
    every generator, before the command builds its model: the initial weights come from the seed.
    Called once, at the top of a train command (device.choose has no side effects)."""
    import cv2

    from vidgen_cli import device
    from vidgen_cli.train.core import seed_everything

    device.set_threads(threads)
    cv2.setNumThreads(1)
    seed_everything(seed)


def _default_summary(metrics: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k == "loss" or k.startswith("val_"))


@contextmanager
def training_progress(label: str, steps: int, summary: Callable[[dict[str, float]], str] = _default_summary,
                      ) -> Iterator[tuple[Console, ProgressFn]]:
    """The run's progress on stderr (Reporter.progress: a live bar, or a plain line every 10% or
    10 s in a log); yields the console and the callback for train(..., progress)."""
    reporter = Reporter()
    with reporter.progress(label, steps, unit="steps", describe=summary, keep_fields=True) as update:
        yield reporter.console, lambda step, total, metrics: update(step, **metrics)


def load_training_clips(data: list[Path], max_side: int, max_frames: int) -> list[Any]:
    """The clips under --data, decoded with a progress line per clip (minutes for long clips)."""
    from vidgen_cli.train.clips import discover, load_clips

    sources = discover(data)
    with Reporter().progress("decode training clips", len(sources), unit="clips") as update:
        return load_clips(sources, max_side=max_side, max_frames=max_frames, on_clip=lambda done, total: update(done))


def report_result(console: Console, out: Any, meta: dict[str, Any]) -> None:
    console.print(f"wrote {out} ({meta['parameters']} parameters, {meta['wall_seconds']} s); validation: {meta.get('validation')}",
                  markup=False, soft_wrap=True)


def run_training(name: str, task: Any, settings: Any, placement: Any,
                 summary: Callable[[dict[str, float]], str] = _default_summary) -> dict[str, Any]:
    """Run the shared loop with the progress display, then say what was written."""
    from vidgen_cli.train.core import train

    with training_progress(f"train {name}", settings.steps, summary) as (console, report):
        console.print(placement_line(placement_record(placement)), markup=False, highlight=False, soft_wrap=True)
        meta = train(task, settings, placement, report)
    report_result(console, settings.out, meta)
    return meta
