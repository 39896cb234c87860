"""The predictor: copy, constant-velocity flow extrapolation, or a learned refiner over it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli import optical_flow

if TYPE_CHECKING:
    from vidgen_cli.device import Placement

from vidgen_cli.vision.extrapolate import FLOW_MAX_SIDE, estimate_motion, estimate_velocities, extrapolate, to_frame_grid
from vidgen_cli.vision.forecast import forecast
from vidgen_cli.vision.sizes import fit_image

MODELS = ("copy", "flow", "learned")
# `flow` is the default. At native resolution through the CLI (bench/results/predict_learned.json:
# dog_walk 720p and crystal_handheld 720x480, one point each) the learned refiner scored a little
# higher (+0.02 dB at horizon 1, +0.26 at 3, +0.78 at 10) but took 6x the time, peaked at 1.5 GB at
# 720p (flow: 459 MB) and breaks moving objects into hard-edged blocks (on the blob scene of
# tests/test_predict.py its largest luma step reached 144 by frame 10, flow 34, the context 15), so
# it misses the default's bounds (2x flow's time, 600 MB at 720p) and stays opt-in.
# (Those figures are against the former flow predictor, the equal mean of crossed and splatted; the
# speed mixture of vision/forecast.py that replaced it has not been compared with the refiner.)
DEFAULT_MODEL = "flow"
VIDEO_WEIGHTS = "predict-video"
# Longest horizon extrapolated from one motion estimate (and the longest the refiner was trained on).
MAX_HORIZON = 10


# --- the predictor -------------------------------------------------------------------------------


class Predictor:
    """Predicts the frames that follow a context of frames.

    `model` is 'copy', 'flow', 'learned' (the shipped natural-video weights) or a path to a .pt
    file trained by `vidgen train predict`. `context_size` is how many trailing frames `predict`
    uses; pass at least that many (fewer work down to one, with copy as the fallback).
    """

    def __init__(self, model: str = DEFAULT_MODEL, placement: "Placement | None" = None, flow_preset: str = "medium") -> None:
        self.name = model
        self._flow = optical_flow.estimator(placement, flow_preset)
        self.flow_kind = optical_flow.kind(placement)
        self._net = None
        self._placement = placement
        self.weights_sha256: str | None = None
        if model in ("copy", "flow"):
            self.kind = model
        else:
            from vidgen_cli import weights
            from vidgen_cli.device import choose

            self._placement = placement or choose("auto")
            name = VIDEO_WEIGHTS if model == "learned" else model
            self._net = weights.load_model(name, self._placement, arch="flow-refiner")
            self.weights_sha256 = weights.sha256_for(name)
            if not hasattr(self._net, "refine"):
                raise UsageError(f"weights '{model}' are not a natural-video predictor; use 'copy', 'flow' or 'learned'")
            self.kind = "learned"
        self.context_size = {"copy": 1, "flow": 3, "learned": 3}[self.kind]

    def fingerprint(self) -> dict[str, Any]:
        """Where the model runs and its exact weights: what a --resume must match besides the options."""
        return {**(self._placement.key() if self._placement else {}), "weights": self.weights_sha256, "flow": self.flow_kind}

    def predict(self, context: Sequence[np.ndarray], n: int) -> Iterator[np.ndarray]:
        """Yield n new frames (H x W x 3 uint8 RGB) continuing `context` (oldest first)."""
        if n < 0:
            raise UsageError("the number of frames to predict must be 0 or more")
        if not context:
            raise UsageError("prediction needs at least one context frame")
        context = list(context[-max(self.context_size, 1) :])
        if n == 0:
            return
        if self.kind == "copy" or len(context) < 2:
            for _ in range(n):
                yield context[-1].copy()
            return
        done = 0
        while done < n:
            # constant velocity holds for a few frames at best; past MAX_HORIZON the motion is
            # re-estimated from the frames predicted so far (the model was trained up to it)
            chunk = min(MAX_HORIZON, n - done)
            last = context[-1]
            predicted = []
            if self._net is not None:  # the refiner was trained on undamped splatted extrapolation
                velocity = estimate_velocities(context, self._flow)[1]
                frames = (self._refine(context, *extrapolate(last, velocity, k), k) for k in range(1, chunk + 1))
            else:
                latest, smoothed, scale = estimate_motion(context, self._flow)
                latest_full = to_frame_grid(latest, *last.shape[:2], scale)
                small_last = fit_image(last, FLOW_MAX_SIDE)
                frames = (forecast(last, small_last, latest_full, smoothed, scale, k) for k in range(1, chunk + 1))
            for frame in frames:
                predicted.append(frame)
                yield frame
            done += chunk
            context = (context + predicted)[-self.context_size :]

    def _refine(self, context: list[np.ndarray], frame: np.ndarray, disp: np.ndarray, holes: np.ndarray, k: int) -> np.ndarray:
        import torch

        from vidgen_cli.device import to_array, to_tensor
        from vidgen_cli.models.predict import refiner_inputs

        h, w = frame.shape[:2]
        with torch.inference_mode():  # the refiner pads to its own multiple
            y = self._net.refine(to_tensor(refiner_inputs(context[-2], context[-1], frame, disp, holes, k), self._placement))
        return (np.clip(to_array(y, h, w), 0, 1) * 255 + 0.5).astype(np.uint8)
