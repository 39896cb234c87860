"""Training tasks for frame prediction, run by the shared loop in vidgen_cli.train.core.

VideoRefineTask trains the FlowRefiner on real clips: the last 20% of every clip's frames is held
out (validation only), the flow extrapolation is computed on the fly exactly as the predictor does
at run time, and the loss is L1 against the real future frame at a random horizon.
DigitsTask trains the DigitsPredictor on freshly generated moving-digits sequences (never the test
seed), with MSE, the metric the benchmark reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from vidgen_cli.device import to_tensor
from vidgen_cli.errors import InputError
from vidgen_cli.models.predict import (
    DigitsPredictor,
    DigitsPredictorConfig,
    FlowRefiner,
    FlowRefinerConfig,
    refiner_inputs,
)
from vidgen_cli.predict import moving_digits
from vidgen_cli.train.clips import load_clips
from vidgen_cli.train.core import portable_path
from vidgen_cli.vision.extrapolate import estimate_velocity, extrapolate
from vidgen_cli.vision.flow import DISFlow

HOLDOUT = 0.2
CONTEXT = 3
HORIZONS = (1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10)  # weighted towards the near future, where errors are smallest
VAL_HORIZONS = (1, 3, 10)
VALIDATION_SEED = 7  # digits validation; the test split has its own seed


class VideoRefineTask:
    arch = "flow-refiner"

    def __init__(
        self, paths: list[Path], crop: int = 128, max_side: int = 320, max_frames: int = 400, val_items: int = 18, pool: int = 0
    ) -> None:
        self.config = FlowRefinerConfig()
        self.model = FlowRefiner(self.config)
        clips = load_clips(paths, max_side=max_side, max_frames=max_frames, min_frames=CONTEXT + 2)
        if not clips:
            raise InputError(f"no usable clips under {', '.join(map(str, paths))}; pass videos or frame folders")
        self.crop = crop
        self.flow = DISFlow("medium")
        # pool > 0: compute that many examples once and draw crops from them, so that steps cost only
        # the network (computing flow and its extrapolation is about half of a fresh step on a CPU)
        self.pool_size = pool
        self.pool: list[tuple[torch.Tensor, torch.Tensor]] = []
        # train on the first 80% of each clip; the last 20% is only for validation
        self.train = [(c.name, c.frames[: int(len(c.frames) * (1 - HOLDOUT))]) for c in clips]
        self.held = [(c.name, c.frames[int(len(c.frames) * (1 - HOLDOUT)) :]) for c in clips]
        self.train = [(n, f) for n, f in self.train if len(f) >= CONTEXT + 1]
        weights = np.array([len(f) for _, f in self.train], np.float64)
        self.clip_p = weights / weights.sum()
        self.data: dict[str, Any] = {
            "paths": [portable_path(p) for p in paths],
            "clips": [c.name for c in clips],
            "max_side": max_side,
            "max_frames": max_frames,
            "train_frames": int(weights.sum()),
            "held_out": f"last {int(HOLDOUT * 100)}% of every clip's frames (validation only)",
            "pool": pool,
        }
        self.val = self._validation_set(val_items)

    def _examples(self, frames: np.ndarray, t: int, ks: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Inputs and targets for horizons `ks` from the context ending at frame t (one flow estimate)."""
        context = [frames[t - i] for i in range(CONTEXT - 1, -1, -1)]
        velocity = estimate_velocity(context, self.flow)
        out = []
        for k in ks:
            frame, disp, holes = extrapolate(context[-1], velocity, k)
            x = to_tensor(refiner_inputs(context[-2], context[-1], frame, disp, holes, k))[0]  # 13 x H x W
            y = to_tensor(frames[t + k])[0] / 255.0
            out.append((x, y))
        return out

    def _validation_set(self, items: int) -> list[tuple[torch.Tensor, torch.Tensor, int]]:
        rng = np.random.default_rng(1234)
        usable = [f for _, f in self.held if len(f) >= CONTEXT + max(VAL_HORIZONS)]
        out = []
        for i in range(items if usable else 0):
            frames = usable[i % len(usable)]
            k = VAL_HORIZONS[i % len(VAL_HORIZONS)]
            t = int(rng.integers(CONTEXT - 1, len(frames) - k))
            (x, y), = self._examples(frames, t, [k])
            out.append((x, y, k))
        return out

    def build_pool(self, on_example: Callable[[int], None] | None = None) -> None:
        """Compute the `pool` examples now (a no-op without a pool or once built). They come from
        their own seed, so --resume rebuilds the same pool. Minutes on a CPU for thousands of
        examples: `on_example(done)` reports progress."""
        if self.pool_size > 0 and not self.pool:
            xs, ys = self._fresh(np.random.default_rng(4321), self.pool_size, self.crop + 32, on_example)
            self.pool = [(x.half(), y.half()) for x, y in zip(xs, ys)]

    def _fresh(self, rng: np.random.Generator, count: int, crop: int,
               on_example: Callable[[int], None] | None = None) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        xs, ys = [], []
        while len(xs) < count:
            _, frames = self.train[int(rng.choice(len(self.train), p=self.clip_p))]
            ks = [int(k) for k in rng.choice(HORIZONS, size=min(2, count - len(xs)))]
            if len(frames) < CONTEXT + max(ks):
                continue
            if rng.random() < 0.5:  # mirror the clip: as plausible a motion as the original
                frames = frames[:, :, ::-1]
            t = int(rng.integers(CONTEXT - 1, len(frames) - max(ks)))
            window = np.ascontiguousarray(frames[t - CONTEXT + 1 : t + max(ks) + 1])
            for x, y in self._examples(window, CONTEXT - 1, ks):  # two horizons share one flow estimate
                h, w = y.shape[-2:]
                c = min(crop, h, w)
                top, left = int(rng.integers(0, h - c + 1)), int(rng.integers(0, w - c + 1))
                xs.append(x[:, top : top + c, left : left + c])
                ys.append(y[:, top : top + c, left : left + c])
            if on_example is not None:
                on_example(len(xs))
        return xs, ys

    def sample_batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.pool_size <= 0:
            xs, ys = self._fresh(rng, batch_size, self.crop)
            return torch.stack(xs).to(device), torch.stack(ys).to(device)
        self.build_pool()
        xs, ys = [], []
        for i in rng.integers(0, len(self.pool), batch_size):
            x, y = self.pool[int(i)]
            h, w = y.shape[-2:]
            c = min(self.crop, h, w)
            top, left = int(rng.integers(0, h - c + 1)), int(rng.integers(0, w - c + 1))
            x, y = x[:, top : top + c, left : left + c].float(), y[:, top : top + c, left : left + c].float()
            if rng.random() < 0.5:  # mirror: flip the images and negate the horizontal displacement
                x, y = x.flip(-1), y.flip(-1)
                x[9] = -x[9]
            xs.append(x)
            ys.append(y)
        return torch.stack(xs).to(device), torch.stack(ys).to(device)

    def loss(self, model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        x, y = batch
        pred = model(x).float()
        # the mean of per-example log MSE, i.e. minus the mean PSNR: a plain MSE would be dominated
        # by the long horizons' large errors and let the one-frame-ahead prediction go soft
        mse = ((pred - y) ** 2).mean(dim=(1, 2, 3))
        loss = torch.log10(mse + 1e-5).mean() * 10
        return loss, {}

    def validate(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]:
        """PSNR of the refined and the plain flow extrapolation on held-out frames, per horizon."""
        out: dict[str, list[float]] = {}
        for x, y, k in self.val:
            pred = model(x[None].to(device)).float().clamp(0, 1)[0].cpu()
            for name, img in (("refined", pred), ("flow", x[6:9])):
                mse = float(((img - y) ** 2).mean())
                out.setdefault(f"psnr_{name}_h{k}", []).append(10 * np.log10(1 / max(mse, 1e-10)))
        return {key: round(float(np.mean(v)), 3) for key, v in sorted(out.items())}


class DigitsTask:
    arch = "digits-predictor"

    def __init__(self, val_count: int = 200) -> None:
        self.config = DigitsPredictorConfig(hidden=192, blocks=6)
        self.model = DigitsPredictor(self.config)
        seqs = moving_digits.sequences(np.random.default_rng(VALIDATION_SEED), val_count)
        self.val = torch.from_numpy(seqs)
        self.data = {
            "synthetic": "moving-digits",
            "description": "two OpenCV-font digits bouncing in 64x64, 10 frames in, 10 out, generated fresh every step",
            "validation_seed": VALIDATION_SEED,
            "test_seed": moving_digits.TEST_SEED,
        }

    def sample_batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> torch.Tensor:
        return torch.from_numpy(moving_digits.sequences(rng, batch_size)).to(device)

    def loss(self, model: torch.nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        n = moving_digits.FRAMES_IN
        pred = model(batch[:, :n]).float()
        loss = F.mse_loss(pred, batch[:, n:])
        return loss, {"mse_frame": float(loss.detach()) * 64 * 64}

    def validate(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]:
        n = moving_digits.FRAMES_IN
        errs = []
        for i in range(0, len(self.val), 50):
            seq = self.val[i : i + 50].to(device)
            pred = model(seq[:, :n]).float().clamp(0, 1)
            errs.append(((pred - seq[:, n:]) ** 2).sum(dim=(2, 3)).mean().item())
        return {"mse_per_frame": round(float(np.mean(errs)), 3)}
