"""A still's EXIF Orientation (tag 0x0112) and applying it, so that photos come out the way viewers show them.

Cameras store the sensor's pixels and say in EXIF how to turn them for display. Browsers, image viewers
and ffmpeg's autorotation of phone video apply that on read; vidgen does the same for every image it
reads (single images, frames folders), and reports the turn as the rotation `probe` prints. The tag is
read from JPEG (APP1), PNG (eXIf), WebP (EXIF chunk) and TIFF (IFD0) files; other files read as 1.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# EXIF orientation -> the clockwise turn a viewer applies (degrees), and whether it mirrors first
TURNS = {1: (0, False), 2: (0, True), 3: (180, False), 4: (180, True), 5: (270, True), 6: (90, False), 7: (90, True),
         8: (270, False)}


def exif_orientation(path: Path) -> int:
    """The EXIF Orientation (1..8) of the image file at `path`; 1 when it has none or is not readable."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            handle.seek(0)
            if head[:2] == b"\xff\xd8":
                block = _jpeg_exif(handle)
            elif head[:8] == b"\x89PNG\r\n\x1a\n":
                block = _png_exif(handle)
            elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                block = _webp_exif(handle)
            elif head[:4] in (b"II*\x00", b"MM\x00*"):
                block = handle.read(1 << 20)
            else:
                return 1
    except OSError:
        return 1
    value = _tiff_orientation(block) if block else None
    return value if value in TURNS else 1


def displayed_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """(width, height) of a stored picture once `orientation` is applied."""
    return (height, width) if TURNS.get(orientation, (0, False))[0] in (90, 270) else (width, height)


def rotation_degrees(orientation: int) -> int:
    """The turn as `probe` reports a video's display matrix: counter-clockwise degrees, 0..359
    (EXIF 6, "turn 90 degrees clockwise", is 270, as a phone clip's "rotation of -90 degrees")."""
    return (360 - TURNS.get(orientation, (0, False))[0]) % 360


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """`image` (H x W [x C]) turned for display as EXIF `orientation` says; contiguous."""
    turn, mirror = TURNS.get(orientation, (0, False))
    if mirror:
        image = image[:, ::-1]
    if turn:
        image = np.rot90(image, k=-(turn // 90))  # negative k: clockwise
    return np.ascontiguousarray(image)


def _jpeg_exif(handle) -> bytes | None:
    handle.seek(2)
    while True:
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF or marker[1] in (0xDA, 0xD9):
            return None
        size = handle.read(2)
        if len(size) < 2:
            return None
        length = struct.unpack(">H", size)[0]
        if marker[1] == 0xE1:
            data = handle.read(length - 2)
            if data[:6] == b"Exif\x00\x00":
                return data[6:]
            continue
        handle.seek(length - 2, 1)


def _png_exif(handle) -> bytes | None:
    handle.seek(8)
    while True:
        head = handle.read(8)
        if len(head) < 8:
            return None
        length, kind = struct.unpack(">I", head[:4])[0], head[4:]
        if kind == b"eXIf":
            return handle.read(length)
        if kind in (b"IDAT", b"IEND"):
            return None
        handle.seek(length + 4, 1)


def _webp_exif(handle) -> bytes | None:
    handle.seek(12)
    while True:
        head = handle.read(8)
        if len(head) < 8:
            return None
        length, kind = struct.unpack("<I", head[4:])[0], head[:4]
        if kind == b"EXIF":
            data = handle.read(length)
            return data[6:] if data[:6] == b"Exif\x00\x00" else data
        handle.seek(length + (length & 1), 1)


def _tiff_orientation(block: bytes) -> int | None:
    """Tag 0x0112 of IFD0 of a TIFF-structured EXIF block."""
    if len(block) < 8 or block[:2] not in (b"II", b"MM"):
        return None
    order = "<" if block[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", block[4:8])[0]
    if offset + 2 > len(block):
        return None
    count = struct.unpack(order + "H", block[offset:offset + 2])[0]
    for index in range(count):
        entry = block[offset + 2 + 12 * index: offset + 14 + 12 * index]
        if len(entry) < 12:
            return None
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == 0x0112 and kind == 3:
            return struct.unpack(order + "H", entry[8:10])[0]
    return None
