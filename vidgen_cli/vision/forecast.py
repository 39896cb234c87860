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

How much to hedge depends on how steady the motion is. `motion_change` compares the latest motion
with the one a frame before (median change over median speed, from the two flows that
`estimate_motion` computes anyway); the weights are a blend of a `steady` table (a pan, a constant
drift: mostly `crossed`) and an `unsteady` one (people, hands, water: a wide hedge), by that cue.

`steps` is damped (`damped_steps`), and the weights move from the motion toward the still frame as
the horizon grows, so long horizons fade into a soft, steady picture instead of tearing apart.
Both tables were fitted per horizon (1, 2, 3, 5, 10; linear in between) by bench/fit_forecast.py,
maximising the mean PSNR over 73 held-out points of 37 video-train clips and cross-checked by
fitting on half the clips and scoring the other half: +0.44 dB over the naive extrapolation at
horizon 1, +0.46 at 2, +0.74 at 3, +1.31 at 10, where one table (the former predictor) scored
+0.25, +0.46, +0.73, +1.24 on the same points.
weights/forecast-mixture.json records the data, the command and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from vidgen_cli.vision.extrapolate import (FLOW_MAX_SIDE, damped_steps, estimate_motion, push_pull, soft_hole_alpha,
                                           splat_displacement, to_frame_grid)
from vidgen_cli.vision.flow import backward_warp
from vidgen_cli.vision.sizes import fit_image

# Mixture weights (still, half, crossed, fast, splatted) at horizons 1, 2, 3, 5 and 10, for steady and
# unsteady motion; each row sums to 1. Fitted, with UNSTEADY_SCALE, by `python bench/fit_forecast.py
# --data ../shared/data/video-train -o weights/forecast-mixture.json --points 2`, which records them
# with its data (tests/test_forecast_fit.py checks they match).
HORIZONS = (1, 2, 3, 5, 10)
STEADY = np.array([
    [0.00, 0.00, 0.77, 0.03, 0.20],
    [0.00, 0.00, 0.37, 0.20, 0.43],
    [0.02, 0.00, 0.18, 0.32, 0.48],
    [0.06, 0.00, 0.02, 0.67, 0.25],
    [0.07, 0.09, 0.01, 0.66, 0.17],
], np.float32)
UNSTEADY = np.array([
    [0.23, 0.28, 0.00, 0.13, 0.36],
    [0.20, 0.20, 0.08, 0.13, 0.39],
    [0.21, 0.21, 0.09, 0.15, 0.34],
    [0.30, 0.20, 0.03, 0.16, 0.31],
    [0.44, 0.07, 0.00, 0.17, 0.32],
], np.float32)
UNSTEADY_SCALE = 0.56  # the motion change at which the unsteady table takes over fully
PARTS = ("still", "half", "crossed", "fast", "splatted")
SPEEDS = (0.5, 1.0, 1.5)  # of the damped steps, for half, crossed and fast
FEATHER = 2.0  # Gaussian sigma (frame pixels) of the soft edge around filled disocclusions


@dataclass
class Motion:
    """What `forecast` needs of the context, estimated once per extrapolated chunk.

    latest: latest velocity on the frame's grid (H x W x 2 float32, pixels per frame);
    smoothed: `estimate_motion`'s smoothed velocity on the flow grid (H' x W' x 2 float32);
    scale: H' / H; small_last: the last frame fitted to the flow grid; change: `motion_change`.
    """

    latest: np.ndarray
    smoothed: np.ndarray
    scale: float
    small_last: np.ndarray
    change: float

    @property
    def unsteady(self) -> float:
        """0 (steady motion: the steady table) to 1 (the unsteady table): change / UNSTEADY_SCALE, clipped."""
        return float(np.clip(self.change / UNSTEADY_SCALE, 0, 1))


