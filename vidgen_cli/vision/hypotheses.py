"""Several intermediate-flow hypotheses per pixel, chosen by photometric consistency in both directions.

At time t in (0, 1) the unknown frame needs, per pixel x, a flow back to frame 0 (ft0) and one to
frame 1 (ft1). Bidirectional DIS offers several estimates, each wrong in its own places:

- `crossed` (the plain "naive" warp): ft0 = t * F10(x), ft1 = (1 - t) * F01(x), each frame moved
  by the other direction's flow taken at x;
- `forward`: both from F01 at x under linear motion, ft0 = -t * F01(x), ft1 = (1 - t) * F01(x);
- `backward`: both from F10 at x, ft0 = t * F10(x), ft1 = -(1 - t) * F10(x);
- `splatted`: the forward-splatted flows of vidgen_cli.vision.interpolation (motion boundaries
  where they are at time t).

A hypothesis that is right brings frame 0 and frame 1 onto the same picture, so each pixel keeps
the hypothesis whose two warps agree best, the disagreement (sum of absolute RGB differences)
averaged over a (2r+1)^2 window so that the choice follows regions, not noise: the bilateral
matching cost of motion-compensated frame interpolation, used here to choose among flows rather
than to search for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vidgen_cli.vision.flow import backward_warp

Hypothesis = tuple[np.ndarray, np.ndarray]  # (ft0, ft1), H x W x 2 float32 pixels


def linear_hypotheses(f01: np.ndarray, f10: np.ndarray, t: float) -> list[Hypothesis]:
    """The `crossed`, `forward` and `backward` hypotheses at time t (see the module docstring)."""
    return [
        (np.float32(t) * f10, np.float32(1 - t) * f01),
        (np.float32(-t) * f01, np.float32(1 - t) * f01),
        (np.float32(t) * f10, np.float32(-(1 - t)) * f10),
    ]


def select(frame0: np.ndarray, frame1: np.ndarray, hypotheses: Sequence[Hypothesis], radius: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel, the hypothesis whose warps of frame0 and frame1 agree best.

    frame0, frame1: H x W x 3 (uint8 or float32, 0-255) at the flows' resolution.
    Returns (ft0, ft1, cost): the chosen flows and the windowed disagreement of the choice
    (mean over the window of the summed absolute RGB difference, 0-765).
    """
    if not hypotheses:
        raise ValueError("select needs at least one hypothesis")
    a, b = frame0.astype(np.float32), frame1.astype(np.float32)
    window = (2 * radius + 1, 2 * radius + 1)
    best_cost = best0 = best1 = None
    for ft0, ft1 in hypotheses:
        cost = cv2.blur(cv2.absdiff(backward_warp(a, ft0), backward_warp(b, ft1)).sum(-1), window)
        if best_cost is None:
            best_cost, best0, best1 = cost, ft0.copy(), ft1.copy()
            continue
        better = cost < best_cost
        best_cost = np.where(better, cost, best_cost)
        best0[better] = ft0[better]
        best1[better] = ft1[better]
    return best0, best1, best_cost
