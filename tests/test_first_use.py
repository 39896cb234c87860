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
