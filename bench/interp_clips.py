"""Interpolation on the evaluation clips at their own resolution, through `vidgen interpolate`:
frames dropped from a real video, then made again and scored against the dropped ones.

Used by `bench/interpolate.py --datasets clips`. Each clip of ../shared/data/video (evaluation only:
nothing was tuned on it) gives its first `seconds`; with `keep` = 2 every other frame is dropped
(`--factor 2` makes them again), with `keep` = 4 three of every four (`--factor 4`: t = 1/4, 1/2, 3/4,
twice the motion). The kept frames go to `vidgen interpolate FOLDER -o OUT --factor keep` as a PNG
folder (one stream, lossless), once per model run (`M` with this code, `M@CHECKOUT` with another
checkout's, such as main's) in the same run; the naive DIS warp (bench/interpolate.py) is computed beside them. PSNR
and SSIM (vidgen eval's metrics) per dropped frame, per clip and overall.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def clip_frames(path: Path, seconds: float) -> list[np.ndarray]:
    """The first `seconds` of a clip as 8-bit RGB frames, decoded as vidgen decodes them (rotation applied)."""
    from vidgen_cli.io.decode import open_input

    out = []
    with open_input(path, end=seconds) as reader:
        for frame in reader:
            frame = np.asarray(frame)
            if frame.dtype == np.uint16:
                frame = ((frame.astype(np.uint32) + 128) // 257).astype(np.uint8)
            out.append(np.ascontiguousarray(frame[..., :3]))
    return out


def run_cli(code: Path, model: str, source: Path, out: Path, factor: int, threads: int,
            device: list[str]) -> tuple[list[Path], float]:
    """`vidgen interpolate --model MODEL` from the checkout at `code` (its own package, imported first); its output frames."""
    from vidgen_cli.io.paths import list_images

    env = {**os.environ, "PYTHONPATH": str(code), "VIDGEN_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vidgen_cli", "interpolate", str(source), "-o", str(out), "--factor", str(factor),
                    "--model", model, "--overwrite", "-q", *device], check=True, env=env, cwd=code)
    return list_images(out), time.perf_counter() - started


def clip_scores(path: Path, seconds: float, keep: int, runs: dict[str, tuple[Path, str]], threads: int, device: list[str],
                naive_warp, write_png) -> dict:
    """Per-method PSNR / SSIM lists over the dropped frames of one clip."""
    from vidgen_cli.vision.flow import DISFlow
    from vidgen_cli.vision.metrics import psnr, ssim

    frames = clip_frames(path, seconds)
    frames = frames[:(len(frames) - 1) // keep * keep + 1]  # end on a kept frame: every dropped one lies between two
    kept = frames[::keep]
    truth = {k * keep + d: frames[k * keep + d] for k in range(len(kept) - 1) for d in range(1, keep)}
    scores: dict[str, dict] = {}

    def add(method: str, index: int, image: np.ndarray) -> None:
        entry = scores.setdefault(method, {"psnr": [], "ssim": []})
        entry["psnr"].append(psnr(image, truth[index]))
        entry["ssim"].append(ssim(image, truth[index]))

    dis = DISFlow("medium")
    for k in range(len(kept) - 1):
        f01, f10 = dis(kept[k], kept[k + 1]), dis(kept[k + 1], kept[k])
        for d in range(1, keep):
            add("naive_warp", k * keep + d, naive_warp(kept[k], kept[k + 1], dis, d / keep, (f01, f10)))
    seconds_spent = {}
    with tempfile.TemporaryDirectory(prefix="vidgen-clips-") as tmp:
        source = Path(tmp) / "in"
        source.mkdir()
        for i, frame in enumerate(kept):
            write_png(source / f"{i:05d}.png", frame)
        for method, (code, model) in runs.items():
            outputs, seconds_spent[method] = run_cli(code, model, source, Path(tmp) / f"out{len(seconds_spent)}", keep, threads, device)
            if len(outputs) != len(kept) * keep:
                raise RuntimeError(f"{method} on {path.name}: {len(outputs)} frames, expected {len(kept) * keep}")
            for index in truth:
                add(method, index, cv2.cvtColor(cv2.imread(str(outputs[index]), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
    h, w = frames[0].shape[:2]
    return {"size": f"{w}x{h}", "dropped_frames": len(truth), "scores": scores, "seconds": seconds_spent}


def clips_quality(clips: list[Path], seconds: float, keep: int, runs: dict[str, tuple[Path, str]], threads: int, device: list[str],
                  naive_warp, write_png) -> dict:
    """Means per clip and overall (clips weighted equally, and every dropped frame equally)."""
    per_clip, every_frame = {}, {}
    for path in clips:
        result = clip_scores(path, seconds, keep, runs, threads, device, naive_warp, write_png)
        means = {m: {"psnr": round(float(np.mean(v["psnr"])), 3), "ssim": round(float(np.mean(v["ssim"])), 4)}
                 for m, v in result["scores"].items()}
        per_clip[path.name] = {"size": result["size"], "dropped_frames": result["dropped_frames"], "methods": means,
                               "seconds": {m: round(s, 1) for m, s in result["seconds"].items()}}
        for m, v in result["scores"].items():
            every_frame.setdefault(m, []).extend(v["psnr"])
        print(f"clips keep={keep} {path.name}", means, file=sys.stderr, flush=True)
    methods = list(next(iter(per_clip.values()))["methods"]) if per_clip else []
    first = list(runs)[0]
    summary = {m: {"psnr_clip_mean": round(float(np.mean([c["methods"][m]["psnr"] for c in per_clip.values()])), 3),
                   "ssim_clip_mean": round(float(np.mean([c["methods"][m]["ssim"] for c in per_clip.values()])), 4),
                   "psnr_frame_mean": round(float(np.mean(every_frame[m])), 3)} for m in methods}
    for m in methods:
        if m != first:
            diffs = [c["methods"][first]["psnr"] - c["methods"][m]["psnr"] for c in per_clip.values()]
            summary[m][f"{first}_minus_this_db"] = round(summary[first]["psnr_clip_mean"] - summary[m]["psnr_clip_mean"], 3)
            summary[m][f"clips_{first}_better_worse"] = [int(sum(d > 0.01 for d in diffs)), int(sum(d < -0.01 for d in diffs))]
    return {"keep": keep, "seconds": seconds, "clips": len(per_clip), "summary": summary, "per_clip": per_clip}
