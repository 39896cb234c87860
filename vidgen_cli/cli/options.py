"""Options shared by every command, declared once (Typer reads them from the type annotations)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Annotated, Any, Optional

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


@dataclass
class Common:
    """The options every command shares, gathered by `with_common_options` into one argument."""

    output: str
    overwrite: bool = False
    skip_existing: bool = False
    fail_fast: bool = False
    quiet: bool = False
    json_out: bool = False
    codec: Optional[str] = None
    crf: int = 18
    preset: str = "medium"
    pix_fmt: Optional[str] = None
    stream_format: str = "nut"
    no_audio: bool = False
    device: str = "auto"
    half: bool = False
    resume: bool = False

    def encode_options(self) -> Any:
        from vidgen_cli.io.encode import EncodeOptions

        if not 0 <= self.crf <= 63:
            raise UsageError(f"--crf {self.crf}: use 0 (best) to 51 for x264/x265, up to 63 for VP9/AV1")
        return EncodeOptions(codec=self.codec, crf=self.crf, preset=self.preset, pix_fmt=self.pix_fmt)

    def placement(self) -> Any:
        from vidgen_cli.device import choose

        return choose(self.device, self.half)


_GROUPS: dict[str, list[tuple[str, Any]]] = {
    "output": [("output", Output), ("overwrite", Overwrite), ("skip_existing", SkipExisting), ("fail_fast", FailFast),
               ("quiet", Quiet), ("json_out", Json)],
    "encode": [("codec", Codec), ("crf", Crf), ("preset", Preset), ("pix_fmt", PixFmt), ("stream_format", StreamFormat),
               ("no_audio", NoAudio)],
    "model": [("device", Device), ("half", Half), ("resume", Resume)],
    "resume": [("resume", Resume)],  # commands with no model (no --device/--half)
}


def with_common_options(*groups: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the shared options of `groups` ('output', 'encode', 'model') to a command's signature
    and hand them to it as one `common: Common` argument, so each command lists only its own."""
    defaults = {f.name: f.default for f in fields(Common)}

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(function, eval_str=True).parameters.values() if p.name != "common"]
        names = [name for group in groups for name, _ in _GROUPS[group]]
        shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                    default=inspect.Parameter.empty if name == "output" else defaults[name])
                  for group in groups for name, annotation in _GROUPS[group]]
        positional = [p for p in own if p.default is inspect.Parameter.empty]
        optional = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is not inspect.Parameter.empty]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            common = Common(**{name: kwargs.pop(name) for name in names})
            return function(*args, common=common, **kwargs)

        wrapper.__signature__ = inspect.Signature(positional[:1] + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional[1:]]
                                                  + shared[:1] + optional + shared[1:])  # type: ignore[attr-defined]
        return wrapper

    return decorate
