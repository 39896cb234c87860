"""Pixel facts through every command: bit depth and HDR colour tags, full range, alpha, interlacing."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ff, invoke, make_clip

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.pixels import bit_depth, parse_pixels
from vidgen_cli.io.probe import parse_header, probe


@pytest.fixture(scope="module")
def hdr(tmp_path_factory):
    """HEVC Main10, BT.2020 primaries and matrix, PQ transfer, limited range."""
    path = tmp_path_factory.mktemp("hdr") / "hdr.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.6",
       "-vf", "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc:range=tv",
       "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p10le", path)
    return path


def frames16(path, **kwargs):
    """Every frame as uint16 RGB, decoded with each file's own colour tags."""
    with open_input(path, **kwargs) as reader:
        return [f.astype(np.uint16) * (257 if f.dtype == np.uint8 else 1) for f in reader]


def test_pixel_facts_from_the_banner():
    pixels = parse_pixels("yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive)")
    assert (pixels.bit_depth, pixels.matrix, pixels.primaries, pixels.transfer, pixels.range) == (10, "bt2020nc", "bt2020", "smpte2084", "tv")
    assert parse_pixels("yuvj420p(pc, progressive)").range == "pc"
    assert parse_pixels("yuv420p(top first)").field_order == "tff"
    assert parse_pixels("yuv420p(tv, bt709)").transfer == "bt709"
    assert parse_pixels("yuva444p12le").alpha and parse_pixels("yuva444p12le").bit_depth == 12
    assert [bit_depth(p) for p in ("yuv420p", "p010le", "rgb48le", "gray", "yuv422p12be")] == [8, 10, 16, 8, 12]


def test_probe_reports_depth_colour_and_field_order(hdr, tmp_path):
    info = probe(hdr).to_json()
    assert (info["bit_depth"], info["color_primaries"], info["color_transfer"], info["color_matrix"], info["color_range"]) == \
        (10, "bt2020", "smpte2084", "bt2020nc", "tv")
    full = make_clip(tmp_path / "full.mp4", codec=["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuvj420p"])
    assert probe(full).pixels.range == "pc"


