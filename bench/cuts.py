"""Compare vidgen's shot cuts with PySceneDetect's on the shared evaluation clips.

Runs `split`'s own detector (convert/split.detect_cut_times, the CLI's code path) and, in a
separate interpreter that has PySceneDetect installed (--scenedetect-python; PySceneDetect
is not a vidgen dependency), `scenedetect`'s ContentDetector and AdaptiveDetector with their
default settings. Writes one JSON record per clip with both cut lists and their agreement
(cuts within --tolerance seconds of each other).

    python bench/cuts.py --scenedetect-python /tmp/sdvenv/bin/python --out bench/results/cuts.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from vidgen_cli.convert.split import detect_cut_times
from vidgen_cli.io.probe import probe

_SCENEDETECT = """
import json, sys
from scenedetect import detect, ContentDetector, AdaptiveDetector
out = {}
for name, detector in (("content", ContentDetector()), ("adaptive", AdaptiveDetector())):
    scenes = detect(sys.argv[1], detector)
    out[name] = [start.get_seconds() for start, _ in scenes[1:]]
print(json.dumps(out))
"""


def matched(a: list[float], b: list[float], tolerance: float) -> int:
    """How many cuts of `a` have a cut of `b` within `tolerance` seconds (each used once)."""
    free = list(b)
    hits = 0
    for t in a:
        near = [x for x in free if abs(x - t) <= tolerance]
        if near:
            free.remove(min(near, key=lambda x: abs(x - t)))
            hits += 1
    return hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clips", nargs="*", default=sorted(str(p) for p in Path("../shared/data/video").iterdir()))
    parser.add_argument("--scenedetect-python", required=True)
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--out", default="bench/results/cuts.json")
    args = parser.parse_args()
    records = []
    for clip in args.clips:
        start = time.perf_counter()
        ours = detect_cut_times(probe(clip))
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        theirs = json.loads(subprocess.run([args.scenedetect_python, "-c", _SCENEDETECT, clip], capture_output=True,
                                           text=True, check=True).stdout)
        theirs_s = time.perf_counter() - start
        record = {"clip": Path(clip).name, "vidgen": [round(t, 3) for t in ours], "vidgen_s": round(ours_s, 2),
                  "scenedetect_s": round(theirs_s, 2)}
        for name, cuts in theirs.items():
            record[name] = [round(t, 3) for t in cuts]
            record[f"{name}_matched"] = matched(ours, cuts, args.tolerance)
        records.append(record)
        print(json.dumps(record), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"tolerance_s": args.tolerance, "clips": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
