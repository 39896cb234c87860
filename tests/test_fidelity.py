"""What comes out is what went in, or one line says what changed: odd pixel aspects, 4:2:2/4:4:4
chroma and deep colour, audio a container cannot copy, stream metadata in shot clips, exact
non-standard rates through Matroska, and files cut short."""

from fractions import Fraction

import pytest
from conftest import ff, invoke

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.media import PixelInfo
from vidgen_cli.io.probe import probe

BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def video_banner(path) -> str:
    return next(line for line in ffmpeg.run(["-i", str(path)]).stderr.decode().splitlines() if "Video:" in line)


# --- 1. pixel aspect --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_sar(tmp_path_factory):
    path = tmp_path_factory.mktemp("sar") / "sar.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=0.6", "-f", "lavfi", "-i", "sine=d=0.6",
       "-vf", "setsar=r=964/963:max=1000", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path)
    return path


def test_setsar_keeps_an_odd_ratio_exactly():
    """setsar's default max (100) rounds 964:963 to 1:1."""
    from vidgen_cli.io.encode import sar_filter

    assert sar_filter(Fraction(964, 963)) == "setsar=r=964/963:max=964"
    assert sar_filter(Fraction(4, 3)) == "setsar=r=4/3:max=100"


def test_every_encoding_path_keeps_an_odd_sar(odd_sar, tmp_path):
    assert probe(odd_sar).sar == Fraction(964, 963)
    invoke("interpolate", odd_sar, "-o", tmp_path / "x2.mp4", *BLEND)  # segments joined by stream copy
    assert probe(tmp_path / "x2.mp4").sar == Fraction(964, 963)
    invoke("interpolate", odd_sar, "-o", tmp_path / "x2.mov", *BLEND)
    assert probe(tmp_path / "x2.mov").sar == Fraction(964, 963)
    invoke("split", odd_sar, "-o", f"{tmp_path / 'f'}/")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "back.mp4", "--preset", "ultrafast")  # one ffmpeg encode
    assert probe(tmp_path / "back.mp4").sar == Fraction(964, 963)


def test_matroska_says_when_it_cannot_store_the_sar(odd_sar, tmp_path):
    """Matroska stores a display size in whole pixels: 160 x 964/963 rounds to 160."""
    result = invoke("interpolate", odd_sar, "-o", tmp_path / "x2.mkv", *BLEND)
    lines = [line for line in result.output.splitlines() if "SAR" in line]
    assert len(lines) == 1 and "964:963" in lines[0] and "1:1" in lines[0], result.output


# --- 2. chroma and bit depth ------------------------------------------------------------------------


def test_chroma_of_pixel_formats():
    from vidgen_cli.io.pixels import chroma_of

    assert [chroma_of(f) for f in ("yuv420p", "yuvj422p", "yuv444p10le", "gbrp", "nv12", "gray")] == \
        ["4:2:0", "4:2:2", "4:4:4", "4:4:4", "4:2:0", "gray"]  # grey is known as grey (FFV1 keeps it as such)
    assert chroma_of("yuv411p") is None


def test_keep_yuv_picks_the_nearest_format_the_encoder_takes():
    from vidgen_cli.io.pixels import format_loss, keep_yuv

    assert keep_yuv("libx264", PixelInfo(chroma="4:4:4")) == "yuv444p"
    assert keep_yuv("libx264", PixelInfo(bit_depth=10, chroma="4:2:2")) == "yuv422p10le"
    assert keep_yuv("libx264", PixelInfo(bit_depth=12, chroma="4:4:4")) == "yuv444p10le"
    assert keep_yuv("libsvtav1", PixelInfo(chroma="4:4:4")) == "yuv420p"
    assert keep_yuv("prores_ks", PixelInfo(chroma="4:4:4")) == "yuv444p10le"
    assert keep_yuv("gif", PixelInfo(chroma="4:4:4")) is None
    assert format_loss(PixelInfo(bit_depth=10, chroma="4:2:2"), "yuv420p") == "4:2:2 chroma becomes 4:2:0, 10-bit becomes 8-bit"
    assert format_loss(PixelInfo(chroma="4:2:0"), "yuv444p") is None


