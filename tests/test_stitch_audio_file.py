"""`stitch --audio FILE` of a folder split after a --start: the file is on the source's timeline
(cut where the manifest puts the first frame), said in one line with how early it ends;
--audio-from-start starts it with the first frame instead."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import ff, invoke
from sync import beep_onsets, make_sync_clip

from vidgen_cli.cli.app import app


@pytest.fixture(scope="module")
def folder_and_music(tmp_path_factory):
    root = tmp_path_factory.mktemp("stitch_audio")
    clip = make_sync_clip(root / "v.mp4", rate=25, seconds=3.0, audio=False)
    invoke("split", clip, "-o", root / "fp", "--start", 0.8, "--end", 3)  # 2.2 s of frames from 0.8 s
    music = root / "music.m4a"  # 2 s of music with a beep at 1.5 s
    ff("-f", "lavfi", "-i", "aevalsrc='if(between(t,1.5,1.55),0.8*sin(2*PI*1000*t),0)':s=44100:d=2", "-c:a", "aac", music)
    return root / "fp", music


def _warnings(output: str, music) -> list[str]:
    return [line for line in output.splitlines() if f"--audio {music}" in line]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_audio_file_after_a_start_is_cut_there_and_said(folder_and_music, tmp_path, suffix):
    folder, music = folder_and_music
    out = tmp_path / f"cut{suffix}"
    result = invoke("stitch", folder, "-o", out, "--audio", music)
    lines = _warnings(result.output, music)
    assert len(lines) == 1, result.output
    assert "cut at 0.800 s" in lines[0] and "ends 1.000 s before the picture" in lines[0] and "--audio-from-start" in lines[0]
    assert [round(t, 2) for t in beep_onsets(out)] == [pytest.approx(0.7, abs=0.03)]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_audio_from_start_places_the_file_at_the_first_frame(folder_and_music, tmp_path, suffix):
    folder, music = folder_and_music
    out = tmp_path / f"from0{suffix}"
    result = invoke("stitch", folder, "-o", out, "--audio", music, "--audio-from-start")
    lines = _warnings(result.output, music)
    assert len(lines) == 1 and "cut at" not in lines[0] and "ends 0.200 s before the picture" in lines[0], result.output
    assert beep_onsets(out) == [pytest.approx(1.5, abs=0.03)]


def test_audio_from_start_needs_an_audio_file(folder_and_music, tmp_path):
    folder, _ = folder_and_music
    result = CliRunner().invoke(app, ["stitch", str(folder), "-o", str(tmp_path / "x.mp4"), "--audio-from-start"])
    assert result.exit_code == 2 and "--audio FILE" in result.stderr and not (tmp_path / "x.mp4").exists()


def test_a_short_audio_file_is_said_for_a_folder_that_starts_at_zero(folder_and_music, tmp_path):
    """The file running out before the picture is said whatever the folder's start (and without a manifest)."""
    root, music = folder_and_music[0].parent, folder_and_music[1]
    clip = make_sync_clip(root / "w.mp4", rate=25, seconds=3.0, audio=False)
    folder = tmp_path / "whole"
    invoke("split", clip, "-o", folder)  # 3 s of frames from 0
    result = invoke("stitch", folder, "-o", tmp_path / "whole.mp4", "--audio", music)
    lines = _warnings(result.output, music)
    assert len(lines) == 1 and "cut at" not in lines[0] and "ends 1.000 s before the picture" in lines[0], result.output
    (folder / "manifest.json").unlink()
    result = invoke("stitch", folder, "-o", tmp_path / "bare.mp4", "--audio", music, "--fps", 25)
    assert any("ends 1.000 s before the picture" in line for line in _warnings(result.output, music)), result.output
