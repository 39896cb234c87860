"""Options shared by every command, declared once (Typer reads them from the type annotations)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Optional

import typer

from vidgen_cli.errors import UsageError

Inputs = Annotated[list[str], typer.Argument(help="Video files, frame folders, folders of those, globs, or - for stdin.", show_default=False)]
Output = Annotated[str, typer.Option("-o", "--output", help="Output path; a folder or a {stem} template for several inputs; - for stdout.", show_default=False)]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes on stderr.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object per input (and a summary) on stdout.")]
SkipExisting = Annotated[bool, typer.Option("--skip-existing", help="With several inputs, skip those whose output exists.")]
FailFast = Annotated[bool, typer.Option("--fail-fast", help="With several inputs, stop at the first failure.")]
Codec = Annotated[Optional[str], typer.Option("--codec", help="Video encoder (default libx264; VP9 for .webm).", rich_help_panel="Encoding")]
Crf = Annotated[int, typer.Option("--crf", help="Constant rate factor: lower is better quality.", rich_help_panel="Encoding")]
Preset = Annotated[str, typer.Option("--preset", help="Encoder speed preset (x264/x265).", rich_help_panel="Encoding")]
PixFmt = Annotated[Optional[str], typer.Option("--pix-fmt", help="Pixel format (default yuv420p; yuv444p for odd sizes).", rich_help_panel="Encoding")]
NoAudio = Annotated[bool, typer.Option("--no-audio", help="Drop the audio instead of carrying it through.")]
StreamFormat = Annotated[str, typer.Option("--format", help="Container when writing to stdout (-o -): nut, y4m, matroska, mpegts.", rich_help_panel="Encoding")]
Device = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.", rich_help_panel="Model")]
Half = Annotated[bool, typer.Option("--half", help="Half precision (CUDA only).", rich_help_panel="Model")]


def parse_rate(text: str | None, option: str = "--fps") -> Fraction | None:
    """'30', '29.97' or '30000/1001' as an exact Fraction."""
    if text is None:
        return None
    try:
        value = Fraction(text) if "/" in text else Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{option} {text}: not a number; use e.g. 30, 29.97 or 30000/1001") from None
    if value <= 0:
        raise UsageError(f"{option} {text}: must be greater than 0")
    return value


def parse_time(text: str | None, option: str) -> float | None:
    """Seconds ('12.5') or hh:mm:ss.ms ('00:01:02.500')."""
    if text is None:
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise UsageError(f"{option} {text}: not a time; use seconds (12.5) or hh:mm:ss.ms") from None
    if len(parts) > 3 or any(p < 0 for p in parts):
        raise UsageError(f"{option} {text}: not a time; use seconds (12.5) or hh:mm:ss.ms")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its last finished segment.")]
SceneThreshold = Annotated[float, typer.Option("--scene-threshold", help="Shot-cut threshold (0-255 content change); temporal work never crosses a cut.")]
