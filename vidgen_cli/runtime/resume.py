"""A video writer that survives interruption: output is encoded in segments inside a hidden work
folder beside the output, with the processing state saved at each cut, and joined (stream copy,
audio muxed) into the output only when everything is done.

A segment ends after 240 frames or after 10 s of work, whichever comes first (but not before two
seconds of output: each segment starts a new GOP, which costs file size). A run that is stopped
(Ctrl-C, an error) also finishes the segment in progress at the last complete input frame, so it
keeps everything it made; a killed one (SIGKILL, a crash) loses at most the segment in progress,
about 10-25 s of work for a 720p stylize at 2-3 frames a second. Run the same command again with
--resume and it continues after the last finished segment.

When nothing stops the run and 240 frames take less than 10 s, the cuts fall on the same frames in
every run. Otherwise they depend on timing: with a lossless codec a resumed output decodes to the
same frames as an uninterrupted one; with a lossy one, frames next to a cut may differ by encoder
rounding (each segment is encoded on its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidgen_cli.errors import NoFramesError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.encode import (
    EncodeOptions,
    MediaSource,
    VideoWriter,
    WarnFn,
    constant_rate_warning,
    default_codec,
    media_for,
    reorder_args,
    start_offset,
)
from vidgen_cli.io.formats import container_for
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.runtime.processor import Mark

DEFAULT_SEGMENT_FRAMES = 240
DEFAULT_SEGMENT_SECONDS = 10.0
_STATE = "state.json"
_ARRAYS = "state.npz"


def fingerprint(**parts: Any) -> str:
    """A digest of everything that must match for a resume to be valid (input, options, model)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class SegmentClock:
    """When to cut: after `frames` frames, or after `seconds` of wall time once `min_frames` are in.

    Both limits come from $VIDGEN_SEGMENT_FRAMES / $VIDGEN_SEGMENT_SECONDS when not given."""

    def __init__(self, frames: int | None = None, seconds: float | None = None, min_frames: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.frames = frames or int(os.environ.get("VIDGEN_SEGMENT_FRAMES", DEFAULT_SEGMENT_FRAMES))
        self.seconds = seconds if seconds is not None else float(os.environ.get("VIDGEN_SEGMENT_SECONDS", DEFAULT_SEGMENT_SECONDS))
        self.min_frames = max(1, min(min_frames, self.frames))
        self.clock = clock
        self.started = clock()

    def restart(self) -> None:
        self.started = self.clock()

    def due(self, pending: int) -> bool:
        if pending >= self.frames:
            return True
        return pending >= self.min_frames and self.seconds > 0 and self.clock() - self.started >= self.seconds


# Work folders this run created: a run stopped before it saved any state leaves none of them (drop_unsaved).
_created: set[Path] = set()


def drop_unsaved() -> None:
    """Remove the work folders this run created that hold no saved state (nothing to resume)."""
    for work in list(_created):
        if not (work / _STATE).is_file():
            shutil.rmtree(work, ignore_errors=True)
        _created.discard(work)


def work_folder(output: Path) -> Path:
    return output.with_name(f".{output.name}.vidgen-resume")


def saved_work(output: str | Path) -> Path | None:
    """The work folder beside `output` when it holds the saved progress of an interrupted run
    (what --resume continues from); None when there is none."""
    if str(output) == "-":
        return None
    work = work_folder(Path(output))
    return work if (work / _STATE).is_file() else None


class ResumeFolder:
    """The hidden work folder beside an output: what a resumable writer has finished, and the
    processor's state at that point. `record` is None when there is nothing to resume."""

    def __init__(self, output: Path, key: str, resume: bool, warn: WarnFn) -> None:
        self.work = work_folder(output)
        self.key = key
        self.record: dict[str, Any] | None = None
        self.arrays: dict[str, Any] | None = None
        state_file = self.work / _STATE
        if resume and state_file.is_file():
            record = json.loads(state_file.read_text())
            if record.get("key") != key:
                raise UsageError(f"{self.work} holds an interrupted run with other inputs or options; run without --resume (with --overwrite) to start over")
            arrays = np.load(self.work / _ARRAYS, allow_pickle=False)
            self.record, self.arrays = record, {name: arrays[name] for name in arrays.files}
            return
        if resume:
            warn(f"nothing to resume for {output}; starting from the beginning")
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        _created.add(self.work)

    def save(self, record: dict[str, Any], state: dict[str, Any]) -> None:
        """Atomically record progress: the arrays first, then the JSON that points at them."""
        temporary = self.work / "state.part.npz"
        np.savez(temporary, **{name: np.asarray(value) for name, value in state.items()})
        os.replace(temporary, self.work / _ARRAYS)
        self.record = {**record, "key": self.key}
        (self.work / "state.part.json").write_text(json.dumps(self.record))
        os.replace(self.work / "state.part.json", self.work / _STATE)

    def forget(self) -> None:
        """Remove the resume state (the work folder's content is about to become the output)."""
        for name in (_STATE, _ARRAYS):
            (self.work / name).unlink(missing_ok=True)


class SegmentedVideoWriter:
    def __init__(self, output: str | Path, fps: Fraction, options: EncodeOptions, media: MediaSource | None,
                 key: str, resume: bool, segment_frames: int | None = None, warn: WarnFn | None = None,
                 sar: Fraction | None = None, timed: bool = False, pixels: PixelInfo | None = None,
                 average_grid: bool = False) -> None:
        """`timed`: frames keep the times given to `write` (see VideoWriter); `sar`: pixel aspect to declare;
        `pixels`: the source's bit depth, colour tags and alpha; `average_grid`: `fps` is a pipe's
        average rate (see VideoWriter)."""
        self.output = Path(output)
        self.sar, self.timed = sar, timed
        self.pixels = pixels
        # Segments are joined by stream copy, so they must already use the final container's codec
        # (and, for a container without per-frame times, its constant rate); a container vidgen
        # cannot write is refused here, before any frame is processed, and streams it cannot hold
        # are named now rather than failing the final join.
        self.warn = warn or (lambda message: None)
        container = container_for(self.output)
        options = replace(options, codec=options.codec or default_codec(container.muxer, bool(pixels and pixels.alpha)))
        options = replace(options, extra=[*reorder_args(container, str(options.codec)), *options.extra])  # no B-frames for AVI
        self.fps, self.options, self.key = fps, options, key
        self.media = media_for(container, media, str(self.output), self.warn)
        self.resample = timed and not container.frame_times
        # said once, by the segment writer that first gets a frame off the constant-rate grid
        self.rate_note = [constant_rate_warning(self.output.suffix, fps, average=average_grid)] if self.resample else []
        # At least 2 s of output per segment: each one starts a new GOP, and measured on a 720p clip
        # at CRF 18, 60-frame segments make the file 1.20x larger than 240-frame ones, 30-frame
        # ones 1.51x (bench/segments.py).
        self.cut = SegmentClock(segment_frames, min_frames=max(1, round(2 * fps)))
        self.folder = ResumeFolder(self.output, key, resume, self.warn)
        self.work = self.folder.work
        record = self.folder.record or {}
        self.segments: list[str] = record.get("segments", [])
        self.counts: list[int] = record.get("counts", [])  # frames in each finished segment
        self.inputs_done: int = record.get("inputs_done", 0)
        self.outputs_done: int = record.get("outputs_done", 0)
        self.size: tuple[int, int] | None = tuple(record["size"]) if record.get("size") else None  # type: ignore[assignment]
        self.starts: list[str] = record.get("starts", [])  # each segment's first time (exact, as a fraction string)
        self._last_time: Fraction | None = Fraction(record["last_time"]) if record.get("last_time") else None
        self._current: VideoWriter | None = None
        self.end_time: Fraction | None = None  # when the last frame ends (timed: seconds on write's timeline); None: unknown
        self._pending = 0
        self._last_mark: Mark | None = None
        self._since_mark = 0  # frames written after the last mark

    def resume_point(self) -> tuple[int, dict[str, Any] | None]:
        """How many input frames are already done, and the processor state at that point."""
        return self.inputs_done, self.folder.arrays

    def write(self, frame: np.ndarray, time: Fraction | None = None) -> None:
        if time is None:  # no source timeline: frames 1/fps apart
            time = (Fraction(self.starts[0]) if self.starts else Fraction(0)) + Fraction(self.outputs_done + self._pending) / self.fps
        if self._current is None:
            name = f"seg_{len(self.segments):05d}.{self._segment_suffix()}"
            self._current = VideoWriter(self.work / name, self.fps, self.options, warn=self.warn, timed=self.timed, sar=self.sar,
                                        pixels=self.pixels)
            self._current.resample = self.resample
            self._current.shown_as = str(self.output)
            self._current.rate_note = self.rate_note  # shared: said once for the whole output
            self._current.verify_sar = False
            self.starts.append(str(Fraction(time)))
        # Each segment starts at 0 (the concat listing places it): a segment's own start time is
        # not reliably what the concat demuxer subtracts.
        self._current.write(frame, Fraction(time) - Fraction(self.starts[-1]))
        self._last_time = Fraction(time)
        self.size = self.size or (frame.shape[1], frame.shape[0])
        self._pending += 1
        self._since_mark += 1

    def _segment_suffix(self) -> str:
        """NUT keeps the exact 1/fps time base (Matroska rounds to ms), but drops the side channel
        VP8/VP9 keep alpha in: alpha VP8/VP9 segments are Matroska, as are WebM and MKV outputs."""
        alpha_vpx = bool(self.pixels and self.pixels.alpha) and (self.options.codec or "").startswith("libvpx")
        return "mkv" if alpha_vpx else "nut"

    def mark(self, mark: Mark) -> None:
        """Cut a segment here once it is long enough, and save where the stream got to."""
        self._last_mark, self._since_mark = mark, 0
        if self._current is None or not self.cut.due(self._pending):
            return
        self._cut_at(mark)

    def _cut_at(self, mark: Mark) -> None:
        self._finish_segment()
        self.cut.restart()
        self.inputs_done = mark.inputs_done
        self.folder.save({"segments": self.segments, "counts": self.counts, "inputs_done": self.inputs_done,
                          "outputs_done": self.outputs_done, "size": self.size, "starts": self.starts,
                          "last_time": str(self._last_time) if self._last_time is not None else None}, mark.state)

    def _finish_segment(self) -> None:
        assert self._current is not None
        self._current.close()
        self.segments.append(Path(self._current.output).name)
        self.counts.append(self._pending)
        self.outputs_done += self._pending
        self._current, self._pending = None, 0

    def close(self) -> None:
        if self._current is not None:
            if self.end_time is not None:  # the last frame lasts to the end of the source's last frame used
                self._current.end_time = self.end_time - Fraction(self.starts[-1])
            self._finish_segment()
        if not self.segments:
            raise NoFramesError(self.output)
        listing = self.work / "segments.txt"
        # An exact duration per segment: otherwise the concat demuxer guesses it from the last
        # packet and leaves gaps or overlaps at the joins. Timed segments last until the next starts.
        # Absolute names: the concat demuxer resolves relative ones against the listing's URL, which
        # a '#' or '?' in the output's folder would cut short.
        starts = [Fraction(t) for t in self.starts]
        durations = [count / self.fps for count in self.counts]
        if self.timed:
            last = self._last_time or starts[-1]
            ends = starts[1:] + [self.end_time if self.end_time is not None and self.end_time > last else last + 1 / self.fps]
            durations = [end - start for start, end in zip(starts, ends)]
        listing.write_text("".join(f"file {ffmpeg.concat_quote(ffmpeg.url((self.work / name).resolve()))}\n"
                                   f"duration {float(duration):.9f}\n"
                                   for name, duration in zip(self.segments, durations)))
        # A stream copy does not see VP8/VP9 alpha (a side channel), so the tag players read is set here.
        tag = ["-metadata:s:v:0", "alpha_mode=1"] if self._segment_suffix() == "mkv" else []
        if not self.timed or self.resample:  # the container's declared rate (Matroska's DefaultDuration), not ffmpeg's guess
            tag += ["-r", str(self.fps)]
        elif self._last_time is not None and self.end_time is not None and self.end_time > self._last_time:
            tag += last_frame_lasts(self._last_time, self.end_time)
        joined = VideoWriter(self.output, self.fps, EncodeOptions(codec="copy", crf=None, preset=None, extra=tag), media=self.media, warn=self.warn,
                             pixels=self.pixels, sar=self.sar)
        width, height = self.size or (0, 0)
        concat = ["-f", "concat", "-safe", "0", "-i", ffmpeg.url(listing)]
        joined.encode_external([*start_offset(starts[0]), *concat], width, height, None if self.resample else self.outputs_done)
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self) -> None:
        """Keep the work done for --resume. The segment in progress is finished at the last
        complete input frame when no frame came after it (a Ctrl-C lands in the model's work, so
        an interrupted run keeps all it made), and dropped otherwise."""
        if self._current is not None and self._last_mark is not None and self._since_mark == 0 and self._pending:
            try:
                self._cut_at(self._last_mark)
            except BaseException as exc:  # noqa: BLE001 - ffmpeg failed or a second Ctrl-C: drop the segment
                if self._current is not None:
                    self._current.abort()
                    self._current = None
                if not isinstance(exc, Exception):
                    raise
        if self._current is not None:
            self._current.abort()
            self._current = None
        if not self.segments:
            shutil.rmtree(self.work, ignore_errors=True)


