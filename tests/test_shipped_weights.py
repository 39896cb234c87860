"""The shipped weights are trained: each must beat an untrained network of the same shape (built
from the same config, freshly initialised) on data it did not train on. The learned heads of the
interpolation and prediction networks start at zero, so an untrained one reproduces the classical
path exactly; a bar at or below that path would pass for it.

Margins are about half of what the shipped weights measured (2026-11-30, one thread, fp32 CPU)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from vidgen_cli import weights
from vidgen_cli.models import build
from vidgen_cli.vision.metrics import psnr

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def _untrained(name: str) -> torch.nn.Module:
    checkpoint = weights.load_checkpoint(name)
    torch.manual_seed(0)
    return build(checkpoint["arch"], checkpoint["config"]).eval()


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_digits_predictor_beats_an_untrained_one_on_the_test_split():
    from vidgen_cli.predict import moving_digits

    trained = weights.load_model("predict-digits")
    inputs, targets = moving_digits.test_split(32)
    x, y = torch.from_numpy(inputs).float(), torch.from_numpy(targets).float()

    def mse_per_frame(model: torch.nn.Module) -> float:  # summed over the 64x64 pixels, as in the metadata
        with torch.inference_mode():
            return float(((model(x).float().clamp(0, 1) - y) ** 2).sum(dim=(2, 3)).mean())

    ours, untrained = mse_per_frame(trained), mse_per_frame(_untrained("predict-digits"))
    assert ours < 0.6 * untrained, (ours, untrained)  # measured 115 against 299


@pytest.mark.integration
@pytest.mark.slow
def test_fusion_network_beats_an_untrained_one_on_middlebury():
    """Middlebury's eight-frame triplets are evaluation only. Measured with the weights retrained on
    ../shared/data/video-train (2026-11-30): shipped 34.624 dB, untrained (= the DIS flow path it
    corrects) 34.609 dB over the 12 sequences, per sequence -0.30 to +0.19 dB: a small
    gain (the weights trained on the evaluation clips before had 34.646). The bar is half of it; an
    untrained network (its learned head starts at zero) scores a gain of 0."""
    from vidgen_cli.interpolate.processor import interpolate_pair, make_engine

    folders = sorted((SHARED / "interp" / "middlebury").glob("*/frame10i11.png"))
    if not folders:
        pytest.skip("../shared/data/interp/middlebury is not there")
    shipped, untrained = make_engine("fusion"), make_engine("fusion")
    untrained.model = _untrained("interp-fusion")

    def read(path: Path) -> np.ndarray:
        return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)

    scores = {"shipped": [], "untrained": []}
    for truth in folders:
        f0, f1, gt = read(truth.with_name("frame10.png")), read(truth.with_name("frame11.png")), read(truth)
        for key, engine in (("shipped", shipped), ("untrained", untrained)):
            scores[key].append(psnr(interpolate_pair(f0, f1, 0.5, model=engine), gt))
    gain = np.mean(scores["shipped"]) - np.mean(scores["untrained"])
    assert gain > 0.007, scores


@pytest.mark.integration
@pytest.mark.slow
def test_video_predictor_beats_an_untrained_refiner_on_held_out_frames():
    """The refiner is trained on ../shared/data/video-train only, so these evaluation clips are
    unseen (the same windows as before: the last 20% of each clip, decoded as training decodes);
    horizons 2 and 3. Measured on 20 windows of 4 clips (2026-11-30): shipped 32.94 / 31.08 dB, untrained (=
    the flow extrapolation; its learned head starts at zero) 32.87 / 31.00 dB, a gain of 0.077 dB
    (the weights trained on the first 80% of these clips before: 33.30 / 31.44). The bar is half."""
    from vidgen_cli.predict.processor import Predictor
    from vidgen_cli.train.clips import load_clips

    names = ["bottles.mp4", "dog_walk.mp4", "city_bikes.mp4", "tractor_pan.webm"]
    paths = [SHARED / "video" / n for n in names]
    if not all(p.is_file() for p in paths):
        pytest.skip("../shared/data/video is not there")
    clips = load_clips(paths, max_side=320, max_frames=400)  # as `vidgen train predict` decoded them
    shipped, untrained = Predictor("learned"), Predictor("learned")
    untrained._net = _untrained("predict-video")
    scores = {"shipped": [], "untrained": []}
    for clip in clips:
        held = clip.frames[int(len(clip.frames) * 0.8):]
        for i in range(0, len(held) - 6, 12):
            for key, predictor in (("shipped", shipped), ("untrained", untrained)):
                out = list(predictor.predict(list(held[i : i + 3]), 3))
                scores[key].append([psnr(o, t) for o, t in zip(out[1:], held[i + 4 : i + 6])])
    gain = np.mean(scores["shipped"]) - np.mean(scores["untrained"])
    assert gain > 0.038, gain
