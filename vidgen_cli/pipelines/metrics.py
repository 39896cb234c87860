"""Video stylization metrics shared by bench/stylize.py and the tests.

- temporal warping error: mean squared difference (0-255 scale, over colour channels) between each
  output frame and the previous output frame warped onto it, with flow measured on the *input*
  frames by Farneback (not the DIS flow the pipeline uses, so a method cannot grade itself) and
  pixels failing the forward-backward check left out;
- sharpness: variance of the Laplacian of the output's luminance (blur and smears lower it);
- style similarity: cosine between style-predictor vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vidgen_cli.flow import backward_warp, farneback, forward_backward_mask


def pair_flows(inputs: Sequence[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per consecutive input pair (t-1, t): (flow t->t-1, validity mask on frame t).

    Computed once per clip so that several methods are graded against the same flows.
    """
    out = []
    for prev, cur in zip(inputs[:-1], inputs[1:]):
        back = farneback(cur, prev)  # frame t -> t-1: where each pixel of t was in t-1
        fwd = farneback(prev, cur)
        out.append((back, forward_backward_mask(back, fwd)))
    return out


def warping_error(outputs: Sequence[np.ndarray], flows: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Mean over frame pairs of the masked mean squared difference (see module docstring)."""
    errors = []
    for (back, mask), prev, cur in zip(flows, outputs[:-1], outputs[1:]):
        if prev.shape[:2] != back.shape[:2]:
            raise ValueError("outputs and inputs differ in size")
        warped = backward_warp(prev.astype(np.float32), back)
        diff = ((cur.astype(np.float32) - warped) ** 2).mean(-1)
        if mask.any():
            errors.append(float(diff[mask].mean()))
    return float(np.mean(errors)) if errors else 0.0


def sharpness(frames: Sequence[np.ndarray]) -> float:
    """Mean over frames of the variance of the Laplacian of the luma."""
    values = []
    for frame in frames:
        luma = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)
        values.append(float(cv2.Laplacian(luma, cv2.CV_32F).var()))
    return float(np.mean(values))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
