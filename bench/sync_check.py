"""Sync and geometry check for issue 11 kinds 1-6 (timing, offsets, edit lists, deleted frames,
SAR, rotation through a pipe) at 320x240, through any vidgen executable, so a build and the one
before it can be compared in the same run:

    python bench/sync_check.py --vidgen .venv/bin/vidgen --out after.json
    python bench/sync_check.py --vidgen ../main/.venv/bin/vidgen --out before.json

Times are seconds on the file's timeline: white frames ("flash") and beep onsets must match the
source's (1.0 and 2.5 s; 1.5/3.0 and 1.0/2.5 for the late-video clip). Uses tests/sync.py.
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from sync import beep_onsets, flash_times, make_sync_clip  # noqa: E402

from vidgen_cli.io import ffmpeg  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--vidgen", required=True)
parser.add_argument("--out", required=True, type=Path)
options = parser.parse_args()
V = options.vidgen
W = Path(tempfile.mkdtemp(prefix="vidgen-sync-"))
FF = ffmpeg.executable()
STYLE = W / "style.png"
subprocess.run([FF, "-v", "error", "-f", "lavfi", "-i", "mandelbrot=s=64x64", "-frames:v", "1", STYLE], check=True)
def v(*a, stdin=None):
    r = subprocess.run([V, *map(str, a)], capture_output=True, stdin=stdin)
    warnings = [line for line in r.stderr.decode().replace("\n", " ").split("vidgen: ")[1:] if line.startswith("warning")]
    return r.returncode, " ".join(warnings)
def ev(p, n=2):
    """White-frame times and beep onsets of one output."""
    return {"flash": [round(x, 3) for x in flash_times(p, n)], "beep": [round(x, 3) for x in beep_onsets(p)]}
out = {}
src = make_sync_clip(W / "vfr.mp4", vfr=True, size="320x240")
out["1 source"] = ev(src)
v("interpolate", src, "-o", W / "x2.mp4", "--factor", "2", "--model", "blend"); out["1 interpolate x2"] = ev(W / "x2.mp4")
v("interpolate", src, "-o", W / "f60.mp4", "--fps", "60", "--model", "blend"); out["1 interpolate --fps 60"] = ev(W / "f60.mp4")
v("split", src, "-o", W / "f"); v("stitch", W / "f", "-o", W / "st.mp4"); out["1 split+stitch"] = ev(W / "st.mp4")
v("predict", src, "-o", W / "pr.mp4", "--model", "copy", "-n", "3"); out["1 predict"] = ev(W / "pr.mp4")
late = make_sync_clip(W / "vlate.mp4", video_offset=0.5, size="320x240")
out["2 source"] = ev(late)
v("interpolate", late, "-o", W / "lx2.mp4", "--factor", "2", "--model", "blend"); out["2 interpolate x2"] = ev(W / "lx2.mp4")
v("stylize", late, "-o", W / "ls.mp4", "--style", STYLE, "--model", "student", "--strength", "0", "--consistency", "off", "--max-side", "64"); out["2 stylize"] = ev(W / "ls.mp4")
subprocess.run([FF, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-c:v", "libx264", "-g", "250", "-pix_fmt", "yuv420p", W / "full.mp4"], check=True)
subprocess.run([FF, "-v", "error", "-ss", "1.3", "-i", W / "full.mp4", "-c", "copy", W / "cut.mp4"], check=True)
p = json.loads(subprocess.run([V, "probe", W / "cut.mp4"], capture_output=True).stdout)
out["3 probe cut.mp4"] = {"frames": p["frame_count"], "duration": p["duration"], "predict --at 50 rc": v("predict", W / "cut.mp4", "--at", "50", "-o", W / "p50.mp4", "--model", "copy")[0]}
cfr = make_sync_clip(W / "cfr.mp4", size="320x240")
v("split", cfr, "-o", W / "g")
for n in range(11, 21): (W / "g" / f"{n:06d}.png").unlink()
rc, err = v("stitch", W / "g", "-o", W / "gap.mp4"); out["4 stitch with 11-20 deleted"] = {**ev(W / "gap.mp4"), "stderr": err[:160]}
subprocess.run([FF, "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-vf", "setsar=4/3", "-c:v", "libx264", "-pix_fmt", "yuv420p", W / "sar.mp4"], check=True)
sar = {}
for name, args in [("interpolate", ["--factor", "2", "--model", "blend"]), ("stylize", ["--style", STYLE, "--model", "student", "--max-side", "64"]), ("predict", ["--model", "copy", "-n", "2"])]:
    v(name, W / "sar.mp4", "-o", W / f"sar_{name}.mp4", *args)
    sar[name] = json.loads(subprocess.run([V, "probe", W / f"sar_{name}.mp4"], capture_output=True).stdout)["sar"]
out["5 SAR of outputs (source 4/3)"] = sar
subprocess.run([FF, "-v", "error", "-display_rotation", "90", "-i", W / "full.mp4", "-c", "copy", W / "rot90.mp4"], check=True)
feed = subprocess.Popen([FF, "-v", "error", "-i", W / "rot90.mp4", "-c", "copy", "-f", "matroska", "-"], stdout=subprocess.PIPE)
rc, _ = v("split", "-", "-o", W / "rp", stdin=feed.stdout); feed.wait()
v("split", W / "rot90.mp4", "-o", W / "rf")
a, b = cv2.imread(str(W / "rp" / "000010.png")), cv2.imread(str(W / "rf" / "000010.png"))
out["6 pipe split of rot90"] = {"rc": rc, "piped shape": list(a.shape), "by-path shape": list(b.shape),
                                "mean abs diff": round(float(np.abs(a.astype(int) - b.astype(int)).mean()), 2) if a.shape == b.shape else None}
options.out.write_text(json.dumps({"benchmark": "sync_check", "vidgen": V, **out}, indent=1) + "\n")
shutil.rmtree(W, ignore_errors=True)
print(json.dumps(out))
