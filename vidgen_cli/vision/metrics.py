"""Image quality metrics on uint8 RGB frames (0-255), shared by the benchmarks and training validation.

PSNR and SSIM follow the usual conventions of the frame-interpolation literature: computed on the
0-255 RGB values, SSIM with an 11x11 Gaussian window (sigma 1.5) per channel, then averaged.

Video metrics for stylization, shared by bench/stylize.py and the tests:

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

from vidgen_cli.vision.flow import backward_warp, farneback, forward_backward_mask


def psnr(prediction: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all pixels and channels (peak 255); capped at 100 dB
    so that identical frames do not make an average infinite."""
    diff = prediction.astype(np.float64) - target.astype(np.float64)
    mse = float(np.mean(diff * diff))
    return 100.0 if mse <= 1e-10 else float(10.0 * np.log10(255.0**2 / mse))


def ssim(prediction: np.ndarray, target: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004), mean over the valid window positions and channels."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x = prediction.astype(np.float64)
    y = target.astype(np.float64)
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    scores = []
    for c in range(x.shape[2]):
        a, b = x[..., c], y[..., c]

        def blur(img: np.ndarray) -> np.ndarray:
            return cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)[5:-5, 5:-5]

        mu_a, mu_b = blur(a), blur(b)
        var_a = blur(a * a) - mu_a**2
        var_b = blur(b * b) - mu_b**2
        cov = blur(a * b) - mu_a * mu_b
        num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
        den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
        scores.append(float(np.mean(num / den)))
    return float(np.mean(scores))



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
