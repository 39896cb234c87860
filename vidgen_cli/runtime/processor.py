"""The shape every model pipeline takes: a push-based frame processor with a small, saveable state.

Processors must not modify arrays they returned from `state_dict()` in place (they are saved
later, from another thread). Pushing one input frame returns the output frames it completes; `flush()` returns the rest at the
end. Because the state between two input frames is explicit (`state_dict()`), a long run can be
cut into segments and resumed exactly where it stopped (see runtime/resume.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class FrameProcessor(Protocol):
    def push(self, frame: np.ndarray) -> list[np.ndarray]: ...

    def flush(self) -> list[np.ndarray]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class Mark:
    """Travels in order with the output frames: all inputs before `inputs_done` are fully emitted
    (or held in `state`, e.g. a pair waiting for the next one), and `state` is the processor's state
    at that point. A segmenting writer may cut here."""

    inputs_done: int
    state: dict[str, Any]


def as_process(processor: FrameProcessor, marks: bool = False, first_input: int = 0,
               ) -> Callable[[Iterable[np.ndarray]], Iterator[Any]]:
    """Adapt a FrameProcessor to the generator form that runtime/threads.py drives."""

    def process(frames: Iterable[np.ndarray]) -> Iterator[Any]:
        done = first_input
        for frame in frames:
            yield from processor.push(frame)
            done += 1
            if marks:
                yield Mark(done, processor.state_dict())
        yield from processor.flush()

    return process


class Identity:
    """Passes frames through; the trivial processor (tests, benchmarks)."""

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        return [frame]

    def flush(self) -> list[np.ndarray]:
        return []

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass
