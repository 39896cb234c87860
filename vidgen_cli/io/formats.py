"""Every fact about file formats, written once: which names are images and videos, which video
containers vidgen can write (ffmpeg muxer, default encoder, the audio and subtitle codecs each one
carries), the containers for a stream on stdout, and the image formats frames are written in.

Input detection (io/paths.py, cli/batch.py, train/clips.py, stylize/styles.py), output validation
(runtime/job.py, before any work) and every writer (io/encode.py, runtime/resume.py,
convert/split.py) read these tables, so a container is either supported everywhere or refused up
front with one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidgen_cli.errors import UsageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})

ANY_CODEC = frozenset({"*"})
TEXT_SUBTITLES = frozenset({"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"})  # convertible between containers


@dataclass(frozen=True)
class Container:
    """A container vidgen writes, by ffmpeg muxer name."""

    muxer: str  # ffmpeg's -f name
    video_codec: str = "libx264"  # default encoder (the container may require one: VP9 for WebM)
    audio_copy: frozenset[str] = frozenset()  # audio codecs carried as they are (ANY_CODEC: all)
    audio_codec: str = "aac"  # what other audio is re-encoded to
    subtitle_codec: str | None = None  # text subtitles become this ("copy": every kind kept); None: dropped
    faststart: bool = False  # move the index to the front (progressive playback of MP4/MOV files)
    audio: bool = True  # False: the container holds no audio stream (GIF, Y4M)
    frame_times: bool = True  # False: one rate for every frame (AVI, Y4M); a variable-rate timeline is resampled
    # False (AVI): no composition times or edit lists, so a stream cannot start late by design. Video is
    # encoded without B-frames (their reorder delay would start the picture late) and a re-encoded audio
    # stream loses its encoder's priming samples (which would start the sound late).
    edit_lists: bool = True
    colour_tags: bool = True  # False: no primaries/transfer tags (GIF, Y4M); an HDR source is shown as sRGB

    def copies_audio(self, codec: str) -> bool:
        return self.audio_copy == ANY_CODEC or codec in self.audio_copy

    def keeps_subtitle(self, codec: str) -> bool:
        return self.subtitle_codec == "copy" or (self.subtitle_codec is not None and codec in TEXT_SUBTITLES)


CONTAINERS: dict[str, Container] = {c.muxer: c for c in (
    Container("mp4", audio_copy=frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}), subtitle_codec="mov_text", faststart=True),
    Container("mov", audio_copy=frozenset({"aac", "mp3", "alac", "ac3", "eac3", "pcm_s16le"}), subtitle_codec="mov_text", faststart=True),
    Container("matroska", audio_copy=ANY_CODEC, subtitle_codec="copy"),
    Container("webm", video_codec="libvpx-vp9", audio_copy=frozenset({"opus", "vorbis"}), audio_codec="libopus", subtitle_codec="webvtt"),
    Container("avi", audio_copy=frozenset({"mp3", "ac3", "pcm_s16le"}), audio_codec="libmp3lame", frame_times=False,
              edit_lists=False),
    Container("nut", audio_copy=ANY_CODEC),
    Container("mpegts", audio_copy=frozenset({"aac", "mp3", "mp2", "ac3", "eac3", "opus"})),
    Container("yuv4mpegpipe", video_codec="rawvideo", audio=False, frame_times=False, colour_tags=False),
    Container("gif", video_codec="gif", audio=False, colour_tags=False),
)}

# File extensions vidgen writes, and the muxer for each (.mts is AVCHD's name for MPEG-TS).
WRITABLE_SUFFIXES: dict[str, str] = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".avi": "avi",
    ".nut": "nut", ".ts": "mpegts", ".mts": "mpegts", ".y4m": "yuv4mpegpipe", ".gif": "gif",
}
# Read (decoded by ffmpeg) but not written: their muxers need codecs vidgen does not encode with.
READ_ONLY_SUFFIXES = frozenset({".mpg", ".mpeg", ".flv", ".wmv", ".ogv"})
VIDEO_SUFFIXES = frozenset(WRITABLE_SUFFIXES) | READ_ONLY_SUFFIXES

# Containers for a video written to stdout (-o -), by the name --format takes.
STREAM_FORMATS: dict[str, str] = {"nut": "nut", "y4m": "yuv4mpegpipe", "matroska": "matroska", "mkv": "matroska",
                                  "mpegts": "mpegts", "mp4": "mp4"}

# One image written as a file (-o photo.png): the OpenCV format for each image extension.
IMAGE_FILE_FORMATS: dict[str, str] = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".webp": "webp", ".bmp": "bmp",
                                      ".tif": "tiff", ".tiff": "tiff"}

# Image formats frames are written in (split, and the frames folders of the model commands).
FRAME_FORMATS = ("png", "jpg", "webp")

_SUGGESTED = ".mp4, .mkv, .webm or .mov"


def container_for(output: str | Path) -> Container:
    """The container a video file name asks for. Raises UsageError, before any work is done, for a
    name vidgen cannot write (read-only containers such as .wmv, and unknown extensions)."""
    suffix = Path(output).suffix.lower()
    if suffix in WRITABLE_SUFFIXES:
        return CONTAINERS[WRITABLE_SUFFIXES[suffix]]
    if suffix in READ_ONLY_SUFFIXES:
        raise UsageError(f"{output}: vidgen reads {suffix} files but cannot write that extension; use {_SUGGESTED}")
    raise UsageError(f"{output}: unknown video extension '{suffix}'; use {_SUGGESTED}, or a folder name (ending in /) for frames")


def stream_container(name: str | None) -> Container:
    """The container for a stream on stdout, from --format (default nut)."""
    key = (name or "nut").lower()
    if key not in STREAM_FORMATS:
        raise UsageError(f"--format {key} is not a stream format; use one of {', '.join(sorted(STREAM_FORMATS))}")
    return CONTAINERS[STREAM_FORMATS[key]]


def frame_format(name: str) -> str:
    """'png', 'jpg' or 'webp' from --format (jpeg and a leading dot accepted). Raises UsageError."""
    normal = name.lower().lstrip(".")
    normal = "jpg" if normal == "jpeg" else normal
    if normal not in FRAME_FORMATS:
        raise UsageError(f"--format {name}: use {', '.join(FRAME_FORMATS[:-1])} or {FRAME_FORMATS[-1]}")
    return normal


def clip_suffix(source: str | Path) -> str:
    """The extension for clips cut from `source` (split --scenes): the source's own when vidgen
    writes it with H.264 and AAC (.mp4, .mkv, .mov, .ts, ...), otherwise .mp4."""
    suffix = Path(source).suffix.lower()
    muxer = WRITABLE_SUFFIXES.get(suffix)
    if muxer and CONTAINERS[muxer].video_codec == "libx264" and CONTAINERS[muxer].audio_codec == "aac":
        return suffix
    return ".mp4"
