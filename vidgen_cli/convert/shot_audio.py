"""The sound of each clip of `split --scenes`: every shot's audio spans exactly its frames, in sync.

ffmpeg's segment muxer cannot do this: it switches clips at the cut's key frame packet, and audio is
interleaved by DTS, which the B-frame delay puts about two frames before the cut. So each shot but
the last lost the end of its sound (40-80 ms), and in Matroska or MPEG-TS the next shot started with
it (its picture up to 76 ms after its sound). Here each clip's audio is replaced by the source's, cut at
the shot's first frame and at the next shot's first frame (the first shot from --start or the
file's start, the last to --end or the sound's own end):

- MP4/MOV: copied. The edit list skips the samples of the first packet that lie before the cut,
  and the last packet's duration is cut to the shot's end, where the edit list then ends.
- Matroska, MPEG-TS and NUT have no way to start or end a copied packet part-way, and an MPEG-TS/PS
  source seeks inexactly: the sound is decoded, cut on the sample and re-encoded (in the source's
  codec where ffmpeg has its encoder, at its bit rate; lossless codecs stay lossless), and one line
  says so. Matroska marks the encoder's priming to be skipped; MPEG-TS and NUT cannot, so there it
  plays (quiet, 23 ms for AAC) before the shot's first frame, and the sound after it is in sync.
  A stream that outlasts the shot's end by part of a codec frame is padded with silence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.banner import FILE_START, parse_header
from vidgen_cli.io.encoders import audio_encoders, priming_seconds
from vidgen_cli.io.formats import Container
from vidgen_cli.io.media import StreamInfo, VideoInfo
from vidgen_cli.io.media_source import SAME_CODEC
from vidgen_cli.io.probe import probe

# Containers whose edit lists let a copied track start and end between two of its samples.
_SAMPLE_EXACT_COPY = frozenset({"mp4", "mov"})
# MPEG-TS and NUT cannot mark an encoder's priming to be skipped: it plays before the first sample. Within
# the file it plays before the shot's first frame (the shot's sound in sync, all of it kept); at the
# file's start it takes the place of the source's first samples, so the first shot starts as the source does.
_NO_PRIMING_MARK = frozenset({"mpegts", "nut"})
_LOSSLESS = frozenset({"flac", "alac", "tta", "wavpack"})
_BIT_RATE = re.compile(r"\b(\d+) kb/s")
_STREAM_START = re.compile(r",\s*start (-?[\d.]+)")  # a stream's start in ffmpeg's banner (PTS seconds)
# A decoded cut starts this long before the shot, so the decoder is past its start-up (an AAC
# frame overlaps the one before it) when the first kept sample comes.
_PREROLL = 0.5
# An MPEG-TS/PS source is read from this long before the cut: its seek may land a little off, and
# read from its start, a shot more than 10 s in took the whole file's sound (ffmpeg takes a 10 s
# timestamp jump in MPEG-TS for a discontinuity and undoes the -itsoffset that places it).
_TS_MARGIN = 1.0


def audio_encoder(stream: StreamInfo, container: Container) -> str:
    """The encoder for `stream` when a shot's cut re-encodes it: its own codec's (TrueHD/MLP to FLAC)
    where the container holds that codec and ffmpeg has the encoder, else the container's default."""
    own = stream.codec if stream.codec.startswith("pcm_") else SAME_CODEC.get(stream.codec)
    if own and own in audio_encoders() and container.copies_audio("flac" if own == "flac" else stream.codec):
        return own
    return container.audio_codec


def copies_on_the_sample(info: VideoInfo, container: Container, stream: StreamInfo) -> bool:
    """Whether a shot's cut of `stream` is copied (MP4/MOV, an exactly seeking source) or re-encoded."""
    return container.muxer in _SAMPLE_EXACT_COPY and container.copies_audio(stream.codec) \
        and info.demuxer not in ffmpeg.MAPPED_ORIGIN_DEMUXERS


