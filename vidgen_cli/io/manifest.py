"""The JSON that `split` writes beside the frames and `stitch` reads to restore timing and audio."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from vidgen_cli.errors import InputError
from vidgen_cli.io.paths import list_images

MANIFEST_NAME = "manifest.json"


@dataclass
class Manifest:
    fps: Fraction | None
    width: int
    height: int
    frames: list[str]
    times: list[float]
    source: str | None = None
    audio_source: str | None = None
    start: float = 0.0  # where in the source the first frame lies, seconds (to cut the audio)
    duration: float = 0.0
    sar: Fraction = Fraction(1)  # pixel aspect of the frames (anamorphic sources), restored by stitch
    extra: dict = field(default_factory=dict)
    source_size: int | None = None  # the source file's size and mtime when split read it (write_manifest fills them)
    source_mtime: float | None = None

    def to_json(self) -> dict:
        return {
            "vidgen_manifest": 1,
            "source": self.source,
            "audio_source": self.audio_source,
            "fps": str(self.fps) if self.fps else None,
            "width": self.width,
            "height": self.height,
            "start": self.start,
            "duration": self.duration,
            "sar": str(self.sar),
            "frame_count": len(self.frames),
            **({"source_size": self.source_size, "source_mtime": self.source_mtime} if self.source_size is not None else {}),
            "frames": [{"file": f, "time": round(t, 6)} for f, t in zip(self.frames, self.times)],
            **self.extra,
        }


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write `manifest` into `folder`, with the identity (size, mtime) of its source file as it is now."""
    path = Path(folder) / MANIFEST_NAME
    if manifest.source and manifest.source_size is None and Path(manifest.source).is_file():
        stat = Path(manifest.source).stat()
        manifest = replace(manifest, source_size=stat.st_size, source_mtime=stat.st_mtime)
    path.write_text(json.dumps(manifest.to_json(), indent=1) + "\n")
    return path


def read_manifest_if_any(folder: Path) -> Manifest | None:
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        frames = data.get("frames", [])
        manifest = Manifest(
            fps=Fraction(data["fps"]) if data.get("fps") else None,
            width=int(data.get("width", 0)),
            height=int(data.get("height", 0)),
            frames=[f["file"] for f in frames],
            times=[float(f["time"]) for f in frames],
            source=data.get("source"),
            audio_source=data.get("audio_source"),
            start=float(data.get("start", 0.0)),
            duration=float(data.get("duration", 0.0)),
            sar=Fraction(data.get("sar") or 1),
            extra={key: data[key] for key in ("pixels",) if isinstance(data.get(key), dict)},
            source_size=int(data["source_size"]) if data.get("source_size") is not None else None,
            source_mtime=float(data["source_mtime"]) if data.get("source_mtime") is not None else None,
        )
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise InputError(f"{path}: not a valid vidgen manifest ({exc}); fix or delete it") from exc
    check_times(path, manifest)
    return manifest


def check_times(path: Path, manifest: Manifest) -> None:
    """Refuse a manifest whose frame times go backwards (a hand edit): each frame plays at its
    listed time, so the frame would land before its predecessor. Equal times are kept (in order)."""
    for (before, earlier), (name, time) in zip(zip(manifest.frames, manifest.times), zip(manifest.frames[1:], manifest.times[1:])):
        if time < earlier:
            raise InputError(f"{path}: frame times go backwards: {name} at {time:.6f} s is listed after {before} at "
                             f"{earlier:.6f} s; fix its time (times must not decrease) or delete manifest.json to play the "
                             "frames 1/fps apart")


_NUMBERED = re.compile(r"^(\d+)\.(\w+)$")


