"""Flow post-filters and flow ensembles (opt-in `FlowSettings` knobs measured for issue #12)."""

from __future__ import annotations

import numpy as np
import pytest

from vidgen_cli.vision import flow_filter
from vidgen_cli.vision.flow_ensemble import combine_estimates, structure, unflip
from vidgen_cli.vision.interpolation import FLOW_MODEL_SETTINGS, FlowEstimator, FlowSettings


def _step_scene(h: int = 40, w: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """A grey frame with a bright right half and a flow that moves only that half (3 px right)."""
    guide = np.full((h, w), 40, np.uint8)
    guide[:, w // 2:] = 200
    flow = np.zeros((h, w, 2), np.float32)
    flow[:, w // 2:, 0] = 3.0
    return guide, flow


def test_median_removes_an_isolated_outlier():
    guide, flow = _step_scene()
    noisy = flow.copy()
    noisy[10, 10] = (25.0, -25.0)
    out = flow_filter.apply(noisy, guide, "median5")
    assert np.abs(out[10, 10]).max() == 0.0
    assert out.shape == flow.shape and out.dtype == np.float32


@pytest.mark.parametrize("spec", ["guided:4:0.001", "wmedian:2:10"])
def test_edge_aware_filters_keep_a_motion_edge_on_the_image_edge(spec):
    guide, flow = _step_scene()
    noisy = flow + np.random.default_rng(0).normal(0, 0.3, flow.shape).astype(np.float32)
    out = flow_filter.apply(noisy, guide, spec)
    w = guide.shape[1]
    # each side of the edge keeps its own motion (a plain box blur would mix them near the edge)
    assert np.abs(out[:, w // 2 - 2, 0]).mean() < 0.4
    assert np.abs(out[:, w // 2 + 1, 0] - 3.0).mean() < 0.4
    # and the noise is reduced away from the edge
    assert np.abs(out[:, :w // 2 - 6] - flow[:, :w // 2 - 6]).mean() < np.abs(noisy - flow)[:, :w // 2 - 6].mean()


def test_unknown_filter_is_refused():
    with pytest.raises(ValueError, match="unknown flow filter"):
        flow_filter.parse("bilateral")
    with pytest.raises(ValueError, match="3 or 5"):
        flow_filter.parse("median7")


def test_unflip_returns_a_mirrored_measurement_to_frame_coordinates():
    flow = np.zeros((4, 6, 2), np.float32)
    flow[:, 0] = (2.0, 1.0)  # left column moves right and down
    mirrored = np.ascontiguousarray(flow[:, ::-1]) * np.array([-1, 1], np.float32)  # as seen in the mirror
    assert np.array_equal(unflip(mirrored), flow)


def test_structure_ignores_a_uniform_brightness_change():
    grey = np.random.default_rng(1).integers(60, 180, (32, 32)).astype(np.uint8)
    brighter = (grey.astype(np.int16) + 30).astype(np.uint8)
    assert np.abs(structure(grey).astype(int) - structure(brighter)).max() <= 1


def test_select_takes_the_estimate_that_matches_per_pixel():
    rng = np.random.default_rng(2)
    g0 = rng.integers(0, 255, (48, 64)).astype(np.uint8)
    g1 = np.roll(g0, 2, axis=1)  # everything moved 2 px right
    right = np.zeros((48, 64, 2), np.float32)
    right[..., 0] = 2.0
    wrong = np.zeros_like(right)
    f01, f10 = combine_estimates(g0, g1, [(wrong, wrong), (right, -right)], "select")
    inner = (slice(4, -4), slice(6, -6))
    assert np.allclose(f01[inner], right[inner]) and np.allclose(f10[inner], -right[inner])
    mean01, _ = combine_estimates(g0, g1, [(wrong, wrong), (right, -right)])
    assert np.allclose(mean01[..., 0], 1.0)


@pytest.mark.parametrize("fields", [{"ensemble": "flip"}, {"ensemble": "flip+structure+colour", "ensemble_combine": "soft"},
                                    {"flow_filter": "median5"}])
def test_estimator_options_still_measure_a_shift(fields):
    rng = np.random.default_rng(3)
    frame0 = rng.integers(0, 255, (60, 80, 3)).astype(np.uint8)
    frame0 = np.repeat(np.repeat(frame0[::4, ::4], 4, 0), 4, 1)[:60, :80]  # 4 px blocks: trackable texture
    frame1 = np.roll(frame0, 3, axis=1)
    flows = FlowEstimator(FlowSettings(**{**FLOW_MODEL_SETTINGS, **fields}))(frame0, frame1)
    assert abs(float(np.median(flows.f01[10:-10, 10:-10, 0])) - 3.0) < 0.3
    assert abs(float(np.median(flows.f10[10:-10, 10:-10, 0])) + 3.0) < 0.3
