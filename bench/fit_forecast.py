"""Fit the `flow` predictor's mixture weights (vidgen_cli/vision/forecast.py) on training clips.

    PYTHONPATH=. python bench/fit_forecast.py --data ../shared/data/video-train -o weights/forecast-mixture.json

For every clip in --data, --points evenly spaced points inside its held-out last 20% of frames (as
bench/predict.py picks them) are extrapolated from 3 context frames with the predictor's own code
(`estimate_motion` with the CPU flow estimator, then each of forecast.PARTS at horizons
forecast.HORIZONS), and each is compared with the real frame that followed. The squared error of a
mixture sum_i w_i part_i against the truth is the quadratic w'Gw - 2b'w + c in the weights, so
only G (parts x parts), b and c are kept per point and horizon (frames are not held).

Per horizon the weights maximise the mean PSNR over all points (non-negative, summing to 1;
projected gradient ascent from equal weights, deterministic), rounded to 2 decimals. Cross-check:
the clips are split in two (alternately in name order); weights fitted on one half score the
other, so every point is scored by weights that did not see its clip; besides the mean gain over
the naive one-step extrapolation of bench/predict.py on the same points (the baseline of issue
#12), the record gives the median gain per point and how many points gain and lose, because a mean
over these points can be carried by a few of them.

The output JSON records the command (paths relative to the checkout), the clips and points, the
weights (what vision/forecast.py ships: tests/test_forecast_fit.py checks they match) and the
PSNR figures. Evaluation data (../shared/data/video, ../shared/data/interp) is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from predict import CONTEXT, frames_at, naive_extrapolation, points_in_holdout  # noqa: E402  (bench/predict.py)

from vidgen_cli import optical_flow  # noqa: E402
from vidgen_cli.io.paths import is_video_file  # noqa: E402
from vidgen_cli.io.probe import probe  # noqa: E402
from vidgen_cli.vision import forecast  # noqa: E402
from vidgen_cli.vision.extrapolate import FLOW_MAX_SIDE, estimate_motion, to_frame_grid  # noqa: E402
from vidgen_cli.vision.flow import DISFlow  # noqa: E402
from vidgen_cli.vision.sizes import fit_image  # noqa: E402

SHARED = (ROOT.parent / "shared" / "data").resolve()
KEPT = 2 + forecast.BACKTEST_STEPS  # frames before each point given to the predictor (CONTEXT of them held out)
EVALUATION_ONLY = ("video", "interp")  # folders of ../shared/data that are never fitted on


def refuse_evaluation_data(folder: Path) -> None:
    resolved = folder.resolve()
    for name in EVALUATION_ONLY:
        evaluation = SHARED / name
        if resolved == evaluation or evaluation in resolved.parents:
            raise SystemExit(f"{folder} is evaluation data ({evaluation}): fit on ../shared/data/video-train")


def portable(path: Path) -> str:
    """`path` relative to the checkout (../shared/data/... for the shared data)."""
    return os.path.relpath(path.resolve(), ROOT) if path.is_absolute() else str(path)


def forecast_parts(context: list[np.ndarray], flow) -> Callable[[int], list[np.ndarray]]:
    """The parts of `vidgen predict --model flow` (forecast.PARTS) after `context`, per horizon k."""
    last = context[-1]
    latest, smoothed, scale = estimate_motion(context, flow)
    latest_full = to_frame_grid(latest, *last.shape[:2], scale)
    small_last = fit_image(last, FLOW_MAX_SIDE)
    return lambda k: [forecast.part(i, last, small_last, latest_full, smoothed, scale, k) for i in range(len(forecast.PARTS))]


def point_statistics(context: list[np.ndarray], truths: dict[int, np.ndarray], flow, naive_flow: DISFlow,
                     parts_of=forecast_parts) -> dict:
    """Per horizon k: G (P x P), b (P), c of the squared error of a mixture of the parts, per
    pixel and channel (uint8 units), and the naive extrapolation's mean squared error; under
    "backtest", `forecast.backtest_moments` of the context (its last steps predicted from the
    frames before them), which `forecast.local_shift` adapts the weights with. context: CONTEXT
    frames and the BACKTEST_STEPS - 1 before them, as `vidgen predict` keeps them."""
    render = parts_of(context, flow)
    naive = naive_extrapolation(context, max(truths), naive_flow)
    out: dict = {"backtest": forecast.backtest_moments(context, flow)}
    for k, truth in truths.items():
        parts = np.stack([p.reshape(-1) for p in render(k)]).astype(np.float64)
        t = truth.reshape(-1).astype(np.float64)
        n = t.size
        out[k] = {"G": parts @ parts.T / n, "b": parts @ t / n, "c": float(t @ t / n),
                  "naive_mse": float(np.mean((naive[k - 1].astype(np.float64) - truth) ** 2))}
    return out


def psnr_of_mse(mse: np.ndarray) -> np.ndarray:
    return 10 * np.log10(255.0**2 / np.maximum(mse, 1e-10))


def mixture_mse(stats: list[dict], w: np.ndarray) -> np.ndarray:
    return np.array([w @ s["G"] @ w - 2 * s["b"] @ w + s["c"] for s in stats])


project_to_simplex = forecast.project_to_simplex


def fit_weights(stats: list[dict], iterations: int = 3000) -> np.ndarray:
    """Weights on the simplex maximising the mean PSNR of the mixture over `stats` (one horizon)."""
    size = stats[0]["b"].size
    w = np.full(size, 1 / size)
    step = 0.05
    objective = psnr_of_mse(mixture_mse(stats, w)).mean()
    for _ in range(iterations):
        mse = mixture_mse(stats, w)
        # d mean PSNR / dw = -10 / ln 10 * mean((2Gw - 2b) / mse)
        grad = -10 / np.log(10) * np.mean([(2 * s["G"] @ w - 2 * s["b"]) / m for s, m in zip(stats, mse)], axis=0)
        grad -= grad.mean()  # along the plane of weights summing to 1
        while step > 1e-9:
            trial = project_to_simplex(w + step * grad / max(np.abs(grad).max(), 1e-12))
            value = psnr_of_mse(mixture_mse(stats, trial)).mean()
            if value >= objective:
                w, objective = trial, value
                step = min(1.0, step * 1.2)
                break
            step *= 0.5
        else:
            break
    return w


def round_weights(w: np.ndarray) -> np.ndarray:
    """To 2 decimals, still summing to 1 (the largest weight takes the rounding)."""
    r = np.round(w, 2)
    r[np.argmax(w)] += round(1 - r.sum(), 2)
    return np.round(r, 2)


def summary(stats: dict[str, list[dict]], weights: dict[int, np.ndarray], k: int) -> dict:
    points = [s[k] for clip in stats.values() for s in clip]
    naive = psnr_of_mse(np.array([p["naive_mse"] for p in points])).mean()
    mixture = psnr_of_mse(mixture_mse(points, weights[k])).mean()
    return {"naive_psnr": round(float(naive), 3), "mixture_psnr": round(float(mixture), 3),
            "vs_naive_db": round(float(mixture - naive), 3)}


def point_spread(gains: np.ndarray) -> dict:
    """How a mean gain (dB per point) is spread over the points: its median, and how many points
    gain or lose more than 0.01 dB. A few points with a broken motion estimate (a repeated frame, a
    cut) can carry a mean that most points do not share; the median and the counts show it."""
    return {"median_db": round(float(np.median(gains)), 3), "gains": int((gains > 0.01).sum()),
            "losses": int((gains < -0.01).sum()), "points": int(gains.size)}


def adapted(point: dict, k: int, wk: np.ndarray, w1: np.ndarray, ridge: float = forecast.LOCAL_RIDGE) -> np.ndarray:
    """`forecast.mixture_weights(k, shift)` for one point, with fitted weights wk (horizon k) and w1
    (horizon 1) in place of the shipped ones: what `vidgen predict` uses after that point."""
    shift = forecast.adapted_weights(point["backtest"], w1, ridge) - w1
    return forecast.project_to_simplex(wk + forecast.LOCAL_DECAY ** (k - 1) * shift)


def cross_fitted(stats: dict[str, list[dict]], halves: list[list[str]], k: int, ridge: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point, every point scored by weights fitted on the other half of the clips: the PSNR of
    the fixed mixture, of the adapted one (`ridge`; None: not computed) and of the naive extrapolation."""
    fixed, local, naive = [], [], []
    for fit_on, score_on in (halves, halves[::-1]):
        wk = round_weights(fit_weights([s[k] for c in fit_on for s in stats[c]]))
        w1 = round_weights(fit_weights([s[1] for c in fit_on for s in stats[c]]))
        for point in (s for c in score_on for s in stats[c]):  # the same points, in the same order
            fixed.append(mixture_mse([point[k]], wk)[0])
            local.append(mixture_mse([point[k]], adapted(point, k, wk, w1, ridge))[0] if ridge is not None else np.nan)
            naive.append(point[k]["naive_mse"])
    return psnr_of_mse(np.array(fixed)), psnr_of_mse(np.array(local)), psnr_of_mse(np.array(naive))


