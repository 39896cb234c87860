"""Benchmark `vidgen motion` against a known camera path (bench/motion_truth.py), through the CLI.

    python bench/motion.py --out bench/results/motion.json [--photo tubingen.jpg] [--replay-photo sailboat.jpg]

Figures (640x360, 3 s at 25 fps, a real photo seen by a virtual camera):
- capture: RMS error (px) of the captured homographies at the frame corners, smooth and shaky paths;
- replay: a different photo replayed with the captured motion; its motion (tracked back from the
  output video) against the true path, RMS px at the corners;
- stabilize: residual jitter (frame-to-frame corner motion minus its Gaussian-smoothed version,
  sigma 0.5 s, RMS px) of the input, ours, ffmpeg deshake and vid.stab (vidstabdetect +
  vidstabtransform, defaults) in the same run, all measured by one tracker that ignores a 15% margin
  (black borders); net displacement of the frame centre against the true intentional move; frame
  count and duration;
- propagate: an opaque textured edit over 15% of frame 0 carried to every frame; PSNR against the
  edit carried by the true motion, over the scene points visible in every frame, beside holding the
  key still; also with the key on the last frame (backward) and with keys on both ends.
Wall times are given as ratios to vid.stab's two passes on the same clip.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import motion_truth as mt  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402
from vidgen_cli.io.decode import open_input  # noqa: E402
from vidgen_cli.io.probe import probe  # noqa: E402
from vidgen_cli.motion.capture import track  # noqa: E402
from vidgen_cli.motion.path import load  # noqa: E402
from vidgen_cli.vision.homography import TrackerSettings, apply, corner_rms, jitter_rms  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
W, H = mt.SIZE
JITTER_SIGMA = 0.5 * float(mt.FPS)  # frames


def vidgen(*args: str) -> float:
    """Run the CLI; returns wall seconds."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "vidgen_cli", *args, "--overwrite", "--quiet"], check=True)
    return time.monotonic() - started


def run_ffmpeg(*args: str) -> float:
    started = time.monotonic()
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args], check=True)
    return time.monotonic() - started


def frames_of(path: Path) -> list[np.ndarray]:
    with open_input(path) as reader:
        return list(reader)


def measured_path(path: Path) -> np.ndarray:
    """The camera path of a video as one fixed tracker sees it (15% margin ignored)."""
    return track(frames_of(path), TrackerSettings(margin=0.15))


def stabilize_figures(path: Path, source_frames: int, intentional: np.ndarray, input_jitter: float) -> dict:
    measured = measured_path(path)
    centre = np.array([[(W - 1) / 2, (H - 1) / 2]])
    net = apply(measured[-1], centre)[0] - centre[0]
    true_net = apply(intentional[-1], centre)[0] - centre[0]
    info = probe(path)
    jitter = jitter_rms(measured, W, H, JITTER_SIGMA)
    return {"jitter_px": round(jitter, 4), "jitter_ratio": round(jitter / input_jitter, 4),
            "net_displacement_ratio": round(float(np.linalg.norm(net) / np.linalg.norm(true_net)), 4),
            "frames": info.frame_count, "same_frame_count": info.frame_count == source_frames,
            "duration": round(info.duration, 4)}