class ResumableFramesWriter:
    """The frames-folder counterpart: frames are written straight into the work folder, progress
    is saved every 240 frames or 10 s (SegmentClock), and the folder becomes the output when done."""

    def __init__(self, output: str | Path, image_format: str, fps: Fraction, key: str, resume: bool,
                 segment_frames: int | None = None, warn: WarnFn | None = None, **manifest: Any) -> None:
        from vidgen_cli.io.image_writers import ImageFolderWriter

        self.output = Path(output)
        self.cut = SegmentClock(segment_frames)
        self.folder = ResumeFolder(self.output, key, resume, warn or (lambda message: None))
        record = self.folder.record or {}
        done = record.get("outputs_done", 0)
        for path in self.folder.work.iterdir():  # frames written after the last saved point
            if path.stem.isdigit() and int(path.stem) > done:
                path.unlink()
        self.inner = ImageFolderWriter(self.output, image_format, fps=fps, folder=self.folder.work, existing=done, warn=warn,
                                       times=record.get("times"), **manifest)
        self.inputs_done: int = record.get("inputs_done", 0)
        self.outputs_done = done
        self._pending = 0
        self._last_mark: Mark | None = None
        self._at_last_mark = done  # frames written when the last mark passed

    def resume_point(self) -> tuple[int, dict[str, Any] | None]:
        return self.inputs_done, self.folder.arrays

    def write(self, frame: np.ndarray, time: Fraction | None = None) -> None:
        self.inner.write(frame, time)
        self._pending += 1

    def mark(self, mark: Mark) -> None:
        self._last_mark, self._at_last_mark = mark, len(self.inner.names)
        if not self.cut.due(self._pending):
            return
        self._save(mark)

    def _save(self, mark: Mark) -> None:
        self.cut.restart()
        self.inputs_done, self.outputs_done, self._pending = mark.inputs_done, self._at_last_mark, 0
        self.folder.save({"inputs_done": self.inputs_done, "outputs_done": self.outputs_done,
                          "times": self.inner.times[: self.outputs_done]}, mark.state)

    def close(self) -> None:
        self.folder.forget()
        self.inner.close()
        self.outputs_done = len(self.inner.names)

    def abort(self) -> None:
        """Save the state at the last complete input frame (frames written after it are removed
        when the run resumes), or remove the work folder if nothing was done."""
        if self._last_mark is not None and self._at_last_mark > self.outputs_done:
            self._save(self._last_mark)
        if self.folder.record is None:
            shutil.rmtree(self.folder.work, ignore_errors=True)


def last_frame_lasts(last: Fraction, end: Fraction) -> list[str]:
    """Output options for a stream copy of timed video whose last frame (the packet shown last,
    at `last` seconds on the output's timeline) lasts until `end`. NUT segments keep no packet
    durations, so the join gave it ffmpeg's 1/rate guess: a VFR clip's 100 ms last frame lasted
    33 ms and the video (the MP4 edit list, Matroska's last block) ended 67 ms early. Every
    packet keeps its PTS and DTS (setts rewrites both from TS otherwise)."""
    threshold = float(last) - 5e-4  # frames are at least a millisecond apart (a microsecond when two share a time)
    return ["-bsf:v:0", f"setts=pts=PTS:dts=DTS:duration=if(gte(PTS*TB\\,{threshold:.6f})\\,{float(end):.6f}/TB-PTS\\,DURATION)"]
