"""Hostile and broken inputs, as a table. Every case must end with a one-line message that names
the problem, a non-zero exit code, no traceback, no partial output, and the inputs unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_clip
from typer.testing import CliRunner

from vidgen_cli import errors
from vidgen_cli.cli.app import app
from vidgen_cli.io import ffmpeg

runner = CliRunner()
USAGE, INPUT, OUTPUT, ENCODE, WEIGHTS, DEVICE = (error.exit_code for error in (
    errors.UsageError, errors.InputError, errors.OutputError, errors.EncodeError, errors.WeightsError, errors.DeviceError))


@dataclass
class Case:
    name: str
    make: Callable[[Path, dict], list[str]]  # builds the hostile input in a folder, returns CLI args
    expect: str  # a word the one-line message must contain (case-insensitive)


def _truncated(fraction: float):
    def make(root: Path, clips: dict) -> list[str]:
        data = Path(clips["audio"]).read_bytes()
        path = root / f"cut{int(fraction * 100)}.mp4"
        path.write_bytes(data[: int(len(data) * fraction)])
        return [str(path)]

    return make


def _write(name: str, content: bytes):
    def make(root: Path, clips: dict) -> list[str]:
        (root / name).write_bytes(content)
        return [str(root / name)]

    return make


def _image_as(name: str):
    def make(root: Path, clips: dict) -> list[str]:
        ok, data = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
        (root / name).write_bytes(data.tobytes())
        return [str(root / name)]

    return make


def _audio_only(root: Path, clips: dict) -> list[str]:
    path = root / "tone.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", str(path)])
    return [str(path)]


def _zero_frames(root: Path, clips: dict) -> list[str]:
    path = root / "empty.mkv"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24:duration=1", "-frames:v", "0", "-c:v", "libx264", str(path)])
    if not path.exists():  # some ffmpeg builds write nothing at all for zero frames
        path.write_bytes(b"")
    return [str(path)]


def _folder(kind: str):
    def make(root: Path, clips: dict) -> list[str]:
        folder = root / "frames"
        folder.mkdir()
        if kind == "mixed sizes":
            cv2.imwrite(str(folder / "1.png"), np.zeros((8, 8, 3), np.uint8))
            cv2.imwrite(str(folder / "2.png"), np.zeros((9, 8, 3), np.uint8))
        elif kind == "mixed formats":
            cv2.imwrite(str(folder / "1.png"), np.zeros((8, 8, 3), np.uint8))
            cv2.imwrite(str(folder / "2.jpg"), np.zeros((8, 8, 3), np.uint8))
        elif kind == "corrupt frame":
            cv2.imwrite(str(folder / "1.png"), np.zeros((8, 8, 3), np.uint8))
            (folder / "2.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
        return [str(folder)]

    return make


def _huge_declared(root: Path, clips: dict) -> list[str]:
    path = root / "huge.y4m"
    path.write_bytes(b"YUV4MPEG2 W9000 H9000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\0" * 4096)
    return [str(path)]


def _directory_named_mp4(root: Path, clips: dict) -> list[str]:
    (root / "dir.mp4").mkdir()
    return [str(root / "dir.mp4")]


def _missing(root: Path, clips: dict) -> list[str]:
    return [str(root / "nope.mp4")]


def _dangling_link(root: Path, clips: dict) -> list[str]:
    os.symlink(root / "gone.mp4", root / "link.mp4")
    return [str(root / "link.mp4")]


INPUT_CASES = [
    Case("zero-byte file", _write("zero.mp4", b""), "empty"),
    Case("truncated at 10%", _truncated(0.1), "cut10.mp4"),
    Case("truncated at 50%", _truncated(0.5), "cut50.mp4"),
    Case("truncated at 90%", _truncated(0.9), "cut90.mp4"),
    Case("text file named .mp4", _write("notes.mp4", b"just some text\n" * 50), "notes.mp4"),
    Case("random bytes named .mkv", _write("noise.mkv", bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8))), "noise.mkv"),
    Case("image renamed .mp4", _image_as("picture.mp4"), "image"),
    Case("text file named .png", _write("fake.png", b"hello"), "image"),
    Case("audio-only file", _audio_only, "no video"),
    Case("video with 0 frames", _zero_frames, "empty.mkv"),
    Case("missing file", _missing, "no such file"),
    Case("dangling symlink", _dangling_link, "no such file"),
    Case("directory named .mp4", _directory_named_mp4, "dir.mp4"),
    Case("huge declared size", _huge_declared, "huge.y4m"),
]

FOLDER_CASES = [
    Case("empty folder", lambda root, clips: [str(root)], "no images"),
    Case("frames of mixed sizes", _folder("mixed sizes"), "size"),
    Case("frames of mixed formats", _folder("mixed formats"), "mixed formats"),
    Case("a corrupt frame", _folder("corrupt frame"), "2.png"),
]


def _checksums(root: Path) -> dict[str, str]:
    sums = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            sums[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def check_refused(args: list[str], root: Path, expect: str, output: Path | None = None, code: int | None = None) -> None:
    """Refused for the right reason: one line naming `expect`, exit `code` (the class of the error,
    vidgen_cli/errors.py), no traceback, inputs unchanged, no partial output."""
    before = _checksums(root)
    result = runner.invoke(app, args)
    message = result.output.strip()
    assert result.exit_code != 0, f"accepted: {args}\n{message}"
    assert code is None or result.exit_code == code, f"exit {result.exit_code}, expected {code}: {message}"
    assert "Traceback" not in message, message
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code != 70 and "internal error" not in message, message
    assert len(message.splitlines()) == 1, f"not one line:\n{message}"
    assert message.startswith("vidgen: error:"), message
    assert expect.lower() in message.lower(), f"'{expect}' not in: {message}"
    assert _checksums(root) == before, "an input was modified"
    if output is not None:
        assert not output.exists(), "a partial output was left behind"
        leftovers = [p.name for p in output.parent.iterdir() if ".vidgen-" in p.name] if output.parent.is_dir() else []
        assert not leftovers, leftovers


@pytest.fixture
def sandbox(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    return inputs, tmp_path / "out"


@pytest.mark.parametrize("case", [c for c in INPUT_CASES[:6] + INPUT_CASES[8:] if c.name != "audio-only file"], ids=lambda c: c.name)
def test_probe_refuses(case, sandbox, clips):  # probe describes an audio-only file (tests/test_probe.py)
    inputs, _ = sandbox
    check_refused(["probe", *case.make(inputs, clips)], inputs, case.expect, code=INPUT)


def _split_ok(clips, root: Path) -> Path:
    frames = root / "frames"
    assert runner.invoke(app, ["split", str(clips["plain"]), "-o", str(frames), "-q"]).exit_code == 0
    return frames


OUTPUT_CASES = [  # name, output, a word of the message, exit code
    ("output inside a missing folder", lambda root: root / "missing" / "x.mp4", "does not exist", OUTPUT),
    ("output on a read-only file system", lambda root: Path("/proc/vidgen-test.mp4"), "not writable", OUTPUT),
    ("output is an existing file", lambda root: (root / "exists.mp4").write_bytes(b"keep") and root / "exists.mp4", "--overwrite", OUTPUT),
    ("unknown output extension", lambda root: root / "out.xyz", "extension", USAGE),
]


def test_output_equal_to_input_is_refused(tmp_path, clips):
    source = tmp_path / "clip.mp4"
    shutil.copy(clips["plain"], source)
    check_refused(["split", str(source), "-o", str(source), "--overwrite"], tmp_path, "same as the input", code=OUTPUT)


def test_paths_with_spaces_and_non_utf8_bytes_work(tmp_path, clips):
    odd = os.fsdecode(b"clip \xff name.mp4")
    source = tmp_path / "a folder" / odd
    source.parent.mkdir()
    shutil.copy(clips["plain"], source)
    result = runner.invoke(app, ["split", str(source), "-o", str(tmp_path / "a folder" / "frames out"), "-q"])
    assert result.exit_code == 0, result.output


def test_tiny_sizes_work(tmp_path):
    for size in ("1x1", "3x5"):
        clip = make_clip(tmp_path / f"tiny{size}.mkv", size=size, seconds=0.2, codec=["-c:v", "ffv1", "-pix_fmt", "yuv444p"], source="color")
        frames = tmp_path / f"f{size}"
        assert runner.invoke(app, ["split", str(clip), "-o", str(frames), "-q"]).exit_code == 0
        result = runner.invoke(app, ["stitch", str(frames), "-o", str(tmp_path / f"back{size}.mp4"), "-q", "--preset", "ultrafast"])
        assert result.exit_code == 0, result.output


# --- the model commands -------------------------------------------------------------------------

STYLE = ["--style"]


def _style_image(root: Path) -> str:
    path = root / "style.png"
    cv2.imwrite(str(path), np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    return str(path)


COMMANDS = {
    "split": lambda root: ["split"],
    "stitch": lambda root: ["stitch", "--fps", "10"],
    "interpolate": lambda root: ["interpolate", "--factor", "2", "--model", "flow"],
    "stylize": lambda root: ["stylize", "--style", _style_image(root), "--max-side", "64"],
    "predict": lambda root: ["predict", "--frames", "3", "--model", "flow"],
}


def _expectation(command: str, case: Case) -> str:
    """stitch takes only folders, so a broken *file* is refused for that before anything else."""
    if command == "stitch" and case in INPUT_CASES and case.expect not in {"no such file"}:
        return "folder"
    return case.expect


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", INPUT_CASES + FOLDER_CASES, ids=lambda c: c.name)
def test_every_command_refuses_broken_inputs(command, case, sandbox, clips, tmp_path):
    if command == "split" and case in FOLDER_CASES[1:]:
        pytest.skip("split takes videos; a frames folder is refused before its frames are read")
    inputs, out_root = sandbox
    out_root.mkdir()
    args = case.make(inputs, clips)
    styles = tmp_path / "styles"
    styles.mkdir()
    base = COMMANDS[command](styles)
    output = out_root / ("frames" if command == "split" else "out.mp4")
    # stylize reads a folder of images of different sizes as photos, one job each: then the
    # single-file -o is what is wrong (a usage error that names the sizes)
    code = USAGE if command == "stylize" and case.name == "frames of mixed sizes" else INPUT
    check_refused([base[0], *args, *base[1:], "-o", str(output)], inputs, _expectation(command, case), output, code=code)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name,make_output,expect,code", OUTPUT_CASES, ids=[c[0] for c in OUTPUT_CASES])
def test_every_command_refuses_bad_outputs(command, name, make_output, expect, code, tmp_path, clips):
    if command == "split" and name == "unknown output extension":
        pytest.skip("split writes a folder: any name is valid")
    source = _split_ok(clips, tmp_path) if command == "stitch" else clips["plain"]
    output = make_output(tmp_path)
    existed = output.exists()
    base = COMMANDS[command](tmp_path)
    check_refused([base[0], str(source), *base[1:], "-o", str(output)], tmp_path, expect, None if existed else output, code=code)
    if existed:
        assert output.read_bytes() == b"keep"


BAD_OPTIONS = [
    ("split", ["--fps", "0"], "--fps"), ("split", ["--every", "0"], "--every"), ("split", ["--start", "5", "--end", "2"], "--end"),
    ("split", ["--start", "xx"], "--start"), ("split", ["--quality", "0", "--format", "jpg"], "--quality"),
    ("split", ["--format", "gif"], "--format"), ("split", ["--fps", "abc"], "--fps"), ("split", ["--fps", "5", "--every", "2"], "only one"),
    ("stitch", ["--fps", "0"], "--fps"), ("stitch", ["--fps", "-1"], "--fps"), ("stitch", ["--fps", "x"], "--fps"),
    ("stitch", ["--crf", "99"], "--crf"), ("stitch", ["--audio", "MISSING"], "no such file"),
    ("stitch", ["--audio", "TEXT_AS_IMAGE", "--no-audio"], "contradict"), ("stitch", ["--codec", "nonexistent_codec"], "nonexistent_codec"),
    ("stitch", ["--json", "--format", "nut"], "stdout"),
    ("interpolate", ["--fps", "-5"], "--fps"), ("interpolate", ["--fps", "5000"], "--fps"),
    ("interpolate", ["--factor", "2", "--scene-threshold", "0"], "--scene-threshold"),
    ("predict", ["--frames", "100001"], "--frames"), ("predict", ["--frames", "3", "--context", "0", "--model", "flow"], "--context"),
    ("predict", ["--frames", "3", "--at", "-1", "--model", "flow"], "--at"),
    ("predict", ["--frames", "3", "--at", "2", "--end", "1", "--model", "flow"], "only one"),
    ("predict", ["--frames", "3", "--model", "nonsense.pt"], "nonsense"),
    ("stylize", ["--style", "STYLE", "--scene-threshold", "2"], "--scene-threshold"),
    ("stylize", ["--style", "STYLE", "--strength", "-1"], "--strength"), ("stylize", ["--style", "STYLE", "--max-side", "8"], "--max-side"),
    ("stylize", ["--style", "STYLE", "--model", "nonsense.pt"], "nonsense"), ("stylize", ["--style", "EMPTY_DIR"], "EMPTY_DIR_NAME"),
    ("interpolate", ["--factor", "-2"], "--factor"),
    ("interpolate", ["--factor", "0"], "--factor"),
    ("interpolate", ["--factor", "1"], "--factor"),
    ("interpolate", ["--factor", "100000"], "--factor"),
    ("interpolate", ["--fps", "0"], "--fps"),
    ("interpolate", ["--factor", "2", "--fps", "60"], "not both"),
    ("interpolate", ["--factor", "2", "--model", "nonsense"], "nonsense"),
    ("interpolate", ["--factor", "2", "--device", "tpu"], "tpu"),
    ("interpolate", ["--factor", "2", "--device", "cuda:99"], "cuda:99"),
    ("predict", ["--frames", "0"], "--frames"),
    ("predict", ["--frames", "-1"], "--frames"),
    ("predict", ["--frames", "3", "--at", "100000", "--model", "flow"], "last frame"),
    ("stylize", ["--style", "MISSING"], "no such file"),
    ("stylize", ["--style", "TEXT_AS_IMAGE"], "text.jpg"),
    ("stylize", ["--style", "STYLE", "--strength", "2"], "--strength"),
    ("stylize", ["--style", "STYLE", "--consistency", "maybe"], "--consistency"),
]


# Bad options are usage errors, except where the option names something missing or unusable.
NOT_USAGE = {"no such file": INPUT, "text.jpg": INPUT, "empty_styles": INPUT, "cuda": DEVICE, "--half": DEVICE,
             "tpu": DEVICE, "cuda:99": DEVICE,
             "nonexistent_codec": ENCODE}


@pytest.mark.parametrize("command,args,expect", BAD_OPTIONS, ids=[f"{c} {' '.join(a)}" for c, a, _ in BAD_OPTIONS])
def test_every_command_refuses_bad_options(command, args, expect, tmp_path, clips):
    (tmp_path / "text.jpg").write_text("not an image")
    (tmp_path / "empty_styles").mkdir()
    replacements = {"MISSING": str(tmp_path / "missing.jpg"), "TEXT_AS_IMAGE": str(tmp_path / "text.jpg"),
                    "STYLE": _style_image(tmp_path), "EMPTY_DIR": str(tmp_path / "empty_styles")}
    args = [replacements.get(a, a) for a in args]
    expect = "empty_styles" if expect == "EMPTY_DIR_NAME" else expect
    source = _split_ok(clips, tmp_path) if command == "stitch" else clips["plain"]
    out = tmp_path / ("frames" if command == "split" else "out.mp4")
    code = NOT_USAGE.get(expect, WEIGHTS if any(a.endswith(".pt") for a in args) else USAGE)
    check_refused([command, str(source), *args, "-o", "-" if "--json" in args else str(out)], tmp_path, expect, out, code=code)


@pytest.mark.parametrize("args,expect", [(["--device", "cuda"], "cuda"), (["--half"], "--half")])
def test_gpu_options_are_refused_without_a_gpu(args, expect, tmp_path, clips):
    """On a machine with a GPU these are valid requests, not bad input; there the test checks nothing."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is visible: --device cuda and --half are valid here")
    out = tmp_path / "out.mp4"
    check_refused(["interpolate", str(clips["plain"]), "--factor", "2", *args, "-o", str(out)], tmp_path, expect, out,
                  code=DEVICE)


