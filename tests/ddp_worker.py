"""Run by tests/test_distributed.py under torchrun: a tiny digits predictor trained data-parallel.
Each rank writes what train() returned and a checksum of its final parameters to OUT/rankR.json."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

from vidgen_cli.device import choose
from vidgen_cli.models.predict import DigitsPredictor, DigitsPredictorConfig
from vidgen_cli.predict.training import DigitsTask
from vidgen_cli.train.core import TrainSettings, seed_everything, train


def main(out: Path) -> None:
    placement = choose("cpu")
    torch.set_num_threads(1)
    task = DigitsTask(val_count=2)
    task.config = DigitsPredictorConfig(hidden=8, blocks=1)
    seed_everything(0)
    task.model = DigitsPredictor(task.config)
    settings = TrainSettings(out=out / "ddp.pt", steps=4, batch_size=2, validate_every=4, checkpoint_every=2, amp=False,
                             command=["vidgen", "train", "predict", "--synthetic", "moving-digits"])
    meta = train(task, settings, placement)
    rank = int(os.environ["RANK"])
    checksum = float(sum(p.double().sum() for p in task.model.parameters()))
    (out / f"rank{rank}.json").write_text(json.dumps({"meta": meta, "checksum": checksum}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
