"""Benchmark frame prediction through `vidgen predict` itself, with the naive extrapolation beside it.

    PYTHONPATH=. python bench/predict.py --out predict.json [--sizes native,480] [--models flow,copy,learned]

Natural video: every clip in ../shared/data/video (--folder video-train: the training clips, to
tune on their held-out frames), predicted by `vidgen predict CLIP --at T
--frames 10 --only-new --model M` (the code path users run) from --points evenly spaced points T
inside the held-out last 20% of its frames, and scored with `vidgen eval`'s library (PSNR, SSIM)
against the real frames that followed, at horizons 1, 2, 3 and 10. Sizes: `native` (the clip as it
is) and `480` (the clip scaled to a long side of 480 by ffmpeg, losslessly re-encoded, then run
the same way). Beside the models, in the same run: the naive one-step DIS extrapolation (DIS medium
flow last->previous on grey frames; the last frame backward-warped k times that flow for horizon
k). Speed: seconds per predicted frame of each model's CLI run, as a ratio to `flow` in the same
run, and the peak resident memory of the vidgen process at 720p (its VmHWM). --ablation: the parts of the
`flow` predictor's mixture (vidgen_cli/vision/forecast.py) alone and in part, in-process on the same
points and frames (the full mixture is what `--model flow` runs). Moving digits: the fixed-seed
10 -> 10 test split, per-frame MSE summed over 64x64 pixels (values 0-1), as OpenSTL reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(os.environ.get("VIDGEN_BENCH_CODE", Path(__file__).resolve().parents[1]))  # code measured
sys.path.insert(0, str(ROOT))

from vidgen_cli.evaluate.compare import compare  # noqa: E402
from vidgen_cli.io import ffmpeg  # noqa: E402
from vidgen_cli.io.decode import open_input  # noqa: E402
from vidgen_cli.io.paths import is_video_file  # noqa: E402
from vidgen_cli.io.probe import probe  # noqa: E402
from vidgen_cli.vision import metrics  # noqa: E402
from vidgen_cli.vision.flow import DISFlow, backward_warp  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HORIZONS = (1, 2, 3, 10)
HOLDOUT = 0.2
CONTEXT = 3  # frames before each point inside the held-out part
KEPT = 4  # frames before each point decoded for the in-process ablation (`flow` backtests its last 2 steps)


def points_in_holdout(total: int, points: int, horizon: int) -> list[int]:
    """Indices of the last context frame, evenly spread so context and truth lie in the held-out part."""
    first = int(np.ceil(total * (1 - HOLDOUT))) + CONTEXT - 1
    last = total - 1 - horizon
    if last < first:
        return []
    return sorted({int(round(x)) for x in np.linspace(first, last, points)})


def scaled_copy(clip: Path, side: int, folder: Path) -> Path:
    """The clip scaled to a long side of `side` (area averaging), losslessly re-encoded (4:4:4)."""
    info = probe(clip)
    scale = side / max(info.width, info.height)
    if scale >= 1:
        return clip
    w, h = 2 * round(info.width * scale / 2), 2 * round(info.height * scale / 2)
    out = folder / f"{clip.stem}_{side}.mkv"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-y", "-i", str(clip), "-map", f"0:{info.video_stream}", "-an",
                    "-vf", f"scale={w}:{h}:flags=area", "-c:v", "libx264", "-qp", "0", "-preset", "ultrafast",
                    "-pix_fmt", "yuv444p", str(out)], check=True)
    return out


def frames_at(clip: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Decode with vidgen's own decoder (as the CLI does), keeping only `wanted` frames."""
    out = {}
    with open_input(clip) as reader:
        for i, frame in enumerate(reader):
            if i in wanted:
                out[i] = frame.copy()
            if i >= max(wanted):
                break
    return out


def naive_extrapolation(context: list[np.ndarray], n: int, dis: DISFlow) -> list[np.ndarray]:
    """The plain baseline: the last frame backward-warped k times the last motion (flow last->previous)."""
    back = dis(context[-1], context[-2])
    return [backward_warp(context[-1], k * back) for k in range(1, n + 1)]


ABLATION = {  # weights (still, half, crossed, fast, splatted), or None for the default mixture
    "crossed": (0, 0, 1, 0, 0),
    "splatted": (0, 0, 0, 0, 1),
    "crossed+splatted": (0, 0, 0.5, 0, 0.5),
    "mixture_without_still": "no-still",
    "fixed_mixture": "fixed",  # the fitted weights without the clip's own adaptation (forecast.local_shift)
    "mixture": None,
}


