"""The CPU inference kernels of the style transformer give the plain layers' results (models/phase_conv.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vidgen_cli.models import phase_conv
from vidgen_cli.models.magenta import StyleTransformer, TransformerConfig

CL = torch.channels_last


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.mark.parametrize("cin, cout, kernel, phases", [(8, 3, 9, 2), (8, 3, 9, 4), (3, 8, 9, 2), (5, 2, 3, 2), (4, 6, 5, 4)])
def test_phase_conv_is_the_plain_convolution(cin, cout, kernel, phases):
    torch.manual_seed(0)
    x = torch.randn(2, cin, 12 + kernel - 1, 20 + kernel - 1).contiguous(memory_format=CL)
    weight, bias = torch.randn(cout, cin, kernel, kernel), torch.randn(cout)
    assert phase_conv.phase_conv_fits(x, kernel, phases)
    fast = phase_conv.phase_conv(x, weight, bias, phases)
    plain = F.conv2d(x, weight, bias)
    assert fast.shape == plain.shape == (2, cout, 12, 20)
    assert fast.is_contiguous(memory_format=CL)
    assert torch.allclose(fast, plain, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("size", [(4, 6), (8, 12), (22, 10)])
def test_stride2_conv_on_phases_is_the_reflect_padded_strided_convolution(size):
    torch.manual_seed(1)
    x = torch.randn(2, 8, *size).contiguous(memory_format=CL)
    weight, bias = torch.randn(16, 8, 3, 3), torch.randn(16)
    plain = F.conv2d(F.pad(x, [1] * 4, mode="reflect"), weight, bias, stride=2)
    fast = phase_conv.stride2_conv_on_phases(phase_conv.space_to_depth(x, 2), weight, bias)
    assert fast.shape == plain.shape == (2, 16, size[0] // 2, size[1] // 2)
    assert torch.allclose(fast, plain, atol=1e-4, rtol=1e-5)


def test_phase_conv_can_leave_its_output_split():
    torch.manual_seed(2)
    x = torch.randn(1, 3, 8 + 8, 12 + 8).contiguous(memory_format=CL)
    weight, bias = torch.randn(8, 3, 9, 9), torch.randn(8)
    split = phase_conv.phase_conv(x, weight, bias, 2, split=True)
    assert split.shape == (1, 32, 4, 6)
    assert torch.allclose(phase_conv.depth_to_space(split, 2), F.conv2d(x, weight, bias), atol=1e-4, rtol=1e-5)


def test_phase_conv_fits_only_whole_phases():
    x = torch.zeros(1, 8, 12 + 8, 18 + 8)
    assert phase_conv.phase_conv_fits(x, 9, 2)
    assert not phase_conv.phase_conv_fits(x, 9, 4)  # 18 columns are not whole 4-pixel phases
    assert not phase_conv.phase_conv_fits(torch.zeros(1, 8, 12 + 2, 16 + 2), 3, 4)  # k - 1 = 2 taps


def test_space_to_depth_is_pixel_unshuffle_with_the_phase_outermost():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).reshape(2, 3, 8, 12).contiguous(memory_format=CL)
    split = phase_conv.space_to_depth(x, 2)
    reference = F.pixel_unshuffle(x, 2).reshape(2, 3, 4, 4, 6).transpose(1, 2).reshape(2, 12, 4, 6)
    assert torch.equal(split, reference)
    assert torch.equal(phase_conv.depth_to_space(split, 2), x)


def _teacher_like(seed: int, residual_blocks: int = 5) -> StyleTransformer:
    torch.manual_seed(seed)
    net = StyleTransformer(TransformerConfig(residual_blocks=residual_blocks)).eval()
    with torch.no_grad():  # weights of the teacher's scale, so the instance norms see real-looking activations
        for p in net.parameters():
            p.mul_(3.0)
    return net.set_compute_dtype(torch.float32).to(memory_format=CL)


def _image(h: int, w: int) -> torch.Tensor:
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rng = np.random.default_rng(1)
    rgb = np.stack([np.sin(9 * x) * 0.4 + 0.5, y, (x * y + 0.1 * rng.random((h, w))) % 1], axis=0)
    return torch.from_numpy(rgb.astype(np.float32))[None].contiguous(memory_format=CL)


@pytest.mark.parametrize("blocks", [5, 2])  # teacher and student layouts
@pytest.mark.parametrize("size", [(64, 96), (36, 52), (30, 42), (33, 47)])  # not multiples of 4; odd: no split head
def test_transformer_with_cpu_kernels_matches_the_plain_layers(blocks, size):
    net = _teacher_like(blocks, blocks)
    content, style = _image(*size), torch.randn(1, 100)
    with torch.inference_mode():
        fast = net(content, style)
        net.cpu_kernels = False
        plain = net(content, style)
    assert fast.shape == plain.shape
    assert (fast - plain).abs().max().item() * 255 < 0.05  # grey levels: float rounding only


def test_a_flat_frame_is_still_exact_with_the_cpu_kernels():
    net = _teacher_like(3)
    frames = torch.cat([torch.full((1, 3, 32, 48), 0.4), _image(32, 48)]).contiguous(memory_format=CL)
    style = torch.randn(1, 100)
    with torch.inference_mode():
        fast = net(frames, style)
        net.cpu_kernels = False
        plain = net(frames, style)
    flat = fast[0]
    assert torch.equal(flat, flat[:, :1, :1].expand_as(flat))  # one colour, no noise texture
    assert (fast - plain).abs().max().item() * 255 < 0.05


def test_training_keeps_the_plain_layers():
    """With autograd on, the kernels stay off: the shipped student's training numerics are unchanged."""
    net = _teacher_like(4, 2)
    content, style = _image(32, 48), torch.randn(1, 100)
    out = net(content, style)
    net.cpu_kernels = False
    assert torch.equal(out, net(content, style))
    out.mean().backward()
    assert net.expand3.conv.conv.weight.grad is not None