def test_hdr_interpolate_keeps_depth_tags_and_colour(hdr, tmp_path):
    out = tmp_path / "x2.mp4"
    result = invoke("interpolate", hdr, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert result.output.count("trained on 8-bit SDR") == 1
    assert "mastering-display and content-light metadata are not carried" in result.output  # said, never silent
    info = probe(out).pixels
    assert (info.bit_depth, info.primaries, info.transfer, info.matrix, info.range) == (10, "bt2020", "smpte2084", "bt2020nc", "tv")
    source, output = frames16(hdr), frames16(out)
    assert output[0].dtype == np.uint16 and len(output) == 2 * len(source)
    error = np.mean([np.abs(s.astype(float) - o).mean() for s, o in zip(source, output[::2])]) / 65535
    assert error < 0.02  # a BT.601 matrix or a range mix-up is off by more than 0.05


def test_user_codec_and_pix_fmt_still_get_the_tags(hdr, tmp_path):
    out = tmp_path / "x265.mkv"
    invoke("interpolate", hdr, "-o", out, "--factor", "2", "--model", "blend", "--codec", "libx265", "--pix-fmt", "yuv420p10le",
           "--preset", "ultrafast")
    info = probe(out)
    assert info.codec == "hevc" and info.pixels.bit_depth == 10
    assert (info.pixels.primaries, info.pixels.transfer, info.pixels.matrix) == ("bt2020", "smpte2084", "bt2020nc")


def test_split_stitch_keeps_16_bits_and_tags(hdr, tmp_path):
    invoke("split", hdr, "-o", tmp_path / "f/")
    png = cv2.imread(str(next((tmp_path / "f").glob("*.png"))), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "back.mp4", "--preset", "ultrafast")
    info = probe(tmp_path / "back.mp4").pixels
    assert (info.bit_depth, info.primaries, info.transfer, info.matrix) == (10, "bt2020", "smpte2084", "bt2020nc")


def test_full_range_input_keeps_its_range(tmp_path):
    full = make_clip(tmp_path / "full.mp4", size="96x64", rate="25", seconds=0.5,
                     codec=["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuvj420p"])
    out = tmp_path / "x2.mp4"
    invoke("interpolate", full, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert probe(out).pixels.range == "pc"
    source, output = frames16(full), frames16(out)
    assert np.abs(source[0].astype(float) - output[0]).mean() / 65535 < 0.02


# --- alpha -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rgba_folder(tmp_path_factory):
    """A red 16x16 square moving 8 px a frame over a transparent background, 6 RGBA PNGs."""
    folder = tmp_path_factory.mktemp("rgba")
    for i in range(6):
        frame = np.zeros((48, 80, 4), np.uint8)
        frame[16:32, 8 + 8 * i:24 + 8 * i] = (0, 0, 255, 255)  # BGRA
        cv2.imwrite(str(folder / f"{i + 1:06d}.png"), frame)
    return folder


def _alpha_columns(path):
    alpha = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., 3]
    return np.nonzero(alpha[24] > 128)[0]


def test_interpolate_rgba_folder_keeps_alpha_moving_with_the_colour(rgba_folder, tmp_path):
    out = tmp_path / "x2"
    invoke("interpolate", rgba_folder, "-o", f"{out}/", "--factor", "2", "--model", "flow")
    middle = cv2.imread(str(out / "000002.png"), cv2.IMREAD_UNCHANGED)
    assert middle.shape == (48, 80, 4)
    columns = _alpha_columns(out / "000002.png")
    assert abs(columns.min() - 12) <= 1 and abs(columns.max() - 27) <= 1  # half-way: x 12..27
    assert middle[..., 3][:, 50:].max() == 0  # still transparent far from the square
    assert np.array_equal(cv2.imread(str(out / "000003.png"), cv2.IMREAD_UNCHANGED),
                          cv2.imread(str(rgba_folder / "000002.png"), cv2.IMREAD_UNCHANGED))


def test_stitch_rgba_to_webm_keeps_alpha_without_pix_fmt(rgba_folder, tmp_path):
    out = tmp_path / "a.webm"
    invoke("stitch", rgba_folder, "-o", out, "--fps", "10")
    assert probe(out).pixels.alpha
    frames = list(open_input(out))
    assert frames[0].shape[2] == 4
    assert frames[0][24, 12, 3] > 200 and frames[0][24, 60, 3] < 30


def test_interpolate_alpha_into_containers(rgba_folder, tmp_path):
    webm = tmp_path / "a.webm"
    invoke("stitch", rgba_folder, "-o", webm, "--fps", "10")
    invoke("interpolate", webm, "-o", tmp_path / "p.mov", "--factor", "2", "--model", "blend")
    mov = probe(tmp_path / "p.mov")
    assert mov.codec == "prores" and mov.pixels.alpha
    result = invoke("interpolate", webm, "-o", tmp_path / "p.mp4", "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert "alpha dropped" in result.output and not probe(tmp_path / "p.mp4").pixels.alpha


def _webm_alpha_ok(path):
    """Probe says alpha (the ALPHA_MODE tag players read) and the decoded alpha has the square."""
    assert probe(path).pixels.alpha
    frame = next(iter(open_input(path)))
    assert frame.shape[2] == 4 and frame[24, 12, 3] > 200 and frame[24, 70, 3] < 30


@pytest.mark.parametrize("name,codec", [("p.webm", []), ("p.mkv", ["--codec", "libvpx-vp9"])])
def test_model_commands_keep_vp9_alpha(rgba_folder, tmp_path, name, codec):
    """Model outputs are joined from segments by stream copy: VP9 alpha (a side channel) must
    survive the segments and the join, and the output must carry the alpha_mode tag."""
    webm = tmp_path / "a.webm"
    invoke("stitch", rgba_folder, "-o", webm, "--fps", "10")
    invoke("interpolate", webm, "-o", tmp_path / name, "--factor", "2", "--model", "blend", *codec)
    _webm_alpha_ok(tmp_path / name)


def test_stylize_to_webm_keeps_alpha(rgba_folder, tmp_path):
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    invoke("stylize", rgba_folder, "-o", tmp_path / "s.webm", "--style", style, "--max-side", "80", "--consistency", "off")
    _webm_alpha_ok(tmp_path / "s.webm")


def test_probe_reads_the_alpha_mode_tag_in_any_case():
    banner = ("Input #0, matroska,webm, from 'a.webm':\n"
              "  Stream #0:0: Video: vp9 (Profile 0), yuv420p(tv, progressive), 320x240, SAR 1:1 DAR 4:3, 25 fps, 25 tbr, 1k tbn (default)\n"
              "    Metadata:\n      ALPHA_MODE      : 1\n")
    assert parse_header(banner).video["pixels"].alpha


def test_stylize_keeps_the_input_alpha(rgba_folder, tmp_path):
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8))
    out = tmp_path / "s"
    invoke("stylize", rgba_folder, "-o", f"{out}/", "--style", style, "--max-side", "64", "--consistency", "off")
    for name in ("000001.png", "000004.png"):
        got = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert got.shape[2] == 4
        assert np.array_equal(got[..., 3], cv2.imread(str(rgba_folder / name), cv2.IMREAD_UNCHANGED)[..., 3])


