"""HDR10 static metadata: the mastering display colour volume (SMPTE ST 2086) and the content
light level (MaxCLL/MaxFALL, CTA-861.3) of a source, and the encoder options that write them.

ffmpeg hands this metadata from decoder to encoder as frame side data, but its PNG encoder writes
the mDCV chunk out of order (a BT.2020 source's r(0.68,0.32) g(0.265,0.69) b(0.15,0.06) read back
as r(0.68,0.265) g(0.15,0.06) b(0,0)), so frames are never trusted with it: split strips it from
the frames it writes (STRIP_FILTER), the probe reads the source's values once (read_hdr_metadata)
and the manifest records them, and every encode drops the frames' copy and writes the recorded
values with the encoder's own options (hdr_metadata_args): x264/x265 `mastering-display`/
`master-display` and `cll`/`max-cll`, SVT-AV1 `mastering-display`/`content-light`. Other encoders
cannot be given them: one line says so.

The values are kept in x265's notation, integers in the units of the SEI message:
`G(gx,gy)B(bx,by)R(rx,ry)WP(wx,wy)L(max,min)` with chromaticities in 0.00002 and luminances in
0.0001 cd/m2, and `MaxCLL,MaxFALL` in cd/m2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.pixels import is_hdr

STRIP_FILTER = "sidedata=mode=delete:type=MASTERING_DISPLAY_METADATA,sidedata=mode=delete:type=CONTENT_LIGHT_LEVEL"
_NUMBER = r"(-?[\d.]+)"
_MASTERING = re.compile(rf"Mastering display metadata: has_primaries:(\d) has_luminance:(\d) r\({_NUMBER},\s*{_NUMBER}\) "
                        rf"g\({_NUMBER},\s*{_NUMBER}\) b\({_NUMBER}[,\s]\s*{_NUMBER}\) wp\({_NUMBER},\s*{_NUMBER}\) "
                        rf"min_luminance={_NUMBER}, max_luminance={_NUMBER}")
_LIGHT = re.compile(r"Content light level metadata: MaxCLL=(\d+), MaxFALL=(\d+)")
_NOTATION = re.compile(r"^G\((\d+),(\d+)\)B\((\d+),(\d+)\)R\((\d+),(\d+)\)WP\((\d+),(\d+)\)L\((\d+),(\d+)\)$")
# Encoders whose own options take the metadata: (option, mastering key, light key).
_OPTIONS = {"libx264": ("-x264-params", "mastering-display", "cll"),
            "libx265": ("-x265-params", "master-display", "max-cll"),
            "libsvtav1": ("-svtav1-params", "mastering-display", "content-light")}


def parse_showinfo(text: str) -> tuple[str | None, str | None]:
    """(mastering display, content light level) in x265's notation from the log of ffmpeg's
    showinfo filter (its side data lines); None for what the log does not hold in full."""
    mastering = light = None
    if (match := _MASTERING.search(text)) and match.group(1) == "1" and match.group(2) == "1":
        r, g, b, wp = ([float(match.group(k)), float(match.group(k + 1))] for k in (3, 5, 7, 9))
        xy = lambda pair: f"({round(pair[0] / 0.00002)},{round(pair[1] / 0.00002)})"  # noqa: E731
        minimum, maximum = float(match.group(11)), float(match.group(12))
        mastering = f"G{xy(g)}B{xy(b)}R{xy(r)}WP{xy(wp)}L({round(maximum * 10000)},{round(minimum * 10000)})"
    if match := _LIGHT.search(text):
        light = f"{match.group(1)},{match.group(2)}"
    return mastering, light


def read_hdr_metadata(path: str, stream: int, timeline: list[str] | None = None) -> tuple[str | None, str | None]:
    """The mastering display and content light level of video stream `stream` of `path`, from its
    first decoded frame (x265 notation; None where it carries none). Decodes one frame."""
    result = ffmpeg.run([*(timeline or []), "-i", ffmpeg.url(path), "-map", f"0:{stream}", "-frames:v", "1",
                         "-vf", "showinfo=checksum=0", "-f", "null", "-"])
    return parse_showinfo(result.stderr.decode("utf-8", "replace"))


def _svt_mastering(mastering: str) -> str:
    """x265's integer notation as SVT-AV1 takes it: chromaticities and luminances as decimals."""
    values = [int(v) for v in _NOTATION.match(mastering).groups()]  # type: ignore[union-attr]
    xy = [f"{v * 0.00002:.5f}".rstrip("0").rstrip(".") for v in values[:8]]
    lum = [f"{v / 10000:.4f}".rstrip("0").rstrip(".") for v in values[8:]]
    return f"G({xy[0]},{xy[1]})B({xy[2]},{xy[3]})R({xy[4]},{xy[5]})WP({xy[6]},{xy[7]})L({lum[0]},{lum[1]})"


def hdr_metadata_args(codec: str, pixels: PixelInfo | None, warn: Callable[[str], None] | None = None) -> list[str]:
    """Encoder options that write the source's mastering display and content light level (from
    `pixels`, which the probe or the manifest filled) with `codec`; [] when there is none, or for a
    stream copy (which keeps the source's own). For an encoder that cannot take them, `warn` gets
    one line saying they are not written."""
    mastering, light = (pixels.mastering_display, pixels.content_light) if pixels is not None else (None, None)
    if not (mastering or light) or codec == "copy":
        return []
    if codec not in _OPTIONS or (mastering and not _NOTATION.match(mastering)):
        lost = " and ".join(what for what, value in (("mastering display", mastering), ("content light level", light)) if value)
        if warn:
            warn(f"{codec} cannot be given the source's HDR10 {lost} metadata: not written (--codec libx265, libx264 or "
                 "libsvtav1 write it)")
        return []
    option, mastering_key, light_key = _OPTIONS[codec]
    values = []
    if mastering:
        values.append(f"{mastering_key}={_svt_mastering(mastering) if codec == 'libsvtav1' else mastering}")
    if light:
        values.append(f"{light_key}={light}")
    return [option, ":".join(values)]


def unrecorded_hdr_line(folder: object, pixels: PixelInfo, manifest_extra: dict) -> str | None:
    """The one line for an HDR frames folder whose manifest predates the recorded mastering metadata
    (split by an earlier vidgen): its PNGs' copy is wrong and not used, so none is written."""
    recorded = manifest_extra.get("pixels") or {}
    if not is_hdr(pixels) or not recorded or "mastering_display" in recorded:
        return None
    return (f"{folder}: manifest.json does not record the source's HDR10 mastering display and content light level (split by "
            "an earlier vidgen; its frames' own copy is written wrongly by ffmpeg's PNG encoder): none written (split again to keep them)")
