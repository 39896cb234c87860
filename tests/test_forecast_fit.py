"""The `flow` predictor's mixture weights come from bench/fit_forecast.py, run on training clips only."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from vidgen_cli.vision import forecast

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "weights" / "forecast-mixture.json"


def _fitter():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("fit_forecast", REPO / "bench" / "fit_forecast.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_shipped_mixture_weights_are_the_recorded_fit():
    record = json.loads(RECORD.read_text())
    assert record["parts"] == list(forecast.PARTS)
    assert record["horizons"] == list(forecast.HORIZONS)
    assert np.array_equal(np.array(record["steady"], np.float32), forecast.STEADY)
    assert np.array_equal(np.array(record["unsteady"], np.float32), forecast.UNSTEADY)
    assert record["unsteady_scale"] == forecast.UNSTEADY_SCALE
    command = record["command"].split()
    assert command[:2] == ["python", "bench/fit_forecast.py"] and command[command.index("-o") + 1] == "weights/forecast-mixture.json"
    assert record["data"]["clips"] and set(record["data"]["points"]) == set(record["data"]["clips"])


@pytest.mark.parametrize("folder", ["video", "interp", "interp/middlebury", "video/"])
def test_the_fit_refuses_evaluation_data(folder):
    fitter = _fitter()
    with pytest.raises(SystemExit, match="evaluation data"):
        fitter.refuse_evaluation_data(REPO.parent / "shared" / "data" / folder)
    fitter.refuse_evaluation_data(REPO.parent / "shared" / "data" / "video-train")  # the training clips are fine


def _stats(parts: list[np.ndarray], truth: np.ndarray, change: float = 0.0) -> dict:
    p = np.stack([x.reshape(-1) for x in parts]).astype(np.float64)
    t = truth.reshape(-1).astype(np.float64)
    return {"G": p @ p.T / t.size, "b": p @ t / t.size, "c": float(t @ t / t.size), "change": change}


def test_the_fit_finds_the_mixture_that_scores_best():
    fitter = _fitter()
    rng = np.random.default_rng(0)
    stats = []
    for change in (0, 0, 1, 1):
        truth = rng.uniform(0, 255, 500)
        noise = [rng.normal(0, s, 500) for s in (8, 8, 30, 1)]
        # the mean of two independent noisy copies beats either; the third part only hurts; the
        # fourth is nearly exact where the motion was steady and useless elsewhere
        fourth = truth + noise[3] if change == 0 else rng.uniform(0, 255, 500)
        stats.append(_stats([truth + noise[0], truth + noise[1], truth + noise[2], fourth], truth, change))
    w = fitter.fit_weights(stats, scale=1.0)
    assert w.shape == (2, 4) and np.allclose(w.sum(axis=1), 1) and (w >= 0).all()
    assert w[0, 3] > 0.9 and w[1, 3] < 0.1, w  # steady points trust the fourth part, unsteady ones do not
    assert abs(w[1, 0] - w[1, 1]) < 0.1 and w[1, 2] < 0.1, w
    best = fitter.psnr_of_mse(fitter.mixture_mse(stats, w, 1.0)).mean()
    for other in ([0.5, 0.5, 0, 0], [0, 0, 0, 1], [0.4, 0.4, 0.2, 0]):
        one = np.array(other, float)
        assert best >= fitter.psnr_of_mse(fitter.mixture_mse(stats, one)).mean() - 1e-9
        assert best >= fitter.psnr_of_mse(fitter.mixture_mse(stats, np.stack([one, w[1]]), 1.0)).mean() - 1e-9
    assert fitter.unsteady_scale(stats) == 1.0
    rounded = fitter.round_weights(np.array([0.333, 0.333, 0.334]))
    assert rounded.sum() == pytest.approx(1) and rounded.tolist() == [0.33, 0.33, 0.34]


def test_steady_motion_is_told_from_changing_motion():
    from vidgen_cli.vision.flow import DISFlow

    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur((rng.random((120, 400, 3)) * 255).astype(np.uint8), (0, 0), 2)
    pan = [texture[:, 4 * t : 4 * t + 240] for t in range(3)]  # 4 pixels a frame, every frame
    lurch = [texture[:, x : x + 240] for x in (0, 1, 12)]  # 1 pixel, then 11
    flow = DISFlow("medium")
    steady, changing = forecast.forecast_motion(pan, flow), forecast.forecast_motion(lurch, flow)
    assert steady.unsteady < 0.3 < 0.9 < changing.unsteady, (steady.change, changing.change)
    assert forecast.forecast_motion(pan[1:], flow).unsteady == 1  # two frames: unknown, the wide hedge
    assert np.median(steady.latest[..., 0]) == pytest.approx(-4, abs=0.3)  # the picture moves left
    w = forecast.mixture_weights(1, steady.unsteady)
    assert abs(w.sum() - 1) < 1e-5 and w[2] > forecast.mixture_weights(1, 1.0)[2]  # steady: more of `crossed`
