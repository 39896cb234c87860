"""Probe an input without decoding it: exact fps, frame count, timing, size, streams, VFR.

imageio-ffmpeg ships no ffprobe, so this parses ffmpeg's own stream header (io/banner.py) and
reads the packet timestamps with a stream copy to `framecrc` (no decoding: milliseconds for a
short clip). Packet timestamps give the exact frame count, the exact frame rate as a Fraction,
and detect variable frame rate.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.io import ffmpeg, matroska
from vidgen_cli.io.banner import FILE_START, STREAM_LINE, Header, parse_header
from vidgen_cli.io.exif import displayed_size, exif_orientation, rotation_degrees
from vidgen_cli.io.imagesize import image_size
from vidgen_cli.io.formats import IMAGE_SUFFIXES
from vidgen_cli.io.hdr_metadata import read_hdr_metadata
from vidgen_cli.io.media import PixelInfo, StreamInfo, VideoInfo, split_top_level
from vidgen_cli.io.paths import is_image_file
from vidgen_cli.io.pixels import GRAY, is_hdr
from vidgen_cli.io.rates import fits_rate, frame_rate as _frame_rate

MAX_PIXELS = 8192 * 8192  # refuse absurd declared sizes before allocating frames
_DISCARD = 0x4  # AV_PKT_FLAG_DISCARD: a packet an edit list cuts away (decoded, never shown)


def _packet_times(path: str, stream: int, timeline: list[str] | None = None) -> tuple[np.ndarray, Fraction, np.ndarray, str | None]:
    """Presentation timestamps of the packets that play (sorted, in time-base units, on the file's
    timeline: ffmpeg subtracts the file's start), the time base, durations, and ffmpeg's line
    saying the file ends early (cut short) or None.

    Packets an edit list cuts away (a trimmed `-c copy` file keeps the GOP before the cut) carry
    the discard flag; they are decoded but never shown, so they are not frames of the video.

    Packets without a PTS (AVI with packed B-frames: DivX/Xvid) are timed by decoding instead,
    which gives the times and count of the frames ffmpeg plays. So are the packets of a file that
    ends early: its last packets can be cut or lack their reference, and decode to nothing."""
    times = _frame_times(path, stream, ["-c", "copy"], timeline or [])
    if times is None or times[3] is not None:
        times = _frame_times(path, stream, [], timeline or []) or times
    return times or (np.zeros(0, dtype=np.int64), Fraction(1, 1), np.zeros(0, dtype=np.int64), None)


_NOPTS = -(2 ** 63)
_ENDS_EARLY = ("File ended prematurely", "partial file")  # ffmpeg's Matroska/WebM and MP4/MOV demuxers on a cut file


def _frame_times(path: str, stream: int, codec: list[str], timeline: list[str]) -> tuple[np.ndarray, Fraction, np.ndarray, str | None] | None:
    """(sorted PTS, time base, durations, ffmpeg's 'ends early' line or None) from ffmpeg's framecrc
    of stream `stream`, of its packets (`codec` ["-c", "copy"]) or its decoded frames ([]); None
    when a packet has no PTS."""
    result = ffmpeg.run([*timeline, "-i", ffmpeg.url(path), "-map", f"0:{stream}", *codec, "-f", "framecrc", "-"])
    text = result.stdout.decode("utf-8", "replace")
    errors = result.stderr.decode("utf-8", "replace").splitlines()
    cut = next((line.split("] ", 1)[-1].strip() for line in errors if any(marker in line for marker in _ENDS_EARLY)), None)
    time_base = Fraction(1, 1)
    pts, durations = [], []
    for line in text.splitlines():
        if line.startswith("#tb"):
            num, den = line.split(":", 1)[1].strip().split("/")
            time_base = Fraction(int(num), int(den))
        elif line and not line.startswith("#"):
            fields = line.split(",")
            flags = next((f.strip()[2:] for f in fields[6:] if f.strip().startswith("F=")), "0")
            if len(fields) >= 5 and not int(flags, 16) & _DISCARD:
                if int(fields[2]) == _NOPTS:
                    return None
                pts.append(int(fields[2]))
                durations.append(int(fields[3]))
    return np.sort(np.array(pts, dtype=np.int64)), time_base, np.array(durations, dtype=np.int64), cut


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe a video file, a folder of images or a single image."""
    path = str(path)
    ffmpeg.check_input_path(path)
    if os.path.isdir(path):
        return _probe_folder(path)
    if is_image_file(Path(path)):
        return _probe_image(path)
    return _probe_video(path)


def audio_streams(path: str | os.PathLike[str]) -> list[StreamInfo]:
    """The audio streams of any media file, audio-only ones included (for `stitch --audio`).

    Raises InputError when the file does not exist or ffmpeg cannot read it."""
    ffmpeg.check_input_path(str(path))
    result = ffmpeg.run(["-i", ffmpeg.url(str(path))])
    return known_codec(parse_header(result.stderr.decode("utf-8", "replace")).audio)[0]


def audio_file_facts(path: str | os.PathLike[str]) -> tuple[list[StreamInfo], float, float | None]:
    """The audio streams of any media file (audio-only ones included), where its video stream starts
    (seconds on the file's timeline; 0 without one) and, for an audio-only file, how long it plays
    (seconds, the container's Duration; None for other files or when ffmpeg prints N/A: see
    `media_duration`), from one probe (`stitch --audio`).

    Raises InputError when the file does not exist or ffmpeg cannot read it."""
    try:
        info = probe(path)
    except AudioOnlyError as audio_only:
        return known_codec(audio_only.audio)[0], 0.0, audio_only.record.get("duration")
    except InputError:  # no readable video (an image, an empty video stream): the audio alone, from 0
        return audio_streams(path), 0.0, None
    return info.audio, info.start_time, None


def media_duration(path: str | os.PathLike[str]) -> float | None:
    """How long any media file plays (seconds from its start, the container's Duration in ffmpeg's
    banner; audio-only files too); None when ffmpeg prints N/A. Raises InputError when the file does
    not exist or ffmpeg cannot read it."""
    ffmpeg.check_input_path(str(path))
    found = _DURATION.search(ffmpeg.run(["-i", ffmpeg.url(str(path))]).stderr.decode("utf-8", "replace"))
    return int(found.group(1)) * 3600 + int(found.group(2)) * 60 + float(found.group(3)) if found else None


class StillImageError(InputError):
    """A still image read without an image extension (e.g. a spooled pipe): `kind` is ffmpeg's
    name for its format ('png', 'jpeg', 'webp' ...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class AudioOnlyError(InputError):
    """A media file with audio streams and no video: refused by the commands that need frames;
    `record` describes it for `vidgen probe`, `audio` holds its streams."""

    def __init__(self, message: str, record: dict, audio: list[StreamInfo] | None = None) -> None:
        super().__init__(message)
        self.record = record
        self.audio = audio or []


_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)


def audio_record(path: str, stderr: str, header: Header) -> dict:
    """An audio-only file as `vidgen probe` prints it: kind 'audio', duration (seconds, from the
    container; None when ffmpeg prints N/A), start, and each audio stream with its codec, sample
    rate (Hz), channel layout and ffmpeg's description."""
    duration = _DURATION.search(stderr)
    start = FILE_START.search(stderr)
    streams = []
    for stream in header.audio:
        parts = split_top_level(stream.description)
        rate = stream.sample_rate
        layout = parts[parts.index(f"{rate} Hz") + 1] if rate is not None and parts.index(f"{rate} Hz") + 1 < len(parts) else None
        streams.append({**stream.__dict__, "sample_rate": rate, "channel_layout": layout})
    return {"path": path, "kind": "audio",
            "duration": round(int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)), 6) if duration else None,
            "start_time": float(start.group(1)) if start else 0.0, "audio": streams,
            "subtitles": [s.__dict__ for s in header.subtitles]}


