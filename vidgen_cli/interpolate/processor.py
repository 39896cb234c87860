"""Streaming frame interpolation: frames in, frames out, with bounded state.

Output timing is expressed as positions on the input's frame index axis (frame i sits at i):
`--factor N` asks for every position k/N up to the end of the last frame (its own duration: the
last frame is repeated N-1 times, as ffmpeg's fps and minterpolate filters do, so an n-frame clip
gives n*N frames and keeps its duration), `--fps F` for positions j * src_fps / F until the output
lasts as long as the input. A position between two distinct
frames is rendered by the model at the fraction t between them. Two things change which pair a
position uses:

- Duplicate frames (a held frame in the source) are skipped: positions across a run of
  duplicates are interpolated between the last distinct frame and the next one, so the output
  moves evenly instead of stopping and jumping (stutter). Runs longer than `max_duplicate_run`
  frames are treated as a real pause.
- Shot cuts: never morph across one; positions before the cut hold the old frame.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, Protocol

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.interpolate.engine import WORK_SIDE
from vidgen_cli.vision import scenes
from vidgen_cli.vision.planes import blend
from vidgen_cli.vision.scenes import thumb_score, thumbnail

DEFAULT_MODEL = "flow"  # measured best (bench/interpolate.py): fusion ties it in quality and is slower
MODELS = ("fusion", "flow", "blend")
DEFAULT_SCENE_THRESHOLD = scenes.DEFAULT_THRESHOLD


class Engine(Protocol):
    name: str
    weights_sha256: str | None  # None for the models without learned weights

    def prepare(self, frame0: np.ndarray, frame1: np.ndarray) -> object: ...

    def at(self, state: object, t: float) -> np.ndarray: ...


class BlendEngine:
    """Linear cross-fade: the baseline every motion-based method must beat."""

    name = "blend"
    weights_sha256: str | None = None

    def prepare(self, frame0: np.ndarray, frame1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return frame0, frame1

    def at(self, state: tuple[np.ndarray, np.ndarray], t: float) -> np.ndarray:
        a, b = state
        return blend(a, b, np.full(a.shape[:2], 1 - t, np.float32))


def make_engine(model: str = DEFAULT_MODEL, placement=None, work_side: int = WORK_SIDE) -> Engine:
    """`blend`, `flow`, a shipped learned model name (`fusion` -> weights interp-fusion) or a .pt path.

    work_side: motion is estimated at most at this many pixels on the long side (bounded cost at 4K).
    """
    from vidgen_cli.interpolate.engine import FlowEngine, LearnedEngine

    if work_side < 64:
        raise UsageError(f"the motion size must be at least 64 pixels, got {work_side}")
    if model == "blend":
        return BlendEngine()
    if model == "flow":
        return FlowEngine(work_side=work_side, placement=placement)
    if model.endswith(".pt"):
        return LearnedEngine(model, placement, work_side=work_side)
    if model in MODELS:
        return LearnedEngine(f"interp-{model}", placement, work_side=work_side)
    raise UsageError(f"unknown interpolation model '{model}': use one of {', '.join(MODELS)} or a .pt weights file")


def interpolate_pair(frame0: np.ndarray, frame1: np.ndarray, t: float = 0.5, model: str | Engine = DEFAULT_MODEL,
                     placement=None) -> np.ndarray:
    """The frame at time t in (0, 1) between two frames (same size, uint8 RGB)."""
    if frame0.shape != frame1.shape or frame0.ndim != 3:
        raise UsageError(f"frames must be H x W x 3 of one size, got {frame0.shape} and {frame1.shape}")
    engine = make_engine(model, placement) if isinstance(model, str) else model
    return engine.at(engine.prepare(frame0, frame1), t)


class Interpolator:
    """Turns a stream of frames into a denser one; memory is a few frames whatever the length."""

    def __init__(self, model: str = DEFAULT_MODEL, placement=None, scene_threshold: float = DEFAULT_SCENE_THRESHOLD,
                 duplicate_threshold: float = 0.5, max_duplicate_run: int = 4, work_side: int = WORK_SIDE) -> None:
        """scene_threshold: scene_change_score above which a pair is a cut (1 disables the check).
        duplicate_threshold: mean absolute difference (0-255, on a 64x36 thumbnail) below which a
        frame repeats the previous one (0 disables duplicate handling).
        work_side: long side at which motion is estimated (frames are still warped at full size)."""
        self.engine = make_engine(model, placement, work_side)
        self.placement = placement
        self.scene_threshold = scene_threshold
        self.duplicate_threshold = duplicate_threshold
        self.max_duplicate_run = max_duplicate_run
        self.cuts = 0  # counts for the caller's summary
        self.duplicates = 0

    def fingerprint(self) -> dict[str, Any]:
        """Where the model runs and its exact weights: what a --resume must match besides the options."""
        return {**(self.placement.key() if self.placement else {}), "weights": self.engine.weights_sha256,
                "flow": getattr(self.engine, "flow_kind", None)}

    def processor(self, src_fps: Fraction, factor: int | None = None, target_fps: Fraction | None = None) -> "Retimer":
        """A push-based processor for one stream (runtime/processor.py): resumable between frames."""
        return Retimer(self, src_fps, factor, target_fps)

    def run(self, frames: Iterable[np.ndarray], src_fps: Fraction, factor: int | None = None,
            target_fps: Fraction | None = None) -> Iterator[np.ndarray]:
        """Yield the output frames in order. Exactly one of `factor` (integer >= 2) and `target_fps`."""
        retimer = self.processor(src_fps, factor, target_fps)
        for frame in frames:
            yield from retimer.push(frame)
        yield from retimer.flush()


class Retimer:
    """The timing of one stream: which output positions fall between the frames pushed so far.

    State between two pushes is a few integers and two frames, which `state_dict` hands out so a
    long run can be resumed exactly (see runtime/resume.py).

    Frames may be RGBA and/or 16 bits per channel: alpha moves with the colour's motion.
    """

    takes_alpha = True  # runtime/job.py: hand this processor RGBA and uint16 frames as they are
    takes_deep = True

    def __init__(self, interpolator: Interpolator, src_fps: Fraction, factor: int | None = None,
                 target_fps: Fraction | None = None) -> None:
        if (factor is None) == (target_fps is None):
            raise UsageError("give exactly one of --factor and --fps")
        if factor is not None and (int(factor) != factor or factor < 2):
            raise UsageError(f"--factor must be an integer >= 2, got {factor}")
        if target_fps is not None:
            target_fps = Fraction(target_fps)
            if target_fps <= 0:
                raise UsageError(f"--fps must be positive, got {target_fps}")
        self.owner = interpolator
        self.engine = interpolator.engine
        self.src_fps = Fraction(src_fps)
        self.factor, self.target_fps = factor, target_fps
        self.step = Fraction(1, int(factor)) if factor is not None else self.src_fps / target_fps
        self.next_j = 0  # index of the next output position j * step
        self.index = -1
        self.anchor: tuple[int, np.ndarray, np.ndarray] | None = None  # the last distinct frame (index, frame, thumb)
        self.last: tuple[int, np.ndarray, np.ndarray] | None = None  # the newest frame
        self.paused = False
        self.time_of: Callable[[int], Fraction] | None = None  # input frame -> seconds, for a variable-rate --fps

    def use_input_times(self, time_of: Callable[[int], Fraction]) -> None:
        """Resample a variable-frame-rate input on its real timeline (--fps only): output j plays at
        time_of(0) + j / fps and shows the scene at that instant, between the frames around it.
        (--factor needs no times: its new frames lie at fixed fractions of each interval.)"""
        if self.target_fps is not None:
            self.time_of = time_of

    def _position(self, j: int, index: int) -> Fraction:
        """Output j on the input's index axis; with real times, found inside the interval ending at `index`."""
        if self.time_of is None:
            return j * self.step
        when = self.time_of(0) + j / self.target_fps
        for i in range(max(1, self.anchor[0] + 1 if self.anchor else 1), index + 1):
            start, end = self.time_of(i - 1), self.time_of(i)
            if when < end:
                return i - 1 + max(Fraction(0), (when - start) / (end - start)) if end > start else Fraction(i - 1)
        return Fraction(index)

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        owner = self.owner
        self.index += 1
        index, thumb = self.index, thumbnail(frame)
        out: list[np.ndarray] = []
        if self.anchor is None:
            self.anchor = self.last = (index, frame, thumb)
            return out
        a_idx, a_frame, a_thumb = self.anchor
        self.last = (index, frame, thumb)
        if owner.duplicate_threshold > 0 and float(np.abs(thumb.astype(np.int16) - a_thumb).mean()) < owner.duplicate_threshold:
            owner.duplicates += 1
            self.paused = self.paused or index - a_idx >= owner.max_duplicate_run
            if self.paused:  # a long hold is a real pause: keep it, move only on its last step
                while self._position(self.next_j, index) < index:
                    out.append(a_frame)
                    self.next_j += 1
                self.anchor = self.last
            return out
        self.paused = False
        cut = thumb_score(a_thumb, thumb) > owner.scene_threshold
        owner.cuts += cut
        state = None
        span = index - a_idx  # > 1 after duplicates: spread the motion over the whole span
        while (position := self._position(self.next_j, index)) < index:
            t = float((position - a_idx) / span)
            if t <= 0 or cut:
                out.append(a_frame)
            else:
                if state is None:
                    state = self.engine.prepare(a_frame, frame)
                out.append(self.engine.at(state, t))
            self.next_j += 1
        self.anchor = self.last
        return out

    def flush(self) -> list[np.ndarray]:
        """Trailing duplicates, the last frame, and the last frame's duration (held: --factor N
        repeats it N-1 times, --fps as many times as the rate needs).

        Frames that only looked like duplicates of the anchor at the end of a clip (tiny motion,
        no pause) are interpolated towards the last frame like any other span, not held: holding
        made the near-still clip end stop and jump."""
        if self.last is None or self.anchor is None:
            return []
        a_idx, a_frame, _ = self.anchor
        l_idx, l_frame, _ = self.last
        n = l_idx + 1
        total = n * int(self.factor) if self.factor is not None else max(1, round(self._frames_span(n) * self.target_fps))
        out, state = [], None
        while self.next_j < total:
            position = self._position(self.next_j, l_idx)
            if position >= l_idx:
                out.append(l_frame)
            elif position <= a_idx or self.paused:
                out.append(a_frame)
            else:
                state = state if state is not None else self.engine.prepare(a_frame, l_frame)
                out.append(self.engine.at(state, float((position - a_idx) / (l_idx - a_idx))))
            self.next_j += 1
        return out

    def _frames_span(self, n: int) -> Fraction:
        """How long n input frames play: n / rate, or first to last real time plus the last interval again."""
        if self.time_of is None or n < 2:
            return n / self.src_fps
        last = self.time_of(n - 1)
        return last - self.time_of(0) + (last - self.time_of(n - 2))

    def state_dict(self) -> dict[str, np.ndarray]:
        if self.anchor is None or self.last is None:
            return {"index": np.array(self.index), "next_j": np.array(self.next_j)}
        return {"index": np.array(self.index), "next_j": np.array(self.next_j), "paused": np.array(self.paused),
                "anchor_index": np.array(self.anchor[0]), "anchor_frame": self.anchor[1],
                "last_index": np.array(self.last[0]), "last_frame": self.last[1]}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.index, self.next_j = int(state["index"]), int(state["next_j"])
        if "anchor_frame" in state:
            self.paused = bool(state["paused"])
            anchor, last = state["anchor_frame"], state["last_frame"]
            self.anchor = (int(state["anchor_index"]), anchor, thumbnail(anchor))
            self.last = (int(state["last_index"]), last, thumbnail(last))
