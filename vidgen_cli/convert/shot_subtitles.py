"""Text subtitles for the clips of `split --scenes`: each clip gets the part of every cue that plays
inside it, on its own timeline (a cue that spans a cut is cut with the picture: it ends at the
cut in one clip and starts at 0 in the next).

ffmpeg's segment muxer cannot do this: it puts a subtitle packet whole into the clip where it
starts (running past that clip's end) and none into the next. Here each text subtitle stream is
read once as ASS, its Dialogue lines are clipped to each shot (io/subtitle_cues.py), and the clips
are remuxed with the result in the container's subtitle codec (the source's own codec in Matroska). Image subtitles (PGS, DVD) cannot
be cut this way and stay with the segment muxer.
"""

from __future__ import annotations

import re
from pathlib import Path

from vidgen_cli.errors import EncodeError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.formats import TEXT_SUBTITLES, Container
from vidgen_cli.io.media import StreamInfo
from vidgen_cli.io.probe import probe
from vidgen_cli.io.subtitle_cues import clip_cues, read_as_ass, subtitle_encoder

_FILE_START = re.compile(r"Duration: [^\n]*?, start: (-?[\d.]+)")


def text_subtitles(subtitles: list[StreamInfo], container: Container) -> list[StreamInfo]:
    """The subtitle streams that are cut here: text ones the clips' container keeps."""
    return [s for s in subtitles if s.codec in TEXT_SUBTITLES and container.keeps_subtitle(s.codec)]


def add_shot_subtitles(clips: list[Path], bounds: list[float], source: str, streams: list[StreamInfo],
                       container: Container, zero: float) -> None:
    """Remux each clip in `clips` (in order; clip k plays from bounds[k] seconds after `zero` on the
    source's file timeline, to bounds[k + 1] or the end) with its part of each text subtitle
    stream in `streams`, keeping each stream's language, title and dispositions. Raises
    DecodeError/EncodeError when ffmpeg fails."""
    if not streams:
        return
    scripts = [read_as_ass(source, stream) for stream in streams]
    for k, clip in enumerate(clips):
        start = zero + bounds[k]
        end = zero + bounds[k + 1] if k + 1 < len(bounds) else None
        parts = []
        for n, script in enumerate(scripts):
            part = clip.with_name(f".{clip.stem}.sub{n}.ass")
            part.write_text(clip_cues(script, start, end), encoding="utf-8")
            parts.append(part)
        joined = clip.with_name(f".{clip.stem}.subs{clip.suffix}")
        first_frame = _first_frame(clip)  # the cues' 0: the clip's first picture, on its own timestamps (-copyts)
        args = ["-i", ffmpeg.url(clip)]
        for part in parts:
            args += ["-itsoffset", f"{first_frame:.6f}", "-i", ffmpeg.url(part)]
        args += ["-map", "0", *(arg for n in range(len(streams)) for arg in ("-map", f"{n + 1}:0"))]
        args += ["-c", "copy", "-copyts"]  # the clip's own timestamps, as the segment muxer wrote them
        kept = len(probe(str(clip)).subtitles)  # image subtitles the segment muxer carried come first
        for n, stream in enumerate(streams):
            out = kept + n
            args += [f"-c:s:{out}", subtitle_encoder(stream, str(container.subtitle_codec)),
                     f"-disposition:s:{out}", "+".join(stream.dispositions) or "0"]
            args += [arg for key, value in (("language", stream.language), ("title", stream.title)) if value
                     for arg in (f"-metadata:s:s:{out}", f"{key}={value}")]
        result = ffmpeg.run([*args, "-f", container.muxer, ffmpeg.url(joined)])
        for part in parts:
            part.unlink(missing_ok=True)
        if result.returncode != 0:
            joined.unlink(missing_ok=True)
            raise EncodeError(f"{clip}: ffmpeg could not add the shot's subtitles ({ffmpeg.last_error_line(result.stderr)})")
        joined.replace(clip)


def _first_frame(clip: Path) -> float:
    """When the clip's first video frame plays, in its own timestamps (the segment muxer may start
    a clip at the B-frame delay, not 0)."""
    banner = ffmpeg.run(["-i", ffmpeg.url(clip)]).stderr.decode("utf-8", "replace")
    match = _FILE_START.search(banner)
    return (float(match.group(1)) if match else 0.0) + probe(str(clip)).start_time
