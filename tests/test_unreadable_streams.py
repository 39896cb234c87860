"""A stream ffmpeg names no codec for ('Audio: none, 0 channels': an MP4 cut inside the track's
sample description) can be neither copied nor decoded: every command says so in one line and
writes the rest (stitch asked ffmpeg to re-encode the 'none' audio and failed, exit 5)."""

from __future__ import annotations

from pathlib import Path

from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io.probe import probe

runner = CliRunner()


def _cut_in_audio_track(tmp_path: Path) -> Path:
    """An MP4 (index at the end) cut just before its audio track's sample description."""
    data = make_clip(tmp_path / "whole.mp4", size="64x48", rate="25", seconds=2.0, audio=True).read_bytes()
    audio_track = data.rfind(b"trak")
    assert data.find(b"moov") < audio_track and b"soun" in data[audio_track:], "expected the audio track last in the index"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.find(b"stsd", audio_track) - 4])
    return cut


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "cannot be read" in line]


def test_split_and_stitch_name_the_unreadable_audio_and_write_the_video(tmp_path):
    cut = _cut_in_audio_track(tmp_path)
    info = probe(cut)
    assert info.frame_count == 50 and not info.audio and "audio #1" in (info.unreadable or "")
    split = runner.invoke(app, ["split", str(cut), "-o", str(tmp_path / "f") + "/"])
    assert split.exit_code == 0, split.output
    assert len(_warnings(split.output)) == 1 and "audio #1" in _warnings(split.output)[0], split.output
    for name in ("x.mp4", "x.mkv"):
        stitch = runner.invoke(app, ["stitch", str(tmp_path / "f"), "-o", str(tmp_path / name)])
        assert stitch.exit_code == 0, stitch.output
        assert len(_warnings(stitch.output)) == 1, stitch.output
        written = probe(tmp_path / name)
        assert written.frame_count == 50 and not written.audio


def test_a_model_command_names_the_unreadable_audio_and_writes_the_video(tmp_path):
    cut = _cut_in_audio_track(tmp_path)
    result = runner.invoke(app, ["interpolate", str(cut), "-o", str(tmp_path / "o.mp4"), "--model", "blend", "--factor", "2"])
    assert result.exit_code == 0, result.output
    assert len(_warnings(result.output)) == 1, result.output
    written = probe(tmp_path / "o.mp4")
    assert written.frame_count == 100 and not written.audio
