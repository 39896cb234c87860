"""Temporal warping error of one video: how much it flickers where the motion says it should not change.

For each consecutive pair of frames (t-1, t), frame t-1 is warped onto frame t with Farneback flow
and the mean squared difference (0-255 scale, over colour channels) is taken over the pixels that
pass a forward-backward consistency check (occlusions left out). This is the stylization metric of
vidgen_cli.vision.metrics (Lai et al., "Learning Blind Video Temporal Consistency", ECCV 2018, use
the same construction). By default the flow is measured on the video itself; with a source (the
video a stylized or restored one was made from) it is measured on the source, so that a method
cannot hide flicker by blurring motion away. Lower is steadier; a still video scores 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.evaluate.pairs import MatchedFrames
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.probe import probe
from vidgen_cli.vision.metrics import pair_flows, warping_error
from vidgen_cli.vision.planes import rgb8


@dataclass
class Flicker:
    video: str
    flow_from: str
    per_pair: list[float] = field(default_factory=list)  # error of frame t against t-1, t = 1..n-1

    @property
    def mean(self) -> float:
        return float(np.mean(self.per_pair)) if self.per_pair else 0.0

    def to_json(self, per_frame: bool = False) -> dict:
        out = {"video": self.video, "flow_from": self.flow_from, "pairs": len(self.per_pair),
               "warping_error": round(self.mean, 4)}
        if per_frame:
            out["per_frame"] = [{"index": i + 1, "warping_error": round(e, 4)} for i, e in enumerate(self.per_pair)]
        return out


def flicker(video: str, source: str | None = None, resize: bool = False, partial: bool = False,
            on_frame: Callable[[int], None] | None = None, offset: float | None = None) -> Flicker:
    """Warping error of `video`; flow from `source` when given (matched to the video like `compare`).

    Raises InputError for an unreadable input or, with a source, sizes or lengths that differ
    (see vidgen_cli.evaluate.pairs.MatchedFrames).
    """
    result = Flicker(video, source or video)
    if source is None:
        info = probe(video)
        if info.kind == "image" or (info.frame_count and info.frame_count < 2):
            raise InputError(_too_few(video, info.frame_count or 1))
        with open_input(video, info=info) as reader:
            frames = ((view, view) for view in map(rgb8, reader))  # 8-bit RGB, as MatchedFrames gives
            _accumulate(frames, result, on_frame)
    else:
        pairs = MatchedFrames(source, video, resize, partial, offset)
        if len(pairs) < 2:
            raise InputError(_too_few(video, len(pairs), f" matched with {source}"))
        _accumulate(((p.reference, p.test) for p in pairs), result, on_frame)
    if not result.per_pair:  # the probe announced more frames than the decoder gave
        raise InputError(_too_few(video, 1, " decoded"))
    return result


def _too_few(video: str, frames: int, how: str = "") -> str:
    return (f"{video}: flicker needs at least 2 frames (a pair to warp one onto the next); it has {frames}{how}; "
            "pass a video or a frames folder of at least 2 frames")


def _accumulate(frames, result: Flicker, on_frame: Callable[[int], None] | None) -> None:
    """frames: (flow frame, scored frame) in order; two of each are held at a time."""
    previous = None
    for count, (flow_frame, scored) in enumerate(frames, 1):
        if previous is not None:
            flows = pair_flows([previous[0], flow_frame])
            result.per_pair.append(warping_error([previous[1], scored], flows))
        previous = (flow_frame, scored)
        if on_frame is not None:
            on_frame(count)
