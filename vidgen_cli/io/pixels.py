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
_CHROMA_PREFIXES = ((("yuv420", "yuvj420", "yuva420", "nv12", "nv21", "p010", "p012", "p016"), "4:2:0"),
                    (("yuv422", "yuvj422", "yuva422", "nv16", "nv20", "p210", "p212", "p216", "y210", "y212", "uyvy", "yuyv", "v210"), "4:2:2"),
                    (("yuv444", "yuvj444", "yuva444", "nv24", "nv42", "p410", "p412", "p416", "gbr", "rgb", "bgr", "argb", "abgr",
                      "0rgb", "0bgr", "x2rgb", "x2bgr", "vuya", "ayuv"), "4:4:4"))
# The planar YUV formats (chroma x bits) each encoder takes (`ffmpeg -h encoder=NAME`): where a
# source's 4:2:2/4:4:4 chroma and bit depth can be kept. (FFV1 is left to ffmpeg: from vidgen's RGB
# frames it picks lossless RGB, which keeps both.)
_YUV = {(chroma, depth): f"yuv{chroma.replace(':', '')}p{'' if depth == 8 else f'{depth}le'}"
        for chroma in ("4:2:0", "4:2:2", "4:4:4") for depth in (8, 10, 12)}
ENCODER_YUV: dict[str, frozenset[tuple[str, int]]] = {
    "libx264": frozenset((c, d) for c in ("4:2:0", "4:2:2", "4:4:4") for d in (8, 10)),
    "libx265": frozenset((c, d) for c in ("4:2:0", "4:2:2", "4:4:4") for d in (8, 10, 12)),
    "libvpx-vp9": frozenset((c, d) for c in ("4:2:0", "4:2:2", "4:4:4") for d in (8, 10, 12)),
    "libaom-av1": frozenset((c, d) for c in ("4:2:0", "4:2:2", "4:4:4") for d in (8, 10, 12)),
    "prores_ks": frozenset({("4:2:2", 10), ("4:4:4", 10)}),
    "libsvtav1": frozenset({("4:2:0", 8), ("4:2:0", 10)}),
    "libvpx": frozenset({("4:2:0", 8)}),
    "mpeg4": frozenset({("4:2:0", 8)}),
    "libxvid": frozenset({("4:2:0", 8)}),
}
_CHROMA_ORDER = ("4:4:4", "4:2:2", "4:2:0")
# Delivery encoders and the deep (> 8-bit) pixel format each takes.
DEEP_PIX_FMT = {"libx264": "yuv420p10le", "libx265": "yuv420p10le", "libvpx-vp9": "yuv420p10le",
                "libaom-av1": "yuv420p10le", "libsvtav1": "yuv420p10le", "prores_ks": "yuv422p10le",
                "ffv1": "yuv420p10le", "png": "rgb48be"}

# Encoders that take an odd width or height in subsampled chroma (the chroma plane rounds up);
# libx264/libx265 refuse it and libopenh264 crops a row and a column.
ODD_SIZE_SUBSAMPLED = frozenset({"libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1", "ffv1", "mpeg4"})
# Encoders with a single 8-bit pixel format, which ffmpeg converts to when none is asked for.
ONLY_PIX_FMT = {"gif": "pal8", "mpeg4": "yuv420p", "libvpx": "yuv420p", "libopenh264": "yuv420p"}


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


GRAY = "gray"  # PixelInfo.chroma of a grey stream or image: one plane, no colour


def chroma_of(pix_fmt: str) -> str | None:
    """Chroma subsampling of an ffmpeg pixel format: "4:2:0", "4:2:2" or "4:4:4" (RGB counts as
    4:4:4), GRAY for grey ones; None for 4:1:1, 4:4:0 and names it does not know."""
    name = pix_fmt.lower()
    if name.startswith(("gray", "ya8", "ya16")):
        return GRAY
    for prefixes, chroma in _CHROMA_PREFIXES:
        if name.startswith(prefixes):
            return chroma
    return None


def has_alpha(pix_fmt: str) -> bool:
    return pix_fmt.lower().startswith(_ALPHA_FORMATS)