# --- interlacing -----------------------------------------------------------------------------


def _combing(frame: np.ndarray) -> float:
    """Mean difference between neighbouring rows beyond that between rows two apart (fields)."""
    gray = frame.astype(np.float32).mean(-1)
    return float(np.abs(gray[1:-1] - (gray[:-2] + gray[2:]) / 2).mean())


@pytest.fixture(scope="module")
def interlaced(tmp_path_factory):
    """Top-field-first H.264 of a fast-moving pattern (fields 20 ms apart)."""
    path = tmp_path_factory.mktemp("tff") / "tff.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=50:d=1", "-vf", "scroll=h=0.02,tinterlace=interleave_top,setfield=tff",
       "-c:v", "libx264", "-preset", "ultrafast", "-flags", "+ildct+ilme", "-x264opts", "tff=1", path)
    return path


def test_interlaced_input_is_detected_deinterlaced_and_flagged_progressive(interlaced, tmp_path):
    assert probe(interlaced).pixels.field_order == "tff"
    auto, off = tmp_path / "auto.mp4", tmp_path / "off.mp4"
    result = invoke("interpolate", interlaced, "-o", auto, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert "interlaced (tff)" in result.output
    invoke("interpolate", interlaced, "-o", off, "--factor", "2", "--model", "blend", "--preset", "ultrafast", "--deinterlace", "off")
    assert probe(auto).pixels.field_order == "progressive"
    combed = np.mean([_combing(f) for f in frames16(off, deinterlace=False)[::2]])
    clean = np.mean([_combing(f) for f in frames16(auto, deinterlace=False)[::2]])
    assert clean < 0.6 * combed


def test_split_deinterlaces_too(interlaced, tmp_path):
    invoke("split", interlaced, "-o", tmp_path / "f/")
    invoke("split", interlaced, "-o", tmp_path / "g/", "--deinterlace", "off")
    one = cv2.imread(str(tmp_path / "f" / "000005.png"))
    raw = cv2.imread(str(tmp_path / "g" / "000005.png"))
    assert _combing(one) < 0.6 * _combing(raw)


# --- containers and streams ------------------------------------------------------------------


def test_mkv_keeps_title_attachments_metadata_and_dispositions(tmp_path):
    (tmp_path / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,800\nhello\n")
    (tmp_path / "font.ttf").write_bytes(bytes(range(256)) * 4)
    source = tmp_path / "in.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1", "-i", tmp_path / "s.srt",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
       "-attach", tmp_path / "font.ttf", "-metadata:s:t", "mimetype=application/x-truetype-font",
       "-metadata", "title=My Title", "-metadata:s:a:0", "language=fra", "-metadata:s:a:0", "title=Commentary",
       "-metadata:s:v:0", "title=Main", "-disposition:s:0", "0", "-disposition:a:0", "default", source)
    out = tmp_path / "x2.mkv"
    invoke("interpolate", source, "-o", out, "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    banner = ffmpeg.run(["-i", str(out)]).stderr.decode()
    assert "title           : My Title" in banner and "title           : Main" in banner and "title           : Commentary" in banner
    assert "Attachment: ttf" in banner and "filename        : font.ttf" in banner
    info = probe(out)
    assert info.audio[0].language == "fra" and "default" in info.audio[0].dispositions
    assert info.subtitles and "default" not in info.subtitles[0].dispositions


def test_a_pipe_keeps_every_stream_it_carries(tmp_path):
    (tmp_path / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,800\nhello\n")
    source = tmp_path / "in.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=1", "-f", "lavfi", "-i", "sine=d=1", "-i", tmp_path / "s.srt",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-c:s", "srt",
       "-metadata", "title=Piped", "-disposition:s:0", "0", source)
    piped = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(source), "-map", "0", "-c", "copy", "-f", "matroska", "-"],
                           capture_output=True, check=True).stdout
    vidgen = str(Path(sys.executable).parent / "vidgen")
    for output in ("-", str(tmp_path / "out.mkv")):
        result = subprocess.run([vidgen, "interpolate", "-", "--factor", "2", "--model", "blend", "-o", output, "--format", "matroska",
                                 "--preset", "ultrafast", "-q"], input=piped, capture_output=True, check=True)
        target = tmp_path / "stdout.mkv"
        if output == "-":
            target.write_bytes(result.stdout)
        else:
            target = Path(output)
        info = probe(target)
        assert info.frame_count == 50 and len(info.audio) == 1 and len(info.subtitles) == 1
        assert "default" not in info.subtitles[0].dispositions
        assert "title           : Piped" in ffmpeg.run(["-i", str(target)]).stderr.decode()


