"""`vidgen predict`: continue a clip by N frames."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.cli.transform import Plan, reads_of, run_model_command, source_rate
from vidgen_cli.errors import UsageError
from vidgen_cli.runtime.timeline import extend_step, extend_times


@handle_errors
@opt.with_common_options("output", "encode", "model", "span", "decode")
def predict(
    inputs: opt.MediaInputs,
    common: opt.Common,
    frames: Annotated[int, typer.Option("--frames", "-n", metavar="N", help="How many frames to predict.")] = 12,
    model: Annotated[str, typer.Option("--model", metavar="MODEL", help="flow (damped optical-flow extrapolation, default), learned (a refiner over it: slower, opt-in), copy, or a .pt file from `vidgen train predict`.")] = "flow",
    context: Annotated[Optional[int], typer.Option("--context", metavar="N", help="How many trailing frames the model sees (default: what it needs).")] = None,
    at: Annotated[Optional[int], typer.Option("--at", metavar="FRAME", help="Predict after this frame index (0-based) instead of the end; like --end, by frame.")] = None,
    only_new: Annotated[bool, typer.Option("--only-new", help="Write only the predicted frames.")] = False,
) -> None:
    """Predict the frames that follow a clip (or its part up to --end / --at) and write the clip followed by them."""
    if frames < 1 or frames > 10000:
        raise UsageError(f"--frames {frames}: use a whole number from 1 to 10000")
    if common.end is not None and at is not None:
        raise UsageError("--end and --at both choose where the prediction starts; pass only one")
    if at is not None and at < 0:
        raise UsageError(f"--at {at}: frame indices start at 0")
    if context is not None and context < 1:
        raise UsageError(f"--context {context}: use at least 1")
    from vidgen_cli.predict.extend import ExtendProcessor
    from vidgen_cli.predict.processor import Predictor

    placement = None if model in ("copy", "flow") else common.placement()  # no torch (260 MB) for flow
    predictor = Predictor(model, placement)

    reporter = Reporter(common.quiet, common.json_out)

    def plan(info) -> Plan:
        used = info.frame_count  # the frames of --start/--end/--at only
        processor = ExtendProcessor(predictor, frames, context or predictor.context_size, None, only_new)
        fps = source_rate(info, reporter.warn)
        expected = frames + (0 if only_new else used) if used else None
        # the source's audio up to the end of the last kept frame (seconds from the first kept frame),
        # which lasts until the first new frame
        audio_end = float(info.time_of(used - 1) - info.start_time + extend_step(used, fps, info.time_of)) if used else None
        if only_new and info.audio and not common.no_audio:
            reporter.warn(f"--only-new: the predicted frames are new pictures with no sound of their own, so {info.path}'s "
                          f"audio is not written (drop --only-new to keep the clip and its sound)")
        return Plan(processor, fps, expected, {"model": model, "frames": frames, "only_new": only_new, "context": context,
                     **predictor.fingerprint()},
                    audio_duration=None if only_new else audio_end, audio=not only_new,
                    clock=extend_times(used or None, fps, only_new))

    # copy and flow are OpenCV only: no placement line, and torch (about 260 MB) is never imported
    run_model_command("predict", inputs, common, plan, last_frame=at, models=placement is not None,
                      reads=reads_of("--model", model))
