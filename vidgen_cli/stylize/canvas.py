"""The flow canvas: temporal consistency for `consistency="flow"` without ghosts, smears or blocks.

Why it looks the way it does (measured on ../shared/data/video-train, see bench/stylize.py): the
Magenta network turns sub-pixel motion and codec noise into different brush strokes every frame, so
per-frame output flickers ~30x more than the input. Blending each output with the flow-warped
previous output averages two unrelated stroke patterns and re-interpolates the image every frame:
it halves sharpness and smears moving content into its wake.

Instead the canvas holds a few *keys*: full stylizations of earlier frames, each with, per pixel,
where that pixel has moved to since (flows are chained, the image is not), so a key is resampled
only once per output frame (Lanczos) and its strokes travel with the content and stay sharp.
A pixel of a key stays valid while the motion explains it: the forward-backward flow check holds,
it has not left the frame, and the key frame's *input* colour carried along still matches the
current input. Each output pixel shows the oldest key still valid there; where none is, the current
frame's stylization (so a disoccluded pavement shows the pavement's stylization, never the wake of
what covered it). When too much of the frame is uncovered (10%: each key made while an object is in
view freezes the object's influence on its surroundings, so fewer keys leave fewer ghosts), the
current stylization becomes a new key: it is what those pixels already showed, so a re-key changes
nothing on screen. A key is resampled only over the bounding box of the pixels it shows. A key older than
`max_age` frames, or pushed out by a newer one, fades out over `fade_frames` frames, so the newer
key blends in rather than pops. All masks are feathered (eroded, then Gaussian-blurred), so no
block of the flow's patch grid or mask border shows as a hard edge.

Opt-in (`CARRIED_BLEND`; off by default: on the held-out clips it was sharper but no steadier):
where no key shows (moving content, disocclusions: the larger share of the warping error on
video-train), the output can be a temporal blend instead of the raw stylization (Bonneel et al.
2015, Lai et al. 2018): the previous output carried one frame along the motion, moved `fresh_rate` of the way
to the current stylization, where that one step is trusted (a looser forward-backward check,
`fresh_slack`, and the input held within `fresh_match` grey levels; feathered). Averaging two stroke
patterns lowers their contrast, so the blend's detail (above a Gaussian of `fresh_detail` pixels) is
scaled back up to the current stylization's local detail energy (at most 2x; cf. Heitz & Neyret 2018,
histogram-preserving blending). New keys take this blend, so a re-key still changes nothing on
screen; a calm re-key (below) takes the raw stylization, which holds no carried halo. Last, wherever
the output's detail is weaker than the current stylization's (key blends, fades, feathers, the
resampling's high-frequency loss), `keep_detail` scales it up the same way by at most `keep_gain`.

At the frame edges a key's coordinates are chained as displacements extended past the edge, and a
source more than half a pixel outside the frame is outside: content that drifts in is never shown
as a clamped border row or column of an old key (a streak; tests/test_stylize_edges.py).

The network's receptive field is large: an object changes the stylization of its surroundings (a
pale halo). A key made while the object was in view would keep that halo after the object left,
although the input there never changed; and near a moving object the flow bleeds, so the keys'
coordinates drift there while the colour check still passes. Two defences:
- Tone: the output's coarse tone (cells of `tone_cell` pixels) is the current stylization's, carried
  along the motion with a temporal low-pass (`tone_rate`: an exponential moving average, reset where
  the motion is inconsistent or the input's own coarse tone changed): the key supplies the brush
  strokes, the frames their colour field, and the network's coarse-tone flicker is averaged out.
- Busy pixels: each key marks, in the current frame, where moving content passed near it
  (within `halo_radius` of forward-backward failures: occlusion edges of moving content).
  When more than `calm_above` of the frame is shown from busy pixels whose motion has gone, the
  current stylization (made with the motion gone: no halo) becomes a new key and the older keys
  fade their busy pixels out over `fade_frames`, so the new key shows there.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli import optical_flow
from vidgen_cli.stylize import canvas_ops as ops
from vidgen_cli.vision.flow import forward_backward_mask, pixel_grid, to_gray


CARRIED_BLEND = {"fresh_rate": 0.5, "keep_detail": 1.5}  # opt-in: the carried blend and detail match
# (tuned on video-train; on the held-out clips sharper, warping error equal or a little higher: see
# CHANGELOG), as CanvasSettings(**CARRIED_BLEND)


@dataclass
class CanvasSettings:
    """Knobs of the flow canvas (defaults tuned on ../shared/data/video-train with bench/stylize_canvas.py)."""

    flow_preset: str = "fast"  # DIS preset, on processing-size frames (medium: smoother flow, fewer disocclusions found: ghosts)
    fb_tolerance: float = 0.01  # forward-backward check: |f + b|^2 < tol * (|f|^2 + |b|^2) + slack
    fb_slack: float = 0.5  # pixels^2
    colour_tolerance: float = 20.0  # abs grey difference (0-255, 5x5 mean) between carried and current input
    exposure_allowance: float = 24.0  # grey levels of smooth (exposure, light) change not held against a key
    new_key_above: float = 0.1  # make a new key when more than this fraction of the frame is uncovered
    max_keys: int = 3  # keys held at once (each costs one remap chain per frame)
    max_age: int = 150  # frames after which a key fades out (flow drift accumulates)
    fade_frames: int = 6  # frames over which a retired key fades out
    feather: float = 2.0  # pixels: Gaussian sigma of the mask edges (at processing size)
    speck: int = 5  # pixels: invalid specks and valid islands smaller than this are ignored
    tone_cell: int = 16  # pixels: the output's tone at this scale follows the current stylization (0: off)
    tone_rate: float = 0.35  # per frame, how far the carried tone moves to the current one (1: no memory)
    tone_reset: float = 12.0  # grey levels: where the input's coarse tone changed more, the tone is the current one
    halo_radius: int = 16  # pixels: a key's pixels this near to moving content may hold its halo or drifted coordinates (0: off)
    key_interp: int = cv2.INTER_LANCZOS4  # how a key is resampled (one resampling per output frame)
    calm_above: float = 0.1  # re-key when this fraction of the frame shows such pixels with the motion gone
    calm_after: int = 6  # frames: such a re-key waits this long after the last key
    fresh_rate: float = 1.0  # where no key shows: how far the output moves from the carried previous output to the current stylization (1: no memory)
    fresh_match: float = 24.0  # grey levels: the carried previous output is trusted where the input held within this
    fresh_slack: float = 8.0  # pixels^2: the forward-backward slack for carrying the previous output
    fresh_detail: float = 1.5  # pixels: the carried blend's detail above this Gaussian sigma is brought back to the current stylization's local contrast (0: off)
    keep_gain: float = 1.25  # the most keep_detail scales the detail up by
    keep_detail: float = 0.0  # pixels: where sources blend, their detail above this Gaussian sigma keeps its contrast (0: off)


class _Key:
    """One key: a stylized frame, its input, and where each current pixel lies in it."""

    def __init__(self, gray: np.ndarray, image: np.ndarray, busy: np.ndarray | None = None) -> None:
        h, w = gray.shape
        self.gray = gray
        # uint8 0-255, current frame: moving content passed near since the key was made (its halo, or
        # drifted coordinates, may be there)
        self.busy = np.zeros((h, w), np.uint8) if busy is None else busy
        self.shed = 0  # frames since the key began shedding its busy pixels (0: not shedding)
        self.image = np.clip(image + 0.5, 0, 255).astype(np.uint8)  # uint8: fast Lanczos remaps
        self.coords = pixel_grid(h, w).copy()
        self.valid = np.ones((h, w), np.float32)
        self.age = 0
        self.fade = 1.0  # 1 while live; falls to 0 once retired
        self.retired = False
        self.share = 1.0  # fraction of the last output it supplied

    def arrays(self) -> dict[str, np.ndarray]:
        meta = np.array([self.age, self.fade, float(self.retired), self.shed], np.float64)
        return {"gray": self.gray, "image": self.image, "coords": self.coords, "valid": self.valid, "busy": self.busy, "meta": meta}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "_Key":
        key = cls.__new__(cls)
        key.gray, key.image = np.array(arrays["gray"]), np.array(arrays["image"])
        key.coords, key.valid = np.array(arrays["coords"]), np.array(arrays["valid"])
        key.busy = np.array(arrays["busy"]) if "busy" in arrays else np.zeros(key.gray.shape, np.uint8)
        age, fade, retired, shed = (list(float(v) for v in arrays["meta"]) + [0.0])[:4]
        key.age, key.fade, key.retired, key.share, key.shed = int(age), fade, bool(retired), 1.0, int(shed)
        return key


@dataclass
class _Advance:
    """What moving the canvas by one frame yields for the blend (see FlowCanvas._advance)."""

    shown: np.ndarray  # H x W x 3 float32: the keys' contribution, each pixel from the oldest key valid there
    rest: np.ndarray  # H x W x 1 float32: the share no key claims (the current stylization's)
    uncovered: float  # fraction of the frame no live key covers
    stale: float  # fraction of the frame shown from keys' busy pixels now far from any motion
    busy: np.ndarray | None  # H x W uint8 0-255: near moving content now (None: halo_radius 0)
    carry: tuple | None  # (remap maps to the previous frame, H x W float32 trust 0-1) for fresh_rate < 1
    tone_step: tuple | None  # on the tone grid: where each cell was one frame ago (x, y) and where it
    # settled (1: the motion explains it and its input tone held); None without tone memory


class FlowCanvas:
    """The temporal state for `consistency="flow"`: see the module docstring."""

    def __init__(self, settings: CanvasSettings | None = None, placement=None) -> None:
        """placement: where the models run; motion is estimated there too (vidgen_cli.optical_flow)."""
        self.settings = settings or CanvasSettings()
        self._flow = optical_flow.estimator(placement, self.settings.flow_preset)
        self._worker: ThreadPoolExecutor | None = None
        self.reset()
        self.keys_made = 0  # how many keys were made (diagnostics)
        self.calm_keys = 0  # how many of them were made because busy pixels calmed (diagnostics)
        self.uncovered = 0.0  # fraction of the last frame shown from the current stylization alone
        self.last_rest: np.ndarray | None = None  # H x W x 1: the last output's share from the current stylization

    @property
    def keys(self) -> int:
        return self.keys_made

    def reset(self) -> None:
        self._prev_in: np.ndarray | None = None
        self._keys: list[_Key] = []  # oldest first
        self._tone: np.ndarray | None = None  # float32 tone grid (cells of tone_cell) x 3: the carried coarse tone
        self._pending: tuple[np.ndarray, np.ndarray, Future[_Advance]] | None = None  # content, its grey, the move
        self._prev_out: np.ndarray | None = None  # float32 H x W x 3: the last output (fresh_rate < 1)

    # -- state, for resuming a stream ------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat name -> array mapping of the whole temporal state (empty before the first frame)."""
        if self._prev_in is None:
            return {}
        state = {"prev_in": self._prev_in, "key_count": np.array(len(self._keys))}
        if self._tone is not None:
            state["tone"] = self._tone
        if self._prev_out is not None:
            state["prev_out"] = self._prev_out
        for i, key in enumerate(self._keys):
            state.update({f"key{i}_{name}": value for name, value in key.arrays().items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.reset()
        if "prev_in" not in state:
            return
        self._prev_in = np.array(state["prev_in"])
        self._tone = np.array(state["tone"]) if "tone" in state else None
        self._prev_out = np.array(state["prev_out"]) if "prev_out" in state else None
        names = ("gray", "image", "coords", "valid", "busy", "meta")
        count = int(state["key_count"])
        self._keys = [_Key.from_arrays({n: state[f"key{i}_{n}"] for n in names if f"key{i}_{n}" in state})
                      for i in range(count)]

    # -- moving the keys -------------------------------------------------------------------

    def prepare(self, content: np.ndarray) -> None:
        """Start moving the canvas to `content` in a worker thread.

        Motion, the keys' coordinates, which pixels stay valid and the carried keys depend on the
        inputs and the keys only, so they can run while the network stylizes the frame (OpenCV and
        torch both release the GIL). `step` waits for them.
        """
        gray = to_gray(content)
        if self._prev_in is None or self._prev_in.shape != gray.shape:
            self._pending = None
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidgen-canvas")
        self._pending = (content, gray, self._worker.submit(self._advance, gray, self._prev_in))

    def _advance(self, gray: np.ndarray, prev_gray: np.ndarray) -> _Advance:
        """Move every key by the motion from `prev_gray` to `gray` (updates coordinates and validity)."""
        s = self.settings
        if hasattr(self._flow, "both"):  # one batch on the device
            back, fwd = self._flow.both(gray, prev_gray)  # current -> previous, previous -> current
        else:
            back, fwd = self._flow(gray, prev_gray), self._flow(prev_gray, gray)
        consistent = forward_backward_mask(back, fwd, s.fb_tolerance, s.fb_slack).astype(np.uint8)
        ok = cv2.erode(consistent, np.ones((3, 3), np.uint8))  # motion edges are unreliable
        h, w = gray.shape
        grid = pixel_grid(h, w)
        map_x, map_y = grid[..., 0] + back[..., 0], grid[..., 1] + back[..., 1]
        # content entering at the frame edges has no history: a source more than half a pixel
        # outside the frame is outside (within half a pixel it is the border pixel's own footprint)
        source_inside = ops.within(map_x, map_y, w, h).astype(np.uint8)
        ok &= source_inside
        ok_f = ok.astype(np.float32)
        step_maps = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)  # fixed point: ~2x faster remaps
        radius = max(1, round(s.feather))
        shrink = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
        speck = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (s.speck, s.speck))
        step_xy = np.dstack([map_x, map_y])  # where each pixel was one frame ago, shared by every key
        weights = []
        for key in self._keys:
            # chain the flow into the key's coordinates: the *displacement* since the key is resampled
            # (smooth: bilinear is harmless) and extended past the frame edges as it stands there, so
            # a pixel whose history lies outside the frame gets coordinates outside the key (never a
            # clamped border row of it: a streak)
            moved_by = cv2.remap(key.coords - grid, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            key.coords = moved_by + step_xy
            cx, cy = key.coords[..., 0], key.coords[..., 1]
            inside = ops.within(cx, cy, w, h).astype(np.float32)
            key_maps = cv2.convertMaps(cx, cy, cv2.CV_16SC2)
            still_matches = (_mismatch(gray, ops.pull(key.gray, key_maps), s) < s.colour_tolerance).astype(np.float32)
            moved = (ops.pull(key.valid, step_maps) > 0.5).astype(np.float32)
            key.valid = moved * ok_f * inside * still_matches
            key.age += 1
            # specks closed, islands opened, then feathered inside the valid area: soft edges that
            # never reach into an invalid region, and no speckled half-weights that average strokes;
            # the morphology must not close a thin strip along a frame edge whose history is outside
            clean = cv2.morphologyEx(cv2.morphologyEx(key.valid, cv2.MORPH_CLOSE, speck), cv2.MORPH_OPEN, speck)
            clean *= inside * ok_f
            soft = cv2.GaussianBlur(cv2.erode(clean, shrink), (0, 0), s.feather)
            weights.append((soft, key_maps, None))
        busy = ops.near((1 - consistent) & source_inside, s.halo_radius) if s.halo_radius > 0 else None
        for i, key in enumerate(self._keys if busy is not None else []):
            key.busy = np.maximum(ops.pull(key.busy, step_maps), busy)
            busy_here = key.busy.astype(np.float32) / 255
            soft = weights[i][0]
            if key.shed:  # its busy pixels fade out: the newer key made with the motion gone shows there
                key.shed += 1
                soft = soft * (1.0 - busy_here * min(1.0, key.shed / max(1, s.fade_frames)))
                if key.shed > s.fade_frames:  # shed: those pixels are invalid now, and the key takes new ones
                    key.valid *= (busy_here < 0.5)
                    key.busy[:], key.shed = 0, 0
            weights[i] = (soft, weights[i][1], busy_here)
        tone_step = None
        if s.tone_rate < 1.0 and s.tone_cell > 1:  # the motion on the tone grid; where the input tone changed, no memory
            size = ops.cells(w, h, s.tone_cell)
            cx = (cv2.resize(map_x, size, interpolation=cv2.INTER_AREA) + 0.5) * (size[0] / w) - 0.5
            cy = (cv2.resize(map_y, size, interpolation=cv2.INTER_AREA) + 0.5) * (size[1] / h) - 0.5
            tone_in = cv2.resize(gray.astype(np.float32), size, interpolation=cv2.INTER_AREA)
            tone_prev = cv2.resize(prev_gray.astype(np.float32), size, interpolation=cv2.INTER_AREA)
            held = np.abs(tone_in - cv2.remap(tone_prev, cx, cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)) < s.tone_reset
            tone_step = (cx, cy, cv2.resize(ok_f, size, interpolation=cv2.INTER_AREA) * held)
        carry = None
        if s.fresh_rate < 1.0:
            held = cv2.blur(np.abs(gray.astype(np.float32) - ops.pull(prev_gray, step_maps).astype(np.float32)), (5, 5)) < s.fresh_match
            loose = ok if s.fresh_slack <= s.fb_slack else (forward_backward_mask(back, fwd, s.fb_tolerance, s.fresh_slack) & source_inside.astype(bool)).astype(np.uint8)
            trust = cv2.GaussianBlur(cv2.erode((loose & held).astype(np.float32), shrink), (0, 0), s.feather)
            self.last_trust = trust
            carry = (step_maps, trust)
        return self._compose(weights, (h, w), busy, tone_step, carry)

    def _compose(self, weights: list[tuple], size: tuple[int, int], busy: np.ndarray | None,
                 tone_step: tuple | None, carry: tuple | None = None) -> _Advance:
        """Retire keys, then show each pixel from the oldest key valid there (see step)."""
        alive = self._retire()
        h, w = size
        shown = np.zeros((h, w, 3), np.float32)
        rest = np.ones((h, w), np.float32)  # what no key claims yet
        live_rest = np.ones((h, w), np.float32)  # the same, counting live keys only
        stale = 0.0
        for key, (weight, key_maps, busy_here) in zip(self._keys, [wm for wm, keep in zip(weights, alive) if keep]):
            claim = weight * key.fade * rest
            key.share = float(claim.mean())
            box = ops.box(claim > 1e-3)
            if box is not None:  # one Lanczos resampling from the key (sharp), only where it shows
                ys, xs = box
                image = ops.pull(key.image, (key_maps[0][ys, xs], key_maps[1][ys, xs]), self.settings.key_interp)
                shown[ys, xs] += claim[ys, xs, None] * image
            rest -= claim
            if busy_here is not None and not key.shed:  # busy when made, calm now: may show a stale halo
                stale += float((claim * busy_here * (1.0 - busy.astype(np.float32) / 255)).mean())
            if not key.retired:
                live_rest *= 1.0 - weight
        return _Advance(shown, rest[..., None], float((live_rest > 0.5).mean()), stale, busy, carry, tone_step)

    # -- the output ------------------------------------------------------------------------

    def step(self, content: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """content: processing-size uint8 input; stylized: float32 stylization of it. Returns float32."""
        pending, self._pending = self._pending, None
        prepared = pending is not None and pending[0] is content
        gray = pending[1] if prepared else to_gray(content)
        if self._prev_in is None or self._prev_in.shape != gray.shape:
            self._keys = []
            self._new_key(gray, stylized)
            self._prev_in = gray
            self.uncovered, self.last_rest = 1.0, None
            self._tone = None
            self._prev_out = stylized if self.settings.fresh_rate < 1.0 else None
            return stylized
        # step() without prepare() for this frame: move the canvas here
        moved = pending[2].result() if prepared else self._advance(gray, self._prev_in)
        fresh = stylized
        if moved.carry is not None and self._prev_out is not None and self._prev_out.shape == stylized.shape:
            maps, trust = moved.carry
            box = ops.box(moved.rest[..., 0] * trust > 1e-3)
            if box is not None:
                ys, xs = box
                fresh = stylized.copy()
                carried = ops.pull(self._prev_out, (maps[0][ys, xs], maps[1][ys, xs]))
                keep = (1.0 - self.settings.fresh_rate) * trust[ys, xs, None]
                fresh[ys, xs] += keep * (carried - stylized[ys, xs])
                if self.settings.fresh_detail > 0:
                    fresh[ys, xs] = ops.matched_detail(fresh[ys, xs], stylized[ys, xs], self.settings.fresh_detail)
        out = moved.shown + moved.rest * fresh
        if self.settings.keep_detail > 0:
            out = ops.matched_detail(out, stylized, self.settings.keep_detail, self.settings.keep_gain)
        if self.settings.tone_cell > 1:
            h, w = gray.shape
            size = ops.cells(w, h, self.settings.tone_cell)
            tone = self._tone_of(cv2.resize(stylized, size, interpolation=cv2.INTER_AREA), moved.tone_step)
            out += cv2.resize(tone - cv2.resize(out, size, interpolation=cv2.INTER_AREA), (w, h), interpolation=cv2.INTER_LINEAR)
        np.clip(out, 0, 255, out=out)
        self._prev_out = out if self.settings.fresh_rate < 1.0 else None
        self._prev_in = gray
        self.uncovered, self.last_rest = moved.uncovered, moved.rest
        s = self.settings
        if moved.busy is not None and moved.stale > s.calm_above and min((k.age for k in self._keys), default=0) >= s.calm_after:
            for key in self._keys:  # the motion near their busy pixels is gone: a fresh key takes those over
                key.shed = max(key.shed, 1) if key.busy.any() else key.shed
            self._new_key(gray, stylized, moved.busy)  # not the carried blend: it may still hold the halo
            self.calm_keys += 1
        elif self.uncovered > s.new_key_above:
            self._new_key(gray, fresh, moved.busy)
        return out

    def _tone_of(self, current: np.ndarray, tone_step: tuple | None) -> np.ndarray:
        """The output's coarse tone on the tone grid: the current stylization's (`current`), or with
        `tone_rate` < 1 an exponential moving average of it carried along the motion (reset where
        the motion or the input tone changed)."""
        s = self.settings
        if tone_step is None or self._tone is None or self._tone.shape != current.shape:
            self._tone = current if s.tone_rate < 1.0 else None
            return current
        cx, cy, settled = tone_step
        carried = cv2.remap(self._tone, cx, cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        rate = (s.tone_rate + (1.0 - s.tone_rate) * (1.0 - settled))[..., None]
        self._tone = carried + rate * (current - carried)
        return self._tone

    def _new_key(self, gray: np.ndarray, stylized: np.ndarray, busy: np.ndarray | None = None) -> None:
        """The current stylization becomes a key (it is what uncovered pixels showed: no pop)."""
        live = [k for k in self._keys if not k.retired]
        if len(live) >= self.settings.max_keys:
            min(live, key=lambda k: k.share).retired = True  # the least visible makes room, fading out
        self._keys.append(_Key(gray, stylized, busy))
        self.keys_made += 1

    def _retire(self) -> list[bool]:
        """Retire keys past max_age or no longer valid anywhere; fade retired keys; drop faded ones.
        Returns, per key before dropping, whether it was kept."""
        s = self.settings
        alive = []
        for key in self._keys:
            if key.age >= s.max_age or float(key.valid.mean()) < 0.005:
                key.retired = True
            if key.retired:
                key.fade -= 1.0 / max(1, s.fade_frames)
            alive.append(key.fade > 0)
        self._keys = [key for key, keep in zip(self._keys, alive) if keep]
        return alive


def _mismatch(gray: np.ndarray, carried: np.ndarray, s: CanvasSettings) -> np.ndarray:
    """How far the carried key input is from the current input (5x5 mean abs grey difference),
    after taking out a smooth difference of up to `exposure_allowance` grey levels."""
    diff = gray.astype(np.float32) - carried.astype(np.float32)
    smooth = np.clip(ops.coarse(diff, 16), -s.exposure_allowance, s.exposure_allowance)
    return cv2.blur(np.abs(diff - smooth), (5, 5))
