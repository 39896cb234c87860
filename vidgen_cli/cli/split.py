"""`vidgen split`: a video into frames (or into one clip per shot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import Job, run_jobs
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.encode import EncodeOptions
from vidgen_cli.io.image_writers import ImageFolderWriter
from vidgen_cli.io.outputs import check_output
from vidgen_cli.io.pixels import untagged_hdr_line
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD


@handle_errors
@opt.with_common_options("output", "decode", output_help="Folder for the frames (or, with --scenes, the shots); several inputs: a parent folder or a template such as 'frames/{stem}/'.")
def split(
    inputs: opt.VideoInputs,
    common: opt.Common,
    image_format: Annotated[Optional[str], typer.Option("--format", metavar="FORMAT", help="png, jpg or webp (default png; with --scenes, frames folders instead of clips).")] = None,
    quality: Annotated[int, typer.Option("--quality", metavar="N", help="JPEG/WebP quality, 1-100.")] = 95,
    every: Annotated[int, typer.Option("--every", metavar="N", help="Keep every Nth frame.")] = 1,
    fps: Annotated[Optional[str], typer.Option("--fps", metavar="FPS", help="Resample to this frame rate (e.g. 10, 29.97, 30000/1001).")] = None,
    start: Annotated[Optional[str], typer.Option("--start", metavar="TIME", help="Start time: seconds or hh:mm:ss.ms.")] = None,
    end: Annotated[Optional[str], typer.Option("--end", metavar="TIME", help="End time: seconds or hh:mm:ss.ms.")] = None,
    scenes: Annotated[bool, typer.Option("--scenes", help="Split at shot cuts into one clip (or frames folder) per shot.")] = False,
    threshold: Annotated[float, typer.Option("--threshold", metavar="SCORE", help="Shot-cut score (0-1) above which a new shot starts.")] = DEFAULT_THRESHOLD,
    codec: opt.Codec = None,
    crf: opt.Crf = 18,
    preset: opt.Preset = "medium",
) -> None:
    """Split videos into numbered frames plus a manifest.json that `stitch` reads back, or into one clip per shot."""
    from vidgen_cli.convert import split as library

    reporter = Reporter(common.quiet, common.json_out)
    start_s, end_s = opt.parse_time(start, "--start"), opt.parse_time(end, "--end")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise UsageError(f"--end {end} is not after --start {start}")
    if every < 1:
        raise UsageError(f"--every {every}: use a whole number of at least 1")
    if fps and every > 1:
        raise UsageError("--fps and --every both choose frames; pass only one")
    if common.output == "-":
        raise UsageError("split writes a folder of frames (or of clips with --scenes), not a stream; give -o a folder name")
    settings = library.SplitOptions(image_format=image_format or "png", quality=quality, every=every,
                                    fps=opt.parse_rate(fps), start=start_s, end=end_s, deinterlace=common.deinterlace_on)

    def work(job: Job) -> dict[str, Any]:
        out = check_output(job.output, [job.input], common.overwrite, folder=True)
        _refuse_file_name(job.output, scenes)
        if job.input == "-" and scenes:  # shots need the whole stream, read twice (cuts, then clips): spooled to a file
            return _split_spooled_stdin(lambda spool: split_file(Job(spool, job.output), out, shown="-"), out, reporter)
        if job.input == "-":
            return _split_stdin(out, settings, reporter)
        return split_file(job, out)

    def split_file(job: Job, out: Path, shown: str | None = None) -> dict[str, Any]:
        """Split the video file job.input; messages name it `shown` (a spooled pipe's '-')."""
        from vidgen_cli.io.probe import probe

        shown = shown or job.input
        info = probe(job.input)
        if info.kind != "video":
            raise InputError(f"{job.input}: is already frames; split takes a video file")
        if info.ends_early:
            reporter.warn(f"{shown}: {info.ends_early}")
        if info.unreadable:
            reporter.warn(f"{shown}: {info.unreadable}")
        if start_s is not None or end_s is not None:  # times that select nothing: a usage error (2), as in the model commands
            from vidgen_cli.runtime.span import resolve_span

            resolve_span(info, start_s, end_s)
        lost = ([f"{info.pixels.bit_depth}-bit depth"] if info.pixels.bit_depth > 8 and settings.image_format != "png" else []) + \
            (["alpha"] if info.pixels.alpha and settings.image_format == "jpg" else [])
        if lost and not scenes:
            reporter.warn(f"{shown}: {' and '.join(lost)} dropped: {settings.image_format} frames cannot store it; use --format png")
        frames_out = not scenes or image_format is not None
        if frames_out and settings.image_format != "png" and (line := untagged_hdr_line(info.pixels, f"{shown}: {settings.image_format} frames",
                                                                                         "use --format png (tagged with cICP) to keep them")):
            reporter.warn(line)
        if info.pixels.interlaced:
            reporter.warn(f"{shown}: interlaced ({info.pixels.field_order}); " + ("deinterlaced with bwdif" if settings.deinterlace
                          else "--deinterlace off: frames keep both fields (combing)"))
        total = library.expected_frames(info, settings, scenes_clips=scenes and image_format is None)
        with reporter.progress(f"split {Path(job.input).name}", total) as update:
            if scenes and image_format is None:
                result = library.split_scenes(info, out, threshold, EncodeOptions(codec=codec, crf=crf, preset=preset), update, reporter.warn,
                                              deinterlace=settings.deinterlace, start=start_s, end=end_s)
            elif scenes:
                result = library.split_scene_frames(info, out, threshold, settings, update)
            else:
                result = library.split_frames(info, out, settings, update)
        if scenes:
            reporter.note(f"{len(result.cuts)} cuts at: " + ", ".join(f"{t:.3f}s" for t in result.cuts) if result.cuts
                          else "no shot cut found: one shot")
        reporter.note(f"{shown} -> {out}: {result.frames} frames at {float(result.fps):.3f} fps")
        record: dict[str, Any] = {"frames": result.frames, "fps": float(result.fps), "duration": round(result.duration, 6)}
        if scenes:
            record["cuts"] = result.cuts
        return record

    code = run_jobs(inputs, common.output, reporter, work, suffix_for=lambda _: "", skip_existing=common.skip_existing, fail_fast=common.fail_fast,
                    shard=common.shard)
    raise typer.Exit(code)


def _refuse_file_name(output: str, scenes: bool) -> None:
    """split writes a folder: an -o named like a video or an image (out.mp4, x.mpg, f.png) would
    become a folder of that name. One ending in / is a folder the user named so on purpose."""
    from vidgen_cli.io.formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES

    suffix = Path(output).suffix.lower()
    if output.endswith(("/", "\\")) or suffix not in VIDEO_SUFFIXES | IMAGE_SUFFIXES:
        return
    what = "clips" if scenes else "frames"
    folder = Path(output).with_suffix("")
    raise UsageError(f"-o {output}: split writes a folder of {what}, not a {suffix} file; give a folder name (e.g. -o {folder}/), "
                     "or use a model command (vidgen interpolate, stylize) or ffmpeg to write a video")


def _split_stdin(out: Path, settings: Any, reporter: Reporter) -> dict[str, Any]:
    """Frames from a piped stream: decode with vidgen's reader, write with its image writer."""
    from vidgen_cli.io.decode import open_input
    from vidgen_cli.runtime.threads import run_pipeline

    if settings.every > 1 or settings.fps or settings.start or settings.end is not None:
        raise UsageError("--every, --fps, --start and --end need a file input, not stdin")
    from vidgen_cli.runtime.timeline import TimedSink, same_times

    from vidgen_cli.io.manifest import piped_streams_line
    from vidgen_cli.io.pixels import piped_pixels_line

    reader = open_input("-")
    if line := piped_streams_line(len(reader.info.audio), len(reader.info.subtitles)):
        reporter.warn(line)
    if line := piped_pixels_line(reader.info.pixels):
        reporter.warn(line)
    if line := untagged_hdr_line(reader.info.pixels, "stdin: frames from a pipe", "pass the file by path to keep them (tagged PNG frames)"):
        reporter.warn(line)
    writer = ImageFolderWriter(out, settings.image_format, settings.quality, fps=reader.info.fps, warn=reporter.warn, sar=reader.info.sar)
    lead = Fraction(reader.unmarked_priming).limit_denominator(10**6)

    def time_of(index: int) -> Fraction | None:  # a NUT pipe's AAC priming is not the picture's delay (decode.unmarked_priming)
        time, first = reader.time_of(index), reader.time_of(0)
        return time if time is None or first is None or not lead else time - min(lead, first)

    with reporter.progress("split stdin") as update:
        frames = run_pipeline(reader, TimedSink(writer, same_times, time_of), on_frame=update)
    fps = reader.info.fps
    return {"frames": frames, "fps": float(fps), "duration": round(frames / float(fps), 6)}


def _split_spooled_stdin(split_file: Callable[[str], dict[str, Any]], out: Path, reporter: Reporter) -> dict[str, Any]:
    """`split - --scenes`: the piped stream copied to a temporary file named 'stdin' (so shots are
    stdin-shot001.mp4, ...) and split as that file; messages say '-', and the shots' manifests
    (--format) name no source, as a piped split's do: the spool is gone afterwards, so the pipe's
    audio and subtitles are not kept in those folders, and one line says so as `split -` does."""
    from vidgen_cli.cli.probe import spooled_stdin
    from vidgen_cli.errors import VidgenError
    from vidgen_cli.io.manifest import piped_streams_line, read_manifest_if_any, write_manifest
    from vidgen_cli.io.probe import probe

    with spooled_stdin() as spool:
        try:
            record = split_file(spool)
        except VidgenError as exc:
            exc.args = tuple(str(arg).replace(spool, "-") for arg in exc.args)
            raise
        cleared = False
        for folder in sorted(p for p in out.iterdir() if p.is_dir()):  # the shots ({stem}-shot001/, ...)
            manifest = read_manifest_if_any(folder)
            if manifest is not None and (manifest.source or manifest.audio_source):
                write_manifest(folder, replace(manifest, source=None, audio_source=None))
                cleared = True
        if cleared and (line := piped_streams_line(len((info := probe(spool)).audio), len(info.subtitles))):
            reporter.warn(line)
    return record
