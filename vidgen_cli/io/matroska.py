"""Read one fact ffmpeg does not print from a Matroska/WebM header: a track's DefaultDuration.

Matroska timestamps are whole milliseconds, so 2997/100 fps and 30000/1001 fps (33.3667 ms and
33.3667 ms a frame) give the same packet times; the DefaultDuration element (nanoseconds per frame)
tells them apart. Element IDs from the Matroska specification (RFC 9559).
"""

from __future__ import annotations

import os
from fractions import Fraction

_SEGMENT, _TRACKS, _TRACK_ENTRY = 0x18538067, 0x1654AE6B, 0xAE
_TRACK_TYPE, _DEFAULT_DURATION, _CLUSTER = 0x83, 0x23E383, 0x1F43B675
_VIDEO_TRACK = 1
_HEAD_BYTES = 1 << 20  # the track list sits before the first cluster, in the first kilobytes


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `pos`: (value, next position). IDs keep their marker bit."""
    first = data[pos]
    length = next((n for n in range(8) if first & (0x80 >> n)), 8) + 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML length")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _elements(data: bytes, start: int, end: int):
    """(id, payload start, payload end) of the elements between `start` and `end`; an element of
    unknown size (a live or piped file's Segment) runs to the end of the data read."""
    pos = start
    while pos < min(end, len(data)):
        ident, pos = _vint(data, pos, True)
        size_at = pos
        size, pos = _vint(data, pos, False)
        unknown = size == (1 << (7 * (pos - size_at))) - 1
        payload_end = len(data) if unknown or size > len(data) - pos else pos + size
        yield ident, pos, payload_end
        pos = payload_end


def video_frame_rate(path: str | os.PathLike[str]) -> Fraction | None:
    """The first video track's rate from its DefaultDuration (ns per frame), as the simplest
    fraction (denominator <= 1001) within a nanosecond of it; None when the file is not Matroska, the
    element is absent, or the header cannot be read."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
        for ident, start, end in _elements(data, 0, len(data)):
            if ident != _SEGMENT:
                continue
            for child, child_start, child_end in _elements(data, start, end):
                if child == _CLUSTER:
                    return None
                if child == _TRACKS:
                    return _first_video_rate(data, child_start, child_end)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _first_video_rate(data: bytes, start: int, end: int) -> Fraction | None:
    for ident, entry_start, entry_end in _elements(data, start, end):
        if ident != _TRACK_ENTRY:
            continue
        fields = {child: data[s:e] for child, s, e in _elements(data, entry_start, entry_end)}
        if int.from_bytes(fields.get(_TRACK_TYPE, b""), "big") != _VIDEO_TRACK:
            continue
        nanoseconds = int.from_bytes(fields.get(_DEFAULT_DURATION, b""), "big")
        if not nanoseconds:
            return None
        return rate_from_nanoseconds(nanoseconds)
    return None


_PREFERRED_DENOMINATORS = (1, 2, 1001, 4, 5, 100, 1000)  # 25, 25/2, the NTSC family n*1000/1001, 2997/100


def rate_from_nanoseconds(nanoseconds: int) -> Fraction:
    """The rate (frames/s) whose frame duration rounds or truncates to `nanoseconds`, trying the
    usual denominators first: above ~100 fps several fractions fit within a nanosecond (120000/1001
    and 111009/926 both give 8341666 ns), so the closest one with a small denominator is not the
    one the file was written at. Falls back to the closest fraction with denominator <= 1001."""
    def fits(rate: Fraction) -> bool:
        return rate > 0 and abs(10**9 / rate - nanoseconds) < 1  # muxers round or truncate

    for denominator in _PREFERRED_DENOMINATORS:
        rate = Fraction(round(Fraction(10**9 * denominator, nanoseconds)), denominator)
        if fits(rate):
            return rate
    rate = Fraction(10**9, nanoseconds).limit_denominator(1001)
    return rate if fits(rate) else Fraction(10**9, nanoseconds)
