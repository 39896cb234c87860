"""A short demo clip and style image that vidgen generates itself with the bundled ffmpeg
(nothing is downloaded), and the demo run over them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg


def _generate(args: list[str], what: str) -> None:
    result = ffmpeg.run(args)
    if result.returncode != 0:
        raise EncodeError(f"could not make the demo {what}: {ffmpeg.last_error_line(result.stderr)}")


def make_demo_clip(path: Path, seconds: float = 3.0, size: str = "320x240", fps: int = 24) -> Path:
    """A moving test pattern with a tone: motion for the models, audio to carry through."""
    _generate(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
               "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-c:a", "aac", "-shortest", str(path)], "clip")
    return path


def make_demo_style(path: Path) -> Path:
    """A colourful fractal to use as a style image."""
    _generate(["-f", "lavfi", "-i", "mandelbrot=size=256x256:end_scale=0.3:rate=1", "-frames:v", "1", str(path)], "style image")
    return path


def run_demo(folder: Path, placement, warn: Callable[[str], None]) -> dict[str, Path]:
    """Interpolate the demo clip 2x and stylize it with the generated style; returns the outputs."""
    from fractions import Fraction

    from vidgen_cli.interpolate.processor import Interpolator
    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.io.probe import probe
    from vidgen_cli.runtime.job import OutputSettings, run_job
    from vidgen_cli.stylize.processor import Stylizer

    clip = make_demo_clip(folder / "input.mp4")
    style = make_demo_style(folder / "style.png")
    info = probe(clip)
    settings = OutputSettings(encode=EncodeOptions(preset="veryfast"))
    outputs = {"input": clip, "style": style, "interpolated": folder / "interpolated_x2.mp4", "stylized": folder / "stylized.mp4"}
    fps = info.fps or Fraction(24)
    run_job(str(clip), str(outputs["interpolated"]), Interpolator(placement=placement).processor(fps, 2), fps * 2,
            settings, {"demo": "interpolate"}, info=info, warn=warn)
    run_job(str(clip), str(outputs["stylized"]), Stylizer([style], placement=placement).processor(), fps,
            settings, {"demo": "stylize"}, info=info, warn=warn)
    return outputs
