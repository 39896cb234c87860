"""The motion file: a camera path written by `vidgen motion capture` and read by `replay`.

JSON, version 1:
    {"format": "vidgen-motion", "version": 1, "source": "clip.mp4",
     "size": [w, h], "fps": "25/1",
     "frames": [{"t": 0.0, "H": [[1,0,0],[0,1,0],[0,0,1]]}, ...]}
`t` is the frame's presentation time in seconds on the source's own timeline (from its first
frame; VFR kept), so a path captured from `--start 2` begins near t = 2;
`H` maps the path's first frame's pixel coordinates (x, y, 1) to frame-k pixel coordinates, rows first.
Optional (absent in files written before: 0): `first_frame`, the source frame index the path
starts at, and `start`, where that frame lies on the source file's timeline in seconds, as
`--start` reads it (pass it to `--start` to work on the same frames).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.io.outputs import commit, temporary_sibling

FORMAT = "vidgen-motion"


@dataclass
class MotionPath:
    """size: (width, height) of the frames the path was measured on; fps: the nominal rate;
    times: N float64 seconds; H: N x 3 x 3 float64."""

    size: tuple[int, int]
    fps: Fraction
    times: np.ndarray
    H: np.ndarray
    source: str = ""
    first_frame: int = 0  # the source frame index of the path's first frame (--start)
    start: float = 0.0  # that frame's time on the source file's timeline, seconds, as --start reads it

    def __len__(self) -> int:
        return len(self.H)

    def variable_rate(self) -> bool:
        """Whether the frames' times stray from the even 1/fps grid by more than a quarter frame (VFR)."""
        grid = self.times[0] + np.arange(len(self.times)) / float(self.fps)
        return bool(len(self.times) > 1 and np.abs(self.times - grid).max() > 0.25 / float(self.fps))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": 1, "source": self.source, "size": list(self.size), "fps": str(self.fps),
                "first_frame": self.first_frame, "start": round(self.start, 6),
                "frames": [{"t": round(float(t), 6), "H": [[float(f"{v:.10g}") for v in row] for row in H]}
                           for t, H in zip(self.times, self.H)]}

    def save(self, output: str | os.PathLike[str]) -> None:
        """Write atomically (temporary sibling, then rename); '-' prints to stdout."""
        text = json.dumps(self.to_json(), separators=(",", ":"))
        if str(output) == "-":
            print(text)
            return
        final = Path(output)
        temporary = temporary_sibling(final)
        temporary.write_text(text)
        commit(temporary, final)


def _bad(path: str, what: str) -> InputError:
    return InputError(f"{path}: not a usable motion file ({what}); make one with `vidgen motion capture VIDEO -o MOTION.json`")


def load(path: str | os.PathLike[str]) -> MotionPath:
    """Read and check a motion file. Raises InputError naming what is malformed."""
    name = str(path)
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{name}: no such motion file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(name, f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _bad(name, "the top level is not an object")
    size = data.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise _bad(name, "'size' must be [width, height] in pixels")
    try:
        fps = Fraction(str(data.get("fps"))).limit_denominator(1_000_000)
    except (ValueError, ZeroDivisionError):
        raise _bad(name, f"'fps' {data.get('fps')!r} is not a number or fraction") from None
    if fps <= 0:
        raise _bad(name, "'fps' must be positive")
    first_frame, start = data.get("first_frame", 0), data.get("start", 0.0)
    if not (isinstance(first_frame, int) and first_frame >= 0):
        raise _bad(name, "'first_frame' must be a frame index (a whole number from 0)")
    if not (isinstance(start, (int, float)) and math.isfinite(start)):
        raise _bad(name, "'start' must be a time in seconds")
    frames = data.get("frames")
    if not isinstance(frames, list) or not frames:
        raise _bad(name, "'frames' must be a non-empty list")
    times, mats = [], []
    for k, frame in enumerate(frames):
        try:
            t = float(frame["t"])
            H = np.array(frame["H"], np.float64)
        except (KeyError, TypeError, ValueError):
            raise _bad(name, f"frame {k} needs 't' (seconds) and 'H' (3x3 numbers)") from None
        if H.shape != (3, 3) or not np.all(np.isfinite(H)) or not math.isfinite(t):
            raise _bad(name, f"frame {k}: 'H' must be 3x3 finite numbers and 't' finite")
        if abs(np.linalg.det(H)) < 1e-9 or abs(H[2, 2]) < 1e-12:
            raise _bad(name, f"frame {k}: 'H' is singular")
        if times and t <= times[-1]:
            raise _bad(name, f"frame {k}: time {t} s does not come after {times[-1]} s")
        times.append(t)
        mats.append(H / H[2, 2])
    return MotionPath((size[0], size[1]), fps, np.array(times), np.stack(mats), str(data.get("source", "")),
                      first_frame, float(start))
