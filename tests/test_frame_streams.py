"""Frames, streams and metadata a frames folder carries back into a video: only the frames the
manifest lists, the source's HDR mastering metadata, its display aspect, chapters and titles, a
source file that has changed since split, and opaque frames from a GIF.

Each fault was found by a new user's pass (faults 1-7 of helper newuserB's report); the clips are
synthesized with the bundled ffmpeg and the values read back with ffmpeg itself.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import ff, invoke
from sync import frame_times, make_sync_clip


@pytest.fixture(scope="module")
def sync_clip(tmp_path_factory):
    """A 30 fps, 3 s clip with audio: white frames and beeps at 1.0 and 2.5 s."""
    return make_sync_clip(tmp_path_factory.mktemp("sync") / "sync.mp4")


# --- 1. only the listed frames, with or without audio ------------------------------------------------


@pytest.mark.parametrize("with_audio", [True, False])
def test_numbered_images_after_the_listed_frames_are_not_frames(sync_clip, tmp_path, with_audio):
    """ffmpeg's image2 reads numbered files until one is missing: three copies of a flash frame saved
    as 000091-000093.png after split's 90 frames became frames 91-93 when audio was carried."""
    frames = tmp_path / "f"
    invoke("split", sync_clip, "-o", frames)
    for number in (91, 92, 93):
        shutil.copy(frames / "000031.png", frames / f"{number:06d}.png")  # 000031: the flash at 1.0 s
    back = tmp_path / "back.mp4"
    result = invoke("stitch", frames, "-o", back, "--preset", "ultrafast", *([] if with_audio else ["--no-audio"]))
    assert "ignoring 3 image(s) not listed" in result.output
    times = frame_times(back)
    assert len(times) == 90 and times[-1] < 2.99  # no frame at 3.00-3.07 s


# --- 2. HDR10 mastering display and content light level -----------------------------------------------

MASTERING = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"


@pytest.fixture(scope="module")
def hdr_clip(tmp_path_factory):
    """A BT.2020 PQ HEVC clip with HDR10 static metadata (P3-like primaries, 1000 nits; MaxCLL 1000, MaxFALL 400)."""
    path = tmp_path_factory.mktemp("hdr") / "hdr.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=25:d=0.4", "-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-x265-params",
       "log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:hdr10=1:"
       f"master-display={MASTERING}:max-cll=1000,400", path)
    return path


def hdr_metadata(path) -> tuple[str | None, str | None]:
    """What a decoder reads back: the first frame's mastering display and content light level."""
    from vidgen_cli.io.hdr_metadata import read_hdr_metadata

    return read_hdr_metadata(str(path), 0)


def test_hdr_mastering_metadata_survives_split_and_stitch(hdr_clip, tmp_path):
    """ffmpeg's PNG encoder writes the mDCV chunk out of order (r(0.68,0.265) g(0.15,0.06) b(0,0) came
    back); the values are taken from the source instead and written by the encoder."""
    assert hdr_metadata(hdr_clip) == (MASTERING, "1000,400")
    frames = tmp_path / "f"
    invoke("split", hdr_clip, "-o", frames)
    assert hdr_metadata(frames / "000001.png")[0] is None  # no wrong chunk in the frames
    for name in ("back.mp4", "back.mkv"):
        invoke("stitch", frames, "-o", tmp_path / name, "--preset", "ultrafast")
        assert hdr_metadata(tmp_path / name) == (MASTERING, "1000,400"), name
    invoke("stitch", frames, "-o", tmp_path / "x265.mkv", "--codec", "libx265", "--preset", "ultrafast")
    assert hdr_metadata(tmp_path / "x265.mkv") == (MASTERING, "1000,400")
    result = invoke("stitch", frames, "-o", tmp_path / "back.webm")
    lines = [line for line in result.output.splitlines() if "mastering display" in line]
    assert len(lines) == 1 and "libvpx-vp9 cannot be given" in lines[0], result.output
    assert hdr_metadata(tmp_path / "back.webm")[0] is None


