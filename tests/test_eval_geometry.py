"""`eval` of a test whose picture differs by its geometry, not its pixels: a display rotation (both
inputs are decoded upright; a 90 degree one said "sizes differ ... pass --resize", which then scored
3 dB of garbage) or a display aspect (a SAR 4:3 copy scored 100 dB without a word)."""

from __future__ import annotations

import subprocess

from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg

runner = CliRunner()


def _ff(*args) -> None:
    subprocess.run([ffmpeg.executable(), "-v", "error", "-y", *map(str, args)], check=True)


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("vidgen: warning:")]


def test_a_quarter_turned_test_is_refused_naming_the_rotation(tmp_path):
    reference = make_clip(tmp_path / "t0.mp4", size="64x48", rate="25", seconds=0.4)
    for degrees in (90, -90):
        rotated = tmp_path / f"r{degrees}.mp4"
        _ff("-display_rotation", degrees, "-i", reference, "-c", "copy", rotated)
        result = runner.invoke(app, ["eval", str(reference), str(rotated)])
        assert result.exit_code == 3, result.output
        line = result.output.strip().splitlines()[-1]
        assert "rotation" in line and "90 degrees" in line and "--resize" not in line, line


def test_a_half_turned_test_is_scored_with_one_line(tmp_path):
    reference = make_clip(tmp_path / "t0.mp4", size="64x48", rate="25", seconds=0.4)
    rotated = tmp_path / "r.mp4"
    _ff("-display_rotation", 180, "-i", reference, "-c", "copy", rotated)
    result = runner.invoke(app, ["eval", str(reference), str(rotated), "--no-vmaf"])
    assert result.exit_code == 0, result.output
    [line] = _warnings(result.output)
    assert "180 degrees" in line, line


def test_display_aspects_that_differ_get_one_line(tmp_path):
    reference = make_clip(tmp_path / "t0.mp4", size="64x48", rate="25", seconds=0.4, codec=["-c:v", "ffv1"])
    wide = tmp_path / "wide.mkv"
    _ff("-i", reference, "-vf", "setsar=4/3", "-c:v", "ffv1", wide)
    result = runner.invoke(app, ["eval", str(reference), str(wide), "--no-vmaf"])
    assert result.exit_code == 0, result.output
    [line] = _warnings(result.output)
    assert "display aspects differ" in line and "16:9" in line and "4:3" in line, line
    same = runner.invoke(app, ["eval", str(reference), str(reference), "--no-vmaf"])
    assert same.exit_code == 0 and not _warnings(same.output), same.output
