"""What rides along with the picture from a source: its audio, subtitles, metadata, dispositions and
attachments, and the ffmpeg input, map and codec options that carry them into an output
container (copied where the container holds the codec; what it cannot hold is named in one line).
io/encode.py's writers add these to their video encode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.chapters import write_clipped_chapters
from vidgen_cli.io.encoders import start_filters
from vidgen_cli.io.ffmpeg import start_offset
from vidgen_cli.io.formats import TEXT_SUBTITLES, Container
from vidgen_cli.io.languages import language_note
from vidgen_cli.io.media import StreamInfo, VideoInfo, split_top_level
from vidgen_cli.io.subtitle_cues import subtitle_encoder, write_clipped_cues
from vidgen_cli.io.timecode import timecode_args

@dataclass
class MediaSource:
    """Where to take audio (and subtitles) from, and which slice of it."""

    path: str
    audio: list[StreamInfo] = field(default_factory=list)
    subtitles: list[StreamInfo] = field(default_factory=list)
    start: float = 0.0
    duration: float | None = None
    video_start: float = 0.0  # where the source's video stream starts (after its audio, for a late video)
    metadata: bool = False  # the video's own source: carry its metadata, dispositions and attachments too
    video: StreamInfo | None = None  # its video stream (metadata and dispositions for the output's video)
    attachments: list[StreamInfo] = field(default_factory=list)  # fonts and other attachments (Matroska only)
    mapped_origin: bool = False  # ffmpeg times this input from its earliest mapped stream (MPEG-TS/PS), not its file start
    other_video: list[StreamInfo] = field(default_factory=list)  # video streams besides the processed one (named, not carried)
    attached_pics: list[StreamInfo] = field(default_factory=list)  # cover art, carried where the container holds it (MP4, Matroska)
    chapters: int = 0  # the source's chapters (ffmpeg maps them from the first input that has any)
    title: str | None = None  # the source's global title

    @classmethod
    def of_video(cls, info: VideoInfo, audio: bool = True, start: float = 0.0, duration: float | None = None) -> "MediaSource":
        """Everything of a probed video that rides along with its picture: audio and subtitles (unless
        `audio` is False), metadata, dispositions, attachments; `video_start` from its video stream."""
        video = StreamInfo(info.video_stream, "video", info.codec, description=info.video_description, title=info.video_title)
        return cls(info.path, audio=info.audio if audio else [], subtitles=info.subtitles if audio else [], start=start,
                   duration=duration, video_start=info.start_time, metadata=True, video=video, attachments=info.attachments,
                   mapped_origin=info.demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS, other_video=info.other_video,
                   attached_pics=info.attached_pics, chapters=info.chapters, title=info.title)


WarnFn = Callable[[str], None]

# A container without edit lists (AVI) cannot say to skip a copied track's priming (an MP3 encoder's
# 1105 samples, 25 ms, sit before the first sample at 0 and would start the sound late): a copied
# packet that lies mostly before 0 is dropped, so the sound starts on the nearest packet boundary
# (MP3: 1 ms early instead of 25 ms late; AC3's 256 samples are less than half its first packet:
# that stays, 6 ms late at 44.1 kHz).
PRIMING_DROP = "noise=drop=lt(pts+duration/2\\,0)"

# After -ss, a copied track's packets from the seek point on arrive with times before the cut. Into
# MP4/MOV those that end before it are dropped and the one that spans it is kept: the edit list then
# starts the sound at the cut, with the first frame (dropping that packet too started AAC 11 ms and
# Opus 14 ms late). Matroska, MPEG-TS and NUT would shift every stream by that packet's negative time
# (a .ts source's picture started 21 ms late): there every packet before the cut is dropped and the
# sound starts on the next packet boundary, in sync (late_copy_note says so).
SPAN_KEEP = "noise=drop=lt(pts+duration\\,0)"
EDIT_LIST_MUXERS = ("mp4", "mov")

# A source trimmed without re-encoding (`ffmpeg -ss 0.5 -i in.mp4 -c copy trim.mp4`) keeps the audio
# packets its edit list discards, which a copy passes on with times before 0 (-521 ms on the new user's
# clip). MPEG-TS and NUT then started the picture 0.52 s into the file (.ts: the sound 0.52 s after
# the picture). There the packets that end before 0 are dropped (SPAN_KEEP); the one that spans 0
# stays, as a normal AAC track's priming packet does. (Matroska is left as it is: it stores the edit
# list's skip as the track's CodecDelay, so dropping those packets would skip 0.5 s of real sound.)
PREROLL_DROP_MUXERS = ("mpegts", "nut")


# A copied track is cut on a packet boundary (MP3: 26 ms, AC3: 32-35 ms, at 44.1 kHz): where the
# container says where each stream starts (MP4 edit lists, Matroska, MPEG-TS, NUT), the first packet
# keeps its own time and the sound stays in sync. AVI cannot: the first packet after a --start cut
# plays at 0, up to a packet early (AC3 30 ms, MP3 11 ms measured). There the track is re-encoded with
# its own codec (ffmpeg's input seek cuts decoded audio to the sample) and the encoder's priming
# trimmed (io/encoders.py's start_filters); PCM loses nothing.
# The encoder that re-encodes a codec as itself (TrueHD/MLP, which ffmpeg cannot encode, as FLAC):
# a cut that cannot be copied keeps the source's codec (here, and convert/shot_audio.py).
SAME_CODEC = {"aac": "aac", "mp3": "libmp3lame", "opus": "libopus", "vorbis": "libvorbis", "ac3": "ac3", "eac3": "eac3",
              "flac": "flac", "alac": "alac", "mp2": "mp2", "tta": "tta", "wavpack": "wavpack", "truehd": "flac", "mlp": "flac"}
_LOSSLESS = ("pcm_", "flac", "alac")
_BITRATE = re.compile(r"^(\d+) kb/s\b")


# AVI (no per-stream start times) plays every track from the file's start: a track that starts later
# in its source (a late audio track, ffmpeg's -itsoffset) played early by its offset (-465 ms
# measured for a track 0.5 s late). There it is padded with that much silence (io/encoders.py's
# start_filters), a copied track re-encoded with its own codec for it (late_pad_note says so).
_LATE = 0.001  # seconds: a later start is padded


def late_start(container: Container, source: MediaSource, stream: StreamInfo) -> float:
    """Seconds after the output's start (the file's start, or --start) at which `stream` starts in
    its source, where `container` cannot say so itself (AVI); 0.0 elsewhere or when it starts with it."""
    late = stream.start_time - source.start
    return late if not container.edit_lists and late > _LATE else 0.0


def audio_encoder(container: Container, source: MediaSource, stream: StreamInfo) -> str | None:
    """The encoder for `stream` of `source` in `container`; None where it is copied as it is."""
    if not container.copies_audio(stream.codec):
        return container.audio_codec
    if (source.start > 0 or late_start(container, source, stream)) and not container.edit_lists:  # a copy would start out of sync
        return stream.codec if stream.codec.startswith("pcm_") else SAME_CODEC.get(stream.codec, container.audio_codec)
    return None


def _bitrate_args(n: int, stream: StreamInfo, encoder: str | None) -> list[str]:
    """-b:a at the source stream's bitrate where its own codec re-encodes it lossily (the encoder's
    default may be lower than the source's)."""
    if encoder is None or encoder != SAME_CODEC.get(stream.codec) or stream.codec.startswith(_LOSSLESS):
        return []
    rate = next((m.group(1) for p in split_top_level(stream.description) if (m := _BITRATE.match(p))), None)
    return [f"-b:a:{n}", f"{rate}k"] if rate else []