def parse_pixels(pix_part: str, alpha_mode: bool = False) -> PixelInfo:
    """PixelInfo from the pixel-format part of a stream banner, e.g. 'yuvj420p(pc, progressive)'.

    `alpha_mode`: the stream's metadata says `alpha_mode: 1` (VP8/VP9 keep alpha in a side channel
    and report yuv420p)."""
    pix_fmt = re.split(r"[(\s]", pix_part.strip())[0]
    info = PixelInfo(bit_depth=bit_depth(pix_fmt), alpha=has_alpha(pix_fmt) or alpha_mode, chroma=chroma_of(pix_fmt))
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


def piped_pixels_line(pixels: PixelInfo) -> str | None:
    """The one line for a piped stream whose bit depth (> 8) or alpha the stdin reader drops: it
    decodes to 8-bit RGB because ffmpeg starts before the stream's pixel format is known."""
    lost = ([f"{pixels.bit_depth}-bit depth"] if pixels.bit_depth > 8 else []) + (["alpha"] if pixels.alpha else [])
    if not lost:
        return None
    return f"stdin: {' and '.join(lost)} dropped: a piped stream is decoded to 8-bit RGB; pass the file by path to keep it"


def raw_format(alpha: bool, deep: bool) -> str:
    """The rawvideo pixel format frames travel in between ffmpeg and vidgen."""
    return {(False, False): "rgb24", (True, False): "rgba", (False, True): "rgb48le", (True, True): "rgba64le"}[(alpha, deep)]


def raw_format_of(frame: np.ndarray) -> str:
    """The rawvideo pixel format of one H x W x C frame (C = 3 or 4; uint8 or uint16)."""
    return raw_format(frame.ndim == 3 and frame.shape[2] == 4, frame.dtype == np.uint16)


def is_hdr(pixels: PixelInfo) -> bool:
    return pixels.transfer in ("smpte2084", "arib-std-b67") or pixels.primaries == "bt2020"


def untagged_hdr_line(pixels: PixelInfo | None, where: str, keep: str) -> str | None:
    """The one line for an HDR source (PQ or HLG transfer, BT.2020 primaries) written where its
    colour tags cannot go (GIF, Y4M, JPEG/WebP frames, frames written by OpenCV): the pixels keep
    the source's encoding, which viewers then show as sRGB. `where`: the output's kind; `keep`: how
    to keep the tags. None for an SDR or untagged source."""
    if pixels is None or not is_hdr(pixels):
        return None
    tags = "/".join(tag for tag in (pixels.primaries, pixels.transfer) if tag)
    return (f"{where} cannot tag colour: the source's HDR {tags} pictures are written untagged and show as sRGB "
            f"(washed out); {keep}")


def untagged_sdr_line(pixels: PixelInfo | None, where: str, keep: str) -> str | None:
    """The one line for an SDR source whose matrix, primaries or transfer are not BT.601's (what a
    reader assumes for untagged YUV) written where colour tags cannot go (Y4M): the pixels keep the
    source's encoding, shown with another matrix. None for HDR (untagged_hdr_line) or untagged sources."""
    if pixels is None or is_hdr(pixels):
        return None
    assumed = {"bt470bg", "smpte170m", "bt601", "unknown", "unspecified", "", None}
    tags = [tag for tag in dict.fromkeys((pixels.matrix, pixels.primaries, pixels.transfer)) if tag not in assumed]
    if not tags:
        return None
    return (f"{where} cannot tag colour: the source's {'/'.join(tags)} pictures are written untagged, and readers "
            f"decode untagged YUV as BT.601 (colours shift); {keep}")


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


def range_signal_args(codec: str, pixels: PixelInfo | None) -> list[str]:
    """Output options that store a limited ("tv") range tag where the encoder leaves it out: libx264
    signals the range in the H.264 VUI only when it is full, so outside Matroska (which tags it in
    the container) an mp4/mov/avi/ts/nut would read back untagged. The h264_metadata bitstream filter
    writes the flag."""
    if codec == "libx264" and pixels is not None and pixels.range == "tv":
        return ["-bsf:v", "h264_metadata=video_full_range_flag=0"]
    return []


def keep_yuv(codec: str, pixels: PixelInfo | None) -> str | None:
    """The planar YUV format of `codec` nearest the source's chroma and bit depth: its chroma (else
    the next coarser one `codec` takes), at the smallest depth not below the source's (else the
    deepest `codec` has). None when `codec` is not in ENCODER_YUV, the chroma is unknown, or nothing fits."""
    formats = ENCODER_YUV.get(codec)
    if formats is None or pixels is None or pixels.chroma not in _CHROMA_ORDER:
        return None  # unknown chroma (image frames, grey): the encoder's default, as before
    chroma = pixels.chroma
    for candidate in _CHROMA_ORDER[_CHROMA_ORDER.index(chroma):]:
        depths = sorted(d for c, d in formats if c == candidate)
        if depths:
            deep_enough = [d for d in depths if d >= pixels.bit_depth]
            return _YUV[(candidate, deep_enough[0] if deep_enough else depths[-1])]
    return None


