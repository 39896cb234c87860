"""When each output frame plays: output index -> seconds on the source's timeline.

A model command decodes frames with their real presentation times (variable frame rate, a video
stream that starts after the audio, a trimmed file) and must write its output on the same
timeline, or picture and sound drift apart. A clock maps output frame k to a time, given
`time_of(i)`, the time of input frame i (known for every input frame decoded so far):

- `same_times`: one output per input (stylize): each frame keeps its time.
- `factor_times(n)`: n outputs per input interval (interpolate --factor): new frames at the true
  fractions of each interval, so a variable-rate input stays variable-rate and in sync.
- `rate_times(fps)`: an even grid from the first frame (interpolate --fps): the timeline resampled.
- `listed_times(times, fps)`: output frames at times given ahead (motion replay: the captured motion's).
- `extend_times(used, fps)`: the inputs kept, then predicted frames one last input interval apart
  (predict: the model continues the motion of one frame step).

`TimedSink` stamps each frame a writer receives with its clock's time.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

TimeOf = Callable[[int], Fraction]
Clock = Callable[[int, TimeOf], Fraction]


def same_times(k: int, time_of: TimeOf) -> Fraction:
    return time_of(k)


def factor_times(factor: int) -> Clock:
    def clock(k: int, time_of: TimeOf) -> Fraction:
        index, step = divmod(k, factor)
        start = time_of(index)
        return start if step == 0 else start + (time_of(index + 1) - start) * Fraction(step, factor)

    return clock


def rate_times(fps: Fraction) -> Clock:
    def clock(k: int, time_of: TimeOf) -> Fraction:
        return time_of(0) + k / Fraction(fps)

    clock.constant_rate = True  # type: ignore[attr-defined]
    return clock


def listed_times(times: np.ndarray, fps: Fraction) -> Clock:
    """Output frame k at the k-th of `times` (seconds, any origin), counted from input frame 0's time
    (a captured motion's own, possibly variable, frame times); past the list, 1/fps apart."""
    offsets = [Fraction(float(t) - float(times[0])).limit_denominator(10**6) for t in times]

    def clock(k: int, time_of: TimeOf) -> Fraction:
        if k < len(offsets):
            return time_of(0) + offsets[k]
        return time_of(0) + offsets[-1] + (k - len(offsets) + 1) / Fraction(fps)

    clock.own_times = True  # type: ignore[attr-defined]
    return clock


def has_own_times(clock: Clock) -> bool:
    """Whether `clock` sets its own variable times (listed_times), which the output keeps frame by
    frame even when the input (a still) has no timeline of its own."""
    return bool(getattr(clock, "own_times", False))


def is_constant_rate(clock: Clock) -> bool:
    """Whether `clock` puts frames on an even grid (1/fps apart from the first), whatever the input's
    timing: its output is written at the exact rate's time base (30/1, 30000/1001), not per-frame times."""
    return bool(getattr(clock, "constant_rate", False))


def extend_times(used: int | None, fps: Fraction, only_new: bool = False) -> Clock:
    """`used` input frames pass through (None: all), then new frames as far apart as the last two
    kept frames (1/fps with only one). With only_new the inputs are not written but the new frames
    keep their times after input frame `used - 1` (a stream of unknown length: from 0)."""

    def clock(k: int, time_of: TimeOf) -> Fraction:
        if only_new:
            if used is None:
                return k / Fraction(fps)
            k += used
        if used is None or k < used:
            return time_of(k)
        last = time_of(used - 1)
        return last + (k - used + 1) * extend_step(used, fps, time_of)

    return clock


def extend_step(used: int, fps: Fraction, time_of: TimeOf) -> Fraction:
    """How far apart extend_times puts the new frames after `used` input frames: the last two kept
    frames' interval (1/fps with only one). The last kept frame lasts this long in the output, so
    its sound runs to time_of(used - 1) + this (a VFR clip's 1/average rate cut it short)."""
    step = time_of(used - 1) - time_of(used - 2) if used >= 2 else 1 / Fraction(fps)
    return step if step > 0 else 1 / Fraction(fps)


class TimedSink:
    """Wraps a frame writer: frame k is written with `clock(k, time_of)` as its time."""

    def __init__(self, inner: Any, clock: Clock, time_of: TimeOf) -> None:
        self.inner, self.clock, self.time_of = inner, clock, time_of
        self.written = 0

    def write(self, frame: np.ndarray) -> None:
        self.inner.write(frame, self.clock(self.written, self.time_of))
        self.written += 1

    def __getattr__(self, name: str) -> Any:  # close, abort, mark, resume_point, outputs_done...
        return getattr(self.inner, name)
