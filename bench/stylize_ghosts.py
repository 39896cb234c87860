"""Ghost residue of the flow canvas on passing-object clips (issue 13), per-frame beside it.

    PYTHONPATH=. python bench/stylize_ghosts.py --out bench/out/stylize_ghosts.json

Clips: a synthesized textured background, and each photo in ../shared/data/content as the background
(with a crop of the next photo as the object), 480x270, the style Starry Night. See tests/ghosts.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--photos", type=int, default=2, help="photo-background clips (plus one synthesized)")
    parser.add_argument("--style", default="vangogh_starry_night.jpg")
    parser.add_argument("--frames", type=int, default=48)
    args = parser.parse_args()
    import torch

    from ghosts import ghost_residue, passing_object
    from vidgen_cli.stylize.processor import Stylizer

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    photos = sorted((DATA / "content").glob("*.jpg"))
    read = lambda p: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)  # noqa: E731
    clips = [("synthetic", None, None)]
    for i, photo in enumerate(photos[: args.photos]):
        other = read(photos[(i + 1) % len(photos)])
        h, w = other.shape[:2]
        clips.append((photo.stem, read(photo), other[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3]))
    style = DATA / "style" / args.style
    result = {"style": args.style, "clips": []}
    for name, bg, thing in clips:
        with_obj, without, swept, size = passing_object(270, 480, args.frames, background=bg, thing=thing, seed=3)
        entry = {"clip": name}
        for method in ("off", "flow"):
            stylizer = Stylizer([style], consistency=method)
            start = time.perf_counter()
            a = list(stylizer.run(with_obj))
            b = list(stylizer.run(without))
            mean, worst = ghost_residue(a, b, swept, size)
            entry[method] = {"residue": round(mean, 2), "worst_window": round(worst, 2), "seconds": round(time.perf_counter() - start, 1)}
            if method == "flow":
                stem = str(args.out.with_suffix(""))
                cv2.imwrite(f"{stem}_{name}_last.png", cv2.cvtColor(np.concatenate([a[-1], b[-1]], 1), cv2.COLOR_RGB2BGR))
                cv2.imwrite(f"{stem}_{name}_mid.png", cv2.cvtColor(a[len(a) // 3], cv2.COLOR_RGB2BGR))
        result["clips"].append(entry)
        print(json.dumps(entry), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
