"""`vidgen train interpolate`: train the FusionNet interpolation model on folders of videos or frames."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.training import prepare_run, recorded_command, run_training


@handle_errors
def command(
    data: List[Path] = typer.Option(..., "--data", help="Videos, frame folders, or folders of those (repeatable)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output weights path (NAME.pt; NAME.json is written beside it)."),
    steps: int = typer.Option(5000, help="Optimizer steps."),
    batch_size: int = typer.Option(8, "--batch-size", help="Crops per step."),
    lr: float = typer.Option(5e-4, help="Peak learning rate (cosine decay)."),
    checkpoint_every: int = typer.Option(500, "--checkpoint-every", help="Save OUT.ckpt every N steps."),
    validate_every: int = typer.Option(1000, "--validate-every", help="Validate every N steps."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT.ckpt if present."),
    seed: int = typer.Option(0, help="Random seed (data sampling, init)."),
    device: str = typer.Option("auto", help="auto, cpu, cuda or cuda:N (the N-th GPU)."),
    pool: int = typer.Option(1000, help="Triplets whose flows are precomputed (2 crops each)."),
    crop: int = typer.Option(128, help="Training crop size in pixels."),
    max_side: int = typer.Option(480, "--max-side", help="Clips are decoded at most this large."),
    max_frames: int = typer.Option(600, "--max-frames", help="Frames decoded per clip at most."),
    refine_channels: int = typer.Option(0, "--refine-channels", help="Full-resolution last layer width (0: none; 16 measured no better)."),
    threads: Optional[int] = typer.Option(None, help="CPU threads for torch (default: half the cores)."),
) -> None:
    """Train the learned interpolation model (DIS flow + FusionNet) and write OUT.pt + OUT.json."""
    from rich.console import Console

    from vidgen_cli.device import choose
    from vidgen_cli.train.core import portable_path
    from vidgen_cli.errors import InputError, UsageError
    from vidgen_cli.interpolate.training import InterpolationTask
    from vidgen_cli.models.interp import FusionConfig
    from vidgen_cli.train.clips import load_clips
    from vidgen_cli.train.core import TrainSettings

    if steps < 1 or batch_size < 1 or pool < 1:
        raise UsageError("--steps, --batch-size and --pool must be at least 1")
    placement = choose(device)
    prepare_run(threads, seed)  # before the model is built: its initial weights come from the seed
    clips = load_clips(data, max_side=max_side, max_frames=max_frames)
    if not clips:
        raise InputError("no readable videos or frame folders under --data; pass folders with .mp4/.webm/... or .png frames")
    console = Console(stderr=True)
    console.print(f"{len(clips)} clips, {sum(len(c.frames) for c in clips)} frames")
    with console.status(f"estimating flow for {pool} training triplets"):
        task = InterpolationTask(clips, config=FusionConfig(refine=refine_channels), pool=pool, crop=crop, seed=seed,
                                 sources=[portable_path(p) for p in data])
    settings = TrainSettings(out=out, steps=steps, batch_size=batch_size, lr=lr, checkpoint_every=checkpoint_every,
                             validate_every=validate_every, seed=seed, resume=resume, command=recorded_command("interpolate"))
    run_training("interpolate", task, settings, placement, _summary)


def _summary(metrics: dict[str, float]) -> str:
    info = f"loss {metrics.get('loss', 0):.4f}"
    if "val_psnr" in metrics:
        info += f"  val {metrics['val_psnr']:.2f} dB (flow {metrics.get('val_psnr_flow_model', 0):.2f})"
    return info


if __name__ == "__main__":
    typer.run(command)
