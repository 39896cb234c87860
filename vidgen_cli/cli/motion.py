"""`vidgen motion`: capture a video's camera motion, replay it, stabilize, propagate edited key frames."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.batch import Job, expand_inputs, run_jobs
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.cli.transform import Plan, reads_of, run_model_command, source_rate
from vidgen_cli.errors import UsageError
from vidgen_cli.runtime.timeline import listed_times, rate_times

motion_app = typer.Typer(help="Camera motion: capture it, replay it onto other footage, stabilize, carry edited key frames through a video.",
                         no_args_is_help=True)

Videos = Annotated[list[str], typer.Argument(metavar="VIDEO...", show_default=False,
                  help="Video files, frame folders, folders of those, globs, or - for a stream on stdin (capture only).")]
Targets = Annotated[list[str], typer.Argument(metavar="TARGET...", show_default=False,
                   help="Still images or steady videos (frame folders, folders of those, globs, - for stdin) to give the motion to.")]
OneVideo = Annotated[list[str], typer.Argument(metavar="VIDEO", show_default=False, help="The video (file or frames folder) the keys were painted on.")]
Crop = Annotated[str, typer.Option("--crop", help="auto: zoom just enough to hide the borders a warp uncovers; none: leave them black.")]


def _no_stdin(inputs: list[str], command: str) -> None:
    if "-" in inputs:
        raise UsageError(f"motion {command} reads the video twice (analysis, then rendering); pass a file or frames folder, not -")


def _analyse(reporter: Reporter, source: str, info: Any, label: str, span: Any = None) -> Any:
    """Capture the camera path of one input (its `span`, from --start/--end, when given) with a progress bar."""
    from vidgen_cli.motion.capture import capture as capture_path
    from vidgen_cli.runtime.span import WHOLE

    span = span or WHOLE
    with reporter.progress(f"{label} {Path(source).name}", (info.frame_count if span.whole else span.count) or None) as update:
        return capture_path(source, info, on_frame=update, span=span, warn=reporter.warn)


@motion_app.command("capture")
@handle_errors
@opt.with_common_options("output", "span")
def capture(
    inputs: Videos,
    common: opt.Common,
    dense: Annotated[Optional[str], typer.Option("--dense", help="Also write per-frame optical flow (flow_NNNNNN.npz, frame k-1 -> k, float16 pixels) into this folder.")] = None,
) -> None:
    """Measure the camera's motion: a homography per frame (frame 0 -> frame k) in a JSON motion file."""
    from vidgen_cli.io.outputs import check_output
    from vidgen_cli.io.probe import probe
    from vidgen_cli.runtime.span import resolve_span

    if common.json_out and common.output == "-":
        raise UsageError("--json prints to stdout, which -o - already uses for the motion file")
    start, end = common.span_times()
    if "-" in inputs and (start is not None or end is not None):
        raise UsageError("--start/--end need a file input, not a stream from stdin")
    reporter = Reporter(common.quiet, common.json_out)
    several = expand_inputs(inputs)[1]

    def work(job: Job) -> dict[str, Any]:
        check_output(job.output, [job.input], common.overwrite)
        flows = None
        if dense is not None:
            flows = Path(dense) / (Path(job.input).stem if several else "")
            check_output(flows, [job.input], common.overwrite, folder=True)
        info = probe(job.input) if job.input != "-" else None  # stdin is probed by reading it
        if info is not None and info.ends_early:
            reporter.warn(f"{job.input}: {info.ends_early}")
        from vidgen_cli.motion.capture import capture as capture_path

        span = resolve_span(info, start, end) if info is not None else None
        total = (info.frame_count if span is None or span.whole else span.count) if info else None
        with reporter.progress(f"capture {Path(job.input).name}", total) as update:
            motion = capture_path(job.input, info, on_frame=update, dense=flows, warn=reporter.warn,
                                  **({"span": span} if span is not None else {}))
        motion.save(job.output)
        part = f" (input frames {span.first}-{span.first + len(motion) - 1})" if span is not None and not span.whole else ""
        reporter.note(f"{job.input}{part} -> {job.output}: camera path of {len(motion)} frames")
        record = {"frames": len(motion), "size": list(motion.size), "fps": str(motion.fps), "duration": round(float(motion.times[-1] - motion.times[0] + 1 / motion.fps), 6)}
        return {**record, "span": span.to_json()} if span is not None and not span.whole else record

    raise typer.Exit(run_jobs(inputs, common.output, reporter, work, lambda _: ".json", common.skip_existing, common.fail_fast,
                              shard=common.shard))


