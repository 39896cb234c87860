"""Interpolation engines: motion is computed once per pair at a bounded work resolution, then any t is rendered.

`FlowEngine` is the `flow` model (no learning); `LearnedEngine` refines it with the shipped FusionNet."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Engines: compute motion once per pair (at a bounded "work" resolution), then render any t.
from vidgen_cli import optical_flow
from vidgen_cli.device import to_array, to_tensor
from vidgen_cli.vision.interpolation import (
    FLOW_MODEL_SETTINGS,
    FlowEstimator,
    FlowSettings,
    PairFlows,
    coverage_mask,
    intermediate,
    occlusion_mask,
    resize_flow,
)
from vidgen_cli.vision.flow import backward_warp
from vidgen_cli.vision.hypotheses import linear_hypotheses, select
from vidgen_cli.vision.multiframe import Guard, Neighbour, path_offset
from vidgen_cli.vision.planes import blend, rgb8
from vidgen_cli.vision.sizes import fit_image


# Longest side (pixels) at which motion is estimated and splatted; frames are still warped at full size.
WORK_SIDE = 640
# The `flow` model follows each pixel's path through the frames around a pair (measured: see CHANGELOG
# and bench/interpolate.py --datasets clips). With the previous frame alone (the last pair before a
# cut, a pause or the end) a quadratic through three frames: on held-out video-train quads
# (bench/interp_motion_at_t.py --multiframe) +0.22 dB (frames 2 apart) and +0.33 (4 apart); with the
# next frame alone +0.23 and -0.04, so there the path stays straight.
MULTIFRAME = True
PREVIOUS_ALONE = True


def _up(image: np.ndarray, w: int, h: int) -> np.ndarray:
    if image.shape[:2] == (h, w):
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass
class PairState:
    """Motion of one pair at work resolution, plus the full-resolution frames to render from."""

    frame0: np.ndarray
    frame1: np.ndarray
    small0: np.ndarray
    small1: np.ndarray
    flows: PairFlows


class FlowEngine:
    """The `flow` model: splatted DIS intermediate flows, time-weighted blend, bicubic warps, no learning
    (settings: vidgen_cli.vision.interpolation.FLOW_MODEL_SETTINGS).

    Motion is estimated and splatted at most at `work_side` pixels on the long side; only the
    final warps run at full resolution, so memory and time stay bounded at 4K. On held-out 720p
    frames of the training clips, motion at 640 px scored 38.95 dB vs 39.06 at full 1280 px, at
    a third of the time.
    """

    name = "flow"
    multiple = 1
    weights_sha256: str | None = None

    def __init__(self, settings: FlowSettings | None = None, work_side: int = WORK_SIDE, placement=None,
                 multiframe: bool = MULTIFRAME, previous_alone: bool = PREVIOUS_ALONE, guard: Guard | None = None) -> None:
        """placement: where the models run; motion is estimated there too (vidgen_cli.optical_flow).
        multiframe: a stream processor hands `at` the motion of the frames around the pair and the
        intermediate flows follow each pixel's curved path (vidgen_cli.vision.multiframe);
        previous_alone: also with the previous frame only (a quadratic through three frames);
        guard: its per-pixel limits."""
        self.settings = settings or FlowSettings(**FLOW_MODEL_SETTINGS)
        self.work_side = work_side
        self.multiframe, self.previous_alone = multiframe, previous_alone
        self.guard = guard or Guard()
        s = self.settings
        self.flow_kind = optical_flow.kind(placement)
        # On the CPU the estimator builds its own OpenCV DIS objects (per size, with the pre-pass).
        injected = None if self.flow_kind == "dis" else optical_flow.estimator(placement, s.preset, s.finest_scale, s.refine_iters)
        self.estimator = FlowEstimator(s, injected)

    def prepare(self, frame0: np.ndarray, frame1: np.ndarray) -> PairState:
        """Frames: H x W x 3 (RGB) or x 4 (RGBA), uint8 or uint16. Motion is measured on their 8-bit
        RGB view; every plane (alpha included) is then moved by that same motion."""
        v0, v1 = rgb8(frame0), rgb8(frame1)
        s0, s1 = fit_image(v0, self.work_side, minimum=8), fit_image(v1, self.work_side, minimum=8)
        return PairState(frame0, frame1, s0, s1, self.estimator(s0, s1))

    def restore(self, a: dict[str, np.ndarray]) -> PairState:
        """A pair's state from its frames and saved flows (`frame0`, `frame1`, `f01`, `f10`, `c0`, `c1`):
        what a resumed run rebuilds instead of estimating the motion again."""
        small = [fit_image(rgb8(a[k]), self.work_side, minimum=8) for k in ("frame0", "frame1")]
        return PairState(a["frame0"], a["frame1"], *small, PairFlows(a["f01"], a["f10"], a["c0"], a["c1"]))

    def _render(self, state: PairState, ft0: np.ndarray, ft1: np.ndarray, mask: np.ndarray | float,
                residual: np.ndarray | None = None, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """Warp the full-resolution frames with (upsampled) flows and blend with (upsampled) mask."""
        h, w = state.frame0.shape[:2]
        ft0, ft1 = resize_flow(ft0, w, h), resize_flow(ft1, w, h)
        m = _up(mask.astype(np.float32), w, h) if isinstance(mask, np.ndarray) else np.full((h, w), mask, np.float32)
        # Warped as float and rounded once, after the blend: rounding each warp to integers first
        # cost 0.66 dB on near-still 8-bit video (55 dB; bench/results/interpolate_render.json).
        w0 = backward_warp(state.frame0.astype(np.float32), ft0, interpolation=interpolation)
        w1 = backward_warp(state.frame1.astype(np.float32), ft1, interpolation=interpolation)
        extra = _up(residual.astype(np.float32), w, h) if residual is not None else None
        if state.frame0.dtype != np.uint8 or state.frame0.shape[2] != 3:  # RGBA or 16-bit: every plane
            return blend(w0, w1, m, extra, like=state.frame0)
        out = cv2.blendLinear(w0, w1, m, 1.0 - m)  # the 8-bit RGB hot path, in OpenCV
        if extra is not None:
            cv2.add(out, extra, dst=out)
        cv2.max(out, 0.0, dst=out)
        return cv2.convertScaleAbs(out)  # rounded, saturated at 255

    def motion(self, state: PairState, t: float, before: Neighbour | None = None,
               after: Neighbour | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
        """(ft0, ft1, weight of frame 0) at work resolution, as the settings choose them; with the
        neighbours' motion (`before`, `after`: see `neighbours`), moved onto each pixel's path."""
        ft0, ft1, mask = self._two_frame_motion(state, t)
        if before is None or (after is None and not self.previous_alone):
            before = after = None
        offset = path_offset(ft0, ft1, t, before, after, self.guard) if self.multiframe else None
        if offset is not None:
            ft0, ft1 = ft0 - offset, ft1 - offset
        return ft0, ft1, mask

    def neighbours(self, previous: PairFlows | None, following: PairFlows | None, spans: tuple[float, float] = (1.0, 1.0),
                   ) -> tuple[Neighbour | None, Neighbour | None]:
        """The outer motions of a pair from its neighbouring pairs' flows (None where there is no
        neighbour): the previous pair's backward flow (frame 0 -> the frame before) and the next pair's
        forward flow (frame 1 -> the frame after), with their spans in units of this pair's span."""
        before = Neighbour(previous.f10, previous.c1, spans[0]) if previous is not None else None
        after = Neighbour(following.f01, following.c0, spans[1]) if following is not None else None
        return before, after

    def _two_frame_motion(self, state: PairState, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
        s, flows = self.settings, state.flows
        inter = intermediate(state.small0, state.small1, flows, t, s) if s.splat else None
        if s.hypotheses:
            candidates = linear_hypotheses(flows.f01, flows.f10, t)
            if inter is not None:
                candidates.append((inter.ft0, inter.ft1))
            ft0, ft1, _ = select(state.small0, state.small1, candidates, s.select_radius)
        elif inter is not None:
            ft0, ft1 = inter.ft0, inter.ft1
        else:
            ft0, ft1 = linear_hypotheses(flows.f01, flows.f10, t)[0]
        if s.visibility_blend and inter is not None:
            return ft0, ft1, occlusion_mask(inter.v0, inter.v1, t)
        if s.coverage_blend:
            return ft0, ft1, coverage_mask(flows, t, s.coverage_floor)
        return ft0, ft1, 1.0 - t

    def at(self, state: PairState, t: float, before: Neighbour | None = None, after: Neighbour | None = None) -> np.ndarray:
        ft0, ft1, mask = self.motion(state, t, before, after)
        return self._render(state, ft0, ft1, mask, interpolation=cv2.INTER_CUBIC if self.settings.cubic else cv2.INTER_LINEAR)


class LearnedEngine(FlowEngine):
    """The learned model: FusionNet refines the mask, residual and flows of the `flow` engine.

    The net runs at work resolution (default at most 640 px long side); its outputs are upsampled
    and applied to full-resolution warps. At 720p 2x it measured about as fast as minterpolate
    (ratio 0.92 on a loaded 2-core machine); DIS flow, not the net, is most of the time.
    """

    def __init__(self, weights_name: str = "interp-fusion", placement=None, settings: FlowSettings | None = None,
                 work_side: int = WORK_SIDE) -> None:
        import torch

        from vidgen_cli import weights

        weights.check_kind(weights_name, "interp-fusion")  # before its metadata is read as flow settings
        if settings is None:  # motion exactly as the net saw it in training
            recorded = weights.read_metadata(weights.find(weights_name)).get("data", {}).get("flow_settings", {})
            settings = FlowSettings(**recorded)
        super().__init__(settings, work_side, placement, multiframe=False)
        self.name = weights_name
        self.placement = placement
        self.model = weights.load_model(weights_name, placement)
        self.weights_sha256 = weights.sha256_for(weights_name)
        self.multiple = self.model.config.multiple
        self._torch = torch

    def at(self, state: PairState, t: float, before: Neighbour | None = None, after: Neighbour | None = None) -> np.ndarray:
        """The neighbours' motion is not used: the net was trained on two-frame motion."""
        torch = self._torch
        inter = intermediate(state.small0, state.small1, state.flows, t, self.settings)
        h, w = inter.w0.shape[:2]

        def tensor(a: np.ndarray) -> "torch.Tensor":  # padded (edge pixels) to the net's multiple
            return to_tensor(a, self.placement, self.multiple)

        t_map = to_tensor(np.full((1, 1), t, np.float32), self.placement)  # 1 x 1 x 1 x 1
        with torch.inference_mode():
            mask, residual, dflow = self.model(tensor(inter.w0 * (1 / 255)), tensor(inter.w1 * (1 / 255)), tensor(inter.ft0),
                                               tensor(inter.ft1), tensor(inter.v0), tensor(inter.v1), t_map)
        mask = to_array(mask, h, w)[..., 0]
        residual = to_array(residual, h, w) * 255
        dflow = to_array(dflow, h, w)
        return self._render(state, inter.ft0 + dflow[..., :2], inter.ft1 + dflow[..., 2:], mask, residual)
