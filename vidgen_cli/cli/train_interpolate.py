"""`vidgen train interpolate`: train the FusionNet interpolation model on folders of videos or frames."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.training import recorded_command, run_training, set_threads


@handle_errors
def command(
    data: Annotated[list[Path], typer.Option("--data", metavar="PATH", show_default=False, help="Videos, frame folders, or folders of those (repeatable).")],
    out: Annotated[Path, typer.Option("-o", "--output", metavar="PATH", show_default=False, help="Weights to write: NAME.pt, with NAME.json beside it.")],
    steps: Annotated[int, typer.Option("--steps", metavar="N", help="Optimizer steps.")] = 5000,
    batch_size: Annotated[int, typer.Option("--batch-size", metavar="N", help="Crops per step.")] = 8,
    lr: Annotated[float, typer.Option("--lr", metavar="RATE", help="Peak learning rate (cosine decay).")] = 5e-4,
    checkpoint_every: Annotated[int, typer.Option("--checkpoint-every", metavar="N", help="Save NAME.ckpt every N steps.")] = 500,
    validate_every: Annotated[int, typer.Option("--validate-every", metavar="N", help="Validate every N steps.")] = 1000,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from NAME.ckpt if present.")] = False,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed (data sampling, init).")] = 0,
    device: Annotated[str, typer.Option("--device", metavar="DEVICE", help="auto, cpu or cuda.")] = "auto",
    pool: Annotated[int, typer.Option("--pool", metavar="N", help="Triplets whose flows are precomputed (2 crops each).")] = 1000,
    crop: Annotated[int, typer.Option("--crop", metavar="PIXELS", help="Training crop size.")] = 128,
    max_side: Annotated[int, typer.Option("--max-side", metavar="PIXELS", help="Clips are decoded at most this large (longer side).")] = 480,
    max_frames: Annotated[int, typer.Option("--max-frames", metavar="N", help="Frames decoded per clip at most.")] = 600,
    refine_channels: Annotated[int, typer.Option("--refine-channels", metavar="N", help="Full-resolution last layer width (0: none; 16 measured no better).")] = 0,
    threads: Annotated[Optional[int], typer.Option("--threads", metavar="N", help="CPU threads for torch (default: half the cores).")] = None,
) -> None:
    """Train the learned interpolation model (DIS flow + FusionNet) on videos or frame folders; writes NAME.pt and NAME.json."""
    from rich.console import Console

    from vidgen_cli.device import choose
    from vidgen_cli.errors import InputError, UsageError
    from vidgen_cli.interpolate.training import InterpolationTask
    from vidgen_cli.models.interp import FusionConfig
    from vidgen_cli.train.clips import load_clips
    from vidgen_cli.train.core import TrainSettings

    if steps < 1 or batch_size < 1 or pool < 1:
        raise UsageError("--steps, --batch-size and --pool must be at least 1")
    set_threads(threads)
    placement = choose(device)
    clips = load_clips(data, max_side=max_side, max_frames=max_frames)
    if not clips:
        raise InputError("no readable videos or frame folders under --data; pass folders with .mp4/.webm/... or .png frames")
    console = Console(stderr=True)
    console.print(f"{len(clips)} clips, {sum(len(c.frames) for c in clips)} frames", soft_wrap=True)
    with console.status(f"estimating flow for {pool} training triplets"):
        task = InterpolationTask(clips, config=FusionConfig(refine=refine_channels), pool=pool, crop=crop, seed=seed,
                                 sources=[str(p) for p in data])
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
