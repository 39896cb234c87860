"""`vidgen interpolate`: more frames between the frames (slow motion or a higher frame rate)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.transform import Plan, reads_of, run_model_command, source_rate
from vidgen_cli.errors import UsageError
from vidgen_cli.runtime.timeline import factor_times, rate_times


@handle_errors
@opt.with_common_options("output", "encode", "model", "span", "decode")
def interpolate(
    inputs: opt.MediaInputs,
    common: opt.Common,
    factor: Annotated[Optional[int], typer.Option("--factor", "-x", metavar="N", help="N-1 new frames between each pair (N >= 2; default 2 when --fps is not given); the frame rate is multiplied by N and the duration kept (the last frame holds for its own duration).")] = None,
    fps: Annotated[Optional[str], typer.Option("--fps", metavar="FPS", help="Target frame rate (any, e.g. 60 or 59.94); the duration is kept.")] = None,
    model: Annotated[str, typer.Option("--model", metavar="MODEL", help="flow (DIS optical flow with occlusion reasoning, default), fusion (plus the small learned fusion network), blend (cross-fade), or a .pt file from `vidgen train interpolate`.")] = "flow",
    scene_threshold: Annotated[float, typer.Option("--scene-threshold", metavar="SCORE", help="Cut score (0-1) above which two frames belong to different shots and are never morphed.")] = 0.25,
) -> None:
    """Add frames between frames (slow motion, a higher frame rate) with DIS optical flow and occlusion reasoning by default; shot cuts are never morphed."""
    if factor is not None and fps is not None:
        raise UsageError("pass one of --factor N or --fps F, not both")
    if factor is None and fps is None:
        factor = 2  # twice the frames, as RIFE's and video2x's interpolation default
    if factor is not None and not 2 <= factor <= 64:
        raise UsageError(f"--factor {factor}: use a whole number from 2 to 64")
    target = opt.parse_rate(fps)
    if target is not None and target > 1000:
        raise UsageError(f"--fps {fps}: use a rate up to 1000")
    if not 0 < scene_threshold <= 1:
        raise UsageError(f"--scene-threshold {scene_threshold}: use a value in (0, 1]")
    from vidgen_cli.interpolate.processor import Interpolator

    interpolator = Interpolator(model, common.placement(), scene_threshold=scene_threshold)

    from vidgen_cli.cli.report import Reporter

    reporter = Reporter(common.quiet, common.json_out)

    def plan(info) -> Plan:
        source_fps = source_rate(info, reporter.warn, (lambda assumed: f", so the output plays at {float(assumed * factor):g} fps "
                                                      "(pass --fps to choose it)") if factor else None)
        out_fps = source_fps * factor if factor else target
        n = info.frame_count
        expected = (n * factor if factor else max(1, round(n * target / source_fps))) if n else None
        return Plan(interpolator.processor(source_fps, factor, target), out_fps, expected,
                    {"model": model, "factor": factor, "fps": str(target), "scene_threshold": scene_threshold,
                     **interpolator.fingerprint()},
                    clock=factor_times(factor) if factor else rate_times(target))

    run_model_command("interpolate", inputs, common, plan, reads=reads_of("--model", model))
