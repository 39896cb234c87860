"""No output may replace a file the command reads: not only the main input, but --audio, --style,
--key, a .pt --model, and the source recorded in a frames folder's manifest.json (same path,
symbolic link or hard link)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_bad_input import OUTPUT, check_refused, runner

from vidgen_cli.cli.app import app


def _frames(root: Path, clips) -> Path:
    source = root / "src.mp4"
    shutil.copy(clips["audio"], source)
    frames = root / "frames"
    result = runner.invoke(app, ["split", str(source), "-o", str(frames), "-q"])
    assert result.exit_code == 0, result.output
    return frames


def _image(path: Path, seed: int = 1) -> Path:
    cv2.imwrite(str(path), np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8))
    return path


@pytest.mark.parametrize("link", ["same", "symlink", "hardlink"])
def test_stitch_refuses_to_replace_its_audio_file(tmp_path, clips, link):
    frames = _frames(tmp_path, clips)
    music = tmp_path / "music.mp4"
    shutil.copy(clips["audio"], music)
    output = music
    if link == "symlink":
        output = tmp_path / "alias.mp4"
        output.symlink_to(music)
    elif link == "hardlink":
        output = tmp_path / "hard.mp4"
        os.link(music, output)
    check_refused(["stitch", str(frames), "-o", str(output), "--audio", str(music), "--overwrite", "--preset", "ultrafast"],
                  tmp_path, "--audio", code=OUTPUT)


def test_stitch_refuses_to_replace_the_manifest_source(tmp_path, clips):
    frames = _frames(tmp_path, clips)
    check_refused(["stitch", str(frames), "-o", str(tmp_path / "src.mp4"), "--overwrite", "--no-audio"],
                  tmp_path, "manifest.json", code=OUTPUT)


def test_stylize_refuses_to_replace_its_style_image(tmp_path):
    content = _image(tmp_path / "f.png")
    style = _image(tmp_path / "st.png", seed=2)
    check_refused(["stylize", str(content), "--style", str(style), "-o", str(style), "--overwrite", "--max-side", "64"],
                  tmp_path, "--style", code=OUTPUT)


def test_stylize_refuses_to_write_into_its_style_folder(tmp_path):
    content = _image(tmp_path / "f.png")
    styles = tmp_path / "styles"
    styles.mkdir()
    _image(styles / "a.png", seed=2)
    check_refused(["stylize", str(content), "--style", str(styles), "-o", str(styles / "a.png"), "--overwrite", "--max-side", "64"],
                  tmp_path, "--style", code=OUTPUT)


def test_propagate_refuses_to_replace_its_key(tmp_path, clips):
    video = tmp_path / "v.mp4"
    shutil.copy(clips["plain"], video)
    key = _image(tmp_path / "key.png")
    check_refused(["motion", "propagate", str(video), "--key", str(key), "-o", str(key), "--overwrite"],
                  tmp_path, "--key", code=OUTPUT)
