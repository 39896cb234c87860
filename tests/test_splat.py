"""Forward splatting of the intermediate flows: softmax (z-ordered) collisions and coverage as an occlusion cue."""

from __future__ import annotations

import numpy as np
from test_interpolate_pipeline import square_frame  # noqa: E402  (tests/ is on sys.path under pytest)

from vidgen_cli.interpolate.engine import FlowEngine
from vidgen_cli.vision.interpolation import (
    FLOW_MODEL_SETTINGS,
    FlowSettings,
    PairFlows,
    brightness_constancy,
    coverage_mask,
    coverage_visibility,
    splat_flow,
)
from vidgen_cli.vision.metrics import psnr


def _collision() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two pixels of a 1 x 8 row that land on the same target at t = 1: (flow, weight, z)."""
    flow = np.zeros((1, 8, 2), np.float32)
    flow[0, 2, 0] = 2.0  # pixel 2 -> 4
    flow[0, 6, 0] = -2.0  # pixel 6 -> 4
    weight = np.ones((1, 8), np.float32)
    weight[0, 4] = 0.0  # pixel 4 stays put: out of the count
    z = np.zeros((1, 8), np.float32)
    z[0, 6] = -30.0  # pixel 6 does not match the other frame: it is being covered
    return flow, weight, z


def test_plain_splat_averages_colliding_flows():
    flow, weight, z = _collision()
    ft, coverage = splat_flow(flow, weight, 1.0, fill_levels=0)
    assert ft[0, 4, 0] == 0.0  # -(2 + -2) / 2
    assert coverage[0, 4] == 2.0
    assert np.array_equal(splat_flow(flow, weight, 1.0, 0, z, 0.0)[0], ft)  # beta 0: the same average


def test_softmax_splat_lets_the_visible_pixel_win():
    flow, weight, z = _collision()
    ft, coverage = splat_flow(flow, weight, 1.0, 0, z, beta=1.0)
    assert abs(ft[0, 4, 0] - -2.0) < 1e-4  # pixel 2's flow, reversed: z 0 beats z -30
    assert coverage[0, 4] == 2.0  # coverage is still what landed, not the softmax weight
    far = splat_flow(flow, weight, 1.0, 0, np.full_like(z, -1e6), beta=10.0)[0]
    assert np.isfinite(far).all()  # weights floored: no 0 / 0 where every Z is very low


def test_brightness_constancy_is_zero_where_the_flow_matches():
    a = np.random.default_rng(0).integers(0, 255, (12, 16, 3)).astype(np.uint8)
    b = np.roll(a, 3, axis=1)
    flow = np.zeros((12, 16, 2), np.float32)
    flow[..., 0] = 3.0
    z = brightness_constancy(a, b, flow)
    assert z.shape == (12, 16)
    assert np.abs(z[:, :12]).max() < 1e-3 and z.max() <= 0


def _block_flows(h: int = 60, w: int = 160, left: int = 40, right: int = 80, shift: int = 40) -> PairFlows:
    """A block moving `shift` px right over a still background, as exact flows both ways."""
    f01 = np.zeros((h, w, 2), np.float32)
    f01[:, left:right, 0] = shift
    f10 = np.zeros((h, w, 2), np.float32)
    f10[:, left + shift:right + shift, 0] = -shift
    ones = np.ones((h, w), np.float32)
    return PairFlows(f01, f10, ones, ones)


def test_coverage_marks_the_background_that_frame_0_cannot_see():
    flows = _block_flows()
    seen0 = coverage_visibility(flows.f01, 0.5)
    seen1 = coverage_visibility(flows.f10, 0.5)
    # At t = 0.5 the block spans 60-100; 40-60 is background that the block hid in frame 0.
    assert seen0[30, 50] < 0.05 and seen1[30, 50] > 0.95
    # 100-120 is background that frame 1 cannot see (the block covers it there).
    assert seen1[30, 110] < 0.05 and seen0[30, 110] > 0.95
    assert seen0[30, 5] > 0.95 and seen1[30, 150] > 0.95
    mask = coverage_mask(flows, 0.5)  # weight of frame 0
    assert mask[30, 50] < 0.3 and mask[30, 110] > 0.7 and abs(mask[30, 5] - 0.5) < 1e-6


def test_narrow_cracks_are_not_occlusions():
    flow = np.zeros((40, 40, 2), np.float32)
    flow[:, 20:, 0] = 2.0  # the right half stretches away: a 1-px crack at t = 0.5
    assert coverage_visibility(flow, 0.5).min() > 0.95


def test_flow_engine_with_softmax_splat_and_coverage_blend_beats_the_blend():
    f0, f1, truth = square_frame(40), square_frame(52), square_frame(46)
    settings = FlowSettings(**{**FLOW_MODEL_SETTINGS, "splat_beta": 1.0, "coverage_blend": True})
    engine = FlowEngine(settings)
    middle = engine.at(engine.prepare(f0, f1), 0.5)
    blend = ((f0.astype(np.float32) + f1) / 2 + 0.5).astype(np.uint8)
    assert middle.shape == f0.shape and middle.dtype == np.uint8
    assert psnr(middle, truth) > psnr(blend, truth) + 6
