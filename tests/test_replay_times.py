"""`motion replay` of a still keeps a variable-rate motion's own frame times (the motion file's `t`)."""

import numpy as np
from conftest import ff, invoke

from vidgen_cli.io.probe import probe
from vidgen_cli.motion.path import load


def test_a_still_replayed_with_a_vfr_motion_plays_at_the_motions_times(tmp_path):
    vfr = tmp_path / "vfr.mp4"  # 30 fps for 1.5 s, then every third frame (10 fps): 60 frames over 3 s
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=30:d=3", "-vf", "select='lt(t,1.5)+not(mod(n,3))',scroll=h=0.005",
       "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", vfr)
    invoke("motion", "capture", vfr, "-o", tmp_path / "m.json")
    motion = load(tmp_path / "m.json")
    assert motion.variable_rate()
    still = tmp_path / "still.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64", "-frames:v", "1", still)
    for name in ("r.mp4", "r.mkv"):
        invoke("motion", "replay", still, "--motion", tmp_path / "m.json", "-o", tmp_path / name, "--preset", "ultrafast")
        info = probe(tmp_path / name)
        assert info.frame_count == len(motion)
        assert np.abs(info.timestamps - (motion.times - motion.times[0])).max() < 0.002, name
        assert abs(info.duration - probe(vfr).duration) < 0.05, name  # as long as the captured clip


def test_a_constant_rate_motion_stays_on_its_even_grid(tmp_path):
    clip = tmp_path / "cfr.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=24:d=0.5", "-vf", "scroll=h=0.01", "-c:v", "libx264", "-preset", "ultrafast", clip)
    invoke("motion", "capture", clip, "-o", tmp_path / "m.json")
    assert not load(tmp_path / "m.json").variable_rate()
    still = tmp_path / "still.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64", "-frames:v", "1", still)
    invoke("motion", "replay", still, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4", "--preset", "ultrafast")
    info = probe(tmp_path / "r.mp4")
    assert info.fps == 24 and not info.vfr and info.frame_count == 12
