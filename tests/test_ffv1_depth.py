"""FFV1 is lossless up to 16 bits, in RGB, YUV and grey: 16-bit frames stitched with --codec ffv1
keep their depth (they became yuv420p10le, with a line recommending ffv1 itself), grey frames stay
grey, and the line that says what an encoder loses never names that encoder as the fix."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.pixels import keeping_codecs
from vidgen_cli.io.probe import probe

runner = CliRunner()


def _frames(folder, pix_fmt: str) -> None:
    folder.mkdir()
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=1",
                    "-pix_fmt", pix_fmt, str(folder / "%03d.png")], check=True)


def _md5s(path, pix_fmt: str) -> list[str]:
    result = subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(path), "-f", "framemd5", "-pix_fmt", pix_fmt, "-"],
                            capture_output=True, text=True, check=True)
    return [line.split(",")[-1].strip() for line in result.stdout.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("png,written,compare", [("rgb48be", "gbrp16le", "rgb48le"), ("gray16be", "gray16le", "gray16le"),
                                                 ("gray", "gray", "gray")])
def test_ffv1_keeps_16_bits_and_grey_exactly(tmp_path, png, written, compare):
    frames, out = tmp_path / "p", tmp_path / "x.mkv"
    _frames(frames, png)
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(out), "--fps", "5", "--codec", "ffv1"])
    assert result.exit_code == 0, result.output
    assert "cannot keep" not in result.output, result.output
    header = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    assert f"ffv1, {written}" in header, header
    assert _md5s(out, compare) == _md5s(frames / "%03d.png", compare)  # lossless: every frame bit for bit


def test_a_lossy_encoder_names_only_encoders_that_keep_the_depth(tmp_path):
    frames = tmp_path / "p"
    _frames(frames, "rgb48be")
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / "x.mp4"), "--fps", "5", "--codec", "libx264"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "cannot keep" in line]
    advice = line.split(";", 1)[1]
    assert "ffv1" in advice and "libx264" not in advice and "libx265" not in advice, line


@pytest.mark.parametrize("codec", ["libx264", "libx265", "ffv1", "libvpx-vp9", "prores_ks"])
@pytest.mark.parametrize("pixels", [PixelInfo(bit_depth=16), PixelInfo(bit_depth=10, chroma="4:2:2"),
                                    PixelInfo(bit_depth=12, chroma="4:4:4"), PixelInfo(bit_depth=16, chroma="gray")])
def test_the_advice_never_names_the_encoder_in_use(codec, pixels):
    assert codec not in keeping_codecs(pixels, codec)
    assert "ffv1" in keeping_codecs(pixels, codec) or codec == "ffv1"  # FFV1 keeps every one of these


def test_frames_piped_from_a_grey_source_are_written_as_colour(tmp_path):
    """Only stitch (ffmpeg reading the grey images themselves) writes grey: a model command's frames
    are RGB, which a model may colour (stylize), so FFV1 gets them as RGB."""
    frames, out = tmp_path / "g", tmp_path / "o.mkv"
    _frames(frames, "gray")
    result = runner.invoke(app, ["interpolate", str(frames), "-o", str(out), "--fps", "10", "--model", "blend", "--codec", "ffv1"])
    assert result.exit_code == 0, result.output
    header = subprocess.run([ffmpeg.executable(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    assert "ffv1, gray" not in header and "ffv1, " in header, header
