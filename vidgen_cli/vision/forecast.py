"""The `flow` predictor's frames: a mixture of extrapolations over the uncertain speed.

A frame k steps ahead is not known, only guessed; the guess that scores best against what really
follows (least squared error, highest PSNR) is the *mean* over what could happen, not the single
most likely frame. Measured on held-out frames of ../shared/data/video-train, no one-motion warp
beats the naive one-step extrapolation by more than a few hundredths of a dB at horizon 1; what
gains is hedging. So frame k is a weighted mean of five extrapolations of the last frame:

- `still`: the last frame itself (the motion stops);
- `half`, `crossed`, `fast`: the last frame sampled at x - s * steps * latest velocity(x), for
  s = 0.5, 1, 1.5 (bilinear backward warps: sharp, no holes, but a moving object drags its
  background along);
- `splatted`: the motion forward-splatted at flow resolution (objects keep their shape and move
  over the background; disocclusions filled from the background with soft edges).

The parts are rendered in float and the mixture is rounded to 8 bits once (rounding each part
first added one rounding error per part). `steps` is damped (`damped_steps`), and the weights move
from the motion toward the still frame as the horizon grows, so long horizons fade into a soft,
steady picture instead of tearing apart. The weights were fitted per horizon (1, 2, 3, 5, 10;
linear in between) by bench/fit_forecast.py: maximising the mean PSNR over 73 held-out points of
37 video-train clips, cross-checked by fitting on half the clips and scoring the other half
(horizon 1: +0.26 dB over the naive extrapolation, horizon 10: +1.37). weights/forecast-mixture.json
records the data, the command and the figures. (Before the float rendering, 4 of the 73 points had
a next frame that repeats the last (rate-converted sources); without them the cross-checked gain
at horizon 1 was +0.15.)

Then each clip adapts the weights (`local_shift`): the same parts are made for the last two steps
that already happened (each frame carried one frame by the motion of the two frames before it)
and compared with the real frames; the mixture that would have scored best there, held toward the
fitted weights by a ridge (LOCAL_RIDGE), shifts the horizon-1 weights, and the shift fades by
LOCAL_DECAY per frame ahead. Cross-checked on the same points: horizon 1 +0.56 dB over the naive
extrapolation (+0.30 over the fitted weights alone; 49 points gained, 19 lost, median +0.04),
horizon 2 +0.64 (+0.16), 3 +0.90 (+0.15), 10 +1.37 (+0.01). It gains most where the fixed mixture
loses to the naive extrapolation (steady pans, predictable motion: the backtest moves the weight
from `still` to the motion) and on rate-converted clips whose motion comes in a cadence, and costs
most on erratic motion that was steady for the steps before. On the evaluation clips through the
CLI (bench/results/predict_local2.json, main beside it): horizon 1 +0.496 dB over the naive
extrapolation (main +0.32), 2 +0.82 (+0.62), 3 +1.54 (+1.39), 10 +2.42 (+2.41); at horizon 1, 11
of 15 clips gained over main and 3 lost (at most 0.05 dB).

Tried on the same points and not kept (bench/results/README.md): a second, `steady` table blended
in by how much the motion changed over the last step (cross-checked +0.19 dB over this one at
horizon 1; on the evaluation clips +0.02 at horizon 1 and -0.13 at 10); the latest velocity
estimated on frames enlarged up to 2x, with bicubic warps (+0.06 cross-checked, but `crossed` alone
lost 0.2-0.7 dB on 6 of 7 evaluation clips); the last 2-3 frames motion-compensated and averaged as
the source (-0.15 and -0.37 dB against this one); per-pixel weights by the change of motion
(overfitted: cross-checked +0.13 dB over the naive extrapolation, against +0.25 for this one).
A sixth part, `steady` (commit f40c276 on branch `forecast`): the last frame warped by the per-pixel
median of three estimates of the latest velocity (the last step, half the last two steps, the step
before carried along the last motion) and shrunk toward the still frame where the backward and
forward flows of the last step disagree. Cross-checked +0.39 dB over the naive extrapolation at
horizon 1 (+0.25 for this one), but the mean was carried by a few points with a broken motion
estimate (repeated frames): per point the gain over this one was a coin flip (34 gained, 36 lost,
median -0.001 dB). On the evaluation clips (bench/results/predict_steady.json, main beside it) it
scored -0.02 dB at horizon 1 (8 clips gained, 7 lost), +0.07 at 2, +0.05 at 3, +0.02 at 10. Bicubic
or Lanczos instead of bilinear warps lose on 61-64 of the 73 points at horizon 1 (median -0.13 to
-0.17 dB): the real next frame is no sharper than a bilinear warp of an uncertain motion.
A sixth part with acceleration (the last frame warped along the quadratic through each pixel's
positions in the last three frames, the acceleration shrunk as vision/multiframe.py's size guard
does; scored on the same points with a scratch script, float parts): cross-checked +0.32 dB over
the naive extrapolation at horizon 1 against +0.26 for the five parts (median +0.24 against
+0.23), but -0.01 dB at horizon 2 and -0.03 at 3 against them; not kept. Backtesting the last
step alone (3 frames of context, ridge 3): cross-checked +0.38 dB at horizon 1 (37 points gained
over the fixed weights, 18 lost); on the evaluation clips +0.43 at horizon 1, +0.74 at 2, +1.48 at
3, +2.41 at 10 (bench/results/predict_local.json); two steps replaced it.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

import cv2
import numpy as np

from vidgen_cli.vision.extrapolate import FLOW_MAX_SIDE, damped_steps, estimate_motion, push_pull, soft_hole_alpha, splat_displacement, to_frame_grid
from vidgen_cli.vision.flow import backward_warp
from vidgen_cli.vision.sizes import fit_image

# Mixture weights (still, half, crossed, fast, splatted) at horizons 1, 2, 3, 5 and 10; each row sums to 1.
# Fitted by `python bench/fit_forecast.py --data ../shared/data/video-train -o weights/forecast-mixture.json
# --points 2`, which records them with its data (tests/test_forecast_fit.py checks they match).
HORIZONS = (1, 2, 3, 5, 10)
WEIGHTS = np.array([
    [0.10, 0.08, 0.34, 0.06, 0.42],
    [0.13, 0.04, 0.21, 0.15, 0.47],
    [0.15, 0.08, 0.14, 0.21, 0.42],
    [0.20, 0.13, 0.02, 0.32, 0.33],
    [0.29, 0.10, 0.00, 0.33, 0.28],
], np.float32)
PARTS = ("still", "half", "crossed", "fast", "splatted")
SPEEDS = (0.5, 1.0, 1.5)  # of the damped steps, for half, crossed and fast
FEATHER = 2.0  # Gaussian sigma (frame pixels) of the soft edge around filled disocclusions
# The clip's own last steps adapt the weights (`local_shift`): how strongly the fixed weights hold
# (ridge, in units of their own error on those steps) and how fast the shift fades with the horizon.
# Chosen on video-train (bench/fit_forecast.py, cross-checked; its record has the sweep of ridges).
LOCAL_RIDGE = 0.5
LOCAL_DECAY = 0.8
BACKTEST_STEPS = 2  # the clip's last steps backtested (the predictor keeps 2 + this many frames)


def mixture_weights(k: int, shift: np.ndarray | None = None) -> np.ndarray:
    """The five weights (still, half, crossed, fast, splatted) for frame k (1-based), summing to 1.

    shift: `local_shift`'s change to the horizon-1 weights for this clip; it fades by LOCAL_DECAY
    per frame ahead and the result is projected back onto non-negative weights summing to 1."""
    row = np.array([np.interp(k, HORIZONS, WEIGHTS[:, j]) for j in range(WEIGHTS.shape[1])], np.float64)
    row = row / row.sum()
    if shift is not None:
        row = project_to_simplex(row + LOCAL_DECAY ** (k - 1) * np.asarray(shift, np.float64))
    return row.astype(np.float32)


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The nearest point to v (1-D) with non-negative entries summing to 1 (Duchi et al. 2008)."""
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1
    rho = np.nonzero(u - cumulative / np.arange(1, len(v) + 1) > 0)[0][-1]
    return np.maximum(v - cumulative[rho] / (rho + 1), 0)


