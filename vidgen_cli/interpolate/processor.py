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
  frames are treated as a real pause. A repeat with no motion before it (the first frames of a
  clip or shot, such as black frames before a fade-in) is an ordinary pair: not spread.
- Shot cuts: never morph across one; positions before the cut hold the old frame.

The `flow` model also bends each pixel's straight path between the two frames into the curve
through its positions in the frames before and after the pair (vidgen_cli.vision.multiframe), where
those exist on the same side of any cut or pause; elsewhere the path stays straight.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Protocol

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
                 duplicate_threshold: float = 0.5, max_duplicate_run: int = 4, work_side: int = WORK_SIDE,
                 duplicate_peak: int = 3) -> None:
        """scene_threshold: scene_change_score above which a pair is a cut (1 disables the check).
        duplicate_threshold: mean absolute difference (0-255, on a 64x36 thumbnail) below which a
        frame repeats the previous one (0 disables duplicate handling); duplicate_peak: the largest
        difference of any thumbnail pixel a repeat may have (see `repeats`).
        work_side: long side at which motion is estimated (frames are still warped at full size)."""
        self.engine = make_engine(model, placement, work_side)
        self.placement = placement
        self.scene_threshold = scene_threshold
        self.duplicate_threshold = duplicate_threshold
        self.max_duplicate_run = max_duplicate_run
        self.duplicate_peak = duplicate_peak
        self.cuts = 0  # counts for the caller's summary
        self.duplicates = 0

    def repeats(self, anchor: np.ndarray, thumb: np.ndarray) -> bool:
        """Whether a frame repeats the anchor (thumbnails, uint8): a small mean difference *and* no
        thumbnail pixel off by more than `duplicate_peak` grey levels. The mean alone took a small
        subject moving in a still scene (a signer's hands, a fish, a hand on a bottle) for a repeat and
        spread the motion over the span: -8 to -12 dB on such frames (bottles.mp4); true repeats of
        rate-converted sources differ by codec noise, at most 2-3 levels on the thumbnail."""
        difference = np.abs(thumb.astype(np.int16) - anchor)
        return float(difference.mean()) < self.duplicate_threshold and int(difference.max()) <= self.duplicate_peak

    def fingerprint(self) -> dict[str, Any]:
        """Where the model runs and its exact weights: what a --resume must match besides the options."""
        return {**(self.placement.key() if self.placement else {}), "weights": self.engine.weights_sha256,
                "flow": getattr(self.engine, "flow_kind", None),
                **({"multiframe": True} if getattr(self.engine, "multiframe", False) else {})}

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


class _Back(NamedTuple):
    """The part of a released span's motion the next span uses: flow frame 1 -> frame 0 and its consistency."""

    f10: np.ndarray
    c1: np.ndarray


@dataclass
class _Span:
    """The output positions between two input frames (index start -> end), waiting for the next
    span's motion. ts: one entry per output frame, 0 for frame0 itself, else t in (0, 1)."""

    start: int
    end: int
    frame0: np.ndarray
    frame1: np.ndarray
    ts: list[float]
    state: Any = None  # the engine's PairState, once prepared

    @property
    def renders(self) -> bool:
        return any(t > 0 for t in self.ts)

    def render(self, engine: Engine, state: Any, before: Any, after: Any) -> list[np.ndarray]:
        if before is None and after is None:  # two-frame motion (and engines that take no neighbours)
            return [engine.at(state, t) if t > 0 else self.frame0 for t in self.ts]
        return [engine.at(state, t, before, after) if t > 0 else self.frame0 for t in self.ts]


