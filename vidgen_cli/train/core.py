"""The one training loop that interpolate, stylize and predict share.

A model-specific `Task` says how to sample a batch, compute the loss and validate; the loop owns
seeding, the optimizer, mixed precision, periodic checkpoints, `--resume`, and writing the final
weights with their metadata (see vidgen_cli.weights).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch

from vidgen_cli import weights
from vidgen_cli.device import Placement


class Task(Protocol):
    """What a model brings to the loop."""

    arch: str
    config: Any
    model: torch.nn.Module
    data: dict[str, Any]  # description of the training data, stored in the metadata

    def sample_batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> Any: ...

    def loss(self, model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...

    def validate(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]: ...


@dataclass
class TrainSettings:
    out: Path
    steps: int = 2000
    batch_size: int = 8
    lr: float = 3e-4
    weight_decay: float = 0.0
    checkpoint_every: int = 200
    validate_every: int = 500
    seed: int = 0
    resume: bool = False
    amp: bool = True  # bf16 autocast on the CPU, fp16 + GradScaler on CUDA
    command: list[str] = field(default_factory=lambda: list(sys.argv))


ProgressFn = Callable[[int, int, dict[str, float]], None]


def _seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def checkpoint_path(out: Path) -> Path:
    return Path(out).with_suffix(".ckpt")


def _save_checkpoint(path: Path, step: int, model, optimizer, scaler, rng, elapsed: float, history) -> None:
    state = {
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "rng": json.dumps(rng.bit_generator.state),
        "torch_rng": torch.get_rng_state(),
        "elapsed": elapsed,
        "history": json.dumps(history),
    }
    tmp = path.with_name(path.name + ".part")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(task: Task, settings: TrainSettings, placement: Placement, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run the loop and write OUT (.pt + .json). Returns the metadata written."""
    rng = _seed_everything(settings.seed)
    device = placement.device
    model = task.model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler_total = max(1, settings.steps)
    use_cuda_amp = settings.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_cuda_amp else None
    amp_dtype = torch.float16 if use_cuda_amp else torch.bfloat16

    step, elapsed, history = 0, 0.0, []
    ckpt = checkpoint_path(settings.out)
    if settings.resume and ckpt.is_file():
        state = torch.load(ckpt, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        step, elapsed, history = state["step"], state["elapsed"], json.loads(state["history"])

    metrics: dict[str, float] = {}
    started = time.monotonic() - elapsed
    model.train()
    while step < settings.steps:
        lr = float(settings.lr * 0.5 * (1 + np.cos(np.pi * step / scheduler_total)))  # cosine decay; a plain float keeps checkpoints weights_only-loadable
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = task.sample_batch(rng, settings.batch_size, device)
        with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=settings.amp):
            loss, metrics = task.loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        step += 1
        metrics = {"loss": float(loss.detach()), **metrics}
        if step % settings.validate_every == 0 or step == settings.steps:
            model.eval()
            with torch.no_grad():
                val = task.validate(model, device)
            model.train()
            history.append({"step": step, **val})
            metrics.update({f"val_{k}": v for k, v in val.items()})
        if step % settings.checkpoint_every == 0 and step < settings.steps:
            _save_checkpoint(ckpt, step, model, optimizer, scaler, rng, time.monotonic() - started, history)
        if progress:
            progress(step, settings.steps, metrics)

    model.eval()
    meta = weights.save(
        settings.out,
        task.arch,
        task.config,
        model,
        {
            "command": " ".join(settings.command),
            "data": task.data,
            "steps": settings.steps,
            "batch_size": settings.batch_size,
            "lr": settings.lr,
            "seed": settings.seed,
            "device": str(device),
            "wall_seconds": round(time.monotonic() - started, 1),
            "validation": history[-1] if history else {},
            "validation_history": history,
            "parameters": sum(p.numel() for p in model.parameters()),
        },
    )
    ckpt.unlink(missing_ok=True)
    return meta
