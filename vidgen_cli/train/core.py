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
from vidgen_cli.train import distributed


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


def seed_everything(seed: int, rank: int = 0) -> np.random.Generator:
    """Seed Python's and torch's global generators (model initialisation draws from torch's) and
    return the numpy generator for data sampling; rank > 0 gets its own data stream."""
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed if rank == 0 else [seed, rank])


def portable_path(path: str | Path) -> str:
    """`path` as another checkout can rerun it: relative to the repository root when inside it,
    `../shared/...` when inside the shared data beside it, else unchanged."""
    repo = Path(__file__).resolve().parents[2]  # vidgen_cli/train/core.py -> the checkout
    target = Path(path).resolve()
    for base, prefix in ((repo / ".." / "shared", "../shared"), (repo, "")):
        if base.exists():
            try:
                rel = target.relative_to(base.resolve())
            except ValueError:
                continue
            return str(Path(prefix) / rel) if prefix else str(rel)
    return str(path)


def checkpoint_path(out: Path) -> Path:
    return Path(out).with_suffix(".ckpt")


def _rng_state(rng: np.random.Generator, device: torch.device) -> dict[str, Any]:
    """This process's generators: numpy (as JSON), torch's CPU state, and the CUDA one on CUDA."""
    cuda = torch.cuda.get_rng_state(device).cpu() if device.type == "cuda" else None
    return {"rng": json.dumps(rng.bit_generator.state), "torch_rng": torch.get_rng_state(), "cuda_rng": cuda}


def _save_checkpoint(path: Path, step: int, model, optimizer, scaler, ranks: list[dict[str, Any]], elapsed: float,
                     history) -> None:
    state = {
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else {},
        "rng": ranks[0]["rng"],
        "torch_rng": ranks[0]["torch_rng"],
        "ranks": ranks,  # every process's generators, rank order
        "elapsed": elapsed,
        "history": json.dumps(history),
    }
    tmp = path.with_name(path.name + ".part")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A training checkpoint with every tensor on the CPU, whichever device saved it: the RNG states
    must be CPU tensors, and model/optimizer state is copied onto the parameters' device on load."""
    return torch.load(path, map_location="cpu", weights_only=True)


def restore_rng(state: dict[str, Any], rank: int, rng: np.random.Generator, device: torch.device) -> None:
    """Put this rank's generators back as the checkpoint saved them (CUDA's only on CUDA)."""
    ranks = state.get("ranks") or [{"rng": state["rng"], "torch_rng": state["torch_rng"], "cuda_rng": None}]
    if rank >= len(ranks):  # more processes than saved the checkpoint: this one keeps its fresh seed
        return
    mine = ranks[rank]
    rng.bit_generator.state = json.loads(mine["rng"])
    torch.set_rng_state(mine["torch_rng"].cpu())
    if device.type == "cuda" and mine.get("cuda_rng") is not None:
        torch.cuda.set_rng_state(mine["cuda_rng"].cpu(), device)


def train(task: Task, settings: TrainSettings, placement: Placement, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run the loop and write OUT (.pt + .json). Returns the metadata written.

    Under torchrun with WORLD_SIZE > 1 the model trains data-parallel (see train.distributed):
    settings.batch_size is per process, and only rank 0 writes the checkpoint, weights and metadata.
    The task's model should be built after seed_everything(settings.seed) for reproducible weights.
    """
    world = distributed.world_from_env()
    device = distributed.start(world, placement.device)
    rng = seed_everything(settings.seed, world.rank)
    torch.manual_seed(settings.seed + world.rank)  # per-rank torch draws (dropout, augmentation) in the loop
    model = task.model.to(device)
    trained = distributed.wrap(model, world, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler_total = max(1, settings.steps)
    use_cuda_amp = settings.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda") if use_cuda_amp else None
    amp_dtype = torch.float16 if use_cuda_amp else torch.bfloat16

    step, elapsed, history = 0, 0.0, []
    ckpt = checkpoint_path(settings.out)
    if settings.resume and ckpt.is_file():
        state = load_checkpoint(ckpt)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        restore_rng(state, world.rank, rng, device)
        step, elapsed, history = state["step"], state["elapsed"], json.loads(state["history"])

    metrics: dict[str, float] = {}
    started = time.monotonic() - elapsed
    model.train()
    while step < settings.steps:
        # a Python float: a numpy scalar in the optimizer state would make the checkpoint unloadable with weights_only=True
        lr = float(settings.lr * 0.5 * (1 + np.cos(np.pi * step / scheduler_total)))  # cosine decay
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = task.sample_batch(rng, settings.batch_size, device)
        with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=settings.amp):
            loss, metrics = task.loss(trained, batch)
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
        if (step % settings.validate_every == 0 or step == settings.steps) and world.is_main:
            model.eval()
            with torch.no_grad():
                val = task.validate(model, device)
            model.train()
            history.append({"step": step, **val})
            metrics.update({f"val_{k}": v for k, v in val.items()})
        if step % settings.checkpoint_every == 0 and step < settings.steps:
            ranks = distributed.gather(world, _rng_state(rng, device))
            if world.is_main:
                _save_checkpoint(ckpt, step, model, optimizer, scaler, ranks, time.monotonic() - started, history)
            distributed.barrier(world)
        if progress:
            progress(step, settings.steps, metrics)

    model.eval()
    if not world.is_main:
        distributed.stop(world)
        return {}
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
            "threads": torch.get_num_threads(),
            "processes": world.size,
            "wall_seconds": round(time.monotonic() - started, 1),
            "validation": history[-1] if history else {},
            "validation_history": history,
            "parameters": sum(p.numel() for p in model.parameters()),
        },
    )
    ckpt.unlink(missing_ok=True)
    distributed.stop(world)
    return meta