@pytest.mark.parametrize("pix_fmt", ["yuv444p", "yuv422p10le"])
def test_model_commands_and_stitch_keep_chroma_and_depth(tmp_path, pix_fmt):
    source = tmp_path / "in.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pix_fmt, source)
    for name in ("x2.mp4", "x2.webm"):
        result = invoke("interpolate", source, "-o", tmp_path / name, *BLEND)
        assert probe(tmp_path / name).pix_fmt == pix_fmt, result.output
        assert "cannot keep the source's pixel format" not in result.output
    invoke("split", source, "-o", f"{tmp_path / 'f'}/")
    invoke("stitch", tmp_path / "f", "-o", tmp_path / "back.mkv", "--preset", "ultrafast")
    assert probe(tmp_path / "back.mkv").pix_fmt == pix_fmt


def test_a_codec_that_cannot_keep_the_format_says_so(tmp_path):
    source = tmp_path / "in.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv422p10le", source)
    result = invoke("interpolate", source, "-o", tmp_path / "x2.avi", "--codec", "mpeg4", *BLEND)
    lines = [line for line in result.output.splitlines() if "pixel format" in line]
    assert len(lines) == 1 and "4:2:2 chroma becomes 4:2:0" in lines[0] and "10-bit becomes 8-bit" in lines[0], result.output
    assert probe(tmp_path / "x2.avi").pix_fmt == "yuv420p"


# --- 3, 4. audio codecs and stream metadata -----------------------------------------------------------


@pytest.fixture(scope="module")
def vorbis(tmp_path_factory):
    path = tmp_path_factory.mktemp("vorbis") / "v.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.6", "-f", "lavfi", "-i", "sine=d=0.6",
       "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis", path)
    return path


def test_re_encoded_audio_is_named_in_one_line(vorbis, tmp_path):
    result = invoke("interpolate", vorbis, "-o", tmp_path / "x2.mp4", *BLEND)
    lines = [line for line in result.output.splitlines() if "warning" in line]
    assert len(lines) == 1 and "re-encoding 1 audio stream(s) to aac" in lines[0], result.output
    assert probe(tmp_path / "x2.mp4").audio[0].codec == "aac"
    result = invoke("interpolate", vorbis, "-o", tmp_path / "x2.mkv", *BLEND)
    assert "re-encoding" not in result.output and probe(tmp_path / "x2.mkv").audio[0].codec == "vorbis"


def test_shot_clips_copy_audio_and_keep_subtitles_and_metadata(tmp_path):
    (tmp_path / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nhello\n")
    source = tmp_path / "in.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.6", "-f", "lavfi", "-i", "sine=d=0.6", "-i", tmp_path / "s.srt",
       "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis", "-c:s", "srt",
       "-metadata:s:a:0", "language=und", "-metadata:s:a:0", "title=Main mix", "-disposition:a:0", "comment",
       "-metadata:s:s:0", "title=Subs", "-disposition:s:0", "forced", source)
    invoke("split", source, "--scenes", "-o", f"{tmp_path / 'shots'}/", "--preset", "ultrafast")
    clip = tmp_path / "shots" / "in-shot001.mkv"
    info = probe(clip)
    assert info.audio[0].codec == "vorbis" and info.audio[0].dispositions == ["comment"]
    assert len(info.subtitles) == 1 and info.subtitles[0].dispositions == ["forced"]
    banner = ffmpeg.run(["-i", str(clip)]).stderr.decode()
    assert "title           : Main mix" in banner and "title           : Subs" in banner