def cut_reencode_note(container: Container, source: MediaSource) -> str | None:
    """One line for the tracks that a cut re-encodes (audio_encoder) in a container that cannot
    start a copy between packets; None when there are none (or they are PCM, re-encoded losslessly)."""
    recut = sorted({s.codec for s in source.audio if container.copies_audio(s.codec) and audio_encoder(container, source, s)
                    and not s.codec.startswith(_LOSSLESS) and not late_start(container, source, s)})
    if not recut:
        return None
    return (f"{container.muxer} cannot say where a copied audio track starts, and a copy cut where the frames start "
            f"(--start) begins on a packet boundary, up to a packet (26-35 ms) off the first frame: re-encoding the "
            f"{', '.join(recut)} audio with its own codec so it starts with the first frame (write .mkv or .mp4 to copy it)")


def late_pad_note(container: Container, source: MediaSource) -> str | None:
    """One line for the copyable audio tracks that start after the output does in a container that
    plays every track from its start (AVI): they are padded with silence, re-encoded with their own
    codec (PCM losslessly); None where there are none."""
    late = [s for s in source.audio if container.copies_audio(s.codec) and late_start(container, source, s)]
    if not late:
        return None
    starts = ", ".join(f"#{s.index} {s.codec} at +{late_start(container, source, s):.3f} s" for s in late)
    lossy = "" if all(s.codec.startswith(_LOSSLESS) for s in late) else " (write .mkv or .mp4 to copy it)"
    return (f"{container.muxer} cannot say where an audio track starts and would play it from 0: re-encoding the late "
            f"audio ({starts}) with its own codec, padded with silence in front so it stays in sync{lossy}")


