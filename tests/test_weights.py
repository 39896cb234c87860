"""Weights: saved with metadata and sha256, rebuilt from config, refused when tampered with."""

from dataclasses import dataclass

import pytest
import torch

from vidgen_cli import models, weights
from vidgen_cli.errors import WeightsError


@dataclass
class TinyConfig:
    channels: int = 3


class Tiny(torch.nn.Module):
    def __init__(self, config: TinyConfig) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(config.channels, config.channels, 1)


models.register("test-tiny", TinyConfig, Tiny)


def test_save_and_load_round_trip_with_metadata(tmp_path, monkeypatch):
    model = Tiny(TinyConfig(channels=2))
    meta = weights.save(tmp_path / "tiny.pt", "test-tiny", TinyConfig(channels=2), model, {"command": "vidgen train x", "steps": 3})
    assert meta["sha256"] == weights.sha256_of(tmp_path / "tiny.pt") and meta["steps"] == 3
    monkeypatch.setenv("VIDGEN_WEIGHTS", str(tmp_path))
    loaded = weights.load_model("tiny")
    assert loaded.conv.in_channels == 2
    assert torch.equal(loaded.conv.weight, model.conv.weight)


def test_tampered_weights_are_refused(tmp_path):
    weights.save(tmp_path / "tiny.pt", "test-tiny", TinyConfig(), Tiny(TinyConfig()), {})
    data = bytearray((tmp_path / "tiny.pt").read_bytes())
    data[-100] ^= 0xFF
    (tmp_path / "tiny.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256"):
        weights.load_checkpoint(str(tmp_path / "tiny.pt"))


def test_missing_weights_name_is_a_clear_error():
    with pytest.raises(WeightsError, match="no weights named"):
        weights.find("does-not-exist")
