"""Inputs that are loosely formed get a line rather than a silent guess: a hand-edited manifest
whose times go backwards (the frame landed at 0.160001 s), a frames folder with gaps in its
numbering and no manifest (the gaps closed up silently in the model commands), and a glob of
frames given to stitch (refused with a hint for an 'out/{stem}.png' template)."""

from __future__ import annotations

import json
import subprocess

from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg

runner = CliRunner()


def _frames(folder, count: int = 8) -> None:
    folder.mkdir()
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=64x48:rate=25:duration={count / 25}",
                    str(folder / "%06d.png")], check=True)


def test_a_manifest_whose_times_go_backwards_is_refused(tmp_path):
    frames = tmp_path / "f"
    assert runner.invoke(app, ["split", str(make_clip(tmp_path / "a.mp4", rate="25", seconds=0.4)), "-o", str(frames)]).exit_code == 0
    manifest = json.loads((frames / "manifest.json").read_text())
    manifest["frames"][5]["time"] = 0.1  # listed after 000005.png at 0.16 s
    (frames / "manifest.json").write_text(json.dumps(manifest))
    for command in (["stitch", str(frames), "-o", str(tmp_path / "x.mp4")],
                    ["interpolate", str(frames), "-o", str(tmp_path / "y.mp4"), "--model", "blend"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 3, result.output
        line = result.output.strip().splitlines()[-1]
        assert "backwards" in line and "000006.png" in line and "manifest.json" in line, line
        assert not (tmp_path / "x.mp4").exists()


def test_gaps_in_a_folder_without_manifest_are_named_by_the_model_commands(tmp_path):
    frames = tmp_path / "g"
    _frames(frames)
    for number in (4, 5, 6):
        (frames / f"{number:06d}.png").unlink()
    result = runner.invoke(app, ["interpolate", str(frames), "-o", str(tmp_path / "o.mp4"), "--model", "blend", "--fps", "50"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "numbering" in line]
    assert len(lines) == 1 and "4-6" in lines[0], result.output
    whole = tmp_path / "w"
    _frames(whole)
    clean = runner.invoke(app, ["interpolate", str(whole), "-o", str(tmp_path / "p.mp4"), "--model", "blend", "--fps", "50"])
    assert clean.exit_code == 0 and "numbering" not in clean.output, clean.output


def test_stitch_of_a_glob_of_frames_says_to_pass_the_folder(tmp_path):
    frames = tmp_path / "fr"
    _frames(frames)
    for pattern, some in ((f"{frames}/*.png", False), (f"{frames}/00000[1-3].png", True)):
        result = runner.invoke(app, ["stitch", pattern, "-o", str(tmp_path / "x.mp4"), "--fps", "25"])
        assert result.exit_code == 3, result.output  # an input stitch does not take, as any non-folder
        line = result.output.strip().splitlines()[-1]
        assert f"vidgen stitch {frames}/" in line and "{stem}" not in line, line
        assert ("some of its images" in line) == some, line
    listed = runner.invoke(app, ["stitch", *map(str, sorted(frames.glob("*.png"))), "-o", str(tmp_path / "x.mp4"), "--fps", "25"])
    assert listed.exit_code == 3 and "pass the folder" in listed.output, listed.output
