"""Decoding, encoding and the threaded pipeline."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_all

from vidgen_cli.errors import DecodeError, EncodeError, InputError, UsageError
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.encode import (
    EncodeOptions,
    MediaSource,
    VideoWriter,
)
from vidgen_cli.io.image_writers import ImageFolderWriter
from vidgen_cli.io.probe import probe
from vidgen_cli.runtime.threads import run_pipeline


def test_decode_yields_rgb_frames_in_order(clips):
    frames = decode_all(clips["plain"])
    assert len(frames) == probe(clips["plain"]).frame_count == 24
    assert frames[0].dtype == np.uint8 and frames[0].shape == (48, 64, 3)
    assert not np.array_equal(frames[0], frames[12])  # the pattern moves


def test_decode_webm_and_vfr(clips):
    assert len(decode_all(clips["webm"])) == 25
    assert len(decode_all(clips["vfr"])) == probe(clips["vfr"]).frame_count


def test_image_folder_is_read_in_natural_order(tmp_path):
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), np.full((4, 4, 3), i, np.uint8))
    frames = decode_all(tmp_path)
    assert [int(f[0, 0, 0]) for f in frames] == [1, 2, 10]


def test_image_folder_with_mixed_sizes_is_refused(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((4, 4, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "2.png"), np.zeros((5, 4, 3), np.uint8))
    with pytest.raises(InputError, match="one size"):
        decode_all(tmp_path)


def test_truncated_file_fails_cleanly(clips, tmp_path):
    data = Path(clips["audio"]).read_bytes()
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises((InputError, DecodeError)):
        decode_all(broken)


def _write(writer, frames):
    return run_pipeline(iter(frames), writer)


def test_writer_keeps_odd_size_without_resizing(tmp_path):
    warnings = []
    out = tmp_path / "odd.mp4"
    frames = [np.random.default_rng(i).integers(0, 255, (47, 63, 3), dtype=np.uint8) for i in range(5)]
    _write(VideoWriter(out, Fraction(25), EncodeOptions(preset="ultrafast"), warn=warnings.append), frames)
    info = probe(out)
    assert (info.width, info.height) == (63, 47) and info.frame_count == 5
    assert warnings and "yuv444p" in warnings[0]


def test_writer_refuses_explicit_420_for_odd_size(tmp_path):
    writer = VideoWriter(tmp_path / "x.mp4", Fraction(25), EncodeOptions(pix_fmt="yuv420p"))
    with pytest.raises(UsageError, match="even"):
        _write(writer, [np.zeros((47, 63, 3), np.uint8)])
    assert not list(tmp_path.iterdir())


def test_writer_muxes_audio_from_source(clips, tmp_path):
    source = probe(clips["audio"])
    out = tmp_path / "with_audio.mkv"
    writer = VideoWriter(out, source.fps, EncodeOptions(preset="ultrafast"), media=MediaSource(str(clips["audio"]), audio=source.audio))
    _write(writer, decode_all(clips["audio"]))
    result = probe(out)
    assert result.has_audio and result.audio[0].codec == "aac"  # copied, not re-encoded
    assert result.frame_count == source.frame_count


def test_error_in_processing_stops_pipeline_and_removes_partial_output(clips, tmp_path):
    out = tmp_path / "never.mp4"

    def explode(frames):
        for index, frame in enumerate(frames):
            if index == 5:
                raise RuntimeError("model failed")
            yield frame

    with pytest.raises(RuntimeError, match="model failed"):
        run_pipeline(open_input(clips["plain"]), VideoWriter(out, Fraction(24)), process=explode)
    assert list(tmp_path.iterdir()) == []


def test_error_in_encoder_surfaces_once(tmp_path):
    frames = [np.zeros((8, 8, 3), np.uint8), np.zeros((9, 8, 3), np.uint8)]
    with pytest.raises(EncodeError, match="9"):
        run_pipeline(iter(frames), VideoWriter(tmp_path / "x.mp4", Fraction(24), EncodeOptions(preset="ultrafast")))
    assert list(tmp_path.iterdir()) == []


def test_error_in_decoder_surfaces(tmp_path):
    def broken():
        yield np.zeros((8, 8, 3), np.uint8)
        raise DecodeError("bad packet")

    with pytest.raises(DecodeError, match="bad packet"):
        run_pipeline(broken(), ImageFolderWriter(tmp_path / "frames"))
    assert list(tmp_path.iterdir()) == []


def test_image_folder_writer_writes_manifest(tmp_path):
    out = tmp_path / "frames"
    _write(ImageFolderWriter(out, "jpg", fps=Fraction(10)), [np.zeros((4, 6, 3), np.uint8)] * 3)
    from vidgen_cli.io.manifest import read_manifest_if_any

    manifest = read_manifest_if_any(out)
    assert manifest.fps == 10 and manifest.frames == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert manifest.times == pytest.approx([0.0, 0.1, 0.2])


@pytest.mark.parametrize("suffix,codec", [(".avi", ["-c:v", "mpeg4"]), (".mov", ["-c:v", "libx264", "-pix_fmt", "yuv420p"])])
def test_decode_avi_and_mov(tmp_path, suffix, codec):
    from conftest import make_clip

    clip = make_clip(tmp_path / f"c{suffix}", seconds=0.5, codec=codec)
    assert len(decode_all(clip)) == probe(clip).frame_count == 12


def test_subtitles_are_carried_into_mp4(clips, tmp_path):
    from vidgen_cli.io import ffmpeg

    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,900\nhello\n")
    source = tmp_path / "with_subs.mkv"
    assert ffmpeg.run(["-i", str(clips["plain"]), "-i", str(srt), "-map", "0", "-map", "1", "-c:v", "copy", "-c:s", "srt", str(source)]).returncode == 0
    info = probe(source)
    assert [s.codec for s in info.subtitles] == ["subrip"]
    out = tmp_path / "out.mp4"
    writer = VideoWriter(out, info.fps, EncodeOptions(preset="ultrafast"), media=MediaSource(str(source), subtitles=info.subtitles))
    _write(writer, decode_all(source))
    assert [s.codec for s in probe(out).subtitles] == ["mov_text"]


@pytest.mark.parametrize("codec,suffix", [("libvpx-vp9", ".webm"), ("libaom-av1", ".mkv"), ("mpeg4", ".avi")])
def test_writer_keeps_420_at_odd_size_where_the_encoder_takes_it(tmp_path, codec, suffix):
    warnings = []
    out = tmp_path / f"odd{suffix}"
    frames = [np.random.default_rng(i).integers(0, 255, (41, 63, 3), dtype=np.uint8) for i in range(3)]
    options = EncodeOptions(codec=codec, extra=["-cpu-used", "8"] if codec == "libaom-av1" else [])
    _write(VideoWriter(out, Fraction(25), options, warn=warnings.append), frames)
    info = probe(out)
    assert (info.width, info.height, info.pix_fmt) == (63, 41, "yuv420p") and info.frame_count == 3
    assert not [w for w in warnings if "odd" in w], warnings