def late_copy_note(container: Container, source: MediaSource) -> str | None:
    """One line for the audio tracks a --start cut copies into a container without MP4's edit lists
    (Matroska, MPEG-TS, NUT): the copy starts on a packet boundary, in sync but up to a packet
    after the first frame; None where there are none."""
    if source.start <= 0 or container.muxer in EDIT_LIST_MUXERS or not container.edit_lists:  # AVI re-encodes (cut_reencode_note)
        return None
    late = sorted({s.codec for s in source.audio if container.copies_audio(s.codec) and audio_encoder(container, source, s) is None})
    if not late:
        return None
    return (f"{container.muxer} cannot start a copied audio track inside a packet: the {', '.join(late)} audio starts on a "
            "packet boundary after --start, in sync but up to one packet (20-35 ms) after the first frame "
            "(write .mp4 or .mov to start it with the first frame)")


def is_cut(source: MediaSource) -> bool:
    """Whether `source` is a time range of its file (--start/--end), not the whole of it."""
    return source.start > 0 or source.duration is not None


CHAPTERS = -1  # clipped_cues' key for the source's chapters (no stream has this index)


def clipped_cues(source: MediaSource | None, container: Container) -> dict[int, Path]:
    """For a time-range cut: each text subtitle stream of `source` that `container` keeps, its cues
    cut to the range (a cue that spans --start starts at 0, one that spans the end ends there), in
    a temporary .ass file, by source stream index (io/subtitle_cues.py); and under CHAPTERS, the
    chapters of the video's own source cut to the range, in an ffmetadata file (io/chapters.py).
    The caller deletes the files. Raises DecodeError when ffmpeg cannot read a stream."""
    if source is None or not is_cut(source):
        return {}
    end = None if source.duration is None else source.start + source.duration
    files: dict[int, Path] = {}
    try:
        for stream in source.subtitles:
            if stream.codec in TEXT_SUBTITLES and container.keeps_subtitle(stream.codec):
                files[stream.index] = write_clipped_cues(source.path, stream, source.start, end)
        # The video's own source, where probe saw chapters: ffmpeg moves them with -ss but keeps those outside the range
        if source.metadata and source.chapters and (chapters := write_clipped_chapters(source.path, source.start, end)) is not None:
            files[CHAPTERS] = chapters
    except BaseException:
        for path in files.values():
            path.unlink(missing_ok=True)
        raise
    return files


# After -ss, ffmpeg keeps a copied subtitle packet that began before the cut with a negative time,
# and Matroska then shifts every stream by it (the picture started 0.5 s late): such a cue starts at 0.
CUE_FROM_CUT = "setts=pts=max(PTS\\,0):dts=max(DTS\\,0)"


