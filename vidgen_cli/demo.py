"""`vidgen demo`: what the tool is for, in one minute on a laptop CPU.

vidgen generates a short clip and a style image with the bundled ffmpeg (nothing is downloaded),
runs three jobs through the same code path as the commands, and renders each result beside its
input (input | result) in one video, so the effect is visible without a video editor:

- interpolate: 4x slow motion; left, each input frame held four times; right, the three new
  frames between each pair from optical flow;
- stylize: the clip painted in the style of the generated image, steady from frame to frame;
- predict: the last 12 frames cut off and predicted; left, what really happened; right, the
  prediction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg

SLOW_MOTION = 4
PREDICTED = 12


@dataclass
class DemoJob:
    """One demo job: its name, what it shows, the wall time of the model run, and its files."""

    name: str
    description: str
    seconds: float
    result: Path
    side_by_side: Path


def _generate(args: list[str], what: str) -> None:
    result = ffmpeg.run(args)
    if result.returncode != 0:
        raise EncodeError(f"could not make the demo {what}: {ffmpeg.last_error_line(result.stderr)}")


def make_demo_clip(path: Path, seconds: float = 3.0, size: str = "320x240", fps: int = 24) -> Path:
    """A moving test pattern with a tone: motion for the models, audio to carry through."""
    _generate(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
               "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-c:a", "aac", "-shortest", str(path)], "clip")
    return path


def make_demo_style(path: Path) -> Path:
    """A colourful fractal to use as a style image."""
    _generate(["-f", "lavfi", "-i", "mandelbrot=size=256x256:end_scale=0.3:rate=1", "-frames:v", "1", str(path)], "style image")
    return path


def _label(frame: np.ndarray, text: str) -> np.ndarray:
    """`frame` with `text` in its top-left corner (white on a dark band, readable on any content)."""
    out = np.ascontiguousarray(frame).copy()
    scale = max(0.35, out.shape[0] / 600)
    (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(out, (0, 0), (width + 8, height + base + 8), (0, 0, 0), -1)
    cv2.putText(out, text, (4, height + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def side_by_side(left: Iterable[np.ndarray], right: Iterable[np.ndarray], labels: tuple[str, str]) -> Iterator[np.ndarray]:
    """Pairs of H x W x 3 uint8 frames joined left | right (4 px gap), each labelled; stops at the
    shorter stream. The right frame is resized to the left's size if they differ."""
    for a, b in zip(left, right):
        if b.shape != a.shape:
            b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
        gap = np.zeros((a.shape[0], 4, 3), np.uint8)
        yield np.hstack([_label(a, labels[0]), gap, _label(b, labels[1])])


def _held(frames: Iterable[np.ndarray], times: int) -> Iterator[np.ndarray]:
    for frame in frames:
        for _ in range(times):
            yield frame


def _write(frames: Iterable[np.ndarray], path: Path, fps: Fraction, media=None) -> None:
    from vidgen_cli.io.encode import EncodeOptions, VideoWriter

    writer = VideoWriter(path, fps, EncodeOptions(preset="veryfast"), media=media)
    try:
        for frame in frames:
            writer.write(frame)
    except BaseException:
        writer.abort()
        raise
    writer.close()


def run_demo(folder: Path, placement, warn: Callable[[str], None],
             on_job: Callable[[DemoJob], None] | None = None) -> list[DemoJob]:
    """Make the clip and style in `folder`, run the three jobs and render their side-by-side
    videos there; `on_job` is called as each job finishes. Returns the jobs in order."""
    from vidgen_cli.interpolate.processor import Interpolator
    from vidgen_cli.io.decode import open_input
    from vidgen_cli.io.encode import EncodeOptions, MediaSource
    from vidgen_cli.io.probe import probe
    from vidgen_cli.predict.extend import ExtendProcessor
    from vidgen_cli.predict.processor import Predictor
    from vidgen_cli.runtime.job import OutputSettings, run_job
    from vidgen_cli.runtime.span import resolve_span
    from vidgen_cli.stylize.processor import Stylizer

    clip = make_demo_clip(folder / "input.mp4")
    style = make_demo_style(folder / "style.png")
    info = probe(clip)
    fps = info.fps or Fraction(24)
    settings = OutputSettings(encode=EncodeOptions(preset="veryfast"))
    audio = MediaSource(str(clip), audio=info.audio)
    jobs: list[DemoJob] = []

    def finish(job: DemoJob) -> None:
        jobs.append(job)
        if on_job:
            on_job(job)

    def frames(path: Path) -> Iterator[np.ndarray]:
        with open_input(path) as reader:
            yield from reader

    # Interpolation as slow motion: the new frames are played at the input's rate.
    result = folder / f"interpolate_x{SLOW_MOTION}_slowmo.mp4"
    started = time.monotonic()
    run_job(str(clip), str(result), Interpolator(placement=placement).processor(fps, SLOW_MOTION), fps,
            OutputSettings(encode=settings.encode, audio=False), {"demo": "interpolate"}, info=info, warn=warn)
    seconds = time.monotonic() - started
    both = folder / "interpolate_side_by_side.mp4"
    _write(side_by_side(_held(frames(clip), SLOW_MOTION), frames(result), ("input, each frame held 4x", "interpolated 4x")), both, fps)
    finish(DemoJob("interpolate", f"{SLOW_MOTION}x slow motion: input frames held | frames made by optical flow", seconds, result, both))

    result = folder / "stylize.mp4"
    started = time.monotonic()
    run_job(str(clip), str(result), Stylizer([style], placement=placement).processor(), fps, settings,
            {"demo": "stylize"}, info=info, warn=warn)
    seconds = time.monotonic() - started
    both = folder / "stylize_side_by_side.mp4"
    _write(side_by_side(frames(clip), frames(result), ("input", "stylized (style.png)")), both, fps, audio)
    finish(DemoJob("stylize", "the clip painted in the style of style.png, steady from frame to frame", seconds, result, both))

    result = folder / "predict.mp4"
    predictor = Predictor(placement=placement)
    span = resolve_span(info, last_frame=info.frame_count - PREDICTED - 1)
    started = time.monotonic()
    run_job(str(clip), str(result), ExtendProcessor(predictor, PREDICTED, predictor.context_size), fps, settings,
            {"demo": "predict"}, info=info, warn=warn, span=span)
    seconds = time.monotonic() - started
    both = folder / "predict_side_by_side.mp4"
    _write(side_by_side(frames(clip), frames(result), ("what happened", f"last {PREDICTED} frames predicted")), both, fps, audio)
    finish(DemoJob("predict", f"the last {PREDICTED} frames cut off and predicted: real | predicted", seconds, result, both))
    return jobs
