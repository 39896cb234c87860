"""FusionNet and its training command: starts as the classical model, trains, saves, resumes, loads."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from test_interpolate_pipeline import square_frame  # noqa: E402  (tests/ is on sys.path under pytest)

from vidgen_cli.interpolate.engine import FlowEngine
from vidgen_cli.models.interp import FusionConfig, FusionNet, compose
from vidgen_cli.vision.interpolation import FlowEstimator, intermediate
from vidgen_cli.weights import load_model

REPO = Path(__file__).resolve().parents[1]


def _tensor(a: np.ndarray, scale: float = 1.0) -> torch.Tensor:
    a = a if a.ndim == 3 else a[..., None]
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1))[None].astype(np.float32) * scale)


def test_untrained_net_reproduces_the_flow_model():
    f0, f1 = square_frame(40), square_frame(52)
    flows = FlowEstimator()(f0, f1)
    inter = intermediate(f0, f1, flows, 0.5)
    net = FusionNet(FusionConfig()).eval()
    with torch.no_grad():
        out = compose(net, _tensor(f0, 1 / 255), _tensor(f1, 1 / 255), _tensor(inter.ft0), _tensor(inter.ft1),
                      _tensor(inter.v0), _tensor(inter.v1), torch.full((1, 1, 1, 1), 0.5))
    ours = (out[0].numpy().transpose(1, 2, 0) * 255).clip(0, 255)
    engine = FlowEngine()
    classical = engine.at(engine.prepare(f0, f1), 0.5).astype(np.float32)
    assert np.abs(ours - classical).mean() < 1.0


def test_net_output_shapes_follow_the_input():
    net = FusionNet(FusionConfig(widths=(8, 8, 8))).eval()
    h, w = 40, 56
    args = [torch.rand(2, 3, h, w), torch.rand(2, 3, h, w), torch.randn(2, 2, h, w), torch.randn(2, 2, h, w),
            torch.rand(2, 1, h, w), torch.rand(2, 1, h, w), torch.full((2, 1, 1, 1), 0.3)]
    with torch.no_grad():
        mask, residual, dflow = net(*args)
    assert mask.shape == (2, 1, h, w) and residual.shape == (2, 3, h, w) and dflow.shape == (2, 4, h, w)
    assert float(mask.min()) >= 0 and float(mask.max()) <= 1


def _frames_folder(folder: Path, n: int = 16) -> Path:
    folder.mkdir()
    for i in range(n):
        frame = square_frame(30 + 3 * i)
        cv2.imwrite(str(folder / f"f{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def test_train_command_writes_weights_resumes_and_loads(tmp_path, monkeypatch):
    from vidgen_cli.cli.train_interpolate import command

    data = _frames_folder(tmp_path / "clip")
    out = tmp_path / "tiny.pt"
    common = dict(data=[data], out=out, batch_size=2, lr=1e-3, validate_every=2, seed=1, device="cpu", pool=4,
                  crop=64, max_side=224, max_frames=100, threads=1, refine_channels=4)
    monkeypatch.setattr("sys.argv", ["train_interpolate", "--data", str(data)])
    monkeypatch.setenv("VIDGEN_DEBUG", "1")  # let the simulated crash through instead of a one-line error

    # First run "crashes" while writing the final weights, after the step-2 checkpoint was saved.
    class Crash(Exception):
        pass

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr("vidgen_cli.train.core.weights.save", crash)
        with pytest.raises(Crash):
            command(steps=4, checkpoint_every=2, resume=False, **common)
    assert out.with_suffix(".ckpt").is_file() and not out.exists()

    command(steps=4, checkpoint_every=2, resume=True, **common)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["arch"] == "interp-fusion" and meta["steps"] == 4 and len(meta["sha256"]) == 64
    assert meta["command"].startswith("vidgen train interpolate")
    assert [h["step"] for h in meta["validation_history"]] == [2, 4]  # step 2 came from the checkpoint
    assert "psnr" in meta["validation"] and meta["data"]["clips"] == ["clip"]
    assert isinstance(load_model(str(out)), FusionNet)
    assert not out.with_suffix(".ckpt").exists()  # removed once finished


def test_shipped_weights_load_and_run_on_odd_sizes():
    if not (REPO / "weights" / "interp-fusion.pt").is_file():
        pytest.skip("no shipped interp-fusion weights in this checkout")
    from vidgen_cli.interpolate.processor import interpolate_pair

    f0, f1 = square_frame(30, h=101, w=133, size=32), square_frame(38, h=101, w=133, size=32)
    out = interpolate_pair(f0, f1, 0.5, model="fusion")
    assert out.shape == f0.shape and out.dtype == np.uint8


def test_train_command_reports_progress_while_decoding_and_building_its_pool(tmp_path, monkeypatch, capsys):
    """The flow pool takes minutes on real data: a log (stderr not a terminal) gets plain progress
    lines for the decoding and the pool, not minutes of silence, then the training steps."""
    from vidgen_cli.cli.train_interpolate import command

    data = _frames_folder(tmp_path / "clip")
    out = tmp_path / "tiny.pt"
    monkeypatch.setattr("sys.argv", ["train_interpolate", "--data", str(data)])
    command(data=[data], out=out, steps=1, batch_size=2, lr=1e-3, checkpoint_every=1, validate_every=1, resume=False, seed=1,
            device="cpu", pool=4, crop=64, max_side=224, max_frames=100, threads=1, refine_channels=0)
    err = capsys.readouterr().err
    assert "decode training clips: 1/1 clips (100%)" in err
    # one step of 2 crops uses one triplet: the pool is capped at that, not 4 (a 5-step trial run
    # used to precompute 1000 triplets' flows for minutes first)
    assert "--pool 4: 1 steps of 2 crops use at most 1 triplets; precomputing 1" in err, err
    assert "flow for 1 training triplets: 2/2 crops (100%)" in err, err
    assert "train interpolate: 1/1 steps (100%)" in err and "loss" in err
