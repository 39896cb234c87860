"""Same-process A/B of the stylization transformer's sub-pixel upsampling at 720p.

    PYTHONPATH=. python bench/stylize_layers.py --out bench/out/stylize_layers.json

Times the Magenta teacher with its x2 upsampling layers run as nearest upsampling then a conv (the
plain form) and as the identical sub-pixel conv at low resolution (what vidgen runs), interleaved,
one torch thread, and writes the medians and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F

    from vidgen_cli.models import magenta
    from vidgen_cli.weights import magenta_onnx

    torch.set_num_threads(1)
    net = magenta_onnx.load_transformer().eval().to(memory_format=torch.channels_last)
    style = torch.randn(1, 100)
    frame = torch.rand(1, 3, 720, 1280).contiguous(memory_format=torch.channels_last)
    subpixel = magenta._Upsample.forward

    def plain(self, x, style):
        if self.scale != 1:
            x = F.interpolate(x, scale_factor=self.scale, mode="nearest")
        return self.norm(self.conv(x), style)

    seconds: dict[str, list[float]] = {"plain": [], "subpixel": []}
    try:
        with torch.inference_mode():
            for _ in range(args.repeat):
                for name, forward in (("plain", plain), ("subpixel", subpixel)):
                    magenta._Upsample.forward = forward
                    net(frame, style)  # warm-up for this variant
                    start = time.perf_counter()
                    net(frame, style)
                    seconds[name].append(time.perf_counter() - start)
    finally:
        magenta._Upsample.forward = subpixel
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    result = {
        "size": [1280, 720],
        "threads": 1,
        "repeat": args.repeat,
        "median_seconds": {k: round(v, 4) for k, v in medians.items()},
        "subpixel_speedup": round(medians["plain"] / medians["subpixel"], 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
