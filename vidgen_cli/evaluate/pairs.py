"""Pair the frames of a reference and a test input: by presentation timestamp when both carry times
(videos: PTS; frames folders: manifest.json), by position otherwise (folders without a manifest,
single images).

Everything that can be refused is refused before any frame is decoded: sizes that differ (unless
the test is resized), lengths that differ and timestamps without a partner (unless only the frames
both inputs have are wanted).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli.errors import InputError
from vidgen_cli.io import ffmpeg
from vidgen_cli.io.decode import open_input
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.io.probe import probe
from vidgen_cli.vision.planes import rgb8


@dataclass
class FramePair:
    """One reference frame and the test frame matched to it (H x W x 3 uint8 RGB, same size)."""

    reference_index: int
    test_index: int
    time: float | None  # reference presentation time in seconds, when known
    reference: np.ndarray
    test: np.ndarray


def _describe(info: VideoInfo) -> str:
    rate = f" at {float(info.fps):.6g} fps" if info.fps else ""
    return f"{info.frame_count} frames{rate}"


@dataclass
class Matching:
    """How the frames of two inputs were paired: (reference index, test index) pairs, both
    increasing, and the frames of each input left without a partner."""

    pairs: list[tuple[int, int]]
    how: str  # "by timestamp", "by timestamp from each first frame" or "by position"
    unmatched_reference: int
    unmatched_test: int
    note: str | None = None  # a line for stderr about the pairing (a shorter test paired from the start)

    def line(self) -> str:
        """One line for stderr: how many frames were paired, and how many were not."""
        return (f"matched {len(self.pairs)} frame pairs {self.how}; {self.unmatched_reference} reference and "
                f"{self.unmatched_test} test frames unmatched")

    def to_json(self) -> dict:
        return {"matched_by": self.how, "unmatched_reference": self.unmatched_reference,
                "unmatched_test": self.unmatched_test}


def timeline(info: VideoInfo) -> np.ndarray | None:
    """When each frame of an input plays, seconds: a video's PTS (as ffprobe's pts_time, the file's
    own start included: a cut that keeps its source time, predict --only-new), except MPEG-TS/PS,
    whose PTS origin is the muxer's delay (1.4 s from ffmpeg) or a broadcast clock, so it counts
    from the file's start as probe and split's manifest do; a frames folder's manifest times; None
    without times (a folder with no manifest, an image)."""
    if info.timestamps is None or len(info.timestamps) != info.frame_count:
        return None
    if info.kind == "video":
        origin = 0.0 if info.demuxer in ffmpeg.MAPPED_ORIGIN_DEMUXERS else info.file_start
        return origin + info.start_time + np.asarray(info.timestamps, np.float64)
    if info.kind == "images":
        return info.start_time + np.asarray(info.timestamps, np.float64)
    return None


# Two timestamps this close (seconds) are the same instant: the rounding of the time bases
# (a Matroska millisecond, 1/90000 s), never more than a tenth of a frame interval.
_TIME_NOISE = 1e-3


def _noise(step: float) -> float:
    return min(_TIME_NOISE, 0.1 * step) if step > 0 else _TIME_NOISE


def _pair_times(ref_t: np.ndarray, test_t: np.ndarray, step: float) -> list[tuple[int, int]]:
    """Each frame of `ref_t` (match_frames passes the input with the longer interval first) to the
    frame of `test_t` NEAREST in time, when that one lies less than half an interval (`step`,
    seconds) away; both index sequences increase.

    Ties within the time bases' rounding noise go to the earlier test frame (the one a player
    shows at that instant). A test frame exactly half an interval away is no partner: it sits
    between two reference frames (a 2x-rate test's in-between frame). A test frame nearest to two
    reference frames (a variable-rate reference) stays with the nearer one.
    """
    if not len(ref_t) or not len(test_t):
        return []
    noise = _noise(step)
    right = np.clip(np.searchsorted(test_t, ref_t), 0, len(test_t) - 1)
    left = np.clip(right - 1, 0, len(test_t) - 1)
    d_left, d_right = np.abs(ref_t - test_t[left]), np.abs(test_t[right] - ref_t)
    nearest = np.where(d_right < d_left - noise, right, left)
    distance = np.abs(test_t[nearest] - ref_t)
    pairs: list[tuple[int, int]] = []
    kept: list[float] = []
    for ri in np.nonzero(distance < 0.5 * step - noise)[0]:
        ti, d = int(nearest[ri]), float(distance[ri])
        if pairs and pairs[-1][1] >= ti:  # the previous reference frame holds this test frame
            if d < kept[-1] - noise:
                pairs[-1], kept[-1] = (int(ri), ti), d
            continue
        pairs.append((int(ri), ti))
        kept.append(d)
    return pairs


def match_frames(reference: VideoInfo, test: VideoInfo, partial: bool = False, offset: float | None = None) -> Matching:
    """Pair the frames of two inputs.

    Inputs that both carry times (videos: PTS; frames folders: their manifest.json times) are matched
    by timestamp, by one rule whichever input is the reference: each frame of the input with the
    longer frame interval (the lower rate; the reference when both are the same) gets the frame of
    the other input nearest in time, when that one lies less than half that interval away (so a
    2-frame offset or a different frame rate shows up as unmatched frames, not as a silent shift;
    24 against 60 fps pairs every 24 fps frame either way). When the two timelines do not overlap at all (a file whose
    start keeps a time far from the other's), times are counted from each input's first frame. Inputs
    without times (a folder without a manifest, an image) are matched by position.
    `offset` (seconds, as ffmpeg's -itsoffset aligns a cut for its psnr filter): the test's first
    frame lies that long after the reference's first frame (a clip cut with --start and written
    from 0); the test's times are counted from its first frame, placed there. Inputs without times
    skip as many reference frames as the offset covers at the reference's rate.
    Raises InputError when frames are left without a partner and `partial` is False.
    """
    ref_t, test_t = timeline(reference), timeline(test)
    if offset is not None and offset < 0:
        raise InputError(f"--offset {offset:g}: give where the test's first frame lies in the reference, 0 or more seconds")
    if ref_t is not None and test_t is not None and len(ref_t) and len(test_t):
        ref_step, test_step = _step(ref_t, reference), _step(test_t, test)
        step = max(ref_step, test_step)
        how = "by timestamp"
        if offset is not None:  # a cut from `offset` starts at the first frame there (as --start and ffmpeg -ss cut)
            at = int(np.searchsorted(ref_t, ref_t[0] + offset - 0.25 * ref_step))
            first = float(ref_t[at] - ref_t[0]) if at < len(ref_t) else offset
            test_t = test_t - test_t[0] + ref_t[0] + first
            how = f"by timestamp, the test's first frame at the reference's {first:.3f} s (--offset {offset:g})"
        elif test_t[0] > ref_t[-1] + 0.5 * step or ref_t[0] > test_t[-1] + 0.5 * step:
            ref_t, test_t = ref_t - ref_t[0], test_t - test_t[0]
            how = "by timestamp from each first frame (the timelines do not overlap)"
        if test_step > ref_step + _noise(ref_step):  # the test has the longer interval: its frames pick their partners
            pairs = [(ri, ti) for ti, ri in _pair_times(test_t, ref_t, step)]
        else:
            pairs = _pair_times(ref_t, test_t, step)
    else:
        skip = _frames_in(offset, reference) if offset else 0
        n = max(0, min(reference.frame_count - skip, test.frame_count))
        pairs = [(skip + i, i) for i in range(n)]
        how = "by position (no timestamps: a folder without manifest.json or an image)"
        if skip:
            how += f", the test from reference frame {skip} (--offset {offset:g})"
    matching = Matching(pairs, how, reference.frame_count - len(pairs), test.frame_count - len(pairs))
    if partial and offset is None:
        matching.note = _from_start_note(ref_t, test_t, reference, test)
    if (matching.unmatched_reference or matching.unmatched_test) and not partial:
        raise InputError(f"{_mismatch(reference, test, ref_t, test_t)}; matched {how}, {matching.unmatched_reference} reference "
                         f"and {matching.unmatched_test} test frames have no partner; compare inputs of the same length and "
                         "frame rate, or pass --partial to score only the matched frames")
    if not pairs:
        raise InputError(f"no frame of the test input matches a frame of the reference ({how})")
    return matching


def _frames_in(offset: float, info: VideoInfo) -> int:
    """How many of an input's frames start before `offset` seconds (its rate; 25 fps without one): a
    cut from `offset` starts at the next frame, as --start cuts."""
    return max(0, math.ceil(offset * (float(info.fps) if info.fps else 25.0) - 0.25))  # the first frame from there


def _from_start_note(ref_t: np.ndarray | None, test_t: np.ndarray | None, reference: VideoInfo, test: VideoInfo) -> str | None:
    """The line for a shorter test paired from the reference's first frame (a cut written from 0, or
    frames without times): it may have been cut from later in the reference, which pairing cannot know."""
    if ref_t is not None and test_t is not None and len(ref_t) > 1 and len(test_t):
        step = _step(ref_t, reference)
        if abs(test_t[0] - ref_t[0]) >= 0.5 * step or _span(test_t) > _span(ref_t) - step:
            return None
        what = f"the test ({_span(test_t):.3f} s) is paired with the reference from its first frame"
    elif test.frame_count < reference.frame_count:
        what = f"the test ({test.frame_count} frames) is paired from the reference's first frame"
    else:
        return None
    return (f"{what}; if it was cut from later in the reference (--start), pass --offset SECONDS (where its first "
            "frame lies in the reference)")


def _step(times: np.ndarray, info: VideoInfo) -> float:
    """An input's frame interval, seconds: its timestamps' median step (1/fps for one frame)."""
    return float(np.median(np.diff(times))) if len(times) > 1 else (1 / float(info.fps) if info.fps else 1.0)


def _span(times: np.ndarray) -> float:
    """How long a timeline plays, seconds: first frame to the end of the last (its median interval)."""
    return float(times[-1] - times[0] + (np.median(np.diff(times)) if len(times) > 1 else 0.0))


def _mismatch(reference: VideoInfo, test: VideoInfo, ref_t: np.ndarray | None, test_t: np.ndarray | None) -> str:
    """Why frames went unmatched: a start-time offset (the same length, shifted), frame rates that
    differ over the same duration, lengths that differ, or both."""
    lengths = f"the reference has {_describe(reference)}, the test {_describe(test)}"
    if ref_t is None or test_t is None or not len(ref_t) or not len(test_t):
        return f"lengths differ: {lengths}"
    step = max(float(np.median(np.diff(t))) if len(t) > 1 else 0.0 for t in (ref_t, test_t))  # as match_frames pairs
    offset = float(test_t[0] - ref_t[0])
    if abs(offset) < 0.5 * step - _noise(step):
        if reference.frame_count != test.frame_count and abs(_span(ref_t) - _span(test_t)) < 0.5 * step:
            return (f"frame rates (frame counts) differ over the same {_span(ref_t):.3f} s: {lengths}; only the frames "
                    "nearest the lower rate's frames have a partner, whichever input is the reference")
        return f"lengths differ: {lengths} (the reference starts at {ref_t[0]:.3f} s, the test at {test_t[0]:.3f} s)"
    shifted = f"the test starts {abs(offset):.3f} s {'after' if offset > 0 else 'before'} the reference (start-time offset)"
    if reference.frame_count == test.frame_count:
        return f"timelines offset: {shifted}; both have {reference.frame_count} frames"
    return f"timelines offset and lengths differ: {shifted}; {lengths}"


def match_indices(reference: VideoInfo, test: VideoInfo, partial: bool = False) -> list[tuple[int, int]]:
    """(reference index, test index) pairs, both increasing (see `match_frames`)."""
    return match_frames(reference, test, partial).pairs


def _rotation_line(reference: VideoInfo, test: VideoInfo) -> str | None:
    """What differs when the two carry different display rotations (both are decoded upright)."""
    if reference.rotation % 360 == test.rotation % 360:
        return None
    turn = (test.rotation - reference.rotation) % 360
    return (f"the reference is stored with a {reference.rotation % 360} degree rotation and the test with {test.rotation % 360} "
            f"(display matrix); both are decoded upright, so their pictures stand {min(turn, 360 - turn)} degrees apart")


def _aspect(info: VideoInfo) -> str:
    dar = info.dar
    return f"{dar.numerator}:{dar.denominator} (SAR {info.sar.numerator}:{info.sar.denominator})" if dar else "unknown"


def geometry_notes(reference: VideoInfo, test: VideoInfo) -> list[str]:
    """One line each for what makes the two pictures differ besides their pixels: display rotations
    that differ, else display aspect ratios that differ by more than 1% (a SAR only one carries)."""
    if (line := _rotation_line(reference, test)) is not None:
        return [line + "; the scores compare the turned pictures"]
    if reference.dar and test.dar and abs(float(reference.dar) / float(test.dar) - 1) > 0.01:
        return [f"display aspects differ: the reference shows {_aspect(reference)}, the test {_aspect(test)}; the scores "
                "compare the stored pixels, not the pictures as displayed"]
    return []


def check_sizes(reference: VideoInfo, test: VideoInfo, resize: bool) -> None:
    if (reference.width, reference.height) != (test.width, test.height) and not resize:
        if (rotated := _rotation_line(reference, test)) is not None:
            raise InputError(f"sizes differ because the rotations differ: {rotated} ({reference.width}x{reference.height} against "
                             f"{test.width}x{test.height}); give both the same rotation (ffmpeg -display_rotation on a stream "
                             "copy) and compare again")
        raise InputError(
            f"sizes differ: the reference is {reference.width}x{reference.height}, the test {test.width}x{test.height}; "
            "pass --resize to scale the test to the reference's size first")


def fit(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """`frame` scaled to width x height: area averaging to shrink, bicubic to enlarge."""
    if frame.shape[:2] == (height, width):
        return frame
    shrink = width * height < frame.shape[0] * frame.shape[1]
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


class MatchedFrames:
    """The matched frame pairs of two inputs, decoded once in order (two frames in memory at a time).

    Raises InputError (before decoding) for unreadable inputs, sizes that differ without
    `resize`, and lengths that differ without `partial`.
    """

    def __init__(self, reference: str, test: str, resize: bool = False, partial: bool = False,
                 offset: float | None = None) -> None:
        if reference == "-" or test == "-":
            raise InputError("eval reads files and folders, not stdin; save the stream to a file first")
        self.reference_info, self.test_info = probe(reference), probe(test)
        check_sizes(self.reference_info, self.test_info, resize)
        self.notes = geometry_notes(self.reference_info, self.test_info)  # lines for stderr
        self.matching = match_frames(self.reference_info, self.test_info, partial, offset)
        self.pairs = self.matching.pairs

    @property
    def size(self) -> tuple[int, int]:
        return self.reference_info.width, self.reference_info.height

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[FramePair]:
        width, height = self.size
        times = timeline(self.reference_info)
        with open_input(self.reference_info.path, info=self.reference_info) as ref_reader, \
                open_input(self.test_info.path, info=self.test_info) as test_reader:
            refs, tests = enumerate(ref_reader), enumerate(test_reader)
            for ri, ti in self.pairs:
                ref = _advance(refs, ri, self.reference_info.path)
                frame = _advance(tests, ti, self.test_info.path)
                time = float(times[ri]) if times is not None and ri < len(times) else None
                # Metrics are on 8-bit RGB: 16-bit decodes are rounded and alpha is not scored.
                yield FramePair(ri, ti, time, rgb8(ref), fit(rgb8(frame), width, height))


def _advance(frames: Iterator[tuple[int, np.ndarray]], index: int, path: str) -> np.ndarray:
    for i, frame in frames:
        if i == index:
            return frame
    raise InputError(f"{path}: ended before frame {index} that its probe announced; the file may be truncated")
