"""Parity of the motion estimators: interpolation quality with OpenCV's DIS vs the torch DIS port, on the CPU.

    PYTHONPATH=. python bench/flow_parity.py --out flow_parity.json [--sets ucf101,middlebury,heldout] [--models flow,fusion]

Each triplet's middle frame is made from its outer frames by the interpolation engine the CLI runs
(`make_engine(model)`, prepare + at t=0.5), once with each estimator ($VIDGEN_FLOW=dis and =torch;
everything else identical), and scored against the ground truth (PSNR and SSIM, RGB 0-255, the
library of `vidgen eval`). Sets: UCF101 and Middlebury at their native size (evaluation only;
nothing was chosen on them) and `heldout`, triplets from the last 20% of the ../shared/data/video-train
clips (the torch estimator's smoothness weight was chosen there). Also the seconds each estimator
took over a set (the whole engine, single-threaded torch unless $VIDGEN_THREADS says otherwise).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gpu import flow_choice  # noqa: E402
from interpolate import triplets  # noqa: E402

from vidgen_cli.vision.metrics import psnr, ssim  # noqa: E402


def score(model: str, kind: str, data: list) -> dict:
    from vidgen_cli.device import choose
    from vidgen_cli.interpolate.processor import make_engine

    with flow_choice(kind):
        engine = make_engine(model, choose("cpu"))
    assert engine.flow_kind == kind
    psnrs, ssims, started = [], [], time.perf_counter()
    for _, first, truth, last in data:
        middle = engine.at(engine.prepare(first, last), 0.5)
        psnrs.append(psnr(middle, truth))
        ssims.append(ssim(middle, truth))
    return {"psnr": round(float(np.mean(psnrs)), 3), "ssim": round(float(np.mean(ssims)), 4),
            "seconds": round(time.perf_counter() - started, 1), "per_triplet_psnr": [round(float(p), 3) for p in psnrs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", default="ucf101,middlebury,heldout")
    parser.add_argument("--models", default="flow,fusion")
    parser.add_argument("--every", type=int, default=1, help="every Nth triplet (clip for heldout): a quick subset")
    args = parser.parse_args()
    import torch

    from vidgen_cli.device import set_threads

    threads = set_threads()
    result = {"command": " ".join(sys.argv), "machine": platform.machine(), "torch": torch.__version__,
              "threads": threads, "sets": {}}
    for name in args.sets.split(","):
        data = triplets(name, None, args.every)
        entry = {"triplets": len(data)}
        for model in args.models.split(","):
            runs = {kind: score(model, kind, data) for kind in ("dis", "torch")}
            runs["torch_minus_dis_db"] = round(runs["torch"]["psnr"] - runs["dis"]["psnr"], 3)
            entry[model] = runs
            print(name, model, {k: (v if not isinstance(v, dict) else {a: b for a, b in v.items() if a != "per_triplet_psnr"})
                                for k, v in runs.items()}, file=sys.stderr, flush=True)
        result["sets"][name] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
