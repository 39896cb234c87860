"""`vidgen motion` on small synthetic clips with a known camera move: capture, replay, stabilize,
propagate, and the bad inputs each must refuse in one line."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_all, make_clip
from typer.testing import CliRunner

from vidgen_cli.cli.app import app
from vidgen_cli.io.encode import EncodeOptions, VideoWriter
from vidgen_cli.io.probe import probe
from vidgen_cli.motion.path import load
from vidgen_cli.motion.propagate import Key, PropagateStream
from vidgen_cli.motion.capture import track
from vidgen_cli.vision.homography import TrackerSettings, corner_rms, gaussian_smooth, jitter_rms

runner = CliRunner()
SIZE = (160, 96)
FRAMES = 16


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result


def texture(seed: int = 1, size: tuple[int, int] = (320, 200)) -> np.ndarray:
    """A photo-like RGB texture: blurred noise at two scales plus a few hard-edged shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    coarse = cv2.resize(rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8), size, interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 1.2)
    image = (0.6 * coarse + 0.4 * fine).astype(np.uint8)
    for _ in range(12):
        x, y = rng.integers(0, w), rng.integers(0, h)
        cv2.rectangle(image, (int(x), int(y)), (int(x) + 15, int(y) + 10), tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    return image


def camera_path(frames: int = FRAMES, shake: float = 0.0, seed: int = 2) -> np.ndarray:
    """A pan of 1.5 px/frame right and 0.5 down, plus optional per-frame shake (px)."""
    rng = np.random.default_rng(seed)
    path = []
    for k in range(frames):
        dx, dy = (rng.normal(size=2) * shake) if k else (0.0, 0.0)
        path.append(np.array([[1, 0, -1.5 * k + dx], [0, 1, -0.5 * k + dy], [0, 0, 1]], np.float64))
    return np.stack(path)


def render(path: np.ndarray, image: np.ndarray) -> list[np.ndarray]:
    offset = np.array([[1, 0, 60], [0, 1, 40], [0, 0, 1]], np.float64)  # frame 0 looks at the middle
    return [cv2.warpPerspective(image, H @ np.linalg.inv(offset), SIZE, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT) for H in path]


def write(frames: list[np.ndarray], path: Path, fps: int = 25) -> Path:
    writer = VideoWriter(path, Fraction(fps), EncodeOptions(crf=8, preset="ultrafast", pix_fmt="yuv444p"))
    for frame in frames:
        writer.write(frame)
    writer.close()
    return path


@pytest.fixture(scope="module")
def pan(tmp_path_factory):
    """(clip, true path): a textured scene under a steady pan."""
    root = tmp_path_factory.mktemp("motion")
    path = camera_path()
    return write(render(path, texture()), root / "pan.mp4"), path


def test_capture_writes_the_camera_path(pan, tmp_path):
    clip, truth = pan
    ok("motion", "capture", clip, "-o", tmp_path / "m.json")
    motion = load(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["size"] == list(SIZE) and Fraction(data["fps"]) == 25 and len(data["frames"]) == FRAMES
    assert np.allclose(motion.times, np.arange(FRAMES) / 25, atol=1e-3)
    assert np.allclose(motion.H[0], np.eye(3))
    assert corner_rms(motion.H, truth, *SIZE) < 0.5


def test_capture_dense_flow_and_refusing_to_clobber(pan, tmp_path):
    clip, _ = pan
    ok("motion", "capture", clip, "-o", tmp_path / "m.json", "--dense", tmp_path / "flow")
    files = sorted((tmp_path / "flow").glob("flow_*.npz"))
    assert len(files) == FRAMES - 1
    flow = np.load(files[0])["flow"]
    assert flow.shape == (SIZE[1], SIZE[0], 2) and abs(float(np.median(flow[..., 0])) + 1.5) < 0.3
    result = run("motion", "capture", clip, "-o", tmp_path / "m.json")
    assert result.exit_code == 4 and "--overwrite" in result.output


def test_featureless_and_too_short_videos_are_refused(tmp_path):
    flat = make_clip(tmp_path / "flat.mp4", size="96x64", seconds=0.5, source="color")
    result = run("motion", "capture", flat, "-o", tmp_path / "m.json")
    assert result.exit_code == 3
    assert "tracking lost at frame 0" in result.output and "featureless" in result.output
    # the whole clip is read before tracking is known never to recover: progress, then one error line
    assert len([line for line in result.output.strip().splitlines() if " frames (" not in line]) == 1
    one = write(render(camera_path(1), texture()), tmp_path / "one.mp4")
    result = run("motion", "capture", one, "-o", tmp_path / "m.json")
    assert result.exit_code == 3 and "at least 2" in result.output


def test_tracking_lost_names_the_frame_of_a_cut(tmp_path):
    frames = render(camera_path(8), texture())
    frames += [np.full_like(frames[0], 128)] * 4  # the scene goes flat at frame 8
    clip = write(frames, tmp_path / "cut.mp4")
    result = run("motion", "stabilize", clip, "-o", tmp_path / "s.mp4")
    assert result.exit_code == 3 and "tracking lost at frame 8 (0.32 s)" in result.output
    for command in ("capture", "stabilize"):  # from --start: still the file's frame number and time, as --start reads them
        result = run("motion", command, clip, "-o", tmp_path / ("m.json" if command == "capture" else "t.mp4"), "--start", "0.12")
        assert result.exit_code == 3 and "tracking lost at frame 8 (0.32 s)" in result.output, result.output


def test_replay_animates_a_still_with_the_motion(pan, tmp_path):
    clip, truth = pan
    ok("motion", "capture", clip, "-o", tmp_path / "m.json")
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), texture(seed=9, size=(400, 240)))  # another scene, another size (same aspect)
    ok("motion", "replay", still, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4")
    info = probe(tmp_path / "r.mp4")
    assert (info.width, info.height, info.frame_count, info.fps) == (*SIZE, FRAMES, 25)
    assert corner_rms(track(decode_all(tmp_path / "r.mp4")), truth, *SIZE) < 1.0
    # a motion can also be taken straight from a video
    ok("motion", "replay", still, "--motion", clip, "-o", tmp_path / "r2.mp4", "--crop", "none")
    assert probe(tmp_path / "r2.mp4").frame_count == FRAMES


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ('{"size": [160, 96], "fps": 25, "frames": []}', "'frames' must be a non-empty list"),
    ('{"size": [160, 96], "fps": 25, "frames": [{"t": 0, "H": [[1, 0], [0, 1]]}]}', "3x3"),
    ('{"size": [160, 96], "fps": 25, "frames": [{"t": 0, "H": [[0,0,0],[0,0,0],[0,0,1]]}]}', "singular"),
    ('{"size": [160, 96], "fps": 25, "frames": [{"t": 1, "H": [[1,0,0],[0,1,0],[0,0,1]]}, {"t": 0.5, "H": [[1,0,0],[0,1,0],[0,0,1]]}]}', "does not come after"),
    ('{"fps": 25, "frames": [{"t": 0, "H": [[1,0,0],[0,1,0],[0,0,1]]}]}', "'size'"),
])
def test_malformed_motion_files_are_refused(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), texture())
    result = run("motion", "replay", still, "--motion", bad, "-o", tmp_path / "r.mp4")
    assert result.exit_code == 3 and message in result.output and "not a usable motion file" in result.output