def _load_motion(source: str, reporter: Reporter) -> Any:
    from vidgen_cli.io.paths import VIDEO_SUFFIXES
    from vidgen_cli.io.probe import probe
    from vidgen_cli.motion.path import load

    if Path(source).suffix.lower() == ".json":
        return load(source)
    if Path(source).suffix.lower() in VIDEO_SUFFIXES or Path(source).is_dir():
        return _analyse(reporter, source, probe(source), "capture")
    raise UsageError(f"--motion {source}: give a motion .json (vidgen motion capture) or a video to capture it from")


@motion_app.command("replay")
@handle_errors
@opt.with_common_options("output", "encode", "resume", "span")
def replay(
    inputs: Targets,
    common: opt.Common,
    motion: Annotated[str, typer.Option("--motion", "-m", help="A motion .json from `vidgen motion capture`, or a video to capture it from.", show_default=False)],
    crop: Crop = "auto",
) -> None:
    """Give a still image or a steady video a captured camera motion (frame k = target warped by H_k)."""
    from vidgen_cli.io.decode import read_image
    from vidgen_cli.motion.replay import fit_still, held_frames, plan_warps, repeat_still, target_size
    from vidgen_cli.motion.warp import WarpStream

    reporter = Reporter(common.quiet, common.json_out)
    path = _load_motion(motion, reporter)
    digest = hashlib.sha256(json.dumps(path.to_json()).encode()).hexdigest()[:16]
    frames = len(path)

    def plan(info) -> Plan:
        size = target_size(path, info)
        audio = True
        if info.kind == "video" and info.fps and abs(float(info.fps) / float(path.fps) - 1) > 0.005:
            audio = False  # one target frame per motion frame: the target's own timeline is not kept
            reporter.warn(f"{info.path} plays at {float(info.fps):.3f} fps and the motion at {float(path.fps):.3f}: its frames "
                          f"are replayed one per motion frame ({float(path.fps) / float(info.fps):.2f}x speed), so its audio is left out")
        warps, zoom = plan_warps(path, size, crop)
        open_frames = None
        if info.kind == "image":
            if (info.width, info.height) != tuple(size):
                reporter.warn(f"{info.path}: the still is {info.width}x{info.height}; the output takes the motion's frame size, "
                              f"{size[0]}x{size[1]} (the still is scaled and centre-cropped to it)")
            still = fit_still(read_image(Path(info.path), info.pixels), size)  # as info.pixels says: run_job fits it to the processor
            open_frames = lambda start: repeat_still(still, frames, start)  # noqa: E731
        held = held_frames(path, info)
        if held:  # the whole target is kept: the camera stops where the motion ends
            reporter.warn(f"{info.path} has {info.frame_count} frames and the motion {frames}: its last {held} frames "
                          f"({held / float(path.fps):.2f} s) hold the motion's last position")
        count = frames + held
        if info.kind != "image" and path.variable_rate():
            reporter.warn(f"the motion's frame times are variable; {info.path}'s frames are replayed one per motion frame "
                          f"on an even {float(path.fps):.3f} fps grid (a still takes the motion's own times)")
        # one target frame per motion frame, on the motion's even grid (a VFR target's own times are not kept);
        # a still takes the motion's own frame times, variable ones included
        clock = listed_times(path.times, path.fps) if info.kind == "image" and path.variable_rate() else rate_times(path.fps)
        return Plan(WarpStream(warps, size, hold_last=True), path.fps, count, {"motion": digest, "crop": crop},
                    audio_duration=count / float(path.fps), audio=audio, open_frames=open_frames, clock=clock)

    run_model_command("replay", inputs, common, plan, models=False, reads=reads_of("--motion", motion))


