"""`vidgen train predict`: train a frame predictor on clips, or on the synthetic moving-digits set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

SYNTHETIC = ("moving-digits",)


def command(
    data: Optional[List[Path]] = typer.Option(None, "--data", help="Videos, frame folders, or folders of those (natural video)."),
    synthetic: Optional[str] = typer.Option(None, "--synthetic", help="Train on a generated set instead: moving-digits."),
    out: Path = typer.Option(..., "-o", "--out", help="Weights file to write (NAME.pt, with NAME.json beside it)."),
    steps: int = typer.Option(2000, "--steps", min=1, help="Optimizer steps."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    lr: float = typer.Option(1e-3, "--lr", help="Peak learning rate (cosine decay)."),
    checkpoint_every: int = typer.Option(100, "--checkpoint-every", min=1, help="Write OUT.ckpt every N steps."),
    validate_every: int = typer.Option(250, "--validate-every", min=1),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT.ckpt if it exists."),
    seed: int = typer.Option(0, "--seed"),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for torch (the machine may be shared)."),
    crop: int = typer.Option(128, "--crop", min=32, help="Training crop size for natural video."),
    pool: int = typer.Option(0, "--pool", min=0, help="Natural video: precompute N examples and reuse them (0: fresh every step)."),
) -> None:
    """Train a frame-prediction model with the shared training loop (checkpoints, --resume, metadata)."""
    from vidgen_cli.errors import UsageError, VidgenError

    try:
        if bool(data) == bool(synthetic):
            raise UsageError("pass either --data PATH... (natural video) or --synthetic moving-digits")
        if synthetic and synthetic not in SYNTHETIC:
            raise UsageError(f"unknown --synthetic set '{synthetic}'; available: {', '.join(SYNTHETIC)}")
        if data:
            missing = [str(p) for p in data if not Path(p).exists()]
            if missing:
                from vidgen_cli.errors import InputError

                raise InputError(f"--data path not found: {', '.join(missing)}")
        _run(data, synthetic, out, steps, batch_size, lr, checkpoint_every, validate_every, resume, seed, device, threads, crop, pool)
    except VidgenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code)


def _run(data, synthetic, out, steps, batch_size, lr, checkpoint_every, validate_every, resume, seed, device, threads, crop, pool) -> None:
    import cv2
    import torch
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from vidgen_cli.device import choose
    from vidgen_cli.train.core import TrainSettings, train
    from vidgen_cli.train.predict import DigitsTask, VideoRefineTask

    torch.set_num_threads(threads)
    cv2.setNumThreads(1)
    placement = choose(device)
    console = Console(stderr=True)
    out = Path(out)
    if out.suffix != ".pt":
        out = out.with_suffix(".pt")
    with console.status("preparing training data"):
        task = DigitsTask() if synthetic else VideoRefineTask(list(data), crop=crop, pool=pool)
    settings = TrainSettings(
        out=out,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        checkpoint_every=checkpoint_every,
        validate_every=validate_every,
        seed=seed,
        resume=resume,
        command=["vidgen", "train", "predict", *sys.argv[1:]],
    )
    columns = (
        TextColumn("[bold]train predict"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("train", total=steps, info="")

        def report(step: int, total: int, metrics: dict[str, float]) -> None:
            info = " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k == "loss" or k.startswith("val_") and "h1" in k or k in ("mse_frame", "val_mse_per_frame"))
            progress.update(bar, completed=step, info=info)

        meta = train(task, settings, placement, report)
    console.print(f"wrote {out} ({meta['parameters']} parameters, {meta['wall_seconds']} s); validation: {meta['validation']}")


if __name__ == "__main__":
    typer.run(command)
