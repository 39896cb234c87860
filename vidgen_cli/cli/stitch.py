"""`vidgen stitch`: a folder of frames back into a video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import Job, run_jobs
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.encode import EncodeOptions
from vidgen_cli.io.outputs import check_output


@handle_errors
def stitch(
    inputs: opt.Inputs,
    output: opt.Output,
    fps: Annotated[Optional[str], typer.Option("--fps", help="Frame rate (default: from manifest.json).")] = None,
    audio: Annotated[Optional[str], typer.Option("--audio", help="Take the audio from this file instead of the manifest's source.")] = None,
    no_audio: opt.NoAudio = False,
    codec: opt.Codec = None,
    crf: opt.Crf = 18,
    preset: opt.Preset = "medium",
    pix_fmt: opt.PixFmt = None,
    stream_format: opt.StreamFormat = "nut",
    overwrite: opt.Overwrite = False,
    skip_existing: opt.SkipExisting = False,
    fail_fast: opt.FailFast = False,
    quiet: opt.Quiet = False,
    json_out: opt.Json = False,
) -> None:
    """Encode a folder of frames into a video, with the timing and audio recorded by `split`."""
    from vidgen_cli.pipelines.stitch import stitch as library_stitch

    if audio and no_audio:
        raise UsageError("--audio and --no-audio contradict each other; pass one")
    if json_out and output == "-":
        raise UsageError("--json prints to stdout, which -o - already uses for video")
    reporter = Reporter(quiet, json_out)
    rate = opt.parse_rate(fps)
    encode = EncodeOptions(codec=codec, crf=crf, preset=preset, pix_fmt=pix_fmt)

    def work(job: Job) -> dict[str, Any]:
        folder = Path(job.input)
        if not folder.is_dir():
            raise InputError(f"{job.input}: stitch takes a folder of frames (as written by `vidgen split`)")
        check_output(job.output, [job.input], overwrite)
        with reporter.progress(f"stitch {folder.name}") as update:
            result = library_stitch(folder, job.output, rate, encode, audio, no_audio, update, reporter.warn, stream_format)
        reporter.note(f"{job.input} -> {job.output}: {result.frames} frames at {float(result.fps):.3f} fps"
                      + (f", audio from {result.audio}" if result.audio else ""))
        return {"frames": result.frames, "fps": float(result.fps), "duration": round(result.duration, 6), "audio": result.audio}

    code = run_jobs(inputs, output, reporter, work, suffix_for=lambda _: ".mp4", skip_existing=skip_existing, fail_fast=fail_fast)
    raise typer.Exit(code)
