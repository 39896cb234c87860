"""The body shared by the model commands (interpolate, stylize, predict): expand the inputs, and
for each one build the command's FrameProcessor and run it from input to output."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import typer

from vidgen_cli.cli.batch import Job, run_jobs
from vidgen_cli.cli.errors import interrupted_file, interrupted_stream
from vidgen_cli.cli.options import Common
from vidgen_cli.cli.report import Reporter, placement_line, placement_record
from vidgen_cli.errors import UsageError
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.outputs import check_output
from vidgen_cli.runtime.timeline import Clock, same_times


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
    clock: Clock = same_times  # when output frame k plays (runtime/timeline.py)
    open_frames: Callable[[int], Any] | None = None  # frames from input frame N on, instead of decoding the input


ASSUMED_FPS = Fraction(25)  # frames without a rate (a still, a folder without manifest.json): ffmpeg's image2 default


def source_rate(info: VideoInfo, warn: Callable[[str], None], plays_at: Callable[[Fraction], str] | None = None,
                stills: bool = True) -> Fraction:
    """The input's frame rate, or ASSUMED_FPS for frames that have none, said in one line (every
    command that times frames without a manifest says it the same way). `plays_at(25)`: what the
    command adds to the line (interpolate: the output's rate); `stills=False`: a single image's
    rate does not matter to the command (stylize writes one frame), so nothing is said for it."""
    if info.fps:
        return info.fps
    if info.kind == "images" or (info.kind == "image" and stills):
        what = "a single image has" if info.kind == "image" else "frames without a manifest.json have"
        warn(f"{info.path}: {what} no frame rate: assuming {ASSUMED_FPS} fps" + (plays_at(ASSUMED_FPS) if plays_at else ""))
    return ASSUMED_FPS


def reads_of(option: str, *paths: str) -> list[tuple[str, str]]:
    """The (option, path) pairs of the paths that name an existing file or folder (a model name
    such as `flow` is not a path), for run_model_command's `reads`."""
    return [(option, path) for path in paths if path != "-" and Path(path).exists()]


def suffix_for(source: str) -> str:
    """In a batch, a video keeps its extension and a frames folder stays a folder."""
    path = Path(source)
    return path.suffix if path.is_file() else ""


def run_model_command(label: str, inputs: list[str], common: Common, plan: Callable[..., Plan],
                      photos: bool = False, last_frame: int | None = None, models: bool = True, with_span: bool = False,
                      reads: Sequence[tuple[str, str]] = ()) -> None:
    """Run `plan` for every input; raises typer.Exit with the batch's exit code.

    `plan` sees each input as trimmed by --start/--end (and `last_frame`, predict's --at); with
    `with_span`, also the untrimmed info and the Span (a command that reads the frames itself
    first, as motion stabilize's analysis). With `photos`, a folder of images of different sizes
    is a batch of single images. `models=False` (OpenCV-only commands such as `motion`): no
    placement line or record, torch not imported. `reads`: the other files the command reads, as
    (option, path) pairs (--style, --key, a .pt --model): no output may replace one of them."""
    from vidgen_cli.runtime.job import OutputSettings, describe, output_kind, run_job
    from vidgen_cli.runtime.span import resolve_span, trim_info

    if common.json_out and common.output == "-":
        raise UsageError("--json prints to stdout, which -o - already uses for video")
    start, end = common.span_times()
    reporter = Reporter(common.quiet, common.json_out)
    where = placement_record(common.placement()) if models else None
    announced = []  # the placement line comes once, with the first frame (an input or output refused before is one line)
    settings = OutputSettings(encode=common.encode_options(), audio=not common.no_audio,
                              stream_format=common.stream_format, resume=common.resume, deinterlace=common.deinterlace_on)

    def work(job: Job) -> dict[str, Any]:
        check_output(job.output, [job.input], common.overwrite, reads, folder=output_kind(job.output) == "frames")
        _keep_saved_work(job.output, common, reporter)
        reader, info = describe(job.input)
        span = resolve_span(info, start, end, last_frame)
        chosen = plan(trim_info(info, span), info, span) if with_span else plan(trim_info(info, span))
        with reporter.progress(f"{label} {Path(job.input).name}", chosen.expected_frames) as update:
            def on_frame(done: int) -> None:
                if not announced and where is not None:
                    reporter.note(placement_line(where))
                    announced.append(True)
                update(done)

            job_settings = replace(settings, audio=settings.audio and chosen.audio, audio_duration=chosen.audio_duration)
            try:
                result = run_job(job.input, job.output, chosen.processor, chosen.fps, job_settings, chosen.options,
                                 reader=reader, info=info, on_frame=on_frame, warn=reporter.warn, span=span,
                                 clock=chosen.clock, open_frames=chosen.open_frames)
            except KeyboardInterrupt:
                from vidgen_cli.runtime.resume import saved_work

                hint = interrupted_stream(job.input, job.output) or interrupted_file(_command_name(label), output_kind(job.output),
                                                                                      kept=saved_work(job.output) is not None)
                raise hint from None
        if result.resumed_from:
            reporter.note(f"resumed after input frame {result.resumed_from}")
        begins = span.start_time + (info.start_time if info.kind == "video" else 0.0)  # the file's timeline, as --start
        part = f" (input frames {span.first}-{span.first + span.count - 1}, from {begins:.3f} s)" if not span.whole else ""
        if output_kind(job.output) == "image":
            reporter.note(f"{job.input} -> {job.output}")
        else:
            reporter.note(f"{job.input}{part} -> {job.output}: {result.frames} frames at {float(result.fps):.3f} fps")
        record = result.to_json()
        if not span.whole:
            record["span"] = span.to_json()
        return {**record, "placement": where} if where is not None else record

    code = run_jobs(inputs, common.output, reporter, work, suffix_for, common.skip_existing, common.fail_fast,
                    photos=photos, summary={"placement": where} if where is not None else None, shard=common.shard)
    raise typer.Exit(code)


def _command_name(label: str) -> str:
    """The command as typed: 'interpolate', or 'motion stabilize' for the motion commands' labels."""
    return label if label in ("interpolate", "stylize", "predict") else f"motion {label}"


def _keep_saved_work(output: str, common: Common, reporter: Reporter) -> None:
    """An interrupted run's saved work (.OUTPUT.vidgen-resume) is never dropped silently: without
    --resume the run is refused before any work, unless --overwrite says to start over."""
    from vidgen_cli.runtime.resume import saved_work

    if common.resume or (saved := saved_work(output)) is None:
        return
    if not common.overwrite:
        raise UsageError(f"{output}: found saved work from an interrupted run ({saved}); pass --resume to continue it, "
                         "or --overwrite to discard it and start over")
    reporter.warn(f"{output}: discarding the saved work of an interrupted run ({saved}): --overwrite without --resume starts over")