def media_args(source: MediaSource | None, container: Container, input_index: int, warn: WarnFn | None = None,
               cues: dict[int, Path] | None = None) -> tuple[list[str], list[str]]:
    """Input args for the source and the map/codec args that copy its audio and subtitles. `cues`:
    text subtitle streams (by source stream index) taken from these files instead, already cut to
    the source's range (clipped_cues); they become the inputs after the source's."""
    if source is None or not (source.audio or source.subtitles or source.metadata):
        return [], []
    cues = cues or {}
    subtitles = [stream for stream in source.subtitles if container.keeps_subtitle(stream.codec)]
    inputs = _cut_args(source, [*source.audio, *(s for s in subtitles if s.index not in cues)])
    if source.duration is not None:
        inputs += ["-t", f"{source.duration:.6f}"]
    inputs += ["-i", ffmpeg.url(source.path)]
    cue_inputs = {index: input_index + 1 + k for k, index in enumerate(cues)}
    for path in cues.values():
        inputs += ["-i", ffmpeg.url(path)]
    maps: list[str] = []
    for n, stream in enumerate(source.audio):
        maps += ["-map", f"{input_index}:{stream.index}"]
        encoder = audio_encoder(container, source, stream)
        copied = encoder is None
        maps += [f"-c:a:{n}", encoder or "copy", *_bitrate_args(n, stream, encoder)]
        if encoder and not container.edit_lists and (trim := start_filters(stream, encoder, late_start(container, source, stream))):
            maps += [f"-filter:a:{n}", ",".join(trim)]
        if copied and not container.edit_lists:  # a copied track's priming (packets before 0) cannot be skipped here
            maps += [f"-bsf:a:{n}", PRIMING_DROP]
        if copied and source.start > 0 and container.muxer in EDIT_LIST_MUXERS:  # the packet that spans the cut stays (SPAN_KEEP)
            maps += [f"-bsf:a:{n}", SPAN_KEEP]
        elif copied and container.muxer in PREROLL_DROP_MUXERS:  # a trimmed source's pre-roll (PREROLL_DROP_MUXERS)
            maps += [f"-bsf:a:{n}", SPAN_KEEP]
        elif copied and source.start > 0:  # drop the packets before the cut that the seek lands on (ffmpeg keeps them)
            maps += [f"-copypriorss:a:{n}", "0"]
    muxer = container.muxer
    uncut: list[str] = []  # image subtitles of a cut: their cues cannot be cut
    for n, stream in enumerate(subtitles):
        if stream.index in cues:
            maps += ["-map", f"{cue_inputs[stream.index]}:0", f"-c:s:{n}", subtitle_encoder(stream, str(container.subtitle_codec))]
        else:
            maps += ["-map", f"{input_index}:{stream.index}", f"-c:s:{n}", str(container.subtitle_codec)]
            if is_cut(source) and stream.codec not in TEXT_SUBTITLES:
                uncut.append(stream.codec)
                maps += [f"-bsf:s:{n}", CUE_FROM_CUT] if source.start > 0 else []
        maps += _disposition_args("s", n, stream)
    if CHAPTERS in cues:
        maps += ["-map_chapters", str(cue_inputs[CHAPTERS])]
    if uncut:
        (warn or (lambda message: None))(
            f"image subtitles ({', '.join(sorted(set(uncut)))}) cannot be cut: a cue that spans the start or end of the range is "
            "kept whole (one that began before the start shows from 0)")
    for n, stream in enumerate(source.audio):
        maps += _disposition_args("a", n, stream)
    if muxer in ("mp4", "mov") and subtitles and not all("default" in s.dispositions for s in subtitles):
        (warn or (lambda message: None))(f"{muxer} turns on (default) the first subtitle track whatever the source says; write .mkv to keep it off")
    kept = [("a", n, stream) for n, stream in enumerate(source.audio)] + [("s", n, stream) for n, stream in enumerate(subtitles)]
    return inputs, maps + _container_args(source, muxer, input_index, kept)


def _cut_args(source: MediaSource, mapped: list[StreamInfo]) -> list[str]:
    """-ss/-itsoffset that make the source's mapped streams start at `source.start` on its file's
    timeline. ffmpeg times an MPEG-TS/PS input from its earliest mapped stream where that starts
    after the cut (`mapped_origin`; ffmpeg's correct_input_start_times), so audio that starts
    after the file does would lose its offset: -itsoffset puts it back."""
    offset = 0.0
    if source.mapped_origin and mapped:
        offset = max(0.0, min(stream.start_time for stream in mapped) - source.start)
    return (["-ss", f"{source.start:.6f}"] if source.start > 0 else []) + start_offset(offset)


def source_stream_args(info: VideoInfo, container: Container, output: str, warn: WarnFn,
                       start: float = 0.0, duration: float | None = None) -> list[str]:
    """Map, codec, metadata and disposition args that carry the audio, subtitles, metadata and
    attachments of `info` (ffmpeg's input #0) into `container`, as a model command's output keeps
    them; names in one line what the container cannot hold or copy (media_for). `start`,
    `duration`: the input is read from -ss `start` (for `duration`): copied packets from before the
    cut are dropped (audio) or start at 0 (image subtitles), so they do not shift the other streams."""
    media = media_for(container, MediaSource.of_video(info, start=start, duration=duration), output, warn)
    if media is not None and media.attached_pics:
        warn(f"{output}: the source's cover art (attached picture) is not carried into the shots")
    return media_args(media, container, 0, warn)[1] if media is not None else []