def test_mp4_and_mov_say_they_drop_stream_titles(vorbis, tmp_path):
    source = tmp_path / "titled.mkv"
    ff("-i", vorbis, "-map", "0", "-c", "copy", "-metadata:s:a:0", "title=Director's commentary", "-disposition:a:0", "comment", source)
    assert probe(source).audio[0].title == "Director's commentary"
    for name, also in (("x2.mp4", ""), ("x2.mov", " or their dispositions (comment)")):
        result = invoke("interpolate", source, "-o", tmp_path / name, *BLEND)
        lines = [line for line in result.output.splitlines() if "titles" in line]
        assert len(lines) == 1 and f"does not keep stream titles (\"Director's commentary\"){also}" in lines[0], result.output
    result = invoke("interpolate", source, "-o", tmp_path / "x2.mkv", *BLEND)
    assert "titles" not in result.output and probe(tmp_path / "x2.mkv").audio[0].title == "Director's commentary"


# --- 5. exact rates through Matroska ----------------------------------------------------------------


def test_a_non_standard_rate_doubles_exactly_in_matroska(tmp_path):
    """Matroska times are whole milliseconds: 2997/50 and 60000/1001 differ only in the header's
    DefaultDuration, which the joined output must carry and the probe must read."""
    source = tmp_path / "in.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=2997/100:d=1", "-c:v", "libx264", "-preset", "ultrafast", source)
    assert probe(source).fps == Fraction(2997, 100)
    for name in ("x2.mkv", "x2.mp4", "x2.webm"):
        invoke("interpolate", source, "-o", tmp_path / name, *BLEND)
        assert probe(tmp_path / name).fps == Fraction(2997, 50), name


# --- 6. files cut short ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_truncated_file_is_named_and_keeps_its_rate(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart", whole)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    info = probe(cut)
    assert info.ends_early and "ends early" in info.ends_early and info.fps == 25 and not info.vfr
    assert probe(whole).ends_early is None
    result = invoke("interpolate", cut, "-o", tmp_path / "x2.mkv", *BLEND)
    lines = [line for line in result.output.splitlines() if "ends early" in line]
    assert len(lines) == 1 and f"{info.frame_count} frames" in lines[0], result.output
    assert probe(tmp_path / "x2.mkv").fps == 50
    result = invoke("split", cut, "-o", f"{tmp_path / 'f'}/")
    assert "ends early" in result.output


# --- 10. motion --start/--end ------------------------------------------------------------------------


