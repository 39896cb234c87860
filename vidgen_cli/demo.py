"""A short demo clip that vidgen generates itself with the bundled ffmpeg (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg


def make_demo_clip(path: Path, seconds: float = 3.0, size: str = "320x240", fps: int = 24) -> Path:
    """A moving test pattern with a tone: motion for the models, audio to carry through."""
    result = ffmpeg.run([
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-c:a", "aac", "-shortest", str(path),
    ])
    if result.returncode != 0:
        raise EncodeError(f"could not make the demo clip: {ffmpeg.last_error_line(result.stderr)}")
    return path