def test_replay_refuses_a_mismatched_target_video(pan, tmp_path):
    clip, _ = pan
    ok("motion", "capture", clip, "-o", tmp_path / "m.json")
    square = make_clip(tmp_path / "square.mp4", size="64x64", seconds=1.0)
    result = run("motion", "replay", square, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4")
    assert result.exit_code == 3 and "another shape" in result.output
    short = make_clip(tmp_path / "short.mp4", size="160x96", rate="25", seconds=0.4)
    result = run("motion", "replay", short, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4")
    assert result.exit_code == 3 and "has 10 frames but the motion has 16" in result.output


def test_stabilize_removes_shake_keeps_pan_timing_and_audio(tmp_path):
    truth = camera_path(40, shake=2.0)
    frames = render(truth, texture(seed=4, size=(400, 260)))
    silent = write(frames, tmp_path / "silent.mp4")
    clip = tmp_path / "shaky.mp4"  # the same frames with an audio track
    from vidgen_cli.io import ffmpeg
    import subprocess

    subprocess.run([ffmpeg.executable(), "-loglevel", "error", "-i", str(silent), "-f", "lavfi", "-i", "sine=duration=1.6",
                    "-c:v", "copy", "-c:a", "aac", "-shortest", str(clip)], check=True)
    ok("motion", "stabilize", clip, "-o", tmp_path / "s.mp4", "--smoothing", "0.5", "--json")
    source, out = probe(clip), probe(tmp_path / "s.mp4")
    assert out.frame_count == source.frame_count == 40 and out.fps == source.fps
    assert abs(out.duration - source.duration) < 0.05 and out.audio
    before = jitter_rms(truth, *SIZE, 6)
    after = jitter_rms(track(decode_all(tmp_path / "s.mp4"), TrackerSettings(margin=0.15)), *SIZE, 6)
    assert after < 0.35 * before
    result = run("motion", "stabilize", "-", "-o", tmp_path / "x.mp4")
    assert result.exit_code == 2 and "not -" in result.output


def test_propagate_carries_a_painted_patch_with_the_scene(pan, tmp_path):
    clip, truth = pan
    first = decode_all(clip)
    key = first[0].copy()
    key[40:56, 70:90] = (255, 0, 255)  # a magenta patch painted on frame 0
    cv2.imwrite(str(tmp_path / "key.png"), cv2.cvtColor(key, cv2.COLOR_RGB2BGR))
    ok("motion", "propagate", clip, "--key", tmp_path / "key.png", "-o", tmp_path / "p.mkv", "--codec", "ffv1")
    out = decode_all(tmp_path / "p.mkv")
    assert len(out) == FRAMES
    k = FRAMES - 1
    dx, dy = truth[k][0, 2], truth[k][1, 2]  # where the patch must be now (a pure shift)
    inside = out[k][int(44 + dy):int(52 + dy), int(74 + dx):int(86 + dx)].astype(int)
    assert np.abs(inside - (255, 0, 255)).mean() < 25
    away = out[k][70:, :40].astype(int) - first[k][70:, :40]  # far from the edit: the original frame
    assert np.abs(away).mean() < 1


def test_propagate_refuses_bad_keys(pan, tmp_path):
    clip, _ = pan
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), texture(size=(80, 48)))
    result = run("motion", "propagate", clip, "--key", small, "-o", tmp_path / "p.mp4")
    assert result.exit_code == 3 and "is 80x48 but the video's frames are 160x96" in result.output
    right = tmp_path / "right.png"
    cv2.imwrite(str(right), texture(size=SIZE))
    result = run("motion", "propagate", clip, "--key", right, "--key-frame", "99", "-o", tmp_path / "p.mp4")
    assert result.exit_code == 2 and "frames 0 to 15" in result.output
    result = run("motion", "propagate", clip, "--key", right, "--key", right, "-o", tmp_path / "p.mp4")
    assert result.exit_code == 2 and "--key-frame" in result.output