@motion_app.command("stabilize")
@handle_errors
@opt.with_common_options("output", "encode", "resume", "span")
def stabilize(
    inputs: Videos,
    common: opt.Common,
    smoothing: Annotated[float, typer.Option("--smoothing", help="How much of the camera's motion counts as shake: the Gaussian's sigma, in seconds.")] = 1.0,
    crop: Crop = "auto",
) -> None:
    """Remove camera shake, keep the intentional move; same frames, timing and audio."""
    from vidgen_cli.motion.stabilize import plan as plan_stabilization
    from vidgen_cli.motion.warp import WarpStream

    _no_stdin(inputs, "stabilize")
    if not 0 < smoothing <= 60:
        raise UsageError(f"--smoothing {smoothing}: use a number of seconds above 0 and up to 60")
    if crop not in {"auto", "none"}:
        raise UsageError(f"--crop {crop}: use auto or none")
    reporter = Reporter(common.quiet, common.json_out)

    def plan(info, source_info, span) -> Plan:  # the analysis reads the same frames the run renders
        path = _analyse(reporter, info.path, source_info, "analyse", span)
        fps = source_rate(info, reporter.warn)
        chosen = plan_stabilization(path.H, path.size, fps, smoothing, crop)
        if chosen.uncovered:
            reporter.warn(f"the shake is too large to hide in {chosen.uncovered} frames without zooming past "
                          f"{chosen.zoom.max():.2f}x; black borders remain there (try a smaller --smoothing)")
        return Plan(WarpStream(chosen.warps), fps, len(path), {"smoothing": smoothing, "crop": crop})

    run_model_command("stabilize", inputs, common, plan, models=False, with_span=True)


@motion_app.command("propagate")
@handle_errors
@opt.with_common_options("output", "encode", "resume", "span")
def propagate(
    inputs: OneVideo,
    common: opt.Common,
    key: Annotated[list[str], typer.Option("--key", "-k", help="A frame of the video with edits painted on it (PNG at the video's size); repeat for several keys.", show_default=False)],
    key_frame: Annotated[Optional[list[int]], typer.Option("--key-frame", help="The frame index (from 0) each --key was taken from; default 0 for a single key.")] = None,
) -> None:
    """Carry edits painted on key frames through the video along its motion (disocclusions show the original)."""
    from vidgen_cli.io.decode import read_image
    from vidgen_cli.motion.propagate import BackwardStore, Key, PropagateStream, check_keys, needs_store

    _no_stdin(inputs, "propagate")
    if len(inputs) != 1 or expand_inputs(inputs)[1]:
        raise UsageError("motion propagate takes one video: its keys are frames of that video")
    indices = key_frame or ([0] if len(key) == 1 else [])
    if len(indices) != len(key):
        raise UsageError(f"{len(key)} --key but {len(indices)} --key-frame; give one --key-frame N for each --key")
    images = [read_image(Path(k)) for k in key]
    reporter = Reporter(common.quiet, common.json_out)
    stores: list[Any] = []
    options = {"keys": [hashlib.sha256(image.tobytes()).hexdigest()[:16] for image in images], "key_frames": indices}

    def plan(info, source_info, span) -> Plan:
        from vidgen_cli.runtime.span import span_reader

        last = span.first + (span.count if span.count is not None else source_info.frame_count) - 1
        outside = [i for i in indices if not span.whole and not span.first <= i <= last]
        if outside:  # key frames count from the video's first frame, whatever --start says
            raise UsageError(f"--key-frame {outside[0]} is outside --start/--end (input frames {span.first}-{last})")
        keys = check_keys([Key(i - span.first, image) for i, image in zip(indices, images)], info, key)
        store = None
        if needs_store(keys):
            folder = Path(common.output).resolve().parent if common.output != "-" else None
            frames = None if span.whole else span_reader(source_info, span)
            with reporter.progress(f"prepass {Path(info.path).name}", keys[-1].index + 1) as update:
                store = BackwardStore(info.path, info, keys, None, folder, on_frame=update, frames=frames)
            stores.append(store)
        return Plan(PropagateStream(keys, store), source_rate(info, reporter.warn), info.frame_count or None, options)

    try:
        run_model_command("propagate", inputs, common, plan, models=False, with_span=True, reads=reads_of("--key", *key))
    finally:
        for store in stores:
            store.close()
