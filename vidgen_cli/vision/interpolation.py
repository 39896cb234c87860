"""Interpolate one frame between two, at any time t in (0, 1), from classical bidirectional flow.

This is the `flow` model (no learning) and also the front end of the learned model, which takes the
warped frames and occlusion cues computed here and only predicts a fusion mask and a residual.

Why splatting: the flow from the unknown middle frame back to the inputs is what backward warping
needs, but DIS gives flows between the inputs. Moving each input pixel forward by t * flow and
splatting its (reversed) flow there puts motion boundaries where they are at time t; the naive
`-t * F01(x)` puts them where they were at time 0 and smears moving edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli.vision import flow_filter
from vidgen_cli.vision.flow_ensemble import combine_estimates, structure, unflip
from vidgen_cli.vision.flow import DISFlow, backward_warp, pixel_grid, to_gray
from vidgen_cli.vision.sizes import fit_image


OCC_FLOOR_DEFAULT = 0.3


@dataclass
class FlowSettings:
    """Knobs of the classical pipeline; defaults chosen on held-out frames of the training clips."""

    preset: str = "medium"
    flow_side: int = 1024  # estimate flow at most at this long side, then upsample it (bounded cost at 4K)
    min_flow_side: int | None = None  # smaller frames are enlarged (bicubic) to this long side for flow
    consistency_sigma: float = 6.0  # px: forward-backward error at which a pixel's weight halves
    fill_levels: int = 6
    finest_scale: int = 0  # DIS pyramid level where it stops: 0 (full resolution) beat 1 by 0.1 dB, 2x time
    refine_iters: int = 5  # DIS variational refinement iterations
    symmetric: bool = True  # also derive each intermediate flow from the other direction (linear motion)
    prepass: str | None = None  # DIS preset of a first pass that initialises the main one (None: one pass)
    # How the `flow` engine turns flows into a frame (the learned engine uses the splatted flows
    # only). Defaults keep the front end the shipped fusion weights were trained with; the `flow`
    # model's measured choice is FLOW_MODEL_SETTINGS below.
    splat: bool = True  # forward-splatted intermediate flows (else the crossed flows t*F10, (1-t)*F01)
    hypotheses: bool = False  # choose per pixel among several flows by photometric consistency
    select_radius: int = 3  # px: half-size of the window the consistency cost is averaged over
    visibility_blend: bool = True  # tilt the blend by forward-backward consistency (else time weights)
    cubic: bool = False  # bicubic final warps (bilinear blurs texture)
    splat_beta: float = 0.0  # softmax splatting: weight splats by exp(beta * Z), Z = -|brightness constancy error| (0: off)
    coverage_blend: bool = False  # blend by splat coverage at time t (Baker et al. 2011), else time weights
    coverage_floor: float = OCC_FLOOR_DEFAULT  # coverage blend: added to each visibility; larger tilts less
    flow_filter: str | None = None  # edge-aware post-filter of each DIS flow (vision.flow_filter spec), None: off
    ensemble: str | None = None  # extra flow estimates merged in, "+"-joined: "flip" (mirrored), "structure" (high-pass), "colour"
    ensemble_prior: float = 0.0  # grey levels of photometric error granted to the plain estimate when merging
    ensemble_below: int | None = None  # px: the ensemble only for frames whose long side is under this (None: all)
    ensemble_combine: str = "mean"  # how estimates merge: "mean", "select" (lowest photometric error per pixel), "soft" (softmin)


# The `flow` model, chosen by ablation on held-out frames of ../shared/data/video-train (38 triplets,
# native resolution; bench/interpolate.py --ablation): splatting +0.11 dB over crossed flows,
# consistency-tilted blending -0.02 dB (dropped), bicubic warps +0.05 dB, per-pixel hypothesis
# selection -0.06 dB (dropped), DIS stopping at pyramid level 1 instead of 0: same PSNR, 2.6x faster.
# Issue #12 round 2 (77 triplets): a DIS `fast` pre-pass initialising the `medium` one +0.11 dB
# (it recovers large motion that one coarse-to-fine sweep misses; 1.4x the time); flow of frames
# under 512 px long side estimated on them enlarged to 512 (sub-pixel accuracy): +0.12 dB on the
# held-out triplets scaled to 256, +0.20 at 360, +0.01 at 480 (640: +-0.02 at 256 and 360).
FLOW_MODEL_SETTINGS = dict(finest_scale=1, visibility_blend=False, cubic=True, hypotheses=False, prepass="fast",
                           min_flow_side=512)


@dataclass
class PairFlows:
    """Bidirectional flow between two frames at full resolution, plus per-pixel consistency weights."""

    f01: np.ndarray
    f10: np.ndarray
    c0: np.ndarray  # in (0, 1]: how much I0's pixel agrees with the way back (1 = visible in both)
    c1: np.ndarray


OCC_FLOOR = OCC_FLOOR_DEFAULT  # visibility only tilts the blend: DIS consistency is too noisy to trust fully


def occlusion_weights(v0, v1, t):
    """The occlusion-aware blend, written once: the unnormalised weights (a0, a1) of frame 0 and
    frame 1 at time t, from their visibilities v0, v1 in [0, 1]: the time weight, tilted towards
    the frame that sees the pixel. Works on numpy arrays and torch tensors alike (FusionNet uses it
    as the prior of its learned mask, models/interp.py)."""
    return (1 - t) * (v0 + OCC_FLOOR), t * (v1 + OCC_FLOOR)


def occlusion_mask(v0: np.ndarray, v1: np.ndarray, t: float) -> np.ndarray:
    """Weight of frame 0 in the blend, a0 / (a0 + a1) (see `occlusion_weights`); same shape as v0."""
    a0, a1 = occlusion_weights(v0, v1, t)
    return a0 / (a0 + a1)


def blend(w0: np.ndarray, w1: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """mask * w0 + (1 - mask) * w1 for H x W x C images and an H x W x 1 mask (float)."""
    return mask * w0 + (1 - mask) * w1


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward warp: output(x) = image(x + flow(x)), bilinear, replicated border."""
    return backward_warp(image, flow)