def number_ranges(numbers: list[int]) -> str:
    """'11-20, 31' for [11, ..., 20, 31]."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def numbering_gaps_line(folder: Path, images: list[Path]) -> str | None:
    """The one line for a folder without manifest.json whose numbered frames (000001.png ...) skip
    numbers, read by a command that plays the frames 1/fps apart (the gaps close up); None when it
    has a manifest, a name is not a plain number, or nothing is missing."""
    if (Path(folder) / MANIFEST_NAME).is_file():
        return None
    numbers = [int(found.group(1)) if (found := _NUMBERED.match(image.name)) else None for image in images]
    if not numbers or None in numbers or len(set(numbers)) != len(numbers):
        return None
    present = set(numbers)
    missing = [n for n in range(min(present), max(present) + 1) if n not in present]  # type: ignore[type-var]
    if not missing:
        return None
    return (f"{folder}: the numbering skips frame(s) {number_ranges(missing)} and there is no manifest.json to time "
            "the rest: the frames play 1/fps apart, so each gap closes up and what follows plays early (stitch holds the "
            "frame before each gap instead)")


def folder_frames(folder: Path) -> tuple[list[Path], list[str]]:
    """The frames of a folder in natural order, and the names of the images left out: when its
    manifest lists some of the folder's images, only those are frames (an image added beside
    split's frames, e.g. `000001_edit.png`, has no place on the manifest's timeline)."""
    images = list_images(Path(folder))
    manifest = read_manifest_if_any(Path(folder))
    listed = set(manifest.frames) if manifest else set()
    kept = [image for image in images if image.name in listed]
    if not kept or len(kept) == len(images):
        return images, []
    return kept, [image.name for image in images if image.name not in listed]


def unlisted_line(folder: Path, ignored: list[str]) -> str | None:
    """The one line that names the images `folder_frames` left out, or None."""
    if not ignored:
        return None
    names = ", ".join(ignored[:3]) + (f" and {len(ignored) - 3} more" if len(ignored) > 3 else "")
    return (f"{folder}: ignoring {len(ignored)} image(s) not listed in manifest.json ({names}); the listed frames keep "
            "the manifest's times (give an edited frame a listed name, or remove manifest.json to use every image)")


def piped_streams_line(audio: int, subtitles: int) -> str | None:
    """The one line for frames written from stdin while the pipe carries `audio` audio tracks and
    `subtitles` subtitle streams: a manifest names a file to take them from, and a pipe is none."""
    lost = ([f"{audio} audio track(s)"] if audio else []) + ([f"{subtitles} subtitle stream(s)"] if subtitles else [])
    if not lost:
        return None
    return (f"stdin: {' and '.join(lost)} not kept: a frames folder takes its audio from a file and a pipe is none; "
            "pass the video by path to keep them (or stitch with --audio FILE)")


def _ratio(value: Fraction, exact: bool = True) -> str:
    """'640:639'; not `exact`: '16:9', or '2.370:1' where the fraction is not a short one."""
    return f"{value.numerator}:{value.denominator}" if exact or value.denominator <= 100 else f"{float(value):.3f}:1"


def frames_sar(folder: Path, manifest: Manifest | None, width: int, height: int) -> tuple[Fraction | None, str | None]:
    """The pixel aspect (SAR) to play a folder's width x height frames with, and the one line that
    says so when it is not the manifest's. Frames resized to another shape than split wrote (an
    anamorphic 320x240 at SAR 4:3 made 426x240) keep the source's display aspect, as ffmpeg's scale
    filter does: SAR = source DAR x height / width (426x240: 640:639). A proportional
    resize keeps the manifest's SAR; so does a square-pixel source (a crop keeps square pixels)."""
    if manifest is None:
        return None, None
    sar = manifest.sar
    if sar == 1 or not (manifest.width and manifest.height and width and height):
        return sar, None
    shape, recorded = Fraction(width, height), Fraction(manifest.width, manifest.height)
    if abs(shape / recorded - 1) < Fraction(1, 200):  # the same shape (a proportional resize, or rounding)
        return sar, None
    dar = sar * recorded
    kept = (dar / shape).limit_denominator(10000)
    return kept, (f"{folder}: the frames are {width}x{height} where split wrote {manifest.width}x{manifest.height} at SAR "
                  f"{_ratio(sar)}: written at SAR {_ratio(kept)} to keep the source's {_ratio(dar, exact=False)} display aspect, as "
                  f"for resized frames (for cropped ones, set width and height in manifest.json to {width} and {height} "
                  f"to keep SAR {_ratio(sar)})")


def changed_source_line(folder: Path, manifest: Manifest) -> str | None:
    """The one line for a manifest whose source file is no longer the one split read (another size
    than recorded: replaced by another clip), or None. Its streams and frame times no longer belong
    to the frames. Only the size is compared: a copy or `touch` changes the mtime of the same file."""
    if not manifest.source or manifest.source_size is None or not Path(manifest.source).is_file():
        return None
    size = Path(manifest.source).stat().st_size
    if size == manifest.source_size:
        return None
    return (f"{folder}: {manifest.source} is not the file split read ({manifest.source_size} bytes then, {size} now); its "
            f"audio and other streams are not taken (pass --audio {manifest.source} to use its audio anyway, or split it again)")
