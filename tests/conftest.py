"""Fixtures: small clips synthesized with the bundled ffmpeg, so the tests need no data files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from vidgen_cli.io import ffmpeg

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def make_clip(path: Path, *, size: str = "64x48", rate: str = "24", seconds: float = 1.0, audio: bool = False,
              extra_video: list[str] | None = None, codec: list[str] | None = None, source: str = "testsrc2") -> Path:
    """Encode a synthetic clip; returns its path."""
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", f"{source}=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    if _odd(size):  # the test sources round odd sizes down, so scale explicitly
        args += ["-vf", "scale=" + size.replace("x", ":")]
    args += extra_video or []
    args += codec or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p" if _odd(size) else "yuv420p"]
    if audio:
        args += ["-c:a", "aac"]
    args.append(str(path))
    subprocess.run(args, check=True)
    return path


def _odd(size: str) -> bool:
    return any(int(v) % 2 for v in size.split("x"))


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A few clips shared by the tests (treat them as read-only)."""
    root = tmp_path_factory.mktemp("clips")
    return {
        "plain": make_clip(root / "plain.mp4", seconds=1.0),
        "audio": make_clip(root / "audio.mp4", size="96x64", rate="30000/1001", seconds=2.0, audio=True),
        "odd": make_clip(root / "odd.mp4", size="63x47", rate="25", seconds=1.0),
        "vfr": make_clip(root / "vfr.mkv", size="64x48", rate="30", seconds=2.0,
                         extra_video=["-vf", "select=not(eq(mod(n\\,4)\\,1))", "-fps_mode", "vfr"]),
        "webm": make_clip(root / "clip.webm", size="64x48", rate="25", seconds=1.0,
                          codec=["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "200k"]),
        "cut": make_cut_clip(root / "cut.mp4"),
    }


def make_cut_clip(path: Path) -> Path:
    """One second of a test pattern, then one second of a different, flat-coloured scene."""
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24:duration=1",
            "-f", "lavfi", "-i", "color=c=red:size=64x48:rate=24:duration=1",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True)
    return path


def decode_all(path: Path | str) -> list:
    from vidgen_cli.io.decode import open_input

    with open_input(path) as reader:
        return list(reader)


def invoke(*args):
    """Run the CLI in-process with `args` (str()-ed); assert it exits 0 and return the result."""
    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def ff(*args) -> None:
    """Run the bundled ffmpeg quietly on `args` (str()-ed); raise if it fails."""
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *map(str, args)], check=True)