def psnr(outputs: list[np.ndarray], truth: list[np.ndarray], visible: list[np.ndarray]) -> float:
    se, n = 0.0, 0
    for out, ref, mask in zip(outputs, truth, visible):
        d = (out.astype(np.float64) - ref)[mask]
        se += float((d ** 2).sum())
        n += d.size
    return float(10 * np.log10(255 ** 2 / (se / n)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--photo", default="tubingen.jpg", help="photo in shared/data/content for the camera clips")
    parser.add_argument("--replay-photo", default="sailboat.jpg", help="a different photo to replay the motion onto")
    parser.add_argument("--texture", default="vangogh_starry_night.jpg", help="painting in shared/data/style for the edit")
    args = parser.parse_args()
    results: dict = {"photo": args.photo, "replay_photo": args.replay_photo, "size": [W, H], "fps": str(mt.FPS), "frames": mt.FRAMES}
    photo = mt.read_rgb(DATA / "content" / args.photo)
    smooth = mt.smooth_path()
    shaky, intentional = mt.shaky_path()
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-motion-") as tmp:
        work = Path(tmp)
        smooth_clip = mt.write_video(mt.render(photo, smooth), work / "smooth.mp4")
        shaky_clip = mt.write_video(mt.render(photo, shaky), work / "shaky.mp4")

        # reference: vid.stab, two passes, defaults
        t_vidstab = run_ffmpeg("-i", str(shaky_clip), "-vf", f"vidstabdetect=result={work / 't.trf'}", "-f", "null", "-")
        t_vidstab += run_ffmpeg("-i", str(shaky_clip), "-vf", f"vidstabtransform=input={work / 't.trf'}",
                                "-c:v", "libx264", "-crf", "14", str(work / "vidstab.mp4"))
        t_deshake = run_ffmpeg("-i", str(shaky_clip), "-vf", "deshake", "-c:v", "libx264", "-crf", "14", str(work / "deshake.mp4"))

        # capture
        capture = {}
        for name, clip, truth in [("smooth", smooth_clip, smooth), ("shaky", shaky_clip, shaky)]:
            seconds = vidgen("motion", "capture", str(clip), "-o", str(work / f"{name}.json"))
            captured = load(work / f"{name}.json").H
            capture[name] = {"corner_rms_px": round(corner_rms(captured, truth, W, H), 4),
                             "corner_max_px": round(max(corner_rms(captured[k:k + 1], truth[k:k + 1], W, H) for k in range(len(truth))), 4),
                             "seconds_vs_vidstab": round(seconds / t_vidstab, 3)}
        results["capture"] = capture

        # replay a different photo with the captured (smooth) motion; track its motion back
        replayed = work / "replay.mp4"
        vidgen("motion", "replay", str(DATA / "content" / args.replay_photo), "--motion", str(work / "smooth.json"), "-o", str(replayed))
        results["replay"] = {"corner_rms_px": round(corner_rms(track(frames_of(replayed)), smooth, W, H), 4),
                             "frames": probe(replayed).frame_count}

        # stabilize
        input_jitter = jitter_rms(measured_path(shaky_clip), W, H, JITTER_SIGMA)
        stab = {"input": {"jitter_px": round(input_jitter, 4), "true_jitter_px": round(jitter_rms(shaky, W, H, JITTER_SIGMA), 4)}}
        seconds = vidgen("motion", "stabilize", str(shaky_clip), "-o", str(work / "ours.mp4"))
        vidgen("motion", "stabilize", str(shaky_clip), "--crop", "none", "-o", str(work / "ours_nocrop.mp4"))
        vidgen("motion", "stabilize", str(shaky_clip), "--smoothing", "0.5", "-o", str(work / "ours_smoothing_0.5.mp4"))
        for name in ["ours", "ours_nocrop", "ours_smoothing_0.5", "deshake", "vidstab"]:
            stab[name] = stabilize_figures(work / f"{name}.mp4", mt.FRAMES, intentional, input_jitter)
        stab["ours"]["seconds_vs_vidstab"] = round(seconds / t_vidstab, 3)
        stab["deshake"]["seconds_vs_vidstab"] = round(t_deshake / t_vidstab, 3)
        results["stabilize"] = stab

        # propagate
        frames = frames_of(smooth_clip)
        texture = mt.read_rgb(DATA / "style" / args.texture)
        paint, mask = mt.textured_edit((H, W), texture)
        truth = [mt.carry_edit(f, paint, mask, Hk) for f, Hk in zip(frames, smooth)]
        visible0 = mt.always_visible(smooth)
        visible = [cv2.warpPerspective(visible0, Hk, (W, H), flags=cv2.INTER_NEAREST) > 0.5 for Hk in smooth]
        edit_area = [cv2.warpPerspective(mask, Hk, (W, H), flags=cv2.INTER_NEAREST) > 0.5 for Hk in smooth]
        last = len(frames) - 1
        cv2.imwrite(str(work / "key_first.png"), cv2.cvtColor(truth[0], cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(work / "key_last.png"), cv2.cvtColor(truth[last], cv2.COLOR_RGB2BGR))
        others = slice(1, last)  # frames that are not keys in any run
        prop = {"edit_area_fraction": round(float(mask.mean()), 4),
                "hold_key_psnr_db": round(psnr([truth[0]] * (last - 1), truth[others], visible[others]), 3)}
        runs = {"forward": ["--key", str(work / "key_first.png")],
                "backward": ["--key", str(work / "key_last.png"), "--key-frame", str(last)],
                "two_keys": ["--key", str(work / "key_first.png"), "--key-frame", "0", "--key", str(work / "key_last.png"), "--key-frame", str(last)]}
        for name, keys in runs.items():
            seconds = vidgen("motion", "propagate", str(smooth_clip), *keys, "-o", str(work / f"prop_{name}.mp4"))
            out = frames_of(work / f"prop_{name}.mp4")
            prop[name] = {"psnr_db": round(psnr(out[others], truth[others], visible[others]), 3),
                          "edit_psnr_db": round(psnr(out[others], truth[others], [v & e for v, e in zip(visible[others], edit_area[others])]), 3),
                          "seconds_vs_vidstab": round(seconds / t_vidstab, 3)}
        prop["forward"]["gain_over_hold_db"] = round(prop["forward"]["psnr_db"] - prop["hold_key_psnr_db"], 3)
        results["propagate"] = prop
        results["vidstab_seconds"] = round(t_vidstab, 3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
