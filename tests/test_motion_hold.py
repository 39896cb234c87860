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


def test_replay_keeps_a_target_longer_than_the_motion_holding_its_last_position(tmp_path):
    """A 1.5 s motion onto a 3 s target: all 90 frames and the 3 s of audio are kept (the beep at
    2.5 s too), the last 45 frames at the motion's last position, said in one line."""
    from sync import beep_onsets

    from conftest import make_clip

    short = make_clip(tmp_path / "short.mp4", size="160x120", rate="30", seconds=1.5)
    invoke("motion", "capture", short, "-o", tmp_path / "m.json")
    target = make_sync_clip(tmp_path / "target.mp4", seconds=3.0)
    for suffix in (".mp4", ".mkv"):
        out = tmp_path / f"rep{suffix}"
        result = invoke("motion", "replay", target, "--motion", tmp_path / "m.json", "-o", out)
        lines = [line for line in result.output.splitlines() if "hold the motion's last position" in line]
        assert len(lines) == 1 and "last 45 frames (1.50 s)" in lines[0], result.output
        info = probe(out)
        assert info.frame_count == 90, info
        assert abs(info.duration - 3.0) < 0.1, info.duration
        assert any(abs(t - 2.5) < 0.03 for t in beep_onsets(out)), beep_onsets(out)