def _probe_video(path: str) -> VideoInfo:
    result = ffmpeg.run(["-i", ffmpeg.url(path)])
    stderr = result.stderr.decode("utf-8", "replace")
    header = parse_header(stderr)
    if header.video is None:
        if header.audio:
            raise AudioOnlyError(f"{path}: has audio but no video stream; pass a video file", audio_record(path, stderr, header),
                                 header.audio)
        if header.subtitles:
            raise InputError(f"{path}: is a subtitle file ({header.subtitles[0].codec}), not a video; pass a video file "
                             "(vidgen carries a video's own subtitle streams into its output)")
        if "Invalid data found" in stderr or "moov atom not found" in stderr:
            raise InputError(f"{path}: not a video file, or it is truncated or corrupt ({ffmpeg.last_error_line(stderr)})")
        kinds = sorted({match.group(3) for line in stderr.splitlines() if (match := STREAM_LINE.match(line))})
        if kinds:
            raise InputError(f"{path}: holds no video stream (only {', '.join(kinds).lower()}); pass a video file")
        raise InputError(f"{path}: ffmpeg cannot read it as a video ({ffmpeg.last_error_line(stderr)})")
    container = re.search(r"^Input #0, ([\w,]+), from", stderr, re.MULTILINE)
    if container and (container.group(1).endswith("_pipe") or container.group(1) == "image2"):
        kind = container.group(1).removesuffix("_pipe").upper()
        raise StillImageError(f"{path}: is a still image ({kind}), not a video; give it an image extension such as .png or .jpg", kind.lower())
    video = header.video
    if video["width"] * video["height"] > MAX_PIXELS:
        raise InputError(f"{path}: declares a frame size of {video['width']}x{video['height']}, larger than vidgen handles (8192x8192)")
    if not video["width"] or not video["height"]:
        raise InputError(f"{path}: the video stream has no frame size; the file is probably corrupt")
    demuxer = container.group(1) if container else ""
    file_start = float(begins.group(1)) if (begins := FILE_START.search(stderr)) else 0.0
    timeline = ffmpeg.file_timeline(demuxer, file_start)
    pts, time_base, durations, cut = _packet_times(path, video["index"], timeline)
    if len(pts) == 0:
        raise InputError(f"{path}: the video stream holds no frames; the file is empty or truncated")
    # A cut file loses the B-frames of its last group (a gap before the last frame or two): its
    # rate comes from the frames before them.
    intact = pts[:-4] if cut and len(pts) > 12 else pts
    fps, vfr = _frame_rate(intact, durations, time_base, video["fps"])
    if container and container.group(1).startswith("matroska") and (declared := matroska.video_frame_rate(path)):
        fps, vfr = (declared, False) if fits_rate(intact, time_base, declared) else (fps, vfr)  # ms times: the header's exact rate
    start = pts[0]
    seconds = (pts - start).astype(np.float64) * float(time_base)
    last_duration = durations[-1] if len(durations) and durations[-1] > 0 else None
    tail = float(last_duration * time_base) if last_duration else (1 / float(fps) if fps else 0.0)
    audio, unknown_audio = known_codec(header.audio)
    subtitles, unknown_subtitles = known_codec(header.subtitles)
    audio, lost = _readable_audio(path, audio, timeline) if cut else (audio, "")
    if video["pixels"].alpha and video["codec"] in ALWAYS_ALPHA and _opaque(path, video["index"]):
        video["pixels"].alpha = False  # decoded with an alpha plane that holds no transparency
    if is_hdr(video["pixels"]):  # the frames' own copy is not trusted through PNG (io/hdr_metadata.py)
        video["pixels"].mastering_display, video["pixels"].content_light = read_hdr_metadata(path, video["index"], timeline)
    width, height = video["width"], video["height"]
    rotation = video["rotation"] % 360
    sar = video["sar"]
    if rotation in (90, 270):  # ffmpeg rotates on decode, so frames (and their pixel aspect) come out transposed
        width, height, sar = height, width, 1 / sar
    return VideoInfo(
        path=path,
        kind="video",
        width=width,
        height=height,
        fps=fps,
        frame_count=len(pts),
        duration=float(seconds[-1]) + tail,
        codec=video["codec"],
        pix_fmt=video["pix_fmt"],
        rotation=rotation,
        sar=sar,
        video_stream=video["index"],
        start_time=float(start * time_base),
        audio=audio,
        subtitles=subtitles,
        vfr=vfr,
        timestamps=seconds,
        pixels=video["pixels"],
        video_description=video["description"],
        video_title=video.get("title"),
        attachments=header.attachments,
        other_video=header.other_video,
        attached_pics=header.attached_pics,
        chapters=header.chapters,
        title=header.title,
        file_start=file_start,
        demuxer=demuxer,
        ends_early=(_ends_early_note(cut, len(pts), float(seconds[-1]) + tail, stderr) or "") + lost if cut else None,
        unreadable=unreadable_line(unknown_audio + unknown_subtitles),
    )


