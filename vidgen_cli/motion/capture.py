"""Capture a video's camera motion: one homography per frame (see vision/homography.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.outputs import commit, temporary_sibling
from vidgen_cli.motion.path import MotionPath
from vidgen_cli.runtime.span import WHOLE, Span, span_reader, trim_info
from vidgen_cli.vision.flow import DISFlow, to_gray
from vidgen_cli.vision.homography import KeyframeTracker, TrackerSettings, TrackingLost


class _SpanFrames:
    """The frames of a span with the trimmed info, used like a reader (`info`, iteration, `with`)."""

    def __init__(self, frames: Iterator[np.ndarray], info: VideoInfo) -> None:
        self.frames, self.info = frames, info

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.frames)

    def __enter__(self) -> "_SpanFrames":
        return self

    def __exit__(self, *exc: object) -> None:
        close = getattr(self.frames, "close", None)
        if close is not None:
            close()


def frame_times(info: VideoInfo, count: int) -> np.ndarray:
    """Presentation time (s, from 0) of the first `count` frames: the probed timestamps (VFR kept),
    else frame index / fps."""
    fps = float(info.fps or 25)
    stamps = info.timestamps
    if stamps is not None and len(stamps) >= count:
        return np.asarray(stamps[:count], np.float64) - float(stamps[0])
    return np.arange(count) / fps


def track(frames: Iterable[np.ndarray], settings: TrackerSettings | None = None,
          on_frame: Callable[[int], None] | None = None, dense: Path | None = None,
          held: list[int] | None = None) -> np.ndarray:
    """N x 3 x 3 camera path of RGB frames. `dense`: a folder to receive flow_NNNNNN.npz files
    (frame k-1 -> k DIS flow, float16 H x W x 2 pixels, key 'flow'; none for frame 0). Frames the
    camera cannot be followed into (a flash, a featureless frame) hold the path (KeyframeTracker);
    their indices are appended to `held`. Raises TrackingLost, naming the first frame lost, when
    tracking does not recover before the last frame."""
    tracker = KeyframeTracker(settings)
    flow = DISFlow("medium") if dense is not None else None
    path, previous = [], None
    for k, frame in enumerate(frames):
        gray = to_gray(frame)  # 8-bit luma whatever the source's depth and alpha
        path.append(tracker.push(gray))
        if flow is not None and previous is not None:
            np.savez_compressed(dense / f"flow_{k:06d}.npz", flow=flow(previous, gray).astype(np.float16))
        previous = gray
        if on_frame is not None:
            on_frame(k + 1)
    if len(path) < 2:
        raise InputError(f"the video has {len(path)} frame(s); motion needs at least 2")
    lost = tracker.held
    if lost and lost[-1] == len(path) - 1:  # tracking never recovered: fail at the start of the last lost stretch
        first = next(n for n in range(len(lost) - 1, -1, -1) if n == 0 or lost[n - 1] != lost[n] - 1)
        raise TrackingLost(lost[first], tracker.held_points[first])
    if held is not None:
        held += tracker.held
    return np.stack(path)


def capture(source: str, info: VideoInfo | None = None, settings: TrackerSettings | None = None,
            on_frame: Callable[[int], None] | None = None, dense: str | Path | None = None, span: Span = WHOLE,
            warn: Callable[[str], None] | None = None) -> MotionPath:
    """The camera path of a video file, frames folder or '-'; `span` (runtime/span.py, from
    --start/--end): only those frames, H from the span's first frame, times on the source's
    timeline, and the span's first frame and start recorded in the path. Raises InputError
    (TrackingLost names the frame and time) when the video is too short or too featureless to track;
    frames tracking is lost on (a flash, a cut) hold the path, said in one line to `warn`."""
    whole = info  # a file's own frame numbers and times, which an error names (as --start reads them)
    if not span.whole and info is not None:
        reader = _SpanFrames(span_reader(info, span), trim_info(info, span))
    else:
        reader = open_input(source, info=info) if source != "-" else open_input("-")
    info = reader.info
    folder = temporary = None
    if dense is not None:
        folder = Path(dense)
        temporary = temporary_sibling(folder, is_dir=True)
        temporary.mkdir()
    try:
        held: list[int] = []
        with reader:
            H = track(reader, settings, on_frame, temporary, held)
    except TrackingLost as lost:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        frame = lost.frame + (0 if span.whole else span.first)
        source = whole if whole is not None and not span.whole else info
        when = source.time_of(frame) if source.kind == "video" else float(frame_times(info, lost.frame + 1)[lost.frame])
        raise TrackingLost(frame, lost.points, when) from None
    except BaseException:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    if folder is not None and temporary is not None:
        commit(temporary, folder)
    if held and warn is not None:
        first = held[0] + (0 if span.whole else span.first)
        when = (whole if whole is not None and not span.whole else info)
        seconds = when.time_of(first) if when.kind == "video" else float(frame_times(info, held[0] + 1)[held[0]])
        warn(f"{Path(source).name}: tracking lost on {len(held)} frame(s), first at frame {first} ({seconds:.2f} s): featureless, "
             "a flash or a cut; the camera path is held still over them")
    fps = info.fps or Fraction(25)
    # A span's path keeps its place: times on the source's timeline, and where it starts (--start)
    offset = 0.0 if span.whole else span.start_time
    start = offset + (whole.start_time if whole is not None and whole.kind == "video" else 0.0)
    return MotionPath((info.width, info.height), fps, offset + frame_times(info, len(H)), H, Path(source).name,
                      first_frame=span.first, start=start)
