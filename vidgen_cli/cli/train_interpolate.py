"""`vidgen train interpolate`: train the FusionNet interpolation model on folders of videos or frames."""

from __future__ import annotations

from typing import Annotated

import typer

from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli import training as train
from vidgen_cli.cli.report import Reporter
from vidgen_cli.cli.training import load_training_clips, prepare_run, recorded_command, run_training


@handle_errors
def command(
    data: train.Data,
    out: train.WeightsOutput,
    steps: train.Steps = 5000,
    batch_size: train.BatchSize = 8,
    lr: train.LearningRate = 5e-4,
    checkpoint_every: train.CheckpointEvery = 500,
    validate_every: train.ValidateEvery = 1000,
    resume: train.Resume = False,
    seed: train.Seed = 0,
    device: train.Device = "auto",
    pool: Annotated[int, typer.Option("--pool", metavar="N", help="Triplets whose flows are precomputed (2 crops each).")] = 1000,
    crop: train.Crop = 128,
    max_side: train.MaxSide = 480,
    max_frames: train.MaxFrames = 600,
    refine_channels: Annotated[int, typer.Option("--refine-channels", metavar="N", help="Full-resolution last layer width (0: none; 16 measured no better).")] = 0,
    threads: train.Threads = None,
) -> None:
    """Train the learned interpolation model (DIS flow + FusionNet) on videos or frame folders; writes NAME.pt and NAME.json."""
    from vidgen_cli.device import choose
    from vidgen_cli.train.core import portable_path
    from vidgen_cli.errors import InputError, UsageError
    from vidgen_cli.interpolate.training import InterpolationTask
    from vidgen_cli.models.interp import FusionConfig
    from vidgen_cli.train.core import TrainSettings

    train.check_weights_output(out, data=data)
    if steps < 1 or batch_size < 1 or pool < 1:
        raise UsageError("--steps, --batch-size and --pool must be at least 1")
    placement = choose(device)
    prepare_run(threads, seed)  # before the model is built: its initial weights come from the seed
    clips = load_training_clips(data, max_side, max_frames)
    if not clips:
        raise InputError("no readable videos or frame folders under --data; pass folders with .mp4/.webm/... or .png frames")
    reporter = Reporter()
    reporter.note(f"{len(clips)} clips, {sum(len(c.frames) for c in clips)} frames")
    usable = -(-steps * batch_size // 2)  # each triplet gives 2 crops; a short run draws fewer
    if pool > usable:
        reporter.note(f"--pool {pool}: {steps} steps of {batch_size} crops use at most {usable} triplets; precomputing {usable}")
        pool = usable
    # the pool (DIS flow both ways for every triplet) takes minutes: a bar, or a line every 10% or 10 s in a log
    with reporter.progress(f"flow for {pool} training triplets", pool * 2, unit="crops") as update:
        task = InterpolationTask(clips, config=FusionConfig(refine=refine_channels), pool=pool, crop=crop, seed=seed,
                                 sources=[portable_path(p) for p in data], progress=lambda _, done, total: update(done))
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
