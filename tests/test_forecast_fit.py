"""The `flow` predictor's mixture weights come from bench/fit_forecast.py, run on training clips only."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

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
    assert np.array_equal(np.array(record["weights"], np.float32), forecast.WEIGHTS)
    command = record["command"].split()
    assert command[:2] == ["python", "bench/fit_forecast.py"] and command[command.index("-o") + 1] == "weights/forecast-mixture.json"
    assert record["data"]["clips"] and set(record["data"]["points"]) == set(record["data"]["clips"])


@pytest.mark.parametrize("folder", ["video", "interp", "interp/middlebury", "video/"])
def test_the_fit_refuses_evaluation_data(folder):
    fitter = _fitter()
    with pytest.raises(SystemExit, match="evaluation data"):
        fitter.refuse_evaluation_data(REPO.parent / "shared" / "data" / folder)
    fitter.refuse_evaluation_data(REPO.parent / "shared" / "data" / "video-train")  # the training clips are fine


def _stats(parts: list[np.ndarray], truth: np.ndarray) -> dict:
    p = np.stack([x.reshape(-1) for x in parts]).astype(np.float64)
    t = truth.reshape(-1).astype(np.float64)
    return {"G": p @ p.T / t.size, "b": p @ t / t.size, "c": float(t @ t / t.size)}


def test_the_fit_finds_the_mixture_that_scores_best():
    fitter = _fitter()
    rng = np.random.default_rng(0)
    stats = []
    for _ in range(4):
        truth = rng.uniform(0, 255, 500)
        noise = [rng.normal(0, s, 500) for s in (8, 8, 30)]
        # the mean of two independent noisy copies beats either; the third part only hurts
        stats.append(_stats([truth + noise[0], truth + noise[1], truth + noise[2]], truth))
    w = fitter.fit_weights(stats)
    assert abs(w.sum() - 1) < 1e-9 and (w >= 0).all()
    assert abs(w[0] - w[1]) < 0.1 and w[2] < 0.1, w
    best = fitter.psnr_of_mse(fitter.mixture_mse(stats, w)).mean()
    for other in ([0.5, 0.5, 0], [1, 0, 0], [0.4, 0.4, 0.2]):
        assert best >= fitter.psnr_of_mse(fitter.mixture_mse(stats, np.array(other, float))).mean() - 1e-9
    rounded = fitter.round_weights(np.array([0.333, 0.333, 0.334]))
    assert rounded.sum() == pytest.approx(1) and rounded.tolist() == [0.33, 0.33, 0.34]


def test_the_cross_check_reports_how_a_mean_gain_is_spread_over_the_points():
    fitter = _fitter()
    # one point with a broken baseline carries a mean gain that the other points do not share
    spread = fitter.point_spread(np.array([6.0, -0.2, -0.1, 0.005, -0.3]))
    assert spread == {"median_db": -0.1, "gains": 1, "losses": 3, "points": 5}