def test_tampered_weights_are_refused_by_the_command(tmp_path, clips, monkeypatch):
    from vidgen_cli import weights

    shipped = weights.find("interp-fusion")
    tampered = tmp_path / "weights"
    tampered.mkdir()
    data = bytearray(shipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tampered / "interp-fusion.pt").write_bytes(bytes(data))
    shutil.copy(shipped.with_suffix(".json"), tampered / "interp-fusion.json")
    monkeypatch.setenv("VIDGEN_WEIGHTS", str(tampered))
    out = tmp_path / "out.mp4"
    check_refused(["interpolate", str(clips["plain"]), "--factor", "2", "--model", "fusion", "-o", str(out)], tmp_path, "sha256", out,
                  code=WEIGHTS)


def test_single_frame_video_is_handled(tmp_path, clips):
    one = make_clip(tmp_path / "one.mp4", seconds=1 / 24)
    result = runner.invoke(app, ["interpolate", str(one), "--factor", "2", "--model", "flow", "-o", str(tmp_path / "o.mp4"), "-q"])
    assert result.exit_code == 0, result.output  # one frame in, held for its duration: 1 * 2 out
    result = runner.invoke(app, ["predict", str(one), "--frames", "2", "--model", "flow", "-o", str(tmp_path / "p.mp4"), "-q"])
    assert result.exit_code == 0, result.output  # too little motion context: held, not an error


def test_check_refused_fails_on_a_traceback(tmp_path, monkeypatch):
    """The check above must catch a traceback even when the command exits through SystemExit."""
    from types import SimpleNamespace

    fake = SimpleNamespace(exit_code=1, output="vidgen: error: Traceback (most recent call last) in x\n", exception=SystemExit(1))
    monkeypatch.setattr(runner, "invoke", lambda *args, **kwargs: fake)
    with pytest.raises(AssertionError, match="Traceback"):
        check_refused(["probe", "x"], tmp_path, "x")


def test_debug_traceback_names_the_real_error(tmp_path):
    """VIDGEN_DEBUG=1 shows the error's own traceback (it ended in an AttributeError from the CLI's
    own handler: typer's click has no exceptions.Abort)."""
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    vidgen = str(Path(sys.executable).parent / "vidgen")
    result = subprocess.run([vidgen, "probe", str(bad)], capture_output=True, text=True, env={**os.environ, "VIDGEN_DEBUG": "1"})
    assert result.returncode != 0 and "InputError" in result.stderr and "AttributeError" not in result.stderr, result.stderr
