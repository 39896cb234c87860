"""Motion estimated at the middle frame (bilateral motion estimation) against the `flow` model's splatted motion.

    PYTHONPATH=. python bench/interp_motion_at_t.py --out motion_at_t.json [--every 3] [--datasets heldout,heldout-wide]

Held-out triplets of ../shared/data/video-train only (bench/interpolate.py's `heldout` sets): the
tuning data; UCF101 and Middlebury are not read. Every row renders with the `flow` model's own
engine (its work resolution, bicubic full-size warps, time-weighted blend); only the intermediate
flows (F_t0, F_t1) change. Rows, against the chosen motion (`flow`) and the naive DIS warp:

- `bilateral search`: for each pixel at t, the symmetric motion v + d that minimises the
  box-filtered colour difference |I0(x - v - d) - I1(x + v + d)| over d on a grid (+-2 px in
  1 px steps, then +-0.5 px in 0.5 px steps), starting from the splatted v = (F_t1 - F_t0) / 2
  (Choi et al., "Motion-compensated frame interpolation using bilateral motion estimation and
  adaptive overlapped block motion compensation", IEEE TCSVT 2007; dense, not per block).
- `symmetric Lucas-Kanade`: the same cost minimised by Gauss-Newton (3 steps, Gaussian window).
- `DIS re-estimated at t`: DIS `fast` from the first interpolated frame to I0 and to I1, started
  from F_t0 and F_t1 (frames under 512 px enlarged as the flow model does), then symmetrised.
- `oracle, symmetric` and `oracle, asymmetric`: DIS from the TRUE middle frame to I0 and I1
  (started from F_t0, F_t1), symmetrised or not. Not methods: bounds. The symmetric one bounds what
  any two-frame linear-motion estimate at t can reach; the asymmetric one also fits non-linear
  motion, occlusions and noise to the answer. `chosen motion + one global shift` moves both chosen
  flows by the median of the asymmetric oracle's (F_t0 + F_t1) / 2: how much of the gap is the
  whole picture sitting off the linear midpoint (camera shake, acceleration), which no two-frame
  method can know.

`--multiframe` (a video has more than two frames): quads of the held-out clips (frames s - k, s,
s + k/2 as the truth, s + k, s + 2k; k = 2 and 4) scored with the chosen motion beside it corrected
for acceleration by a cubic through the four frames' positions (Lagrange through times -1, 0, 1, 2;
the outer motions are the flows frame 0 -> -1 and 1 -> 2 that a stream's previous and next pairs
already hold, from the same estimator), per pixel and as one global shift.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interpolate import DATA, fit, naive_warp, triplets  # noqa: E402  (bench/interpolate.py)

from vidgen_cli.interpolate.engine import FlowEngine, PairState  # noqa: E402
from vidgen_cli.vision.flow import DISFlow, backward_warp, to_gray  # noqa: E402
from vidgen_cli.vision.interpolation import resize_flow  # noqa: E402
from vidgen_cli.vision.metrics import psnr  # noqa: E402
from vidgen_cli.vision.sizes import fit_image  # noqa: E402


def bilateral_search(i0: np.ndarray, i1: np.ndarray, v: np.ndarray, stages=((2, 1.0), (0.5, 0.5)), box: int = 11,
                     penalty: float = 2.0) -> np.ndarray:
    """Per-pixel grid search of the symmetric motion around v (float32 H x W x 3 frames); each
    candidate's window cost (sum of |differences|, 0-255 per channel) pays `penalty` per pixel of offset."""
    for radius, step in stages:
        n = int(round(radius / step))
        best_cost, best = None, np.zeros_like(v)
        for dy in range(-n, n + 1):
            for dx in range(-n, n + 1):
                d = np.array([dx * step, dy * step], np.float32)
                cost = cv2.boxFilter(np.abs(backward_warp(i0, -(v + d)) - backward_warp(i1, v + d)).sum(-1), -1, (box, box))
                cost += penalty * float(np.hypot(*d))
                if best_cost is None:
                    best_cost, best[:] = cost, d
                else:
                    better = cost < best_cost
                    best_cost, best[better] = np.where(better, cost, best_cost), d
        v = v + best
    return v


