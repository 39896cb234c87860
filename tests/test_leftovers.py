"""A failed run leaves nothing behind: no folder that only its output template named, no empty
batch output folder."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_clip

VIDGEN = str(Path(sys.executable).with_name("vidgen"))
BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


@pytest.mark.parametrize("command,template", [
    (("split",), "out/{stem}/"),
    (("split", "--scenes"), "a/b/{stem}_shots/"),
    (("interpolate", *BLEND), "out/{stem}/"),
    (("interpolate", *BLEND), "videos/new/{stem}_x.mp4"),
])
def test_a_failed_piped_run_leaves_no_template_folder(tmp_path, command, template):
    result = subprocess.run([VIDGEN, command[0], "-", "-o", template, *command[1:]], input=b"not a video\n" * 64,
                            capture_output=True, cwd=tmp_path)
    assert result.returncode != 0 and b"no video stream" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_file_input_and_a_failed_batch_leave_no_folder(tmp_path):
    bad = tmp_path / "in" / "bad.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"not a video")
    worse = tmp_path / "in" / "worse.mp4"
    worse.write_bytes(b"neither")
    kept = tmp_path / "kept"
    kept.mkdir()
    for args in ((bad, "-o", "t/{stem}/"), (bad, worse, "-o", "new/folder/"), (bad, "-o", "kept/{stem}/")):
        result = subprocess.run([VIDGEN, "split", *map(str, args)], capture_output=True, cwd=tmp_path)
        assert result.returncode != 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "kept"]  # a folder that was there stays


def test_a_run_that_fails_after_a_good_one_keeps_the_good_ones_folder(tmp_path):
    good = make_clip(tmp_path / "good.mp4", seconds=0.3)
    bad = tmp_path / "zbad.mp4"
    bad.write_bytes(b"not a video")
    result = subprocess.run([VIDGEN, "split", str(good), str(bad), "-o", "out/{stem}/", "-q"], capture_output=True, cwd=tmp_path)
    assert result.returncode != 0, result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good"]
