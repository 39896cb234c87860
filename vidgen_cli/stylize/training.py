"""Distil a smaller, steadier stylization transformer (the student) from the Magenta teacher.

Targets are the teacher's outputs for the same frame and style vector; style vectors are sampled
from the given styles, mixtures of two, and blends with the content's own vector (what --strength
makes). A ReCoNet-style temporal loss asks the change between the student's outputs on neighbouring
frames (after flow warping, occlusions masked) to equal the change between the input frames, so the
student learns not to invent flicker the teacher has. The student starts from the teacher's weights
(its first residual blocks; centre crops of its 9x9 kernels where the student's are smaller), so
distillation starts from a painterly network rather than from noise.

Why a texture loss as well: the teacher's brush strokes land somewhere slightly different every frame,
so a per-pixel L1 to them, together with the temporal loss, is cheapest to satisfy by blurring (two
earlier students kept 7-11% of the teacher's sharpness). Matching the *local amount* of detail (the
mean absolute Laplacian of luminance over 8x8 cells) instead of its exact placement asks for strokes
as strong as the teacher's without asking them to flicker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidgen_cli.errors import UsageError
from vidgen_cli.models.magenta import StyleTransformer, TransformerConfig
from vidgen_cli.models.warp import grid_warp
from vidgen_cli.train.clips import Clip
from vidgen_cli.vision.flow import DISFlow, forward_backward_mask


@dataclass
class DistillSettings:
    crop: int = 192
    temporal_weight: float = 1.0
    texture_weight: float = 1.0
    max_gap: int = 2  # frames between the two frames of a pair (1..max_gap)


def student_from_teacher(teacher: StyleTransformer, config: TransformerConfig) -> StyleTransformer:
    """A student initialised from the teacher wherever shapes allow (kernels centre-cropped)."""
    student = StyleTransformer(config)
    teacher_state = teacher.state_dict()
    state = student.state_dict()
    for key, value in state.items():
        source = teacher_state.get(key)
        if source is None or source.ndim != value.ndim:
            continue
        if source.shape == value.shape:
            state[key] = source.clone()
        elif source.ndim == 4 and source.shape[:2] == value.shape[:2]:
            k_t, k_s = source.shape[-1], value.shape[-1]
            off = (k_t - k_s) // 2
            # the cropped kernel loses the outer taps' mass: rescale so a flat input gives the same response
            cropped = source[..., off : off + k_s, off : off + k_s]
            scale = source.sum(dim=(2, 3), keepdim=True) / cropped.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
            state[key] = cropped * scale.clamp(0.5, 2.0)
    student.load_state_dict(state)
    return student


_LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])[None, None]
_LUMA = torch.tensor([0.299, 0.587, 0.114])[None, :, None, None]


def laplacian(images: torch.Tensor) -> torch.Tensor:
    """Laplacian of the luminance of N x 3 x H x W images (N x 1 x H-2 x W-2)."""
    luma = (images * _LUMA.to(images)).sum(1, keepdim=True)
    return F.conv2d(luma, _LAPLACIAN.to(images))


def detail_map(images: torch.Tensor, cell: int = 8) -> torch.Tensor:
    """How much fine detail each cell x cell cell holds: its mean absolute Laplacian."""
    return F.avg_pool2d(laplacian(images).abs(), cell)


class StylizeDistillTask:
    """A vidgen_cli.train.core Task."""

    arch = "magenta-transformer"

    def __init__(
        self,
        clips: list[Clip],
        style_vectors: torch.Tensor,
        teacher: StyleTransformer,
        predictor: torch.nn.Module,
        config: TransformerConfig,
        settings: DistillSettings,
        data: dict[str, Any],
        held_out: tuple[list[Clip], torch.Tensor] | None = None,
    ) -> None:
        """held_out: clips and style vectors never trained on; validation uses them when given."""
        self.clips = self._usable(clips, settings)
        if not self.clips:
            raise UsageError(f"no clip under --data has more than {settings.max_gap} frames of at least --crop {settings.crop} px; "
                             "use a smaller --crop or other clips")
        self.settings = settings
        self.styles = style_vectors
        self.teacher = teacher.eval()
        self.predictor = predictor.eval()
        for p in list(self.teacher.parameters()) + list(self.predictor.parameters()):
            p.requires_grad_(False)
        self.config = config
        self.model = student_from_teacher(teacher, config)
        # the plain layers throughout: the CPU inference kernels (models/phase_conv.py) round
        # differently, and a recorded training command must reproduce its weights bit for bit
        self.teacher.cpu_kernels = self.model.cpu_kernels = False
        self.data = data
        self._flow = DISFlow("medium")
        validation_clips, validation_styles = self.clips, self.styles
        if held_out is not None and self._usable(held_out[0], settings) and len(held_out[1]):
            validation_clips, validation_styles = self._usable(held_out[0], settings), held_out[1]
        self._validation = self._make_validation(validation_clips, validation_styles)

    @staticmethod
    def _usable(clips: list[Clip], settings: DistillSettings) -> list[Clip]:
        return [c for c in clips if len(c.frames) > settings.max_gap and min(c.frames.shape[1:3]) >= settings.crop]

    # -- sampling ---------------------------------------------------------

    def _pair(self, rng: np.random.Generator, clips: list[Clip] | None = None) -> tuple[np.ndarray, np.ndarray]:
        clips = clips or self.clips
        clip = clips[rng.integers(len(clips))]
        gap = int(rng.integers(1, self.settings.max_gap + 1))
        t = int(rng.integers(0, len(clip.frames) - gap))
        a, b = clip.frames[t], clip.frames[t + gap]
        c = self.settings.crop
        y = int(rng.integers(0, a.shape[0] - c + 1))
        x = int(rng.integers(0, a.shape[1] - c + 1))
        a, b = a[y : y + c, x : x + c], b[y : y + c, x : x + c]
        if rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        if rng.random() < 0.5:  # time reversal: as valid a pair as forwards
            a, b = b, a
        return np.ascontiguousarray(a), np.ascontiguousarray(b)

    def _vector(self, rng: np.random.Generator, frame: np.ndarray, styles: torch.Tensor | None = None) -> torch.Tensor:
        styles = self.styles if styles is None else styles
        kind = rng.random()
        first = styles[rng.integers(len(styles))]
        if kind < 0.6:
            return first
        if kind < 0.8:
            second = styles[rng.integers(len(styles))]
            w = float(rng.uniform(0.2, 0.8))
            return w * first + (1 - w) * second
        own = self._own_vector(frame)
        s = float(rng.uniform(0.3, 0.9))
        return s * first + (1 - s) * own

    def _own_vector(self, frame: np.ndarray) -> torch.Tensor:
        small = cv2.resize(frame, (256, 256), interpolation=cv2.INTER_AREA)
        with torch.no_grad():
            return self.predictor(torch.from_numpy(small).permute(2, 0, 1)[None].float() / 255)[0]

    def _batch(self, pairs: list[tuple[np.ndarray, np.ndarray]], vectors: list[torch.Tensor], device) -> dict:
        a = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2).float() / 255
        b = torch.from_numpy(np.stack([p[1] for p in pairs])).permute(0, 3, 1, 2).float() / 255
        v = torch.stack(vectors)
        flows, masks = [], []
        for first, second in pairs:
            back = self._flow(second, first)  # second -> first
            fwd = self._flow(first, second)
            flows.append(back)
            masks.append(forward_backward_mask(back, fwd))
        flow = torch.from_numpy(np.stack(flows)).permute(0, 3, 1, 2)
        mask = torch.from_numpy(np.stack(masks)).float()[:, None]
        with torch.no_grad():
            target_a = self.teacher(a, v)
            target_b = self.teacher(b, v)
        batch = {"a": a, "b": b, "v": v, "flow": flow, "mask": mask, "ta": target_a, "tb": target_b}
        return {k: t.to(device) for k, t in batch.items()}

    def sample_batch(self, rng: np.random.Generator, batch_size: int, device: torch.device) -> dict:
        pairs = [self._pair(rng) for _ in range(batch_size)]
        vectors = [self._vector(rng, p[0]) for p in pairs]
        return self._batch(pairs, vectors, device)

    # -- loss -------------------------------------------------------------

    @staticmethod
    def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """Sample `image` at x + flow(x) (flow N x 2 x H x W in pixels)."""
        return grid_warp(image, flow)

    def loss(self, model: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        both = model(torch.cat([batch["a"], batch["b"]]), torch.cat([batch["v"], batch["v"]])).float()
        out_a, out_b = both.chunk(2)
        distil = F.l1_loss(out_a, batch["ta"]) + F.l1_loss(out_b, batch["tb"])
        texture = F.l1_loss(detail_map(both), detail_map(torch.cat([batch["ta"], batch["tb"]]))) * 2
        # ReCoNet: output change between frames should follow the input change (lighting), nothing more
        change_out = out_b - self.warp(out_a, batch["flow"])
        change_in = batch["b"] - self.warp(batch["a"], batch["flow"])
        temporal = (batch["mask"] * (change_out - change_in).abs()).sum() / (3 * batch["mask"].sum() + 1)
        total = distil + self.settings.texture_weight * texture + self.settings.temporal_weight * temporal
        logged = {"distil": distil, "texture": texture, "temporal": temporal}
        return total, {name: float(value.detach()) for name, value in logged.items()}

    # -- validation -------------------------------------------------------

    def _make_validation(self, clips: list[Clip], styles: torch.Tensor) -> dict:
        rng = np.random.default_rng(12345)
        pairs = [self._pair(rng, clips) for _ in range(16)]
        vectors = [self._vector(rng, p[0], styles) for p in pairs]
        return self._batch(pairs, vectors, torch.device("cpu"))

    def validate(self, model: torch.nn.Module, device: torch.device) -> dict[str, float]:
        batch = {k: t.to(device) for k, t in self._validation.items()}
        outs = []
        for i in range(0, batch["a"].shape[0], 4):
            sl = slice(i, i + 4)
            outs.append(model(torch.cat([batch["a"][sl], batch["b"][sl]]), torch.cat([batch["v"][sl], batch["v"][sl]])).float())
        a = torch.cat([o.chunk(2)[0] for o in outs])
        b = torch.cat([o.chunk(2)[1] for o in outs])
        distil = (F.l1_loss(a, batch["ta"]) + F.l1_loss(b, batch["tb"])) / 2
        mask = batch["mask"]

        def flicker(x_a: torch.Tensor, x_b: torch.Tensor) -> float:
            diff = (x_b - self.warp(x_a, batch["flow"])) ** 2
            return float((mask * diff).sum() / (3 * mask.sum() + 1)) * 255**2

        def detail(x: torch.Tensor) -> float:
            return float(laplacian(x).var())

        return {
            "l1_to_teacher": float(distil),
            "sharpness_vs_teacher": detail(torch.cat([a, b])) / detail(torch.cat([batch["ta"], batch["tb"]])),
            "warp_mse_student": flicker(a, b),
            "warp_mse_teacher": flicker(batch["ta"], batch["tb"]),
        }


def style_vectors(predictor: torch.nn.Module, paths: list[Path]) -> torch.Tensor:
    from vidgen_cli.stylize.styles import style_images

    images = style_images(paths)
    batch = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        return torch.cat([predictor(chunk) for chunk in batch.split(8)])


def split_styles(sources: list[Path], held_out: list[str]) -> tuple[list[Path], list[Path]]:
    """Expand style folders into files and split them by name: (training, held out).

    held_out: file names or stems (e.g. "vangogh_starry_night"); raises ValueError for a name that
    matches no style, so a typo cannot silently put a held-out style into training.
    """
    from vidgen_cli.io.paths import is_image_file, is_video_file

    files: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            files += sorted(p for p in source.iterdir() if is_image_file(p) or is_video_file(p))
        else:
            files.append(source)
    wanted = set(held_out)
    unknown = wanted - {f.name for f in files} - {f.stem for f in files}
    if unknown:
        raise ValueError(f"held-out style(s) not found among the styles: {', '.join(sorted(unknown))}")
    out = [f for f in files if f.name in wanted or f.stem in wanted]
    return [f for f in files if f not in out], out
