"""Image quality metrics on uint8 RGB frames (0-255), shared by the benchmarks and training validation.

PSNR and SSIM follow the usual conventions of the frame-interpolation literature: computed on the
0-255 RGB values, SSIM with an 11x11 Gaussian window (sigma 1.5) per channel, then averaged.
"""

from __future__ import annotations

import cv2
import numpy as np


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
