"""`vidgen eval`: score a result against a reference (PSNR, SSIM, VMAF), or a video's flicker."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from vidgen_cli.cli import options as opt
from vidgen_cli.cli.errors import debug, exit_code_for, handle_errors
from vidgen_cli.cli.report import Reporter
from vidgen_cli.errors import UsageError, VidgenError


@handle_errors
def evaluate(
    inputs: Annotated[list[str], typer.Argument(help="REFERENCE TEST (videos, frame folders or images), or VIDEO [with --flicker].", show_default=False)],
    flicker: Annotated[bool, typer.Option("--flicker", help="Temporal warping error of one video (lower is steadier); with two inputs the flow comes from the first.")] = False,
    per_frame: Annotated[bool, typer.Option("--per-frame", help="Every frame's values, not only the means.")] = False,
    resize: Annotated[bool, typer.Option("--resize", help="Scale the test to the reference's size when sizes differ.")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="When lengths differ, score only the frames both have.")] = False,
    offset: Annotated[Optional[float], typer.Option("--offset", metavar="SECONDS", help="The test's first frame lies this long after the reference's first (a cut made with --start and written from 0), as ffmpeg's -itsoffset aligns one.", show_default=False)] = None,
    vmaf: Annotated[Optional[bool], typer.Option("--vmaf/--no-vmaf", help="VMAF (libvmaf in ffmpeg); default: when the ffmpeg has it.")] = None,
    json_out: opt.Json = False,
    quiet: opt.Quiet = False,
) -> None:
    """Compare REFERENCE and TEST (given in that order) frame by frame, matched by timestamp, or measure a video's flicker."""
    from vidgen_cli.evaluate.compare import compare
    from vidgen_cli.evaluate.flicker import flicker as measure_flicker

    if len(inputs) not in (1, 2) or (len(inputs) == 1 and not flicker):
        raise UsageError("pass REFERENCE and TEST to compare them, or one VIDEO with --flicker")
    reporter = Reporter(quiet, json_out)
    try:
        with reporter.progress("eval", None) as update:
            if flicker:
                video, source = inputs[-1], (inputs[0] if len(inputs) == 2 else None)
                if offset is not None and source is None:
                    raise UsageError("--offset places the test against a reference; pass REFERENCE and VIDEO with --flicker, or drop --offset")
                record = measure_flicker(video, source, resize, partial, on_frame=update, offset=offset).to_json(per_frame)
            else:
                comparison = compare(inputs[0], inputs[1], resize, partial, vmaf, on_frame=update, offset=offset)
                for line in comparison.notes:
                    reporter.warn(line)
                if comparison.matching is not None:
                    reporter.note(comparison.matching.line())
                    if comparison.matching.note:
                        reporter.warn(comparison.matching.note)
                if comparison.vmaf_note and vmaf is None:
                    reporter.note(comparison.vmaf_note)
                record = comparison.to_json(per_frame)
    except VidgenError as exc:
        if not json_out or debug():
            raise
        code = exit_code_for(exc)  # the one stderr line, and with --json the record saying what failed
        names = {"video": inputs[-1]} if flicker else {"reference": inputs[0], "test": inputs[1]}
        reporter.emit({**names, "error": str(exc), "exit_code": code})
        raise typer.Exit(code) from None
    if json_out:  # one object: the means (psnr, ssim, vmaf; or warping_error), marked as the summary like other commands' last line
        typer.echo(json.dumps({**record, "summary": True}))
        return
    for row in record.get("per_frame", []):
        typer.echo("  ".join(f"{k} {v}" for k, v in row.items()))
    if flicker:
        typer.echo(f"warping error {record['warping_error']:.4f} over {record['pairs']} frame pairs (flow from {record['flow_from']})")
    else:
        vmaf_text = f"  vmaf {record['vmaf']:.2f}" if record.get("vmaf") is not None else ""
        typer.echo(f"psnr {record['psnr']:.3f} dB  ssim {record['ssim']:.4f}{vmaf_text}  "
                   f"({record['frames']} frames at {record['width']}x{record['height']})")
