"""The stylization stream processor: network, shot handling and the flow canvas around each frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError

from vidgen_cli.stylize import CONSISTENCY_MODES, DEFAULT_MAX_SIDE
from vidgen_cli.stylize.canvas import CARRIED_BLEND, CanvasSettings, FlowCanvas
from vidgen_cli.stylize.styles import style_images, style_square
from vidgen_cli.vision.scenes import DEFAULT_THRESHOLD, cut_score
from vidgen_cli.vision.sizes import fit_image


class Stylizer:
    """Arbitrary-style video stylization (Magenta teacher or a distilled student).

    style: images, videos (frames sampled across the whole video) and/or folders of images; their
        style vectors are averaged.
    model: "teacher" (the Magenta transformer), "student" (the shipped stylize-student weights, made
        by `vidgen train stylize`: smaller, and trained to flicker less) or a .pt path.
    strength: 0..1, interpolates between the content's own style vector (taken at the start of each
        shot) and the style's (Ghiasi et al. 2017, sec. 4.3). At 0 the network renders the content in its
        own vector, which is not an identity: the int8 Magenta network shifts colours by 27-30 grey
        levels (mean |difference| on golden_gate, sailboat, tubingen; red turns blue), so 0 is not the original.
    preserve_color: keep the input's chroma, take only luminance from the stylization.
    max_side: processing resolution (longer side, pixels); None = the input's size. The output always
        has the input's size. This bounds memory and time at 4K.
    consistency: "flow" (default, see the module docstring), "crisp" (the flow canvas with its carried
        blend and detail match, canvas.CARRIED_BLEND: sharper, no steadier, slower) or "off" (independent frames).
    cut_threshold: cut score (vision/scenes.py, 0..1) above which the temporal state is reset (a new shot).
    placement: vidgen_cli.device.Placement; default CPU float32.
    """

    def __init__(
        self,
        style: Sequence[Path | str | np.ndarray],
        model: str = "teacher",
        strength: float = 1.0,
        preserve_color: bool = False,
        max_side: int | None = DEFAULT_MAX_SIDE,
        consistency: str = "flow",
        cut_threshold: float = DEFAULT_THRESHOLD,
        placement: Any = None,
        canvas: CanvasSettings | None = None,
    ) -> None:
        if not 0.0 <= strength <= 1.0:
            raise UsageError(f"--strength must be between 0 and 1, got {strength}")
        if consistency not in CONSISTENCY_MODES:
            raise UsageError(f"--consistency must be 'flow', 'crisp' or 'off', got '{consistency}'")
        if max_side is not None and max_side < 32:
            raise UsageError(f"--max-side must be at least 32 pixels, got {max_side}")
        import torch

        from vidgen_cli.device import choose
        from vidgen_cli.weights import magenta_onnx

        self.placement = placement or choose("cpu")
        self.strength, self.preserve_color, self.max_side = strength, preserve_color, max_side
        if consistency == "crisp" and canvas is None:
            canvas = CanvasSettings(**CARRIED_BLEND)
        self.consistency, self.cut_threshold, self.canvas_settings = consistency, cut_threshold, canvas
        self._torch = torch
        self.predictor = magenta_onnx.load_predictor().to(self.placement.device)
        self.transformer, self.weights_sha256 = self._load_transformer(model)
        self.transformer = self.transformer.to(self.placement.device).set_compute_dtype(self.placement.dtype)
        # channels-last convolutions measured ~1.5x faster for this network on the CPU
        self.transformer = self.transformer.to(memory_format=torch.channels_last)
        self.style_vector = self.predict_style(style_images(style))

    @staticmethod
    def _load_transformer(model: str) -> tuple[Any, str]:
        """The network and the sha256 of its weights."""
        from vidgen_cli import weights
        from vidgen_cli.models.magenta import StyleTransformer
        from vidgen_cli.weights import magenta_onnx

        if model == "teacher":
            return magenta_onnx.load_transformer(), magenta_onnx.file_sha256(magenta_onnx.TRANSFORM_FILE)
        name = "stylize-student" if model == "student" else model
        net = weights.load_model(name, arch="magenta-transformer")
        if not isinstance(net, StyleTransformer):
            raise UsageError(f"--model {model}: the weights are not a stylization transformer")
        return net, weights.sha256_for(name)

    def fingerprint(self) -> dict[str, Any]:
        """Where the model runs and its exact weights: what a --resume must match besides the options."""
        from vidgen_cli import optical_flow
        from vidgen_cli.weights import magenta_onnx

        return {**self.placement.key(), "weights": self.weights_sha256,
                "style_predictor": magenta_onnx.file_sha256(magenta_onnx.PREDICT_FILE),
                "flow": optical_flow.kind(self.placement) if self.consistency != "off" else None}

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
        return self.predict_style([style_square(frame)])

    def stylize_array(self, frame: np.ndarray, vector: Any) -> np.ndarray:
        """One processing-size uint8 frame -> float32 stylization (0-255), same size."""
        from vidgen_cli.device import Placement, to_array, to_tensor

        h, w = frame.shape[:2]
        # the network downsamples by 4: reflect-pad, then crop; float32 in, as the first layer runs
        # in float32 whatever the placement (see StyleTransformer.set_compute_dtype)
        exact = Placement(self.placement.device, self._torch.float32)
        x = to_tensor(frame, exact, multiple=4, pad="reflect", channels_last=True) / 255
        with self._torch.inference_mode():
            y = self.transformer(x, vector)
        return to_array(y, h, w) * 255

    def processor(self) -> "StylizeStream":
        """A push-based processor for one stream (runtime/processor.py): resumable between frames."""
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

    one_to_one = True  # one output frame per input frame: runtime/planes.py carries each frame's alpha across

    def __init__(self, stylizer: Stylizer) -> None:
        self.stylizer = stylizer
        self.canvas = FlowCanvas(stylizer.canvas_settings, stylizer.placement) if stylizer.consistency != "off" else None
        self.previous: np.ndarray | None = None
        self.vector = stylizer.style_vector

    def push(self, frame: np.ndarray) -> list[np.ndarray]:
        st = self.stylizer
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InputError("frames must be H x W x 3 uint8 RGB arrays")
        h, w = frame.shape[:2]
        small = fit_image(frame, st.max_side, minimum=16)  # the processing size
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
        out = stylized if small.shape == frame.shape else cv2.resize(stylized, (w, h), interpolation=cv2.INTER_CUBIC)
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
        if self.canvas is not None:
            state.update({f"canvas_{name}": value for name, value in self.canvas.state_dict().items()})
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        torch = self.stylizer._torch
        self.vector = torch.from_numpy(np.asarray(state["vector"])).to(self.stylizer.placement.device)
        self.previous = state.get("previous")
        if self.canvas is not None:
            self.canvas.load_state_dict({name[len("canvas_"):]: value for name, value in state.items() if name.startswith("canvas_")})


def keep_colour(stylized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Luminance from the stylization, chroma from the original (both RGB uint8, same size)."""
    y = cv2.cvtColor(stylized, cv2.COLOR_RGB2YCrCb)[..., :1]
    crcb = cv2.cvtColor(original, cv2.COLOR_RGB2YCrCb)[..., 1:]
    return cv2.cvtColor(np.concatenate([y, crcb], -1), cv2.COLOR_YCrCb2RGB)
