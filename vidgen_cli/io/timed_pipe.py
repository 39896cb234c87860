"""Raw frames with their own timestamps, as a minimal Matroska stream for ffmpeg's stdin.

A bare rawvideo pipe gives every frame the same duration, so a variable-frame-rate timeline
cannot pass through it. Matroska carries one timestamp per block and ffmpeg reads it from a pipe
with unknown sizes (as it reads live WebM), so the writer wraps each RGB frame in a one-block
cluster: 40 bytes of header per frame, no copy of the pixels beyond the pipe write.

Layout (Matroska spec, RFC 9559): EBML header; Segment of unknown size; Info with a timestamp
scale of one microsecond; one video track (V_UNCOMPRESSED, ColourSpace: the FourCC of ffmpeg's raw
pixel-format tags, e.g. 'RGB\\x18' = rgb24, 'RGBA', 'RGB0' = rgb48le, 'RBA@' = rgba64le); then
per frame a Cluster (Timestamp, SimpleBlock with relative time 0 and the key-frame flag), or, when
the frame's duration is known, a BlockGroup (Block, BlockDuration): without it ffmpeg guesses each
frame's duration from the stream's rate, so a VFR clip's last frame (100 ms at 10 fps) lasted
1/30 s in the output and the video ended 67 ms early.
"""

from __future__ import annotations

import struct
from fractions import Fraction

TICKS_PER_SECOND = 1_000_000  # TimestampScale 1000 ns
TIME_BASE = Fraction(1, TICKS_PER_SECOND)


def _size(length: int) -> bytes:
    """An EBML data size in 8 bytes (always valid, simplest to write)."""
    return bytes([0x01]) + length.to_bytes(7, "big")


def _element(element_id: int, payload: bytes) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + _size(len(payload)) + payload


def _uint(element_id: int, value: int) -> bytes:
    return _element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


_UNKNOWN_SIZE = bytes([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
# ffmpeg's raw pixel-format tags (libavcodec/raw.c), read little-endian from ColourSpace.
_FOURCC = {"rgb24": b"RGB\x18", "rgba": b"RGBA", "rgb48le": b"RGB0", "rgba64le": b"RBA@"}


def stream_header(width: int, height: int, raw_format: str = "rgb24") -> bytes:
    """EBML header, the open Segment, Info and the one video track of `raw_format` frames
    (rgb24, rgba, rgb48le or rgba64le)."""
    ebml = _element(0x1A45DFA3, _uint(0x4286, 1) + _uint(0x42F7, 1) + _uint(0x42F2, 4) + _uint(0x42F3, 8)
                    + _element(0x4282, b"matroska") + _uint(0x4287, 4) + _uint(0x4285, 2))
    info = _element(0x1549A966, _uint(0x2AD7B1, 1_000_000_000 // TICKS_PER_SECOND) + _element(0x4D80, b"vidgen")
                    + _element(0x5741, b"vidgen"))
    video = _element(0xE0, _uint(0xB0, width) + _uint(0xBA, height) + _element(0x2EB524, _FOURCC[raw_format]))
    track = _element(0xAE, _uint(0xD7, 1) + _uint(0x73C5, 1) + _uint(0x83, 1) + _uint(0x9C, 0)
                     + _element(0x86, b"V_UNCOMPRESSED") + video)
    return ebml + bytes.fromhex("18538067") + _UNKNOWN_SIZE + info + _element(0x1654AE6B, track)


def frame_header(time: Fraction | float, frame_bytes: int, duration: Fraction | float | None = None) -> bytes:
    """Everything before one frame's pixels: its Cluster (time in microseconds, >= 0) and its
    SimpleBlock header, or with `duration` (seconds, > 0) a BlockGroup whose BlockDuration follows
    the pixels (`frame_trailer`)."""
    ticks = max(0, round(Fraction(time) * TICKS_PER_SECOND))
    timestamp = _uint(0xE7, ticks)
    if duration is not None:
        block_head = bytes([0x81]) + struct.pack(">h", 0) + bytes([0x00])  # track 1, +0 ticks (a Block has no key flag)
        block = bytes([0xA1]) + _size(len(block_head) + frame_bytes) + block_head
        trailer = frame_trailer(duration)
        group = bytes([0xA0]) + _size(len(block) + frame_bytes + len(trailer)) + block
        cluster_payload = len(timestamp) + len(group) + frame_bytes + len(trailer)
        return bytes.fromhex("1F43B675") + _size(cluster_payload) + timestamp + group
    block_head = bytes([0x81]) + struct.pack(">h", 0) + bytes([0x80])  # track 1, +0 ticks, key frame
    block = bytes([0xA3]) + _size(len(block_head) + frame_bytes) + block_head
    cluster_payload = len(timestamp) + len(block) + frame_bytes
    return bytes.fromhex("1F43B675") + _size(cluster_payload) + timestamp + block


def frame_trailer(duration: Fraction | float | None) -> bytes:
    """What follows a frame's pixels: its BlockDuration (microseconds, at least 1) when
    `frame_header` was given a duration, else nothing."""
    if duration is None:
        return b""
    return _uint(0x9B, max(1, round(Fraction(duration) * TICKS_PER_SECOND)))
