"""What a batch takes from a folder and where it writes: two inputs never share one output,
a folder mixing videos and images batches its videos, videos in subfolders are named, saved
work of an interrupted run is never dropped silently, stdin is split into shots, and a closed
downstream pipe ends a run quietly."""

import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import ff, make_clip, make_cut_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app

VIDGEN = str(Path(sys.executable).with_name("vidgen"))
BLEND = ("--factor", "2", "--model", "blend", "--preset", "ultrafast")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def same_stems(tmp_path, clips):
    """A folder with a.mp4 and a.mkv: one stem, two videos."""
    folder = tmp_path / "bat"
    folder.mkdir()
    shutil.copy(clips["plain"], folder / "a.mp4")
    make_clip(folder / "a.mkv", size="80x60", seconds=0.5)
    return folder


@pytest.mark.parametrize("command,output", [
    (("split",), "frames"),
    (("split",), "{stem}/"),
    (("interpolate", *BLEND), "{stem}.mp4"),
    (("motion", "capture"), "{stem}.json"),
])
@pytest.mark.parametrize("extra", [(), ("--overwrite",), ("--skip-existing",)])
def test_two_inputs_that_would_write_one_output_are_refused_before_any_work(tmp_path, same_stems, command, output, extra):
    target = tmp_path / "out"
    target.mkdir()
    args = [*command[:2], same_stems] if command[0] == "motion" else [command[0], same_stems, *command[1:]]
    result = run(*args, "-o", f"{target}/{output}", *extra)
    assert result.exit_code == 2, result.output
    line = result.output.strip().splitlines()[-1]
    assert "a.mkv" in line and "a.mp4" in line and "nothing was done" in line, line
    assert list(target.iterdir()) == []  # not one output written
    suggested = line.split("-o '")[-1].rstrip("'")  # the template it suggests keeps them apart
    fixed = run(*args, "-o", suggested, "-q")
    assert fixed.exit_code == 0, fixed.output
    assert len(list((target / output if output == "frames" else target).iterdir())) == 2


def test_the_same_input_twice_is_not_a_clash(tmp_path, clips):
    result = run("split", clips["plain"], clips["plain"], "-o", tmp_path / "out", "-q")
    assert "nothing was done" not in result.output


def test_a_folder_of_videos_and_an_image_batches_the_videos_and_names_the_image(tmp_path, clips):
    folder = tmp_path / "b2"
    folder.mkdir()
    shutil.copy(clips["plain"], folder / "x.mp4")
    shutil.copy(clips["webm"], folder / "y.webm")
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.04", "-frames:v", "1", folder / "cover.png")
    result = run("split", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x", "y"]
    lines = [line for line in result.output.splitlines() if "cover.png" in line]
    assert len(lines) == 1 and "skipping 1 image" in lines[0], result.output
    described = subprocess.run([VIDGEN, "probe", folder], capture_output=True)
    assert described.returncode == 0 and len(described.stdout.splitlines()) == 2 and b"cover.png" in described.stderr


def test_videos_in_subfolders_are_named_in_one_line(tmp_path, clips):
    folder = tmp_path / "b3"
    (folder / "day2" / "cam").mkdir(parents=True)
    shutil.copy(clips["plain"], folder / "x.mp4")
    shutil.copy(clips["plain"], folder / "day2" / "y.mp4")
    shutil.copy(clips["plain"], folder / "day2" / "cam" / "z.mp4")
    result = run("split", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "in subfolders not included" in line]
    assert len(lines) == 1 and "2 video(s)" in lines[0] and "day2/y.mp4" in lines[0], result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x"]
    # the glob it suggests takes them in
    everything = run("probe", str(folder / "**" / "*.mp4"))
    assert everything.exit_code == 0 and len(everything.stdout.strip().splitlines()) == 3


def test_saved_work_of_an_interrupted_run_is_kept_without_resume(tmp_path, clips, monkeypatch):
    from test_resume import Darken

    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.runtime.job import OutputSettings, run_job
    from vidgen_cli.runtime.resume import work_folder

    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "10")
    monkeypatch.setenv("VIDGEN_SEGMENT_SECONDS", "0")
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        run_job(str(clips["plain"]), str(out), Darken(fail_at=15), Fraction(24),
                OutputSettings(encode=EncodeOptions(preset="ultrafast")), {"toy": 1})
    saved = sorted(p.name for p in work_folder(out).iterdir())
    refused = run("interpolate", clips["plain"], "-o", out, *BLEND)
    assert refused.exit_code == 2, refused.output
    line = refused.output.strip().splitlines()[-1]
    assert "saved work" in line and "--resume" in line and "--overwrite" in line, line
    assert sorted(p.name for p in work_folder(out).iterdir()) == saved and not out.exists()
    again = run("interpolate", clips["plain"], "-o", out, *BLEND, "--overwrite")
    assert again.exit_code == 0, again.output
    assert "discarding the saved work" in again.output and out.is_file() and not work_folder(out).exists()