def test_stitch_warns_when_the_audio_source_is_gone(tmp_path):
    source = make_clip(tmp_path / "with audio.mp4", audio=True, seconds=0.5)
    invoke("split", source, "-o", tmp_path / "f/")
    source.unlink()
    result = invoke("stitch", tmp_path / "f", "-o", tmp_path / "back.mp4", "--preset", "ultrafast")
    assert "no longer exists" in result.output and "without audio" in result.output
    assert not probe(tmp_path / "back.mp4").has_audio


def test_split_keeps_vp9_alpha_in_png_frames(rgba_folder, tmp_path):
    webm = tmp_path / "a.webm"
    invoke("stitch", rgba_folder, "-o", webm, "--fps", "10")
    invoke("split", webm, "-o", tmp_path / "f/")
    frame = cv2.imread(str(tmp_path / "f" / "000001.png"), cv2.IMREAD_UNCHANGED)
    assert frame.shape[2] == 4 and frame[24, 12, 3] > 200 and frame[24, 60, 3] < 30
    result = invoke("split", webm, "-o", tmp_path / "j/", "--format", "jpg")
    assert "alpha dropped" in result.output


def test_a_variable_rate_16_bit_rgba_run_keeps_times_alpha_and_depth(tmp_path):
    """Timed (VFR) writes go through a Matroska pipe; it must carry rgba64le frames, not only rgb24."""
    from fractions import Fraction

    from sync import frame_times
    from vidgen_cli.io.encode import EncodeOptions, VideoWriter
    from vidgen_cli.io.media import PixelInfo

    times = [0.0, 0.1, 0.35, 0.4, 0.7]
    source = tmp_path / "vfr.mkv"
    writer = VideoWriter(source, Fraction(10), EncodeOptions(codec="ffv1", crf=None, preset=None), timed=True,
                         pixels=PixelInfo(bit_depth=16, alpha=True))
    for i, time in enumerate(times):
        frame = np.zeros((32, 64, 4), np.uint16)
        frame[8:24, 4 + 8 * i:20 + 8 * i] = (40000, 1000, 20000, 65535)
        writer.write(frame, Fraction(time).limit_denominator(1000))
    writer.close()
    info = probe(source)
    assert info.vfr and info.pixels.alpha and info.pixels.bit_depth > 8
    assert np.abs(frame_times(source) - times).max() <= 0.001

    out = tmp_path / "x2.mkv"
    invoke("interpolate", source, "-o", out, "--factor", "2", "--model", "blend", "--codec", "ffv1")
    last_end = times[-1] + info.duration - float(info.timestamps[-1])  # the last frame holds for its own duration
    expected = np.empty(2 * len(times))
    expected[0::2], expected[1::2] = times, (np.array(times) + np.append(times[1:], last_end)) / 2
    assert np.abs(frame_times(out) - expected).max() <= 0.002
    assert probe(out).pixels.alpha and probe(out).pixels.bit_depth > 8
    frames = list(open_input(out))
    assert frames[0].dtype == np.uint16 and frames[0].shape[2] == 4
    assert frames[0][16, 10, 3] >= 65472 and frames[0][16, 40, 3] == 0  # 10-bit alpha: 1023 << 6
    assert abs(int(frames[0][16, 10, 0]) - 40000) < 800  # 10-bit 4:2:0 storage of a flat colour