def ablation_predictions(context: list[np.ndarray], n: int, dis: DISFlow) -> dict[str, list[np.ndarray]]:
    """Each ABLATION variant's n frames after `context` (the `flow` predictor's motion, damping and parts)."""
    from vidgen_cli.vision.extrapolate import FLOW_MAX_SIDE, estimate_motion, to_frame_grid
    from vidgen_cli.vision.forecast import forecast, local_shift, mixture_weights
    from vidgen_cli.vision.sizes import fit_image

    last = context[-1]
    latest, smoothed, scale = estimate_motion(context, dis)
    shift = local_shift(context, dis)  # as the CLI does
    latest_full = to_frame_grid(latest, *last.shape[:2], scale)
    small_last = fit_image(last, FLOW_MAX_SIDE)
    out = {}
    for name, weights in ABLATION.items():
        frames = []
        for k in range(1, n + 1):
            w = weights
            if w == "no-still":
                w = mixture_weights(k, shift) * np.array([0, 1, 1, 1, 1], np.float32)
                w = w / w.sum()
            elif w == "fixed":
                w = mixture_weights(k)
            frames.append(forecast(last, small_last, latest_full, smoothed, scale, k, None if w is None else np.asarray(w, np.float32),
                                   shift=shift))
        out[name] = frames
    return out