def resize_flow(flow: np.ndarray, w: int, h: int) -> np.ndarray:
    fh, fw = flow.shape[:2]
    if (fw, fh) == (w, h):
        return flow
    out = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= w / fw
    out[..., 1] *= h / fh
    return out


class FlowEstimator:
    """Bidirectional flow at a bounded resolution; keep one per stream (DIS set-up is not free).

    flow: an injected estimator, a callable (grey first, grey second) -> H x W x 2 float32 flow,
    with an optional `both(first, second) -> (f01, f10)` that estimates the two directions at once
    (vidgen_cli.optical_flow picks it from the placement); it runs one pass. None (the CPU default):
    OpenCV's DIS as `settings` say; with `settings.prepass`, each direction is estimated twice, a
    cheap DIS pass, then the main one started from it (a second coarse-to-fine sweep; it recovers
    motion too large for one). DIS objects are kept per frame size: one OpenCV DIS object fed
    frames of another size, with an initial flow, crashed (segmentation fault) in our tests.
    Frames under `settings.min_flow_side` are enlarged for flow, whichever the estimator.
    """

    def __init__(self, settings: FlowSettings | None = None, flow=None) -> None:
        self.settings = settings or FlowSettings()
        self.flow = flow
        self._dis: dict[tuple, DISFlow] = {}

    def _get(self, preset: str, shape: tuple[int, int]) -> DISFlow:
        key = (preset, shape)
        if key not in self._dis:
            if len(self._dis) >= 8:  # a batch of many sizes: bounded, rebuilt on demand
                self._dis.clear()
            self._dis[key] = DISFlow(preset, self.settings.finest_scale, self.settings.refine_iters)
        return self._dis[key]

    def directed(self, g0: np.ndarray, g1: np.ndarray) -> np.ndarray:
        """Flow g0 -> g1 (grey uint8 H x W, same size), H x W x 2 float32 pixels."""
        if self.flow is not None:
            return self.flow(g0, g1)
        main = self._get(self.settings.preset, g0.shape)
        if not self.settings.prepass:
            return main(g0, g1)
        return main.refine(g0, g1, self._get(self.settings.prepass, g0.shape)(g0, g1))

    def _both(self, g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(self.flow, "both"):
            return self.flow.both(g0, g1)
        return self.directed(g0, g1), self.directed(g1, g0)

    def _extra(self, g0: np.ndarray, g1: np.ndarray, frame0: np.ndarray, frame1: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ensemble's further (f01, f10) estimates, each in the frames' own coordinates."""
        out = []
        for kind in self.settings.ensemble.split("+"):
            if kind == "flip":  # mirrored left-right: DIS's patch grid and search see other neighbours
                a, b = self._both(np.ascontiguousarray(g0[:, ::-1]), np.ascontiguousarray(g1[:, ::-1]))
                out.append((unflip(a), unflip(b)))
            elif kind == "structure":  # high-pass images: blind to slow brightness changes
                out.append(self._both(structure(g0), structure(g1)))
            elif kind == "colour":  # the R and B planes on their own (grey is mostly G), at the grey frames' size
                c0, c1 = (cv2.resize(f, (g0.shape[1], g0.shape[0]), interpolation=cv2.INTER_AREA) for f in (frame0, frame1))
                out += [self._both(np.ascontiguousarray(c0[..., c]), np.ascontiguousarray(c1[..., c])) for c in (0, 2)]
            else:
                raise ValueError(f"unknown flow ensemble member {kind!r} (flip, structure, colour)")
        return out

    def _enlarge(self, grey: np.ndarray) -> np.ndarray:
        """`grey` enlarged (bicubic) to `min_flow_side` on its long side when smaller."""
        side, (h, w) = self.settings.min_flow_side, grey.shape[:2]
        if not side or max(h, w) >= side:
            return grey
        scale = side / max(h, w)
        return cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)

    def __call__(self, frame0: np.ndarray, frame1: np.ndarray) -> PairFlows:
        h, w = frame0.shape[:2]
        g0 = fit_image(to_gray(frame0), self.settings.flow_side, minimum=8)
        g1 = fit_image(to_gray(frame1), self.settings.flow_side, minimum=8)
        g0, g1 = self._enlarge(g0), self._enlarge(g1)
        f01, f10 = self._both(g0, g1)
        below = self.settings.ensemble_below
        if self.settings.ensemble and (not below or max(h, w) < below):
            extra = self._extra(g0, g1, frame0, frame1)
            f01, f10 = combine_estimates(g0, g1, [(f01, f10), *extra], self.settings.ensemble_combine,
                                         self.settings.ensemble_prior)
        if self.settings.flow_filter:
            f01 = flow_filter.apply(f01, g0, self.settings.flow_filter)
            f10 = flow_filter.apply(f10, g1, self.settings.flow_filter)
        if g0.shape[1] > w:  # enlarged for flow: back to frame pixels before the consistency check
            f01, f10 = resize_flow(f01, w, h), resize_flow(f10, w, h)
        c0, c1 = consistency(f01, f10, self.settings.consistency_sigma)
        f01, f10 = resize_flow(f01, w, h), resize_flow(f10, w, h)
        if c0.shape != (h, w):
            c0 = cv2.resize(c0, (w, h), interpolation=cv2.INTER_LINEAR)
            c1 = cv2.resize(c1, (w, h), interpolation=cv2.INTER_LINEAR)
        return PairFlows(f01, f10, c0, c1)


def consistency(f01: np.ndarray, f10: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Soft forward-backward check: 1 where going there and back returns home, towards 0 where not."""
    e0 = ((f01 + warp(f10, f01)) ** 2).sum(-1)
    e1 = ((f10 + warp(f01, f10)) ** 2).sum(-1)
    return 1.0 / (1.0 + e0 / sigma**2), 1.0 / (1.0 + e1 / sigma**2)


def _fill_holes(values: np.ndarray, weight: np.ndarray, levels: int) -> np.ndarray:
    """Normalized-convolution pyramid: fill where no splat landed from coarser averages."""
    eps = 1e-6
    vs, ws = [values * weight[..., None]], [weight]
    for _ in range(levels):
        if min(ws[-1].shape[:2]) < 4:
            break
        vs.append(cv2.pyrDown(vs[-1]))
        ws.append(cv2.pyrDown(ws[-1]))
    est = vs[-1] / (ws[-1][..., None] + eps)
    for v, wt in zip(reversed(vs[:-1]), reversed(ws[:-1])):
        est = cv2.resize(est, (wt.shape[1], wt.shape[0]), interpolation=cv2.INTER_LINEAR)
        here = v / (wt[..., None] + eps)
        alpha = np.clip(wt, 0, 1)[..., None]
        est = alpha * here + (1 - alpha) * est
    return est.astype(np.float32)


def _splat_targets(flow: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Flat index of the nearest target pixel of x + t * flow(x) and the mask of those inside the frame."""
    h, w = flow.shape[:2]
    target = np.rint(pixel_grid(h, w) + t * flow).astype(np.int32)
    xi, yi = target[..., 0], target[..., 1]
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    return (yi * w + xi)[ok], ok


def splat_flow(flow: np.ndarray, weight: np.ndarray, t: float, fill_levels: int = 6,
               z: np.ndarray | None = None, beta: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Forward-splat `-t * flow` to the nearest pixel of x + t * flow(x), weighted, holes filled.

    Returns the flow from time t back to the source frame and the splatted weight (coverage).
    Nearest-pixel splatting is 4x cheaper than bilinear and measured as good once holes are filled.
    z, beta: softmax splatting (Niklaus & Liu, "Softmax Splatting for Video Frame Interpolation",
    CVPR 2020): where several pixels land on one, each counts exp(beta * z) times its weight, so the
    one with the highest z (H x W float, e.g. `brightness_constancy`) wins as beta grows. The
    coverage stays the plain splatted weight. beta = 0: the weighted average.
    """
    h, w = flow.shape[:2]
    idx, ok = _splat_targets(flow, t)
    wt = weight[ok].astype(np.float64)
    acc_w = np.bincount(idx, wt, minlength=h * w).reshape(h, w).astype(np.float32)
    total, floor = acc_w, 1e-6
    if z is not None and beta:
        wt = wt * np.exp(np.maximum(beta * z[ok].astype(np.float64), -60.0))  # bounded: never all 0
        total, floor = np.bincount(idx, wt, minlength=h * w).reshape(h, w), 1e-300
    acc_x = np.bincount(idx, wt * flow[..., 0][ok], minlength=h * w)
    acc_y = np.bincount(idx, wt * flow[..., 1][ok], minlength=h * w)
    norm = -t / np.maximum(total, floor)
    mean = np.stack([acc_x.reshape(h, w) * norm, acc_y.reshape(h, w) * norm], -1).astype(np.float32)
    coverage = np.clip(acc_w, 0, 1)
    return _fill_holes(mean, coverage, fill_levels), acc_w


def brightness_constancy(first: np.ndarray, second: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Z of softmax splatting: -|first(x) - second(x + flow(x))|, mean over channels (0-255 scale),
    H x W float32; near 0 where a pixel of `first` is still visible in `second`."""
    moved = warp(second.astype(np.float32), flow)
    return -np.abs(first.astype(np.float32) - moved).reshape(*flow.shape[:2], -1).mean(-1)


def coverage_visibility(flow: np.ndarray, t: float, close: int = 9, feather: float = 3.0) -> np.ndarray:
    """Whether the source frame sees each pixel at time t (Baker et al., "A Database and Evaluation
    Methodology for Optical Flow", IJCV 2011, frame interpolation): 1 where some source pixel lands under
    x + t * flow(x), 0 where none does (hidden in the source frame). Cracks where the motion
    stretches are closed with a `close` x `close` closing; the edge is feathered (Gaussian sigma,
    pixels). H x W float32 in [0, 1]."""
    h, w = flow.shape[:2]
    idx, _ = _splat_targets(flow, t)
    landed = (np.bincount(idx, minlength=h * w) > 0).reshape(h, w).astype(np.uint8)
    landed = cv2.morphologyEx(landed, cv2.MORPH_CLOSE, np.ones((close, close), np.uint8)).astype(np.float32)
    return cv2.GaussianBlur(landed, (0, 0), feather) if feather > 0 else landed


def coverage_mask(flows: PairFlows, t: float, floor: float = OCC_FLOOR) -> np.ndarray:
    """Weight of frame 0 at time t from where each frame's pixels land (`coverage_visibility`):
    towards frame 1 where frame 0 has nothing there, and back; time weights where both or neither do.
    floor: added to each visibility (as OCC_FLOOR in `occlusion_weights`); larger tilts less."""
    a0 = (1 - t) * (coverage_visibility(flows.f01, t) + floor)
    a1 = t * (coverage_visibility(flows.f10, 1 - t) + floor)
    return a0 / (a0 + a1)


@dataclass
class Intermediate:
    """Everything the fusion step (fixed or learned) needs at time t."""

    w0: np.ndarray  # frame 0 warped to time t, float32 0-255
    w1: np.ndarray
    ft0: np.ndarray  # flow from time t to frame 0
    ft1: np.ndarray
    v0: np.ndarray  # visibility score of frame 0's sample at each pixel of time t, [0, 1]
    v1: np.ndarray


def intermediate(frame0: np.ndarray, frame1: np.ndarray, flows: PairFlows, t: float, settings: FlowSettings | None = None) -> Intermediate:
    """Intermediate flows by splatting, then warp both frames and score each sample's visibility."""
    settings = settings or FlowSettings()
    z0 = z1 = None
    if settings.splat_beta:
        z0, z1 = brightness_constancy(frame0, frame1, flows.f01), brightness_constancy(frame1, frame0, flows.f10)
    ft0, cov0 = splat_flow(flows.f01, flows.c0, t, settings.fill_levels, z0, settings.splat_beta)
    ft1, cov1 = splat_flow(flows.f10, flows.c1, 1 - t, settings.fill_levels, z1, settings.splat_beta)
    if settings.symmetric and 0 < t < 1:
        # Under linear motion F_t0 = -t/(1-t) F_t1: average the two estimates by their coverage.
        a0, a1 = np.clip(cov0, 1e-3, 1)[..., None], np.clip(cov1, 1e-3, 1)[..., None]
        ft0, ft1 = (a0 * ft0 - a1 * ft1 * t / (1 - t)) / (a0 + a1), (a1 * ft1 - a0 * ft0 * (1 - t) / t) / (a0 + a1)
    w0 = warp(frame0.astype(np.float32), ft0)
    w1 = warp(frame1.astype(np.float32), ft1)
    # A sample of frame 0 is trusted where frame 0's pixel there is consistent and where it was splatted.
    v0 = warp(flows.c0, ft0) * np.clip(cov0, 0, 1)
    v1 = warp(flows.c1, ft1) * np.clip(cov1, 0, 1)
    return Intermediate(w0, w1, ft0, ft1, v0, v1)


def fuse(inter: Intermediate, t: float) -> np.ndarray:
    """Fixed fusion: time-weighted blend, tilted towards whichever frame sees the pixel."""
    out = blend(inter.w0, inter.w1, occlusion_mask(inter.v0, inter.v1, t)[..., None])
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def interpolate_flow(frame0: np.ndarray, frame1: np.ndarray, t: float = 0.5, estimator: FlowEstimator | None = None) -> np.ndarray:
    """The `flow` model on one pair: DIS both ways, splatted intermediate flows, occlusion-aware blend."""
    estimator = estimator or FlowEstimator()
    flows = estimator(frame0, frame1)
    return fuse(intermediate(frame0, frame1, flows, t, estimator.settings), t)
