"""Motion through more than two frames: a pair's intermediate flows corrected for acceleration.

Two frames only give a straight line: the `flow` model puts a pixel at time t on the line between
where it is in frame 0 and in frame 1. A video holds the frames around the pair too, and a stream
processor has already measured their motion (the previous pair's backward flow, frame 0 -> -1,
and the next pair's forward flow, frame 1 -> 2). A polynomial through each pixel's positions at
the frames' times (Lagrange interpolation; a cubic through four frames, a quadratic through three
when only one neighbour exists) says where the pixel really is at t; the offset from the line is
subtracted from both intermediate flows, which moves the picture onto the curve.

Times are in units of the pair's span: frame 0 at 0, frame 1 at 1, the previous frame at -a, the
next at 1 + b (a = b = 1 for evenly spaced frames; other values where a duplicate-frame run makes
the spans differ).

Guards (per pixel, soft): each neighbour's departure from the line is scaled by
- its flow's forward-backward consistency at the pixel (an occluded or mismatched outer sample
  says nothing about the pixel's path), and
- a limit relative to the motion: a departure larger than `ratio` times the pixel's motion over
  the neighbour's span plus `floor` pixels is implausible for one object's acceleration and is
  shrunk toward the line (weight exp(-(|e| / limit)^2)).
A departure shrunk to 0 is the plain two-frame motion, so every guard falls back softly.

Guards tuned on held-out quads of ../shared/data/video-train only (bench/interp_motion_at_t.py
--multiframe): unguarded +0.366 / +0.252 dB over the two-frame motion (frames 2 / 4 apart), with
the default guard +0.413 / +0.297; a consistency-only or looser size guard measured the same within
0.02 dB, a tighter one (1x the motion + 2 px) lost 0.1-0.16 dB. On the evaluation clips through
`vidgen interpolate`: +0.21 dB (bench/interpolate.py --datasets clips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidgen_cli.vision.flow import backward_warp


@dataclass
class Neighbour:
    """The motion of one outer frame, at the work resolution of the pair's flows.

    flow: H x W x 2 float32 pixels: frame 0 -> previous frame (before) or frame 1 -> next frame (after).
    consistency: H x W float32 in (0, 1], the forward-backward agreement of that flow at each pixel
    of the pair's frame (1: consistent).
    span: the neighbour's time distance in units of the pair's span (a or b above), > 0."""

    flow: np.ndarray
    consistency: np.ndarray
    span: float = 1.0


@dataclass
class Guard:
    """Soft per-pixel limits on a neighbour's departure from the line (see the module docstring)."""

    ratio: float = 4.0  # times the pixel's motion over the neighbour's span
    floor: float = 4.0  # pixels at work resolution
    use_consistency: bool = True


def _basis(t: float, node: float, nodes: list[float]) -> float:
    """Lagrange basis polynomial of `node` over `nodes`, at t."""
    value = 1.0
    for other in nodes:
        if other != node:
            value *= (t - other) / (node - other)
    return value


def _guarded(e: np.ndarray, motion: np.ndarray, consistency: np.ndarray, guard: Guard | None) -> np.ndarray:
    if guard is None:
        return e
    size = np.sqrt((e * e).sum(-1))
    limit = guard.ratio * np.sqrt((motion * motion).sum(-1)) + guard.floor
    weight = np.exp(-np.square(size / limit))
    if guard.use_consistency:
        weight = weight * consistency
    return e * weight[..., None]


def path_offset(ft0: np.ndarray, ft1: np.ndarray, t: float, before: Neighbour | None, after: Neighbour | None,
                guard: Guard | None = Guard()) -> np.ndarray | None:
    """Where the polynomial through each pixel's positions puts it at t, minus the line through
    frames 0 and 1 (H x W x 2 float32, pixels at the flows' resolution); None without neighbours.

    ft0, ft1: the pair's intermediate flows at t (time t -> frame 0, time t -> frame 1), H x W x 2.
    Subtract the result from both to move the picture onto the curve."""
    if before is None and after is None:
        return None
    step = ft1 - ft0  # each pixel's motion from frame 0 to frame 1
    nodes = [0.0, 1.0] + ([-before.span] if before else []) + ([1.0 + after.span] if after else [])
    offset = np.zeros_like(ft0)
    if before is not None:
        e = backward_warp(before.flow, ft0) + before.span * step  # departure of the position at -a from the line
        c = backward_warp(before.consistency, ft0)
        offset += _basis(t, -before.span, nodes) * _guarded(e, before.span * step, c, guard)
    if after is not None:
        e = backward_warp(after.flow, ft1) - after.span * step
        c = backward_warp(after.consistency, ft1)
        offset += _basis(t, 1.0 + after.span, nodes) * _guarded(e, after.span * step, c, guard)
    return offset
