"""The `flow` model's estimator: a DIS pre-pass, small frames enlarged for flow, many sizes in one stream."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen_cli.vision.interpolation import FLOW_MODEL_SETTINGS, FlowEstimator, FlowSettings


def _textured_pair(h: int, w: int, dx: float, dy: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random texture and the same texture moved by (dx, dy) pixels (integer shift)."""
    import cv2

    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.uniform(0, 255, (h + 64, w + 64, 3)).astype(np.float32), (0, 0), 2.0)
    big = cv2.normalize(big, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    first = big[32:32 + h, 32:32 + w]
    second = big[32 - dy:32 - dy + h, 32 - dx:32 - dx + w]  # content moves by (+dx, +dy)
    return np.ascontiguousarray(first), np.ascontiguousarray(second)


@pytest.mark.parametrize("settings", [FLOW_MODEL_SETTINGS, {}], ids=["flow-model", "fusion-front-end"])
def test_one_estimator_serves_frames_of_many_sizes(settings):
    """One estimator per stream sees every size of a batch (a DIS object is kept per size: one OpenCV
    DIS object reused across sizes with an initial flow crashed); flows come back at frame size and
    find the motion, enlarged for flow or not."""
    estimator = FlowEstimator(FlowSettings(**settings))
    for (h, w), (dx, dy) in zip([(48, 64), (120, 200), (48, 64), (300, 700), (120, 200)],
                                [(3, 1), (-4, 2), (2, -2), (6, 0), (0, 5)]):
        first, second = _textured_pair(h, w, dx, dy, seed=h + w)
        flows = estimator(first, second)
        assert flows.f01.shape == (h, w, 2) and flows.f10.shape == (h, w, 2) and flows.c0.shape == (h, w)
        inner = (slice(8, h - 8), slice(8, w - 8))
        assert np.median(flows.f01[inner][..., 0]) == pytest.approx(dx, abs=0.3)
        assert np.median(flows.f01[inner][..., 1]) == pytest.approx(dy, abs=0.3)
        assert np.median(flows.f10[inner][..., 0]) == pytest.approx(-dx, abs=0.3)
