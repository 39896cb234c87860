"""Shot cuts that are not cuts: flashes, fades through black; interpolation keeps moving through fades."""


import cv2
import numpy as np
import pytest
from conftest import ff, invoke

from vidgen_cli.io.decode import open_input
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD, cut_score, find_cuts


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
    assert shots == ["fade-shot001", "fade-shot002"], result.output
    first_of_b = sorted((tmp_path / "shots" / "fade-shot002").glob("*.png"))
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


def _blocks(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """A grey picture of random cell x cell squares: every shift of it changes most pixels."""
    grey = cv2.resize(rng.integers(0, 256, (height // cell, width // cell), dtype=np.uint8), (width, height),
                      interpolation=cv2.INTER_NEAREST)
    return np.dstack([grey] * 3)


def _pan_then_cut(step: int = 16) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """12 frames of a fast pan (`step` pixels per frame at 640x360, 2.5% of the width: a 5 fps clip of
    a quick pan), then 12 frames of another shot panning the same way."""
    rng = np.random.default_rng(0)
    a, b = _blocks(rng, 360, 2400, 20), _blocks(rng, 360, 1200, 20)
    return [a[:, i * step:i * step + 640] for i in range(12)], [b[:, i * step:i * step + 640] for i in range(12)]


def test_fast_motion_at_a_low_frame_rate_is_not_a_cut_and_a_cut_still_is():
    shot_a, shot_b = _pan_then_cut()
    assert find_cuts(shot_a + shot_b) == [12]  # the plain mean difference also cut at 10 and 19
    scores = [cut_score(p, q) for p, q in zip(shot_a, shot_a[1:])]
    assert max(scores) < 0.8 * DEFAULT_THRESHOLD  # 0.17 (a 1.6-pixel shift on the thumbnail); the plain mean difference: 0.43
    assert cut_score(shot_a[-1], shot_b[0]) > 1.4 * DEFAULT_THRESHOLD


def test_split_scenes_cuts_a_low_frame_rate_pan_only_at_its_cut(tmp_path):
    shot_a, shot_b = _pan_then_cut()
    for i, frame in enumerate(shot_a + shot_b):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), frame)
    clip = tmp_path / "pan5fps.mp4"
    ff("-framerate", "5", "-i", tmp_path / "%03d.png", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
       "-pix_fmt", "yuv420p", clip)
    result = invoke("split", clip, "-o", tmp_path / "shots/", "--scenes", "--json", "--preset", "ultrafast")
    assert len(list((tmp_path / "shots").glob("*.mp4"))) == 2, result.output
    assert '"cuts": [2.4' in result.output.replace(" ", "").replace('"cuts":[', '"cuts": [')
