"""Faults a new user met on the first runs: each says what it does in one line, or refuses before
any work, the same way in every command."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ff
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg

runner = CliRunner()
VIDGEN = shutil.which("vidgen", path=str(Path(sys.executable).parent))


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_split_from_a_pipe_says_it_drops_10_bit_depth(tmp_path):
    """A piped stream is decoded to 8-bit RGB: split's PNGs are 8-bit where a path gives 16-bit;
    the model commands said so in one line, split said nothing."""
    clip = tmp_path / "ten.mkv"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=12:d=0.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", clip)
    feed = subprocess.Popen([ffmpeg.executable(), "-v", "error", "-i", str(clip), "-map", "0", "-c", "copy", "-f", "matroska", "-"],
                            stdout=subprocess.PIPE)
    run = subprocess.run([VIDGEN, "split", "-", "-o", str(tmp_path / "f"), "--format", "png"], stdin=feed.stdout,
                         capture_output=True, text=True, check=True)
    feed.wait()
    warnings = [line for line in run.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "stdin: 10-bit depth dropped" in warnings[0], run.stderr


def _clip(tmp_path):
    path = tmp_path / "t.mp4"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:r=12:d=0.5", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
    return path


def test_a_file_where_a_folder_output_goes_is_refused_before_any_work(tmp_path):
    """split -o v.txt --overwrite over a file ran the whole split and then failed 'Not a directory
    (.v.vidgen-XXXX.part)'; interpolate -o name (a frames folder) over a file did the same."""
    clip = _clip(tmp_path)
    for command in (("split", clip), ("split", clip, "--scenes"), ("interpolate", clip, "--model", "blend"),
                    ("motion", "capture", clip, "-o", tmp_path / "m.json", "--dense")):
        blocker = tmp_path / ("frames" if command[0] == "interpolate" else "v.txt")
        blocker.write_bytes(b"notes")
        result = invoke(*command, *([] if command[0] == "motion" else ["-o"]), blocker, "--overwrite")
        assert result.exit_code == 4 and f"a file named {blocker.name} is in the way of this folder" in result.output, result.output
        assert blocker.read_bytes() == b"notes" and not list(tmp_path.glob(".*vidgen*")), command
    folder = tmp_path / "d.mp4"
    folder.mkdir()
    for command in (("interpolate", clip, "--model", "blend"), ("split", clip, "-o", tmp_path / "f"), ("stitch", tmp_path / "f")):
        if command[0] == "split":
            assert invoke(*command).exit_code == 0
            continue
        result = invoke(*command, "-o", folder, "--overwrite")
        assert result.exit_code == 4 and "d.mp4: is a folder; choose a file name" in result.output, result.output


def test_stitch_to_a_folder_name_says_stitch_writes_a_video(tmp_path):
    """stitch -o x/ said 'unknown video extension ''; use .mp4 ... or a folder name (ending in /)
    for frames', which is what was given."""
    clip = _clip(tmp_path)
    assert invoke("split", clip, "-o", tmp_path / "g").exit_code == 0
    for name in (f"{tmp_path / 'x'}/", str(tmp_path / "plain")):
        result = invoke("stitch", tmp_path / "g", "-o", name)
        assert result.exit_code == 2 and "stitch writes a video file, not a folder" in result.output, result.output
        assert "folder name (ending in /) for frames" not in result.output


def test_an_output_under_a_file_says_it_is_a_file(tmp_path):
    """split -o blk/sub/ with blk a file said 'the folder blk does not exist; create it first'."""
    clip = _clip(tmp_path)
    (tmp_path / "blk").write_bytes(b"")
    for output in (f"{tmp_path / 'blk' / 'sub'}/", f"{tmp_path / 'blk' / 'sub' / 'deeper'}/"):
        result = invoke("split", clip, "-o", output)
        assert result.exit_code == 4 and f"{tmp_path / 'blk'} is a file, not a folder" in result.output, result.output
    result = invoke("split", clip, "-o", f"{tmp_path / 'none' / 'sub'}/")
    assert result.exit_code == 4 and "does not exist; create it first" in result.output
