"""Pixel facts of a video stream (bit depth, alpha, colour tags, field order) and what they ask of
decode and encode: the raw format frames travel in, the output pixel format, and the ffmpeg
options that keep primaries, transfer, matrix and range.

The facts come from ffmpeg's stream banner, e.g. `yuv420p10le(tv, bt2020nc/bt2020/smpte2084,
progressive)`: range, then matrix/primaries/transfer (one name when all three agree), then the
field order. ffmpeg >= 7.1 negotiates matrix and range between filters and the encoder, so
`-colorspace`/`-color_range` on the output also choose the RGB -> YUV conversion; primaries and
transfer are frame properties, set with the `setparams` filter.
"""

from __future__ import annotations

import re

import numpy as np

from vidgen_cli.io.media import PixelInfo

DEINTERLACE = "bwdif=mode=send_frame:parity=auto:deint=all"  # one frame per frame: the timeline stays
DEINTERLACE_FLAGGED = "bwdif=mode=send_frame:parity=auto:deint=interlaced"  # only frames flagged interlaced
_ALPHA_FORMATS = ("yuva", "rgba", "bgra", "argb", "abgr", "gbrap", "ya8", "ya16", "rgba64", "bgra64")
_FIELD_ORDERS = {"progressive": "progressive", "top first": "tff", "bottom first": "bff",
                 "top coded first (swapped)": "tff", "bottom coded first (swapped)": "bff"}
# Encoders that can store alpha, and the pixel format they store it in (8-bit, deeper).
ALPHA_PIX_FMT = {"libvpx-vp9": ("yuva420p", "yuva420p"), "libvpx": ("yuva420p", "yuva420p"),
                 "prores_ks": ("yuva444p10le", "yuva444p10le"), "png": ("rgba", "rgba64be"),
                 "ffv1": ("yuva420p", "yuva420p10le"), "utvideo": ("gbrap", "gbrap"), "qtrle": ("argb", "argb")}
# Delivery encoders and the deep (> 8-bit) pixel format each takes.
DEEP_PIX_FMT = {"libx264": "yuv420p10le", "libx265": "yuv420p10le", "libvpx-vp9": "yuv420p10le",
                "libaom-av1": "yuv420p10le", "libsvtav1": "yuv420p10le", "prores_ks": "yuv422p10le",
                "ffv1": "yuv420p10le", "png": "rgb48be"}


def bit_depth(pix_fmt: str) -> int:
    """Bits per component of an ffmpeg pixel format name (8 when it names none)."""
    name = pix_fmt.lower()
    if name.startswith(("rgb48", "bgr48", "rgba64", "bgra64", "gray16", "ya16", "p016", "y216")):
        return 16
    if name.startswith(("p010", "y210", "x2rgb10", "x2bgr10", "v210")):
        return 10
    match = re.search(r"p(\d{1,2})(?:le|be)$", name) or re.search(r"(\d{1,2})(?:le|be)$", name)
    if match and 9 <= int(match.group(1)) <= 16:
        return int(match.group(1))
    return 8


def has_alpha(pix_fmt: str) -> bool:
    return pix_fmt.lower().startswith(_ALPHA_FORMATS)


def parse_pixels(pix_part: str, alpha_mode: bool = False) -> PixelInfo:
    """PixelInfo from the pixel-format part of a stream banner, e.g. 'yuvj420p(pc, progressive)'.

    `alpha_mode`: the stream's metadata says `alpha_mode: 1` (VP8/VP9 keep alpha in a side channel
    and report yuv420p)."""
    pix_fmt = re.split(r"[(\s]", pix_part.strip())[0]
    info = PixelInfo(bit_depth=bit_depth(pix_fmt), alpha=has_alpha(pix_fmt) or alpha_mode)
    inner = re.search(r"\((.*)\)", pix_part)
    if pix_fmt.startswith("yuvj"):
        info.range = "pc"
    if inner:
        for item in (part.strip() for part in inner.group(1).split(",")):
            if item in ("tv", "pc"):
                info.range = item
            elif item in _FIELD_ORDERS:
                info.field_order = _FIELD_ORDERS[item]
            elif "/" in item:
                matrix, primaries, transfer = (item.split("/") + ["unknown", "unknown"])[:3]
                info.matrix, info.primaries, info.transfer = _known(matrix), _known(primaries), _known(transfer)
            elif re.fullmatch(r"[\w-]+", item):
                info.matrix = info.primaries = info.transfer = _known(item)
    if info.matrix == "gbr":  # RGB storage: no YUV matrix to carry
        info.matrix = None
    return info


def _known(name: str) -> str | None:
    return None if name in ("unknown", "reserved", "") else name


def raw_format(alpha: bool, deep: bool) -> str:
    """The rawvideo pixel format frames travel in between ffmpeg and vidgen."""
    return {(False, False): "rgb24", (True, False): "rgba", (False, True): "rgb48le", (True, True): "rgba64le"}[(alpha, deep)]


def raw_format_of(frame: np.ndarray) -> str:
    """The rawvideo pixel format of one H x W x C frame (C = 3 or 4; uint8 or uint16)."""
    return raw_format(frame.ndim == 3 and frame.shape[2] == 4, frame.dtype == np.uint16)


def is_hdr(pixels: PixelInfo) -> bool:
    return pixels.transfer in ("smpte2084", "arib-std-b67") or pixels.primaries == "bt2020"


def colour_args(pixels: PixelInfo | None) -> tuple[list[str], list[str]]:
    """(filters, output options) that tag an encode with the source's colour and range.

    The `setparams` filter sets primaries and transfer on the frames; `-colorspace` and
    `-color_range` on the output make ffmpeg convert RGB to YUV with that matrix and range.
    """
    if pixels is None:
        return [], []
    params, options = [], []
    if pixels.primaries:
        params.append(f"color_primaries={pixels.primaries}")
        options += ["-color_primaries", pixels.primaries]
    if pixels.transfer:
        params.append(f"color_trc={pixels.transfer}")
        options += ["-color_trc", pixels.transfer]
    if pixels.matrix:
        options += ["-colorspace", pixels.matrix]
    if pixels.range:
        options += ["-color_range", pixels.range]
    return ([f"setparams={':'.join(params)}"] if params else []), options


def output_pix_fmt(codec: str, pixels: PixelInfo | None, alpha: bool) -> str | None:
    """The pixel format that keeps the frames' alpha and the source's bit depth with `codec`, or
    None when the default (8-bit, no alpha) is all the codec offers."""
    deep = pixels is not None and pixels.bit_depth > 8
    if alpha and codec in ALPHA_PIX_FMT:
        return ALPHA_PIX_FMT[codec][1 if deep else 0]
    if deep:
        return DEEP_PIX_FMT.get(codec)
    return None
