"""The one place that picks the optical-flow estimator for a placement.

Models on CUDA get `DeviceFlow` (vidgen_cli.models.flow.TorchFlow, DIS ported to torch, on the
models' GPU); on the CPU the estimator is OpenCV's DIS (vidgen_cli.vision.flow.DISFlow), which
took 2-9x less time there for the same interpolation quality (bench/results/flow_parity.json). `VIDGEN_FLOW=dis|torch` overrides
the choice (`auto`, the default, as above): `torch` on a CPU runs the torch port there, `dis` on a
GPU keeps motion on the CPU.

Both estimators take and return numpy arrays (grey or RGB uint8 frames in; float32 H x W x 2 flows in
pixels out), so the interpolation, stylization and prediction code around them is the same.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.vision.flow import DISFlow, to_gray

if TYPE_CHECKING:
    from vidgen_cli.device import Placement

ENV = "VIDGEN_FLOW"
CHOICES = ("auto", "dis", "torch")

Flow = Callable[[np.ndarray, np.ndarray], np.ndarray]


def kind(placement: "Placement | None") -> str:
    """'torch' or 'dis': the estimator `estimator` gives for this placement under $VIDGEN_FLOW."""
    asked = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if asked not in CHOICES:
        raise UsageError(f"{ENV}={asked!r} is not a flow estimator: use auto, dis or torch")
    if asked != "auto":
        return asked
    return "torch" if placement is not None and placement.is_cuda else "dis"


def estimator(placement: "Placement | None", preset: str = "medium", finest_scale: int | None = None,
              refine_iters: int | None = None) -> Flow:
    """A flow estimator for frames of models placed at `placement` (None: the CPU), configured as
    OpenCV's DIS preset `preset` with optional changes. Keep one per stream."""
    if kind(placement) == "dis":
        return DISFlow(preset, finest_scale, refine_iters)
    return DeviceFlow(placement, preset, finest_scale, refine_iters)


class DeviceFlow:
    """TorchFlow behind DISFlow's numpy interface, on `placement`'s device (default: the CPU),
    always computing in float32 (the placement's dtype is for the networks)."""

    def __init__(self, placement: "Placement | None" = None, preset: str = "medium", finest_scale: int | None = None,
                 refine_iters: int | None = None) -> None:
        import torch

        from vidgen_cli.models.flow import TorchFlow
        from vidgen_cli.models.flow import preset as config_of

        changes = {k: v for k, v in (("finest_scale", finest_scale), ("refine_iters", refine_iters)) if v is not None}
        self.module = TorchFlow(config_of(preset, **changes))
        self.device = placement.device if placement is not None else torch.device("cpu")
        self._torch = torch

    def _grey(self, frames: list[np.ndarray]) -> "object":
        grey = np.stack([to_gray(f) for f in frames])[:, None]
        return self._torch.from_numpy(grey).to(self.device).float()

    def _run(self, first: np.ndarray, second: np.ndarray, both: bool) -> np.ndarray:
        """N x H x W x 2 flows: first -> second, and second -> first when `both` (one batch)."""
        with self._torch.inference_mode():
            grey = self._grey([first, second])  # one upload of the two frames
            flow = self.module(grey, grey.flip(0)) if both else self.module(grey[:1], grey[1:])
        return flow.permute(0, 2, 3, 1).float().cpu().numpy()

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Flow first -> second (H x W x 2 float32 pixels)."""
        return self._run(first, second, both=False)[0]

    def both(self, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flows first -> second and second -> first, estimated as one batch."""
        flows = self._run(first, second, both=True)
        return flows[0], flows[1]
