"""Options shared by every command, declared once (Typer reads them from the type annotations)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Annotated, Any, Optional

import typer

from vidgen_cli.errors import UsageError

VideoInputs = Annotated[list[str], typer.Argument(metavar="VIDEO...", show_default=False,
                       help="Video files, folders of videos, globs, or - for a stream on stdin (nut, y4m, matroska, mpegts).")]
FrameFolderInputs = Annotated[list[str], typer.Argument(metavar="FOLDER...", show_default=False,
                              help="Folders of frames (as `vidgen split` writes them, or any numbered images), or folders of those.")]
MediaInputs = Annotated[list[str], typer.Argument(metavar="INPUT...", show_default=False,
                        help="Video files, frame folders, folders of those, globs, or - for a stream on stdin.")]
StylizeInputs = Annotated[list[str], typer.Argument(metavar="INPUT...", show_default=False,
                          help="Videos, images, frame folders, folders of those, globs, or - for stdin. A folder of photos of different sizes, or any folder of images with a {stem} output template, is stylized photo by photo, each keeping its size and name.")]
ProbeInputs = Annotated[list[str], typer.Argument(metavar="INPUT...", show_default=False,
                        help="Videos, frame folders or images (folders of those and globs too), or - for a stream on stdin (read to its end first).")]
OUTPUT_HELP = ("Output: a video, an image (one frame in), a folder name ending in / for frames, or - for stdout. "
               "Several inputs: a folder, or a template such as 'out/{stem}.mp4' ({stem}, {name}, {ext}: the input's name without and with its extension, and the extension without its dot (mp4); other braces are literal; missing folders are created).")


def output_option(help: str = OUTPUT_HELP) -> Any:
    return Annotated[str, typer.Option("-o", "--output", metavar="PATH", show_default=False, help=help)]


Output = output_option()
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes on stderr; warnings (what is not kept or is assumed) and errors still print.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object per input and a summary object on stdout.")]
ProbeJson = Annotated[bool, typer.Option("--json", help="Probe always prints one JSON object per input; --json also ends with the summary object, as every command.")]
SkipExisting = Annotated[bool, typer.Option("--skip-existing", help="With several inputs, skip those whose output exists.")]
FailFast = Annotated[bool, typer.Option("--fail-fast", help="With several inputs, stop at the first failure.")]
Shard = Annotated[Optional[str], typer.Option("--shard", metavar="K/N",
                  help="Process the K-th of N parts of the sorted inputs; workers sharing -o never process an input twice.")]
Codec = Annotated[Optional[str], typer.Option("--codec", metavar="NAME", help="Video encoder: libx264 (default), libx265, libvpx-vp9 (default for .webm), ffv1 (lossless), ...", rich_help_panel="Encoding")]
Crf = Annotated[int, typer.Option("--crf", metavar="N", help="Constant rate factor: lower is better quality and bigger files.", rich_help_panel="Encoding")]
Preset = Annotated[str, typer.Option("--preset", metavar="NAME", help="Encoder speed preset (x264/x265): ultrafast ... veryslow.", rich_help_panel="Encoding")]
PixFmt = Annotated[Optional[str], typer.Option("--pix-fmt", metavar="FORMAT", help="Pixel format (default: the source's chroma and depth where the codec takes them, else yuv420p; yuv444p for odd sizes; yuv420p plays everywhere).", rich_help_panel="Encoding")]
NoAudio = Annotated[bool, typer.Option("--no-audio", help="Drop the audio instead of carrying it through.")]
StreamFormat = Annotated[str, typer.Option("--format", metavar="FORMAT", help="Container when writing to stdout (-o -): nut, y4m, matroska (or mkv), mpegts, mp4 (fragmented).", rich_help_panel="Encoding")]
Deinterlace = Annotated[str, typer.Option("--deinterlace", metavar="MODE", help="auto: deinterlace input flagged interlaced (bwdif) before model work; off: process fields as they are.", rich_help_panel="Decoding")]
Device = Annotated[str, typer.Option("--device", metavar="DEVICE", help="auto, cpu, cuda or cuda:N (the N-th GPU).", rich_help_panel="Model")]
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
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted run. Work is saved every 240 frames or 10 s, whichever comes first (at least 2 s of output), and when a run is stopped (Ctrl-C).", rich_help_panel="Model")]
Start = Annotated[Optional[str], typer.Option("--start", metavar="TIME", help="Process from this time (seconds or hh:mm:ss.ms, on the file's timeline as split and ffmpeg -ss read it); the audio is cut to match.", show_default=False)]
End = Annotated[Optional[str], typer.Option("--end", metavar="TIME", help="Process up to this time (seconds or hh:mm:ss.ms).", show_default=False)]


@dataclass
class Common:
    """The options every command shares, gathered by `with_common_options` into one argument."""

    output: str
    overwrite: bool = False
    skip_existing: bool = False
    fail_fast: bool = False
    shard: Optional[str] = None
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
    start: Optional[str] = None
    end: Optional[str] = None
    _placement: Any = field(default=None, init=False, repr=False)

    def span_times(self) -> tuple[float | None, float | None]:
        """--start/--end in seconds (None where not given)."""
        start, end = parse_time(self.start, "--start"), parse_time(self.end, "--end")
        if start is not None and end is not None and end <= start:
            raise UsageError(f"--end {self.end} is not after --start {self.start}")
        return start, end
    deinterlace: str = "auto"

    @property
    def deinterlace_on(self) -> bool:
        if self.deinterlace not in ("auto", "off"):
            raise UsageError(f"--deinterlace {self.deinterlace}: use auto or off")
        return self.deinterlace == "auto"

    def encode_options(self) -> Any:
        from vidgen_cli.io.encode import EncodeOptions

        if not 0 <= self.crf <= 63:
            raise UsageError(f"--crf {self.crf}: use 0 (best) to 51 for x264/x265, up to 63 for VP9/AV1")
        return EncodeOptions(codec=self.codec, crf=self.crf, preset=self.preset, pix_fmt=self.pix_fmt)

    def placement(self) -> Any:
        """Resolve --device/--half once per command; on the CPU also set torch's thread count."""
        from vidgen_cli.device import choose, set_threads

        if self._placement is None:
            self._placement = choose(self.device, self.half)
            if not self._placement.is_cuda:
                set_threads()
        return self._placement


