"""Fixsync checks through two vidgen builds in the same run (this checkout and a baseline, e.g. main):

    python bench/cut_sync_rates.py --vidgen .venv/bin/vidgen --baseline ../main/.venv/bin/vidgen \
        --out bench/results/cut_sync_rates.json

- "cut_audio": split --start S -> stitch of a synthesized 25 fps clip (white frame and beep together
  at 1.2 s) whose audio is MP3, AC3, PCM or AAC, into .avi, .ts, .mp4, .mkv, .nut and .mov: beep
  minus flash in ms on the file's timeline (the output remuxed into Matroska: tests/sync.py's
  readers map one stream, and ffmpeg times a .ts from its earliest mapped stream), and whether the
  build said it re-encodes. S = 0.43, 0.5, 0.77 (the copy's packet boundary lands differently).
- "rates": `vidgen probe` of the evaluation clips (../shared/data/video), as they are and remuxed
  (`-c copy`) through Matroska into .mp4 (a .mkv/.webm straight into .mp4): fps and VFR by each build.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
from sync import beep_onsets, flash_times, make_sync_clip  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--vidgen", required=True)
parser.add_argument("--baseline", required=True)
parser.add_argument("--out", required=True, type=Path)
parser.add_argument("--starts", default="0.43,0.5,0.77")
parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "video")
options = parser.parse_args()
W = Path(tempfile.mkdtemp(prefix="vidgen-cutsync-"))
FF = ffmpeg.executable()
BUILDS = {"after": options.vidgen, "before": options.baseline}
COMBOS = [("libmp3lame", ".mkv", ".avi"), ("ac3", ".mkv", ".avi"), ("pcm_s16le", ".mkv", ".avi"), ("aac", ".mp4", ".ts"),
          ("aac", ".ts", ".ts"), ("libmp3lame", ".mkv", ".ts"), ("ac3", ".mkv", ".ts"), ("aac", ".mp4", ".mkv"),
          ("libmp3lame", ".mkv", ".mp4"), ("ac3", ".mkv", ".nut"), ("aac", ".mp4", ".mov")]


def run(*args):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True)


def on_timeline(path):
    copy = path.with_name(path.name + ".timeline.mkv")
    run(FF, "-v", "error", "-y", "-i", path, "-map", "0", "-c", "copy", copy)
    return copy


out: dict = {"builds": BUILDS, "cut_audio": [], "rates": []}
clip = make_sync_clip(W / "sync.mp4", rate=25, seconds=3.0, events=(1.2,))
for codec, source_suffix, suffix in COMBOS:
    source = W / f"src_{codec}{source_suffix}"
    run(FF, "-v", "error", "-y", "-i", clip, "-map", "0", "-c:v", "copy", "-c:a", codec, source)
    for start in options.starts.split(","):
        row = {"audio": codec, "source": source_suffix, "output": suffix, "start": float(start)}
        for build, vidgen in BUILDS.items():
            frames = W / f"{build}_{codec}{source_suffix[1:]}{suffix[1:]}_{start}"
            run(vidgen, "split", source, "-o", frames, "--start", start, "-q")
            target = frames.with_suffix(suffix)
            said = run(vidgen, "stitch", frames, "-o", target, "--preset", "ultrafast").stderr
            timeline = on_timeline(target)
            row[build] = {"beep_minus_flash_ms": round((beep_onsets(timeline)[0] - flash_times(timeline, 1)[0]) * 1000, 2),
                          "re_encoded": "re-encoding" in said}
        out["cut_audio"].append(row)
        print(row, flush=True)

for path in sorted(options.data.glob("*")):
    variants = {"as is": path}
    through = W / f"{path.stem}.through.mkv"
    if path.suffix in (".mkv", ".webm"):
        through = path
    else:
        run(FF, "-v", "error", "-y", "-i", path, "-map", "0:v:0", "-c", "copy", through)
    remuxed = W / f"{path.stem}.remuxed.mp4"
    run(FF, "-v", "error", "-y", "-i", through, "-map", "0:v:0", "-c", "copy", remuxed)
    variants["via matroska to .mp4"] = remuxed
    for name, variant in variants.items():
        row = {"clip": path.name, "variant": name}
        for build, vidgen in BUILDS.items():
            record = json.loads(run(vidgen, "probe", variant).stdout.splitlines()[0])
            row[build] = {"fps": record["fps"], "vfr": record["vfr"], "frames": record["frame_count"]}
        out["rates"].append(row)
        print(row, flush=True)

options.out.parent.mkdir(parents=True, exist_ok=True)
options.out.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {options.out}")
