"""`vidgen train predict`: train a frame predictor on clips, or on the synthetic moving-digits set."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.training import prepare_run, recorded_command, run_training

SYNTHETIC = ("moving-digits",)


@handle_errors
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
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda or cuda:N (the N-th GPU)."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="CPU threads for torch (default: half the cores)."),
    crop: int = typer.Option(128, "--crop", min=32, help="Training crop size for natural video."),
    pool: int = typer.Option(0, "--pool", min=0, help="Natural video: precompute N examples and reuse them (0: fresh every step)."),
) -> None:
    """Train a frame-prediction model with the shared training loop (checkpoints, --resume, metadata)."""
    from vidgen_cli.errors import InputError, UsageError

    if bool(data) == bool(synthetic):
        raise UsageError("pass either --data PATH... (natural video) or --synthetic moving-digits")
    if synthetic and synthetic not in SYNTHETIC:
        raise UsageError(f"unknown --synthetic set '{synthetic}'; available: {', '.join(SYNTHETIC)}")
    missing = [str(p) for p in data or [] if not Path(p).exists()]
    if missing:
        raise InputError(f"--data path not found: {', '.join(missing)}")
    from rich.console import Console

    from vidgen_cli.device import choose
    from vidgen_cli.predict.training import DigitsTask, VideoRefineTask
    from vidgen_cli.train.core import TrainSettings

    placement = choose(device)
    prepare_run(threads, seed)  # before the model is built: its initial weights come from the seed
    out = Path(out).with_suffix(".pt")
    with Console(stderr=True).status("preparing training data"):
        task = DigitsTask() if synthetic else VideoRefineTask(list(data), crop=crop, pool=pool)
    settings = TrainSettings(out=out, steps=steps, batch_size=batch_size, lr=lr, checkpoint_every=checkpoint_every,
                             validate_every=validate_every, seed=seed, resume=resume, command=recorded_command("predict"))
    run_training("predict", task, settings, placement, _summary)


def _summary(metrics: dict[str, float]) -> str:
    keep = ("loss", "mse_frame", "val_mse_per_frame")
    return " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k in keep or (k.startswith("val_") and "h1" in k))


if __name__ == "__main__":
    typer.run(command)