_GROUPS: dict[str, list[tuple[str, Any]]] = {
    "output": [("output", Output), ("overwrite", Overwrite), ("skip_existing", SkipExisting), ("fail_fast", FailFast),
               ("shard", Shard), ("quiet", Quiet), ("json_out", Json)],
    "encode": [("codec", Codec), ("crf", Crf), ("preset", Preset), ("pix_fmt", PixFmt), ("stream_format", StreamFormat),
               ("no_audio", NoAudio)],
    "model": [("device", Device), ("half", Half), ("resume", Resume)],
    "resume": [("resume", Resume)],  # commands with no model (no --device/--half)
    "span": [("start", Start), ("end", End)],
    "decode": [("deinterlace", Deinterlace)],
}


def with_common_options(*groups: str, output_help: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the shared options of `groups` ('output', 'encode', 'model', 'span') to a command's
    signature and hand them to it as one `common: Common` argument, so each command lists only
    its own. `output_help` says what this command's -o takes."""
    defaults = {f.name: f.default for f in fields(Common) if f.init}

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(function, eval_str=True).parameters.values() if p.name != "common"]
        names = [name for group in groups for name, _ in _GROUPS[group]]
        shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                    annotation=output_option(output_help) if name == "output" and output_help else annotation,
                                    default=inspect.Parameter.empty if name == "output" else defaults[name])
                  for group in groups for name, annotation in _GROUPS[group]]
        positional = [p for p in own if p.default is inspect.Parameter.empty]
        optional = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is not inspect.Parameter.empty]

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            common = Common(**{name: kwargs.pop(name) for name in names})
            if "encode" in groups:  # a bad --codec/--pix-fmt is refused before models load or frames decode
                from vidgen_cli.io.encoders import check_encoding, output_muxer

                check_encoding(common.codec, common.pix_fmt, output_muxer(common.output, common.stream_format) if common.output else None)
            return function(*args, common=common, **kwargs)

        wrapper.__signature__ = inspect.Signature(positional[:1] + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional[1:]]
                                                  + shared[:1] + optional + shared[1:])  # type: ignore[attr-defined]
        return wrapper

    return decorate
