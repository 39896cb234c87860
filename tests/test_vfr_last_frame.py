"""A variable-rate clip's last frame keeps its own duration in every output: 1.5 s at 30 fps, then
1.5 s at 10 fps, so the last frame (2.9 s) lasts 100 ms and the video ends at 3.0 s. The timed pipe
gave no frame a duration and the NUT segments keep none, so ffmpeg guessed 1/30 s: the video ended
at 2.933 s (split -> stitch, stylize), 2.967 s (interpolate)."""

import re
import subprocess

import pytest
from conftest import ff, invoke

from vidgen_cli.io import ffmpeg


def joined(root, parts, timescale: int, name: str):
    """Test-pattern parts (rate, seconds) encoded apart and joined by stream copy into root/name
    (each part keeps its own rate), with style.png beside it."""
    for number, (rate, seconds) in enumerate(parts):
        ff("-f", "lavfi", "-i", f"testsrc2=s=96x64:r={rate}:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-video_track_timescale", timescale, root / f"{number}.mp4")
    (root / "l.txt").write_text("".join(f"file {number}.mp4\n" for number in range(len(parts))))
    ff("-f", "concat", "-i", root / "l.txt", "-c:v", "copy", root / name)
    ff("-f", "lavfi", "-i", "mandelbrot=s=64x64", "-frames:v", "1", root / "style.png")
    return root / name


@pytest.fixture(scope="module")
def vfr(tmp_path_factory):
    return joined(tmp_path_factory.mktemp("vfr-end"), [(30, 1.5), (10, 1.5)], 30000, "vfr.mp4")


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


# A last frame whose duration differs from the step before it: 12.5 fps for 1 s, then one frame of
# 25 fps, so the last frame (1.04 s) lasts 40 ms after an 80 ms step and the video ends at 1.08 s.
# The frames sit on the 12.5 fps grid (not VFR), so stitch took the even-rate path and the model
# commands the constant-rate one: the last frame lasted 80 ms and the video ended at 1.12 s.
@pytest.fixture(scope="module")
def short_last(tmp_path_factory):
    return joined(tmp_path_factory.mktemp("short-last"), [("12.5", 1), (25, 0.04)], 25000, "short.mp4")


def packets(path) -> list[tuple[float, float]]:
    """(PTS, duration) of each video packet in seconds, in presentation order (ffmpeg's framecrc)."""
    result = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
                            capture_output=True, text=True, check=True)
    base = re.search(r"#tb 0: (\d+)/(\d+)", result.stdout)
    scale = int(base.group(1)) / int(base.group(2))
    rows = [line.split(",") for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return sorted((int(row[2]) * scale, int(row[3]) * scale) for row in rows)


def test_the_short_last_frame_source(short_last):
    last = packets(short_last)[-2:]
    assert [round(t, 3) for t, _ in last] == [0.96, 1.04] and [round(d, 3) for _, d in last] == [0.08, 0.04]
    assert video_end(short_last) == pytest.approx(1.08, abs=0.002)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm", ".mov", ".gif"])
def test_split_then_stitch_keeps_a_last_frame_shorter_than_the_step_before_it(short_last, tmp_path, suffix):
    invoke("split", short_last, "-o", tmp_path / "f")
    out = tmp_path / f"o{suffix}"
    invoke("stitch", tmp_path / "f", "-o", out, "--preset", "ultrafast")
    times = packets(out)
    assert len(times) == 14
    assert times[-2][0] == pytest.approx(0.96, abs=0.002) and times[-1][0] == pytest.approx(1.04, abs=0.002)
    assert times[-1][1] == pytest.approx(0.04, abs=0.002)  # was 0.08, the step before it
    assert video_end(out) == pytest.approx(1.08, abs=0.011)  # was 1.12


@pytest.mark.parametrize("suffix", [".avi", ".y4m"])
def test_a_one_rate_container_says_it_ends_the_last_frame_on_its_grid(short_last, tmp_path, suffix):
    invoke("split", short_last, "-o", tmp_path / "f")
    result = invoke("stitch", tmp_path / "f", "-o", tmp_path / f"o{suffix}")
    assert "holds only a constant frame rate: the last frame ends on the 12.500 fps grid" in result.output


def test_model_commands_keep_a_last_frame_shorter_than_the_step_before_it(short_last, tmp_path):
    out = tmp_path / "s.mp4"
    invoke("stylize", short_last, "-s", short_last.with_name("style.png"), "--max-side", "64", "-o", out, "--preset", "ultrafast")
    assert packets(out)[-1][1] == pytest.approx(0.04, abs=0.002) and video_end(out) == pytest.approx(1.08, abs=0.011)  # was 1.12
    out = tmp_path / "i.mkv"
    invoke("interpolate", short_last, "-o", out, "--model", "blend", "--preset", "ultrafast")
    times = packets(out)
    assert times[-1][0] == pytest.approx(1.06, abs=0.002)  # halfway through the last 40 ms, not 1.08
    assert video_end(out) == pytest.approx(1.08, abs=0.011)  # was 1.12


def test_a_held_last_frame_keeps_its_duration(tmp_path):
    """The other way: 25 fps whose last frame is held 200 ms (a still at the end) ends at 1.16 s, not 1.0."""
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-bsf:v", "setts=duration=if(gte(PTS*TB\\,0.959)\\,0.2/TB\\,DURATION)",
       tmp_path / "held.mp4")
    assert video_end(tmp_path / "held.mp4") == pytest.approx(1.16, abs=0.002)
    invoke("split", tmp_path / "held.mp4", "-o", tmp_path / "f")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "o.mkv", "--preset", "ultrafast")
    assert packets(tmp_path / "o.mkv")[-1][1] == pytest.approx(0.2, abs=0.002)
    assert video_end(tmp_path / "o.mkv") == pytest.approx(1.16, abs=0.011)


def test_a_variable_rate_clip_whose_last_step_differs_keeps_it(tmp_path):
    """25 fps for 0.5 s before the short-last clip (VFR: 40, 80, then a 40 ms last frame) ends at 1.6 s."""
    source = joined(tmp_path, [(25, 0.5), ("12.5", 1), (25, 0.04)], 25000, "vfr.mp4")
    invoke("split", source, "-o", tmp_path / "f")
    for suffix in (".mp4", ".mkv"):
        invoke("stitch", tmp_path / "f", "-o", tmp_path / f"o{suffix}", "--preset", "ultrafast")
        last = packets(tmp_path / f"o{suffix}")[-2:]
        assert [round(t, 2) for t, _ in last] == [1.48, 1.56] and last[-1][1] == pytest.approx(0.04, abs=0.002)
        assert video_end(tmp_path / f"o{suffix}") == pytest.approx(1.6, abs=0.011)
