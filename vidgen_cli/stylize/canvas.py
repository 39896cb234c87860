"""Streaming arbitrary-style video stylization with flicker control.

`Stylizer(style=[...]).run(frames)` turns an iterable of H x W x 3 uint8 RGB frames into stylized
frames of the same size, holding only a few processing-size arrays of state, so memory stays flat
however long (or large: frames are processed at `max_side`) the video is.

Why the temporal method looks the way it does (measured on ../shared/data/video, see bench/stylize.py):
the Magenta network turns sub-pixel motion and codec noise into different brush strokes every frame,
so per-frame output flickers ~30x more than the input. Blending each output with the flow-warped
previous output cuts flicker but averages two unrelated stroke patterns (and re-interpolates the
image every frame), which halves sharpness and smears. Instead we keep a *canvas*: the stylized key
frame plus, per pixel, where that pixel has moved to since (flows are chained, the image is not), and
we resample the key frame only once per output frame (Lanczos), so strokes travel with the content and
stay sharp. A pixel stays on the canvas while the forward-backward flow check holds and the key
frame's *input* colour carried along still matches the current input; other pixels (disocclusions,
changes) take the new stylization, blended with the warped previous output where that is reliable.
The canvas is re-keyed when too little of it remains valid, and reset at shot cuts."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli.vision.flow import DISFlow, forward_backward_mask, pixel_grid, to_gray

# --------------------------------------------------------------------------- temporal canvas


@dataclass
class CanvasSettings:
    """Knobs of the flow canvas (defaults measured on ../shared/data/video, see bench/stylize.py)."""

    flow_preset: str = "fast"  # DIS preset, on processing-size frames (medium: ~3x slower, no steadier)
    colour_tolerance: float = 20.0  # abs grey difference (0-255, 5x5 mean) between carried and current input
    rekey_below: float = 0.8  # re-key when less than this fraction of the canvas is still valid
    blend: float = 0.5  # weight of the warped previous output where a pixel leaves the canvas
    blend_sigma: float = 12.0  # colour distance (0-255) at which that weight has fallen to 1/e


class FlowCanvas:
    """The temporal state for `consistency="flow"`: see the module docstring."""

    def __init__(self, settings: CanvasSettings | None = None) -> None:
        self.settings = settings or CanvasSettings()
        self._flow = DISFlow(self.settings.flow_preset)
        self._worker: ThreadPoolExecutor | None = None
        self.reset()
        self.keys = 0  # how many times the canvas was (re)keyed, for diagnostics

    def reset(self) -> None:
        self._prev_in: np.ndarray | None = None
        self._pending: tuple[np.ndarray, np.ndarray, Future[_Advance]] | None = None  # content, its grey, the move

    def _key(self, gray: np.ndarray, output: np.ndarray) -> None:
        h, w = gray.shape
        self._key_gray = gray
        self._key_out = np.clip(output + 0.5, 0, 255).astype(np.uint8)  # uint8: fast Lanczos remaps
        self._coords = pixel_grid(h, w).copy()
        self._valid = np.ones((h, w), np.float32)
        self.keys += 1

    _STATE = ("prev_in", "prev_out", "key_gray", "key_out", "coords", "valid")

    def state_dict(self) -> dict[str, np.ndarray]:
        """The canvas between two frames (empty before the first frame of a shot): the previous
        input (grey) and output, the key frame (grey and stylized), its coordinates and validity."""
        if self._prev_in is None:
            return {}
        return {name: getattr(self, f"_{name}") for name in self._STATE}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Continue from `state_dict()`'s result (an empty dict resets the canvas)."""
        self.reset()
        if state:
            for name in self._STATE:
                setattr(self, f"_{name}", np.array(state[name]))

    def prepare(self, content: np.ndarray) -> None:
        """Start moving the canvas to `content` in a worker thread.

        Motion, the canvas coordinates, which pixels stay on it and the carried key frame depend on
        the inputs and the key only, so they can run while the network stylizes the frame (OpenCV
        and torch both release the GIL): ~1.2x faster at 720p on 2 cores. `step` waits for them.
        """
        gray = to_gray(content)
        if self._prev_in is None or self._prev_in.shape != gray.shape:
            self._pending = None
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidgen-canvas")
        self._pending = (content, gray, self._worker.submit(self._advance, gray, self._prev_in))

    def _advance(self, gray: np.ndarray, prev_gray: np.ndarray) -> _Advance:
        """Move the canvas by the motion from `prev_gray` to `gray` (updates coordinates and validity)."""
        s = self.settings
        back = self._flow(gray, prev_gray)  # current -> previous
        fwd = self._flow(prev_gray, gray)
        ok = forward_backward_mask(back, fwd).astype(np.uint8)
        ok = cv2.erode(ok, np.ones((3, 3), np.uint8))  # motion edges are unreliable
        h, w = gray.shape
        grid = pixel_grid(h, w)
        map_x, map_y = grid[..., 0] + back[..., 0], grid[..., 1] + back[..., 1]
        # content entering at the frame edges has no history (do not trust replicated borders)
        ok &= ((map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)).astype(np.uint8)
        ok_f = ok.astype(np.float32)
        step_maps = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)  # fixed point: ~2x faster remaps

        # chain the flow into the canvas coordinates (smooth fields: bilinear is harmless here)
        self._coords = cv2.remap(self._coords, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        cx, cy = self._coords[..., 0], self._coords[..., 1]
        inside = ((cx >= 0) & (cx <= w - 1) & (cy >= 0) & (cy <= h - 1)).astype(np.float32)
        key_maps = cv2.convertMaps(cx, cy, cv2.CV_16SC2)
        mismatch = cv2.blur(cv2.absdiff(gray, _pull(self._key_gray, key_maps)), (5, 5))
        still_matches = (mismatch < s.colour_tolerance).astype(np.float32)
        self._valid = _pull(self._valid, step_maps) * ok_f * inside * still_matches
        weight = (cv2.GaussianBlur(self._valid, (0, 0), 1.5) * self._valid)[..., None]  # feathered seams
        carried = _pull(self._key_out, key_maps, cv2.INTER_LANCZOS4)  # one resampling from the key: sharp

        # how far a pixel off the canvas may lean on the warped previous output: by input similarity
        change = cv2.absdiff(gray, _pull(prev_gray, step_maps)).astype(np.float32)
        mix = (s.blend * np.exp(-np.square(change) / s.blend_sigma**2) * ok_f)[..., None]
        return _Advance(step_maps, weight, carried, mix)

    def step(self, content: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """content: processing-size uint8 input; stylized: float32 stylization of it. Returns float32."""
        pending, self._pending = self._pending, None
        prepared = pending is not None and pending[0] is content
        gray = pending[1] if prepared else to_gray(content)
        if self._prev_in is None or self._prev_in.shape != gray.shape:
            self._prev_in, self._prev_out = gray, stylized
            self._key(gray, stylized)
            return stylized
        # step() without prepare() for this frame: move the canvas here
        moved = pending[2].result() if prepared else self._advance(gray, self._prev_in)
        # pixels off the canvas: new stylization, pulled towards the warped previous output if reliable
        fill = stylized + moved.mix * (_pull(self._prev_out, moved.step_maps) - stylized)
        out = fill + moved.weight * (moved.carried.astype(np.float32) - fill)
        np.clip(out, 0, 255, out=out)
        self._prev_in, self._prev_out = gray, out
        if float(self._valid.mean()) < self.settings.rekey_below:
            self._key(gray, out)
        return out


@dataclass
class _Advance:
    """What moving the canvas by one frame yields for the blend (see FlowCanvas._advance)."""

    step_maps: tuple[np.ndarray, np.ndarray]  # fixed-point maps: current pixel -> previous frame
    weight: np.ndarray  # H x W x 1: how much of the carried key frame to take
    carried: np.ndarray  # the key frame's stylization, resampled to the current frame
    mix: np.ndarray  # H x W x 1: weight of the warped previous output where the canvas is off


def _pull(image: np.ndarray, maps: tuple, interp: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Sample `image` through fixed-point remap maps (replicated borders)."""
    return cv2.remap(image, maps[0], maps[1], interpolation=interp, borderMode=cv2.BORDER_REPLICATE)
