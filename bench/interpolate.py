"""Frame-interpolation benchmark through `vidgen interpolate` itself, with the naive DIS warp beside it.

    PYTHONPATH=. python bench/interpolate.py --out interp.json [--sizes native,480] [--ablation]

Quality: each triplet's two outer frames become a 2-frame folder; all folders of a set go to one
`vidgen interpolate BATCH -o OUT --factor 2 --model M` run (the code path users run), and the
middle output frame is scored against the ground truth with `vidgen eval`'s library (PSNR and SSIM,
RGB 0-255). Beside the models, in the same run: a linear blend, ffmpeg's minterpolate (mci) and
the naive DIS warp (DIS medium on grey frames both ways; each frame backward-warped half-way by the
other direction's flow; the two averaged). Sizes: `native` (the sets' own resolution) and `480`
(long side scaled down to 480 with area averaging when larger). Sets: UCF101 and Middlebury
(evaluation only), and `heldout`: triplets from the last 20% of every ../shared/data/video-train
clip (native size up to 1280 px), the only set the `flow` model's choices were made on, and
`heldout-wide`: the same clips with every other frame dropped (frames s, s+4 -> s+2: twice the
motion, more occlusion). `--ablation` scores `flow` variants (one choice switched each) on both.
`clips` (bench/interp_clips.py): the evaluation videos of ../shared/data/video at their own size,
their first `--clip-seconds` with every other frame dropped (`--factor 2`) and three of every four
(`--factor 4`), made again through `vidgen interpolate` on a PNG folder (one stream: the `flow`
model follows each pixel's path through the neighbouring frames) and scored per dropped frame;
`--models flow,flow@CHECKOUT` scores main's (or any commit's) code beside this one's in the same
run, on every set: CHECKOUT is a folder with its code (a worktree, or `git archive COMMIT | tar -x
-C DIR`); `--baseline-code DIR` is short for `--models M,M@DIR` (M the first model).
Speed: output fps doubling the rate of a 720p clip, the default model vs minterpolate in the same
run and thread budget, as a ratio (> 1: vidgen faster); both include decoding.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(os.environ.get("VIDGEN_BENCH_CODE", Path(__file__).resolve().parents[1]))  # code measured
sys.path.insert(0, str(ROOT))

from vidgen_cli.evaluate.compare import compare  # noqa: E402
from vidgen_cli.io import ffmpeg  # noqa: E402
from vidgen_cli.io.paths import list_images  # noqa: E402
from vidgen_cli.vision.flow import DISFlow, backward_warp  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDGEN = [sys.executable, "-m", "vidgen_cli"]
DEVICE: list[str] = []  # ["--device", NAME] from --device, given to every `vidgen` run


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def fit(image: np.ndarray, side: int | None) -> np.ndarray:
    h, w = image.shape[:2]
    if side is None or max(h, w) <= side:
        return image
    scale = side / max(h, w)
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def triplets(name: str, side: int | None, every: int = 1) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(id, first, ground-truth middle, last) of a set."""
    if name in ("heldout", "heldout-wide"):
        return heldout_triplets(side, every, stride=2 if name == "heldout-wide" else 1)
    base = DATA / "interp" / name
    files = ("frame_00.png", "frame_01_gt.png", "frame_02.png") if name == "ucf101" else ("frame10.png", "frame10i11.png", "frame11.png")
    out = []
    for seq in sorted((p for p in base.iterdir() if p.is_dir()), key=lambda p: (len(p.name), p.name))[::every]:
        if all((seq / f).is_file() for f in files):
            out.append((seq.name, *(fit(read_rgb(seq / f), side) for f in files)))
    return out


def heldout_triplets(side: int | None, every: int = 1, per_clip: int = 2, stride: int = 1) -> list:
    """Triplets from the held-out last 20% of the training clips (skipping held frames and cuts),
    `stride` frames apart (the middle one is the ground truth)."""
    out = []
    for path in sorted((DATA / "video-train").iterdir())[::every]:
        capture, frames = cv2.VideoCapture(str(path)), []
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(bgr)
        capture.release()
        if len(frames) < 20 * stride:
            continue
        for start in np.linspace(int(len(frames) * 0.8), len(frames) - 1 - 2 * stride, per_clip).astype(int):
            trio = [fit(fit(cv2.cvtColor(frames[start + d * stride], cv2.COLOR_BGR2RGB), 1280), side) for d in range(3)]
            moved = np.abs(trio[0].astype(np.int16) - trio[2]).mean()
            if 1.0 < moved < 40:  # no motion to score, or a shot cut
                out.append((f"{path.stem}@{start}", *trio))
    return out


