"""A signal sent to vidgen alone (kill, timeout, a closed terminal, a job scheduler), not to its
whole process group as a terminal's Ctrl-C is: the ffmpeg children stop, no temporary output is
left, one line is said, and the exit status is 128 + the signal's number."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_clip

from vidgen_cli.io import ffmpeg

VIDGEN = str(Path(sys.executable).parent / "vidgen")


def _leftovers(folder: Path) -> list[str]:
    """Temporary outputs (.NAME.vidgen-XXXX.part...) and resume folders without saved state."""
    found = [str(path) for path in folder.rglob("*") if ".vidgen-" in path.name and ".part" in path.name]
    found += [str(path) for path in folder.rglob(".*.vidgen-resume") if not (path / "state.json").is_file()]
    return found


def _children_of_test(folder: Path) -> list[str]:
    """Processes still running whose command line names `folder` (an ffmpeg vidgen left behind)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(folder) in command and state != "Z":
            alive.append(command)
    return alive


def _run_until(command: list[str], ready, sig: int, cwd: Path) -> tuple[int, str]:
    """Start `command`, send `sig` to its process alone once `ready()` holds, return (status, stderr)."""
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is not None:
        pytest.skip("the run finished before the signal could be sent")
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr.decode("utf-8", "replace")


def _parts_with_files(folder: Path, least: int) -> bool:
    return any(path.is_dir() and sum(1 for _ in path.iterdir()) >= least for path in folder.glob(".*.vidgen-*.part"))


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("vidgen: error:")]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="process listing through /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["TERM", "INT", "HUP"])
def test_split_stopped_by_a_signal_leaves_no_frames(tmp_path, sig):
    clip = make_clip(tmp_path / "long.mp4", size="320x240", rate="25", seconds=60.0)
    status, stderr = _run_until([VIDGEN, "split", str(clip), "-o", "lf/"], lambda: _parts_with_files(tmp_path, 10), sig, tmp_path)
    assert status == 128 + sig, stderr
    errors = _errors(stderr)
    assert len(errors) == 1 and "no partial output" in errors[0], stderr
    assert sig == signal.SIGINT or signal.Signals(sig).name in errors[0], errors
    time.sleep(0.5)
    assert not _children_of_test(tmp_path), "an ffmpeg child outlived vidgen"
    assert not _leftovers(tmp_path) and not (tmp_path / "lf").exists(), _leftovers(tmp_path)[:3]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="process listing through /proc")
def test_stitch_stopped_by_a_signal_leaves_no_partial_video(tmp_path):
    frames = tmp_path / "fr"
    frames.mkdir()
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=24",
                    str(frames / "%06d.png")], check=True)
    command = [VIDGEN, "stitch", "fr/", "-o", "x.mp4", "--fps", "25", "--preset", "veryslow"]
    status, stderr = _run_until(command, lambda: any(tmp_path.glob(".x.vidgen-*.part.mp4")), signal.SIGTERM, tmp_path)
    assert status == 143, stderr
    assert len(_errors(stderr)) == 1 and "SIGTERM" in stderr, stderr
    time.sleep(0.5)
    assert not _children_of_test(tmp_path), "an ffmpeg child outlived vidgen"
    assert not _leftovers(tmp_path) and not (tmp_path / "x.mp4").exists(), _leftovers(tmp_path)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="process listing through /proc")
def test_interpolate_stopped_early_by_a_signal_keeps_only_real_resume_state(tmp_path):
    """Stopped before any segment was saved: no work folder holding only an empty .part."""
    clip = make_clip(tmp_path / "long.mp4", size="320x240", rate="25", seconds=20.0)
    work = tmp_path / ".it.mp4.vidgen-resume"
    command = [VIDGEN, "interpolate", str(clip), "-o", "it.mp4", "--factor", "2", "--model", "flow"]
    status, stderr = _run_until(command, lambda: any(work.glob("*.part*")), signal.SIGTERM, tmp_path)
    assert status == 143, stderr
    assert len(_errors(stderr)) == 1, stderr
    time.sleep(0.5)
    assert not _children_of_test(tmp_path), "an ffmpeg child outlived vidgen"
    assert not _leftovers(tmp_path) and not (tmp_path / "it.mp4").exists(), _leftovers(tmp_path)
    assert ("--resume" in stderr) == work.exists(), stderr  # "kept its finished work" only when there is some
