"""Fit the `flow` predictor's mixture weights (vidgen_cli/vision/forecast.py) on training clips.

    PYTHONPATH=. python bench/fit_forecast.py --data ../shared/data/video-train -o weights/forecast-mixture.json

For every clip in --data, --points evenly spaced points inside its held-out last 20% of frames (as
bench/predict.py picks them) are extrapolated from 3 context frames with the predictor's own code
(`forecast_motion` with the CPU flow estimator, then each of forecast.PARTS at horizons
forecast.HORIZONS), and each is compared with the real frame that followed. The squared error of a
mixture sum_i w_i part_i against the truth is the quadratic w'Gw - 2b'w + c in the weights, so
only G (parts x parts), b and c are kept per point and horizon (frames are not held), with the
point's motion change (`forecast.motion_change`).

UNSTEADY_SCALE is the upper quartile of the points' motion change. Per horizon the two tables
(steady, unsteady), blended per point by its change / UNSTEADY_SCALE as the predictor blends them,
maximise the mean PSNR over all points (each row non-negative and summing to 1; projected gradient
ascent from equal weights, deterministic), rounded to 2 decimals. Cross-check:
the clips are split in two (alternately in name order); weights fitted on one half score the
other, so every point is scored by weights that did not see its clip. Beside them, the naive
one-step extrapolation of bench/predict.py on the same points (the baseline of issue #12).

The output JSON records the command (paths relative to the checkout), the clips and points, the
tables and the scale (what vision/forecast.py ships: tests/test_forecast_fit.py checks they match) and the
PSNR figures. Evaluation data (../shared/data/video, ../shared/data/interp) is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

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
from vidgen_cli.vision.flow import DISFlow  # noqa: E402

SHARED = (ROOT.parent / "shared" / "data").resolve()
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


def point_statistics(context: list[np.ndarray], truths: dict[int, np.ndarray], flow, naive_flow: DISFlow) -> dict:
    """Per horizon k: G (P x P), b (P), c of the squared error of a mixture of the parts of
    `vidgen predict --model flow` (forecast.PARTS), per pixel and channel (uint8 units), the
    naive extrapolation's mean squared error, and the point's `motion_change` (the same at every k)."""
    motion = forecast.forecast_motion(context, flow)
    naive = naive_extrapolation(context, max(truths), naive_flow)
    out = {}
    for k, truth in truths.items():
        parts = np.stack([forecast.part(i, context[-1], motion, k).reshape(-1) for i in range(len(forecast.PARTS))])
        parts = parts.astype(np.float64)
        t = truth.reshape(-1).astype(np.float64)
        n = t.size
        out[k] = {"G": parts @ parts.T / n, "b": parts @ t / n, "c": float(t @ t / n), "change": motion.change,
                  "naive_mse": float(np.mean((naive[k - 1].astype(np.float64) - truth) ** 2))}
    return out


def unsteady_scale(stats: list[dict]) -> float:
    """forecast.UNSTEADY_SCALE: the upper quartile of the points' motion change, to 2 decimals."""
    return round(float(np.percentile([s["change"] for s in stats], 75)), 2)


def psnr_of_mse(mse: np.ndarray) -> np.ndarray:
    return 10 * np.log10(255.0**2 / np.maximum(mse, 1e-10))


def mixture_mse(stats: list[dict], w: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Mean squared error of each point's mixture: w is one row of weights, or the (steady,
    unsteady) pair blended by each point's change / scale (clipped to 0-1), as forecast.py does."""
    out = []
    for s in stats:
        row = w if w.ndim == 1 else blend(w, s["change"], scale)
        out.append(row @ s["G"] @ row - 2 * s["b"] @ row + s["c"])
    return np.array(out)


def blend(pair: np.ndarray, change: float, scale: float | None) -> np.ndarray:
    a = float(np.clip(change / scale, 0, 1))
    return (1 - a) * pair[0] + a * pair[1]


def project_to_simplex(v: np.ndarray) -> np.ndarray:
    """The nearest point with non-negative entries summing to 1 (Duchi et al. 2008)."""
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1
    rho = np.nonzero(u - cumulative / np.arange(1, len(v) + 1) > 0)[0][-1]
    return np.maximum(v - cumulative[rho] / (rho + 1), 0)


