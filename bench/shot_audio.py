"""Per-shot audio of `split --scenes`: does each shot's sound span exactly its frames, in sync? Runs
any number of vidgen executables on the same sources in one run (a build and main beside it):

    python bench/shot_audio.py --vidgen main=../main/.venv/bin/vidgen --vidgen new=.venv/bin/vidgen \
        --out bench/results/shot_audio.json

Sources: the evaluation clips of ../shared/data/video that have sound, bbb_cutbunny.mp4 also
remuxed (stream copy) into .mov, .mkv and .ts (the shots keep the source's container), and one
synthetic 16 s MPEG-TS clip with four 4 s shots (cuts past 10 s). For every shot, on its file's
timeline (a .ts read through a stream copy into Matroska): the first frame, the end of the last
frame (its time plus one frame), the decoded audio's first and last sample, and `lag`: how far the
shot's sound sits from the source's sound at the same picture (cross-correlation over 0.5 s after
the first frame, in ms; 0 = in sync). `lead_ms`: first frame - audio start (sound before the
picture: > 0); `short_ms`: end of the last frame - audio end (sound missing at the end: > 0).
The first shot's lead and the last shot's end are the source's own and are not counted in the
summary (internal cuts only).
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]
import numpy as np  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402

RATE = 44100
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--vidgen", action="append", required=True, help="NAME=PATH of a vidgen executable")
parser.add_argument("--out", required=True, type=Path)
options = parser.parse_args()
FF = ffmpeg.executable()
W = Path(tempfile.mkdtemp(prefix="vidgen-shot-audio-"))
DATA = REPO / ".." / "shared" / "data" / "video"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FF, "-hide_banner", "-nostdin", "-y", *args], capture_output=True)


def timeline(path: Path) -> Path:
    if path.suffix != ".ts":
        return path
    copy = W / f"{path.parent.name}-{path.stem}.copy.mkv"
    run("-v", "error", "-i", str(path), "-map", "0", "-c", "copy", str(copy))
    return copy


def frames(path: Path) -> np.ndarray:
    text = run("-i", str(path), "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-").stderr.decode()
    return np.array([float(t) for t in re.findall(r"pts_time:\s*(-?[\d.]+)", text)])


def audio_span(path: Path) -> tuple[float, float]:
    text = run("-i", str(path), "-map", "0:a:0", "-af", "ashowinfo", "-f", "null", "-").stderr.decode()
    times = [float(t) for t in re.findall(r"pts_time:\s*(-?[\d.]+)", text)]
    counts = [int(n) for n in re.findall(r"nb_samples:\s*(\d+)", text)]
    rate = int(re.search(r"(\d+) Hz", text).group(1))
    return times[0], times[-1] + counts[-1] / rate


def samples(path: Path) -> np.ndarray:
    """Mono samples from the file's start (silence padded in before a late stream)."""
    out = run("-v", "error", "-i", str(path), "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar",
              str(RATE), "-f", "f32le", "-").stdout
    return np.frombuffer(out, np.float32)


def lag_ms(shot: np.ndarray, at_shot: float, source: np.ndarray, at_source: float) -> float | None:
    """Where the shot's sound after `at_shot` best matches the source's after `at_source` (ms)."""
    window, reach = int(0.5 * RATE), int(0.06 * RATE)
    a = shot[int(at_shot * RATE): int(at_shot * RATE) + window]
    start = int(at_source * RATE)
    if len(a) < window or start - reach < 0 or start + reach + window > len(source) or np.abs(a).max() < 1e-3:
        return None
    errors = [np.abs(source[start + d: start + d + window] - a).mean() for d in range(-reach, reach + 1)]
    return round((int(np.argmin(errors)) - reach) / RATE * 1000, 2)


def synthetic() -> Path:
    path = W / "four_shots.ts"
    run("-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4", "-f", "lavfi", "-i", "mandelbrot=s=320x240:r=25,trim=duration=4",
        "-f", "lavfi", "-i", "smptebars=s=320x240:r=25:d=4", "-f", "lavfi", "-i", "cellauto=s=320x240:r=25,trim=duration=4", "-f", "lavfi",
        "-i", "aevalsrc='0.4*sin(2*PI*(300+40*t)*t)+0.2*sin(2*PI*1234*t)*sin(2*PI*3*t)':s=44100:d=16", "-filter_complex",
        "[0:v][1:v][2:v][3:v]concat=n=4:v=1,format=yuv420p[v]", "-map", "[v]", "-map", "4:a", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", str(path))
    return path


def sources() -> list[Path]:
    clips = [DATA / name for name in ("bbb_cutbunny.mp4", "bbb_720p_30s.webm", "cockatoo.mp4", "dog_walk.mp4", "film_bw_office.mp4",
                                      "crystal_handheld.webm")]
    for suffix in (".mov", ".mkv", ".ts"):
        copy = W / f"bbb_cutbunny{suffix}"
        run("-v", "error", "-i", str(DATA / "bbb_cutbunny.mp4"), "-map", "0", "-c", "copy", str(copy))
        clips.append(copy)
    return [*clips, synthetic()]


results: dict = {"sources": {}, "summary": {}}
builds = dict(item.split("=", 1) for item in options.vidgen)
for source in sources():
    src_line = timeline(source)
    src_frames, src_sound = frames(src_line), samples(src_line)
    entry: dict = {}
    for name, vidgen in builds.items():
        out = W / f"{name}-{source.stem}{source.suffix.replace('.', '-')}"
        began = time.perf_counter()
        done = subprocess.run([vidgen, "split", str(source), "--scenes", "-o", str(out), "-q"], capture_output=True)
        seconds = time.perf_counter() - began
        if done.returncode != 0:
            entry[name] = {"error": done.stderr.decode()[-300:]}
            continue
        shots, first_index = [], 0
        for shot in sorted(out.iterdir()):
            line = timeline(shot)
            times = frames(line)
            step = float(np.median(np.diff(times))) if len(times) > 1 else 0.04
            a0, a1 = audio_span(line)
            v0, v1 = float(times[0]), float(times[-1]) + step
            shots.append({"shot": shot.name, "frames": len(times), "lead_ms": round((v0 - a0) * 1000, 2),
                          "short_ms": round((v1 - a1) * 1000, 2),
                          "lag_ms": lag_ms(samples(line), v0, src_sound, float(src_frames[min(first_index, len(src_frames) - 1)]))})
            first_index += len(times)
        entry[name] = {"seconds": round(seconds, 2), "shots": shots}
    results["sources"][source.name] = entry
    print(source.name, json.dumps({n: [(s["lead_ms"], s["short_ms"], s["lag_ms"]) for s in e.get("shots", [])] for n, e in entry.items()}))
for name in builds:
    leads, shorts, lags = [], [], []
    for entry in results["sources"].values():
        shots = entry.get(name, {}).get("shots", [])
        leads += [s["lead_ms"] for s in shots[1:]]
        shorts += [s["short_ms"] for s in shots[:-1]]
        lags += [abs(s["lag_ms"]) for s in shots if s["lag_ms"] is not None]
    results["summary"][name] = {"internal_cuts": len(shorts), "max_lead_ms": max(leads, default=None),
                                "max_short_ms": max(shorts, default=None), "min_short_ms": min(shorts, default=None),
                                "max_abs_lag_ms": max(lags, default=None),
                                "seconds": round(sum(e.get(name, {}).get("seconds", 0) for e in results["sources"].values()), 1)}
print(json.dumps(results["summary"], indent=1))
options.out.write_text(json.dumps(results, indent=1))
