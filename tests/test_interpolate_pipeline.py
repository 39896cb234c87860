"""Interpolation pipeline: timing (frame counts), cuts, duplicates, and that motion beats a blend."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from vidgen_cli.errors import UsageError
from vidgen_cli.interpolate.processor import Interpolator, interpolate_pair
from vidgen_cli.vision.metrics import psnr, ssim
from vidgen_cli.vision.scenes import thumb_score, thumbnail


def textured_background(h: int, w: int, seed: int = 0) -> np.ndarray:
    small = np.random.default_rng(seed).integers(40, 200, (h // 12 + 2, w // 12 + 2, 3)).astype(np.uint8)
    return cv2.resize(small, (w + 24, h + 24), interpolation=cv2.INTER_CUBIC)[12:12 + h, 12:12 + w].copy()


def square_frame(x: float, h: int = 160, w: int = 224, size: int = 48, seed: int = 0) -> np.ndarray:
    """A textured square at column x (can be fractional: rendered by supersampling) over a static background."""
    frame = textured_background(h, w, seed).astype(np.float32)
    square = cv2.resize(np.random.default_rng(seed + 1).integers(0, 255, (3, 3, 3)).astype(np.uint8), (size, size),
                        interpolation=cv2.INTER_LINEAR).astype(np.float32)
    xi = int(np.floor(x))
    frac = x - xi
    patch = np.zeros((size, size + 1, 3), np.float32)
    alpha = np.zeros((size, size + 1, 1), np.float32)
    patch[:, :size] += (1 - frac) * square
    alpha[:, :size] += 1 - frac
    patch[:, 1:] += frac * square
    alpha[:, 1:] += frac
    y0 = (h - size) // 2
    region = frame[y0:y0 + size, xi:xi + size + 1]
    frame[y0:y0 + size, xi:xi + size + 1] = region * (1 - alpha) + patch
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def test_flow_middle_frame_beats_blend_on_a_moving_square():
    f0, mid, f1 = square_frame(40), square_frame(46), square_frame(52)
    flow = interpolate_pair(f0, f1, 0.5, model="flow")
    blend = interpolate_pair(f0, f1, 0.5, model="blend")
    assert flow.shape == mid.shape and flow.dtype == np.uint8
    assert psnr(flow, mid) > psnr(blend, mid) + 6
    assert ssim(flow, mid) > ssim(blend, mid)


def test_flow_handles_odd_sizes_and_quarter_time():
    f0, q, f1 = (square_frame(x, h=117, w=181, size=40) for x in (30, 33, 42))
    out = interpolate_pair(f0, f1, 0.25, model="flow")
    assert out.shape == (117, 181, 3)
    assert psnr(out, q) > psnr(interpolate_pair(f0, f1, 0.25, model="blend"), q) + 4


def moving(n: int, speed: float = 3.0) -> list[np.ndarray]:
    return [square_frame(10 + speed * i) for i in range(n)]


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_factor_gives_n_times_factor_and_keeps_originals(factor):
    """n frames -> n * factor: the last frame holds for its own duration (repeated factor - 1
    times, as ffmpeg's fps and minterpolate filters do), so the output lasts as long as the input."""
    frames = moving(5)
    out = list(Interpolator("flow").run(iter(frames), Fraction(30), factor=factor))
    assert len(out) == len(frames) * factor
    for i, frame in enumerate(frames):
        assert np.array_equal(out[i * factor], frame)
    assert all(np.array_equal(f, frames[-1]) for f in out[-factor:])


@pytest.mark.parametrize("src,dst,n", [(30, 60, 6), (24, 60, 7), (30, 24, 10), (Fraction(30000, 1001), 50, 9)])
def test_fps_output_lasts_as_long_as_the_input(src, dst, n):
    frames = moving(n)
    out = list(Interpolator("blend").run(iter(frames), Fraction(src), target_fps=Fraction(dst)))
    assert len(out) == round(n * Fraction(dst) / Fraction(src))
    assert np.array_equal(out[0], frames[0])


def test_fps_positions_between_frames_are_interpolated():
    frames = moving(4, speed=4.0)
    out = list(Interpolator("blend").run(iter(frames), Fraction(20), target_fps=Fraction(40)))
    assert len(out) == 8
    expected = interpolate_pair(frames[1], frames[2], 0.5, model="blend")
    assert np.array_equal(out[3], expected)
    assert np.array_equal(out[6], frames[3]) and np.array_equal(out[7], frames[3])  # the last frame's duration


def test_cut_holds_the_old_frame_instead_of_morphing():
    a = moving(3)
    b = [np.full_like(a[0], 230) - square_frame(60 - 3 * i, seed=5) // 2 for i in range(3)]
    interp = Interpolator("flow")
    out = list(interp.run(iter(a + b), Fraction(25), factor=2))
    assert len(out) == 12
    assert interp.cuts == 1
    assert np.array_equal(out[5], a[2])  # between the last frame of shot A and the first of shot B
    assert not np.array_equal(out[1], a[0])  # within a shot: a new frame


def test_duplicates_do_not_stutter():
    """A held source frame: the output should keep moving evenly, not stop then jump."""
    xs = [10, 16, 16, 28, 34]  # frame 2 repeats frame 1; true motion is 6 px per frame
    frames = [square_frame(x) for x in xs]
    interp = Interpolator("flow")
    out = list(interp.run(iter(frames), Fraction(30), factor=2))
    assert len(out) == 10 and interp.duplicates == 1
    # Positions 1.5, 2 and 2.5 lie between the distinct frames 1 (x=16) and 3 (x=28): x = 19, 22, 25.
    for k, x in zip((3, 4, 5), (19, 22, 25)):
        truth = square_frame(x)
        held = frames[1]
        assert psnr(out[k], truth) > psnr(held, truth) + 3


def small_subject_frame(x: int, h: int = 360, w: int = 640) -> np.ndarray:
    """A still textured scene with a small subject (8 x 8 px, 60 grey levels brighter) at column x."""
    frame = textured_background(h, w).astype(np.int16)
    frame[176:184, x:x + 8] += 60
    return np.clip(frame, 0, 255).astype(np.uint8)


def test_a_small_subject_moving_in_a_still_scene_is_not_a_repeat():
    """Its frames differ little on average (the thumbnail mean stays under the repeat threshold) but a
    lot where it is: they are not repeats. Taken for repeats, the subject stood still and then jumped."""
    frames = [small_subject_frame(100 + 4 * i) for i in range(6)]
    a, b = thumbnail(frames[0]).astype(np.int16), thumbnail(frames[1]).astype(np.int16)
    assert np.abs(a - b).mean() < 0.5  # what the mean alone called a repeat
    interp = Interpolator("flow")
    out = list(interp.run(iter(frames), Fraction(30), factor=2))
    assert interp.duplicates == 0
    for k in range(1, 5):  # every input frame is shown as it is, the new ones between them
        assert psnr(out[2 * k], frames[k]) > 45
        assert psnr(out[2 * k + 1], small_subject_frame(102 + 4 * k)) > psnr(frames[k], small_subject_frame(102 + 4 * k))


def test_long_hold_is_kept_as_a_pause():
    frames = [square_frame(10)] * 8 + [square_frame(14)]
    out = list(Interpolator("flow", max_duplicate_run=4).run(iter(frames), Fraction(30), factor=2))
    assert len(out) == 18
    assert all(np.array_equal(f, frames[0]) for f in out[:12])


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError):
        list(Interpolator("blend").run(iter(moving(3)), Fraction(30)))
    with pytest.raises(UsageError):
        list(Interpolator("blend").run(iter(moving(3)), Fraction(30), factor=1))
    with pytest.raises(UsageError):
        Interpolator("no-such-model")


def test_scene_change_score_separates_motion_from_a_cut():
    a, b = square_frame(10), square_frame(16)
    other = square_frame(40, seed=9) // 3 + 20  # a darker shot

    assert thumb_score(thumbnail(a), thumbnail(b)) < 0.15
    assert thumb_score(thumbnail(a), thumbnail(other)) > 0.4


def test_single_frame_and_empty_streams():
    assert len(list(Interpolator("blend").run(iter([square_frame(3)]), Fraction(30), factor=3))) == 3
    assert list(Interpolator("blend").run(iter([]), Fraction(30), factor=3)) == []


def test_a_near_still_clip_end_is_interpolated_not_held():
    """The last frame differs too little to count as a new frame (below the duplicate threshold),
    but it is not a pause: the new frame before it lies between the two, not on the first."""
    rng = np.random.default_rng(3)
    first = rng.integers(0, 200, (48, 64, 3), dtype=np.uint8)
    last = first.copy()
    last[20:24, 30:34] += 50  # a 4x4 change: a thumbnail difference under 0.5
    out = list(Interpolator("blend").run([first, last], Fraction(24), factor=2))
    assert len(out) == 4 and np.array_equal(out[0], first) and np.array_equal(out[2], last) and np.array_equal(out[3], last)
    expected = ((first.astype(np.float32) + last) / 2 + 0.5).astype(np.uint8)
    assert np.array_equal(out[1], expected)


def test_the_new_frame_is_rounded_once_after_the_blend():
    """Each warp rounded to 8 bits before the blend adds a second rounding error: on near-still video
    (55 dB) that cost 0.66 dB. The frame must be the float blend of the float warps, rounded once."""
    from vidgen_cli.interpolate.engine import FlowEngine
    from vidgen_cli.vision.flow import backward_warp

    engine = FlowEngine()
    a, b = square_frame(40.3), square_frame(41.1)
    state = engine.prepare(a, b)
    h, w = a.shape[:2]
    ft0 = np.full((h, w, 2), 0.37, np.float32)
    ft1 = np.full((h, w, 2), -0.41, np.float32)
    out = engine._render(state, ft0, ft1, 0.5, interpolation=cv2.INTER_CUBIC)
    w0 = backward_warp(a.astype(np.float32), ft0, interpolation=cv2.INTER_CUBIC)
    w1 = backward_warp(b.astype(np.float32), ft1, interpolation=cv2.INTER_CUBIC)
    exact = np.clip(0.5 * w0 + 0.5 * w1, 0, 255)
    assert np.abs(out - exact).max() < 0.51  # two roundings: up to 1


def test_a_repeat_before_any_motion_is_not_spread():
    """Black frames (or a still) at the start of a clip, then motion: the in-betweens of the hold are the
    held frame; spreading the motion over it (stutter handling) put a half-faded frame between two blacks."""
    frames = [square_frame(10)] * 2 + [square_frame(16), square_frame(22)]
    interp = Interpolator("flow")
    out = list(interp.run(iter(frames), Fraction(30), factor=2))
    assert len(out) == 8
    assert all(np.array_equal(out[k], frames[0]) for k in range(3))  # positions 0, 0.5, 1: the hold
    assert psnr(out[3], square_frame(13)) > psnr(out[3], frames[0]) + 3  # then the motion, between 1 and 2
