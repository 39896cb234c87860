"""The torch motion estimator (models/flow.py) and the one place that picks an estimator (optical_flow.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from vidgen_cli import optical_flow
from vidgen_cli.device import Placement
from vidgen_cli.errors import UsageError
from vidgen_cli.models.flow import TorchFlow, preset
from vidgen_cli.optical_flow import DeviceFlow
from vidgen_cli.vision.flow import DISFlow


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0), 2.0)


def moved(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """image moved by the 2x3 affine `matrix` (a point x of `image` lands at matrix @ [x, 1])."""
    h, w = image.shape
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def estimate(first: np.ndarray, second: np.ndarray, dtype=torch.float32, **changes) -> np.ndarray:
    """TorchFlow (medium, full resolution) first -> second as an H x W x 2 float64 array."""
    module = TorchFlow(preset("medium", finest_scale=0, **changes))
    t0, t1 = (torch.from_numpy(a).to(dtype)[None, None] for a in (first, second))
    return module(t0, t1)[0].permute(1, 2, 0).double().numpy()


def test_a_translation_is_recovered_to_a_tenth_of_a_pixel():
    big = texture(200, 280)
    shift = (3.3, -1.7)
    first = big[20:-20, 20:-20]
    second = moved(big, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]))[20:-20, 20:-20]
    flow = estimate(first, second)[12:-12, 12:-12]  # away from the borders that content leaves
    error = np.hypot(flow[..., 0] - shift[0], flow[..., 1] - shift[1])
    assert error.mean() < 0.1 and np.percentile(error, 95) < 0.2


def test_a_rotation_is_recovered_to_sub_pixel_accuracy():
    first = texture(192, 256, seed=1)
    h, w = first.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0)  # 3 degrees: up to ~8 px at the corners
    second = moved(first, matrix)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    truth = np.stack([matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2] - xs,
                      matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2] - ys], -1)
    error = np.hypot(*(estimate(first, second) - truth)[16:-16, 16:-16].transpose(2, 0, 1))
    assert error.mean() < 0.25 and np.percentile(error, 90) < 0.5
    assert np.abs(truth).max() > 6  # the test moves pixels far enough to need the pyramid


def test_float32_and_float64_agree():
    first = texture(96, 128, seed=2)
    second = moved(first, np.float32([[1, 0, 2.4], [0, 1, 1.2]]))
    f32, f64 = estimate(first, second, torch.float32), estimate(first, second, torch.float64)
    assert np.abs(f32 - f64).mean() < 1e-3 and np.abs(f32 - f64).max() < 0.05


def test_half_precision_inputs_are_estimated_in_float32():
    first = torch.from_numpy(texture(64, 96, seed=3))[None, None]
    out = TorchFlow(preset("ultrafast"))(first.half(), first.half())
    assert out.dtype == torch.float32 and out.abs().max() < 0.05  # identical images: no motion


def test_device_flow_has_dis_interface_and_both_directions_are_the_two_calls():
    first = texture(80, 120, seed=4).astype(np.uint8)
    second = moved(first.astype(np.float32), np.float32([[1, 0, 1.5], [0, 1, 0]])).astype(np.uint8)
    flow = DeviceFlow(preset="fast")
    single = flow(first, second)
    assert single.shape == (80, 120, 2) and single.dtype == np.float32
    forward, backward = flow.both(first, second)
    np.testing.assert_allclose(forward, single, atol=1e-4)
    np.testing.assert_allclose(backward, flow(second, first), atol=1e-4)
    rgb = np.dstack([first] * 3)
    np.testing.assert_allclose(flow(rgb, np.dstack([second] * 3)), single, atol=1e-4)  # RGB frames go grey as DIS's do
    assert abs(float(np.median(single[..., 0])) - 1.5) < 0.2


def test_the_estimator_follows_the_placement_and_the_environment(monkeypatch):
    monkeypatch.delenv(optical_flow.ENV, raising=False)
    cpu, cuda = Placement(torch.device("cpu"), torch.float32), Placement(torch.device("cuda"), torch.float16)
    assert optical_flow.kind(None) == optical_flow.kind(cpu) == "dis" and optical_flow.kind(cuda) == "torch"
    assert isinstance(optical_flow.estimator(cpu), DISFlow)
    monkeypatch.setenv(optical_flow.ENV, "torch")
    made = optical_flow.estimator(cpu, "fast", finest_scale=0, refine_iters=2)
    assert isinstance(made, DeviceFlow) and made.module.config.finest_scale == 0 and made.module.config.refine_iters == 2
    monkeypatch.setenv(optical_flow.ENV, "dis")
    assert optical_flow.kind(cuda) == "dis"
    monkeypatch.setenv(optical_flow.ENV, "raft")
    with pytest.raises(UsageError, match="VIDGEN_FLOW"):
        optical_flow.kind(cpu)


def test_the_resume_fingerprint_names_the_estimator(monkeypatch):
    from vidgen_cli.interpolate.processor import Interpolator

    monkeypatch.delenv(optical_flow.ENV, raising=False)
    assert Interpolator("flow").fingerprint()["flow"] == "dis"
    monkeypatch.setenv(optical_flow.ENV, "torch")
    assert Interpolator("flow").fingerprint()["flow"] == "torch"