def test_split_scenes_from_stdin_cuts_the_pipe_into_shots(tmp_path):
    source = make_cut_clip(tmp_path / "cut.mkv")
    piped = subprocess.run([VIDGEN, "split", "-", "--scenes", "-o", tmp_path / "shots", "--json", "--preset", "ultrafast"],
                           input=source.read_bytes(), capture_output=True)
    assert piped.returncode == 0, piped.stderr
    record = json.loads(piped.stdout.splitlines()[0])
    assert record["input"] == "-" and record["cuts"] == [pytest.approx(1.0, abs=0.05)]
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == ["stdin-shot001.mp4", "stdin-shot002.mp4"]
    assert "vidgen-probe" not in piped.stderr.decode()
    frames = subprocess.run([VIDGEN, "split", "-", "--scenes", "--format", "png", "-o", tmp_path / "fr", "-q"],
                            input=source.read_bytes(), capture_output=True)
    assert frames.returncode == 0, frames.stderr
    manifest = json.loads((tmp_path / "fr" / "stdin-shot002" / "manifest.json").read_text())
    assert manifest["source"] is None and manifest["audio_source"] is None  # the spool is gone: no dangling path
    assert len(manifest["frames"]) == 24


@pytest.mark.parametrize("command", [("motion", "capture"), ("interpolate", *BLEND)])
def test_a_closed_downstream_pipe_ends_the_run_quietly(tmp_path, clips, command):
    args = [*command[:2], clips["plain"]] if command[0] == "motion" else [command[0], clips["plain"], *command[1:]]
    process = subprocess.Popen([VIDGEN, *map(str, args), "-o", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader went away before the first byte (`| head -c 0`)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141, stderr
    assert b"error" not in stderr and b"Traceback" not in stderr, stderr


def test_probe_of_a_piped_image_describes_it(tmp_path):
    image = tmp_path / "x.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.04", "-frames:v", "1", image)
    piped = subprocess.run([VIDGEN, "probe", "-"], input=image.read_bytes(), capture_output=True)
    assert piped.returncode == 0, piped.stderr
    record = json.loads(piped.stdout)
    from_file = json.loads(subprocess.run([VIDGEN, "probe", image], capture_output=True, check=True).stdout)
    assert record == {**from_file, "path": "-"}


def test_a_command_that_takes_photos_takes_the_images_beside_the_videos(tmp_path, clips):
    folder = tmp_path / "album"
    folder.mkdir()
    shutil.copy(clips["plain"], folder / "x.mp4")
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.04", "-frames:v", "1", folder / "cover.png")
    result = run("stylize", folder, "-s", folder / "cover.png", "-o", tmp_path / "out", "--preset", "ultrafast")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cover.png", "x.mp4"]
    assert "skipping" not in result.output


def test_a_piped_image_is_stylized_into_an_image(tmp_path, clips):
    image = tmp_path / "x.png"
    ff("-f", "lavfi", "-i", "testsrc2=s=64x48:d=0.04", "-frames:v", "1", image)
    one = subprocess.run([VIDGEN, "stylize", "-", "-s", image, "-o", tmp_path / "y.png"], input=image.read_bytes(), capture_output=True)
    assert one.returncode == 0, one.stderr
    assert json.loads(subprocess.run([VIDGEN, "probe", tmp_path / "y.png"], capture_output=True, check=True).stdout)["width"] == 64
    many = subprocess.run([VIDGEN, "stylize", "-", "-s", image, "-o", tmp_path / "z.png"], input=Path(clips["webm"]).read_bytes(),
                          capture_output=True)
    assert many.returncode == 2 and b"holds one frame but more were produced" in many.stderr, many.stderr
    assert not list(tmp_path.glob("*z.png*"))


def test_split_scenes_from_stdin_into_folders_says_the_pipe_audio_is_not_kept(tmp_path):
    """Frames folders take their audio from a file; a spooled pipe is gone afterwards: one line, as `split -`."""
    from vidgen_cli.io import ffmpeg

    silent = make_cut_clip(tmp_path / "cut.mkv")
    source = tmp_path / "cut_audio.mkv"
    subprocess.run([ffmpeg.executable(), "-nostdin", "-y", "-loglevel", "error", "-i", silent, "-f", "lavfi", "-i",
                    "sine=d=2", "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", source], check=True)
    run = subprocess.run([VIDGEN, "split", "-", "--scenes", "--format", "png", "-o", tmp_path / "fr"],
                         input=source.read_bytes(), capture_output=True)
    assert run.returncode == 0, run.stderr
    assert b"1 audio track(s) not kept" in run.stderr, run.stderr
    clips = subprocess.run([VIDGEN, "split", "-", "--scenes", "-o", tmp_path / "shots"], input=source.read_bytes(), capture_output=True)
    assert clips.returncode == 0 and b"not kept" not in clips.stderr, clips.stderr  # clips carry their own audio
