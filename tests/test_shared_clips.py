"""Integration over every real clip in ../shared/data/video (skipped when the folder is absent):
probe, decode every frame, and a split + stitch round trip that keeps frame count and duration."""

import pytest
from conftest import SHARED_DATA
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.probe import probe

VIDEO_DIR = SHARED_DATA / "video"
CLIPS = sorted(VIDEO_DIR.iterdir()) if VIDEO_DIR.is_dir() else []
pytestmark = [pytest.mark.integration, pytest.mark.skipif(not CLIPS, reason="../shared/data/video is absent")]


@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name)
def test_probe_and_decode_every_frame(clip):
    info = probe(clip)
    assert info.fps and info.frame_count > 0 and info.width > 0
    count = 0
    with open_input(clip, info=info) as reader:
        for frame in reader:
            assert frame.shape == (info.height, info.width, 3)
            count += 1
    assert count == info.frame_count


@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name)
def test_split_stitch_round_trip(clip, tmp_path):
    source = probe(clip)
    runner = CliRunner()
    frames, out = tmp_path / "frames", tmp_path / "back.mkv"
    result = runner.invoke(app, ["split", str(clip), "-o", str(frames), "--format", "jpg", "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(out), "--preset", "ultrafast", "--crf", "30", "-q"])
    assert result.exit_code == 0, result.output
    back = probe(out)
    assert back.frame_count == source.frame_count
    assert abs(back.duration - source.duration) <= 1.01 / float(source.fps)
    assert back.has_audio == source.has_audio
