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
from test_bad_input import ENCODE, INPUT, OUTPUT, check_refused, runner

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


# --- encoder settings are checked against the bundled ffmpeg before any work -------------------

ENCODE_CASES = [  # extra args, output name, a word of the message
    (["--codec", "nosuch"], "x.mp4", "no such video encoder"),
    (["--pix-fmt", "nosuch"], "x.mp4", "not a pixel format"),
    (["--codec", "libx264"], "x.webm", "cannot be written to .webm"),
    (["--codec", "libx264", "--pix-fmt", "rgb24"], "x.mkv", "does not take it"),
]


@pytest.mark.parametrize("command", ["interpolate", "stitch"])
@pytest.mark.parametrize("extra,name,expect", ENCODE_CASES, ids=[c[1] + "-" + "-".join(c[0]) for c in ENCODE_CASES])
def test_bad_encoder_settings_are_refused_before_work(tmp_path, clips, command, extra, name, expect):
    source = tmp_path / "in.mp4"
    shutil.copy(clips["plain"], source)
    if command == "stitch":
        args = ["stitch", str(_frames(tmp_path, clips))]
    else:
        args = ["interpolate", str(source), "--factor", "2", "--model", "blend"]
    check_refused([*args, "-o", str(tmp_path / name), *extra], tmp_path, expect, code=ENCODE)
    assert not [p.name for p in tmp_path.iterdir() if "vidgen" in p.name], "a work folder was left behind"
    assert not (tmp_path / name).exists()


# --- a stream on stdout in every --format the help lists ---------------------------------------

def test_stream_formats_in_help_and_error_agree():
    import typing

    from vidgen_cli.cli.options import StreamFormat
    from vidgen_cli.io.formats import STREAM_FORMATS

    help_text = typing.get_args(StreamFormat)[1].help
    assert all(name in help_text for name in STREAM_FORMATS), help_text


@pytest.mark.parametrize("command", ["stitch", "interpolate"])
def test_mp4_on_stdout_is_fragmented_and_plays(tmp_path, clips, command):
    import subprocess
    import sys

    from vidgen_cli.io.probe import probe

    source = tmp_path / "in.mp4"
    shutil.copy(clips["audio"], source)
    args = ["stitch", str(_frames(tmp_path, clips))] if command == "stitch" else ["interpolate", str(source), "--factor", "2", "--model", "blend"]
    run = subprocess.run([sys.executable, "-m", "vidgen_cli", *args, "-o", "-", "--format", "mp4", "-q"],  # B-frames: a start delay
                         capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr.decode()
    (tmp_path / "o.mp4").write_bytes(run.stdout)
    assert runner.invoke(app, [*args, "-o", str(tmp_path / "file.mp4"), "-q"]).exit_code == 0
    info, file_info = probe(tmp_path / "o.mp4"), probe(tmp_path / "file.mp4")
    expected = probe(source).frame_count * (2 if command == "interpolate" else 1)
    assert info.frame_count == expected and info.has_audio
    assert abs(info.start_time - file_info.start_time) < 1e-3, (info.start_time, file_info.start_time)  # same timeline as a file


@pytest.mark.parametrize("command", ["stitch", "interpolate"])
def test_ten_bit_source_writes_to_y4m(tmp_path, command):
    import subprocess

    from vidgen_cli.io import ffmpeg
    from vidgen_cli.io.probe import probe

    source = tmp_path / "p422_10.mp4"
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv422p10le", str(source)], check=True)
    if command == "stitch":
        frames = tmp_path / "f"
        assert runner.invoke(app, ["split", str(source), "-o", str(frames), "-q"]).exit_code == 0
        args = ["stitch", str(frames)]
    else:
        args = ["interpolate", str(source), "--factor", "2", "--model", "blend"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "d.y4m"), "-q"])
    assert result.exit_code == 0, result.output
    info = probe(tmp_path / "d.y4m")
    assert info.frame_count == 10 * (2 if command == "interpolate" else 1)
    assert info.pixels.bit_depth == 10, info.pixels


def _ten_bit(path: Path) -> Path:
    import subprocess

    from vidgen_cli.io import ffmpeg

    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48:r=25:d=0.4", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv422p10le", str(path)], check=True)
    return path


