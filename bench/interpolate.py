"""Frame-interpolation benchmark: quality on UCF101 / Middlebury triplets and 720p speed vs minterpolate.

    PYTHONPATH=. python bench/interpolate.py --out bench-interpolate.json

Quality: PSNR and SSIM (RGB, 0-255; vidgen_cli.vision.metrics) of the middle frame predicted from the two
outer frames, for a linear blend, ffmpeg's minterpolate (mi_mode=mci, run on the two frames as a
2-frame clip), vidgen's `flow` model and the default model. Speed: output frames per second when
doubling the frame rate of a 720p clip, vidgen's default model vs minterpolate in the same process
and thread budget, reported as a ratio (> 1 means vidgen is faster). Both include decoding.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidgen_cli.interpolate.processor import DEFAULT_MODEL, Interpolator, make_engine  # noqa: E402
from vidgen_cli.vision.metrics import psnr, ssim  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def triplets(name: str) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(id, first, ground-truth middle, last) for every sequence of a data set."""
    base = DATA / "interp" / name
    files = ("frame_00.png", "frame_01_gt.png", "frame_02.png") if name == "ucf101" else \
        ("frame10.png", "frame10i11.png", "frame11.png")
    out = []
    for seq in sorted(p for p in base.iterdir() if p.is_dir()):
        if all((seq / f).is_file() for f in files):
            out.append((seq.name, *(read_rgb(seq / f) for f in files)))
    return out


def minterpolate_middle(first: np.ndarray, last: np.ndarray, threads: int) -> np.ndarray:
    """The middle frame ffmpeg's minterpolate makes when doubling a 2-frame clip (in 4:4:4, no chroma loss)."""
    h, w = first.shape[:2]
    cmd = [ffmpeg_exe(), "-v", "error", "-threads", str(threads), "-filter_threads", str(threads),
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "1", "-i", "-",
           "-vf", "format=yuv444p,minterpolate=fps=2:mi_mode=mci,format=rgb24",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    # minterpolate emits nothing for a 2-frame clip; a repeated last frame flushes the middle one out.
    proc = subprocess.run(cmd, input=first.tobytes() + last.tobytes() * 2, capture_output=True, check=True)
    frames = np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3)
    return frames[1]


def quality(dataset: str, methods: list[str], threads: int, placement) -> dict:
    data = triplets(dataset)
    results = {}
    for method in methods:
        engine = None if method == "minterpolate" else make_engine(method, placement)
        ps, ss, per = [], [], {}
        started = time.perf_counter()
        for seq, first, truth, last in data:
            if engine is None:
                pred = minterpolate_middle(first, last, threads)
            else:
                pred = engine.at(engine.prepare(first, last), 0.5)
            p, s = psnr(pred, truth), ssim(pred, truth)
            ps.append(p)
            ss.append(s)
            per[seq] = round(p, 3)
        results[method] = {"psnr": round(float(np.mean(ps)), 3), "ssim": round(float(np.mean(ss)), 4),
                           "seconds": round(time.perf_counter() - started, 1), "per_sequence_psnr": per}
    return {"sequences": len(data), "methods": results}


def minterpolate_speed(clip: Path, frames: int, threads: int) -> dict:
    """ffmpeg decoding the first `frames` frames and doubling their rate with minterpolate (mci)."""
    fps = source_fps(clip)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-threads", str(threads), "-filter_threads", str(threads),
           "-i", str(clip), "-an", "-vf",
           f"trim=end_frame={frames},minterpolate=fps={2 * fps.numerator}/{fps.denominator}:mi_mode=mci",
           "-f", "null", "-", "-stats"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    counts = re.findall(r"frame=\s*(\d+)", proc.stderr)
    out = int(counts[-1]) if counts else 2 * frames - 1
    return {"output_frames": out, "seconds": round(wall, 2), "fps": round(out / wall, 2)}


def source_fps(clip: Path) -> Fraction:
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return Fraction(fps).limit_denominator(1001)


def vidgen_speed(clip: Path, frames: int, model: str, placement) -> dict:
    interpolator = Interpolator(model, placement)

    def decode():
        cap = cv2.VideoCapture(str(clip))
        for _ in range(frames):
            ok, bgr = cap.read()
            if not ok:
                break
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        cap.release()

    started = time.perf_counter()
    out = 0
    size = None
    for frame in interpolator.run(decode(), source_fps(clip), factor=2):
        out += 1
        size = frame.shape
    wall = time.perf_counter() - started
    return {"model": model, "output_frames": out, "seconds": round(wall, 2), "fps": round(out / wall, 2),
            "frame_size": list(size[:2]) if size else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="vidgen's model to grade as the default")
    parser.add_argument("--datasets", nargs="*", default=["ucf101", "middlebury"])
    parser.add_argument("--methods", nargs="*", default=None,
                        help="quality methods (default: blend minterpolate flow fusion MODEL)")
    parser.add_argument("--speed-clip", type=Path, default=DATA / "video" / "dog_walk.mp4")
    parser.add_argument("--speed-frames", type=int, default=60, help="input frames for the speed test")
    parser.add_argument("--threads", type=int, default=1, help="threads for torch, OpenCV and ffmpeg alike")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()

    if not (DATA / "interp").is_dir():
        sys.exit(f"benchmark data not found at {DATA}; it is expected in ../shared/data beside the repo")
    import torch

    from vidgen_cli.device import choose

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    placement = choose("cpu")
    methods = args.methods or ["blend", "minterpolate", "flow", "fusion", args.model]
    methods = list(dict.fromkeys(methods))
    report: dict = {"default_model": args.model, "threads": args.threads, "machine": platform.processor() or platform.machine(),
                    "command": " ".join(["python", "bench/interpolate.py", *sys.argv[1:]])}
    for dataset in args.datasets:
        report[dataset] = quality(dataset, methods, args.threads, placement)
        print(dataset, {m: (r["psnr"], r["ssim"]) for m, r in report[dataset]["methods"].items()}, file=sys.stderr)
    if not args.no_speed:
        # Reference before and after ours: a shared machine's load drifts, this brackets it.
        before = minterpolate_speed(args.speed_clip, args.speed_frames, args.threads)
        ours = vidgen_speed(args.speed_clip, args.speed_frames, args.model, placement)
        after = minterpolate_speed(args.speed_clip, args.speed_frames, args.threads)
        ref_fps = (before["fps"] + after["fps"]) / 2
        report["speed_720p_2x"] = {"clip": args.speed_clip.name, "input_frames": args.speed_frames,
                                   "minterpolate": [before, after], "minterpolate_fps": round(ref_fps, 2),
                                   "vidgen": ours, "ratio": round(ours["fps"] / ref_fps, 3)}
        print("speed", report["speed_720p_2x"], file=sys.stderr)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
