"""Tune the flow canvas: replay cached per-frame stylizations through it with variant settings.

    PYTHONPATH=. python bench/stylize_canvas.py --out bench/out/stylize_canvas.json \
        --folder video-train --jobs pool_cleaning_handheld.mp4:vangogh_wheat_field_cypresses.jpg

The network's per-frame stylization does not depend on the canvas, so it is computed once per clip
(cached under --cache as float16) and every variant of CanvasSettings replays the same frames through
the real StylizeStream (cut detection, canvas, rounding). Graded as bench/stylize.py grades: warping
error (Farneback flow on the input, forward-backward mask) and sharpness, as ratios to per frame
("off") in the same run. Also splits each variant's warping error by where the graded pixel came
from: mostly the current stylization ("fresh", the canvas's uncovered share > 0.5) or mostly keys.
Tune on ../shared/data/video-train only; bench/stylize.py measures the held-out clips.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DATA = ROOT.parent / "shared" / "data"

TUNE_JOBS = [  # video-train clips (handheld pan, people, traffic, pan) with training styles
    ("pool_cleaning_handheld.mp4", "vangogh_wheat_field_cypresses.jpg"),
    ("pedestrians_walkway.mp4", "fns_candy.jpg"),
    ("cars_suburban_street.mp4", "picabia_udnie.jpg"),
    ("meadow_pan.mp4", "turner_shipwreck_minotaur.jpg"),
]


class _Cached:
    """Stands in for Stylizer inside StylizeStream: returns the cached stylization of each frame."""

    def __init__(self, stylized: list[np.ndarray], settings) -> None:
        self._frames = iter(stylized)
        self.canvas_settings, self.placement, self.consistency = settings, None, "flow"
        self.style_vector, self.max_side, self.strength, self.preserve_color = None, None, 1.0, False
        from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD

        self.cut_threshold = DEFAULT_THRESHOLD

    def stylize_array(self, frame: np.ndarray, vector) -> np.ndarray:
        return next(self._frames).astype(np.float32)


def cached_stylizations(args, clip: str, style, frames: list[np.ndarray]) -> list[np.ndarray]:
    """style: a file name under ../shared/data/style, or (name, RGB array)."""
    name, source = (Path(style).stem, DATA / "style" / style) if isinstance(style, str) else style
    path = args.cache / f"{Path(clip).stem}_{name}_{len(frames)}_{frames[0].shape[1]}.npy"
    if path.exists():
        return list(np.load(path))
    from vidgen_cli.stylize.processor import Stylizer

    stylizer = Stylizer([source], consistency="off", max_side=None)
    out = [stylizer.stylize_array(f, stylizer.style_vector) for f in frames]
    args.cache.mkdir(parents=True, exist_ok=True)
    np.save(path, np.stack(out).astype(np.float16))
    return [o.astype(np.float16) for o in out]


def replay(stylized: list[np.ndarray], frames: list[np.ndarray], settings) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(outputs uint8, the fresh share per frame H x W float32) through the real StylizeStream."""
    from vidgen_cli.stylize.processor import StylizeStream

    stream = StylizeStream(_Cached(stylized, settings))
    replay.trust = []
    outs, fresh = [], []
    for frame in frames:
        outs.extend(stream.push(frame))
        rest = getattr(stream.canvas, "last_rest", None)
        fresh.append(np.ones(frame.shape[:2], np.float32) if rest is None else rest[..., 0].copy())
        trust = getattr(stream.canvas, "last_trust", None)
        if trust is not None and rest is not None:
            replay.trust.append(float((trust * rest[..., 0]).sum() / max(1e-6, rest.sum())))
    replay.keys_made = (getattr(stream.canvas, "keys_made", 0), getattr(stream.canvas, "calm_keys", 0))
    return outs, fresh


def graded(outputs, flows, fresh) -> dict:
    """Warping error (as vidgen_cli.vision.metrics), and its split by fresh vs keyed pixels."""
    from vidgen_cli.vision.flow import backward_warp

    errs, fresh_sum, key_sum, fresh_n, key_n, still_sum = [], 0.0, 0.0, 0, 0, 0.0
    for (back, mask), prev, cur, share in zip(flows, outputs[:-1], outputs[1:], fresh[1:]):
        diff = ((cur.astype(np.float32) - backward_warp(prev.astype(np.float32), back)) ** 2).mean(-1)
        if not mask.any():
            continue
        errs.append(float(diff[mask].mean()))
        is_fresh = (share > 0.5) & mask
        fresh_sum += float(diff[is_fresh].sum()) / mask.sum()
        key_sum += float(diff[mask & ~is_fresh].sum()) / mask.sum()
        still = mask & ~is_fresh & ((back ** 2).sum(-1) < 0.3 ** 2)  # keyed, where the scene holds still
        still_sum += float(diff[still].sum()) / mask.sum()
        fresh_n += int(is_fresh.sum())
        key_n += int((mask & ~is_fresh).sum())
    n = max(1, len(errs))
    return {"warping_error": float(np.mean(errs)), "from_fresh": fresh_sum / n, "from_keys": key_sum / n, "from_still_keys": still_sum / n,
            "fresh_fraction": fresh_n / max(1, fresh_n + key_n)}