def test_propagate_state_round_trip_gives_the_same_frames(pan):
    """Two keys (forward and backward chains); the state saved mid-way resumes to identical frames."""
    from vidgen_cli.motion.propagate import BackwardStore, check_keys

    clip, _ = pan
    frames = decode_all(clip)
    edited = [f.copy() for f in frames]
    edited[3][10:30, 10:40] = 0
    edited[12][50:70, 90:130] = 255
    info = probe(clip)
    keys = check_keys([Key(12, edited[12]), Key(3, edited[3])], info)
    store = BackwardStore(str(clip), info, keys, None)
    try:
        stream = PropagateStream(keys, store)
        whole = [stream.push(f)[0] for f in frames]
        first = PropagateStream(keys, store)
        part = [first.push(f)[0] for f in frames[:7]]
        second = PropagateStream(keys, store)
        second.load_state_dict({k: np.array(v) for k, v in first.state_dict().items()})
        part += [second.push(f)[0] for f in frames[7:]]
    finally:
        store.close()
    assert np.array_equal(whole[3], edited[3]) and np.array_equal(whole[12], edited[12])
    assert all(np.array_equal(a, b) for a, b in zip(whole, part))
    assert not store.folder.exists()


def test_gaussian_smoothing_keeps_a_steady_pan_to_the_ends():
    ramp = np.arange(30, dtype=np.float64)[:, None] * [2.0, -1.0]
    assert np.allclose(gaussian_smooth(ramp, 5.0), ramp)
    assert np.allclose(gaussian_smooth(ramp[:4], 5.0), ramp[:4])  # shorter than the kernel


