"""`vidgen train` under torchrun: DistributedDataParallel with the gloo backend on two CPU processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_two_processes_train_one_model_and_only_rank_0_writes(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               str(REPO / "tests" / "ddp_worker.py"), str(tmp_path)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["meta"]["processes"] == 2 and ranks[1]["meta"] == {}  # rank 1 wrote no weights
    # each rank sampled its own batches, yet gradients were averaged: the replicas stayed identical
    assert ranks[0]["checksum"] == ranks[1]["checksum"]
    written = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("ddp"))
    assert written == ["ddp.json", "ddp.pt"]  # the checkpoint was removed once finished
    meta = json.loads((tmp_path / "ddp.json").read_text())
    assert meta["steps"] == 4 and meta["processes"] == 2


def test_without_torchrun_nothing_is_distributed(monkeypatch):
    from vidgen_cli.train import distributed

    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    world = distributed.world_from_env()
    assert not world.distributed and world.is_main
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    assert distributed.world_from_env().rank == 2 and not distributed.world_from_env().is_main
