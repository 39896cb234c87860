"""What resumable segments cost in file size: the same clip through the job runner (identity
processor, default x264 settings) with segments of 240 frames (the frame limit) and of the
lengths a slow job gets from the 10 s limit (e.g. 25 frames at 2.5 fps), as ratios to 240.

    PYTHONPATH=. python bench/segments.py --out bench/out/segments.json [--clip PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from vidgen_cli.io.probe import probe
from vidgen_cli.runtime.job import OutputSettings, run_job
from vidgen_cli.runtime.processor import Identity

DEFAULT_CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video" / "dog_walk.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--lengths", default="240,48,25,10", help="segment lengths in frames; the first is the reference")
    args = parser.parse_args()
    info = probe(args.clip)
    lengths = [int(n) for n in args.lengths.split(",")]
    sizes: dict[int, int] = {}
    os.environ["VIDGEN_SEGMENT_SECONDS"] = "0"  # cut by frame count only, so the lengths are exact
    with tempfile.TemporaryDirectory() as folder:
        for length in lengths:
            os.environ["VIDGEN_SEGMENT_FRAMES"] = str(length)
            out = Path(folder) / f"seg{length}.mp4"
            run_job(str(args.clip), str(out), Identity(), info.fps or Fraction(25), OutputSettings(audio=False), {"bench": length}, info=info)
            sizes[length] = out.stat().st_size
    reference = sizes[lengths[0]]
    result = {
        "clip": str(args.clip), "width": info.width, "height": info.height, "frames": info.frame_count,
        "reference_segment_frames": lengths[0],
        "bytes": {str(k): v for k, v in sizes.items()},
        "size_ratio_to_reference": {str(k): round(v / reference, 4) for k, v in sizes.items()},
        "command": "PYTHONPATH=. python bench/segments.py " + " ".join(f"--{k} {v}" for k, v in [("out", args.out), ("clip", args.clip), ("lengths", args.lengths)]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["size_ratio_to_reference"]))


if __name__ == "__main__":
    main()
