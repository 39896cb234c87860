"""The `flow` predictor's mixture (vision/forecast.py): rendering precision and the clip's own adaptation."""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from vidgen_cli.predict.processor import Predictor
from vidgen_cli.vision import forecast, metrics
from vidgen_cli.vision.extrapolate import estimate_motion
from vidgen_cli.vision.flow import DISFlow, backward_warp


def _texture(seed: int, h: int = 64, w: int = 80, cell: int = 6) -> np.ndarray:
    small = np.random.default_rng(seed).integers(0, 256, (h // cell + 2, w // cell + 2, 3), dtype=np.uint8)
    return cv2.resize(small, (w + 2 * cell, h + 2 * cell), interpolation=cv2.INTER_CUBIC)[:h, :w]


def _sliding(frames: int, speed: float, seed: int = 0) -> list[np.ndarray]:
    """A textured picture panning at `speed` pixels per frame (sub-pixel shifts by bilinear warps)."""
    base = _texture(seed, 72, 120).astype(np.float32)
    h, w = 64, 80
    out = []
    for t in range(frames):
        flow = np.full((h, w, 2), (4 + speed * t, 4), np.float32)
        out.append(np.clip(backward_warp(base[:h + 8, :w + 40], flow)[:h, :w] + 0.5, 0, 255).astype(np.uint8))
    return out


def test_the_new_frame_is_rounded_once_after_the_mixture():
    """Each part rounded to 8 bits before the weighted mean adds a rounding error per part (the
    mixture was rounded several times); the frame must be the float mean of float warps, rounded once."""
    last = _texture(1)
    h, w = last.shape[:2]
    velocity = np.full((h, w, 2), (0.37, -0.29), np.float32)
    weights = np.array([0.1, 0.3, 0.35, 0.25, 0], np.float32)  # still, and the last frame at half, one and 1.5 steps
    out = forecast.forecast(last, last, velocity, velocity, 1.0, 1, weights)
    source = last.astype(np.float32)
    exact = weights[0] * source + sum(wt * backward_warp(source, -s * velocity) for wt, s in zip(weights[1:4], forecast.SPEEDS))
    assert np.abs(out - np.clip(exact, 0, 255)).max() < 0.51  # rounded once: at most half a level off


def test_the_simplex_solver_finds_the_best_weights():
    rng = np.random.default_rng(3)
    for _ in range(5):
        m = rng.normal(size=(5, 8))
        a = m @ m.T / 8 + 0.01 * np.eye(5)
        b = rng.normal(size=5)
        w = forecast.simplex_qp(a, b)
        assert abs(w.sum() - 1) < 1e-9 and (w >= 0).all()
        best = w @ a @ w - 2 * b @ w
        for grid in itertools.product(np.linspace(0, 1, 11), repeat=4):  # every weight vector on a 0.1 grid
            if sum(grid) <= 1 + 1e-9:
                v = np.array([*grid, 1 - sum(grid)])
                assert best <= v @ a @ v - 2 * b @ v + 1e-9


def test_a_steady_pan_shifts_the_weights_toward_its_motion_and_noise_toward_the_still_frame():
    """The clip's own last steps (backtest) say how far to trust the motion: a steady pan was
    predicted best by carrying it (weight leaves the still frame); frames with no motion to follow
    (independent textures) were predicted best by the still frame."""
    flow = DISFlow("medium")
    assert forecast.local_shift(_sliding(2, 1.6), flow) is None  # no step to backtest
    for frames in (3, 4):  # one step backtested, then two
        shift = forecast.local_shift(_sliding(frames, 1.6), flow)
        assert abs(shift.sum()) < 1e-6
        assert shift[0] < -0.02, shift  # still
    noise = [_texture(s) for s in (4, 5, 6, 7)]
    shift = forecast.local_shift(noise, flow)
    assert shift[0] > 0.02, shift
    for k in (1, 2, 5, 30):
        weights = forecast.mixture_weights(k, shift)
        assert abs(weights.sum() - 1) < 1e-5 and (weights >= 0).all()
    # the shift fades with the horizon
    assert np.abs(forecast.mixture_weights(10, shift) - forecast.mixture_weights(10)).sum() < \
        np.abs(forecast.mixture_weights(1, shift) - forecast.mixture_weights(1)).sum()


def test_the_backtest_averages_the_last_steps():
    flow = DISFlow("medium")
    frames = _sliding(3, 1.6) + [_texture(8)]  # a steady step, then a cut
    one = forecast.backtest_moments(frames[:3], flow)
    both = forecast.backtest_moments(frames, flow)
    cut = forecast.backtest_moments(frames[1:], flow, steps=1)
    assert np.allclose(both, (one + cut) / 2)


def test_the_adapted_mixture_predicts_a_steady_pan_better_than_the_fixed_one():
    frames = _sliding(6, 1.6)
    context, truth = frames[:5], frames[5]
    predictor = Predictor("flow")
    assert predictor.context_size == 2 + forecast.BACKTEST_STEPS
    adapted = next(iter(predictor.predict(context, 1)))
    latest, smoothed, scale = estimate_motion(context, DISFlow("medium"))
    fixed = forecast.forecast(context[-1], context[-1], latest, smoothed, scale, 1)
    assert metrics.psnr(adapted, truth) > metrics.psnr(fixed, truth) + 0.2
