"""How much of an interrupted run --resume keeps: start a 720p stylize through the CLI, press
Ctrl-C (SIGINT) after N seconds, and read what the work folder saved. Run once with the time
limit (VIDGEN_SEGMENT_SECONDS=10, the default) and once with frame counts only (=0, the old
behaviour), same clip, same machine, one after the other.

    PYTHONPATH=. python bench/interrupt.py --out bench/out/interrupt.json [--after 25]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
VIDGEN = str(Path(sys.executable).parent / "vidgen")


def interrupted_run(clip: Path, style: Path, after: float, seconds: str, folder: Path) -> dict:
    out = folder / f"out_{seconds}.mp4"
    env = {**os.environ, "VIDGEN_SEGMENT_SECONDS": seconds}
    # Its own process group, as a terminal would start it; Ctrl-C goes to the whole group (vidgen
    # and its ffmpeg processes), and reaches it even when this script runs in a background shell.
    process = subprocess.Popen([VIDGEN, "stylize", str(clip), "--style", str(style), "-o", str(out), "-q"], env=env,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(after)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate()
    code = process.returncode
    state = out.with_name(f".{out.name}.vidgen-resume") / "state.json"
    record = json.loads(state.read_text()) if state.exists() else {}
    return {"VIDGEN_SEGMENT_SECONDS": seconds, "exit_code": code, "message": stderr.strip().splitlines()[-1:],
            "input_frames_kept": record.get("inputs_done", 0), "segments": record.get("counts", [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clip", type=Path, default=SHARED / "video" / "dog_walk.mp4")
    parser.add_argument("--style", type=Path, default=SHARED / "style" / "fns_candy.jpg")
    parser.add_argument("--after", type=float, default=25.0, help="seconds before Ctrl-C")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = [interrupted_run(args.clip, args.style, args.after, seconds, Path(folder)) for seconds in ("10", "0")]
    result = {"clip": str(args.clip), "style": str(args.style), "ctrl_c_after_seconds": args.after, "runs": runs,
              "command": f"PYTHONPATH=. python bench/interrupt.py --out {args.out} --after {args.after:g}"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
