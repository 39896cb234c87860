"""Streams besides the picture, audio and subtitles: a second video stream, cover art, font
attachments and every track of `stitch --audio` are carried or named in one stderr line."""

import pytest
from conftest import ff, invoke

from vidgen_cli.io import ffmpeg
from vidgen_cli.io.banner import parse_header
from vidgen_cli.io.probe import probe

BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def header(path):
    return parse_header(ffmpeg.run(["-i", str(path)]).stderr.decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("carry")
    path = root / "base.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64:r=25:d=0.4", "-f", "lavfi", "-i", "sine=f=440:d=0.4", "-c:v", "libx264",
       "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path)
    return path


@pytest.mark.parametrize("suffix", [".mkv", ".mp4", ".avi"])
def test_the_largest_video_stream_is_processed_and_the_other_is_named(base, tmp_path, suffix):
    """ffmpeg picks the largest video stream; a small first stream used to be processed instead and
    the large one vanished without a word."""
    source = tmp_path / f"twov{suffix}"
    ff("-f", "lavfi", "-i", "testsrc=s=32x24:r=10:d=0.4", "-i", base, "-map", "0:v", "-map", "1:v", "-map", "1:a",
       "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy" if suffix != ".avi" else "mp3", source)
    assert (probe(source).width, probe(source).height) == (96, 64)
    out = tmp_path / f"o{suffix}"
    result = invoke("interpolate", source, "-o", out, *BLEND)
    info = probe(out)
    assert (info.width, info.height) == (96, 64) and len(info.audio) == 1
    lines = [line for line in result.output.splitlines() if "2 video streams" in line]
    assert len(lines) == 1 and "32x24" in lines[0], result.output


@pytest.fixture(scope="module")
def cover(base, tmp_path_factory):
    root = tmp_path_factory.mktemp("cover")
    ff("-f", "lavfi", "-i", "testsrc2=s=96x64", "-frames:v", "1", root / "img.png")
    path = root / "cover.mp4"
    ff("-i", root / "img.png", "-i", base, "-map", "1:v", "-map", "1:a", "-map", "0", "-c:v:0", "copy", "-c:a", "copy",
       "-c:v:1", "png", "-disposition:v:1", "attached_pic", path)
    return path


def test_cover_art_is_carried_into_mp4(cover, tmp_path):
    out = tmp_path / "o.mp4"
    invoke("interpolate", cover, "-o", out, *BLEND)
    found = header(out)
    assert found.video is not None and found.video["codec"] == "h264" and len(found.audio) == 1
    assert [s.codec for s in found.attached_pics] == ["png"]
    assert probe(out).frame_count == 20


def test_cover_art_and_fonts_are_carried_into_mkv(base, cover, tmp_path):
    """ffmpeg would write a copied cover as a second video track of an .mkv: it becomes an
    attachment (cover.png), beside the source's own attachments."""
    font = tmp_path / "font.ttf"
    font.write_bytes(b"\0\1\0\0fake font")
    source = tmp_path / "both.mkv"
    ff("-i", base, "-map", "0", "-c", "copy", "-attach", font, "-attach", cover.parent / "img.png", "-metadata:s:t:0",
       "mimetype=application/x-truetype-font", "-metadata:s:t:1", "mimetype=image/png", "-metadata:s:t:1", "filename=cover.png", source)
    assert len(header(source).attached_pics) == 1 and len(header(source).attachments) == 1
    for start, out in ((cover, tmp_path / "a.mkv"), (source, tmp_path / "b.mkv")):
        result = invoke("interpolate", start, "-o", out, *BLEND)
        assert "cover art" not in result.output, result.output
        found = header(out)
        assert found.video is not None and found.video["codec"] == "h264" and not found.other_video
        assert [s.codec for s in found.attached_pics] == ["png"] and len(found.audio) == 1
        banner = ffmpeg.run(["-i", str(out)]).stderr.decode()
        assert "filename        : cover.png" in banner and "mimetype        : image/png" in banner
    assert len(header(tmp_path / "b.mkv").attachments) == 1
    assert "mimetype        : application/x-truetype-font" in ffmpeg.run(["-i", str(tmp_path / "b.mkv")]).stderr.decode()


@pytest.mark.parametrize("suffix", [".avi", ".mov"])
def test_cover_art_not_carried_is_named(cover, tmp_path, suffix):
    result = invoke("interpolate", cover, "-o", tmp_path / f"o{suffix}", *BLEND)
    lines = [line for line in result.output.splitlines() if "cover art" in line]
    assert len(lines) == 1, result.output


def test_a_font_attachment_outside_matroska_is_named(base, tmp_path):
    font = tmp_path / "font.ttf"
    font.write_bytes(b"\0\1\0\0fake font")
    source = tmp_path / "fonts.mkv"
    ff("-i", base, "-map", "0", "-c", "copy", "-attach", font, "-metadata:s:t", "mimetype=application/x-truetype-font", source)
    assert len(probe(source).attachments) == 1
    kept = invoke("interpolate", source, "-o", tmp_path / "o.mkv", *BLEND)
    assert "attachments" not in kept.output and len(probe(tmp_path / "o.mkv").attachments) == 1
    result = invoke("interpolate", source, "-o", tmp_path / "o.mp4", *BLEND)
    lines = [line for line in result.output.splitlines() if "attachments" in line]
    assert len(lines) == 1 and ".mkv" in lines[0], result.output


def test_stitch_audio_carries_every_track(base, tmp_path):
    multi = tmp_path / "multi.mkv"
    ff("-i", base, "-f", "lavfi", "-i", "sine=f=880:d=0.4", "-map", "0:v", "-map", "0:a", "-map", "1:a", "-c:v", "copy",
       "-c:a", "aac", "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=deu", multi)
    frames = tmp_path / "f"
    invoke("split", base, "-o", frames)
    out = tmp_path / "o.mkv"
    invoke("stitch", frames, "-o", out, "--audio", multi)
    assert [s.language for s in probe(out).audio] == ["eng", "deu"]


@pytest.mark.parametrize("default", [None, 0, 1])
def test_the_processed_video_stream_is_the_one_ffmpeg_picks(base, tmp_path, default):
    """ffmpeg's pick (fftools map_auto_video): the largest, a default-disposition stream first."""
    source = tmp_path / "twov.mkv"
    marks = [] if default is None else ["-disposition:v:0", "default" if default == 0 else "0",
                                        "-disposition:v:1", "default" if default == 1 else "0"]
    ff("-i", base, "-f", "lavfi", "-i", "testsrc=s=32x24:r=10:d=0.4", "-map", "0:v", "-map", "1:v", "-c:v", "libx264",
       "-preset", "ultrafast", *marks, source)
    mapping = ffmpeg.run(["-i", str(source), "-t", "0.1", "-f", "null", "-"]).stderr.decode()
    picked = int(mapping.split("Stream mapping:")[1].split("Stream #0:")[1].split(" ")[0])
    assert probe(source).video_stream == picked


def test_a_pipe_with_two_video_streams_names_the_other(base, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    source = tmp_path / "twov.mkv"
    ff("-f", "lavfi", "-i", "testsrc=s=32x24:r=10:d=0.4", "-i", base, "-map", "0:v", "-map", "1:v", "-map", "1:a",
       "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", source)
    out = tmp_path / "o.mkv"
    result = subprocess.run([str(Path(sys.executable).with_name("vidgen")), "interpolate", "-", "-o", out, *BLEND],
                            input=source.read_bytes(), capture_output=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.decode().splitlines() if "2 video streams" in line]
    assert len(lines) == 1 and "96x64" in lines[0], result.stderr
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frame_count) == (32, 24, 20, 8) and len(info.audio) == 1


def test_attachments_a_container_cannot_hold_are_named_by_file_name(base, tmp_path):
    """The line names each attachment by its filename tag (the font a subtitle asks for), for a
    file and for a pipe, in every container without attachments."""
    import subprocess
    import sys
    from pathlib import Path

    font, notes = tmp_path / "My Font.ttf", tmp_path / "notes.txt"
    font.write_bytes(b"\0\1\0\0fake font")
    notes.write_text("x")
    source = tmp_path / "fonts.mkv"
    ff("-i", base, "-map", "0", "-c", "copy", "-attach", font, "-metadata:s:t:0", "mimetype=application/x-truetype-font",
       "-attach", notes, "-metadata:s:t:1", "mimetype=text/plain", source)
    assert [s.filename for s in probe(source).attachments] == ["My Font.ttf", "notes.txt"]
    for suffix in (".mp4", ".webm", ".ts"):
        result = invoke("interpolate", source, "-o", tmp_path / f"o{suffix}", *BLEND)
        lines = [line for line in result.output.splitlines() if "cannot hold attachments" in line]
        assert len(lines) == 1 and "(My Font.ttf, notes.txt)" in lines[0], result.output
    vidgen = str(Path(sys.executable).with_name("vidgen"))
    piped = subprocess.run([vidgen, "interpolate", "-", "-o", str(tmp_path / "p.mp4"), *BLEND], input=source.read_bytes(),
                           capture_output=True)
    assert piped.returncode == 0, piped.stderr
    assert "(My Font.ttf, notes.txt)" in piped.stderr.decode(), piped.stderr


def test_mp2_audio_is_copied_into_mpeg_ts(tmp_path):
    """MPEG-TS holds MPEG-1 Layer II audio (DVB's own): it is copied, not re-encoded to AAC with a false reason."""
    source = tmp_path / "in.ts"
    ff("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:duration=1", "-f", "lavfi", "-i", "sine=d=1",
       "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "mp2", source)
    invoke("split", source, "-o", tmp_path / "f")
    result = invoke("stitch", tmp_path / "f", "-o", tmp_path / "out.ts")
    assert "cannot hold" not in result.output and "re-encod" not in result.output, result.output
    assert [s.codec for s in probe(str(tmp_path / "out.ts")).audio] == ["mp2"]
