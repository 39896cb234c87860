"""`vidgen stitch`: a folder of frames back into a video."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import Job, run_jobs
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.outputs import check_output
from vidgen_cli.io.manifest import folder_frames, read_manifest_if_any


@handle_errors
@opt.with_common_options("output", "encode", output_help="Video to write (.mp4, .mkv, .webm, .mov, ...) or - for stdout; several inputs: a folder or a template such as 'videos/{stem}.mp4'.")
def stitch(
    inputs: opt.FrameFolderInputs,
    common: opt.Common,
    fps: Annotated[Optional[str], typer.Option("--fps", metavar="FPS", help="Frame rate (default: from manifest.json; needed without one).")] = None,
    audio: Annotated[Optional[str], typer.Option("--audio", metavar="FILE", help="Take the audio from this file instead of the manifest's source (on the source's timeline: the frames play where split found them).")] = None,
    audio_from_start: Annotated[bool, typer.Option("--audio-from-start", help="With --audio: start FILE's audio with the first frame, not where the manifest puts the first frame on the source's timeline.")] = False,
) -> None:
    """Encode folders of frames into videos, with the timing and audio that `split` recorded."""
    from vidgen_cli.convert.stitch import stitch as library_stitch

    if audio and common.no_audio:
        raise UsageError("--audio and --no-audio contradict each other; pass one")
    if audio_from_start and not audio:
        raise UsageError("--audio-from-start places an --audio FILE; pass --audio FILE with it")
    if common.json_out and common.output == "-":
        raise UsageError("--json prints to stdout, which -o - already uses for video")
    reporter = Reporter(common.quiet, common.json_out)
    rate = opt.parse_rate(fps)
    encode = common.encode_options()

    def work(job: Job) -> dict[str, Any]:
        folder = Path(job.input)
        if not folder.is_dir():
            raise InputError(f"{job.input}: stitch takes a folder of frames (as written by `vidgen split`)")
        manifest = read_manifest_if_any(folder)
        reads = [("--audio", audio)] if audio else []
        if manifest and manifest.audio_source:
            reads.append(("manifest.json source", manifest.audio_source))
        if job.output != "-" and (job.output.endswith(("/", os.sep)) or not Path(job.output).suffix):
            raise UsageError(f"-o {job.output}: stitch writes a video file, not a folder; give a name with a video extension "
                             f"(e.g. -o {job.output.rstrip('/' + os.sep) or 'out'}.mp4)")
        check_output(job.output, [job.input], common.overwrite, reads, folder=False)
        with reporter.progress(f"stitch {folder.name}", len(folder_frames(folder)[0])) as update:
            result = library_stitch(folder, job.output, rate, encode, audio, common.no_audio, update, reporter.warn, common.stream_format,
                                    audio_from_start=audio_from_start)
        reporter.note(f"{job.input} -> {job.output}: {result.frames} frames at {float(result.fps):.3f} fps"
                      + (f", audio from {result.audio}" if result.audio else ""))
        return {"frames": result.frames, "fps": float(result.fps), "duration": round(result.duration, 6), "audio": result.audio}

    _refuse_single_images(inputs, common.output)
    code = run_jobs(inputs, common.output, reporter, work, suffix_for=lambda _: ".mp4", skip_existing=common.skip_existing, fail_fast=common.fail_fast,
                    shard=common.shard)
    raise typer.Exit(code)


def _refuse_single_images(inputs: list[str], output: str) -> None:
    """Images given one by one (`stitch 'fr/*.png'`, or the shell's expansion of it) are not a
    sequence to stitch: say to pass their folder, which stitch reads in order with its manifest
    (the batch's line asked for an output template such as 'out/{stem}.png')."""
    import glob

    from vidgen_cli.io.paths import is_image_file

    paths = [Path(p) for item in inputs for p in (sorted(glob.glob(item)) if any(c in item for c in "*?[") else [item])]
    if not paths or not all(path.is_file() and is_image_file(path) for path in paths):
        return
    folders = sorted({str(path.parent) for path in paths})
    folder = folders[0] if len(folders) == 1 else None
    some = folder is not None and len(paths) < len(folder_frames(Path(folder))[0])
    example = f"vidgen stitch {folder}{os.sep} -o {output}" if folder else "vidgen stitch FOLDER/ -o " + output
    raise InputError(f"stitch makes one video from a folder of frames, not from {len(paths)} single image(s): pass the folder "
                     f"({example})" + ("; to stitch only some of its images, copy them into a folder of their own" if some else ""))