def format_loss(pixels: PixelInfo | None, pix_fmt: str | None) -> str | None:
    """What writing `pix_fmt` changes about a source with `pixels`: e.g. "4:4:4 chroma becomes 4:2:0,
    10-bit becomes 8-bit"; None when it keeps both (or either is unknown)."""
    if pixels is None or not pix_fmt:
        return None
    changes = []
    chroma = chroma_of(pix_fmt)
    if pixels.chroma in _CHROMA_ORDER and chroma in _CHROMA_ORDER and _CHROMA_ORDER.index(chroma) > _CHROMA_ORDER.index(pixels.chroma):
        changes.append(f"{pixels.chroma} chroma becomes {chroma}")
    if bit_depth(pix_fmt) < pixels.bit_depth:
        changes.append(f"{pixels.bit_depth}-bit becomes {bit_depth(pix_fmt)}-bit")
    return ", ".join(changes) or None


# FFV1's depths above 8 bits for grey, planar RGB (with alpha from 10 bits) and YUV (`ffmpeg -h encoder=ffv1`).
_FFV1_DEPTHS = (10, 12, 14, 16)


def _ffv1_pix_fmt(pixels: PixelInfo | None, alpha: bool) -> str | None:
    """FFV1 (lossless) keeps what there is: grey as grey, a deep source at its depth (up to 16 bits)
    in planar RGB, as vidgen's frames are (the source's 4:2:0/4:2:2 YUV for a video), with alpha
    where there is some; None for 8-bit colour (ffmpeg's own pick from RGB frames: lossless bgr0)."""
    if pixels is None or (pixels.bit_depth <= 8 and pixels.chroma != GRAY):
        return None
    depth = next((d for d in _FFV1_DEPTHS if d >= pixels.bit_depth), 16) if pixels.bit_depth > 8 else 8
    if pixels.chroma == GRAY:
        return ("ya8" if depth == 8 else "gbrap16le") if alpha else ("gray" if depth == 8 else f"gray{depth}le")
    if alpha:
        return f"gbrap{depth}le"
    if pixels.chroma in ("4:2:0", "4:2:2"):
        return f"yuv{pixels.chroma.replace(':', '')}p{depth}le"
    return f"gbrp{depth}le"


def output_pix_fmt(codec: str, pixels: PixelInfo | None, alpha: bool) -> str | None:
    """The pixel format that keeps the frames' alpha and the source's chroma and bit depth with
    `codec`, or None when the default (8-bit 4:2:0, no alpha) is all the codec offers."""
    if codec == "ffv1" and (lossless := _ffv1_pix_fmt(pixels, alpha)):
        return lossless
    deep = pixels is not None and pixels.bit_depth > 8
    if alpha and codec in ALPHA_PIX_FMT:
        return ALPHA_PIX_FMT[codec][1 if deep else 0]
    if not alpha and (kept := keep_yuv(codec, pixels)):
        return kept
    if deep:
        return DEEP_PIX_FMT.get(codec)
    return None


def keeping_codecs(pixels: PixelInfo | None, codec: str) -> list[str]:
    """The encoders besides `codec` (of libx264, libx265, ffv1) that keep the source's chroma and
    bit depth (format_loss finds nothing), for the line that says what `codec` loses."""
    return [other for other in ("libx264", "libx265", "ffv1") if other != codec
            and (written := output_pix_fmt(other, pixels, False)) and format_loss(pixels, written) is None]


def keep_advice(pixels: PixelInfo | None, codec: str) -> str:
    """What to pass instead of `codec` to keep the source's pixel format: the encoders that keep
    it (keeping_codecs; FFV1 in .mkv), else PNG frames."""
    named = [f"{c} (.mkv)" if c == "ffv1" else c for c in keeping_codecs(pixels, codec)]
    if not named:
        return "a folder of PNG frames keeps it"
    return f"--codec {', '.join(named[:-1]) + ' or ' + named[-1] if len(named) > 1 else named[0]} keep{'s' if len(named) == 1 else ''} it"
