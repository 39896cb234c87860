"""Interpolation through four frames: the path offset, the look-ahead in the stream, its fallbacks and resume."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from test_interpolate_pipeline import square_frame

from vidgen_cli.interpolate.processor import Interpolator
from vidgen_cli.vision.metrics import psnr
from vidgen_cli.vision.multiframe import Guard, Neighbour, path_offset


def _field(v: tuple[float, float], shape=(6, 8)) -> np.ndarray:
    return np.broadcast_to(np.array(v, np.float32), (*shape, 2)).copy()


@pytest.mark.parametrize("t", [0.25, 0.5, 0.8])
@pytest.mark.parametrize("spans", [(1.0, 1.0), (2.0, 1.0), (1.0, 3.0)])
def test_path_offset_is_exact_for_constant_acceleration(t, spans):
    """p(tau) = v tau + acc tau^2 / 2: the offset from the line through frames 0 and 1 at t is
    acc (t^2 - t) / 2, whatever the outer frames' spacing (a cubic through a parabola is the parabola)."""
    v, acc = np.array([3.0, -1.0]), np.array([1.5, 0.5])

    def p(tau):
        return v * tau + acc * tau * tau / 2

    a, b = spans
    ft0, ft1 = _field(-p(t)), _field(p(1) - p(t))  # uniform motion: no warping of the outer flows matters
    ones = np.ones((6, 8), np.float32)
    before = Neighbour(_field(p(-a) - p(0)), ones, a)
    after = Neighbour(_field(p(1 + b) - p(1)), ones, b)
    offset = path_offset(ft0, ft1, t, before, after, guard=None)
    linear = t * p(1)
    np.testing.assert_allclose(offset[2, 3], p(t) - linear, atol=1e-4)
    assert path_offset(ft0, ft1, t, None, None) is None


def test_guards_shrink_inconsistent_and_implausible_departures_to_the_line():
    ft0, ft1 = _field((-1.0, 0.0)), _field((1.0, 0.0))  # 2 px of motion
    wild = Neighbour(_field((40.0, 0.0)), np.ones((6, 8), np.float32))  # 42 px off a 2 px line
    assert np.abs(path_offset(ft0, ft1, 0.5, wild, None, Guard(1.0, 2.0))).max() < 1e-3
    occluded = Neighbour(_field((-1.0, 0.0)), np.full((6, 8), 1e-4, np.float32))  # mild departure, fails the check
    plain = Neighbour(occluded.flow, np.ones((6, 8), np.float32))
    assert np.abs(path_offset(ft0, ft1, 0.5, occluded, None)).max() < 1e-3 < np.abs(path_offset(ft0, ft1, 0.5, plain, None)).max()


