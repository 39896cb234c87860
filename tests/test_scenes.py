"""Shot cuts that are not cuts: flashes, fades through black; interpolation keeps moving through fades."""


import cv2
import numpy as np
import pytest
from conftest import ff, invoke

from vidgen_cli.io.decode import open_input
from vidgen_cli.vision.scenes import find_cuts


@pytest.fixture(scope="module")
def flash(tmp_path_factory):
    """2 s of a moving pattern with one white frame at 1.0 s."""
    path = tmp_path_factory.mktemp("flash") / "flash.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=2", "-vf", "drawbox=c=white:t=fill:enable='eq(n\\,25)'",
       "-c:v", "libx264", "-preset", "ultrafast", path)
    return path


@pytest.fixture(scope="module")
def fade(tmp_path_factory):
    """Shot A fading out over 0.5 s, then shot B fading in over 0.5 s (a fade through black at 1.5 s)."""
    path = tmp_path_factory.mktemp("fade") / "fade.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=1.5", "-f", "lavfi", "-i", "mandelbrot=s=160x120:r=25,trim=duration=1.5",
       "-filter_complex", "[0:v]fade=t=out:st=1.0:d=0.5[a];[1:v]fade=t=in:st=0:d=0.5,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]",
       "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", path)
    return path


def test_a_flash_frame_does_not_split_a_shot(flash, tmp_path):
    result = invoke("split", flash, "-o", tmp_path / "shots/", "--scenes", "--json", "--preset", "ultrafast")
    assert '"cuts": []' in result.output
    assert len(list((tmp_path / "shots").glob("*.mp4"))) == 1


def test_a_fade_through_black_is_one_transition(fade, tmp_path):
    result = invoke("split", fade, "-o", tmp_path / "shots/", "--scenes", "--format", "png", "--json")
    shots = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert shots == ["shot001", "shot002"], result.output
    first_of_b = sorted((tmp_path / "shots" / "shot002").glob("*.png"))
    assert 35 <= 75 - len(first_of_b) + 1 <= 40  # the cut lies in the black between 1.4 and 1.6 s


def test_interpolation_keeps_moving_through_a_fade(fade, tmp_path):
    out = tmp_path / "x2.mp4"
    invoke("interpolate", fade, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    frames = [f.astype(np.float32) for f in open_input(out)]
    steps = [float(np.abs(a - b).mean()) for a, b in zip(frames, frames[1:])]
    bright = [i for i in range(len(steps)) if frames[i].mean() > 20 and frames[i + 1].mean() > 20]
    repeated = [i for i in bright if steps[i] < 0.5]
    assert not repeated, f"output frames {repeated} repeat the previous one"


def test_detector_flash_fade_and_cut():
    rng = np.random.default_rng(0)
    a = cv2.resize(rng.integers(40, 220, (6, 8, 3), dtype=np.uint8), (128, 72), interpolation=cv2.INTER_CUBIC)
    b = 255 - a  # another picture of the same mean
    white = np.full_like(a, 250)
    shot_a = [np.roll(a, i, 1) for i in range(12)]
    shot_b = [np.roll(b, i, 0) for i in range(12)]
    assert find_cuts(shot_a + shot_b) == [12]
    assert find_cuts(shot_a[:6] + [white, white] + shot_a[6:]) == []  # a two-frame flash
    dip = [(shot_a[-1] * k).astype(np.uint8) for k in (0.6, 0.3, 0.05, 0.02)]
    assert find_cuts(shot_a + dip + shot_a[::-1]) == []  # a dip to black and back into the same shot
    assert find_cuts(shot_a + dip + [(f * 0.3).astype(np.uint8) for f in shot_b[:2]] + shot_b) == [15]  # A, black (14, 15), B: one cut in the black