# The codec ffmpeg's banner names for a stream it cannot identify ('Audio: none, 0 channels' for an
# MP4 track whose sample description was cut off): such a stream can be neither copied nor decoded.
UNKNOWN_CODECS = frozenset({"none", "unknown", ""})


def known_codec(streams: list[StreamInfo]) -> tuple[list[StreamInfo], list[StreamInfo]]:
    """`streams` split into those with a codec ffmpeg knows and those without (never carried)."""
    return [s for s in streams if s.codec not in UNKNOWN_CODECS], [s for s in streams if s.codec in UNKNOWN_CODECS]


def unreadable_line(streams: list[StreamInfo]) -> str | None:
    """One line for the streams no output can carry (known_codec's second list); None when there are none."""
    if not streams:
        return None
    named = ", ".join(f"{s.kind} #{s.index}" for s in streams)
    return (f"stream(s) {named} cannot be read (no codec ffmpeg knows: the file is probably cut short or damaged); "
            "writing without them")


def _readable_audio(path: str, audio: list[StreamInfo], timeline: list[str]) -> tuple[list[StreamInfo], str]:
    """The audio streams of a file that ends early that hold at least one packet, and the end of
    the ends-early line naming those that hold none ('' when all do): a fragmented MP4 cut inside
    its first fragment keeps the video's samples and loses the audio's, which come after them."""
    readable = [s for s in audio if (times := _frame_times(path, s.index, ["-c", "copy"], timeline)) is None or len(times[0])]
    if len(readable) == len(audio):
        return audio, ""
    streams = ", ".join(f"#{s.index}" for s in audio if s not in readable)
    return readable, f"; audio stream(s) {streams} could not be read (the file is cut before their first packet): writing without them"