def _disposition_args(kind: str, n: int, stream: StreamInfo) -> list[str]:
    """The source stream's dispositions, set explicitly: otherwise ffmpeg marks the first stream of
    each kind default (a subtitle track would switch itself on)."""
    return [f"-disposition:{kind}:{n}", "+".join(stream.dispositions) or "0"]


def _container_args(source: MediaSource, muxer: str, input_index: int, kept: list[tuple[str, int, StreamInfo]]) -> list[str]:
    """Global metadata (title...), the video stream's own metadata and dispositions, and (Matroska)
    attachments such as subtitle fonts, all from the source. Naming one stream's metadata source
    turns off ffmpeg's automatic per-stream copy, so every kept stream's is named."""
    if not source.metadata:
        return []
    args = ["-map_metadata", str(input_index)]
    if muxer == "matroska":
        for n, stream in enumerate(source.attachments):
            args += ["-map", f"{input_index}:{stream.index}"]
            kept = kept + [("t", n, stream)]
        args += ["-c:t", "copy"] if source.attachments else []
    if source.video is not None:
        args += ["-map_metadata:s:v:0", f"{input_index}:s:{source.video.index}"]
        args += _disposition_args("v", 0, source.video)
        if source.start > 0:  # a cut: the timecode of its first frame, not the source's
            args += timecode_args(source.path, source.video.description, source.start - source.video_start)
    for kind, n, stream in kept:
        args += [f"-map_metadata:s:{kind}:{n}", f"{input_index}:s:{stream.index}"]
    return args


def media_for(container: Container, media: MediaSource | None, output: str, warn: WarnFn) -> MediaSource | None:
    """The part of `media` that `container` can hold; says in one line what it cannot (audio in a
    GIF or Y4M, image subtitles in MP4, any subtitles in AVI) instead of failing at the end."""
    if media is None:
        return None
    audio = media.audio if container.audio else []
    subtitles = [s for s in media.subtitles if container.keeps_subtitle(s.codec)]
    lost = ([f"{len(media.audio)} audio stream(s)"] if len(audio) < len(media.audio) else []) + \
        ([f"{len(media.subtitles) - len(subtitles)} subtitle stream(s)"] if len(subtitles) < len(media.subtitles) else [])
    if lost:
        warn(f"{output}: the {container.muxer} container cannot hold {' and '.join(lost)} of the source; writing without "
             "them (use .mkv to keep every stream)")
    if container.muxer in ("mp4", "mov", "mpegts") and (titled := [s for s in (media.video, *audio, *subtitles) if s and s.title]):
        marks = ", ".join(sorted({d for s in (*audio, *subtitles) for d in s.dispositions if d != "default"}))
        also = f" or their dispositions ({marks})" if container.muxer == "mov" and marks else ""
        warn(f"{output}: {container.muxer} does not keep stream titles ({', '.join(repr(s.title) for s in titled)}){also}; "
             "write .mkv to keep them")
    if note := language_note(container.muxer, (*audio, *subtitles)):
        warn(f"{output}: {note}")
    if note := cut_reencode_note(container, replace(media, audio=audio)):
        warn(f"{output}: {note}")
    if note := late_pad_note(container, replace(media, audio=audio)):
        warn(f"{output}: {note}")
    if note := late_copy_note(container, replace(media, audio=audio)):
        warn(f"{output}: {note}")
    recoded = [stream for stream in audio if not container.copies_audio(stream.codec)]
    if recoded:
        codecs = ", ".join(sorted({stream.codec for stream in recoded}))
        warn(f"{output}: the {container.muxer} container cannot hold {codecs} audio; re-encoding {len(recoded)} audio "
             f"stream(s) to {container.audio_codec} (use .mkv to copy every stream as it is)")
    pictures = other_streams_note(container, media, output, warn)
    if media.metadata and (line := chapters_title_line(container.muxer, media.chapters, media.title)):
        warn(f"{output}: {line}")
    if not (audio or subtitles or media.metadata):
        return None
    return replace(media, audio=audio, subtitles=subtitles, attached_pics=pictures, other_video=[],
                   attachments=media.attachments if container.muxer == "matroska" else [])


_COVER_CODECS = {"png": ("image/png", "png"), "mjpeg": ("image/jpeg", "jpg"), "bmp": ("image/bmp", "bmp")}  # MIME type, extension


