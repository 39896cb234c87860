"""Training task for FusionNet (vidgen_cli.models.interp) on triplets sampled from video clips.

DIS flow on the CPU costs far more than a training step, so the flows, intermediate flows and
visibility cues are computed once up front for a pool of triplets (exactly as at inference, by
vidgen_cli.vision.interpolation) and stored as small crops; each step then samples crops with flips,
transposes and time reversal. Validation uses the held-out last 20% of every clip's frames, the
frames bench/interpolate.py's `heldout` set scores, so that set stays unseen by a model trained here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
import torch

from vidgen_cli.device import to_array, to_tensor
from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.models.interp import FusionConfig, FusionNet, compose
from vidgen_cli.train.clips import Clip
from vidgen_cli.vision.interpolation import (
    FlowEstimator,
    FlowSettings,
    blend,
    intermediate,
    occlusion_mask,
    warp,
)
from vidgen_cli.vision.metrics import psnr

GAPS = (2, 2, 3, 4, 4)  # frames between the two inputs; the target is one frame in between (t = k/gap)


@dataclass
class Sample:
    """One triplet (or crop of one), ready for the net. Images uint8 HWC, cues float16."""

    i0: np.ndarray
    i1: np.ndarray
    gt: np.ndarray
    ft0: np.ndarray
    ft1: np.ndarray
    v0: np.ndarray
    v1: np.ndarray
    t: float


def _make_sample(frames: np.ndarray, start: int, gap: int, k: int, estimator: FlowEstimator, scale: float) -> Sample | None:
    i0, gt, i1 = frames[start], frames[start + k], frames[start + gap]
    if scale < 1.0:
        h, w = i0.shape[:2]
        size = (round(w * scale), round(h * scale))
        i0, gt, i1 = (cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in (i0, gt, i1))
    if np.abs(i0.astype(np.int16) - i1).mean() > 40:  # a shot cut: nothing to interpolate
        return None
    t = k / gap
    inter = intermediate(i0, i1, estimator(i0, i1), t, estimator.settings)
    f16 = np.float16
    return Sample(i0, i1, gt, inter.ft0.astype(f16), inter.ft1.astype(f16), inter.v0.astype(f16)[..., None],
                  inter.v1.astype(f16)[..., None], t)


def _crop(s: Sample, y: int, x: int, size: int) -> Sample:
    sl = (slice(y, y + size), slice(x, x + size))
    return Sample(*(a[sl].copy() for a in (s.i0, s.i1, s.gt, s.ft0, s.ft1, s.v0, s.v1)), s.t)


def _flow_fusion(s: Sample) -> np.ndarray:
    """The fixed `flow` model's float32 result for a sample: the baseline FusionNet corrects."""
    w0 = warp(s.i0.astype(np.float32), s.ft0.astype(np.float32))
    w1 = warp(s.i1.astype(np.float32), s.ft1.astype(np.float32))
    return blend(w0, w1, occlusion_mask(s.v0.astype(np.float32), s.v1.astype(np.float32), s.t))


def _error_map(s: Sample) -> np.ndarray:
    """Per-pixel error of the fixed `flow` fusion: crops are mined where it is wrong."""
    return np.abs(_flow_fusion(s) - s.gt).mean(-1)


