"""Image writers: numbered frames into a folder (with manifest.json), or one frame into one image file.

Both write to a temporary sibling and rename it into place on success."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import EncodeError, NoFramesError, OutputError, UsageError
from vidgen_cli.io.formats import IMAGE_FILE_FORMATS, frame_format
from vidgen_cli.io.manifest import Manifest, write_manifest
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.outputs import commit, discard, temporary_sibling
from vidgen_cli.io.pixels import untagged_hdr_line
from vidgen_cli.vision.planes import eight_bit

WarnFn = Callable[[str], None]


ALPHA_FORMATS = ("png", "webp", "tiff")  # what OpenCV writes with a fourth plane
DEEP_FORMATS = ("png", "tiff")  # and with 16 bits per channel


def fit_planes(frame: np.ndarray, fmt: str, pixels: PixelInfo | None) -> tuple[np.ndarray, list[str]]:
    """`frame` (H x W x 3|4 RGB(A), uint8|uint16) as BGR(A) in the depth and planes image format `fmt`
    stores, and what it could not store ("alpha", "16-bit depth"). A deep source's 8-bit result (the
    models work on 8 bits) is written in 16 bits where the format has them, as a video output keeps the
    source's depth, so that the output is the input's kind of file."""
    lost = []
    if frame.shape[2] == 4 and fmt not in ALPHA_FORMATS:
        frame, lost = frame[..., :3], lost + ["alpha"]
    deep = frame.dtype == np.uint16 or bool(pixels and pixels.bit_depth > 8)
    if deep and fmt not in DEEP_FORMATS:
        frame, lost = eight_bit(frame), lost + ["16-bit depth"]
    elif deep and frame.dtype == np.uint8:
        frame = frame.astype(np.uint16) * 257
    return cv2.cvtColor(frame, cv2.COLOR_RGBA2BGRA if frame.shape[2] == 4 else cv2.COLOR_RGB2BGR), lost


class ImageFolderWriter:
    """Write numbered images (and a manifest) into a temporary folder, renamed on success."""

    def __init__(self, output: str | Path, image_format: str = "png", quality: int = 95,
                 fps: Fraction | None = None, source: str | None = None, audio_source: str | None = None,
                 start: float = 0.0, warn: WarnFn | None = None, folder: Path | None = None, existing: int = 0,
                 sar: Fraction | None = None, times: list[float] | None = None, pixels: PixelInfo | None = None) -> None:
        """`folder`/`existing`: write into this folder, which already holds frames 1..existing (resume),
        played at `times` (seconds) when known. `sar`: the frames' pixel aspect, for the manifest.
        `pixels`: the source's colour tags, recorded in the manifest so `stitch` can carry them.
        PNG keeps alpha and 16 bits, WebP alpha; others are reduced with a warning."""
        self.output = Path(output)
        self.format = frame_format(image_format)
        self.params = {"jpg": [cv2.IMWRITE_JPEG_QUALITY, quality], "webp": [cv2.IMWRITE_WEBP_QUALITY, quality]}.get(self.format, [])
        self.fps, self.source, self.audio_source, self.start = fps, source, audio_source, start
        if folder is None:
            self.temporary = temporary_sibling(self.output, is_dir=True)
            self.temporary.mkdir()
        else:
            self.temporary = folder
        self.names: list[str] = [f"{i:06d}.{self.format}" for i in range(1, existing + 1)]
        self.times: list[float | None] = list(times or [])[:existing]
        self.times += [None] * (existing - len(self.times))
        self.sar = sar or Fraction(1)
        self.size: tuple[int, int] | None = None
        self.pixels, self.warn = pixels, warn or (lambda message: None)
        self._warned = False

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        """The frame as BGR(A) in a depth and plane count the image format stores."""
        frame, lost = fit_planes(frame, self.format, self.pixels)
        if lost and not self._warned:
            self.warn(f"{' and '.join(lost)} dropped: {self.format} cannot store it; use --format png to keep it")
            self._warned = True
        return frame

    def write(self, frame: np.ndarray, time: Fraction | float | None = None) -> None:
        height, width = frame.shape[:2]
        if self.size is None and (line := untagged_hdr_line(self.pixels, f"{self.output.name}/: {self.format} frames",
                                                             "manifest.json keeps them, so `vidgen stitch` writes a tagged video")):
            self.warn(line)
        self.size = self.size or (width, height)
        name = f"{len(self.names) + 1:06d}.{self.format}"
        if not cv2.imwrite(str(self.temporary / name), self._fit(frame), self.params):
            raise OutputError(f"could not write {self.output / name}; is the disk full?")
        self.names.append(name)
        self.times.append(float(time) if time is not None else None)

    def close(self) -> None:
        if not self.names:
            discard(self.temporary)
            raise NoFramesError(self.output)
        fps = self.fps or Fraction(25)
        times = [t if t is not None else self.start + i / float(fps) for i, t in enumerate(self.times)]
        start = times[0] if self.times and self.times[0] is not None else self.start
        width, height = self.size or (0, 0)
        write_manifest(self.temporary, Manifest(fps=fps, width=width, height=height, frames=self.names, times=times,
                                                source=self.source, audio_source=self.audio_source, start=start,
                                                duration=len(self.names) / float(fps), sar=self.sar,
                                                extra={"pixels": self.pixels.to_json()} if self.pixels else {}))
        commit(self.temporary, self.output)

    def abort(self) -> None:
        discard(self.temporary)


class ImageFileWriter:
    """One frame into one image file (format from the extension), via a temporary sibling."""

    def __init__(self, output: str | Path, quality: int = 95, pixels: PixelInfo | None = None,
                 warn: WarnFn | None = None) -> None:
        """`pixels`: the source's colour tags, which an image written by OpenCV cannot carry (said in one line),
        and its depth and alpha, kept where the format stores them (`fit_planes`; said in one line where not)."""
        self.output = Path(output)
        self.pixels, self.warn = pixels, warn or (lambda message: None)
        fmt = IMAGE_FILE_FORMATS.get(self.output.suffix.lower())
        if fmt is None:
            raise UsageError(f"{self.output}: unknown image extension; use .png, .jpg, .webp, .bmp or .tiff")
        self.params = {"jpg": [cv2.IMWRITE_JPEG_QUALITY, quality], "webp": [cv2.IMWRITE_WEBP_QUALITY, quality]}.get(fmt, [])
        self.format = fmt
        self.temporary = temporary_sibling(self.output)
        self.frames_written = 0

    def write(self, frame: np.ndarray, time: Fraction | None = None) -> None:
        if self.frames_written:
            raise UsageError(f"{self.output}: an image file holds one frame but more were produced; write to a video or a folder (ending in /)")
        if line := untagged_hdr_line(self.pixels, f"{self.output.name}", "write a video (.mkv, .mp4) to keep the tags"):
            self.warn(line)
        image, lost = fit_planes(frame, self.format, self.pixels)
        if lost:
            self.warn(f"{' and '.join(lost)} dropped: {self.output.suffix} cannot store it; write .png to keep it")
        if not cv2.imwrite(str(self.temporary), image, self.params):
            raise OutputError(f"could not write {self.output}; is the disk full?")
        self.frames_written = 1

    def close(self) -> None:
        if not self.frames_written:
            raise EncodeError(f"no frames to write to {self.output}; the input produced no frames")
        commit(self.temporary, self.output)

    def abort(self) -> None:
        discard(self.temporary)
