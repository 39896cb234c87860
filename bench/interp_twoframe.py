"""Two-frame `flow` variants against the shipped settings on held-out video-train triplets, in process.

    VIDGEN_THREADS=1 PYTHONPATH=. python bench/interp_twoframe.py --out twoframe.json \
        --variants '{"median5": {"flow_filter": "median5"}}' [--sets heldout,heldout-wide,heldout@256] [--every 2]

Each variant is FLOW_MODEL_SETTINGS with the given fields replaced; `--baseline` (JSON of fields,
default none) is the reference. Reported per set: the mean PSNR of each, its difference to the
reference, and on how many triplets it wins / loses by more than 0.01 dB, plus the median
difference, so a mean carried by one triplet shows. Sets: `heldout`, `heldout-wide` (see
bench/interpolate.py) and `NAME@SIDE`: the same triplets scaled to a long side of SIDE px (256
stands in for UCF101-sized frames). Only held-out video-train data: never UCF101 or Middlebury.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interpolate import fit, triplets  # noqa: E402

from vidgen_cli.interpolate.engine import FlowEngine  # noqa: E402
from vidgen_cli.vision.interpolation import FLOW_MODEL_SETTINGS, FlowSettings  # noqa: E402
from vidgen_cli.vision.metrics import psnr  # noqa: E402


def load(name: str, every: int, cache: Path | None) -> list:
    base, _, side = name.partition("@")
    path = cache / f"{base}-{every}.npz" if cache else None
    if path and path.is_file():
        z = np.load(path, allow_pickle=True)
        data = list(z["data"])
    else:
        data = triplets(base, None, every)
        if path:
            np.savez(path, data=np.array(data, dtype=object))
    if side:
        data = [(seq, *(fit(im, int(side)) for im in trio)) for seq, *trio in data]
    return data


def run(data: list, settings: dict) -> tuple[list[float], float]:
    engine = FlowEngine(FlowSettings(**settings))
    started = time.perf_counter()
    scores = [psnr(engine.at(engine.prepare(a, b), 0.5), m) for _, a, m, b in data]
    return scores, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--variants", required=True, help='JSON {"label": {FlowSettings fields}, ...}')
    parser.add_argument("--baseline", default="{}", help="JSON of fields replaced in FLOW_MODEL_SETTINGS for the reference")
    parser.add_argument("--sets", default="heldout,heldout-wide,heldout@256")
    parser.add_argument("--every", type=int, default=1, help="every Nth training clip (quick runs)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidgen-twoframe-cache"), help="decoded triplets")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    base = {**FLOW_MODEL_SETTINGS, **json.loads(args.baseline)}
    variants = {label: {**FLOW_MODEL_SETTINGS, **fields} for label, fields in json.loads(args.variants).items()}
    report: dict = {"command": " ".join(["python", *sys.argv]), "baseline": base}
    for name in args.sets.split(","):
        data = load(name, args.every, args.cache)
        ref, ref_s = run(data, base)
        out = {"triplets": len(data), "baseline": {"psnr": round(float(np.mean(ref)), 3), "seconds": round(ref_s, 1)}}
        print(name, "baseline", out["baseline"], file=sys.stderr, flush=True)
        for label, settings in variants.items():
            scores, seconds = run(data, settings)
            diff = np.array(scores) - np.array(ref)
            out[label] = {"psnr": round(float(np.mean(scores)), 3), "vs_baseline": round(float(diff.mean()), 3),
                          "median_diff": round(float(np.median(diff)), 3), "wins": int((diff > 0.01).sum()),
                          "losses": int((diff < -0.01).sum()), "seconds": round(seconds, 1),
                          "worst": [(data[i][0], round(float(diff[i]), 2)) for i in np.argsort(diff)[:3]],
                          "best": [(data[i][0], round(float(diff[i]), 2)) for i in np.argsort(diff)[::-1][:3]]}
            print(name, label, out[label], file=sys.stderr, flush=True)
        report[name] = out
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