def motion_change(latest: np.ndarray, smoothed: np.ndarray, scale: float) -> float:
    """How much the motion changed over the last step, from `estimate_motion`'s two velocities.

    latest - smoothed is a quarter of (velocity now - velocity a frame before); the cue is the
    median of that change over the median speed plus half a pixel (frame pixels per frame).
    0 for a steady pan or drift; about 0.2 at the median of the video-train points, 0.55 at the
    upper quartile.
    """
    change = np.median(np.sqrt((((latest - smoothed) * 4) ** 2).sum(-1))) / scale
    speed = np.median(np.sqrt((latest**2).sum(-1))) / scale
    return float(change / (speed + 0.5))


def forecast_motion(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Motion:
    """`Motion` of the last of `context` (2 or more H x W x 3 uint8 frames, oldest first). With
    two frames the change of motion is unknown, and the wide hedge of the unsteady table is used."""
    latest, smoothed, scale = estimate_motion(context, flow)
    change = motion_change(latest, smoothed, scale) if len(context) >= 3 else float("inf")
    h, w = context[-1].shape[:2]
    return Motion(to_frame_grid(latest, h, w, scale), smoothed, scale, fit_image(context[-1], FLOW_MAX_SIDE), change)


def mixture_weights(k: int, unsteady: float = 1.0) -> np.ndarray:
    """The five weights (still, half, crossed, fast, splatted) for frame k (1-based), summing to 1."""
    table = (1 - np.float32(unsteady)) * STEADY + np.float32(unsteady) * UNSTEADY
    row = np.array([np.interp(k, HORIZONS, table[:, j]) for j in range(table.shape[1])], np.float32)
    return row / row.sum()


def splat_at_flow_resolution(last: np.ndarray, small_last: np.ndarray, velocity: np.ndarray, scale: float,
                             steps: float) -> np.ndarray:
    """The last frame carried `steps` frames of `velocity` forward by splatting (H x W x 3 uint8 RGB).

    last: the frame (H x W x 3 uint8); small_last: it fitted to the flow grid; velocity: smoothed
    motion on that grid (H' x W' x 2 float32, its pixels per frame); scale: H' / H. The splat runs
    on the flow grid (the memory and time of a full-size splat grow with the frame); its
    displacement is upsampled and the frame's own pixels are warped with it (the motion is coarse,
    the picture is not). Disocclusions are filled from the background colours around them on the
    flow grid; their mask, blurred, is upsampled too, so their edges stay soft.
    """
    h, w = last.shape[:2]
    disp, holes, background = splat_displacement(velocity, steps)
    frame = backward_warp(last, -to_frame_grid(disp, h, w, scale))
    if not holes.any():
        return frame
    fill = push_pull(backward_warp(small_last, -disp).astype(np.float32), background & ~holes)
    alpha = soft_hole_alpha(holes, FEATHER * scale)
    if scale != 1.0:
        fill = cv2.resize(fill, (w, h), interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    alpha = alpha[..., None]
    return np.clip(frame * (1 - alpha) + fill * alpha + 0.5, 0, 255).astype(np.uint8)


def part(index: int, last: np.ndarray, motion: Motion, k: int) -> np.ndarray:
    """Extrapolation PARTS[index] of frame k (1-based) after `last` (H x W x 3 uint8 RGB) with
    `motion` (`forecast_motion`). bench/fit_forecast.py fits the weights on these same parts."""
    steps = np.float32(damped_steps(k))
    if index == 0:
        return last
    if index < 4:
        return backward_warp(last, -(np.float32(SPEEDS[index - 1]) * steps) * motion.latest)
    return splat_at_flow_resolution(last, motion.small_last, motion.smoothed, motion.scale, float(steps))


def forecast(last: np.ndarray, motion: Motion, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """The `flow` predictor's frame k (1-based) after `last` (H x W x 3 uint8 RGB).

    motion: `forecast_motion` of the context ending in `last`. weights: five to use instead of
    `mixture_weights(k, motion.unsteady)` (bench/predict.py's ablation).
    """
    weights = mixture_weights(k, motion.unsteady) if weights is None else np.asarray(weights, np.float32)
    total = last.astype(np.float32) * weights[0]
    for index in range(1, len(PARTS)):
        if weights[index] > 0:
            total += part(index, last, motion, k).astype(np.float32) * weights[index]
    return np.clip(total + 0.5, 0, 255).astype(np.uint8)
