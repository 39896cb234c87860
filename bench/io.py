"""I/O benchmark: vidgen split/stitch against the equivalent plain ffmpeg commands, in one run,
and peak memory of a streaming pipeline for a clip and a 10x longer one.

    python bench/io.py --out io.json [--clip ../shared/data/video/bbb_720p_30s.webm] [--repeat 2]

Ratios are vidgen time / ffmpeg time (best of --repeat, runs interleaved). Memory is the peak
resident size of the vidgen process itself (its VmHWM, written at exit as bench/predict.py does;
ffmpeg children excluded: they stream at a fixed size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "video" / "bbb_720p_30s.webm"
MEMORY_CLIP = REPO.parent / "shared" / "data" / "video" / "bbb_cutbunny.mp4"

from vidgen_cli.io import ffmpeg  # noqa: E402
from vidgen_cli.io.probe import probe  # noqa: E402

VIDGEN = [sys.executable, "-m", "vidgen_cli"]


# Prepended to a Python process's code: at exit it writes its own peak resident memory (VmHWM, KiB)
# to $VIDGEN_BENCH_HWM. The child's rusage (ru_maxrss) is no measure: Linux carries the parent's
# peak over fork and exec, so it reported this script's memory whenever that was larger.
HWM = """import atexit, os
def _hwm():
    with open('/proc/self/status') as f, open(os.environ['VIDGEN_BENCH_HWM'], 'w') as out:
        out.write(next(line.split()[1] for line in f if line.startswith('VmHWM')))
atexit.register(_hwm)
"""
LAUNCH = HWM + "import runpy, sys\nsys.argv = ['vidgen', *sys.argv[1:]]\nrunpy.run_module('vidgen_cli', run_name='__main__')\n"


def timed(command: list[str], hwm: Path | None = None) -> tuple[float, int | None]:
    """Wall seconds of one process and, with `hwm` (a Python process started with HWM), its own
    peak resident memory in KiB (VmHWM); None without."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **({"VIDGEN_BENCH_HWM": str(hwm)} if hwm else {})}
    started = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{process.stderr.decode()}")
    return elapsed, int(hwm.read_text()) if hwm else None


def fresh(path: Path) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    return path


def compare(work: Path, clip: Path, repeat: int) -> dict:
    info = probe(clip)
    ff = ffmpeg.executable()
    audio_codec = "copy" if info.audio and info.audio[0].codec in {"aac", "mp3", "opus"} else "aac"
    cases = {
        "split_png": (
            lambda: [*VIDGEN, "split", str(clip), "-o", str(fresh(work / "v_png")), "-q"],
            lambda: [ff, "-v", "error", "-y", "-i", str(clip), "-map", "0:v:0", str(fresh_dir(work / "f_png") / "%06d.png")],
        ),
        "split_jpg": (
            lambda: [*VIDGEN, "split", str(clip), "-o", str(fresh(work / "v_jpg")), "--format", "jpg", "-q"],
            lambda: [ff, "-v", "error", "-y", "-i", str(clip), "-map", "0:v:0", "-q:v", "3", "-pix_fmt", "yuvj444p",
                     str(fresh_dir(work / "f_jpg") / "%06d.jpg")],
        ),
        "stitch": (
            lambda: [*VIDGEN, "stitch", str(work / "v_png"), "-o", str(fresh(work / "v.mp4")), "-q"],
            lambda: [ff, "-v", "error", "-y", "-framerate", str(info.fps), "-start_number", "1", "-i", str(work / "v_png" / "%06d.png"),
                     "-i", str(clip), "-map", "0:v:0", *(["-map", "1:a:0", "-c:a", audio_codec] if info.audio else []),
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium", "-movflags", "+faststart",
                     str(fresh(work / "f.mp4"))],
        ),
    }
    results = {}
    for name, (vidgen_cmd, ffmpeg_cmd) in cases.items():
        vidgen_times, ffmpeg_times = [], []
        for _ in range(repeat):
            ffmpeg_times.append(timed(ffmpeg_cmd())[0])
            vidgen_times.append(timed(vidgen_cmd())[0])
        results[name] = {"vidgen_s": round(min(vidgen_times), 3), "ffmpeg_s": round(min(ffmpeg_times), 3),
                         "ratio": round(min(vidgen_times) / min(ffmpeg_times), 3)}
    return {"clip": str(clip), "frames": info.frame_count, "size": f"{info.width}x{info.height}", **results}


def fresh_dir(path: Path) -> Path:
    fresh(path).mkdir(parents=True)
    return path


def longer_clip(source: Path, times: int, target: Path) -> Path:
    """The source repeated `times` times, stream-copied (no quality change)."""
    listing = target.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for _ in range(times)))
    result = ffmpeg.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(target)])
    if result.returncode != 0:
        raise SystemExit(ffmpeg.last_error_line(result.stderr))
    return target


def memory(work: Path, clip: Path, command: str) -> dict:
    """Peak resident memory (VmHWM) of a streaming vidgen command over a clip and over the clip repeated 10 times."""
    long_clip = longer_clip(clip, 10, work / f"long{clip.suffix}")
    peaks = {}
    for label, source in (("1x", clip), ("10x", long_clip)):
        if command == "passthrough":
            code = ("import sys; from fractions import Fraction; from vidgen_cli.io.decode import open_input; "
                    "from vidgen_cli.io.encode import VideoWriter, EncodeOptions; from vidgen_cli.runtime.threads import run_pipeline; "
                    "r = open_input(sys.argv[1]); run_pipeline(r, VideoWriter(sys.argv[2], r.info.fps, EncodeOptions(preset='ultrafast')))")
            cmd = [sys.executable, "-c", HWM + code, str(source), str(fresh(work / f"mem_{label}.mp4"))]
        else:
            cmd = [sys.executable, "-c", LAUNCH, *command.split(), str(source), "-o", str(fresh(work / f"mem_{label}.mp4")), "-q",
                   "--preset", "ultrafast"]
        seconds, peak = timed(cmd, work / f"mem_{label}.hwm")
        assert peak is not None
        peaks[label] = {"frames": probe(source).frame_count, "seconds": round(seconds, 2), "peak_rss_mib": round(peak / 1024, 1)}
    peaks["ratio_10x_to_1x"] = round(peaks["10x"]["peak_rss_mib"] / peaks["1x"]["peak_rss_mib"], 3)
    peaks["command"] = command
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--memory-clip", type=Path, default=MEMORY_CLIP)
    parser.add_argument("--memory-command", default="passthrough",
                        help="'passthrough' (decode -> encode through vidgen's threaded pipeline) or a vidgen subcommand such as 'interpolate --factor 2'")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if not args.clip.is_file():
        raise SystemExit(f"{args.clip} is missing; run from a checkout with ../shared/data beside it")
    with tempfile.TemporaryDirectory(prefix="vidgen-bench-") as tmp:
        work = Path(tmp)
        timing = compare(work, args.clip, args.repeat)
        mem = memory(work, args.memory_clip, args.memory_command)
    report = {
        "benchmark": "io",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **timing,
        "split_png_ratio": timing["split_png"]["ratio"],
        "split_jpg_ratio": timing["split_jpg"]["ratio"],
        "stitch_ratio": timing["stitch"]["ratio"],
        "memory": mem,
        "targets": {"ratios_max": 1.10, "memory_10x_over_1x_max": 1.2},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("split_png_ratio", "split_jpg_ratio", "stitch_ratio")} | {"memory_ratio": mem["ratio_10x_to_1x"]}))


if __name__ == "__main__":
    main()
