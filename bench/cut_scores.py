"""Distribution of the shot-cut score (vision/scenes.py) for cuts and for motion, on training clips.

Decodes every clip in ../shared/data/video-train through the CLI's reader (io/decode.FFmpegReader)
once, keeps its thumbnails (cached in --cache), and scores:
- motion: every consecutive pair of every clip, and pairs `k` frames apart with k = round(fps / 5)
  (the clip as if it were shot at about 5 fps: fast motion at a low frame rate);
- cuts: a frame of one clip against a frame of another (synthesized cuts, 4 per ordered pair of
  clips, at 20/40/60/80% of their length). (airplane_field_cuts.mp4, listed as having cuts, has
  no hard cut: its sky -> field change is a fast tilt over frames 80-90 and it ends in a fade, so
  its pairs count as motion; the evaluation clips' real cuts are checked with bench/cuts.py.)

Scores each pair twice in one process: `plain` (scenes.SEARCH_RADIUS = 0: the mean absolute
difference without a motion search, the score before the shift search) and `shift_search` (the
shipped SEARCH_RADIUS). Cuts between the four ASL clips (one studio, one framing: jump cuts
that neither score sees) are counted apart. Also times thumbnail + score per 1280x720 frame.

    python bench/cut_scores.py --out bench/results/cut_scores.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.io.decode import FFmpegReader
from vidgen_cli.io.probe import probe
from vidgen_cli.vision import scenes
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD, thumb_score, thumbnail

PERCENTILES = (0, 1, 5, 50, 95, 99, 99.9, 100)


def thumbnails(clip: Path, cache: Path) -> tuple[np.ndarray, float]:
    path = cache / (clip.name + ".npz")
    if path.exists():
        data = np.load(path)
        return data["thumbs"], float(data["fps"])
    info = probe(str(clip))
    thumbs = np.stack([thumbnail(frame) for frame in FFmpegReader(info)])
    fps = float(info.fps) if info.fps else 25.0
    np.savez(path, thumbs=thumbs, fps=fps)
    return thumbs, fps


def summary(scores: list[float]) -> dict:
    array = np.asarray(scores)
    return {"n": int(array.size), "above_threshold": int((array > DEFAULT_THRESHOLD).sum()),
            **{f"p{p:g}": round(float(np.percentile(array, p)), 4) for p in PERCENTILES}}


def worst_per_clip(worst: list[tuple[float, str, int, int]], count: int = 12) -> list:
    """The highest-scoring motion pair of each clip, the `count` highest of those."""
    best: dict[str, tuple[float, str, int, int]] = {}
    for item in worst:
        if item[0] > best.get(item[1], (-1.0,))[0]:
            best[item[1]] = item
    return [[round(s, 4), name, i, j] for s, name, i, j in sorted(best.values(), reverse=True)[:count]]


def distribution(clips: dict[str, tuple[np.ndarray, float]]) -> dict:
    """Score summaries of the motion pairs and synthesized cuts (see the module doc)."""
    motion, motion_5fps, cuts, jump_cuts, worst = [], [], [], [], []
    for name, (thumbs, fps) in clips.items():
        stride = max(1, round(fps / 5))
        for k, group in ((1, motion), (stride, motion_5fps)):
            for i in range(k, len(thumbs)):
                score = thumb_score(thumbs[i - k], thumbs[i])
                group.append(score)
                if k == stride:
                    worst.append((score, name, i - k, i))
    for a, (ta, _) in clips.items():
        for b, (tb, _) in clips.items():
            if a != b:
                group = jump_cuts if a.startswith("asl_") and b.startswith("asl_") else cuts
                group += [thumb_score(ta[int(q * (len(ta) - 1))], tb[int(q * (len(tb) - 1))]) for q in (0.2, 0.4, 0.6, 0.8)]
    dog = clips["dog_snow_play_5fps.mp4"][0]
    return {"motion": summary(motion), "motion_5fps": summary(motion_5fps), "synthesized_cuts": summary(cuts),
            "asl_jump_cuts": summary(jump_cuts),
            "motion_5fps_above_threshold_per_clip": above_per_clip(worst),
            "worst_motion_5fps": worst_per_clip(worst), "dog_snow_play_5fps_37_39": round(thumb_score(dog[37], dog[39]), 4)}


def above_per_clip(worst: list[tuple[float, str, int, int]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for score, name, _, _ in worst:
        if score > DEFAULT_THRESHOLD:
            counts[name] = counts.get(name, 0) + 1
    return counts


def frame_cost(thumbs: np.ndarray, repeats: int = 200) -> float:
    """Milliseconds of thumbnail + score per 1280x720 RGB frame (one core, as a command spends it)."""
    frames = [np.ascontiguousarray(cv2.resize(np.dstack([t] * 3), (1280, 720), interpolation=cv2.INTER_LINEAR)) for t in thumbs[:2]]
    previous = thumbnail(frames[0])
    start = time.perf_counter()
    for k in range(repeats):
        current = thumbnail(frames[(k + 1) % 2])
        thumb_score(previous, current)
        previous = current
    return round(1000 * (time.perf_counter() - start) / repeats, 4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="../shared/data/video-train")
    parser.add_argument("--cache", default="/tmp/cut_thumbs")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    clips = {}
    for clip in sorted(Path(args.data).iterdir()):
        clips[clip.name] = thumbnails(clip, cache)
    report = {"threshold": DEFAULT_THRESHOLD, "search_radius": scenes.SEARCH_RADIUS}
    shipped = scenes.SEARCH_RADIUS
    for name, radius in (("plain", 0), ("shift_search", shipped)):
        scenes.SEARCH_RADIUS = radius
        report[name] = distribution(clips)
        report[name]["ms_per_720p_frame"] = frame_cost(clips["dog_snow_play_5fps.mp4"][0])
    scenes.SEARCH_RADIUS = shipped
    report["shift_search_over_plain_time"] = round(report["shift_search"]["ms_per_720p_frame"]
                                                   / report["plain"]["ms_per_720p_frame"], 3)
    print(json.dumps(report, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