def test_model_commands_carry_hdr_mastering_metadata(hdr_clip, tmp_path):
    invoke("interpolate", hdr_clip, "-o", tmp_path / "x2.mp4", "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert hdr_metadata(tmp_path / "x2.mp4") == (MASTERING, "1000,400")
    invoke("predict", hdr_clip, "-o", tmp_path / "p.mkv", "--model", "copy", "-n", "2", "--preset", "ultrafast")
    assert hdr_metadata(tmp_path / "p.mkv") == (MASTERING, "1000,400")


def test_svt_av1_takes_the_mastering_display_in_decimals():
    from vidgen_cli.io.hdr_metadata import hdr_metadata_args
    from vidgen_cli.io.media import PixelInfo

    pixels = PixelInfo(mastering_display=MASTERING, content_light="1000,400")
    assert hdr_metadata_args("libsvtav1", pixels) == [
        "-svtav1-params", "mastering-display=G(0.265,0.69)B(0.15,0.06)R(0.68,0.32)WP(0.3127,0.329)L(1000,0.0001):content-light=1000,400"]
    assert hdr_metadata_args("libx265", pixels) == ["-x265-params", f"master-display={MASTERING}:max-cll=1000,400"]
    assert hdr_metadata_args("copy", pixels) == []


# --- 3. frames resized to another shape keep the display aspect ---------------------------------------


def display_aspect(path):
    from vidgen_cli.io.probe import probe

    info = probe(path)
    return info.sar * info.width / info.height


def test_frames_resized_to_another_shape_keep_the_source_display_aspect(tmp_path):
    """An anamorphic 160x120 clip at SAR 4:3 (16:9 on screen) split, its frames made 213x120 (square
    pixels, as an image editor makes them): played at SAR 4:3 they came out 2.37:1 with no line."""
    from fractions import Fraction

    source = make_sync_clip(tmp_path / "ana.mp4", sar="4/3", seconds=0.5, events=(0.2,), audio=False)
    frames, square, bigger = tmp_path / "f", tmp_path / "sq", tmp_path / "big"
    invoke("split", source, "-o", frames)
    for folder, size in ((square, "213:120"), (bigger, "320:240")):
        folder.mkdir()
        shutil.copy(frames / "manifest.json", folder)
        ff("-i", frames / "%06d.png", "-vf", f"scale={size},setsar=1", "-start_number", "1", folder / "%06d.png")
    result = invoke("stitch", square, "-o", tmp_path / "sq.mp4", "--preset", "ultrafast")
    lines = [line for line in result.output.splitlines() if "display aspect" in line]
    assert len(lines) == 1 and "213x120 where split wrote 160x120 at SAR 4:3: written at SAR 640:639" in lines[0], result.output
    assert display_aspect(tmp_path / "sq.mp4") == Fraction(16, 9)
    result = invoke("interpolate", square, "-o", tmp_path / "x2.mp4", "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert "display aspect" in result.output and display_aspect(tmp_path / "x2.mp4") == Fraction(16, 9)
    result = invoke("stitch", bigger, "-o", tmp_path / "big.mp4", "--preset", "ultrafast")  # a proportional resize keeps SAR 4:3
    assert "display aspect" not in result.output and display_aspect(tmp_path / "big.mp4") == Fraction(16, 9)


# --- 4. chapters and the title where the container cannot hold them ---------------------------------


@pytest.fixture(scope="module")
def rich_clip(sync_clip, tmp_path_factory):
    """The sync clip in Matroska with a global title and two chapters."""
    root = tmp_path_factory.mktemp("rich")
    meta = root / "meta.txt"
    meta.write_text(";FFMETADATA1\ntitle=Rich Title\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=One\n"
                    "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two\n")
    path = root / "rich.mkv"
    ff("-i", sync_clip, "-i", meta, "-map", "0", "-map_chapters", "1", "-map_metadata", "1", "-c", "copy", path)
    return path


def chapters_and_title(path) -> tuple[int, str | None]:
    from vidgen_cli.io.probe import probe

    info = probe(path)
    return info.chapters, info.title


def test_chapters_and_title_a_container_cannot_hold_are_named(rich_clip, tmp_path):
    assert chapters_and_title(rich_clip) == (2, "Rich Title")
    frames = tmp_path / "f"
    invoke("split", rich_clip, "-o", frames)
    expected = {"r.ts": "cannot hold the source's 2 chapter(s) and title ('Rich Title')",
                "r.avi": "cannot hold the source's 2 chapter(s); writing", "r.mkv": None, "r.mp4": None}
    for name, line in expected.items():
        result = invoke("stitch", frames, "-o", tmp_path / name, "--preset", "ultrafast")
        lines = [text for text in result.output.splitlines() if "cannot hold the source" in text]
        assert lines == ([] if line is None else [lines[0]]) and (line is None or line in lines[0]), (name, result.output)
        if line is None:
            assert chapters_and_title(tmp_path / name) == (2, "Rich Title")
    result = invoke("interpolate", rich_clip, "-o", tmp_path / "x2.ts", "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert "cannot hold the source's 2 chapter(s) and title" in result.output


# --- 5. a source file replaced since split -----------------------------------------------------------


def test_a_source_replaced_since_split_is_named_and_not_taken(sync_clip, tmp_path):
    from vidgen_cli.io.probe import probe

    source = tmp_path / "src.mp4"
    shutil.copy(sync_clip, source)
    frames = tmp_path / "f"
    invoke("split", source, "-o", frames)
    kept = source.read_bytes()
    for replacement in (make_sync_clip(tmp_path / "silent.mp4", audio=False, events=(0.5,)),
                        make_sync_clip(tmp_path / "other.mp4", events=(0.5,), size="96x64")):
        shutil.copy(replacement, source)
        back = tmp_path / f"from-{replacement.stem}.mp4"
        result = invoke("stitch", frames, "-o", back, "--preset", "ultrafast")
        lines = [line for line in result.output.splitlines() if "is not the file split read" in line]
        assert len(lines) == 1 and "its audio and other streams are not taken" in lines[0], result.output
        assert not probe(back).audio
    source.write_bytes(kept)  # the same file again (a new mtime, as a copy has): taken
    result = invoke("stitch", frames, "-o", tmp_path / "same.mp4", "--preset", "ultrafast")
    assert "is not the file split read" not in result.output and len(probe(tmp_path / "same.mp4").audio) == 1


# --- 6. frames of an opaque GIF are opaque ---------------------------------------------------------------


def test_frames_of_an_opaque_gif_are_opaque(tmp_path):
    """ffmpeg decodes every GIF with an alpha plane: split wrote RGBA PNGs (alpha all 255) although the
    manifest said alpha false, so .mkv/.mp4 said "alpha dropped", .gif "transparency lost", and .mov
    switched to ProRes 4444."""
    import cv2

    from vidgen_cli.io.probe import probe

    opaque, holed = tmp_path / "o.gif", tmp_path / "t.gif"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5", opaque)
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,20),0,255)',"
       "split[a][b];[a]palettegen[p];[b][p]paletteuse", holed)
    frames, holed_frames = tmp_path / "f", tmp_path / "h"
    invoke("split", opaque, "-o", frames)
    invoke("split", holed, "-o", holed_frames)
    assert cv2.imread(str(frames / "000001.png"), cv2.IMREAD_UNCHANGED).shape[2] == 3
    assert cv2.imread(str(holed_frames / "000001.png"), cv2.IMREAD_UNCHANGED).shape[2] == 4  # real transparency stays
    for name in ("x.mkv", "x.mp4", "x.gif", "x.mov"):
        result = invoke("stitch", frames, "-o", tmp_path / name, "--preset", "ultrafast")
        assert "alpha" not in result.output and "transparency" not in result.output, (name, result.output)
    assert probe(tmp_path / "x.mov").codec == "h264"
    (frames / "000001.png").unlink()  # a folder split before the fix holds RGBA frames; its manifest says opaque
    ff("-i", opaque, "-frames:v", "1", "-pix_fmt", "rgba", frames / "000001.png")
    result = invoke("stitch", frames, "-o", tmp_path / "old.mov", "--preset", "ultrafast")
    assert "alpha" not in result.output and probe(tmp_path / "old.mov").codec == "h264"


