"""A variable-rate clip's last frame keeps its own duration in every output: 1.5 s at 30 fps, then
1.5 s at 10 fps, so the last frame (2.9 s) lasts 100 ms and the video ends at 3.0 s. The timed pipe
gave no frame a duration and the NUT segments keep none, so ffmpeg guessed 1/30 s: the video ended
at 2.933 s (split -> stitch, stylize), 2.967 s (interpolate)."""

import re
import subprocess

import pytest
from conftest import ff, invoke

from vidgen_cli.io import ffmpeg


@pytest.fixture(scope="module")
def vfr(tmp_path_factory):
    root = tmp_path_factory.mktemp("vfr-end")
    for name, rate in (("a", 30), ("b", 10)):
        ff("-f", "lavfi", "-i", f"testsrc2=s=96x64:r={rate}:d=1.5", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-video_track_timescale", "30000", root / f"{name}.mp4")
    (root / "l.txt").write_text("file a.mp4\nfile b.mp4\n")
    ff("-f", "concat", "-i", root / "l.txt", "-c:v", "copy", root / "vfr.mp4")
    ff("-f", "lavfi", "-i", "mandelbrot=s=64x64", "-frames:v", "1", root / "style.png")
    return root / "vfr.mp4"


def video_end(path) -> float:
    """The file's duration as ffmpeg reads it (video only: the MP4 edit list, Matroska's last block end)."""
    result = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", result.stderr).groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_the_source_ends_at_three_seconds(vfr):
    assert video_end(vfr) == pytest.approx(3.0, abs=0.011)


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".mov", ".webm"])
def test_split_then_stitch_keeps_the_last_frame_duration(vfr, tmp_path, suffix):
    invoke("split", vfr, "-o", tmp_path / "f")
    out = tmp_path / f"o{suffix}"
    invoke("stitch", tmp_path / "f", "-o", out, "--preset", "ultrafast")
    assert video_end(out) == pytest.approx(3.0, abs=0.011)  # was 2.93


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_model_commands_keep_the_last_frame_duration(vfr, tmp_path, suffix):
    out = tmp_path / f"i{suffix}"
    invoke("interpolate", vfr, "-o", out, "--model", "blend", "--preset", "ultrafast")
    assert video_end(out) == pytest.approx(3.0, abs=0.011)  # was 2.97
    out = tmp_path / f"s{suffix}"
    invoke("stylize", vfr, "-s", vfr.with_name("style.png"), "--max-side", "64", "--end", "2", "-o", out, "--preset", "ultrafast")
    assert video_end(out) == pytest.approx(2.0, abs=0.011)  # was 1.93: the frame at 1.9 s lasts to --end


def test_a_start_cut_keeps_the_last_frame_duration(vfr, tmp_path):
    out = tmp_path / "i.mkv"
    invoke("interpolate", vfr, "-o", out, "--model", "blend", "--start", "1", "--preset", "ultrafast")
    assert video_end(out) == pytest.approx(2.0, abs=0.011)  # 1.0 .. 3.0 (was 1.9 + 1/20.3 average rate)
