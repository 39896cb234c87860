"""Frame readers: video files (through ffmpeg), folders of images, single images, and stdin.

Every reader yields H x W x 3 uint8 RGB numpy frames and holds at most one frame at a time, so
memory does not grow with the length of the video. The threaded pipeline (runtime/threads.py) moves
decoding off the main thread.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import DecodeError, InputError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.paths import list_images
from vidgen_cli.io.probe import MAX_PIXELS, parse_header, probe


def read_image(path: Path) -> np.ndarray:
    """One image as RGB uint8 (alpha dropped, 16-bit scaled down)."""
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise InputError(f"{path}: not a readable image; remove or replace it")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class FrameReader:
    """Base class: iterate frames; `info` describes the input; `close()` releases resources."""

    info: VideoInfo

    def __iter__(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "FrameReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageFolderReader(FrameReader):
    def __init__(self, info: VideoInfo, start_frame: int = 0, end_frame: int | None = None) -> None:
        self.info = info
        self.files = list_images(Path(info.path))[start_frame:end_frame]

    def __iter__(self) -> Iterator[np.ndarray]:
        for file in self.files:
            frame = read_image(file)
            if frame.shape[:2] != (self.info.height, self.info.width):
                raise InputError(
                    f"{file}: is {frame.shape[1]}x{frame.shape[0]} but the first frame is "
                    f"{self.info.width}x{self.info.height}; all frames of a folder must have one size"
                )
            yield frame


class SingleImageReader(FrameReader):
    def __init__(self, info: VideoInfo) -> None:
        self.info = info

    def __iter__(self) -> Iterator[np.ndarray]:
        yield read_image(Path(self.info.path))


class FFmpegReader(FrameReader):
    """Decode one video stream to raw RGB through a piped ffmpeg process."""

    def __init__(self, info: VideoInfo, start: float | None = None, end: float | None = None) -> None:
        self.info = info
        self.start, self.end = start, end
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []

    def _command(self, source: str) -> list[str]:
        args = [*ffmpeg.base_command(), "-i", source]
        if self.start:
            args += ["-ss", f"{self.start:.6f}"]  # after -i: exact, decodes from the start
        if self.end is not None:
            args += ["-to", f"{self.end:.6f}"]
        stream = f"0:{self.info.video_stream}" if self.info.kind == "video" else "0:v:0"
        return [*args, "-map", stream, "-an", "-sn", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]

    def _spawn(self, source: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
        # Its own session: a Ctrl-C in the terminal goes to vidgen only, not reported as a broken decode.
        self._process = subprocess.Popen(self._command(source), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                                         start_new_session=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        return self._process

    def _drain_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in iter(self._process.stderr.readline, b""):
            self._stderr.append(line)
            if len(self._stderr) > 400:  # keep memory bounded on chatty corrupt inputs
                del self._stderr[50:150]

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._process is None:
            self._spawn(self.info.path)
        yield from self._read_frames()

    def _read_frames(self) -> Iterator[np.ndarray]:
        assert self._process and self._process.stdout
        width, height = self.info.width, self.info.height
        frame_bytes = width * height * 3
        count = 0
        try:
            while True:
                buffer = _read_exactly(self._process.stdout, frame_bytes)
                if buffer is None:
                    break
                count += 1
                yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3)
        finally:
            returncode = self._finish()
        stderr = b"".join(self._stderr).decode("utf-8", "replace")
        if returncode != 0 and count == 0:
            raise DecodeError(f"{self.info.path}: could not decode any frame ({ffmpeg.last_error_line(stderr)})")
        if returncode != 0:
            raise DecodeError(f"{self.info.path}: decoding failed after {count} frames; the file may be truncated ({ffmpeg.last_error_line(stderr)})")

    def _finish(self) -> int:
        process = self._process
        if process is None:
            return 0
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()
        return 0 if process.returncode in (0, -9) else process.returncode

    def close(self) -> None:
        self._finish()


class StdinReader(FFmpegReader):
    """Decode a stream piped to vidgen (y4m, nut, matroska, mpegts...). Size comes from ffmpeg's banner."""

    def __init__(self) -> None:
        super().__init__(VideoInfo(path="-", kind="stream", width=0, height=0, fps=None, frame_count=0, duration=0.0))
        self._banner_done = threading.Event()

    def _drain_stderr(self) -> None:
        assert self._process and self._process.stderr
        for line in iter(self._process.stderr.readline, b""):
            self._stderr.append(line)
            if line.startswith((b"Output #", b"Stream mapping", b"Press [q]")):
                self._banner_done.set()
        self._banner_done.set()

    def open_stream(self) -> VideoInfo:
        """Start ffmpeg on stdin and wait for its banner to learn size and frame rate."""
        self._spawn("pipe:0", stdin=None)
        self._banner_done.wait()
        stderr = b"".join(self._stderr).decode("utf-8", "replace")
        header = parse_header(stderr)
        if header.video is None or not header.video["width"]:
            self._finish()
            raise InputError(f"stdin: no video stream could be read ({ffmpeg.last_error_line(stderr)}); pipe a video container such as nut, y4m, matroska or mpegts")
        video = header.video
        self.info = VideoInfo(
            path="-", kind="stream", width=video["width"], height=video["height"], fps=video["fps"] or Fraction(25),
            frame_count=0, duration=0.0, codec=video["codec"], pix_fmt=video["pix_fmt"], audio=header.audio,
        )
        return self.info

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._process is None:
            self.open_stream()
        yield from self._read_frames()


def _read_exactly(stream, size: int) -> bytearray | None:
    """Read one whole frame into a fresh, writable buffer; None at a clean end of stream (a partial
    frame at the end is dropped)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    filled = 0
    while filled < size:
        count = stream.readinto(view[filled:])
        if not count:
            return None
        filled += count
    return buffer


def open_input(path: str | os.PathLike[str], start: float | None = None, end: float | None = None, info: VideoInfo | None = None) -> FrameReader:
    """Pick the reader for a video file, a folder of images, a single image, or '-' (stdin)."""
    path = str(path)
    if path == "-":
        reader = StdinReader()
        reader.open_stream()
        return reader
    info = info or probe(path)
    if info.width * info.height > MAX_PIXELS:
        raise InputError(f"{path}: declares a frame size of {info.width}x{info.height}, too large to process")
    if info.kind == "images":
        fps = float(info.fps) if info.fps else None
        first = int(round(start * fps)) if (start and fps) else 0
        last = int(round(end * fps)) if (end is not None and fps) else None
        return ImageFolderReader(info, first, last)
    if info.kind == "image":
        return SingleImageReader(info)
    return FFmpegReader(info, start, end)