def recut_note(info: VideoInfo, container: Container, output: str) -> str | None:
    """One line naming the audio that the shots re-encode because a copy cannot be cut on the
    sample in `container` (audio the container cannot hold at all is named where it is converted)."""
    recut = [s for s in info.audio if container.copies_audio(s.codec) and not copies_on_the_sample(info, container, s)]
    if not recut:
        return None
    codecs = ", ".join(sorted({f"{s.codec} -> {audio_encoder(s, container)}" if audio_encoder(s, container) != s.codec else s.codec
                               for s in recut}))
    why = "the source seeks inexactly (MPEG-TS/PS)" if info.demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS \
        else f"{container.muxer} cannot start or end a copied audio packet part-way"
    return (f"{output}: re-encoding each shot's audio ({codecs}) so that its sound starts and ends with its frames: {why} "
            "(shots written as .mp4 or .mov keep a copy)")


def replace_shot_audio(clips: list[Path], bounds: list[float], info: VideoInfo, container: Container, zero: float,
                       start: float | None, end: float | None, warn: Callable[[str], None] | None = None, output: str = "") -> None:
    """Remux each clip in `clips` (clip k plays from bounds[k] s after `zero` on the source's file
    timeline to bounds[k + 1]; the first from `start`, or the file's start when None, the last to
    `end`, or the sound's end when None) with the source's audio streams cut to exactly that span,
    in place of the audio the segment muxer gave it; video, subtitles, attachments, metadata and
    dispositions are kept. `output`: the shots' folder as the user named it, for the one line that
    names re-encoded audio. Raises EncodeError when ffmpeg fails."""
    if not info.audio or not clips:
        return
    if warn and (note := recut_note(info, container, output or str(clips[0].parent))):
        warn(note)
    if len(bounds) != len(clips):  # a cut the segment muxer did not make: each clip lasts as long as its video
        bounds = [sum(probe(str(clip)).duration for clip in clips[:k]) for k in range(len(clips))]
    for k, clip in enumerate(clips):
        here = zero + bounds[k]
        cut_from = here if k > 0 else start
        cut_to = zero + bounds[k + 1] if k + 1 < len(bounds) else end
        _remux(clip, info, container, here, cut_from, cut_to)