def symmetric_lk(g0: np.ndarray, g1: np.ndarray, v: np.ndarray, steps: int = 3, sigma: float = 3.0, reg: float = 500.0) -> np.ndarray:
    """Gauss-Newton on sum_window (I1(x + v) - I0(x - v))^2 (float32 grey frames), steps clipped to 1 px."""
    for _ in range(steps):
        w0, w1 = backward_warp(g0, -v), backward_warp(g1, v)
        r = w1 - w0
        gx = (cv2.Sobel(w0, cv2.CV_32F, 1, 0) + cv2.Sobel(w1, cv2.CV_32F, 1, 0)) / 8
        gy = (cv2.Sobel(w0, cv2.CV_32F, 0, 1) + cv2.Sobel(w1, cv2.CV_32F, 0, 1)) / 8
        a11, a12, a22, b1, b2 = (cv2.GaussianBlur(x, (0, 0), sigma) for x in (gx * gx, gx * gy, gy * gy, gx * r, gy * r))
        a11, a22 = a11 + reg, a22 + reg
        det = a11 * a22 - a12 * a12
        v = v + np.clip(np.dstack([-(a22 * b1 - a12 * b2) / det, -(a11 * b2 - a12 * b1) / det]), -1, 1)
    return v


def _enlarge(grey: np.ndarray, side: int = 512) -> np.ndarray:
    h, w = grey.shape
    if max(h, w) >= side:
        return grey
    s = side / max(h, w)
    return cv2.resize(grey, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC)


def dis_towards(target: np.ndarray, state: PairState, ft0: np.ndarray, ft1: np.ndarray, dis: dict, preset: str) -> tuple:
    """DIS from `target` (an image at time t, work resolution) to each input, started from (ft0, ft1)."""
    h, w = ft0.shape[:2]
    grey = [_enlarge(to_gray(x)) for x in (target, state.small0, state.small1)]
    gh, gw = grey[0].shape
    if (preset, grey[0].shape) not in dis:
        dis[(preset, grey[0].shape)] = DISFlow(preset, 1, 5)
    est = dis[(preset, grey[0].shape)]
    f0 = est.refine(grey[0], grey[1], resize_flow(ft0, gw, gh))
    f1 = est.refine(grey[0], grey[2], resize_flow(ft1, gw, gh))
    return resize_flow(f0, w, h), resize_flow(f1, w, h)


def rows(engine: FlowEngine, state: PairState, middle: np.ndarray, dis: dict) -> tuple[dict, np.ndarray | float, dict]:
    """Intermediate flows (ft0, ft1) of every row for one pair at t = 0.5, the blend weight of
    frame 0, and the seconds each method added."""
    ft0, ft1, mask = engine.motion(state, 0.5)
    v = (ft1 - ft0) / 2
    i0, i1 = state.small0.astype(np.float32), state.small1.astype(np.float32)
    out, seconds = {"flow (chosen)": (ft0, ft1)}, {}

    def timed(label, make):
        started = time.perf_counter()
        out[label] = make()
        seconds[label] = time.perf_counter() - started

    def pair(half):  # a symmetric motion v as (F_t0, F_t1)
        return -half, half

    def symmetric(f0, f1):
        return pair((f1 - f0) / 2)

    g0, g1 = to_gray(state.small0).astype(np.float32), to_gray(state.small1).astype(np.float32)
    timed("bilateral search", lambda: pair(bilateral_search(i0, i1, v)))
    timed("symmetric Lucas-Kanade", lambda: pair(symmetric_lk(g0, g1, v)))
    m = mask[..., None] if isinstance(mask, np.ndarray) else mask
    first = np.clip(m * backward_warp(i0, ft0) + (1 - m) * backward_warp(i1, ft1) + 0.5, 0, 255).astype(np.uint8)
    timed("DIS re-estimated at t", lambda: symmetric(*dis_towards(first, state, ft0, ft1, dis, "fast")))
    truth = fit_image(middle, engine.work_side, minimum=8)
    o0, o1 = dis_towards(truth, state, ft0, ft1, dis, "medium")
    out["oracle, symmetric (true middle)"] = symmetric(o0, o1)
    out["oracle, asymmetric (true middle)"] = (o0, o1)
    shift = np.median(((o0 + o1) / 2).reshape(-1, 2), axis=0)  # where the true middle sits off the linear midpoint
    out["oracle, chosen motion + one global shift"] = (ft0 + shift, ft1 + shift)
    return out, mask, seconds


