"""The frame processor shared by stabilize and replay: frame k is warped by a planned homography."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from vidgen_cli.errors import InputError


class WarpStream:
    """Frame k -> frame k warped by warps[k] (3 x 3, input pixel -> output pixel; bicubic, black
    outside), at `size` (w, h; default the input's). Frames beyond the plan are dropped when
    `drop_extra`, warped by the last warp when `hold_last` (replay: the camera stops where the
    motion ends), otherwise they are an error (the video changed between analysis and rendering).
    An RGBA frame's alpha is warped with its colour (outside the frame: transparent)."""

    takes_alpha = True  # frame k's planes all move by warps[k] (runtime/planes.py)

    def __init__(self, warps: np.ndarray, size: tuple[int, int] | None = None, drop_extra: bool = False,
                 hold_last: bool = False) -> None:
        self.warps, self.size, self.drop_extra, self.hold_last = warps, size, drop_extra, hold_last
        self.index = 0

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        k = self.index
        self.index += 1
        if k >= len(self.warps):
            if self.hold_last and len(self.warps):
                k = len(self.warps) - 1
            elif self.drop_extra:
                return []
            else:
                    raise InputError(f"the video gave more than the {len(self.warps)} frames it had when it was analysed; it may be damaged or changing")
        size = self.size or (frame.shape[1], frame.shape[0])
        return [cv2.warpPerspective(frame, self.warps[k], size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))]

    def flush(self) -> list[np.ndarray]:
        return []

    def state_dict(self) -> dict[str, Any]:
        return {"index": np.array(self.index)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.index = int(state["index"])
