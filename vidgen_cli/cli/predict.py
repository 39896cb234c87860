"""`vidgen predict`: continue a clip by N frames."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.transform import Plan, run_model_command
from vidgen_cli.errors import UsageError


@handle_errors
@opt.with_common_options("output", "encode", "model", "decode")
def predict(
    inputs: opt.Inputs,
    common: opt.Common,
    frames: Annotated[int, typer.Option("--frames", "-n", help="How many frames to predict.")] = 12,
    model: Annotated[str, typer.Option("--model", help="learned (default), flow, copy, or a .pt file from `vidgen train predict`.")] = "learned",
    context: Annotated[Optional[int], typer.Option("--context", help="How many trailing frames the model sees (default: what it needs).")] = None,
    start: Annotated[Optional[str], typer.Option("--start", help="Predict from this time instead of the end (seconds or hh:mm:ss.ms).")] = None,
    at: Annotated[Optional[int], typer.Option("--at", help="Predict after this frame index (0-based) instead of the end.")] = None,
    only_new: Annotated[bool, typer.Option("--only-new", help="Write only the predicted frames.")] = False,
) -> None:
    """Predict the frames that follow a clip, and write the clip followed by them."""
    if frames < 1 or frames > 10000:
        raise UsageError(f"--frames {frames}: use a whole number from 1 to 10000")
    if start is not None and at is not None:
        raise UsageError("--start and --at both choose the cut point; pass only one")
    if at is not None and at < 0:
        raise UsageError(f"--at {at}: frame indices start at 0")
    if context is not None and context < 1:
        raise UsageError(f"--context {context}: use at least 1")
    start_s = opt.parse_time(start, "--start")
    from vidgen_cli.predict.extend import ExtendProcessor
    from vidgen_cli.predict.processor import Predictor

    placement = common.placement()
    predictor = Predictor(model, placement)

    def plan(info) -> Plan:
        cut = at
        if start_s is not None:
            if not info.fps:
                raise UsageError("--start needs a video or a frames folder with a manifest; use --at")
            cut = max(0, round(start_s * float(info.fps)) - 1)
        if cut is not None and info.frame_count and cut >= info.frame_count:
            raise UsageError(f"--at/--start points past the clip's last frame ({info.frame_count - 1})")
        used = (cut + 1) if cut is not None else info.frame_count
        processor = ExtendProcessor(predictor, frames, context or predictor.context_size, cut, only_new)
        fps = info.fps or Fraction(25)
        expected = frames + (0 if only_new else used) if used else None
        return Plan(processor, fps, expected, {"model": model, "frames": frames, "cut": cut, "only_new": only_new, "context": context,
                     **predictor.fingerprint()},
                    audio_duration=None if only_new else used / float(fps) if used else None, audio=not only_new)

    run_model_command("predict", inputs, common, plan)