RIDGES = (0.3, 0.5, 1.0, 3.0, 10.0)  # recorded beside the shipped forecast.LOCAL_RIDGE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder of training clips (never evaluation data)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="JSON to write (weights/forecast-mixture.json)")
    parser.add_argument("--points", type=int, default=2, help="points per clip in its held-out last 20%%")
    parser.add_argument("--clips", default="", help="comma-separated clip stems (default: all)")
    args = parser.parse_args()
    refuse_evaluation_data(args.data)
    os.environ.setdefault("VIDGEN_THREADS", "1")
    cv2.setNumThreads(1)
    started = time.time()

    flow = optical_flow.estimator(None, "medium")  # what `vidgen predict --model flow` uses on the CPU
    naive_flow = DISFlow("medium")
    horizons = [int(k) for k in forecast.HORIZONS]
    wanted = {c for c in args.clips.split(",") if c}
    stats: dict[str, list[dict]] = {}
    points: dict[str, list[int]] = {}
    skipped: dict[str, str] = {}
    for path in sorted(p for p in args.data.iterdir() if is_video_file(p)):
        if wanted and path.stem not in wanted:
            continue
        try:
            starts = points_in_holdout(probe(path).frame_count, args.points, max(horizons))
            frames = frames_at(path, {t + d for t in starts for d in range(-KEPT + 1, max(horizons) + 1)}) if starts else {}
        except Exception as error:  # noqa: BLE001 (a clip the decoder refuses is reported and left out)
            skipped[path.name] = str(error).splitlines()[-1][:200] if str(error) else type(error).__name__
            continue
        usable = [t for t in starts if all(t + d in frames for d in range(-KEPT + 1, max(horizons) + 1))]
        if not usable:
            skipped[path.name] = f"no held-out point with {KEPT} frames before it and 10 after it"
            continue
        stats[path.name] = [point_statistics([frames[t + d] for d in range(-KEPT + 1, 1)],
                                             {k: frames[t + k] for k in horizons}, flow, naive_flow) for t in usable]
        points[path.name] = usable
        print(path.name, usable, f"{time.time() - started:.0f} s", file=sys.stderr, flush=True)

    every = [s for clip in stats.values() for s in clip]
    weights = {k: round_weights(fit_weights([s[k] for s in every])) for k in horizons}
    names = sorted(stats)
    halves = [names[0::2], names[1::2]]
    crossed, per_point, local, local_points, sweep = {}, {}, {}, {}, {}
    for k in horizons:
        fixed, adapted_psnr, naive = cross_fitted(stats, halves, k, forecast.LOCAL_RIDGE)
        crossed[f"h{k}"] = round(float((fixed - naive).mean()), 3)
        per_point[f"h{k}"] = point_spread(fixed - naive)
        local[f"h{k}"] = round(float((adapted_psnr - naive).mean()), 3)
        local_points[f"h{k}"] = point_spread(adapted_psnr - fixed)
    for ridge in RIDGES:
        fixed, adapted_psnr, _ = cross_fitted(stats, halves, 1, ridge)
        sweep[str(ridge)] = round(float((adapted_psnr - fixed).mean()), 3)

    command = ["python", "bench/fit_forecast.py", "--data", portable(args.data), "-o", portable(args.out),
               "--points", str(args.points)] + (["--clips", args.clips] if args.clips else [])
    record = {
        "name": "forecast-mixture",
        "command": " ".join(command),
        "parts": list(forecast.PARTS),
        "horizons": horizons,
        "weights": [[float(x) for x in weights[k]] for k in horizons],
        "data": {"folder": portable(args.data), "clips": names, "points": points, "skipped": skipped,
                 "context": CONTEXT, "frames_kept": KEPT, "held_out_fraction": 0.2},
        "fitted": {f"h{k}": summary(stats, weights, k) for k in horizons},
        "cross_fitted_vs_naive_db": crossed,
        "cross_fitted_points_vs_naive": per_point,
        "local_ridge": forecast.LOCAL_RIDGE,
        "local_decay": forecast.LOCAL_DECAY,
        "cross_fitted_local_vs_naive_db": local,
        "cross_fitted_local_points_vs_fixed": local_points,
        "cross_fitted_local_h1_vs_fixed_db_by_ridge": sweep,
        "cross_fit_halves": halves,
        "seconds": round(time.time() - started),
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("weights", "fitted", "cross_fitted_vs_naive_db", "cross_fitted_points_vs_naive",
                                             "cross_fitted_local_vs_naive_db", "cross_fitted_local_points_vs_fixed",
                                             "cross_fitted_local_h1_vs_fixed_db_by_ridge")}, indent=2))


if __name__ == "__main__":
    main()