def test_frames_given_transparency_after_split_keep_it(tmp_path):
    """The manifest's alpha flag (false for an opaque source) does not hide transparency added to the
    frames afterwards (a background removed): the frames' own alpha decides."""
    import cv2

    from vidgen_cli.io.probe import probe

    source = tmp_path / "o.gif"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=0.5", source)
    frames = tmp_path / "f"
    invoke("split", source, "-o", frames)
    for image in sorted(frames.glob("*.png")):
        picture = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2BGRA)
        picture[:, :20, 3] = 0
        cv2.imwrite(str(image), picture)
    invoke("stitch", frames, "-o", tmp_path / "x.mov", "--preset", "ultrafast")
    assert probe(tmp_path / "x.mov").pixels.alpha


# --- 7. the video stream's title --------------------------------------------------------------------------


def test_mp4_names_the_video_title_it_drops(sync_clip, tmp_path):
    from vidgen_cli.io.probe import probe

    source = tmp_path / "titled.mkv"
    ff("-i", sync_clip, "-c", "copy", "-metadata:s:v:0", "title=VidTitle", source)
    assert probe(source).video_title == "VidTitle"
    frames = tmp_path / "f"
    invoke("split", source, "-o", frames)
    for name in ("x.mp4", "x.mov", "x.ts"):
        result = invoke("stitch", frames, "-o", tmp_path / name, "--preset", "ultrafast")
        lines = [line for line in result.output.splitlines() if "stream titles" in line]
        assert len(lines) == 1 and "('VidTitle')" in lines[0], (name, result.output)
    result = invoke("interpolate", source, "-o", tmp_path / "x2.mp4", "--factor", "2", "--model", "blend", "--preset", "ultrafast")
    assert "stream titles ('VidTitle')" in result.output
    result = invoke("stitch", frames, "-o", tmp_path / "x.mkv", "--preset", "ultrafast")
    assert "stream titles" not in result.output and probe(tmp_path / "x.mkv").video_title == "VidTitle"


def test_an_hdr_folder_split_before_the_metadata_was_recorded_says_none_is_written(hdr_clip, tmp_path):
    import json

    frames = tmp_path / "f"
    invoke("split", hdr_clip, "-o", frames)
    manifest = json.loads((frames / "manifest.json").read_text())
    del manifest["pixels"]["mastering_display"], manifest["pixels"]["content_light"]
    (frames / "manifest.json").write_text(json.dumps(manifest))
    ff("-i", hdr_clip, "-start_number", "1", frames / "%06d.png")  # frames as an earlier split wrote them: ffmpeg's own mDCV
    assert hdr_metadata(frames / "000001.png")[0] not in (None, MASTERING)
    result = invoke("stitch", frames, "-o", tmp_path / "x.mp4", "--preset", "ultrafast")
    assert "does not record the source's HDR10 mastering display" in result.output
    assert hdr_metadata(tmp_path / "x.mp4") == (None, None)
