"""`vidgen train predict`: train a frame predictor on clips, or on the synthetic moving-digits set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli import training as train
from vidgen_cli.cli.training import prepare_run, recorded_command, run_training

SYNTHETIC = ("moving-digits",)


@handle_errors
def command(
    out: train.WeightsOutput,
    data: Annotated[Optional[list[Path]], typer.Option("--data", metavar="PATH", show_default=False, help="Videos, frame folders, or folders of those (natural video; repeatable).")] = None,
    synthetic: Annotated[Optional[str], typer.Option("--synthetic", metavar="SET", help="Train on a generated set instead: moving-digits.")] = None,
    steps: train.Steps = 2000,
    batch_size: train.BatchSize = 8,
    lr: train.LearningRate = 1e-3,
    checkpoint_every: train.CheckpointEvery = 100,
    validate_every: train.ValidateEvery = 250,
    resume: train.Resume = False,
    seed: train.Seed = 0,
    device: train.Device = "auto",
    threads: train.Threads = None,
    crop: Annotated[int, typer.Option("--crop", min=32, metavar="PIXELS", help="Training crop size for natural video.")] = 128,
    pool: Annotated[int, typer.Option("--pool", min=0, metavar="N", help="Natural video: precompute N examples and reuse them (0: fresh every step).")] = 0,
) -> None:
    """Train the frame-prediction model on videos or on generated moving digits; writes NAME.pt and NAME.json."""
    from vidgen_cli.errors import InputError, UsageError

    if bool(data) == bool(synthetic):
        raise UsageError("pass either --data PATH... (natural video) or --synthetic moving-digits")
    if synthetic and synthetic not in SYNTHETIC:
        raise UsageError(f"unknown --synthetic set '{synthetic}'; available: {', '.join(SYNTHETIC)}")
    missing = [str(p) for p in data or [] if not Path(p).exists()]
    if missing:
        raise InputError(f"--data path not found: {', '.join(missing)}")
    train.check_weights_output(Path(out).with_suffix(".pt"), data=data)
    from rich.console import Console

    from vidgen_cli.device import choose
    from vidgen_cli.predict.training import DigitsTask, VideoRefineTask
    from vidgen_cli.train.core import TrainSettings

    placement = choose(device)
    prepare_run(threads, seed)  # before the model is built: its initial weights come from the seed
    out = Path(out).with_suffix(".pt")
    with Console(stderr=True).status("preparing training data"):
        task = DigitsTask() if synthetic else VideoRefineTask(list(data), crop=crop, pool=pool)
    if pool and not synthetic:  # minutes on a CPU: a progress line, not a silent first step
        from vidgen_cli.cli.report import Reporter

        with Reporter().progress("build example pool", pool, unit="examples") as update:
            task.build_pool(update)
    settings = TrainSettings(out=out, steps=steps, batch_size=batch_size, lr=lr, checkpoint_every=checkpoint_every,
                             validate_every=validate_every, seed=seed, resume=resume, command=recorded_command("predict"))
    run_training("predict", task, settings, placement, _summary)


def _summary(metrics: dict[str, float]) -> str:
    keep = ("loss", "mse_frame", "val_mse_per_frame")
    return " ".join(f"{k}={v:.4g}" for k, v in metrics.items() if k in keep or (k.startswith("val_") and "h1" in k))


if __name__ == "__main__":
    typer.run(command)
