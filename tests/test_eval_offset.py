"""`vidgen eval` on a cut written from 0 (--offset places it in the reference) and on inputs with
too few frames for what is asked (flicker needs a pair)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import ff, invoke, make_clip
from vidgen_cli.cli.app import app


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("offset") / "ref.mp4", size="96x64", rate="25", seconds=3.0)


def _eval(*args) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(app, ["eval", *map(str, args), "--no-vmaf", "--json"])
    record = json.loads(result.stdout.splitlines()[-1]) if result.stdout.strip() else None
    return result.exit_code, record, result.stderr


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_cut_written_from_0_is_paired_where_it_was_cut_with_offset(reference: Path, tmp_path: Path, suffix: str) -> None:
    invoke("split", reference, "-o", tmp_path / "part", "--start", 1, "--end", 2)
    cut = tmp_path / f"part{suffix}"
    invoke("stitch", tmp_path / "part", "-o", cut)
    code, folder, _ = _eval(reference, tmp_path / "part", "--partial")  # the folder's manifest places it
    assert code == 0 and folder["psnr"] == 100.0 and folder["frames"] == 25
    code, plain, stderr = _eval(reference, cut, "--partial")  # the video starts at 0: paired from the start, said
    assert code == 0 and plain["psnr"] < 25
    assert "--offset" in stderr and "paired with the reference from its first frame" in stderr
    code, placed, stderr = _eval(reference, cut, "--partial", "--offset", 1, "--per-frame")
    assert code == 0 and placed["psnr"] > max(28, plain["psnr"] + 10) and placed["frames"] == 25, placed
    assert placed["per_frame"][0]["reference_index"] == 25 and placed["per_frame"][0]["test_index"] == 0
    assert "(--offset 1)" in " ".join(placed["matched_by"].split()) and "pass --offset" not in stderr
    # without --partial the unmatched reference frames are still refused
    code, _, stderr = _eval(reference, cut, "--offset", 1)
    assert code == 3 and "--partial" in stderr


def test_an_ffmpeg_cut_and_frames_without_times_take_offset_too(reference: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    ff("-ss", 2, "-i", reference, "-t", 0.6, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", cut)
    code, record, _ = _eval(reference, cut, "--partial", "--offset", 2)
    assert code == 0 and record["psnr"] > 28 and record["frames"] == 15
    folder = tmp_path / "bare"  # numbered PNGs, no manifest: paired by position from the offset's frame
    invoke("split", cut, "-o", folder)
    (folder / "manifest.json").unlink()
    code, record, _ = _eval(reference, folder, "--partial", "--offset", 2, "--per-frame")
    assert code == 0 and record["psnr"] > 28 and record["per_frame"][0]["reference_index"] == 50
    code, _, stderr = _eval(reference, cut, "--partial", "--offset", -1)
    assert code != 0 and "--offset" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("manifest", [True, False])
def test_an_offset_between_frames_pairs_from_the_first_frame_the_cut_kept(reference: Path, tmp_path: Path, manifest: bool) -> None:
    """`split --start 1.5` at 25 fps keeps frames from 1.52 s; `eval --offset 1.5` (the same number) pairs there."""
    invoke("split", reference, "-o", tmp_path / "part", "--start", 1.5, "--end", 2.5)
    cut = tmp_path / "part.mp4"
    invoke("stitch", tmp_path / "part", "-o", cut)
    test = cut
    if not manifest:  # frames without times: paired by position from that frame
        test = tmp_path / "bare"
        invoke("split", cut, "-o", test)
        (test / "manifest.json").unlink()
    code, record, stderr = _eval(reference, test, "--partial", "--offset", 1.5, "--per-frame")
    assert code == 0, stderr
    assert record["per_frame"][0]["reference_index"] == 38 and record["psnr"] > 28, record


def test_flicker_refuses_fewer_than_two_frames(tmp_path: Path) -> None:
    one = make_clip(tmp_path / "one.mp4", rate="25", seconds=0.04)
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), np.full((48, 64, 3), 128, np.uint8))
    for video in (one, image):
        result = CliRunner().invoke(app, ["eval", str(video), "--flicker"])
        assert result.exit_code == 3, result.output
        assert "at least 2 frames" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        code, record, stderr = _eval(video, "--flicker")
        assert code == 3 and "at least 2 frames" in record["error"]
    two = make_clip(tmp_path / "two.mp4", rate="25", seconds=1.0)
    code, _, stderr = _eval(two, one, "--flicker", "--partial")  # one matched pair of frames: nothing to warp
    assert code == 3 and "at least 2 frames" in stderr
