"""`predict` as a FrameProcessor: pass the clip through (or not), keep the last frames as
context, and at the cut point (the end, or --at) append the predicted frames."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np


class ExtendProcessor:
    def __init__(self, predictor: Any, frames: int, context: int, at: int | None = None, only_new: bool = False) -> None:
        self.predictor = predictor
        self.frames = frames
        self.at = at  # index of the last input frame to use; None = the end of the clip
        self.only_new = only_new
        self.context: deque[np.ndarray] = deque(maxlen=max(1, context))
        self.seen = 0

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        if self.at is not None and self.seen > self.at:
            return []  # after the cut point: what really happened is not part of the output
        self.seen += 1
        self.context.append(frame)
        return [] if self.only_new else [frame]

    def flush(self) -> list[np.ndarray]:
        if not self.context:
            return []
        return list(self.predictor.predict(list(self.context), self.frames))

    def state_dict(self) -> dict[str, Any]:
        return {"context": np.stack(self.context) if self.context else np.zeros((0, 1, 1, 3), np.uint8), "seen": np.array(self.seen)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.context.clear()
        self.context.extend(list(state["context"]))
        self.seen = int(state["seen"])
