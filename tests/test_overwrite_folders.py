"""--overwrite replaces a whole output folder, so it must never take an input or a user's files with it."""

from __future__ import annotations

import shutil

import pytest

from typer.testing import CliRunner

from conftest import make_clip
from vidgen_cli.cli.app import app


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", [["split"], ["interpolate", "--factor", "2"]])
def test_overwrite_refuses_a_folder_that_holds_the_input(tmp_path, command):
    folder = tmp_path / "work"
    folder.mkdir()
    source = make_clip(folder / "a.mp4")
    result = invoke(command[0], source, "-o", f"{folder}/", *command[1:], "--overwrite")
    assert result.exit_code == 4, result.output
    assert "holds the input" in result.output
    assert source.exists() and source.stat().st_size > 0


def test_overwrite_refuses_a_folder_with_files_vidgen_does_not_write(tmp_path):
    source = make_clip(tmp_path / "a.mp4")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = invoke("split", source, "-o", f"{folder}/", "--overwrite")
    assert result.exit_code == 4, result.output
    assert "notes.txt" in result.output
    assert (folder / "notes.txt").read_text() == "keep me"


def test_overwrite_still_replaces_a_frames_folder_vidgen_wrote(tmp_path):
    source = make_clip(tmp_path / "a.mp4")
    frames = tmp_path / "frames"
    assert invoke("split", source, "-o", f"{frames}/").exit_code == 0
    assert invoke("interpolate", source, "-o", f"{frames}/", "--factor", "2", "--overwrite").exit_code == 0
    assert len(list(frames.glob("*.png"))) == 48
    shutil.rmtree(frames)