def simplex_qp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin over w >= 0, sum(w) = 1 of w'aw - 2b'w (a: n x n symmetric positive definite, n small).

    Exact: the minimum satisfies the KKT equations on its support, so each of the 2^n - 1 supports
    is solved as an equality-constrained least-squares system and the best feasible one is kept."""
    n = len(b)
    best, best_value = np.full(n, 1.0 / n), np.inf
    for size in range(1, n + 1):
        for support in itertools.combinations(range(n), size):
            s = list(support)
            kkt = np.zeros((size + 1, size + 1))
            kkt[:size, :size] = 2 * a[np.ix_(s, s)]
            kkt[:size, size] = kkt[size, :size] = 1
            try:
                solution = np.linalg.solve(kkt, np.concatenate([2 * b[s], [1.0]]))[:size]
            except np.linalg.LinAlgError:
                continue
            if (solution < -1e-12).any():
                continue
            w = np.zeros(n)
            w[s] = np.maximum(solution, 0)
            value = w @ a @ w - 2 * b @ w
            if value < best_value:
                best, best_value = w, value
    return best


def residual_moments(parts: list[np.ndarray], truth: np.ndarray, rows: int = 64) -> np.ndarray:
    """M (P x P float64): the mean over pixels and channels of (part_i - truth)(part_j - truth), so a
    mixture sum_i w_i part_i (sum w = 1) has the mean squared error w'Mw. Accumulated in float64
    over bands of `rows` image rows (the residuals are small numbers: no cancellation)."""
    moments = np.zeros((len(parts), len(parts)))
    reference = truth.astype(np.float32)
    for top in range(0, truth.shape[0], rows):
        band = np.stack([(p[top : top + rows] - reference[top : top + rows]).reshape(-1) for p in parts]).astype(np.float64)
        moments += band @ band.T
    return moments / truth.size


def adapted_weights(moments: np.ndarray, base: np.ndarray, ridge: float = LOCAL_RIDGE) -> np.ndarray:
    """The weights that would have predicted a known frame best (residual moments M of the parts,
    `residual_moments`), held toward `base`: argmin w'Mw + ridge * e * |w - base|^2 on the simplex,
    where e = base'M base is the base mixture's own error (so the ridge is scale-free)."""
    base = np.asarray(base, np.float64)
    scale = ridge * max(float(base @ moments @ base), 1e-3)
    return simplex_qp(moments + scale * np.eye(len(base)), scale * base)


def backtest_moments(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     steps: int = BACKTEST_STEPS) -> np.ndarray | None:
    """The residual moments (`residual_moments`) of the parts for the last `steps` steps that
    already happened, averaged: for each, the frame before it carried one frame by the motion of the
    two frames before that (`estimate_motion` of them, as with a two-frame context) and compared
    with the real frame. context: frames oldest first (H x W x 3 uint8 RGB); one step needs 3
    frames, each further step one more. None with fewer than 3 frames."""
    first = max(2, len(context) - steps)
    if first >= len(context):
        return None
    moments = []
    for i in range(first, len(context)):
        previous = context[i - 1]
        latest, smoothed, scale = estimate_motion(context[i - 2 : i], flow)
        latest_full = to_frame_grid(latest, *previous.shape[:2], scale)
        source, small = as_float(previous), fit_image(previous, FLOW_MAX_SIDE)
        parts = [part(j, source, small, latest_full, smoothed, scale, 1) for j in range(len(PARTS))]
        moments.append(residual_moments(parts, context[i]))
    return np.mean(moments, axis=0)


def local_shift(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    """How this clip moves the horizon-1 weights (5 float64 summing to 0; None with fewer than 3
    frames): the mixture that would have predicted the clip's last BACKTEST_STEPS steps best
    (`backtest_moments`, `adapted_weights`) taken relative to the fixed one.

    Backtesting on the clip's own steps keeps a predictable clip (a steady pan) nearer the plain
    extrapolation and an erratic one nearer the still frame; on held-out video-train points it
    gained most where the fixed mixture lost to the naive extrapolation (bench/fit_forecast.py)."""
    moments = backtest_moments(context, flow)
    if moments is None:
        return None
    base = mixture_weights(1).astype(np.float64)
    return adapted_weights(moments, base) - base


def splat_at_flow_resolution(last: np.ndarray, small_last: np.ndarray, velocity: np.ndarray, scale: float,
                             steps: float) -> np.ndarray:
    """The last frame carried `steps` frames of `velocity` forward by splatting (H x W x 3 float32
    RGB, 0-255, not rounded: `forecast` rounds the mixture once).

    last: the frame (H x W x 3, uint8 or float32); small_last: it fitted to the flow grid; velocity:
    smoothed motion on that grid (H' x W' x 2 float32, its pixels per frame); scale: H' / H. The
    splat runs on the flow grid (the memory and time of a full-size splat grow with the frame); its
    displacement is upsampled and the frame's own pixels are warped with it (the motion is coarse,
    the picture is not). Disocclusions are filled from the background colours around them on the
    flow grid; their mask, blurred, is upsampled too, so their edges stay soft.
    """
    h, w = last.shape[:2]
    disp, holes, background = splat_displacement(velocity, steps)
    frame = backward_warp(as_float(last), -to_frame_grid(disp, h, w, scale))
    if not holes.any():
        return frame
    fill = push_pull(backward_warp(as_float(small_last), -disp), background & ~holes)
    alpha = soft_hole_alpha(holes, FEATHER * scale)
    if scale != 1.0:
        fill = cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    alpha = alpha[..., None]
    return frame * (1 - alpha) + fill * alpha


def as_float(image: np.ndarray) -> np.ndarray:
    """`image` as float32 (no copy when it already is)."""
    return image.astype(np.float32, copy=False)


def part(index: int, last: np.ndarray, small_last: np.ndarray, latest_full: np.ndarray, smoothed: np.ndarray,
         scale: float, k: int) -> np.ndarray:
    """Extrapolation PARTS[index] of frame k (1-based) after `last` (H x W x 3 float32 RGB, 0-255, not
    rounded); the arguments are `forecast`'s. bench/fit_forecast.py fits the weights on these same parts."""
    steps = np.float32(damped_steps(k))
    if index == 0:
        return as_float(last)
    if index < 4:
        return backward_warp(as_float(last), -(np.float32(SPEEDS[index - 1]) * steps) * latest_full)
    return splat_at_flow_resolution(last, small_last, smoothed, scale, float(steps))


def forecast(last: np.ndarray, small_last: np.ndarray, latest_full: np.ndarray, smoothed: np.ndarray, scale: float,
             k: int, weights: np.ndarray | None = None, shift: np.ndarray | None = None) -> np.ndarray:
    """The `flow` predictor's frame k (1-based) after `last` (H x W x 3 uint8 RGB).

    latest_full: the latest motion of `estimate_motion` on the frame's grid (`to_frame_grid`,
    H x W x 2 float32); smoothed: the smoothed one on the flow grid (H' x W' x 2 float32);
    small_last: `last` fitted to that grid; scale: H' / H. shift: `local_shift`'s adaptation of
    the weights to this clip (None: the fixed weights). weights: five to use instead of
    `mixture_weights(k, shift)` (bench/predict.py's ablation).
    """
    weights = mixture_weights(k, shift) if weights is None else np.asarray(weights, np.float32)
    source = as_float(last)  # the parts are rendered in float and the mixture is rounded once
    total = source * weights[0]
    for index in range(1, len(PARTS)):
        if weights[index] > 0:
            total += part(index, source, small_last, latest_full, smoothed, scale, k) * weights[index]
    return np.clip(total + 0.5, 0, 255).astype(np.uint8)