class Retimer:
    """The timing of one stream: which output positions fall between the frames pushed so far.

    State between two pushes is a few integers and two frames, which `state_dict` hands out so a
    long run can be resumed exactly (see runtime/resume.py). With an engine that follows motion
    through the neighbouring frames (the `flow` model), one pair waits for the next one's motion
    (one input frame of latency): its two frames, its flows and the previous pair's backward flow
    are in the state too, so memory stays a few frames and a resumed run gives the same frames.

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
        self.moved = False  # whether the anchor was reached by motion (not the first frame, not after a cut)
        self.pending: _Span | None = None  # the span whose frames wait for the next span's motion
        self.before: tuple[int, int, Any] | None = None  # (start, end, flows) of the span released last
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
        repeat = owner.duplicate_threshold > 0 and owner.repeats(a_thumb, thumb)
        # Stutter is a repeat inside motion; a repeat with no motion before it (the start of a clip
        # or shot: black frames before a fade-in) is an ordinary pair, never spread over what follows.
        if repeat and self.moved:
            owner.duplicates += 1
            self.paused = self.paused or index - a_idx >= owner.max_duplicate_run
            if self.paused:  # a long hold is a real pause: keep it, move only on its last step
                out += self._release(None)
                while self._position(self.next_j, index) < index:
                    out.append(a_frame)
                    self.next_j += 1
                self.anchor = self.last
            return out
        self.paused = False
        cut = thumb_score(a_thumb, thumb) > owner.scene_threshold
        owner.cuts += cut
        self.moved = not cut and not repeat
        ts: list[float] = []
        span = index - a_idx  # > 1 after duplicates: spread the motion over the whole span
        while (position := self._position(self.next_j, index)) < index:
            ts.append(0.0 if cut else max(0.0, float((position - a_idx) / span)))
            self.next_j += 1
        self.anchor = self.last
        if cut:  # never morph across a cut: the old frame holds, and no path continues through it
            return self._release(None) + [a_frame] * len(ts)
        return out + self._queue(_Span(a_idx, index, a_frame, frame, ts))

    def _queue(self, span: "_Span") -> list[np.ndarray]:
        """Render the waiting span now that the next one is known, and keep this one waiting (one
        pair of look-ahead: a pair's frames need the next pair's motion). Engines that use no
        neighbours render at once."""
        if not getattr(self.engine, "multiframe", False):
            return span.render(self.engine, self.engine.prepare(span.frame0, span.frame1) if span.renders else None, None, None)
        waiting = self.pending
        if span.renders or (waiting is not None and waiting.renders):  # its frames, or the waiting span's, need its motion
            span.state = self.engine.prepare(span.frame0, span.frame1)
        out = self._release(span)
        self.pending = span
        return out

    def _release(self, following: "_Span | None") -> list[np.ndarray]:
        """The waiting span's frames, with the next span's motion where there is one (and the one
        before it, kept from when it waited)."""
        waiting, self.pending = self.pending, None
        if waiting is None:
            return []
        previous = self.before if self.before is not None and self.before[1] == waiting.start else None
        self.before = (waiting.start, waiting.end, waiting.state.flows) if waiting.state is not None else None
        if not waiting.renders:
            return waiting.render(self.engine, None, None, None)
        length = waiting.end - waiting.start
        ahead = following if following is not None and following.state is not None else None
        nearby = self.engine.neighbours(previous[2] if previous else None, ahead.state.flows if ahead else None,
                                        ((previous[1] - previous[0]) / length if previous else 1.0,
                                         (ahead.end - ahead.start) / length if ahead else 1.0))
        return waiting.render(self.engine, waiting.state, *nearby)

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
        ts: list[float] = []
        while self.next_j < total and (position := self._position(self.next_j, l_idx)) < l_idx:
            ts.append(0.0 if position <= a_idx or self.paused else float((position - a_idx) / (l_idx - a_idx)))
            self.next_j += 1
        out = self._queue(_Span(a_idx, l_idx, a_frame, l_frame, ts)) if ts and not self.paused else self._release(None) + [a_frame] * len(ts)
        out += self._release(None)
        out += [l_frame] * (total - self.next_j)
        self.next_j = max(self.next_j, total)
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
        state = {"index": np.array(self.index), "next_j": np.array(self.next_j), "paused": np.array(self.paused),
                 "moved": np.array(self.moved),
                 "anchor_index": np.array(self.anchor[0]), "anchor_frame": self.anchor[1],
                 "last_index": np.array(self.last[0]), "last_frame": self.last[1]}
        if self.pending is not None:  # the waiting span, its motion, and the motion before it: resumed exactly
            p = self.pending
            state.update({"pending_span": np.array([p.start, p.end]), "pending_ts": np.array(p.ts, np.float64),
                          "pending_frame0": p.frame0, "pending_frame1": p.frame1})
            if p.state is not None:
                flows = p.state.flows
                state.update({"pending_f01": flows.f01, "pending_f10": flows.f10, "pending_c0": flows.c0, "pending_c1": flows.c1})
        if self.before is not None:
            state.update({"before_span": np.array(self.before[:2]), "before_f10": self.before[2].f10, "before_c1": self.before[2].c1})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.index, self.next_j = int(state["index"]), int(state["next_j"])
        if "anchor_frame" in state:
            self.paused = bool(state["paused"])
            self.moved = bool(state.get("moved", True))  # saved before it was kept: spread as then
            anchor, last = state["anchor_frame"], state["last_frame"]
            self.anchor = (int(state["anchor_index"]), anchor, thumbnail(anchor))
            self.last = (int(state["last_index"]), last, thumbnail(last))
        self.pending = self.before = None
        if "pending_span" in state:
            start, end = (int(x) for x in state["pending_span"])
            self.pending = _Span(start, end, state["pending_frame0"], state["pending_frame1"], [float(t) for t in state["pending_ts"]])
            if "pending_f01" in state:
                arrays = {k[len("pending_"):]: v for k, v in state.items() if k.startswith("pending_")}
                self.pending.state = self.engine.restore(arrays)
        if "before_span" in state:
            start, end = (int(x) for x in state["before_span"])
            self.before = (start, end, _Back(state["before_f10"], state["before_c1"]))