def _accelerating(n: int = 7) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A square moving right faster and faster: the input frames and the true frames half-way between."""
    def x(tau):
        return 10 + 4 * tau + 1.5 * tau * tau

    return [square_frame(x(i)) for i in range(n)], [square_frame(x(i + 0.5)) for i in range(n - 1)]


def _run(frames, multiframe: bool, **timing) -> list[np.ndarray]:
    interp = Interpolator("flow")
    interp.engine.multiframe = multiframe
    return list(interp.run(iter(frames), Fraction(30), **(timing or {"factor": 2})))


def test_stream_follows_acceleration_and_falls_back_at_the_ends():
    frames, truth = _accelerating()
    plain, curved = _run(frames, False), _run(frames, True)
    assert len(plain) == len(curved) == 2 * len(frames)
    assert all(np.array_equal(curved[2 * i], frames[i]) for i in range(len(frames)))  # originals kept, in order
    # The first pair has the next frame only: the two-frame motion, exactly. The last one has the
    # previous frame: a quadratic through three frames.
    assert np.array_equal(curved[1], plain[1]) and not np.array_equal(curved[-3], plain[-3])
    gains = [psnr(curved[2 * i + 1], truth[i]) - psnr(plain[2 * i + 1], truth[i]) for i in range(1, len(truth))]
    assert min(gains) > 0 and np.mean(gains) > 0.3, gains


def test_a_cut_ends_the_path():
    frames, _ = _accelerating(5)
    other = [square_frame(40 + 3 * i, seed=9) // 3 + 20 for i in range(4)]  # another shot
    plain, curved = _run(frames + other, False), _run(frames + other, True)
    assert len(curved) == 2 * 9
    # The first pair after the cut has no neighbour across it; the last one before it only the previous frame.
    assert np.array_equal(curved[11], plain[11]) and not np.array_equal(curved[5], plain[5])
    interp = Interpolator("flow")
    alone = interp.engine.at(interp.engine.prepare(frames[3], frames[4]), 0.5, *interp.engine.neighbours(
        interp.engine.prepare(frames[2], frames[3]).flows, None))
    assert np.array_equal(curved[7], alone)  # the motion after the cut was not used


@pytest.mark.parametrize("timing", [{"factor": 3}, {"target_fps": Fraction(47)}, {"target_fps": Fraction(13)}])
def test_any_t_and_rgba_16_bit_frames(timing):
    frames, _ = _accelerating(7)
    deep = [np.dstack([f.astype(np.uint16) * 257, np.full(f.shape[:2], 65535, np.uint16)]) for f in frames]
    plain, curved = _run(deep, False, **timing), _run(deep, True, **timing)
    assert len(plain) == len(curved) > 2
    assert all(f.dtype == np.uint16 and f.shape[2] == 4 for f in curved)
    assert any(not np.array_equal(a, b) for a, b in zip(plain, curved))


def test_state_resumes_exactly_between_any_two_frames():
    """A run stopped after any input frame and resumed from its state_dict gives the same frames
    as one that never stopped (the waiting pair, its motion and the motion before it travel in the state)."""
    frames, _ = _accelerating(6)
    frames = frames[:3] + [frames[2]] + frames[3:]  # a duplicate run inside
    whole = _run(frames, True)
    for stop in range(1, len(frames)):
        first = Interpolator("flow").processor(Fraction(30), factor=2)
        out = [f for frame in frames[:stop] for f in first.push(frame)]
        state = {k: np.array(v) for k, v in first.state_dict().items()}  # as saved: plain arrays
        second = Interpolator("flow").processor(Fraction(30), factor=2)
        second.load_state_dict(state)
        out += [f for frame in frames[stop:] for f in second.push(frame)] + second.flush()
        assert len(out) == len(whole)
        assert all(np.array_equal(a, b) for a, b in zip(out, whole)), stop


def test_an_interrupted_interpolation_resumes_to_the_same_frames(tmp_path, monkeypatch):
    """Through the job runner and its segments (runtime/resume.py), lossless, stopped mid-run."""
    import subprocess

    from conftest import decode_all
    from test_resume import Interrupting

    from vidgen_cli.io import ffmpeg
    from vidgen_cli.io.encode import EncodeOptions
    from vidgen_cli.runtime.job import OutputSettings, run_job

    clip = tmp_path / "swing.mkv"  # a square swinging left and right: its speed changes every frame
    frames = b"".join(square_frame(80 + 60 * np.sin(i / 3)).tobytes() for i in range(24))
    subprocess.run([ffmpeg.executable(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "224x160", "-r", "24",
                    "-i", "-", "-c:v", "ffv1", str(clip)], input=frames, check=True)

    monkeypatch.setenv("VIDGEN_SEGMENT_FRAMES", "10")
    monkeypatch.setenv("VIDGEN_SEGMENT_SECONDS", "0")

    def processor(multiframe=True):
        interp = Interpolator("flow")
        interp.engine.multiframe = multiframe
        return interp.processor(Fraction(24), factor=2)

    def run(out, proc, resume=False):
        settings = OutputSettings(encode=EncodeOptions(codec="ffv1"), resume=resume)
        return run_job(str(clip), str(out), proc, Fraction(48), settings, {"i": 1})

    run(tmp_path / "ref.mkv", processor())
    run(tmp_path / "plain.mkv", processor(False))
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        run(out, Interrupting(processor(), 13))
    assert run(out, processor(), resume=True).resumed_from > 0
    a, b, c = decode_all(tmp_path / "ref.mkv"), decode_all(out), decode_all(tmp_path / "plain.mkv")
    assert len(a) == len(b) == 48
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert any(not np.array_equal(x, y) for x, y in zip(a, c))  # the run did use the neighbours' motion
