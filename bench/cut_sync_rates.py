"""Fixsync checks through two vidgen builds in the same run (this checkout and a baseline, e.g. main):

    python bench/cut_sync_rates.py --vidgen .venv/bin/vidgen --baseline ../main/.venv/bin/vidgen \
        --out bench/results/cut_sync_rates.json

- "cut_audio": split --start S -> stitch of a synthesized 25 fps clip (white frame and beep together
  at 1.2 s) whose audio is MP3, AC3, PCM or AAC, into .avi, .ts, .mp4, .mkv, .nut and .mov: beep
  minus flash in ms on the file's timeline (the output remuxed into Matroska: tests/sync.py's
  readers map one stream, and ffmpeg times a .ts from its earliest mapped stream), and whether the
  build said it re-encodes. S = 0.43, 0.5, 0.77 (the copy's packet boundary lands differently).
- "real_cut_audio": the same on evaluation clips (../shared/data/video) with their own sound:
  their audio as MP3, AC3 or PCM in .mkv into .avi, and their AAC as it is into .ts, split from
  --start 1.37 for 3 s: the output sound's lag (ms, + late) against the source's sound at the first
  frame's time, by cross-correlation (cockatoo.mp4's MP3 track is silent: not usable).
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
import numpy as np  # noqa: E402
from sync import beep_onsets, flash_times, frame_times, make_sync_clip  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--vidgen", required=True)
parser.add_argument("--baseline", required=True)
parser.add_argument("--out", required=True, type=Path)
parser.add_argument("--starts", default="0.43,0.5,0.77")
parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "video")
parser.add_argument("--parts", default="cut_audio,real_cut_audio,rates")
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


out: dict = {"builds": BUILDS, "cut_audio": [], "real_cut_audio": [], "rates": []}
PARTS = options.parts.split(",")
clip = make_sync_clip(W / "sync.mp4", rate=25, seconds=3.0, events=(1.2,))
for codec, source_suffix, suffix in COMBOS if "cut_audio" in PARTS else []:
    source = W / f"src_{codec}{source_suffix}"
    run(FF, "-v", "error", "-y", "-i", clip, "-map", "0", "-c:v", "copy", "-c:a", codec, source)
    for start in options.starts.split(","):
        row = {"audio": codec, "source": source_suffix, "output": suffix, "start": float(start)}
        for build, vidgen in BUILDS.items():
            frames = W / f"{build}_{codec}{source_suffix[1:]}{suffix[1:]}_{start}"
            run(vidgen, "split", source, "-o", frames, "--start", start, "-q")
            target = frames.with_name(frames.name + suffix)
            said = run(vidgen, "stitch", frames, "-o", target, "--preset", "ultrafast").stderr
            timeline = on_timeline(target)
            row[build] = {"beep_minus_flash_ms": round((beep_onsets(timeline)[0] - flash_times(timeline, 1)[0]) * 1000, 2),
                          "re_encoded": "re-encoding" in said}
        out["cut_audio"].append(row)
        print(row, flush=True)

def samples(path, rate, start=None):
    """Mono float samples of the first audio stream from the file's start (silence padded in)."""
    cut = ["-ss", f"{start:.6f}"] if start is not None else []
    raw = subprocess.run([FF, "-v", "error", *cut, "-i", str(path), "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0",
                          "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.float32)


def lag_ms(output, source, first_frame, rate=16000, seconds=2.0):
    """How late (ms) the output's sound plays against the source's at the first frame's time."""
    timeline = on_timeline(output)
    video_start = float(frame_times(timeline)[0])  # the first frame, on the output file's timeline
    heard = samples(timeline, rate)[round(video_start * rate):][: int(seconds * rate)]
    truth = samples(source, rate)[round(first_frame * rate):][: int(seconds * rate) + rate]
    span = rate // 10  # +-100 ms
    n = min(len(heard), len(truth)) - 2 * span
    scores = [float(np.dot(heard[span: span + n], truth[span + k: span + k + n])) for k in range(-span, span + 1)]
    return round(-(int(np.argmax(scores)) - span) / rate * 1000, 2)


REAL = [("bbb_cutbunny.mp4", "libmp3lame", ".avi"), ("bbb_720p_30s.webm", "ac3 48000", ".avi"), ("stream_of_water.mp4", "ac3", ".avi"),
        ("film_bw_office.mp4", "pcm_s16le", ".avi"), ("bbb_cutbunny.mp4", None, ".ts"), ("film_bw_office.mp4", None, ".ts")]
for name, recode, suffix in REAL if "real_cut_audio" in PARTS else []:
    codec, *sample_rate = (recode or "").split() or [None]
    path = options.data / name
    if not path.is_file():
        continue
    source = path
    if codec:
        source = W / f"{path.stem}.{codec}.mkv"
        run(FF, "-v", "error", "-y", "-i", path, "-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-c:a", codec,
            *(["-ar", sample_rate[0]] if sample_rate else []), source)
    row = {"clip": name, "audio": recode or "as is", "output": suffix, "start": 1.37,
           "source_level": round(float(np.abs(samples(source, 16000)).mean()), 4)}  # 0: silent, no lag can be read
    for build, vidgen in BUILDS.items():
        frames = W / f"real_{build}_{path.stem}_{codec}_{suffix[1:]}"
        run(vidgen, "split", source, "-o", frames, "--start", "1.37", "--end", "4.37", "-q")
        first = json.loads((frames / "manifest.json").read_text())["start"]
        target = frames.with_name(frames.name + suffix)
        said = run(vidgen, "stitch", frames, "-o", target, "--preset", "ultrafast").stderr
        row[build] = {"lag_ms": lag_ms(target, source, first), "re_encoded": "re-encoding" in said}
    out["real_cut_audio"].append(row)
    print(row, flush=True)

for path in sorted(options.data.glob("*")) if "rates" in PARTS else []:
    variants = {"as is": path}
    through = W / f"{path.stem}.through.mkv"
    if path.suffix in (".mkv", ".webm"):
        through = path
    else:
        run(FF, "-v", "error", "-y", "-i", path, "-map", "0:v:0", "-c", "copy", through)
    remuxed = W / f"{path.stem}.remuxed.mp4"
    try:
        run(FF, "-v", "error", "-y", "-i", through, "-map", "0:v:0", "-c", "copy", remuxed)
        variants["via matroska to .mp4"] = remuxed
    except subprocess.CalledProcessError as failed:  # VP8 does not go into .mp4
        out["rates"].append({"clip": path.name, "variant": "via matroska to .mp4", "skipped": failed.stderr.strip().splitlines()[-1]})
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