def cubic_offset(ft0: np.ndarray, ft1: np.ndarray, back: np.ndarray, ahead: np.ndarray, t: float) -> np.ndarray:
    """Where a cubic through a pixel's positions at times -1, 0, 1, 2 puts it at t, minus where the
    line through 0 and 1 does (H x W x 2, pixels): L_-1(t) e_-1 + L_2(t) e_2, with e the outer
    positions' departure from the line. back: flow 0 -> -1, ahead: flow 1 -> 2, both at the
    intermediate flows' size; subtracted from F_t0 and F_t1 it moves the picture onto the cubic."""
    step = ft1 - ft0  # the pixel's motion from frame 0 to 1
    e_back = backward_warp(back, ft0) + step
    e_ahead = backward_warp(ahead, ft1) - step
    return -t * (t - 1) * (t - 2) / 6 * e_back + (t + 1) * t * (t - 1) / 6 * e_ahead


def quads(stride: int, per_clip: int = 2) -> list:
    """(id, frame -1, frame 0, truth at 1/2, frame 1, frame 2) from the held-out last 20% of the training clips."""
    out = []
    for path in sorted((DATA / "video-train").iterdir()):
        capture, frames = cv2.VideoCapture(str(path)), []
        while (read := capture.read())[0]:
            frames.append(read[1])
        capture.release()
        if len(frames) < 20 * stride:
            continue
        for start in np.linspace(int(len(frames) * 0.8) + stride, len(frames) - 1 - 2 * stride, per_clip).astype(int):
            five = [fit(cv2.cvtColor(frames[i], cv2.COLOR_BGR2RGB), 1280)
                    for i in (start - stride, start, start + stride // 2, start + stride, start + 2 * stride)]
            if 1.0 < np.abs(five[1].astype(np.int16) - five[3]).mean() < 40:  # no motion, or a shot cut
                out.append((f"{path.stem}@{start}", *five))
    return out


GUARDS = {"cubic, guard ratio 0.5 floor 1": (0.5, 1.0, True), "cubic, guard ratio 1 floor 2": (1.0, 2.0, True),
          "cubic, guard ratio 2 floor 2": (2.0, 2.0, True), "cubic, guard ratio 1 floor 4": (1.0, 4.0, True),
          "cubic, guard ratio 4 floor 4": (4.0, 4.0, True), "cubic, consistency guard only": (1e6, 1e6, True),
          "cubic, size guard ratio 1 floor 2 only": (1.0, 2.0, False), "cubic, guard ratio 8 floor 8": (8.0, 8.0, True),
          "cubic, size guard ratio 4 floor 4 only": (4.0, 4.0, False)}


def multiframe(stride: int) -> dict:
    """The chosen motion beside it corrected through four frames (vidgen_cli.vision.multiframe),
    unguarded, with guard settings, and with one neighbour only (a quadratic through three frames)."""
    from vidgen_cli.vision.multiframe import Guard, Neighbour, path_offset

    engine, scores, naive = FlowEngine(), {"naive_warp": []}, DISFlow("medium")
    for _, before, first, middle, last, after in quads(stride):
        scores["naive_warp"].append(psnr(naive_warp(first, last, naive), middle))
        state = engine.prepare(first, last)
        ft0, ft1, mask = engine.motion(state, 0.5)
        small = [fit_image(x, engine.work_side, minimum=8) for x in (before, after)]
        previous = engine.estimator(small[0], state.small0)  # the previous pair: its f10 is 0 -> -1
        following = engine.estimator(state.small1, small[1])  # the next pair: its f01 is 1 -> 2
        back, ahead = Neighbour(previous.f10, previous.c1), Neighbour(following.f01, following.c0)
        shift = cubic_offset(ft0, ft1, back.flow, ahead.flow, 0.5)
        overall = np.median(shift.reshape(-1, 2), axis=0)
        offsets = {"flow (chosen)": 0.0, "cubic, per pixel": shift, "cubic, one global shift": overall,
                   "quadratic, previous frame only": path_offset(ft0, ft1, 0.5, back, None, None),
                   "quadratic, next frame only": path_offset(ft0, ft1, 0.5, None, ahead, None)}
        for label, (ratio, floor, use) in GUARDS.items():
            offsets[label] = path_offset(ft0, ft1, 0.5, back, ahead, Guard(ratio, floor, use))
        chosen = Guard()
        offsets["quadratic, previous frame only, default guard"] = path_offset(ft0, ft1, 0.5, back, None, chosen)
        offsets["quadratic, next frame only, default guard"] = path_offset(ft0, ft1, 0.5, None, ahead, chosen)
        for label, offset in offsets.items():
            frame = engine._render(state, ft0 - offset, ft1 - offset, mask, interpolation=cv2.INTER_CUBIC)
            scores.setdefault(label, []).append(psnr(frame, middle))
    return summary(scores, {})


def summary(scores: dict, seconds: dict) -> dict:
    """Mean PSNR per row, the difference to the chosen motion, and triplets > 0.01 dB better / worse."""
    result = {"sequences": len(scores["flow (chosen)"]), "psnr": {k: round(float(np.mean(v)), 3) for k, v in scores.items()},
              "extra_seconds": {k: round(v, 1) for k, v in seconds.items()}}
    base = result["psnr"]["flow (chosen)"]
    result["vs_flow_db"] = {k: round(v - base, 3) for k, v in result["psnr"].items()}
    chosen = np.array(scores["flow (chosen)"])
    result["wins_losses_vs_flow"] = {k: [int((np.array(v) > chosen + 0.01).sum()), int((np.array(v) < chosen - 0.01).sum())]
                                     for k, v in scores.items() if k != "flow (chosen)"}
    return result


def measure(dataset: str, every: int) -> dict:
    data = triplets(dataset, None, every)
    engine, dis, naive = FlowEngine(), {}, DISFlow("medium")
    scores: dict[str, list] = {"naive_warp": []}
    seconds: dict[str, float] = {}
    for _, first, middle, last in data:
        scores["naive_warp"].append(psnr(naive_warp(first, last, naive), middle))
        state = engine.prepare(first, last)
        flows, mask, spent = rows(engine, state, middle, dis)
        for label, (ft0, ft1) in flows.items():
            frame = engine._render(state, ft0, ft1, mask, interpolation=cv2.INTER_CUBIC)
            scores.setdefault(label, []).append(psnr(frame, middle))
        for label, s in spent.items():
            seconds[label] = seconds.get(label, 0.0) + s
    result = summary(scores, seconds)
    print(dataset, json.dumps(result), file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--datasets", default="heldout,heldout-wide")
    parser.add_argument("--every", type=int, default=1, help="use every Nth training clip (quick runs)")
    parser.add_argument("--multiframe", action="store_true", help="also the cubic (4-frame) correction on held-out quads")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    report = {"command": " ".join(["python", *sys.argv])}
    for dataset in filter(None, args.datasets.split(",")):
        report[dataset] = measure(dataset, args.every)
    if args.multiframe:
        for stride in (2, 4):
            report[f"multiframe_stride{stride}"] = multiframe(stride)
            print(f"multiframe_stride{stride}", json.dumps(report[f"multiframe_stride{stride}"]), file=sys.stderr, flush=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