def write_frames(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


# Runs `vidgen` as `python -m vidgen_cli` does and, at exit, writes the process's own peak resident
# memory (VmHWM, KiB) to $VIDGEN_BENCH_HWM. The rusage of the child (ru_maxrss) is no measure here:
# Linux carries the parent's peak over fork and exec, so it reported this script's memory
# (frames, torch) whenever that was larger than vidgen's.
LAUNCH = """import atexit, os, runpy, sys
def hwm():
    with open('/proc/self/status') as f, open(os.environ['VIDGEN_BENCH_HWM'], 'w') as out:
        out.write(next(line.split()[1] for line in f if line.startswith('VmHWM')))
atexit.register(hwm)
sys.argv = ['vidgen', *sys.argv[1:]]
runpy.run_module('vidgen_cli', run_name='__main__')
"""


DEVICE: list[str] = []  # ["--device", NAME] from --device, given to every `vidgen predict` run


def run_cli(clip: Path, at: int, model: str, out: Path, horizon: int) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB, VmHWM) of one `vidgen predict` run. A model
    named `M@CHECKOUT` runs model M with the code of another checkout (a before/after comparison
    in the same run: `--models flow,flow@../main`)."""
    hwm = out.with_name(out.name + ".hwm")
    model, _, code = model.partition("@")
    code_root = Path(code).resolve() if code else ROOT
    env = {**os.environ, "PYTHONPATH": str(code_root), "VIDGEN_BENCH_HWM": str(hwm)}
    command = [sys.executable, "-c", LAUNCH, "predict", str(clip), "--at", str(at), "--frames", str(horizon), "--only-new",
               "--model", model, "-o", str(out) + "/", "--overwrite", "-q", *DEVICE]
    started = time.perf_counter()
    process = subprocess.run(command, env=env, cwd=code_root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # imports from cwd
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[3:])} failed: {process.stderr.decode()}")
    return seconds, int(hwm.read_text())


def slug(model: str) -> str:
    """A folder-name form of a model name (`flow@../main` -> `flow_at_.._main`)."""
    return model.replace("@", "_at_").replace("/", "_")


def bench_video(models: list[str], sizes: list[str], points: int, clips: list[str] | None, folder: str = "video",
                ablation: bool = False) -> dict:
    horizon = max(HORIZONS)
    dis = DISFlow("medium")
    report: dict = {}
    paths = sorted(p for p in (DATA / folder).iterdir() if is_video_file(p))
    variants = [f"ablation:{name}" for name in ABLATION] if ablation else []
    for size in sizes:
        methods = ["naive_extrapolation", *models, *variants]
        scores = {m: {h: {"psnr": [], "ssim": []} for h in HORIZONS} for m in methods}
        seconds = {m: 0.0 for m in models}
        peak_720p = {m: 0 for m in models}
        per_clip: dict = {}
        failed: dict = {}
        with tempfile.TemporaryDirectory(prefix="vidgen-bench-predict-") as tmp:
            work = Path(tmp)
            for path in paths:
                if clips and path.stem not in clips:
                    continue
                clip = path if size == "native" else scaled_copy(path, int(size), work)
                info = probe(clip)
                starts = points_in_holdout(info.frame_count, points, horizon)
                if not starts:
                    continue
                frames = frames_at(clip, {t + d for t in starts for d in range(-KEPT + 1, horizon + 1)})
                clip_scores = {m: {h: [] for h in HORIZONS} for m in methods}
                scored = []
                for t in starts:
                    truth = write_frames(work / f"truth-{path.stem}-{t}", [frames[t + d] for d in range(1, horizon + 1)])
                    outputs = {"naive_extrapolation": write_frames(work / f"naive-{path.stem}-{t}", naive_extrapolation(
                        [frames[t + d] for d in range(-CONTEXT + 1, 1)], horizon, dis))}
                    if ablation:
                        context = [frames[t + d] for d in range(-KEPT + 1, 1)]
                        for name, predicted in ablation_predictions(context, horizon, dis).items():
                            outputs[f"ablation:{name}"] = write_frames(work / f"ablation-{name}-{path.stem}-{t}", predicted)
                    try:  # a point the CLI refuses is left out for every method (and reported)
                        runs = {model: run_cli(clip, t, model, work / f"{slug(model)}-{path.stem}-{t}", horizon) for model in models}
                    except RuntimeError as error:
                        failed[f"{path.name}@{t}"] = str(error).splitlines()[-1][:300]
                        print(size, path.name, t, "failed:", failed[f"{path.name}@{t}"], file=sys.stderr, flush=True)
                        continue
                    for model, (wall, rss) in runs.items():
                        seconds[model] += wall
                        if max(info.width, info.height) == 1280:
                            peak_720p[model] = max(peak_720p[model], rss)
                        outputs[model] = work / f"{slug(model)}-{path.stem}-{t}"
                    scored.append(t)
                    for method, folder in outputs.items():
                        result = compare(str(truth), str(folder), vmaf=False)
                        for h in HORIZONS:
                            frame = result.frames[h - 1]
                            scores[method][h]["psnr"].append(frame.psnr)
                            scores[method][h]["ssim"].append(frame.ssim)
                            clip_scores[method][h].append(frame.psnr)
                if not scored:
                    continue
                per_clip[path.name] = {"size": [info.width, info.height], "points": scored,
                                       "psnr": {m: {str(h): round(float(np.mean(v)), 3) for h, v in hs.items()} for m, hs in clip_scores.items()}}
                print(size, path.name, {m: per_clip[path.name]["psnr"][m]["1"] for m in methods}, file=sys.stderr, flush=True)
        n = sum(len(c["points"]) for c in per_clip.values())
        mean = {m: {f"h{h}": {"psnr": round(float(np.mean(v["psnr"])), 3), "ssim": round(float(np.mean(v["ssim"])), 4)}
                    for h, v in hs.items()} for m, hs in scores.items()}
        report[size] = {
            "predictions": n,
            "mean": mean,
            "vs_naive_db": {m: {f"h{h}": round(mean[m][f"h{h}"]["psnr"] - mean["naive_extrapolation"][f"h{h}"]["psnr"], 3)
                                for h in HORIZONS} for m in [*models, *variants]},
            "cli_seconds_per_frame": {m: round(s / max(1, n * horizon), 3) for m, s in seconds.items()},
            "time_vs_flow": {m: round(s / max(seconds.get("flow", s), 1e-9), 2) for m, s in seconds.items()},
            "peak_rss_mb_720p": {m: round(v / 1024) for m, v in peak_720p.items() if v},
            "cli_failed": failed,
            "clips": per_clip,
        }
    return report


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
    parser.add_argument("--models", default="flow,copy,learned",
                        help="vidgen models run through the CLI; M@CHECKOUT runs M from another checkout's code")
    parser.add_argument("--sizes", default="native,480", help="native and/or a long side in pixels")
    parser.add_argument("--points", type=int, default=2)
    parser.add_argument("--clips", default="", help="comma-separated clip stems (default: all)")
    parser.add_argument("--folder", default="video", help="clip folder under ../shared/data (video-train to tune on)")
    parser.add_argument("--ablation", action="store_true", help="also score the parts of the flow predictor's mixture")
    parser.add_argument("--digits-weights", default="predict-digits")
    parser.add_argument("--digits-count", type=int, default=1000)
    parser.add_argument("--skip-video", action="store_true")
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument("--device", default="cpu", help="where vidgen's models run (cpu, cuda, cuda:N), as `vidgen --device`")
    args = parser.parse_args()
    DEVICE[:] = ["--device", args.device]

    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    os.environ.setdefault("VIDGEN_THREADS", "1")
    report: dict = {"command": " ".join(["python", *sys.argv]), "code": str(ROOT)}
    if not args.skip_video:
        if (DATA / args.folder).is_dir():
            clips = [c for c in args.clips.split(",") if c] or None
            report["video"] = bench_video(args.models.split(","), args.sizes.split(","), args.points, clips, args.folder,
                                          args.ablation)
        else:
            report["video"] = {"skipped": f"{DATA / args.folder} not found"}
    if not args.skip_digits:
        report["digits"] = bench_digits(args.digits_weights or None, args.digits_count)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    summary = {size: {k: v for k, v in r.items() if k != "clips"} for size, r in report.get("video", {}).items() if isinstance(r, dict)}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
