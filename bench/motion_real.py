"""`vidgen motion` on real footage, for looking at (no ground truth), through the CLI.

    python bench/motion_real.py --out bench/results/motion_real.json --frames DIR

- stabilize crystal_handheld.webm (handheld, VP8, 720x480) with ours, ffmpeg deshake and vid.stab;
  residual jitter of each as one tracker sees it (the same measure as bench/motion.py), frame counts
  and durations; a strip of frames of each into DIR;
- replay crystal_handheld's captured motion onto a photo; a strip into DIR;
- propagate a painted frame 0 of dog_walk.mp4 (a textured ellipse on the pavement, a patch on the
  walker's shirt) through the clip; a strip into DIR.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motion import DATA, frames_of, run_ffmpeg, vidgen  # noqa: E402
from motion_truth import read_rgb  # noqa: E402

from vidgen_cli.io.decode import open_input  # noqa: E402
from vidgen_cli.io.probe import probe  # noqa: E402
from vidgen_cli.motion.capture import track  # noqa: E402
from vidgen_cli.vision.homography import TrackerSettings, jitter_rms  # noqa: E402


def strip(path: Path, indices: list[int], out: Path, height: int = 180) -> None:
    picked = {}
    with open_input(path) as reader:
        for k, frame in enumerate(reader):
            if k in indices:
                picked[k] = cv2.resize(frame, (round(frame.shape[1] * height / frame.shape[0]), height), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(out), cv2.cvtColor(np.concatenate([picked[k] for k in indices if k in picked], 1), cv2.COLOR_RGB2BGR))


def painted_dog_key(frame: np.ndarray, texture: np.ndarray) -> np.ndarray:
    """Frame 0 of dog_walk (1280x720) painted over: a textured ellipse on the pavement right of the
    dog and a patch on the walker's shirt."""
    key = frame.copy()
    paint = cv2.resize(texture, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA)
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.ellipse(mask, (900, 500), (110, 45), 0, 0, 360, 255, -1)  # pavement
    cv2.ellipse(mask, (335, 300), (28, 22), -20, 0, 360, 255, -1)  # shirt
    key[mask > 0] = paint[mask > 0]
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--frames", required=True, help="folder for the outputs and frame strips (PNG)")
    parser.add_argument("--only", choices=["stabilize", "replay", "propagate"], action="append", help="run only these parts")
    args = parser.parse_args()
    parts = set(args.only or ["stabilize", "replay", "propagate"])
    frames_dir = Path(args.frames)
    frames_dir.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    crystal = DATA / "video" / "crystal_handheld.webm"
    dog = DATA / "video" / "dog_walk.mp4"
    work = frames_dir
    if "stabilize" in parts:
        info = probe(crystal)
        sigma = 0.5 * float(info.fps)
        vidgen("motion", "stabilize", str(crystal), "-o", str(work / "ours.mp4"))
        vidgen("motion", "stabilize", str(crystal), "--smoothing", "0.5", "-o", str(work / "ours_smoothing_0.5.mp4"))
        run_ffmpeg("-i", str(crystal), "-vf", f"vidstabdetect=result={work / 't.trf'}", "-f", "null", "-")
        run_ffmpeg("-i", str(crystal), "-vf", f"vidstabtransform=input={work / 't.trf'}", "-c:v", "libx264", "-crf", "16", str(work / "vidstab.mp4"))
        run_ffmpeg("-i", str(crystal), "-vf", "deshake", "-c:v", "libx264", "-crf", "16", str(work / "deshake.mp4"))
        stab = {}
        names = ["ours", "ours_smoothing_0.5", "vidstab", "deshake"]
        for name, path in [("input", crystal)] + [(n, work / f"{n}.mp4") for n in names]:
            measured = track(frames_of(path), TrackerSettings(margin=0.15))
            out = probe(path)
            stab[name] = {"jitter_px": round(jitter_rms(measured, info.width, info.height, sigma, box=0.25), 4),
                          "frames": out.frame_count, "duration": round(out.duration, 4)}
            strip(path, [0, 60, 120, 180, 240, 300], frames_dir / f"crystal_{name}.png")
        for name in names:
            stab[name]["jitter_ratio"] = round(stab[name]["jitter_px"] / stab["input"]["jitter_px"], 4)
        results["stabilize_crystal"] = stab

    if "replay" in parts:
        vidgen("motion", "capture", str(crystal), "-o", str(work / "crystal.json"))
        vidgen("motion", "replay", str(DATA / "content" / "flowers.jpg"), "--motion", str(work / "crystal.json"), "-o", str(work / "replay.mp4"))
        strip(work / "replay.mp4", [0, 60, 120, 180, 240, 300, 358], frames_dir / "replay_crystal_on_flowers.png")
        results["replay_crystal_on_flowers"] = {"frames": probe(work / "replay.mp4").frame_count}

    if "propagate" in parts:
        first = next(iter(open_input(dog)))
        key = painted_dog_key(first, read_rgb(DATA / "style" / "vangogh_starry_night.jpg"))
        cv2.imwrite(str(work / "dog_key.png"), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
        vidgen("motion", "propagate", str(dog), "--key", str(work / "dog_key.png"), "-o", str(work / "dog.mp4"))
        strip(work / "dog.mp4", [0, 30, 60, 120, 180, 240, 288], frames_dir / "propagate_dog.png")
        results["propagate_dog"] = {"frames": probe(work / "dog.mp4").frame_count, "source_frames": probe(dog).frame_count}
        for k in (60, 120, 200):
            strip(work / "dog.mp4", [k], frames_dir / f"propagate_dog_{k}.png", height=720)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