class InterpolationTask:
    """What vidgen_cli.train.core.train needs: model, batches, loss and validation."""

    arch = "interp-fusion"

    def __init__(self, clips: list[Clip], config: FusionConfig | None = None, pool: int = 1200, crop: int = 128,
                 crops_per_triplet: int = 2, val_fraction: float = 0.2, val_triplets: int = 45, seed: int = 0,
                 settings: FlowSettings | None = None, progress: Callable[[str, int, int], None] | None = None,
                 sources: list[str] | None = None) -> None:
        if not clips:
            raise InputError("no training clips; pass --data with videos or frame folders")
        self.config = config or FusionConfig()
        self.model = FusionNet(self.config)
        self.crop = crop
        self.settings = settings or FlowSettings()
        estimator = FlowEstimator(self.settings)
        rng = np.random.default_rng(seed)
        usable = [c for c in clips if len(c.frames) >= 12 and min(c.frames.shape[1:3]) >= crop]
        if not usable:
            raise UsageError(f"no clip under --data has at least 12 frames of at least --crop {crop} px; use a smaller --crop or other clips")
        lengths = np.array([len(c.frames) for c in usable], float)
        splits = [int(len(c.frames) * (1 - val_fraction)) for c in usable]

        self.crops: list[Sample] = []
        attempts = 0
        while len(self.crops) < pool * crops_per_triplet and attempts < pool * 3:
            attempts += 1
            ci = rng.choice(len(usable), p=np.sqrt(lengths) / np.sqrt(lengths).sum())
            frames, split = usable[ci].frames, splits[ci]
            gap = int(rng.choice(GAPS))
            if split - gap < 1:
                continue
            start = int(rng.integers(0, split - gap))
            k = int(rng.integers(1, gap))
            scale = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.5, 1.0))
            sample = _make_sample(frames, start, gap, k, estimator, scale)
            if sample is None or min(sample.i0.shape[:2]) < crop:
                continue
            h, w = sample.i0.shape[:2]
            err = _error_map(sample)
            for j in range(crops_per_triplet):
                candidates = [(int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))) for _ in range(4)]
                if j == 0:  # one crop where the classical fusion errs most, one at random
                    y, x = max(candidates, key=lambda yx: err[yx[0]:yx[0] + crop, yx[1]:yx[1] + crop].mean())
                else:
                    y, x = candidates[0]
                self.crops.append(_crop(sample, y, x, crop))
            if progress:
                progress("precompute", len(self.crops), pool * crops_per_triplet)

        self.val: list[Sample] = []
        for ci, clip in enumerate(usable):
            for j in range(max(1, val_triplets // len(usable))):
                gap = 2 if j % 2 == 0 else 4  # the middle of 2- and 4-frame spans: some larger motion
                start = int(rng.integers(splits[ci], max(splits[ci] + 1, len(clip.frames) - gap)))
                if start + gap >= len(clip.frames):
                    continue
                sample = _make_sample(clip.frames, start, gap, gap // 2, estimator, 1.0)
                if sample is not None:
                    self.val.append(sample)
        self.val_flow_psnr = float(np.mean([min(60.0, psnr(self._fixed(s), s.gt)) for s in self.val]))
        self.data = {
            "sources": sources or [c.name for c in clips],
            "clips": [c.name for c in usable],
            "clip_shapes": [list(c.frames.shape) for c in usable],
            "triplet_crops": len(self.crops),
            "crop": crop,
            "gaps": list(GAPS),
            "validation": f"{len(self.val)} triplets from the last {val_fraction:.0%} of each clip",
            "flow_settings": vars(self.settings),
        }

    @staticmethod
    def _fixed(s: Sample) -> np.ndarray:
        return np.clip(_flow_fusion(s) + 0.5, 0, 255).astype(np.uint8)

    @staticmethod
    def _tensors(samples: list[Sample], device: torch.device) -> tuple[torch.Tensor, ...]:
        def stack(name: str, scale: float = 1.0) -> torch.Tensor:
            arr = np.stack([getattr(s, name) for s in samples]).astype(np.float32)
            return torch.from_numpy(arr.transpose(0, 3, 1, 2) * scale).to(device)

        t = torch.tensor([s.t for s in samples], dtype=torch.float32, device=device).view(-1, 1, 1, 1)
        return (stack("i0", 1 / 255), stack("i1", 1 / 255), stack("ft0"), stack("ft1"), stack("v0"), stack("v1"), t,
                stack("gt", 1 / 255))

    def sample_batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> tuple[torch.Tensor, ...]:
        picked = []
        for idx in rng.integers(0, len(self.crops), batch_size):
            s = self.crops[idx]
            i0, i1, gt, ft0, ft1, v0, v1, t = s.i0, s.i1, s.gt, s.ft0, s.ft1, s.v0, s.v1, s.t
            if rng.random() < 0.5:  # time reversal
                i0, i1, ft0, ft1, v0, v1, t = i1, i0, ft1, ft0, v1, v0, 1 - t
            if rng.random() < 0.5:  # horizontal flip
                i0, i1, gt, v0, v1 = (a[:, ::-1] for a in (i0, i1, gt, v0, v1))
                ft0, ft1 = (a[:, ::-1] * np.array([-1, 1], np.float16) for a in (ft0, ft1))
            if rng.random() < 0.5:  # vertical flip
                i0, i1, gt, v0, v1 = (a[::-1] for a in (i0, i1, gt, v0, v1))
                ft0, ft1 = (a[::-1] * np.array([1, -1], np.float16) for a in (ft0, ft1))
            if rng.random() < 0.5:  # transpose
                i0, i1, gt, v0, v1 = (a.transpose(1, 0, 2) for a in (i0, i1, gt, v0, v1))
                ft0, ft1 = (a.transpose(1, 0, 2)[..., ::-1] for a in (ft0, ft1))
            picked.append(Sample(i0, i1, gt, ft0, ft1, v0, v1, t))
        return self._tensors(picked, device)

    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, dict[str, float]]:
        i0, i1, ft0, ft1, v0, v1, t, gt = batch
        pred = compose(model, i0, i1, ft0, ft1, v0, v1, t).float()
        diff = pred - gt
        loss = torch.sqrt(diff * diff + 1e-6).mean()  # Charbonnier: robust L1
        return loss, {}

    def validate(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]:
        scores = []
        for s in self.val:
            h, w = s.i0.shape[:2]

            def tensor(a: np.ndarray, scale: float = 1.0) -> torch.Tensor:  # edge-padded to the net's multiple
                return to_tensor(a.astype(np.float32) * scale, multiple=self.config.multiple).to(device)

            t = torch.tensor([s.t], dtype=torch.float32, device=device).view(-1, 1, 1, 1)
            pred = compose(model, tensor(s.i0, 1 / 255), tensor(s.i1, 1 / 255), tensor(s.ft0), tensor(s.ft1), tensor(s.v0),
                           tensor(s.v1), t).detach()
            out = (np.clip(to_array(pred, h, w), 0, 1) * 255 + 0.5).astype(np.uint8)
            scores.append(min(60.0, psnr(out, s.gt)))
        return {"psnr": round(float(np.mean(scores)), 3), "psnr_flow_model": round(self.val_flow_psnr, 3)}
