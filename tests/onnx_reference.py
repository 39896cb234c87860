"""onnxruntime references for tests/test_magenta.py (tests only: vidgen itself never uses onnxruntime).

`float_graph` strips the activation QuantizeLinear/DequantizeLinear pairs from the int8 graph, so
onnxruntime runs the very same layers in float: the reference our torch port must match tightly.
The original int8 graph is kept too, to check that float inference stays close to it.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper


def float_graph(path) -> onnx.ModelProto:
    model = onnx.load(str(path))
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and node.input[0] not in inits:
            nodes.append(helper.make_node("Identity", [node.input[0]], list(node.output), name=node.name))
        else:
            nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    return model


def session(model_or_path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3  # the stripped graph leaves unused scales: not worth a warning
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    data = model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto) else str(model_or_path)
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run(sess, *arrays: np.ndarray) -> np.ndarray:
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, arrays)))[0]
