"""A video writer that survives interruption: output is encoded in segments of a few hundred frames
inside a hidden work folder beside the output, with the processing state saved at each cut, and
joined (stream copy, audio muxed) into the output only when everything is done.

Run the same command again with --resume and it continues after the last finished segment. The
segments are cut at the same frames whether or not a run was interrupted, so a resumed output
decodes to the same frames as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from vidgen_cli.errors import NoFramesError, UsageError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.encode import EncodeOptions, MediaSource, VideoWriter, WarnFn, default_codec, media_for
from vidgen_cli.io.formats import container_for
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.runtime.processor import Mark

DEFAULT_SEGMENT_FRAMES = 240
_STATE = "state.json"
_ARRAYS = "state.npz"


def fingerprint(**parts: Any) -> str:
    """A digest of everything that must match for a resume to be valid (input, options, model)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def work_folder(output: Path) -> Path:
    return output.with_name(f".{output.name}.vidgen-resume")


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
                raise UsageError(f"{self.work} holds an interrupted run with other inputs or options; run without --resume to start over")
            arrays = np.load(self.work / _ARRAYS, allow_pickle=False)
            self.record, self.arrays = record, {name: arrays[name] for name in arrays.files}
            return
        if resume:
            warn(f"nothing to resume for {output}; starting from the beginning")
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()

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
                 pixels: PixelInfo | None = None) -> None:
        self.output = Path(output)
        self.pixels = pixels
        # Segments are joined by stream copy, so they must already use the final container's codec;
        # a container vidgen cannot write is refused here, before any frame is processed, and
        # streams it cannot hold are named now rather than failing the final join.
        self.warn = warn or (lambda message: None)
        container = container_for(self.output)
        options = replace(options, codec=options.codec or default_codec(container.muxer, bool(pixels and pixels.alpha)))
        self.fps, self.options, self.key = fps, options, key
        self.media = media_for(container, media, str(self.output), self.warn)
        self.segment_frames = segment_frames or int(os.environ.get("VIDGEN_SEGMENT_FRAMES", DEFAULT_SEGMENT_FRAMES))
        self.folder = ResumeFolder(self.output, key, resume, self.warn)
        self.work = self.folder.work
        record = self.folder.record or {}
        self.segments: list[str] = record.get("segments", [])
        self.counts: list[int] = record.get("counts", [])  # frames in each finished segment
        self.inputs_done: int = record.get("inputs_done", 0)
        self.outputs_done: int = record.get("outputs_done", 0)
        self.size: tuple[int, int] | None = tuple(record["size"]) if record.get("size") else None  # type: ignore[assignment]
        self._current: VideoWriter | None = None
        self._pending = 0

    def resume_point(self) -> tuple[int, dict[str, Any] | None]:
        """How many input frames are already done, and the processor state at that point."""
        return self.inputs_done, self.folder.arrays

    def write(self, frame: np.ndarray) -> None:
        if self._current is None:
            name = f"seg_{len(self.segments):05d}.nut"  # NUT keeps the exact 1/fps time base; mkv rounds to ms
            self._current = VideoWriter(self.work / name, self.fps, self.options, warn=self.warn, pixels=self.pixels)
        self._current.write(frame)
        self.size = self.size or (frame.shape[1], frame.shape[0])
        self._pending += 1

    def mark(self, mark: Mark) -> None:
        """Cut a segment here once it is long enough, and save where the stream got to."""
        if self._current is None or self._pending < self.segment_frames:
            return
        self._finish_segment()
        self.inputs_done = mark.inputs_done
        self.folder.save({"segments": self.segments, "counts": self.counts, "inputs_done": self.inputs_done,
                          "outputs_done": self.outputs_done, "size": self.size}, mark.state)

    def _finish_segment(self) -> None:
        assert self._current is not None
        self._current.close()
        self.segments.append(Path(self._current.output).name)
        self.counts.append(self._pending)
        self.outputs_done += self._pending
        self._current, self._pending = None, 0

    def close(self) -> None:
        if self._current is not None:
            self._finish_segment()
        if not self.segments:
            raise NoFramesError(self.output)
        listing = self.work / "segments.txt"
        # An exact duration per segment: otherwise the concat demuxer guesses it from the last
        # packet and leaves gaps or overlaps at the joins.
        # Absolute names: the concat demuxer resolves relative ones against the listing's URL, which
        # a '#' or '?' in the output's folder would cut short.
        listing.write_text("".join(f"file {ffmpeg.concat_quote(ffmpeg.url((self.work / name).resolve()))}\n"
                                   f"duration {float(count / self.fps):.9f}\n"
                                   for name, count in zip(self.segments, self.counts)))
        joined = VideoWriter(self.output, self.fps, EncodeOptions(codec="copy", crf=None, preset=None), media=self.media, warn=self.warn,
                             pixels=self.pixels)
        width, height = self.size or (0, 0)
        joined.encode_external(["-f", "concat", "-safe", "0", "-i", ffmpeg.url(listing)], width, height, self.outputs_done)
        shutil.rmtree(self.work, ignore_errors=True)

    def abort(self) -> None:
        """Keep finished segments for --resume; drop the one in progress."""
        if self._current is not None:
            self._current.abort()
            self._current = None
        if not self.segments:
            shutil.rmtree(self.work, ignore_errors=True)


class ResumableFramesWriter:
    """The frames-folder counterpart: frames are written straight into the work folder, progress
    is saved every `segment_frames` frames, and the folder becomes the output when done."""

    def __init__(self, output: str | Path, image_format: str, fps: Fraction, key: str, resume: bool,
                 segment_frames: int | None = None, warn: WarnFn | None = None, **manifest: Any) -> None:
        from vidgen_cli.io.encode import ImageFolderWriter

        self.output = Path(output)
        self.segment_frames = segment_frames or int(os.environ.get("VIDGEN_SEGMENT_FRAMES", DEFAULT_SEGMENT_FRAMES))
        self.folder = ResumeFolder(self.output, key, resume, warn or (lambda message: None))
        record = self.folder.record or {}
        done = record.get("outputs_done", 0)
        for path in self.folder.work.iterdir():  # frames written after the last saved point
            if path.stem.isdigit() and int(path.stem) > done:
                path.unlink()
        self.inner = ImageFolderWriter(self.output, image_format, fps=fps, folder=self.folder.work, existing=done, warn=warn, **manifest)
        self.inputs_done: int = record.get("inputs_done", 0)
        self.outputs_done = done
        self._pending = 0

    def resume_point(self) -> tuple[int, dict[str, Any] | None]:
        return self.inputs_done, self.folder.arrays

    def write(self, frame: np.ndarray) -> None:
        self.inner.write(frame)
        self._pending += 1

    def mark(self, mark: Mark) -> None:
        if self._pending < self.segment_frames:
            return
        self.inputs_done, self.outputs_done, self._pending = mark.inputs_done, len(self.inner.names), 0
        self.folder.save({"inputs_done": self.inputs_done, "outputs_done": self.outputs_done}, mark.state)

    def close(self) -> None:
        self.folder.forget()
        self.inner.close()
        self.outputs_done = len(self.inner.names)

    def abort(self) -> None:
        if self.folder.record is None:
            shutil.rmtree(self.folder.work, ignore_errors=True)
