"""--start/--end for the model commands: which input frames a job uses, and the matching audio.

A span is resolved once from the probe (exact per-frame timestamps for a video, the manifest's rate
for a frames folder) into frame indices, so the frames decoded, the progress total, the resume
points and the audio cut all agree. Cutting a clip first with `ffmpeg -c copy` would start it on a
keyframe before the requested time and give it irregular timing; this does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.io.decode import FrameReader, ImageFolderReader, open_input
from vidgen_cli.io.media import VideoInfo


@dataclass(frozen=True)
class Span:
    """Input frames [first, first + count) of a source.

    start_time: presentation time of frame `first`, seconds from the source's first frame; the
        audio is taken from here so that it stays in sync with the first frame used.
    duration: seconds of source the frames cover (up to the end of the last one); the length of
        the audio to carry. None: to the end of the source.
    """

    first: int = 0
    count: int | None = None
    start_time: float = 0.0
    duration: float | None = None

    @property
    def whole(self) -> bool:
        return self.first == 0 and self.count is None

    def to_json(self) -> dict:
        return {"first_frame": self.first, "frames": self.count, "start": round(self.start_time, 6),
                "duration": None if self.duration is None else round(self.duration, 6)}


WHOLE = Span()


def _frame_times(info: VideoInfo) -> np.ndarray:
    if info.timestamps is not None and len(info.timestamps):
        return np.asarray(info.timestamps, dtype=np.float64)
    return np.arange(info.frame_count, dtype=np.float64) / float(info.fps)  # type: ignore[arg-type]


def resolve_span(info: VideoInfo, start: float | None = None, end: float | None = None,
                 last_frame: int | None = None) -> Span:
    """Frames with start <= time < end, or up to frame index `last_frame` (0-based, inclusive).
    Times are seconds on a video file's timeline, as `split --start` and `ffmpeg -ss` read them
    (a video stream that starts 0.3 s after the audio has its first frame at 0.3 s), and seconds
    from the first frame for a frames folder. Raises UsageError for an input without a timeline
    (stdin, a single image, a frames folder without manifest.json) or a span that selects no frame."""
    if start is None and end is None and last_frame is None:
        return WHOLE
    if info.kind in {"stream", "image"}:
        what = "a stream from stdin" if info.kind == "stream" else "a single image"
        raise UsageError(f"--start/--end/--at need a video file or a frames folder, not {what}")
    if not info.fps and (start is not None or end is not None):
        raise UsageError(f"{info.path}: --start/--end need a frame rate; pass a video, or a frames folder with the manifest.json that `vidgen split` writes")
    if start is not None and end is not None and end <= start:
        raise UsageError(f"--end {end:g} is not after --start {start:g}")
    if info.kind == "video" and info.start_time:
        start = None if start is None else start - info.start_time
        end = None if end is None else end - info.start_time
    total = info.frame_count
    if info.fps:
        times = _frame_times(info)
        total = len(times)
        tolerance = 1e-3 / float(info.fps)  # timestamps are rounded to the container's time base
        first = int(np.searchsorted(times, start - tolerance)) if start and start > 0 else 0
        stop = int(np.searchsorted(times, end - tolerance)) if end is not None else total
    else:
        times, first, stop = None, 0, total
    if last_frame is not None:
        if last_frame >= total:
            raise UsageError(f"--at {last_frame}: the clip's last frame is {total - 1}")
        stop = min(stop, last_frame + 1)
    if stop <= first:
        length = f" ({total} frames, {info.duration:.3f} s)" if total else ""
        raise UsageError(f"--start/--end/--at select no frames of {info.path}{length}; check the times")
    if times is None:
        return Span(first=first, count=stop - first, start_time=0.0, duration=None)
    frame = 1 / float(info.fps)  # type: ignore[arg-type]
    start_time = float(times[first])
    if stop < total:
        end_time = float(times[stop])
    else:  # the last frame's own duration (a VFR clip's 1/average rate cut it short), else one frame
        end_time = info.duration if info.timestamps is not None and info.duration > float(times[-1]) else float(times[-1]) + frame
    return Span(first=first, count=stop - first, start_time=start_time, duration=end_time - start_time)


def trim_info(info: VideoInfo, span: Span) -> VideoInfo:
    """`info` as seen through the span: frame count, duration and timestamps of the frames used."""
    if span.whole:
        return info
    timestamps = None
    if info.timestamps is not None:
        timestamps = np.asarray(info.timestamps[span.first:span.first + span.count]) - span.start_time
    duration = span.duration if span.duration is not None else (span.count / float(info.fps) if info.fps else 0.0)
    return replace(info, frame_count=span.count or 0, duration=duration, timestamps=timestamps)


def _limited(reader: FrameReader, count: int | None) -> Iterator[np.ndarray]:
    """At most `count` frames of `reader`, which is closed when the iteration ends or is closed."""
    try:
        if count is None:
            yield from reader
            return
        if count <= 0:
            return
        for index, frame in enumerate(reader):
            yield frame
            if index + 1 >= count:
                return
    finally:
        reader.close()


def span_reader(info: VideoInfo, span: Span, skip: int = 0, deinterlace: bool = True) -> Iterator[np.ndarray]:
    """The frames of `span`, after the first `skip` of them (a resumed run); `deinterlace`: bwdif
    on a stream flagged interlaced."""
    first = span.first + skip
    count = None if span.count is None else span.count - skip
    if info.kind == "images":
        last = None if count is None else first + count
        return _limited(ImageFolderReader(info, start_frame=first, end_frame=last), None)
    if first == 0 and count is None:
        return _limited(open_input(info.path, info=info, deinterlace=deinterlace), None)
    times = _frame_times(info)
    if first >= len(times):  # a resumed run that had read every frame: only its processor's flush is left
        return iter(())
    frame = 1 / float(info.fps or 25)
    # A quarter frame of margin either side: exact frames whatever the rounding of the time base.
    # The decoder cuts on the file's timeline, where the video starts at info.start_time.
    start = info.start_time + float(times[first]) - 0.25 * frame if first > 0 else None
    end = info.start_time + float(times[first + count - 1]) + 0.5 * frame if count is not None and first + count <= len(times) else None
    return _limited(open_input(info.path, start=start, end=end, info=info, deinterlace=deinterlace), count)