def fit_weights(stats: list[dict], scale: float, iterations: int = 3000) -> np.ndarray:
    """The (steady, unsteady) pair of weight rows on the simplex maximising the mean PSNR over
    `stats` (one horizon) of each point's blend (`mixture_mse`); projected gradient ascent."""
    size = stats[0]["b"].size
    w = np.full((2, size), 1 / size)
    step = 0.05
    objective = psnr_of_mse(mixture_mse(stats, w, scale)).mean()
    alphas = np.array([np.clip(s["change"] / scale, 0, 1) for s in stats])
    for _ in range(iterations):
        grad = np.zeros_like(w)
        for s, a in zip(stats, alphas):  # d PSNR / d row = -10 / ln 10 * (2 G row - 2 b) / mse
            row = (1 - a) * w[0] + a * w[1]
            g = (2 * s["G"] @ row - 2 * s["b"]) / (row @ s["G"] @ row - 2 * s["b"] @ row + s["c"])
            grad[0] += (1 - a) * g
            grad[1] += a * g
        grad *= -10 / np.log(10) / len(stats)
        grad -= grad.mean(axis=1, keepdims=True)  # along the planes of weights summing to 1
        while step > 1e-9:
            trial = np.stack([project_to_simplex(r) for r in w + step * grad / max(np.abs(grad).max(), 1e-12)])
            value = psnr_of_mse(mixture_mse(stats, trial, scale)).mean()
            if value >= objective:
                w, objective = trial, value
                step = min(1.0, step * 1.2)
                break
            step *= 0.5
        else:
            break
    return w


def round_weights(w: np.ndarray) -> np.ndarray:
    """Each row to 2 decimals, still summing to 1 (its largest weight takes the rounding)."""
    if w.ndim == 2:
        return np.stack([round_weights(row) for row in w])
    r = np.round(w, 2)
    r[np.argmax(w)] += round(1 - r.sum(), 2)
    return np.round(r, 2)


def summary(stats: dict[str, list[dict]], weights: dict[int, np.ndarray], k: int, scale: float) -> dict:
    points = [s[k] for clip in stats.values() for s in clip]
    naive = psnr_of_mse(np.array([p["naive_mse"] for p in points])).mean()
    mixture = psnr_of_mse(mixture_mse(points, weights[k], scale)).mean()
    return {"naive_psnr": round(float(naive), 3), "mixture_psnr": round(float(mixture), 3),
            "vs_naive_db": round(float(mixture - naive), 3)}


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
            frames = frames_at(path, {t + d for t in starts for d in range(-CONTEXT + 1, max(horizons) + 1)}) if starts else {}
        except Exception as error:  # noqa: BLE001 (a clip the decoder refuses is reported and left out)
            skipped[path.name] = str(error).splitlines()[-1][:200] if str(error) else type(error).__name__
            continue
        usable = [t for t in starts if all(t + d in frames for d in range(-CONTEXT + 1, max(horizons) + 1))]
        if not usable:
            skipped[path.name] = "no held-out point with 3 context frames and 10 frames after it"
            continue
        stats[path.name] = [point_statistics([frames[t + d] for d in range(-CONTEXT + 1, 1)],
                                             {k: frames[t + k] for k in horizons}, flow, naive_flow) for t in usable]
        points[path.name] = usable
        print(path.name, usable, f"{time.time() - started:.0f} s", file=sys.stderr, flush=True)

    every = [s for clip in stats.values() for s in clip]
    scale = unsteady_scale([s[horizons[0]] for s in every])
    weights = {k: round_weights(fit_weights([s[k] for s in every], scale)) for k in horizons}
    names = sorted(stats)
    halves = [names[0::2], names[1::2]]
    crossed = {}
    for k in horizons:
        mse = []
        for fit_on, score_on in (halves, halves[::-1]):
            fit_stats = [s[k] for c in fit_on for s in stats[c]]
            half_scale = unsteady_scale(fit_stats)
            w = round_weights(fit_weights(fit_stats, half_scale))
            mse += list(mixture_mse([s[k] for c in score_on for s in stats[c]], w, half_scale))
        naive = [s[k]["naive_mse"] for c in names for s in stats[c]]  # the same points
        gain = psnr_of_mse(np.array(mse)).mean() - psnr_of_mse(np.array(naive)).mean()
        crossed[f"h{k}"] = round(float(gain), 3)

    command = ["python", "bench/fit_forecast.py", "--data", portable(args.data), "-o", portable(args.out),
               "--points", str(args.points)] + (["--clips", args.clips] if args.clips else [])
    record = {
        "name": "forecast-mixture",
        "command": " ".join(command),
        "parts": list(forecast.PARTS),
        "horizons": horizons,
        "steady": [[float(x) for x in weights[k][0]] for k in horizons],
        "unsteady": [[float(x) for x in weights[k][1]] for k in horizons],
        "unsteady_scale": scale,
        "changes": {c: [round(s[horizons[0]]["change"], 4) for s in stats[c]] for c in names},
        "data": {"folder": portable(args.data), "clips": names, "points": points, "skipped": skipped,
                 "context": CONTEXT, "held_out_fraction": 0.2},
        "fitted": {f"h{k}": summary(stats, weights, k, scale) for k in horizons},
        "cross_fitted_vs_naive_db": crossed,
        "cross_fit_halves": halves,
        "seconds": round(time.time() - started),
    }
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("steady", "unsteady", "unsteady_scale", "fitted", "cross_fitted_vs_naive_db")}))


if __name__ == "__main__":
    main()
