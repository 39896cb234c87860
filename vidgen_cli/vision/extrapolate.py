"""Continue a clip by N frames: hold the last frame, extrapolate its motion, or refine that with a model.

The flow extrapolation assumes constant velocity: the motion of every pixel of the last frame is
estimated with DIS flow against the two frames before, and the pixel is carried k times that far for
horizon k. Carrying is done by forward-splatting the *flow* (not the colours) onto the target grid,
keeping where several pixels land the one that moves most against the dominant (camera) motion, so
a moving object stays in front of the background it slides over. The colours are then fetched from
the last frame with one bilinear backward warp, which keeps edges sharp. Areas that nothing reached
were hidden in the last frame: warping would copy the object that hid them (a ghost trail), so they
are filled smoothly from the background around them instead. The learned model refines this
extrapolation (see vidgen_cli.models.predict)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import cv2
import numpy as np

from vidgen_cli.vision.flow import backward_warp
from vidgen_cli.vision.sizes import fit_image, fit_scale

if TYPE_CHECKING:
    pass


# --- motion estimation and constant-velocity extrapolation -------------------------------------

# Flow is estimated at most at this size: DIS on larger frames costs more and gains little.
FLOW_MAX_SIDE = 640


def estimate_motion(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-pixel motion of the last frame at flow resolution: (latest, smoothed, scale).

    Pixels per frame of the *flow-resolution* grid (H' x W' x 2 float32, the frame fitted inside
    FLOW_MAX_SIDE); `scale` is that grid's size over the frame's (1 when the frame already fits).
    The backward flow last->previous says where each pixel of the last frame came from; its
    negation is the latest velocity. With a third frame the two-frame displacement, halved, is
    averaged in for the smoothed velocity, which halves the noise of the estimate where the motion
    is steady (with two frames both are the latest).
    """
    last, prev = context[-1], context[-2]
    scale = fit_scale(*last.shape[:2], FLOW_MAX_SIDE)
    small_last = fit_image(last, FLOW_MAX_SIDE)
    latest = -flow(small_last, fit_image(prev, FLOW_MAX_SIDE))
    smoothed = latest
    if len(context) >= 3:
        smoothed = 0.5 * latest - 0.25 * flow(small_last, fit_image(context[-3], FLOW_MAX_SIDE))
    return latest.astype(np.float32), smoothed.astype(np.float32), scale


def to_frame_grid(velocity: np.ndarray, height: int, width: int, scale: float) -> np.ndarray:
    """A flow-resolution motion field (from `estimate_motion`) resized to the frame, in its pixels."""
    if scale == 1.0:
        return velocity.astype(np.float32)
    return (cv2.resize(velocity, (width, height), interpolation=cv2.INTER_LINEAR) / np.float32(scale)).astype(np.float32)