def ghosts(args, variants: dict) -> list[dict]:
    """Ghost residue (tests/ghosts.py) of each variant on the test's synthetic clip, per seed."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ghosts import ghost_residue, painting, passing_object
    from vidgen_cli.stylize.canvas import CanvasSettings

    rows = []
    for seed in args.ghost_seeds:
        with_obj, without, swept, size = passing_object(180, 320, frames=36, seed=seed)
        style = ("ghost_painting", painting())
        a_st = cached_stylizations(args, f"ghost_with_{seed}", style, with_obj)
        b_st = cached_stylizations(args, f"ghost_without_{seed}", style, without)
        rounded = lambda xs: [np.clip(x.astype(np.float32) + 0.5, 0, 255).astype(np.uint8) for x in xs]  # noqa: E731
        off = ghost_residue(rounded(a_st), rounded(b_st), swept, size)
        row = {"seed": seed, "off": [round(v, 2) for v in off],
               "limits": [round(max(2 * off[0], 3.0), 2), round(max(2 * off[1], 6.0), 2)]}
        for name, changes in variants.items():
            settings = dataclasses.replace(CanvasSettings(), **changes)
            a, _ = replay(a_st, with_obj, settings)
            b, _ = replay(b_st, without, settings)
            row[name] = [round(v, 2) for v in ghost_residue(a, b, swept, size)]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folder", default="video-train")
    parser.add_argument("--jobs", default=None, help="clip:style,... (default: four video-train pairs)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=640)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidgen_canvas_cache"),
                        help="per-frame stylizations, by clip, style, length and width: empty it after changing the network")
    parser.add_argument("--variants", default="{}", help='JSON: {"name": {CanvasSettings field: value}}; "default" is always run')
    parser.add_argument("--frames-png", type=int, default=-1, help="write this output frame of each variant as PNG")
    parser.add_argument("--ghost-seeds", type=lambda t: [int(v) for v in t.split(",") if v], default=[0, 1, 2, 3, 4],
                        help="seeds of the ghost test's synthetic clip (empty: skip)")
    parser.add_argument("--no-clips", action="store_true", help="only the ghost seeds")
    args = parser.parse_args()
    import torch

    from stylize import read_frames
    from vidgen_cli.stylize.canvas import CanvasSettings
    from vidgen_cli.vision import metrics

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    jobs = [tuple(j.split(":")) for j in args.jobs.split(",")] if args.jobs else TUNE_JOBS
    variants = {"default": {}, **json.loads(args.variants)}
    result: dict = {"folder": args.folder, "seconds": args.seconds, "size": args.size, "variants": variants, "clips": []}
    result["ghosts"] = ghosts(args, variants)
    for clip, style in [] if args.no_clips else jobs:
        frames, _ = read_frames(DATA / args.folder / clip, args.seconds, args.size)
        flows = metrics.pair_flows(frames)
        stylized = cached_stylizations(args, clip, style, frames)
        off = [np.clip(s.astype(np.float32) + 0.5, 0, 255).astype(np.uint8) for s in stylized]
        off_error, off_sharp = metrics.warping_error(off, flows), metrics.sharpness(off)
        entry: dict = {"clip": clip, "style": style, "frames": len(frames),
                       "input_vs_off": round(metrics.warping_error(frames, flows) / off_error, 3), "variants": {}}
        for name, changes in variants.items():
            settings = dataclasses.replace(CanvasSettings(), **changes)
            start = time.perf_counter()
            outs, fresh = replay(stylized, frames, settings)
            seconds = time.perf_counter() - start
            g = graded(outs, flows, fresh)
            entry["variants"][name] = {
                "warping_error_vs_off": round(g["warping_error"] / off_error, 3),
                "from_fresh_vs_off": round(g["from_fresh"] / off_error, 3),
                "from_keys_vs_off": round(g["from_keys"] / off_error, 3),
                "from_still_keys_vs_off": round(g["from_still_keys"] / off_error, 3),
                "fresh_fraction": round(g["fresh_fraction"], 3),
                "sharpness_vs_off": round(metrics.sharpness(outs) / off_sharp, 3),
                "canvas_ms_per_frame": round(1000 * seconds / len(frames), 1),
                "keys_made": replay.keys_made,
                "fresh_trusted": round(float(np.mean(replay.trust)), 3) if replay.trust else None,
            }
            if args.frames_png >= 0:
                stem = str(args.out.with_suffix(""))
                png = f"{stem}_{Path(clip).stem}_{name}_{args.frames_png}.png"
                cv2.imwrite(png, cv2.cvtColor(outs[min(args.frames_png, len(outs) - 1)], cv2.COLOR_RGB2BGR))
        result["clips"].append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)
    result["mean"] = {} if args.no_clips else {
        name: {k: round(float(np.mean([c["variants"][name][k] for c in result["clips"]])), 3)
               for k in ("warping_error_vs_off", "sharpness_vs_off", "from_fresh_vs_off", "from_keys_vs_off")}
        for name in variants
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["mean"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
