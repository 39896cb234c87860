"""The body shared by the model commands (interpolate, stylize, predict): expand the inputs, and
for each one build the command's FrameProcessor and run it from input to output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import typer

from vidgen_cli.cli.batch import Job, run_jobs
from vidgen_cli.cli.options import Common
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import UsageError
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.outputs import check_output


@dataclass
class Plan:
    """What a command decided for one input: the processor, the output rate, the expected output
    frame count (for progress; None if unknown) and the options that a resume must match."""

    processor: Any
    fps: Fraction
    expected_frames: int | None
    options: dict[str, Any]
    audio_duration: float | None = None  # cut the source's audio to this length
    audio: bool = True  # False when the output does not line up with the source's audio
    open_frames: Callable[[int], Any] | None = None  # frames from input frame N on, instead of decoding the input


def suffix_for(source: str) -> str:
    """In a batch, a video keeps its extension and a frames folder stays a folder."""
    path = Path(source)
    return path.suffix if path.is_file() else ""


def run_model_command(label: str, inputs: list[str], common: Common, plan: Callable[[VideoInfo], Plan]) -> None:
    """Run `plan` for every input; raises typer.Exit with the batch's exit code."""
    from vidgen_cli.runtime.job import OutputSettings, describe, run_job

    if common.json_out and common.output == "-":
        raise UsageError("--json prints to stdout, which -o - already uses for video")
    reporter = Reporter(common.quiet, common.json_out)
    settings = OutputSettings(encode=common.encode_options(), audio=not common.no_audio,
                              stream_format=common.stream_format, resume=common.resume)

    def work(job: Job) -> dict[str, Any]:
        check_output(job.output, [job.input], common.overwrite)
        reader, info = describe(job.input)
        chosen = plan(info)
        with reporter.progress(f"{label} {Path(job.input).name}", chosen.expected_frames) as update:
            job_settings = replace(settings, audio=settings.audio and chosen.audio, audio_duration=chosen.audio_duration)
            result = run_job(job.input, job.output, chosen.processor, chosen.fps, job_settings, chosen.options,
                             reader=reader, info=info, on_frame=update, warn=reporter.warn,
                             open_frames=chosen.open_frames)
        if result.resumed_from:
            reporter.note(f"resumed after input frame {result.resumed_from}")
        reporter.note(f"{job.input} -> {job.output}: {result.frames} frames at {float(result.fps):.3f} fps")
        return result.to_json()

    code = run_jobs(inputs, common.output, reporter, work, suffix_for, common.skip_existing, common.fail_fast)
    raise typer.Exit(code)
