"""Timeline checks for the faults fixed on branch fixpipe, through any vidgen executable, so a build
and the one before it can be compared in the same run:

    python bench/timing_check.py --vidgen .venv/bin/vidgen --out after.json
    python bench/timing_check.py --vidgen ../main/.venv/bin/vidgen --out before.json
    python bench/timing_check.py --log-runs 1000 --out log.json   # this checkout's log reader only

- "ts": split -> stitch of a .ts whose video starts 23 ms after its AAC audio (the priming), at
  24, 25 and 30 fps: the output video's start and flash-minus-beep against the source's.
- "scenes": `split --scenes` of a 2-shot clip (cut at 1.52 s; a white frame and a beep together
  at 0.6 and 2.0 s): each shot's stored first video and audio time, and flash minus beep.
- "avi": MP3 or AC3 copied into .avi by stitch: the beep's lateness (the source's is at 1.000 s).
- "log" (--log-runs N): N runs of the stdin reader's own ffmpeg command on a clip whose video
  starts 0.5 s after its audio, 4 at a time; how many logs have messages glued across threads,
  and how many give a wrong first time or size with this checkout's reader and with the reader
  that required showinfo's prefix (its code is copied below as the baseline).

Times are seconds; "first" values on the file's timeline (a stream copy into Matroska, so a .ts
reads like the rest). Uses tests/sync.py.
"""
import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
from sync import beep_onsets, flash_times, frame_times, make_sync_clip  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--vidgen")
parser.add_argument("--out", required=True, type=Path)
parser.add_argument("--log-runs", type=int, default=0)
options = parser.parse_args()
W = Path(tempfile.mkdtemp(prefix="vidgen-timing-"))
FF = ffmpeg.executable()


def run(*args):
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def timeline(path):
    copy = path.with_name(path.name + ".copy.mkv")
    run(FF, "-v", "error", "-y", "-i", path, "-map", "0", "-c", "copy", copy)
    return copy


def stored_start(path, kind):
    text = subprocess.run([FF, "-hide_banner", "-copyts", "-i", str(path), "-map", f"0:{kind}:0", f"-{kind}f", "showinfo" if kind == "v" else "ashowinfo",
                           "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return round(float(text.split("pts_time:", 1)[1].split()[0]), 4)


def sync_of(path):
    copy = timeline(path)
    return {"first": round(float(frame_times(copy)[0]), 4), "flash_minus_beep": round(flash_times(copy, 1)[0] - beep_onsets(copy)[0], 4)}


out: dict = {"vidgen": options.vidgen}
if options.vidgen:
    V = options.vidgen
    out["ts"] = {}
    for rate in (24, 25, 30):
        source = make_sync_clip(W / f"primed{rate}.ts", rate=rate)
        run(V, "split", source, "-o", W / f"f{rate}")
        row = {"source": sync_of(source)}
        for suffix in (".mkv", ".mp4"):
            run(V, "stitch", W / f"f{rate}", "-o", W / f"back{rate}{suffix}", "--preset", "ultrafast")
            row[suffix] = sync_of(W / f"back{rate}{suffix}")
        out["ts"][f"{rate} fps"] = row
    out["scenes"] = {}
    flash = "+".join(f"between(t,{t - 0.001:.3f},{t + 0.001:.3f})" for t in (0.6, 2.0))
    beep = "+".join(f"between(t,{t},{t + 0.05})" for t in (0.6, 2.0))
    for suffix in (".mp4", ".mkv", ".ts"):
        source = W / f"two{suffix}"
        run(FF, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=1.5", "-f", "lavfi", "-i", "mandelbrot=s=160x120:r=25,trim=duration=1.5",
            "-f", "lavfi", "-i", f"aevalsrc='if({beep},0.8*sin(2*PI*1000*t),0)':s=44100:d=3", "-filter_complex",
            f"[0:v][1:v]concat=n=2:v=1,drawbox=enable='{flash}':color=white:t=fill[v]", "-map", "[v]", "-map", "2:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", source)
        run(V, "split", source, "--scenes", "-o", W / f"shots{suffix[1:]}")
        out["scenes"][suffix] = {"source": sync_of(source)}
        for shot in sorted((W / f"shots{suffix[1:]}").iterdir()):
            out["scenes"][suffix][shot.name] = {"stored_video": stored_start(shot, "v"), "stored_audio": stored_start(shot, "a"), **sync_of(shot)}
    out["avi"] = {}
    plain = make_sync_clip(W / "plain.mkv")
    for codec in ("libmp3lame", "ac3"):
        source = W / f"{codec}.mkv"
        run(FF, "-v", "error", "-i", plain, "-map", "0", "-c:v", "copy", "-c:a", codec, source)
        run(V, "split", source, "-o", W / f"a{codec}")
        run(V, "stitch", W / f"a{codec}", "-o", W / f"{codec}.avi", "--preset", "ultrafast")
        out["avi"][codec] = {"source_beep": round(beep_onsets(source)[0], 4), "avi_beep": round(beep_onsets(W / f"{codec}.avi")[0], 4),
                             "avi_flash": round(flash_times(W / f"{codec}.avi", 1)[0], 4)}

if options.log_runs:
    from vidgen_cli.io.decode import FFmpegReader
    from vidgen_cli.io.media import VideoInfo

    def prefix_bound(lines):
        """The reader before the fix: showinfo lines found by prefix, time base 1/1 until seen."""
        base, times = Fraction(1), []
        for line in lines:
            if b"Parsed_showinfo" not in line:
                continue
            if frame := re.search(rb"\bn:\s*\d+\s+pts:\s*(-?\d+)", line):
                times.append(int(frame.group(1)) * base)
            elif found := re.search(rb"config in time_base: (\d+)/(\d+)", line):
                base = Fraction(int(found.group(1)), int(found.group(2)))
        return times

    late = make_sync_clip(W / "vlate.mkv", video_offset=0.5).read_bytes()
    command = [FF, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i", "pipe:0", "-f", "lavfi", "-i", "nullsrc=s=16x16:r=25:d=0.04",
               "-map", "0:v:0", "-an", "-sn", "-vf", "showinfo=checksum=0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]

    def one(n):
        side = ["-map", "0:a?", "-map", "1:v", "-c", "copy", "-c:v", "rawvideo", "-f", "matroska", "-y", str(W / f"side{n % 4}.mkv")]
        return subprocess.run(command + side, input=late, capture_output=True).stderr

    counts = {"runs": options.log_runs, "glued": 0, "wrong_now": 0, "wrong_prefix_bound": 0}
    with ThreadPoolExecutor(4) as pool:
        for log in pool.map(one, range(options.log_runs)):
            lines = log.splitlines(keepends=True)
            counts["glued"] += any((b"time_base" in line or b"pts_time" in line) and not line.startswith(b"[Parsed_showinfo")
                                   or line.startswith(b"[Parsed_showinfo") and b"#" in line for line in lines)
            reader = FFmpegReader(VideoInfo(path="x", kind="video", width=16, height=16, fps=Fraction(30), frame_count=90, duration=3.0))
            reader._process = SimpleNamespace(stderr=io.BytesIO(log))
            reader._drain_stderr()
            counts["wrong_now"] += reader.times[:1] != [Fraction(1, 2)] or reader._delivered_size() != (160, 120)
            counts["wrong_prefix_bound"] += prefix_bound(lines)[:1] != [Fraction(1, 2)]
    out["log"] = counts

options.out.write_text(json.dumps(out, indent=1))
print(json.dumps(out, indent=1))