def other_streams_note(container: Container, media: MediaSource, output: str, warn: WarnFn) -> list[StreamInfo]:
    """Name in one line each kind of source stream that is not carried: video streams besides the
    processed one (vidgen makes one picture: ffmpeg's pick), cover art outside MP4 and Matroska,
    attachments (fonts) outside Matroska. Returns the attached pictures the container keeps."""
    if media.other_video:
        sizes = ", ".join(f"#{s.index} {s.codec}" + (f" {m.group(0)}" if (m := _SIZE.search(s.description)) else "") for s in media.other_video)
        picked = f", #{media.video.index}" if media.video is not None else ""
        warn(f"{output}: the source has {len(media.other_video) + 1} video streams; vidgen processes one{picked} (a file: the "
             f"one ffmpeg picks; a pipe: the first), and does not carry the other(s): {sizes}")
    kept = [s for s in media.attached_pics if container.muxer in ("mp4", "matroska") and s.codec in _COVER_CODECS]
    if len(kept) < len(media.attached_pics):
        warn(f"{output}: vidgen carries cover art (attached pictures: PNG, JPEG, BMP) only into .mp4 and .mkv; writing "
             f"{container.muxer} without the source's {len(media.attached_pics) - len(kept)} cover picture(s)")
    if media.attachments and container.muxer != "matroska":
        names = [s.filename or f"#{s.index} {s.codec}" for s in media.attachments]  # the file name, as a font is known
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        warn(f"{output}: the {container.muxer} container cannot hold attachments; writing without the source's "
             f"{len(media.attachments)} attached file(s) ({shown}); write .mkv to keep them")
    return kept


_SIZE = re.compile(r"\b\d{1,5}x\d{1,5}\b")
# The containers whose ffmpeg muxers write chapters, and a global title (AVI: its INFO list's INAM).
CHAPTER_MUXERS = ("mp4", "mov", "matroska", "webm", "nut")
TITLE_MUXERS = (*CHAPTER_MUXERS, "avi")


def chapters_title_line(muxer: str, chapters: int, title: str | None) -> str | None:
    """The one line naming the source's chapters and global title that `muxer` cannot hold (MPEG-TS
    neither, AVI no chapters, GIF and Y4M no metadata at all); None when it keeps them."""
    lost = ([f"{chapters} chapter(s)"] if chapters and muxer not in CHAPTER_MUXERS else []) + \
        ([f"title ({title!r})"] if title and muxer not in TITLE_MUXERS else [])
    if not lost:
        return None
    return f"the {muxer} container cannot hold the source's {' and '.join(lost)}; writing without them (use .mkv or .mp4 to keep them)"


def attached_pic_args(source: MediaSource | None, input_index: int, container: Container, folder: Path) -> list[str]:
    """Args that carry the source's cover art (`media_for` kept only what `container` holds). MP4:
    map and copy it as the video streams after the first (given after the main video's codec
    options, which they override for these streams). Matroska: ffmpeg would write a copied
    attached picture as a second video track, so each is extracted into `folder` (which the caller
    removes after the encode) and attached as cover.EXT, the name Matroska players look for."""
    if source is None or not source.attached_pics:
        return []
    if container.muxer == "matroska":
        return _cover_attachments(source, folder)
    args: list[str] = []
    for n, stream in enumerate(source.attached_pics, start=1):
        args += ["-map", f"{input_index}:{stream.index}", f"-c:v:{n}", "copy", f"-disposition:v:{n}", "attached_pic"]
    return args


def _cover_attachments(source: MediaSource, folder: Path) -> list[str]:
    """-attach args for each cover picture of `source`, extracted into `folder`; attachment
    streams come after the mapped ones (t:0... are the source's own attachments)."""
    args: list[str] = []
    for n, stream in enumerate(source.attached_pics):
        mime, extension = _COVER_CODECS[stream.codec]
        picture = folder / f"{'cover' if n == 0 else f'cover{n + 1}'}.{extension}"
        ffmpeg.run(["-i", ffmpeg.url(source.path), "-map", f"0:{stream.index}", "-c", "copy", "-frames:v", "1", "-f", "image2",
                    ffmpeg.url(picture)])
        if picture.is_file():
            at = len(source.attachments) + n
            args += ["-attach", str(picture), f"-metadata:s:t:{at}", f"mimetype={mime}", f"-metadata:s:t:{at}", f"filename={picture.name}"]
    return args
