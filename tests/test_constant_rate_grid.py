"""A variable-rate source written to a container that holds one rate (AVI, Y4M) is put on a grid at
the rate of its fastest stretch, each tick showing the frame nearest in time: a flash lands within
half a frame of where it was (it landed 81 ms late, 1.6 frames, at the 20.3 fps average rate, and
the average dropped one frame in three of the 30 fps stretch)."""

from fractions import Fraction

import numpy as np
import pytest
from conftest import invoke
from sync import EVENTS, beep_onsets, flash_times, frame_times, make_sync_clip

from vidgen_cli.io.probe import probe
from vidgen_cli.io.rates import peak_rate


@pytest.fixture(scope="module")
def vfr(tmp_path_factory):
    return make_sync_clip(tmp_path_factory.mktemp("grid") / "v.mp4", vfr=True)  # 30 fps for 1.5 s, then 10 fps


def _on_the_grid(out, rate: Fraction) -> None:
    assert probe(str(out)).fps == rate
    times = frame_times(out)
    assert np.diff(times) == pytest.approx(float(1 / rate), abs=1e-3)
    assert flash_times(out) == pytest.approx(list(EVENTS), abs=0.5 / float(rate) + 1e-3)


@pytest.mark.parametrize("suffix", [".avi", ".y4m"])
def test_split_and_stitch_into_one_rate_keeps_each_frame_at_its_time(vfr, tmp_path, suffix):
    invoke("split", vfr, "-o", tmp_path / "f")
    out = tmp_path / f"o{suffix}"
    result = invoke("stitch", tmp_path / "f", "-o", out)
    assert "30.000 fps grid (the source's fastest stretch" in result.output
    _on_the_grid(out, Fraction(30))
    assert len(frame_times(out)) >= 88  # every source frame kept (45 at 30 fps, then each 10 fps one 3 ticks)
    if suffix == ".avi":
        assert beep_onsets(out) == pytest.approx(list(EVENTS), abs=0.005)


def test_interpolate_into_avi_puts_twice_the_peak_rate_grid(vfr, tmp_path):
    out = tmp_path / "o.avi"
    invoke("interpolate", vfr, "-o", out, "--model", "blend")
    _on_the_grid(out, Fraction(60))


def test_peak_rate_is_the_fastest_stretch_not_a_glitch_or_the_average():
    rng = np.random.default_rng(0)
    fast, slow = np.arange(45) / 30, 1.5 + np.arange(1, 16) / 10
    assert peak_rate(np.concatenate([fast, slow])) == 30
    assert peak_rate(np.round(np.arange(90) / 30, 3)) == 30  # Matroska's milliseconds: 33, 33, 34 ms
    phone = np.cumsum(np.r_[0, 1 / 30 + rng.uniform(-0.002, 0.003, 89)])  # a phone's jitter
    assert peak_rate(phone) == 30
    mostly_slow = np.concatenate([np.arange(10) / 30, 0.3 + np.arange(1, 60) / 15])  # a short 30 fps burst
    assert peak_rate(mostly_slow) == 30
    assert peak_rate(np.r_[0.0, 0.04, 0.0401, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36, 0.4]) == 25  # one glitch
    assert peak_rate([0.0]) is None


@pytest.mark.parametrize("target", ["file", "stdout"])
def test_a_piped_vfr_source_says_its_one_rate_grid_is_the_average(vfr, tmp_path, target):
    """A pipe's frame times are not known before the encode starts, so the grid is the stream's
    average rate (below the 60 fps that the file by path gets): the line must say so, not claim
    the fastest stretch keeps every frame."""
    import subprocess
    import sys
    from pathlib import Path

    from vidgen_cli.io import ffmpeg

    piped = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(vfr), "-map", "0:v", "-c", "copy", "-f", "matroska", "-"],
                           capture_output=True, check=True).stdout
    out = tmp_path / "o.y4m"
    destination = [str(out)] if target == "file" else ["-", "--format", "y4m"]
    result = subprocess.run([str(Path(sys.executable).with_name("vidgen")), "interpolate", "-", "-o", *destination, "--model", "blend"],
                            input=piped, capture_output=True)
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(line for line in result.stderr.decode().splitlines() if "holds only a constant frame rate" in line)
    assert "the stream's average rate" in line and "so no frame of it is dropped" not in line, line
    if target == "file":
        assert probe(str(out)).fps < 60
