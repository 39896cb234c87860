"""`vidgen stylize`: paint a video in the style of an image, a video or a folder of images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.cli.transform import Plan, reads_of, run_model_command, source_rate
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.stylize import CONSISTENCY_MODES, DEFAULT_MAX_SIDE


@handle_errors
@opt.with_common_options("output", "encode", "model", "span", "decode")
def stylize(
    inputs: opt.StylizeInputs,
    common: opt.Common,
    style: Annotated[list[str], typer.Option("--style", "-s", metavar="PATH", show_default=False, help="Style image, video (frames sampled across it) or folder of images; repeat to mix.")],
    strength: Annotated[float, typer.Option("--strength", metavar="X", help="How far the style vector moves from the content's own (0) to the style's (1). 0 is the network's rendering of the content in its own style vector, not the original: colours shift (27-30 grey levels on photos).")] = 1.0,
    preserve_color: Annotated[bool, typer.Option("--preserve-color", help="Keep the content's colours; take only light and texture from the style.")] = False,
    max_side: Annotated[int, typer.Option("--max-side", metavar="PIXELS", help="Processing resolution (longer side); the output keeps the input's size.")] = DEFAULT_MAX_SIDE,
    consistency: Annotated[str, typer.Option("--consistency", metavar="MODE", help="flow (steady from frame to frame, default), crisp (flow, sharper strokes, ~0.8x the speed) or off (each frame on its own).")] = "flow",
    model: Annotated[str, typer.Option("--model", metavar="MODEL", help="teacher (Magenta, default), student (distilled: faster, steadier, softer) or a .pt file.")] = "teacher",
    scene_threshold: Annotated[float, typer.Option("--scene-threshold", metavar="SCORE", help="Cut score (0-1) above which a new shot starts and the temporal state resets.")] = 0.25,
) -> None:
    """Paint videos or images in the style of an image, a video or a folder of paintings (Magenta arbitrary style transfer), steady from frame to frame."""
    if not 0 <= strength <= 1:
        raise UsageError(f"--strength {strength}: use a value from 0 to 1")
    if consistency not in CONSISTENCY_MODES:
        raise UsageError(f"--consistency {consistency}: use flow, crisp or off")
    if not 0 < scene_threshold <= 1:
        raise UsageError(f"--scene-threshold {scene_threshold}: use a value in (0, 1]")
    if not 32 <= max_side <= 8192:
        raise UsageError(f"--max-side {max_side}: use 32 to 8192 pixels")
    for source in style:
        if not Path(source).exists():
            raise InputError(f"--style {source}: no such file or folder")
    from vidgen_cli.stylize.processor import Stylizer

    stylizer = Stylizer(style, model=model, strength=strength, preserve_color=preserve_color, max_side=max_side,
                        consistency=consistency, cut_threshold=scene_threshold, placement=common.placement())

    reporter = Reporter(common.quiet, common.json_out)

    def plan(info) -> Plan:
        return Plan(stylizer.processor(), source_rate(info, reporter.warn, stills=False), info.frame_count or None,
                    {"style": [str(Path(s).resolve()) for s in style], "strength": strength, "preserve_color": preserve_color,
                     "max_side": max_side, "consistency": consistency, "model": model, "scene_threshold": scene_threshold,
                     **stylizer.fingerprint()})

    run_model_command("stylize", inputs, common, plan, photos=True, reads=reads_of("--style", *style) + reads_of("--model", model))
