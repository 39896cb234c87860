"""Same-process A/B of the style transformer's layer implementations on real frames at full size.

    PYTHONPATH=. python bench/stylize_layers.py --out bench/results/stylize_layers.json

Runs `Stylizer.stylize_array` (the network as `vidgen stylize` runs it: channels-last, inference
guards, real style vector) on frames of evaluation clips at their own size, with three variants of
the same network, interleaved frame by frame, in one process, one torch thread:
- `plain`: nearest x2 upsampling then a conv, the plain layers (no CPU kernels);
- `subpixel`: the x2 upsampling as the identical sub-pixel conv at low resolution (vidgen before the
  CPU kernels of models/phase_conv.py);
- `kernels`: what vidgen runs now (`StyleTransformer.cpu_kernels`: the first and last 9x9 convs
  in 2 x 2 phases, the first one's output left split for the stride-2 conv after it, phase-major
  sub-pixel shuffle, fused norm affine, in-place relu, one-pass flat check).
Times are medians per frame, both wall clock and the thread's CPU time (`time.thread_time`, which
a machine shared with other jobs inflates less). The output differences of `kernels` against
`subpixel` are in grey levels (0-255): the float output before rounding, and the uint8 frames;
`--pipeline-frames N` adds the uint8 differences of whole `Stylizer.run` outputs (flow canvas and
per frame). The canvas stores its keys as uint8 and resamples them, so a float-rounding difference
of the network can round twice there (2 grey levels at a few pixels; the plain layers at 1 against
2 torch threads differ the same way).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CLIPS = "dog_walk.mp4,bbb_720p_30s.webm,space_shuttle.webm"  # 1280x720, 1280x720, 1080x608: evaluation clips
STYLE = "vangogh_starry_night.jpg"


def clip_frames(path: Path, count: int) -> list[np.ndarray]:
    """`count` RGB frames spread over the first 5 seconds of a clip, at its own size."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    for index in range(count * 40):
        ok, bgr = capture.read()
        if not ok:
            break
        if index % 40 == 0:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames[:count]


def pipeline_differences(clips: list[str], count: int) -> dict:
    """uint8 output of `Stylizer.run` (flow canvas and per frame, teacher) with the CPU kernels against
    the plain layers, on the first `count` frames of each clip at full size."""
    from vidgen_cli.stylize.processor import Stylizer

    found = {}
    for clip in clips:
        capture = cv2.VideoCapture(str(DATA / "video" / clip))
        frames = [cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB) for _ in range(count)]
        capture.release()
        for mode in ("flow", "off"):
            outputs = []
            for kernels in (True, False):
                stylizer = Stylizer([DATA / "style" / STYLE], consistency=mode, max_side=None)
                stylizer.transformer.cpu_kernels = kernels
                outputs.append(np.stack(list(stylizer.run(frames))).astype(np.int16))
            diff = np.abs(outputs[0] - outputs[1])
            found[f"{clip} {mode}"] = {"frames": count, "max_abs_diff_uint8": int(diff.max()),
                                       "values_changed": round(float((diff > 0).mean()), 6)}
            print(json.dumps({f"{clip} {mode}": found[f"{clip} {mode}"]}), file=sys.stderr)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clips", default=CLIPS, help="comma-separated clips under ../shared/data/video")
    parser.add_argument("--frames", type=int, default=3, help="frames per clip")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the frames")
    parser.add_argument("--models", default="teacher,student")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pipeline-frames", type=int, default=0,
                        help="also compare Stylizer.run's uint8 output (flow canvas and per frame) over this many frames per clip")
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F

    from vidgen_cli.models import magenta
    from vidgen_cli.stylize.processor import Stylizer

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    subpixel_forward = magenta._Upsample.forward

    def plain_forward(self, x, style, flat=None, fast=False):
        if self.scale != 1:
            x = F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return self.norm(self.conv(x), style, flat)

    variants = {"plain": (plain_forward, False), "subpixel": (subpixel_forward, False), "kernels": (subpixel_forward, True)}
    clips = {name: clip_frames(DATA / "video" / name, args.frames) for name in args.clips.split(",")}
    result: dict = {
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": args.threads},
        "settings": {"clips": {n: list(f[0].shape[1::-1]) for n, f in clips.items()}, "frames_per_clip": args.frames,
                     "repeat": args.repeat, "style": STYLE},
        "models": {},
    }
    try:
        for model in args.models.split(","):
            stylizer = Stylizer([DATA / "style" / STYLE], model=model, consistency="off", max_side=None)
            net = stylizer.transformer
            wall: dict[str, list[float]] = {v: [] for v in variants}
            cpu: dict[str, list[float]] = {v: [] for v in variants}
            diff_float, diff_uint8, changed, pixels = 0.0, 0, 0, 0
            with torch.inference_mode():
                for name, (forward, kernels) in variants.items():  # warm-up, every variant at every size
                    magenta._Upsample.forward, net.cpu_kernels = forward, kernels
                    for frames in clips.values():
                        stylizer.stylize_array(frames[0], stylizer.style_vector)
                for rep in range(args.repeat):
                    for i, frame in enumerate(f for frames in clips.values() for f in frames):
                        order = list(variants)[(rep + i) % 3:] + list(variants)[: (rep + i) % 3]  # rotate who goes first
                        outputs = {}
                        for name in order:
                            magenta._Upsample.forward, net.cpu_kernels = variants[name]
                            start, start_cpu = time.perf_counter(), time.thread_time()
                            outputs[name] = stylizer.stylize_array(frame, stylizer.style_vector)
                            wall[name].append(time.perf_counter() - start)
                            cpu[name].append(time.thread_time() - start_cpu)
                        if rep == 0:
                            fast, ref = outputs["kernels"], outputs["subpixel"]
                            diff_float = max(diff_float, float(np.abs(fast - ref).max()))
                            q_fast, q_ref = (np.clip(o + 0.5, 0, 255).astype(np.int16) for o in (fast, ref))
                            diff_uint8 = max(diff_uint8, int(np.abs(q_fast - q_ref).max()))
                            changed += int((q_fast != q_ref).sum())
                            pixels += q_fast.size
            median_wall = {n: statistics.median(v) for n, v in wall.items()}
            median_cpu = {n: statistics.median(v) for n, v in cpu.items()}
            result["models"][model] = {
                "median_seconds_wall": {n: round(v, 4) for n, v in median_wall.items()},
                "median_seconds_cpu": {n: round(v, 4) for n, v in median_cpu.items()},
                "kernels_speedup_vs_subpixel_wall": round(median_wall["subpixel"] / median_wall["kernels"], 3),
                "kernels_speedup_vs_subpixel_cpu": round(median_cpu["subpixel"] / median_cpu["kernels"], 3),
                "kernels_speedup_vs_plain_cpu": round(median_cpu["plain"] / median_cpu["kernels"], 3),
                "subpixel_speedup_vs_plain_cpu": round(median_cpu["plain"] / median_cpu["subpixel"], 3),
                "kernels_vs_subpixel_max_abs_diff_float": round(diff_float, 5),
                "kernels_vs_subpixel_max_abs_diff_uint8": diff_uint8,
                "kernels_vs_subpixel_uint8_values_changed": round(changed / max(pixels, 1), 6),
            }
            print(json.dumps({model: result["models"][model]}), file=sys.stderr)
        if args.pipeline_frames:
            result["pipeline"] = pipeline_differences(args.clips.split(","), args.pipeline_frames)
    finally:
        magenta._Upsample.forward = subpixel_forward
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