def _untagged_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if "cannot tag colour" in line]


@pytest.mark.parametrize("args,said", [
    (("interpolate", "{src}", "-o", "{tmp}/o.gif", "--factor", "2", "--model", "blend"), True),
    (("interpolate", "{src}", "-o", "{tmp}/o.y4m", "--factor", "2", "--model", "blend"), True),
    (("interpolate", "{src}", "-o", "{tmp}/f/", "--factor", "2", "--model", "blend"), True),  # OpenCV PNGs: no cICP
    (("split", "{src}", "-o", "{tmp}/j/", "--format", "jpg"), True),
    (("split", "{src}", "-o", "{tmp}/p/"), False),  # ffmpeg's PNG writer tags them (cICP)
    (("interpolate", "{src}", "-o", "{tmp}/o.mkv", "--factor", "2", "--model", "blend", "--preset", "ultrafast"), False),
    (("interpolate", "{src}", "-o", "{tmp}/o.mp4", "--factor", "2", "--model", "blend", "--preset", "ultrafast"), False),
])
def test_hdr_to_an_output_without_colour_tags_says_so_in_one_line(hdr, tmp_path, args, said):
    result = invoke(*(a.format(src=hdr, tmp=tmp_path) for a in args))
    lines = _untagged_lines(result)
    assert len(lines) == (1 if said else 0), result.output
    if said:
        assert "bt2020/smpte2084" in lines[0] and "sRGB" in lines[0], lines


def test_stitch_of_hdr_frames_to_gif_and_hlg_and_sdr_sources(hdr, tmp_path):
    invoke("split", hdr, "-o", tmp_path / "p/")
    assert len(_untagged_lines(invoke("stitch", tmp_path / "p", "-o", tmp_path / "s.gif"))) == 1
    assert not _untagged_lines(invoke("stitch", tmp_path / "p", "-o", tmp_path / "s.mkv", "--preset", "ultrafast"))
    hlg, sdr = tmp_path / "hlg.mkv", make_clip(tmp_path / "sdr.mp4", seconds=0.4)
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.4", "-vf", "setparams=color_primaries=bt709:color_trc=arib-std-b67:colorspace=bt709",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", hlg)
    lines = _untagged_lines(invoke("interpolate", hlg, "-o", tmp_path / "h.gif", "--factor", "2", "--model", "blend"))
    assert len(lines) == 1 and "arib-std-b67" in lines[0], lines
    assert not _untagged_lines(invoke("interpolate", sdr, "-o", tmp_path / "d.gif", "--factor", "2", "--model", "blend"))
