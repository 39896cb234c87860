"""The exact frame rate of a stream from its packet times (a Fraction), and whether it varies.

Split from io/probe.py, which reads the packet times.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

_STANDARD_RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30), Fraction(48),
                   Fraction(50), Fraction(60000, 1001), Fraction(60), Fraction(120), Fraction(15), Fraction(12), Fraction(10),
                   Fraction(20), Fraction(8), Fraction(100)]


def snap_rate(mean: float, banner: Fraction | None, tolerance: float = 0.002) -> Fraction:
    """The container's declared rate or a standard one when within 0.2% of the measured mean."""
    if banner and abs(float(banner) - mean) / mean < tolerance:
        return banner
    nearest = min(_STANDARD_RATES, key=lambda candidate: abs(float(candidate) - mean))  # 30 must not snap to 29.97
    if abs(float(nearest) - mean) / mean < tolerance:
        return nearest
    return Fraction(mean).limit_denominator(1001)


def frame_rate(pts: np.ndarray, durations: np.ndarray, time_base: Fraction, banner_fps: Fraction | None) -> tuple[Fraction | None, bool]:
    """Exact frame rate and whether the frame rate varies.

    With a fine time base (mp4: thousands of ticks a frame) the most common frame interval is
    exact. With a coarse one (mkv/webm: milliseconds) intervals alternate (33, 34, 33 ms), so the
    mean rate over the clip is snapped to the declared or a standard rate. The same holds where
    the times are coarser than the time base says: a Matroska file remuxed into .mp4 keeps its
    millisecond times in 1/16000 s ticks (528, 544, 528): times that sit within their resolution
    (the intervals' greatest common divisor) of a constant rate are that rate, not a variable one.
    """
    if len(pts) < 2:
        positive = durations[durations > 0]
        if len(positive):
            return 1 / (int(positive[0]) * time_base), False
        return banner_fps, False
    deltas = np.diff(pts)
    deltas = deltas[deltas > 0]
    if len(deltas) == 0:
        return banner_fps, False
    common = Counter(deltas.tolist()).most_common(1)[0][0]
    mean = (len(pts) - 1) / float((pts[-1] - pts[0]) * time_base)
    fps = 1 / (common * time_base) if common >= 100 else snap_rate(mean, banner_fps)
    seconds = (pts - pts[0]) * float(time_base)
    drift = np.abs(seconds - np.arange(len(pts)) / float(fps))
    vfr = bool(drift.max() > max(2 * float(time_base), 0.25 / float(fps)))
    if vfr and (rounded := _rounded_rate(pts, deltas, time_base, mean, banner_fps)):
        return rounded, False
    if vfr:
        fps = Fraction(mean).limit_denominator(1001)
    return fps, vfr


def _rounded_rate(pts: np.ndarray, deltas: np.ndarray, time_base: Fraction, mean: float, banner_fps: Fraction | None) -> Fraction | None:
    """The constant rate (declared or standard, snap_rate) whose frame times, rounded to the
    timestamps' resolution (the gcd of the intervals: 1 ms for Matroska times remuxed into a finer
    time base), are `pts`; None when there is none or the resolution is over a tenth of a frame (a
    coarse grid with dropped frames is a variable rate)."""
    resolution = int(np.gcd.reduce(deltas)) * time_base
    rate = snap_rate(mean, banner_fps)
    if resolution > Fraction(1, 10) / rate:
        return None
    if fits_rate(pts, time_base, rate, resolution):
        return rate
    # Not a declared or standard rate (179/6 for 29.83 fps): the simplest one the last frame's time allows
    span, frames = int(pts[-1] - pts[0]) * time_base, len(pts) - 1
    rate = _simplest_between(frames / (span + resolution), frames / (span - resolution))
    return rate if rate.denominator <= 1001 and fits_rate(pts, time_base, rate, resolution) else None


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in [low, high] (0 < low <= high), by continued fractions."""
    whole = low.numerator // low.denominator
    if whole == low or whole + 1 <= high:
        return Fraction(whole if whole == low else whole + 1)
    return whole + 1 / _simplest_between(1 / (high - whole), 1 / (low - whole))


def fits_rate(pts: np.ndarray, time_base: Fraction, rate: Fraction, resolution: Fraction | None = None) -> bool:
    """Whether every timestamp (time-base units) is frame i at `rate` from the first, to within one
    tick of the time base (Matroska rounds each time to the millisecond), or of `resolution`
    seconds where the times are coarser than their time base."""
    if len(pts) < 2:
        return True
    seconds = (pts - pts[0]).astype(np.float64) * float(time_base)
    tick = float(resolution if resolution is not None else time_base)
    return bool(np.abs(seconds - np.arange(len(pts)) / float(rate)).max() <= 1.01 * tick + 1e-9)


def peak_rate(times: np.ndarray | list[float]) -> Fraction | None:
    """The frame rate of a variable-rate timeline's fastest stretch (`times`: each frame's time in
    seconds, increasing): 1 / its 10th-percentile frame interval, which a few jittered or glitched
    intervals do not move, snapped to a standard rate within 5% (a phone's 30 fps that jitters
    between 31 and 36 ms). None with fewer than two frames.

    A constant-rate container (AVI, Y4M) written at this rate repeats frames in the slow stretches
    and drops none of the fast ones; the average rate (what probe reports for VFR) drops one frame
    in three of a 30 fps stretch in a clip that averages 20 fps."""
    intervals = np.diff(np.asarray(times, np.float64))
    intervals = intervals[intervals > 0]
    if not len(intervals):
        return None
    rate = 1 / float(np.percentile(intervals, 10))
    nearest = min(_STANDARD_RATES, key=lambda candidate: abs(float(candidate) - rate))
    return nearest if abs(float(nearest) - rate) / rate < 0.05 else Fraction(rate).limit_denominator(1001)


def even_times(times: list[Fraction] | list[float], rate: Fraction) -> bool:
    """Whether `times` (seconds from the first frame) are frame k at `rate`, to within half a
    millisecond or their own resolution (the gcd of their intervals, up to a tenth of a frame): a
    Matroska source's times in split's manifest are whole milliseconds, up to 0.5 ms off its
    59.94 fps grid, and that is a constant rate, not a variable one."""
    if len(times) < 2:
        return True
    micro = np.round(np.array([float(t) for t in times], np.float64) * 1e6).astype(np.int64)
    deltas = np.diff(micro)
    deltas = deltas[deltas > 0]
    resolution = Fraction(int(np.gcd.reduce(deltas)), 10**6) if len(deltas) else Fraction(0)
    if resolution > Fraction(1, 10) / rate:
        resolution = Fraction(0)
    return fits_rate(micro, Fraction(1, 10**6), rate, max(resolution, Fraction(1, 2000)))
