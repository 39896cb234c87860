"""Fit the frames a reader yields (RGB or RGBA, 8 or 16 bits per channel) to what a processor takes.

A processor that declares `takes_alpha = True` / `takes_deep = True` gets RGBA / uint16 frames as
they are (the interpolator moves alpha with the colour's motion). Any other processor gets 8-bit
RGB; a one-to-one processor (`one_to_one = True`: each input frame gives exactly one output
frame, e.g. stylize) gets each frame's alpha put back on its output, and for the others the alpha
is dropped with a warning.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

import numpy as np

from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.pixels import is_hdr
from vidgen_cli.runtime.processor import FrameProcessor
from vidgen_cli.vision.planes import eight_bit

WarnFn = Callable[[str], None]


class FittedProcessor:
    """Wraps a FrameProcessor: reduces frames to what it takes and re-attaches alpha to its output."""

    def __init__(self, processor: FrameProcessor, keep_alpha: bool, reduce_depth: bool, drop_alpha: bool) -> None:
        self.processor, self.keep_alpha, self.reduce_depth, self.drop_alpha = processor, keep_alpha, reduce_depth, drop_alpha
        self._alphas: deque[np.ndarray] = deque()

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        if self.reduce_depth and frame.dtype == np.uint16:
            frame = eight_bit(frame)
        if frame.shape[2] == 4 and (self.keep_alpha or self.drop_alpha):
            if self.keep_alpha:
                self._alphas.append(frame[..., 3])
            frame = np.ascontiguousarray(frame[..., :3])
        return self._attach(self.processor.push(frame))

    def flush(self) -> list[np.ndarray]:
        return self._attach(self.processor.flush())

    def _attach(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        if not self.keep_alpha:
            return frames
        return [np.dstack([out, self._alphas.popleft()]) if self._alphas else out for out in frames]

    def state_dict(self) -> dict[str, Any]:
        return self.processor.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.processor.load_state_dict(state)


def fit_processor(processor: FrameProcessor, pixels: PixelInfo, warn: WarnFn) -> FrameProcessor:
    """`processor` adapted to frames with `pixels` (see the module docstring); warns once per input
    about what it cannot keep."""
    deep = pixels.bit_depth > 8
    takes_deep = getattr(processor, "takes_deep", False)
    takes_alpha = getattr(processor, "takes_alpha", False)
    one_to_one = getattr(processor, "one_to_one", False)
    if deep or is_hdr(pixels):
        work = "in float on 16-bit frames" if takes_deep else "on 8 bits per channel"
        tags = f" ({pixels.primaries or 'untagged'}/{pixels.transfer or 'untagged'})" if pixels.primaries or pixels.transfer else ""
        warn(f"input is {pixels.bit_depth}-bit{' HDR' if is_hdr(pixels) else ''}{tags}: "
             f"the models were trained on 8-bit SDR footage; vidgen works {work} and writes the output with the "
             f"input's colour tags and {pixels.bit_depth} bits where the output stores them"
             + ("; HDR mastering-display and content-light metadata are not carried" if is_hdr(pixels) else ""))
    if pixels.alpha and not takes_alpha and not one_to_one:
        warn("alpha dropped: this command's frames do not line up one-to-one with the input's, so their alpha is unknown")
    keep_alpha = pixels.alpha and not takes_alpha and one_to_one
    reduce_depth = deep and not takes_deep
    drop_alpha = pixels.alpha and not takes_alpha and not one_to_one
    if not (keep_alpha or reduce_depth or drop_alpha):
        return processor
    return FittedProcessor(processor, keep_alpha, reduce_depth, drop_alpha)