@pytest.mark.parametrize("name,pix_fmt", [("d.webm", "yuv422p10le"), ("o.mp4", "yuv422p10le"), ("k.mkv", "yuv422p10le")])
def test_stitch_keeps_the_sources_recorded_depth(tmp_path, name, pix_fmt):
    from vidgen_cli.io.probe import probe

    frames = tmp_path / "f"
    assert runner.invoke(app, ["split", str(_ten_bit(tmp_path / "p.mp4")), "-o", str(frames), "-q"]).exit_code == 0
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / name), "--preset", "ultrafast"])
    assert result.exit_code == 0, result.output
    assert "16-bit" not in result.output, result.output
    assert probe(tmp_path / name).pix_fmt == pix_fmt


def test_ten_bit_note_names_no_unknown_tags(tmp_path):
    source = _ten_bit(tmp_path / "p.mp4")  # untagged primaries and transfer
    result = runner.invoke(app, ["interpolate", str(source), "--factor", "2", "--model", "blend", "-o", str(tmp_path / "o.mkv")])
    assert result.exit_code == 0, result.output
    assert "input is 10-bit" in result.output and "?" not in result.output, result.output


def test_probe_goes_on_past_a_missing_path_and_ends_with_a_summary(tmp_path, clips):
    import json

    result = runner.invoke(app, ["probe", str(clips["plain"]), str(tmp_path / "nonexist.mp4"), str(clips["odd"]), "--json"])
    assert result.exit_code == 3, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("path") for r in records[:3]] == [str(clips["plain"]), str(tmp_path / "nonexist.mp4"), str(clips["odd"])]
    assert records[1]["exit_code"] == 3 and "frame_count" in records[2]
    assert records[-1] == {"summary": True, "succeeded": 2, "failed": 1, "skipped": 0}


@pytest.mark.parametrize("name", ["x.gif", "x.y4m"])
def test_stitch_says_no_audio_where_the_container_drops_it(tmp_path, clips, name):
    import json

    frames = _frames(tmp_path, clips)
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    assert "cannot hold" in result.output and "audio from" not in result.output, result.output
    result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / name), "--overwrite", "--json"])
    assert json.loads(result.stdout.splitlines()[0])["audio"] is None


# --- exit codes: one error class, one code, with or without VIDGEN_DEBUG -----------------------

def test_debug_keeps_the_exit_code(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    runs = [subprocess.run([sys.executable, "-m", "vidgen_cli", "probe", str(bad)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "VIDGEN_DEBUG": flag}) for flag in ("0", "1")]
    assert [run.returncode for run in runs] == [INPUT, INPUT], [run.stderr for run in runs]
    assert "Traceback" in runs[1].stderr and "Traceback" not in runs[0].stderr


@pytest.mark.parametrize("args", [["split", "--start", "10"], ["split", "--start", "5", "--end", "6"],
                                  ["interpolate", "--factor", "2", "--model", "blend", "--start", "5"]])
def test_times_that_select_nothing_are_usage_errors_everywhere(tmp_path, clips, args):
    from test_bad_input import USAGE

    source = tmp_path / "in.mp4"
    shutil.copy(clips["plain"], source)  # 1 s
    output = tmp_path / ("f" if args[0] == "split" else "o.mp4")
    check_refused([args[0], str(source), "-o", str(output), *args[1:]], tmp_path, "select no frames", code=USAGE)


@pytest.mark.parametrize("command,output", [("interpolate", "clip.mp4"), ("predict", "clip.json"), ("interpolate", "clip.json")])
def test_train_refuses_weights_that_would_replace_its_data(tmp_path, clips, command, output):
    data = tmp_path / "clip.mp4"
    shutil.copy(clips["plain"], data)
    if output.endswith(".json"):
        shutil.copy(data, tmp_path / "clip.json")  # a file named as the weights' JSON sidecar would be, given as data
        data = tmp_path / "clip.json"
    check_refused(["train", command, "--data", str(data), "-o", str(tmp_path / output), "--steps", "1"], tmp_path, "--data", code=OUTPUT)
