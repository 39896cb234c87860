"""Weights anyone can reproduce: a training command repeated on the CPU gives the same bytes, and
what it records reruns from another checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.test_interp_model import _frames_folder

REPO = Path(__file__).resolve().parents[1]


def test_a_short_training_run_repeated_on_the_cpu_is_bitwise_identical(tmp_path, monkeypatch):
    from vidgen_cli.cli.train_interpolate import command

    data = _frames_folder(tmp_path / "clip")
    monkeypatch.setattr("sys.argv", ["vidgen", "train", "interpolate", "--data", str(data)])
    digests = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        command(data=[data], out=tmp_path / run / "tiny.pt", steps=3, batch_size=2, lr=1e-3, checkpoint_every=100,
                validate_every=3, resume=False, seed=5, device="cpu", pool=4, crop=64, max_side=224, max_frames=100,
                threads=1, refine_channels=4)
        digests.append(json.loads((tmp_path / run / "tiny.json").read_text())["sha256"])
        torch.manual_seed(1234 if run == "first" else 99)  # whatever ran before must not matter
    assert digests[0] == digests[1]


def test_recorded_paths_are_relative_to_the_checkout_or_the_shared_data(monkeypatch):
    from vidgen_cli.cli.training import recorded_command
    from vidgen_cli.train.core import portable_path

    assert portable_path(REPO / "weights" / "x.pt") == "weights/x.pt"
    shared = REPO.parent / "shared" / "data"
    if shared.exists():
        assert portable_path(shared.resolve() / "video") == "../shared/data/video"
    monkeypatch.chdir(REPO / "weights")
    monkeypatch.setattr("sys.argv", ["vidgen", "train", "predict", "--data", "../vidgen_cli", "-o", "new.pt", "--steps", "3"])
    assert recorded_command("predict") == ["vidgen", "train", "predict", "--data", "vidgen_cli", "-o", "weights/new.pt",
                                           "--steps", "3"]


def test_training_metadata_records_the_threads_it_ran_with(tmp_path):
    from vidgen_cli.device import choose
    from vidgen_cli.train.core import TrainSettings, train

    from tests.test_devices import _digits_task

    before = torch.get_num_threads()
    placement = choose("cpu")
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            meta = train(_digits_task(), TrainSettings(out=tmp_path / "d.pt", steps=1, batch_size=1, amp=False), placement)
            assert meta["threads"] == threads and meta["processes"] == 1
    finally:
        torch.set_num_threads(before)


SHIPPED = sorted(p.stem for p in (REPO / "weights").glob("*.json"))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_training_commands_are_portable(name):
    command = json.loads((REPO / "weights" / f"{name}.json").read_text())["command"].split()
    paths = [arg for arg in command[3:] if "/" in arg]
    assert not [p for p in paths if p.startswith("/")], paths
    # a fit with no weights file (the flow predictor's mixture, kept in code) writes its JSON itself
    written = "pt" if (REPO / "weights" / f"{name}.pt").exists() else "json"
    assert command[command.index("-o") + 1] == f"weights/{name}.{written}"


EVALUATION_ONLY = ("../shared/data/video", "../shared/data/interp")  # README of ../shared/data


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_weights_never_trained_on_evaluation_data(name):
    """The evaluation clips and the public benchmark sets may be validated on (--held-out-data),
    never trained on: the recorded --data and the clips the run decoded must avoid them. The same
    holds for fitted parameters recorded here (forecast-mixture.json: bench/fit_forecast.py)."""
    meta = json.loads((REPO / "weights" / f"{name}.json").read_text())
    command = meta["command"].split()
    trained_on = [command[i + 1].rstrip("/") for i, arg in enumerate(command[:-1]) if arg == "--data"]
    assert not [d for d in trained_on if any(d == e or d.startswith(e + "/") for e in EVALUATION_ONLY)], trained_on
    evaluation = REPO.parent / "shared" / "data" / "video"
    if evaluation.is_dir():
        assert not set(meta["data"].get("clips", [])) & {p.name for p in evaluation.iterdir()}