def _remux(clip: Path, info: VideoInfo, container: Container, here: float, cut_from: float | None, cut_to: float | None) -> None:
    """Clip's own streams but audio, plus the source's audio between `cut_from` and `cut_to` (file
    timeline), placed so that the source's time `here` plays with the clip's first frame."""
    shot = _clip_times(clip)
    video_at = shot.video_seen
    if cut_from is None and shot.audio is not None:
        # The first shot from the file's start: the segment muxer copied the source's own offset
        # between its picture and its sound (a .ts's AAC priming; an MPEG-PS video probed at 0 s
        # that starts 11 ms after its sound): the source's sound starts where the clip's did.
        here = info.audio[0].start_time + video_at - (shot.audio - (shot.video - video_at))
    begin = None if cut_from is None else cut_from - here + video_at  # in the clip's time
    finish = None if cut_to is None else cut_to - here + video_at
    inputs: list[str] = []
    codecs: list[str] = []
    for n, stream in enumerate(info.audio):  # one input per stream: a copy and a decode seek differently
        exact = copies_on_the_sample(info, container, stream)
        if info.demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS:  # seeks inexactly: from well before the cut, else from the start
            seek = cut_from - _TS_MARGIN if cut_from is not None and cut_from - _TS_MARGIN > stream.start_time else None
            input_zero = seek if seek is not None else stream.start_time  # (without -ss: timed from its earliest mapped stream)
        else:
            seek = None if cut_from is None else (cut_from if exact else max(0.0, cut_from - _PREROLL))
            input_zero = seek or 0.0
        inputs += [*(["-ss", f"{seek:.6f}"] if seek else []), *(["-noaccurate_seek"] if seek and not exact else []),
                   *ffmpeg.start_offset(input_zero - here + video_at), "-i", ffmpeg.url(info.path)]  # input time -> clip time
        codecs += [f"-disposition:a:{n}", "+".join(stream.dispositions) or "0"]
        if exact:
            # Packets wholly before the shot's start (the seek lands on an earlier key frame) or after its
            # end are dropped, and the last one ends at the shot's end (so does the edit list).
            drop = ([f"lte((pts+duration)*tb,{begin:.6f})"] if begin is not None else []) + \
                ([f"gte(pts*tb,{finish:.6f})"] if finish is not None else [])
            chain = ([f"noise=drop='{'+'.join(drop)}'"] if drop else []) + \
                ([f"setts=duration='min(DURATION,{finish:.6f}/TB-PTS)'"] if finish is not None else [])
            codecs += [f"-bsf:a:{n}", ",".join(chain)] if chain else []
            continue
        encoder = audio_encoder(stream, container)
        codecs += [f"-c:a:{n}", encoder]
        rate = _BIT_RATE.search(stream.description)
        if rate and encoder not in _LOSSLESS and not encoder.startswith("pcm_"):
            codecs += [f"-b:a:{n}", f"{rate.group(1)}k"]
        start = begin
        if start is None and container.muxer in _NO_PRIMING_MARK:  # the file's start: the priming takes the place
            start = stream.start_time - here + video_at + priming_seconds(stream, encoder)  # of the source's first samples
        trim = ([f"start={start:.6f}"] if start is not None else []) + ([f"end={finish:.6f}"] if finish is not None else [])
        codecs += [f"-filter:a:{n}", "atrim=" + ":".join(trim)] if trim else []
    args = ["-i", ffmpeg.url(clip), *inputs, "-map", "0:v", *(a for n, s in enumerate(info.audio) for a in ("-map", f"{n + 1}:{s.index}")),
            "-map", "0:s?", "-map", "0:t?", "-c", "copy", "-map_metadata", "0", "-map_chapters", "0", *codecs]
    args += ["-movflags", "+faststart"] if container.faststart else []
    joined = clip.with_name(f".{clip.stem}.audio{clip.suffix}")
    result = ffmpeg.run([*args, "-f", container.muxer, ffmpeg.url(joined)])
    if result.returncode != 0:
        joined.unlink(missing_ok=True)
        raise EncodeError(f"{clip}: ffmpeg could not cut the shot's audio ({ffmpeg.last_error_line(result.stderr)})")
    joined.replace(clip)


@dataclass
class _ClipTimes:
    """Stream starts of a clip (seconds on its file's timeline), from ffmpeg's banner."""

    video: float
    audio: float | None  # its first audio stream's, if any
    video_seen: float  # where its first frame lies on the timeline ffmpeg gives it as an input that maps its video and
    # subtitles: the file's start is 0, except in MPEG-TS, timed from the earliest mapped stream


def _clip_times(clip: Path) -> _ClipTimes:
    """The clip's stream starts, read from one `ffmpeg -i` banner (a full probe would read every
    packet of the clip). Raises EncodeError when ffmpeg finds no video stream in it."""
    text = ffmpeg.run(["-i", ffmpeg.url(clip)]).stderr.decode("utf-8", "replace")
    header = parse_header(text)
    if header.video is None:
        raise EncodeError(f"{clip}: ffmpeg wrote a shot without a video stream ({ffmpeg.last_error_line(text.encode())})")
    file_start = float(match.group(1)) if (match := FILE_START.search(text)) else 0.0
    start = _STREAM_START.search(header.video["description"])
    video = round(float(start.group(1)) - file_start, 6) if start else 0.0
    demuxer = match.group(1) if (match := re.search(r"^Input #0, ([\w,]+), from", text, re.MULTILINE)) else ""
    seen = video - min([video, *(s.start_time for s in header.subtitles)]) if demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS else video
    return _ClipTimes(video=video, audio=header.audio[0].start_time if header.audio else None, video_seen=seen)