def test_motion_commands_take_start_and_end_on_the_files_timeline(tmp_path):
    """capture and stabilize read the same span the other commands do; the analysis covers only it."""
    import json

    from test_motion import camera_path, render, texture, write

    clip = write(render(camera_path(40, shake=1.0), texture(seed=4, size=(400, 260))), tmp_path / "shaky.mp4")
    invoke("motion", "capture", clip, "-o", tmp_path / "m.json", "--start", "0.4", "--end", "1.2")
    data = json.loads((tmp_path / "m.json").read_text())
    assert len(data["frames"]) == 20  # frames 10-29 at 25 fps
    whole = json.loads(invoke("motion", "capture", clip, "-o", tmp_path / "all.json", "--json", "-q").output.splitlines()[0])
    assert whole["frames"] == 40
    result = invoke("motion", "stabilize", clip, "-o", tmp_path / "s.mp4", "--start", "0.4", "--end", "1.2", "--smoothing", "0.3")
    out = probe(tmp_path / "s.mp4")
    assert out.frame_count == 20 and "input frames 10-29" in result.output
    invoke("motion", "replay", clip, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4", "--start", "0.4", "--end", "1.2")
    assert probe(tmp_path / "r.mp4").frame_count == 20


# --- 7, 8. machine-readable output and clear refusals ------------------------------------------------


def _run(*args):
    from typer.testing import CliRunner

    from vidgen_cli.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_probe_takes_json_and_eval_json_is_a_summary_of_means(clips, tmp_path):
    import json

    lines = invoke("probe", clips["plain"], "--json").output.splitlines()  # the record, then the summary, as every command
    record, last = json.loads(lines[0]), json.loads(lines[-1])
    assert record["frame_count"] == 24 and last == {"summary": True, "succeeded": 1, "failed": 0, "skipped": 0}
    summary = json.loads(invoke("eval", clips["plain"], clips["plain"], "--json", "-q", "--no-vmaf").output.splitlines()[-1])
    assert summary["summary"] is True and summary["psnr"] == 100 and summary["ssim"] == pytest.approx(1.0)
    flicker = json.loads(invoke("eval", "--flicker", clips["plain"], "--json", "-q").output.splitlines()[-1])
    assert flicker["summary"] is True and "warping_error" in flicker


def test_eval_names_a_start_time_offset_rather_than_a_length(clips, tmp_path):
    shifted = tmp_path / "shifted.mp4"
    ff("-itsoffset", "0.25", "-i", clips["plain"], "-c", "copy", shifted)
    result = _run("eval", clips["plain"], shifted, "--no-vmaf")
    assert result.exit_code == 3
    assert "start-time offset" in result.output and "starts 0.250 s after" in result.output and "lengths differ" not in result.output
    assert "both have 24 frames" in result.output


def test_probe_of_a_subtitle_or_data_file_is_one_clear_line(tmp_path):
    (tmp_path / "s.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nhello\n")
    result = _run("probe", tmp_path / "s.srt")
    assert result.exit_code == 3 and "is a subtitle file (subrip), not a video" in result.output
    assert "At least one output file" not in result.output and len(result.output.strip().splitlines()) == 1


def test_propagate_takes_start_and_end_with_key_frames_counted_from_the_video_start(tmp_path):
    import cv2
    import numpy as np
    from conftest import decode_all
    from test_motion import camera_path, render, texture, write

    clip = write(render(camera_path(16), texture()), tmp_path / "pan.mp4")
    frames = decode_all(clip)
    key = frames[8].copy()
    key[40:56, 70:90] = (255, 0, 255)  # painted on frame 8 of the video
    cv2.imwrite(str(tmp_path / "key.png"), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
    invoke("motion", "propagate", clip, "--key", tmp_path / "key.png", "--key-frame", "8", "--start", "0.16", "--end", "0.48",
           "-o", tmp_path / "p.mkv", "--codec", "ffv1")
    out = decode_all(tmp_path / "p.mkv")
    assert len(out) == 8  # frames 4-11
    assert np.abs(out[4][44:52, 74:86].astype(int) - (255, 0, 255)).mean() < 10  # the key's own frame
    assert np.abs(out[0][70:, :40].astype(int) - frames[4][70:, :40]).mean() < 1  # the span's first frame, away from the edit
    result = _run("motion", "propagate", clip, "--key", tmp_path / "key.png", "--key-frame", "2", "--start", "0.16",
                  "-o", tmp_path / "q.mkv")
    assert result.exit_code == 2 and "outside --start/--end (input frames 4-15)" in result.output


# --- 11. train predict's pool ------------------------------------------------------------------------


def test_train_predict_reports_progress_while_building_its_pool(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    clip = tmp_path / "clip.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast", clip)
    vidgen = str(Path(sys.executable).parent / "vidgen")
    result = subprocess.run([vidgen, "train", "predict", "--data", str(clip), "--pool", "4", "--steps", "1", "--crop", "32",
                             "--threads", "1", "-o", str(tmp_path / "p.pt")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    pool = [n for n, line in enumerate(lines) if "build example pool" in line and "4/4" in line]
    steps = [n for n, line in enumerate(lines) if line.startswith("train predict:")]
    assert pool and steps and pool[0] < steps[0], result.stderr


def test_matroska_default_duration_is_read_whether_rounded_or_truncated(tmp_path):
    from vidgen_cli.io.matroska import video_frame_rate

    for rate in ("30000/1001", "2997/100", "60000/1001", "2997/50", "24000/1001", "25"):
        path = tmp_path / f"{rate.replace('/', '_')}.mkv"
        ff("-f", "lavfi", "-i", f"testsrc2=s=32x32:r={rate}:d=0.2", "-c:v", "libx264", "-preset", "ultrafast", path)
        assert video_frame_rate(path) == Fraction(rate), rate
        assert probe(path).fps == Fraction(rate), rate
    assert video_frame_rate(tmp_path / "missing.mkv") is None