# Codecs whose decoder gives an alpha plane whether or not a frame has a transparent pixel (GIF:
# bgra for every file): their alpha is kept only when some pixel is not opaque.
ALWAYS_ALPHA = ("gif", "apng", "webp")


def _opaque(path: str, stream: int) -> bool:
    """Whether every decoded pixel of stream `stream` is fully opaque: its alpha plane, read in
    1 MiB chunks, stops at the first pixel under 255."""
    import subprocess

    command = [*ffmpeg.base_command(), "-loglevel", "error", "-i", ffmpeg.url(path), "-map", f"0:{stream}", "-vf",
               "alphaextract,format=gray", "-f", "rawvideo", "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    opaque = True
    try:
        while opaque and (chunk := process.stdout.read(1 << 20)):
            opaque = min(chunk) == 255
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    return opaque


def _ends_early_note(cut: str | None, frames: int, kept: float, stderr: str) -> str | None:
    """One line for a file that stops before its end (cut, or still being written): what is kept."""
    if cut is None:
        return None
    declared = _DURATION.search(stderr)
    total = int(declared.group(1)) * 3600 + int(declared.group(2)) * 60 + float(declared.group(3)) if declared else None
    of = f" of the {total:.2f} s its header declares" if total and total > kept + 0.05 else ""
    return f"the file ends early (ffmpeg: {cut}; truncated or still being written): using the {frames} frames up to {kept:.2f} s{of}"


def _probe_image(path: str) -> VideoInfo:
    import cv2

    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError(f"{path}: not a readable image; pass a PNG, JPEG, WebP, BMP or TIFF file")
    orientation = exif_orientation(Path(path))  # frames are read turned upright (io/exif.py)
    width, height = displayed_size(image.shape[1], image.shape[0], orientation)
    return VideoInfo(path=path, kind="image", width=width, height=height, fps=None, frame_count=1, duration=0.0,
                     pixels=image_pixels(image), rotation=rotation_degrees(orientation))


def image_pixels(image: np.ndarray) -> PixelInfo:
    """Bit depth and alpha of a decoded still (cv2.IMREAD_UNCHANGED). Colour tags of a video made from
    stills come from the manifest, if any; otherwise they stay unknown (encoders' defaults)."""
    alpha = image.ndim == 3 and image.shape[2] in (2, 4)
    gray = image.ndim == 2 or image.shape[2] == 2
    return PixelInfo(bit_depth=16 if image.dtype == np.uint16 else 8, alpha=alpha, field_order="progressive",
                     chroma=GRAY if gray else None)


def check_frames(folder: Path) -> tuple[list[Path], tuple[int, int]]:
    """The folder's images in order, refusing mixed formats and mixed sizes."""
    from vidgen_cli.io.manifest import folder_frames

    images = folder_frames(folder)[0]
    if not images:
        raise InputError(f"{folder}: the folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}); pass a folder of frames")
    formats = {p.suffix.lower().replace("jpeg", "jpg") for p in images}
    if len(formats) > 1:
        raise InputError(f"{folder}: holds frames of mixed formats ({', '.join(sorted(formats))}); keep one format per folder")
    known = formats <= {".png", ".jpg", ".webp"}
    first = image_size(images[0])
    if first is None and not known:
        return images, (0, 0)  # a format without a header reader: decoded (and checked) frame by frame
    if first is not None:
        first = displayed_size(*first, exif_orientation(images[0]))
    for image in images:
        size = image_size(image)
        if size is None:
            raise InputError(f"{image}: not a readable image (bad header); remove or replace it")
        size = displayed_size(*size, exif_orientation(image))  # as read: turned upright
        if size != first:
            raise InputError(f"{image}: is {size[0]}x{size[1]} but {images[0].name} is {first[0]}x{first[1]}; all frames must have one size")
    return images, first


def _probe_folder(path: str) -> VideoInfo:
    import cv2

    images, size = check_frames(Path(path))
    if size == (0, 0):  # a format without a header reader: decode the first frame
        first = cv2.imread(str(images[0]), cv2.IMREAD_UNCHANGED)
        if first is None:
            raise InputError(f"{images[0]}: not a readable image; remove it or replace it")
        size = displayed_size(first.shape[1], first.shape[0], exif_orientation(images[0]))
    width, height = size
    from vidgen_cli.io.manifest import frames_sar, read_manifest_if_any

    manifest = read_manifest_if_any(Path(path))
    fps = manifest.fps if manifest else None
    duration = len(images) / float(fps) if fps else 0.0
    pixels = folder_pixels(images[0], manifest.extra if manifest else {})
    info = VideoInfo(path=path, kind="images", width=width, height=height, fps=fps, frame_count=len(images), duration=duration,
                     pixels=pixels)
    if manifest and fps:
        info.sar = frames_sar(Path(path), manifest, width, height)[0] or Fraction(1)  # reshaped frames keep the display aspect
        listed = dict(zip(manifest.frames, manifest.times))
        if len(listed) and all(image.name in listed for image in images):  # the manifest's timeline (VFR, offset)
            times = np.array([listed[image.name] for image in images])
            info.start_time, info.timestamps = float(times[0]), times - times[0]
            info.vfr = bool(np.abs(info.timestamps - np.arange(len(times)) / float(fps)).max() > 0.25 / float(fps))
            # the last frame lasts one frame at the rate (VFR: as long as the interval before it, not at the mean rate)
            tail = float(info.timestamps[-1] - info.timestamps[-2]) if info.vfr and len(times) > 1 else 1 / float(fps)
            info.duration = float(info.timestamps[-1]) + tail
    return info


def folder_pixels(first: Path, manifest_extra: dict) -> PixelInfo:
    """Bit depth and alpha of a frames folder (from its first image) and the colour tags of the
    video its frames came from (recorded by split in the manifest)."""
    import cv2

    image = cv2.imread(str(first), cv2.IMREAD_UNCHANGED)
    pixels = image_pixels(image) if image is not None else PixelInfo()
    recorded = manifest_extra.get("pixels") or {}
    if pixels.alpha and recorded.get("alpha") is False and image[..., -1].min() == np.iinfo(image.dtype).max:
        pixels.alpha = False  # the source had none and the first frame's alpha is all opaque (an opaque GIF's RGBA frames)
    pixels.primaries, pixels.transfer = recorded.get("color_primaries"), recorded.get("color_transfer")
    pixels.matrix, pixels.range = recorded.get("color_matrix"), recorded.get("color_range")
    pixels.chroma = recorded.get("chroma") or pixels.chroma  # the source's 4:2:2 or 4:4:4, kept when the frames are stitched
    pixels.mastering_display, pixels.content_light = recorded.get("mastering_display"), recorded.get("content_light")
    source_depth = recorded.get("bit_depth")
    if isinstance(source_depth, int) and 8 < source_depth < pixels.bit_depth:
        pixels.bit_depth = source_depth  # 16-bit PNGs hold a 10-bit source: the source's depth is what there is to keep
    return pixels