def naive_warp(first: np.ndarray, last: np.ndarray, dis: DISFlow, t: float = 0.5, flows: tuple | None = None) -> np.ndarray:
    """The plain baseline: DIS medium both ways, each frame warped to t by the other's flow, time-weighted
    (at t = 0.5: half-way, averaged). flows: (f01, f10) when already estimated."""
    f01, f10 = flows or (dis(first, last), dis(last, first))
    w0 = backward_warp(first.astype(np.float32), t * f10)
    w1 = backward_warp(last.astype(np.float32), (1 - t) * f01)
    return np.clip((1 - t) * w0 + t * w1 + 0.5, 0, 255).astype(np.uint8)


def minterpolate_middle(first: np.ndarray, last: np.ndarray, threads: int) -> np.ndarray:
    """The middle frame ffmpeg's minterpolate makes when doubling a 2-frame clip (in 4:4:4)."""
    h, w = first.shape[:2]
    cmd = [ffmpeg.executable(), "-v", "error", "-threads", str(threads), "-filter_threads", str(threads),
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "1", "-i", "-",
           "-vf", "format=yuv444p,minterpolate=fps=2:mi_mode=mci,format=rgb24", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    # minterpolate emits nothing for a 2-frame clip; a repeated last frame flushes the middle one out.
    proc = subprocess.run(cmd, input=first.tobytes() + last.tobytes() * 2, capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3)[1]


def write_png(path: Path, image: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def checkout_model(model: str) -> tuple[Path, str]:
    """`M` -> (this checkout, M); `M@CHECKOUT` -> (that checkout's folder, M)."""
    name, _, code = model.partition("@")
    return (Path(code).resolve() if code else ROOT), name


def checkout_label(model: str) -> str:
    """How a run is named in the report: `flow (this code)`, `flow@../main` as given."""
    return model if "@" in model else f"{model} (this code)"


def cli_middles(data: list, model: str, work: Path, threads: int) -> tuple[dict[str, Path], float]:
    """Run `vidgen interpolate` once on a batch of 2-frame folders; the middle output frame of each.
    A model named `M@CHECKOUT` runs model M with the code of another checkout (before and after in
    the same run: `--models flow,flow@../main`, or a `git archive` of a commit unpacked somewhere)."""
    code_root, name = checkout_model(model)
    batch, out = work / "batch", work / ("out-" + model.replace("@", "_at_").replace("/", "_"))
    if not batch.exists():
        for seq, first, _, last in data:
            (batch / seq).mkdir(parents=True)
            write_png(batch / seq / "0.png", first)
            write_png(batch / seq / "1.png", last)
    env = {**os.environ, "PYTHONPATH": str(code_root), "VIDGEN_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    subprocess.run([*VIDGEN, "interpolate", str(batch), "-o", str(out), "--factor", "2", "--model", name,
                    "--overwrite", "-q", *DEVICE], check=True, env=env, cwd=code_root)  # cwd: `-m` imports from it first
    seconds = time.perf_counter() - started
    middles = {}
    for seq, *_ in data:
        frames = list_images(out / seq)
        if len(frames) != 4:  # first, middle, last, and the last held for its own duration
            raise RuntimeError(f"{model} on {seq}: expected 4 output frames, got {len(frames)}")
        middles[seq] = frames[1]
    return middles, seconds


def score(predicted: Path | np.ndarray, truth: Path, scratch: Path) -> tuple[float, float]:
    """PSNR and SSIM through `vidgen eval`'s library."""
    if isinstance(predicted, np.ndarray):
        write_png(scratch, predicted)
        predicted = scratch
    result = compare(str(truth), str(predicted), vmaf=False)
    return result.frames[0].psnr, result.frames[0].ssim


def quality(name: str, side: int | None, models: list[str], threads: int, every: int) -> dict:
    data = triplets(name, side, every)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-") as tmp:
        work = Path(tmp)
        truth = {}
        for seq, _, middle, _ in data:
            truth[seq] = work / f"truth-{seq}.png"
            write_png(truth[seq], middle)
        dis = DISFlow("medium")
        inline = {"blend": lambda a, b: np.clip((a.astype(np.float32) + b) / 2 + 0.5, 0, 255).astype(np.uint8),
                  "minterpolate": lambda a, b: minterpolate_middle(a, b, threads),
                  "naive_warp": lambda a, b: naive_warp(a, b, dis)}
        for method in ["blend", "minterpolate", "naive_warp", *models]:
            per, started = {}, time.perf_counter()
            if method in inline:
                predicted = {seq: inline[method](a, b) for seq, a, _, b in data}
                seconds = time.perf_counter() - started
            else:
                predicted, seconds = cli_middles(data, method, work, threads)
            for seq in predicted:
                per[seq] = score(predicted[seq], truth[seq], work / "scratch.png")
            results[method] = {"psnr": round(float(np.mean([p for p, _ in per.values()])), 3),
                               "ssim": round(float(np.mean([s for _, s in per.values()])), 4),
                               "seconds": round(seconds, 1), "per_sequence_psnr": {k: round(p, 3) for k, (p, _) in per.items()}}
            print(f"{name} {side or 'native'} {method}: {results[method]['psnr']} dB", file=sys.stderr, flush=True)
    for model in models:
        results[model]["vs_naive_db"] = round(results[model]["psnr"] - results["naive_warp"]["psnr"], 3)
    sizes = sorted({f"{a.shape[1]}x{a.shape[0]}" for _, a, _, _ in data})
    return {"sequences": len(data), "sizes": sizes, "methods": results}


def ablation(threads: int, every: int, dataset: str = "heldout") -> dict:
    """`flow` variants on held-out triplets, in process (each switches one choice)."""
    from vidgen_cli.interpolate.engine import FlowEngine
    from vidgen_cli.vision.interpolation import FLOW_MODEL_SETTINGS, FlowSettings
    from vidgen_cli.vision.metrics import psnr

    chosen = dict(FLOW_MODEL_SETTINGS)
    variants = {"flow (chosen)": chosen, "before (issue #12 default)": {},
                "no splatting (crossed flows)": {**chosen, "splat": False},
                "consistency-tilted blend": {**chosen, "visibility_blend": True},
                "no hole filling": {**chosen, "fill_levels": 0},
                "bilinear warps": {**chosen, "cubic": False},
                "per-pixel hypothesis selection": {**chosen, "hypotheses": True},
                "DIS to pyramid level 0": {**chosen, "finest_scale": 0},
                "no DIS pre-pass": {**chosen, "prepass": None},
                "no enlarging small frames for flow": {**chosen, "min_flow_side": None},
                "softmax splat, Z = brightness constancy, beta 1": {**chosen, "splat_beta": 1.0},
                "coverage (occlusion) blend": {**chosen, "coverage_blend": True}}
    data = triplets(dataset, None, every)
    dis = DISFlow("medium")
    out = {"sequences": len(data), "naive_warp": round(float(np.mean([psnr(naive_warp(a, b, dis), m) for _, a, m, b in data])), 3)}
    for label, settings in variants.items():
        engine = FlowEngine(FlowSettings(**settings))
        started = time.perf_counter()
        scores = [psnr(engine.at(engine.prepare(a, b), 0.5), m) for _, a, m, b in data]
        out[label] = {"psnr": round(float(np.mean(scores)), 3), "seconds": round(time.perf_counter() - started, 1)}
        print("ablation", dataset, label, out[label], file=sys.stderr, flush=True)
    return out


def source_fps(clip: Path) -> Fraction:
    capture = cv2.VideoCapture(str(clip))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return Fraction(fps).limit_denominator(1001)


def minterpolate_speed(clip: Path, frames: int, threads: int) -> dict:
    """ffmpeg decoding the first `frames` frames and doubling their rate with minterpolate (mci)."""
    fps = source_fps(clip)
    cmd = [ffmpeg.executable(), "-hide_banner", "-nostats", "-threads", str(threads), "-filter_threads", str(threads),
           "-i", str(clip), "-an", "-vf", f"trim=end_frame={frames},minterpolate=fps={2 * fps.numerator}/{fps.denominator}:mi_mode=mci",
           "-f", "null", "-", "-stats"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    counts = re.findall(r"frame=\s*(\d+)", proc.stderr)
    out = int(counts[-1]) if counts else 2 * frames - 1
    return {"output_frames": out, "seconds": round(wall, 2), "fps": round(out / wall, 2)}


def vidgen_speed(clip: Path, frames: int, model: str) -> dict:
    from vidgen_cli.device import choose
    from vidgen_cli.interpolate.processor import Interpolator

    interpolator = Interpolator(model, placement=choose(DEVICE[1]) if DEVICE else None)

    def decode():
        capture = cv2.VideoCapture(str(clip))
        for _ in range(frames):
            ok, bgr = capture.read()
            if not ok:
                break
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        capture.release()

    started = time.perf_counter()
    out = sum(1 for _ in interpolator.run(decode(), source_fps(clip), factor=2))
    wall = time.perf_counter() - started
    return {"model": model, "output_frames": out, "seconds": round(wall, 2), "fps": round(out / wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--models", default="flow,fusion",
                        help="vidgen models to run through the CLI (first: the default); M@CHECKOUT runs M from another checkout's code")
    parser.add_argument("--datasets", default="ucf101,middlebury,heldout")
    parser.add_argument("--sizes", default="native,480", help="native and/or a long side in pixels")
    parser.add_argument("--every", type=int, default=1, help="use every Nth sequence (quick runs)")
    parser.add_argument("--ablation", action="store_true", help="also score flow variants on the held-out set")
    parser.add_argument("--speed-clip", type=Path, default=DATA / "video" / "dog_walk.mp4")
    parser.add_argument("--speed-frames", type=int, default=60, help="input frames for the speed test")
    parser.add_argument("--threads", type=int, default=1, help="threads for torch, OpenCV and ffmpeg alike")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--clip-seconds", type=float, default=3.0, help="`clips`: the first seconds of each evaluation clip")
    parser.add_argument("--keeps", type=lambda text: [int(k) for k in text.split(",")], default=[2, 4],
                        help="`clips`: keep one frame in K (drop the rest and make them again), for each K listed")
    parser.add_argument("--baseline-code", type=Path, help="short for adding M@DIR to --models (M: the first model), for `clips`")
    parser.add_argument("--device", default="cpu", help="where vidgen's models run (cpu, cuda, cuda:N), as `vidgen --device`")
    args = parser.parse_args()
    DEVICE[:] = ["--device", args.device]

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/interp_clips.py
    if not (DATA / "interp").is_dir():
        sys.exit(f"benchmark data not found at {DATA}; it is expected in ../shared/data beside the repo")
    import torch

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    models = [m for m in args.models.split(",") if m]
    report: dict = {"default_model": models[0], "threads": args.threads, "code": str(ROOT),
                    "machine": platform.processor() or platform.machine(), "command": " ".join(["python", *sys.argv])}
    for dataset in filter(None, args.datasets.split(",")):
        if dataset == "clips":
            from interp_clips import clips_quality

            runs = {checkout_label(m): checkout_model(m) for m in models}
            if args.baseline_code:  # shorthand for `--models M,M@DIR`
                runs[f"{models[0]} (baseline code)"] = (args.baseline_code.resolve(), models[0])
            clips = sorted(p for p in (DATA / "video").iterdir() if p.is_file())[::args.every]
            report["clips"] = {f"keep{keep}": clips_quality(clips, args.clip_seconds, keep, runs, args.threads, DEVICE,
                                                            naive_warp, write_png) for keep in args.keeps}
            continue
        report[dataset] = {}
        for size in args.sizes.split(","):
            side = None if size == "native" else int(size)
            if side is not None and dataset == "ucf101":
                report[dataset][size] = "same as native (256x256)"
                continue
            report[dataset][size] = quality(dataset, side, models, args.threads, args.every)
    if args.ablation:
        report["ablation_heldout"] = ablation(args.threads, args.every)
        report["ablation_heldout_wide"] = ablation(args.threads, args.every, "heldout-wide")
    if not args.no_speed:
        # Reference before and after ours: a shared machine's load drifts, this brackets it.
        before = minterpolate_speed(args.speed_clip, args.speed_frames, args.threads)
        ours = vidgen_speed(args.speed_clip, args.speed_frames, models[0])
        after = minterpolate_speed(args.speed_clip, args.speed_frames, args.threads)
        ref_fps = (before["fps"] + after["fps"]) / 2
        report["speed_720p_2x"] = {"clip": args.speed_clip.name, "input_frames": args.speed_frames,
                                   "minterpolate": [before, after], "minterpolate_fps": round(ref_fps, 2),
                                   "vidgen": ours, "ratio": round(ours["fps"] / ref_fps, 3)}
        print("speed", report["speed_720p_2x"], file=sys.stderr)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
