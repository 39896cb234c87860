"""Benchmark frame prediction: natural video (PSNR/SSIM at horizons 1, 3, 10) and moving digits.

    PYTHONPATH=. python bench/predict.py --out predict.json

Natural video: every clip in ../shared/data/video, downscaled to --max-side, predicted from
--points evenly spaced points inside the held-out last 20% of its frames (the part training never
sees), scored against the real frames that followed. Moving digits: the fixed-seed 10 -> 10 test
split, per-frame MSE summed over 64x64 pixels (values 0-1), as OpenSTL reports Moving MNIST.
Speed is reported as ratios against the copy baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen_cli.io.paths import is_video_file  # noqa: E402
from vidgen_cli.vision.sizes import fit_image  # noqa: E402
from vidgen_cli.vision import metrics  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
HORIZONS = (1, 3, 10)
HOLDOUT = 0.2


def count_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    n = 0
    while capture.grab():
        n += 1
    capture.release()
    return n


def read_frames(path: Path, wanted: set[int], max_side: int) -> dict[int, np.ndarray]:
    """Decode sequentially (no seeking: some clips decode badly after a seek), keep only `wanted`."""
    capture = cv2.VideoCapture(str(path))
    frames, i, last = {}, 0, max(wanted)
    while i <= last:
        if i in wanted:
            ok, bgr = capture.read()
            if not ok:
                break
            frames[i] = fit_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side)
        elif not capture.grab():
            break
        i += 1
    capture.release()
    return frames


def points_in_holdout(total: int, points: int, context: int, horizon: int) -> list[int]:
    """Indices of the last context frame, evenly spread so context and truth lie in the held-out part."""
    first = int(np.ceil(total * (1 - HOLDOUT))) + context - 1
    last = total - 1 - horizon
    if last < first:
        return []
    return sorted({int(round(x)) for x in np.linspace(first, last, points)})


def bench_video(models: list[str], max_side: int, points: int, clips: list[str] | None, save_png: Path | None) -> dict:
    from vidgen_cli.predict.processor import Predictor

    predictors = {name: Predictor(name) for name in models}
    context = max(p.context_size for p in predictors.values())
    horizon = max(HORIZONS)
    per_clip, seconds = {}, {name: 0.0 for name in models}
    scores = {name: {h: {"psnr": [], "ssim": []} for h in HORIZONS} for name in models}
    paths = sorted(p for p in (DATA / "video").iterdir() if is_video_file(p))
    for path in paths:
        if clips and path.stem not in clips:
            continue
        total = count_frames(path)
        starts = points_in_holdout(total, points, context, horizon)
        wanted = {t + d for t in starts for d in range(-context + 1, horizon + 1)}
        if not starts:
            continue
        frames = read_frames(path, wanted, max_side)
        clip_scores = {name: {h: [] for h in HORIZONS} for name in models}
        for t in starts:
            ctx = [frames[t + d] for d in range(-context + 1, 1)]
            truth = [frames[t + d] for d in range(1, horizon + 1)]
            for name, predictor in predictors.items():
                began = time.perf_counter()
                predicted = list(predictor.predict(ctx[-predictor.context_size :], horizon))
                seconds[name] += time.perf_counter() - began
                for h in HORIZONS:
                    p = metrics.psnr(predicted[h - 1], truth[h - 1])
                    s = metrics.ssim(predicted[h - 1], truth[h - 1])
                    scores[name][h]["psnr"].append(p)
                    scores[name][h]["ssim"].append(s)
                    clip_scores[name][h].append(p)
                if save_png is not None and t == starts[0]:
                    save_png.mkdir(parents=True, exist_ok=True)
                    for h in HORIZONS:
                        cv2.imwrite(str(save_png / f"{path.stem}_h{h}_{name}.png"), cv2.cvtColor(predicted[h - 1], cv2.COLOR_RGB2BGR))
                        cv2.imwrite(str(save_png / f"{path.stem}_h{h}_truth.png"), cv2.cvtColor(truth[h - 1], cv2.COLOR_RGB2BGR))
        per_clip[path.name] = {
            "frames": total,
            "size": list(frames[starts[0]].shape[:2]),
            "points": starts,
            "psnr": {name: {str(h): round(float(np.mean(v)), 3) for h, v in hs.items()} for name, hs in clip_scores.items()},
        }
    summary = {
        name: {
            f"h{h}": {"psnr": round(float(np.mean(v["psnr"])), 3), "ssim": round(float(np.mean(v["ssim"])), 4)}
            for h, v in hs.items()
        }
        for name, hs in scores.items()
    }
    n = sum(len(c["points"]) for c in per_clip.values())
    return {
        "max_side": max_side,
        "points_per_clip": points,
        "predictions": n,
        "mean": summary,
        "seconds_per_frame": {name: round(s / max(1, n * horizon), 4) for name, s in seconds.items()},
        "time_vs_flow": {name: round(s / max(seconds.get("flow", s), 1e-9), 2) for name, s in seconds.items()},
        "clips": per_clip,
    }


def bench_digits(weights_name: str | None, count: int) -> dict:
    from vidgen_cli.predict.moving_digits import test_split

    inputs, targets = test_split(count)  # N x 10 x 64 x 64 float32 in 0-1
    results = {}

    def score(pred: np.ndarray) -> dict:
        err = pred - targets
        mse = float((err**2).sum(axis=(2, 3)).mean())
        mae = float(np.abs(err).sum(axis=(2, 3)).mean())
        ss = []
        for i in range(len(pred)):
            for t in range(pred.shape[1]):
                a = (pred[i, t] * 255 + 0.5).clip(0, 255).astype(np.uint8)
                b = (targets[i, t] * 255 + 0.5).clip(0, 255).astype(np.uint8)
                ss.append(metrics.ssim(a, b))
        return {"mse": round(mse, 2), "mae": round(mae, 2), "ssim": round(float(np.mean(ss)), 4)}

    results["copy"] = score(np.repeat(inputs[:, -1:], targets.shape[1], axis=1))
    if weights_name:
        import torch

        from vidgen_cli import weights

        model = weights.load_model(weights_name)
        preds = []
        with torch.inference_mode():
            for i in range(0, len(inputs), 100):
                preds.append(model(torch.from_numpy(inputs[i : i + 100])).float().clamp(0, 1).numpy())
        results["learned"] = score(np.concatenate(preds))
    return {"sequences": count, **results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--models", default="copy,flow,learned")
    parser.add_argument("--max-side", type=int, default=480)
    parser.add_argument("--points", type=int, default=3)
    parser.add_argument("--clips", default="", help="comma-separated clip stems (default: all)")
    parser.add_argument("--digits-weights", default="predict-digits")
    parser.add_argument("--digits-count", type=int, default=1000)
    parser.add_argument("--skip-video", action="store_true")
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument("--save-png", type=Path, default=None, help="write predicted/true frames of each clip's first point here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    report: dict = {"command": " ".join(["python", *sys.argv])}
    if not args.skip_video:
        if (DATA / "video").is_dir():
            clips = [c for c in args.clips.split(",") if c] or None
            report["video"] = bench_video(args.models.split(","), args.max_side, args.points, clips, args.save_png)
        else:
            report["video"] = {"skipped": f"{DATA / 'video'} not found"}
    if not args.skip_digits:
        report["digits"] = bench_digits(args.digits_weights or None, args.digits_count)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: (v.get("mean", v) if isinstance(v, dict) else v) for k, v in report.items()}, indent=2))


if __name__ == "__main__":
    main()