def estimate_velocities(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """`estimate_motion`'s (latest, smoothed) on the frame's own grid (H x W x 2 float32, pixels per frame)."""
    h, w = context[-1].shape[:2]
    latest, smoothed, scale = estimate_motion(context, flow)
    return to_frame_grid(latest, h, w, scale), to_frame_grid(smoothed, h, w, scale)


def estimate_velocity(context: Sequence[np.ndarray], flow: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """The smoothed velocity of `estimate_velocities` (what the learned refiner was trained on)."""
    return estimate_velocities(context, flow)[1]


# Constant velocity overshoots more with every frame (objects turn, stop, the camera settles), so
# the `flow` predictor lets motion decay geometrically: frame k is carried 1 + d + ... + d^(k-1)
# frames' worth of motion, which tends to 1 / (1 - d) = 5 frames: the picture comes to rest instead
# of tearing apart. d = 0.8 was chosen on held-out frames of ../shared/data/video-train (h10 +0.7 dB
# over no damping, h1 unchanged).
DAMPING = 0.8


def damped_steps(k: int, damping: float = DAMPING) -> float:
    """How many frames of motion frame k (1-based) is carried: sum of damping**i for i < k."""
    return float(k) if damping >= 1 else (1 - damping**k) / (1 - damping)


def soft_hole_alpha(holes: np.ndarray, sigma: float) -> np.ndarray:
    """H x W float32 blend weight of a hole fill: 1 in the holes (bool H x W), falling off over
    about `sigma` pixels outside them, so a filled disocclusion has a soft edge."""
    return np.maximum(holes, cv2.GaussianBlur(holes.astype(np.float32), (0, 0), sigma) * 2).clip(0, 1).astype(np.float32)


def push_pull(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Fill invalid pixels smoothly from coarser averages of the valid ones (a pyramid fill)."""
    h, w = valid.shape
    if valid.all():
        return values
    if not valid.any():
        return np.zeros_like(values)
    if min(h, w) <= 2:
        mean = values[valid].mean(axis=0)
        return np.where(valid[..., None], values, mean)
    weight = valid.astype(np.float32)
    size = (max(1, w // 2), max(1, h // 2))
    small_w = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    small_v = cv2.resize(values * weight[..., None], size, interpolation=cv2.INTER_AREA)
    small_v = small_v.reshape(size[1], size[0], -1) / np.maximum(small_w, 1e-6)[..., None]
    filled = push_pull(small_v.astype(np.float32), small_w > 1e-6)
    up = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
    return np.where(valid[..., None], values, up)


def _background_mask(depth: np.ndarray, valid: np.ndarray, radius: int, tolerance: float) -> np.ndarray:
    """Valid pixels that are (nearly) the furthest back within `radius`: what shows through holes."""
    z = np.where(valid, depth, np.float32(1e9)).astype(np.float32)
    r = int(min(max(radius, 1), 64))
    z_min = cv2.erode(z, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1)))
    return valid & (depth <= z_min + tolerance)


def splat_displacement(velocity: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Displacement field on the *target* grid after k frames, the disocclusion mask, and the background mask.

    Each source pixel is splatted bilinearly onto the four target pixels around where it lands;
    where sources collide only those within half a pixel of the most-foreground one (largest motion
    relative to the median motion) are averaged. Cracks (holes a pixel or two wide, where the motion
    stretches) take the average displacement around them; real disocclusions, which open behind a
    moving object, take the displacement of the background around them, not the object's.
    """
    h, w = velocity.shape[:2]
    disp = velocity * np.float32(k)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    tx = (gx + disp[..., 0]).ravel()
    ty = (gy + disp[..., 1]).ravel()
    rel = velocity - np.median(velocity.reshape(-1, 2), axis=0)
    depth = np.sqrt((rel**2).sum(-1)).ravel() * np.float32(k)
    x0, y0 = np.floor(tx), np.floor(ty)
    fx, fy = tx - x0, ty - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    flat_d = disp.reshape(-1, 2)
    idx_l, wt_l, src_l = [], [], []
    for ox, oy, wt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xi, yi = x0 + ox, y0 + oy
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h) & (wt > 1e-3)
        idx_l.append((yi * w + xi)[ok])
        wt_l.append(wt[ok])
        src_l.append(np.nonzero(ok)[0])
    idx = np.concatenate(idx_l)
    wts = np.concatenate(wt_l)
    src = np.concatenate(src_l)
    zbuf = np.full(h * w, -np.inf, np.float32)
    np.maximum.at(zbuf, idx, depth[src])
    keep = depth[src] >= zbuf[idx] - 0.5
    idx, wts, src = idx[keep], wts[keep], src[keep]
    total = np.bincount(idx, weights=wts, minlength=h * w)
    out = np.zeros((h * w, 2), np.float32)
    for c in range(2):
        out[:, c] = np.bincount(idx, weights=wts * flat_d[src, c], minlength=h * w) / np.maximum(total, 1e-6)
    out = out.reshape(h, w, 2)
    valid = (total > 0.05).reshape(h, w)
    zfield = np.where(np.isfinite(zbuf), zbuf, 0).reshape(h, w).astype(np.float32)
    if valid.all():
        return out, ~valid, valid
    # cracks: holes that a 5x5 closing of the valid mask covers
    closed = cv2.morphologyEx(valid.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    cracks = closed & ~valid
    out = np.where(cracks[..., None], push_pull(out, valid), out)
    zfield = np.where(cracks, push_pull(zfield[..., None], valid)[..., 0], zfield)
    holes = ~closed
    radius = int(np.ceil(depth.max())) + 2 if depth.size else 2
    background = _background_mask(zfield, closed, radius, tolerance=0.5 * max(1.0, float(k)) ** 0.5)
    if holes.any():
        out = np.where(holes[..., None], push_pull(out, background), out)
    return out.astype(np.float32), holes, background


def extrapolate(last: np.ndarray, velocity: np.ndarray, k: float, feather: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The last frame carried k frames forward at constant velocity.

    Colours come from one bilinear backward warp of the last frame with the splatted displacement.
    A disoccluded area was hidden in the last frame, so warping would copy the object that hid it
    (a ghost); instead it is filled smoothly from the background colours around it.
    feather: Gaussian sigma (pixels) of a soft edge around filled disocclusions (0: a hard edge).
    Returns (frame, target displacement field, disocclusion mask).
    """
    disp, holes, background = splat_displacement(velocity, k)
    frame = backward_warp(last, -disp)
    if holes.any():
        fill = np.clip(push_pull(frame.astype(np.float32), background & ~holes) + 0.5, 0, 255).astype(np.uint8)
        if feather > 0:
            alpha = soft_hole_alpha(holes, feather)
            frame = cv2.blendLinear(fill, frame, alpha.astype(np.float32), (1 - alpha).astype(np.float32))
        else:
            frame = np.where(holes[..., None], fill, frame)
    return frame, disp, holes
