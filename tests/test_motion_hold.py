"""A flash (or any featureless frame) in the middle of a shot holds the camera path there, said in
one line; tracking that never recovers still fails (tests/test_motion.py)."""

import json

from conftest import invoke
from sync import make_sync_clip

from vidgen_cli.io.probe import probe


def test_stabilize_holds_the_path_over_a_flash_frame(tmp_path):
    clip = make_sync_clip(tmp_path / "v.mp4", events=(1.0, 2.0))
    result = invoke("motion", "stabilize", clip, "-o", tmp_path / "s.mp4")
    lines = [line for line in result.output.splitlines() if "tracking lost" in line]
    assert len(lines) == 1 and "frame 30 (1.00 s)" in lines[0] and "held" in lines[0], result.output
    assert probe(tmp_path / "s.mp4").frame_count == 90


def test_capture_holds_the_path_over_a_flash_frame(tmp_path):
    clip = make_sync_clip(tmp_path / "v.mkv", seconds=2.0, events=(1.0,))
    result = invoke("motion", "capture", clip, "-o", tmp_path / "m.json")
    assert sum("tracking lost" in line for line in result.output.splitlines()) == 1, result.output
    frames = json.loads((tmp_path / "m.json").read_text())["frames"]
    assert len(frames) == 60
    held = [n for n in range(1, 60) if frames[n]["H"] == frames[n - 1]["H"]]
    assert 30 in held, held  # the flash frame keeps the frame before's position
