"""A source's chapters cut to a time range: ffmpeg's -ss moves chapters with the cut but neither
drops those outside it nor ends one at -t, so a cut from 1 to 2.5 s of a four-chapter file kept a
chapter ending at 0 s and one ending at 2 s, and the container's duration read 2.00 s for 1.52 s
of picture. The chapters are written again as an ffmetadata file for -map_chapters.
"""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

from vidgen_cli.io import ffmpeg


def _sections(text: str) -> list[list[str]]:
    """The [CHAPTER] sections of an ffmetadata file, each its lines after the header."""
    chapters: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("[") and line.rstrip().endswith("]"):
            current = [] if line.strip().upper() == "[CHAPTER]" else None
            if current is not None:
                chapters.append(current)
        elif current is not None:
            current.append(line)
    return chapters


def clip_chapters(text: str, start: float, end: float | None) -> list[str]:
    """The [CHAPTER] sections of ffmetadata `text` that play between `start` and `end` seconds
    (None: to the end), moved so `start` is 0 and cut to the range; each as ffmetadata text."""
    kept: list[str] = []
    for lines in _sections(text):
        fields = {key: value for key, _, value in (line.partition("=") for line in lines if "=" in line)}
        try:
            base = Fraction(fields.get("TIMEBASE", "1/1000"))
            first, last = int(fields["START"]) * base - Fraction(start), int(fields["END"]) * base - Fraction(start)
        except (KeyError, ValueError, ZeroDivisionError):
            continue
        first = max(first, Fraction(0))
        if end is not None:
            last = min(last, Fraction(end) - Fraction(start))
        if last <= first:
            continue  # outside the range
        body = [line for line in lines if not line.startswith(("TIMEBASE=", "START=", "END="))]
        kept.append("\n".join(["[CHAPTER]", "TIMEBASE=1/1000000", f"START={round(first * 10**6)}", f"END={round(last * 10**6)}", *body]))
    return kept


def write_clipped_chapters(path: str, start: float, end: float | None) -> Path | None:
    """A temporary ffmetadata file holding the chapters of `path` cut to `start`..`end` seconds (0
    at `start`); None when the file has no chapters (then nothing is written). The caller deletes it."""
    result = ffmpeg.run(["-i", ffmpeg.url(path), "-vn", "-an", "-sn", "-dn", "-f", "ffmetadata", "-"], timeout=60)
    text = result.stdout.decode("utf-8", "replace")
    if result.returncode != 0 or "[CHAPTER]" not in text.upper():
        return None
    chapters = clip_chapters(text, start, end)
    handle, name = tempfile.mkstemp(suffix=".ffmeta", prefix="vidgen-chapters-")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(";FFMETADATA1\n" + "".join(chapter + "\n" for chapter in chapters))
    return Path(name)
