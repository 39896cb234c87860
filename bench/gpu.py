"""Benchmark the models on an accelerator: speed at 1080p and agreement with the CPU, in one command.

    PYTHONPATH=. python bench/gpu.py --device cuda --out gpu.json        # about 3-6 minutes on a GPU

For the device given (default: cuda when visible, else cpu), in float32 and, on CUDA, float16
(`--half`), through the same processors the CLI runs (frames in memory, so decode and encode are
left out of the speeds):
- speed: output frames per second of 2x interpolation (`--model fusion`, and the default flow model)
  and of stylization (teacher and student, `--consistency off` and the default flow canvas) at
  1920x1080, with the CPU's float32 fps for the same work in the same process as the reference
  (`ratio` = device fps / CPU fps). Targets from issue #14: interpolation >= 100 fps, stylize >= 60
  fps on an H200. On CUDA, motion is estimated on the device (vidgen_cli.optical_flow: the torch DIS
  port); the CPU reference runs OpenCV's DIS, as a CPU user gets.
- motion: the optical flow alone, as 2x interpolation estimates it at 1080p (both directions at the
  640 px work size, medium preset, finest scale 1) and as the stylize canvas does (both directions
  at the processing size, 1080p here, fast preset): pairs per second of the torch estimator on the
  device, of OpenCV's DIS on the CPU (the reference) and of the torch estimator on the CPU; the
  device flow against the CPU torch flow and against DIS (mean end-point error, px), and the
  interpolated 1080p frame of the device path against the CPU one (PSNR, dB).
  `--flow torch` forces the torch estimator on the device run (a CPU smoke test of that path).
- agreement: every model (stylize teacher and student, interp-fusion, predict-video,
  predict-digits) on the same inputs on the CPU in float32 and on the device (each with the flow
  estimator its placement picks: on CUDA the torch port against DIS on the CPU): mean and max
  absolute difference in grey levels (0-255) and PSNR of the device output against the CPU one.
Inputs are frames of ../shared/data/video (bbb_720p_30s.webm from frame 240, upscaled to 1080p);
synthetic ones when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


SIZE = (1920, 1080)


def frames_1080p(count: int) -> list[np.ndarray]:
    """`count` RGB frames at SIZE (1080p unless --size says otherwise)."""
    clip = DATA / "video" / "bbb_720p_30s.webm"
    frames: list[np.ndarray] = []
    if clip.is_file():
        capture = cv2.VideoCapture(str(clip))
        capture.set(cv2.CAP_PROP_POS_FRAMES, 240)  # past the opening title, into motion
        while len(frames) < count:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), SIZE, interpolation=cv2.INTER_CUBIC))
    rng = np.random.default_rng(0)
    w, h = SIZE
    base = cv2.GaussianBlur(rng.integers(0, 255, (h + count, w + 2 * count, 3), dtype=np.uint8), (0, 0), 4)
    while len(frames) < count:  # a panning texture
        t = len(frames)
        frames.append(np.ascontiguousarray(base[t : t + h, 2 * t : 2 * t + w]))
    return frames


def synchronize(placement) -> None:
    import torch

    if placement.device.type == "cuda":
        torch.cuda.synchronize(placement.device)


def fps(make, frames: list[np.ndarray], placement, warmup: int = 2) -> float:
    """Output frames per second of a fresh processor from make() over `frames` (after a warm-up)."""
    processor = make()
    for frame in frames[:warmup]:
        processor.push(frame)
    synchronize(placement)
    processor = make()
    started, produced = time.perf_counter(), 0
    for frame in frames:
        produced += len(processor.push(frame))
    produced += len(processor.flush())
    synchronize(placement)
    return produced / (time.perf_counter() - started)


def speeds(placement, cpu, frames: list[np.ndarray], cpu_frames: int, flow: str = "auto") -> dict:
    """Output fps at SIZE on the device and, for the same work on fewer frames, on the CPU."""
    from vidgen_cli.interpolate.processor import Interpolator
    from vidgen_cli.stylize.processor import Stylizer

    style = frames_1080p(1)[0][::4, ::4]
    makers = {
        "interpolate_2x_fusion": lambda p: (lambda interp=Interpolator("fusion", p): interp.processor(Fraction(30), 2)),
        "interpolate_2x_flow": lambda p: (lambda interp=Interpolator("flow", p): interp.processor(Fraction(30), 2)),
        "stylize_teacher_off": lambda p: Stylizer([style], placement=p, max_side=None, consistency="off").processor,
        "stylize_teacher_flow": lambda p: Stylizer([style], placement=p, max_side=None).processor,
        "stylize_student_off": lambda p: Stylizer([style], model="student", placement=p, max_side=None, consistency="off").processor,
    }
    out = {}
    for name, maker in makers.items():
        with flow_choice(flow):  # the device as a user gets it (auto), or the torch estimator forced
            device_fps = fps(maker(placement), frames, placement)
        with flow_choice("dis"):  # what a CPU user runs
            cpu_fps = fps(maker(cpu), frames[:cpu_frames], cpu, warmup=1)
        out[name] = {"device_fps": round(device_fps, 2), "cpu_fps": round(cpu_fps, 3), "ratio": round(device_fps / cpu_fps, 2)}
        print(name, out[name], file=sys.stderr)
    return out


@contextmanager
def flow_choice(kind: str):
    """$VIDGEN_FLOW set to `kind` inside the block (auto: as the placement picks)."""
    from vidgen_cli.optical_flow import ENV

    before = os.environ.get(ENV)
    os.environ[ENV] = kind
    try:
        yield
    finally:
        os.environ.pop(ENV) if before is None else os.environ.__setitem__(ENV, before)


def _pairs_per_second(flow, pairs: list[tuple[np.ndarray, np.ndarray]], placement) -> float:
    """Bidirectional flows per second over `pairs` (after one warm-up pair)."""
    both = getattr(flow, "both", None) or (lambda a, b: (flow(a, b), flow(b, a)))
    both(*pairs[0])
    synchronize(placement)
    started = time.perf_counter()
    for a, b in pairs:
        both(a, b)
    synchronize(placement)
    return len(pairs) / (time.perf_counter() - started)


def _epe(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.hypot(*(a - b).transpose(2, 0, 1)).mean()), 4)


def motion(placement, cpu, frames: list[np.ndarray], cpu_pairs: int) -> dict:
    """Speed and agreement of the motion estimators where interpolation and the canvas use them."""
    from vidgen_cli.interpolate.engine import WORK_SIDE, FlowEngine
    from vidgen_cli.optical_flow import DeviceFlow
    from vidgen_cli.vision.flow import DISFlow, to_gray
    from vidgen_cli.vision.interpolation import FLOW_MODEL_SETTINGS, FlowSettings
    from vidgen_cli.vision.sizes import fit_image

    s = FlowSettings(**FLOW_MODEL_SETTINGS)
    uses = {"interpolate_2x": (WORK_SIDE, s.preset, s.finest_scale, s.refine_iters), "stylize_canvas": (None, "fast", None, None)}
    out = {}
    for name, (side, preset, finest, refine) in uses.items():
        grey = [to_gray(fit_image(f, side, minimum=8)) if side else to_gray(f) for f in frames]
        pairs = list(zip(grey[:-1], grey[1:]))
        device_flow, cpu_torch, dis = DeviceFlow(placement, preset, finest, refine), DeviceFlow(cpu, preset, finest, refine), DISFlow(preset, finest, refine)
        a, b = pairs[0]
        on_device, on_cpu, by_dis = device_flow(a, b), cpu_torch(a, b), dis(a, b)
        device_pps = _pairs_per_second(device_flow, pairs, placement)
        dis_pps = _pairs_per_second(dis, pairs[:cpu_pairs + 1], cpu)
        out[name] = {"size": list(grey[0].shape[::-1]), "torch_device_pairs_per_s": round(device_pps, 2),
                     "dis_cpu_pairs_per_s": round(dis_pps, 2), "ratio": round(device_pps / dis_pps, 2),
                     "torch_cpu_pairs_per_s": round(_pairs_per_second(cpu_torch, pairs[:2], cpu), 2),
                     "epe_device_vs_cpu_torch": _epe(on_device, on_cpu), "epe_device_vs_dis": _epe(on_device, by_dis)}
        print("motion", name, out[name], file=sys.stderr)
    with flow_choice("torch"):
        device_engine, cpu_torch_engine = FlowEngine(placement=placement), FlowEngine(placement=cpu)
    with flow_choice("dis"):
        dis_engine = FlowEngine(placement=cpu)
    made = {k: e.at(e.prepare(frames[0], frames[1]), 0.5) for k, e in
            (("device", device_engine), ("cpu_torch", cpu_torch_engine), ("cpu_dis", dis_engine))}
    out["interpolated_frame"] = {"device_vs_cpu_torch": _difference(made["device"], made["cpu_torch"]),
                                 "device_vs_cpu_dis": _difference(made["device"], made["cpu_dis"])}
    return out


def _difference(a: np.ndarray, b: np.ndarray) -> dict:
    from vidgen_cli.vision.metrics import psnr

    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return {"mean": round(float(diff.mean()), 4), "max": round(float(diff.max()), 2), "psnr": round(float(psnr(a, b)), 2)}


def agreement(placement, cpu, frames: list[np.ndarray]) -> dict:
    """Each model's output on the device against the CPU's float32 output, at 640x360."""
    import torch

    from vidgen_cli import weights
    from vidgen_cli.interpolate.processor import interpolate_pair, make_engine
    from vidgen_cli.predict import moving_digits
    from vidgen_cli.predict.processor import Predictor
    from vidgen_cli.stylize.processor import Stylizer

    small = [cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in frames[:4]]
    style = small[0][::2, ::2]
    out = {}
    for model in ("teacher", "student"):
        runs = [Stylizer([style], model=model, placement=p, max_side=None, consistency="off") for p in (cpu, placement)]
        a, b = (np.clip(s.stylize_array(small[1], s.style_vector) + 0.5, 0, 255).astype(np.uint8) for s in runs)
        out[f"stylize_{model}"] = _difference(b, a)
    a, b = (interpolate_pair(small[0], small[2], 0.5, model=make_engine("fusion", p)) for p in (cpu, placement))
    out["interp_fusion"] = _difference(b, a)
    a, b = (next(iter(Predictor("learned", p).predict(small[:3], 1))) for p in (cpu, placement))
    out["predict_video"] = _difference(b, a)
    inputs, _ = moving_digits.test_split(4)
    digits = []
    for p in (cpu, placement):
        net = weights.load_model("predict-digits", p)
        with torch.inference_mode():
            y = net(torch.from_numpy(inputs).to(p.device, p.dtype)).float().clamp(0, 1).cpu().numpy()
        digits.append((y * 255 + 0.5).astype(np.uint8))
    out["predict_digits"] = _difference(digits[1], digits[0])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=60, help="1080p frames per device speed run")
    parser.add_argument("--cpu-frames", type=int, default=4, help="1080p frames per CPU reference run")
    parser.add_argument("--size", default="1920x1080", help="frame size for the speed runs (a smaller one for a smoke test)")
    parser.add_argument("--flow", default="auto", choices=("auto", "dis", "torch"),
                        help="motion estimator of the device runs (auto: torch on CUDA, DIS on the CPU)")
    args = parser.parse_args()
    global SIZE
    SIZE = tuple(int(v) for v in args.size.split("x"))
    import torch

    from vidgen_cli.device import choose

    started = time.perf_counter()
    cpu = choose("cpu")
    precisions = [choose(args.device)]
    if precisions[0].is_cuda:
        precisions.append(choose(args.device, half=True))
    frames = frames_1080p(args.frames)
    result = {"command": " ".join(sys.argv), "machine": platform.machine(), "torch": torch.__version__, "size": args.size,
              "device": str(precisions[0].device), "cpu_threads": torch.get_num_threads(),
              "gpu": torch.cuda.get_device_name(precisions[0].device) if precisions[0].is_cuda else None, "runs": {}}
    for placement in precisions:
        name = str(placement.dtype).replace("torch.", "")
        result["runs"][name] = {"agreement_with_cpu_float32": agreement(placement, cpu, frames),
                                "speed_1080p": speeds(placement, cpu, frames, args.cpu_frames, args.flow)}
    result["motion"] = motion(precisions[0], cpu, frames, args.cpu_frames)
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