def test_capture_reads_a_stream_from_stdin(pan, tmp_path):
    import subprocess
    import sys

    clip, truth = pan
    vidgen = str(Path(sys.executable).parent / "vidgen")
    with open(clip, "rb") as stream:
        subprocess.run([vidgen, "motion", "capture", "-", "-o", str(tmp_path / "m.json"), "-q"], stdin=stream, check=True)
    assert corner_rms(load(tmp_path / "m.json").H, truth, *SIZE) < 0.5


def test_replay_onto_a_video_at_another_rate_says_so_and_drops_its_audio(pan, tmp_path):
    """The pan is 25 fps; a 30 fps target replayed one frame per motion frame plays 0.83x: never silent."""
    clip, _ = pan
    ok("motion", "capture", clip, "-o", tmp_path / "m.json")
    target = make_clip(tmp_path / "t30.mp4", size="160x96", rate="30", seconds=1.0, audio=True)
    result = ok("motion", "replay", target, "--motion", tmp_path / "m.json", "-o", tmp_path / "r.mp4", "--crop", "none")
    assert "audio is left out" in result.output
    assert not probe(tmp_path / "r.mp4").audio


def test_a_captured_span_keeps_its_place_on_the_source(pan, tmp_path):
    """capture --start/--end records where the path starts (first_frame, start as --start reads it,
    times on the source's timeline); H is from the span's first frame; replay plays it from 0."""
    import subprocess

    from vidgen_cli.io import ffmpeg

    clip, truth = pan
    late = tmp_path / "late.mkv"  # the video starts 0.3 s after the sound
    subprocess.run([ffmpeg.executable(), "-v", "error", "-itsoffset", "0.3", "-i", str(clip), "-f", "lavfi", "-i", "sine=d=1",
                    "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(late)], check=True)
    assert abs(probe(late).start_time - 0.3) < 1e-3
    for source, offset in ((clip, 0.0), (late, 0.3)):
        ok("motion", "capture", source, "-o", tmp_path / "all.json", "--overwrite")
        ok("motion", "capture", source, "-o", tmp_path / "span.json", "--start", offset + 0.2, "--end", offset + 0.52, "--overwrite")
        whole, span = load(tmp_path / "all.json"), load(tmp_path / "span.json")
        assert (whole.first_frame, whole.start) == (0, pytest.approx(offset, abs=1e-3))
        assert span.first_frame == 5 and span.start == pytest.approx(offset + 0.2, abs=1e-3), (span.first_frame, span.start)
        assert len(span) == 8 and np.allclose(span.times, whole.times[5:13], atol=1e-3)
        rebased = whole.H[5:13] @ np.linalg.inv(whole.H[5])
        assert corner_rms(span.H, rebased, *SIZE) < 0.3
        again = json.loads((tmp_path / "span.json").read_text())
        assert again["first_frame"] == 5 and again["start"] == pytest.approx(offset + 0.2, abs=1e-3)
        # --start at the recorded start reads the same frames
        ok("motion", "capture", source, "-o", tmp_path / "same.json", "--start", span.start, "--end", offset + 0.52, "--overwrite")
        assert load(tmp_path / "same.json").first_frame == 5
    still = tmp_path / "still.png"
    cv2.imwrite(str(still), texture(seed=9))
    ok("motion", "replay", still, "--motion", tmp_path / "span.json", "-o", tmp_path / "r.mp4")
    info = probe(tmp_path / "r.mp4")
    assert (info.frame_count, info.fps) == (8, 25) and info.start_time == pytest.approx(0.0, abs=1e-3)
    data = json.loads((tmp_path / "span.json").read_text())
    del data["first_frame"], data["start"]  # a file written before these were recorded
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert (load(tmp_path / "old.json").first_frame, load(tmp_path / "old.json").start) == (0, 0.0)
