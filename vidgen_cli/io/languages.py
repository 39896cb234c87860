"""Which stream language tags (ISO 639-2 codes, as ffmpeg prints them) an output container keeps.

AVI stores none. QuickTime (.mov) stores a language as a Macintosh language code, so ffmpeg's mov
muxer keeps only the ISO codes that have one (it keeps "ger" and "fra" but drops "deu" and "fre");
MP4 packs any three letters. Rather than copy ffmpeg's table, the bundled ffmpeg is asked: a tiny
.mov is written with the tag and read back (once per code and process).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import StreamInfo


def lost_languages(muxer: str, streams: Iterable[StreamInfo]) -> list[str]:
    """The language codes of `streams` (sorted, "und" left out) that `muxer` cannot store."""
    codes = sorted({s.language for s in streams if s.language and s.language != "und"})
    if muxer == "avi":
        return codes
    if muxer == "mov":
        return [code for code in codes if not _mov_keeps(code)]
    return []


def language_note(muxer: str, streams: Iterable[StreamInfo]) -> str | None:
    """One line naming the language tags `muxer` drops, or None."""
    if dropped := lost_languages(muxer, streams):
        return f"{muxer} cannot store the language tag(s) {', '.join(dropped)} of the source's streams; write .mkv or .mp4 to keep them"
    return None


@functools.lru_cache(maxsize=None)
def _mov_keeps(code: str) -> bool:
    """Whether ffmpeg's mov muxer writes language `code` (True when the check itself fails)."""
    with tempfile.TemporaryDirectory(prefix="vidgen-lang-") as folder:
        path = os.path.join(folder, "language.mov")
        made = ffmpeg.run(["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.01", "-c:a", "pcm_s16le",
                           "-metadata:s:a:0", f"language={code}", "-y", path], timeout=30)
        if made.returncode != 0:
            return True
        header = ffmpeg.run(["-i", path], timeout=30).stderr.decode("utf-8", "replace")
        return f"({code})" in header
