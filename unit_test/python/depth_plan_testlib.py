"""Small graphs for the plan_depth tests, built with onnx.helper (no torch).

Two inverted-residual-style blocks on 2 channels expanded to 16: merging a
block (1×1 2→16, depthwise 3×3, 1×1 16→2) into one dense 3×3 2→2 conv cuts its
MACs per pixel from 2·16 + 9·16 + 16·2 = 208 to 36, but only when both of
its ReLUs are gone; with one ReLU left, each possible merge (a dense 3×3 2→16
or 16→2, 288 MACs) costs more than the pair it replaces (176).

    x ─ block A ─ Add(x) ─ ReLU h ─ block B ─ Flatten ─ Gemm → 10 logits
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import fibnlr

EXPAND, CH, SIZE, CLASSES = 16, 2, 8, 10


def _block(prefix, source, rng, inits, nodes):
    w = {
        "e": rng.standard_normal((EXPAND, CH, 1, 1)) * 0.7,
        "d": rng.standard_normal((EXPAND, 1, 3, 3)) * 0.4,
        "p": rng.standard_normal((CH, EXPAND, 1, 1)) * 0.3,
    }
    for k, v in w.items():
        inits.append(numpy_helper.from_array(v.astype(np.float32), f"{prefix}_{k}_W"))
        inits.append(numpy_helper.from_array((rng.standard_normal(v.shape[0]) * 0.1).astype(np.float32),
                                             f"{prefix}_{k}_B"))
    nodes += [
        helper.make_node("Conv", [source, f"{prefix}_e_W", f"{prefix}_e_B"], [f"{prefix}_e"], name=f"{prefix}_expand"),
        helper.make_node("Relu", [f"{prefix}_e"], [f"{prefix}_r1"], name=f"{prefix}_relu1"),
        helper.make_node("Conv", [f"{prefix}_r1", f"{prefix}_d_W", f"{prefix}_d_B"], [f"{prefix}_d"],
                         name=f"{prefix}_dw", group=EXPAND, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", [f"{prefix}_d"], [f"{prefix}_r2"], name=f"{prefix}_relu2"),
        helper.make_node("Conv", [f"{prefix}_r2", f"{prefix}_p_W", f"{prefix}_p_B"], [f"{prefix}_p"],
                         name=f"{prefix}_project"),
    ]
    return f"{prefix}_p"


def two_block_model(seed=0):
    rng = np.random.default_rng(seed)
    inits, nodes = [], []
    a = _block("A", "x", rng, inits, nodes)
    nodes += [helper.make_node("Add", [a, "x"], ["sum"], name="add"),
              helper.make_node("Relu", ["sum"], ["h"], name="relu_h")]
    b = _block("B", "h", rng, inits, nodes)
    inits += [numpy_helper.from_array((rng.standard_normal((CLASSES, CH * SIZE * SIZE)) * 0.3).astype(np.float32), "fc_W"),
              numpy_helper.from_array(np.zeros(CLASSES, np.float32), "fc_B"),
              numpy_helper.from_array(np.array([-1, CH * SIZE * SIZE], np.int64), "shape")]
    nodes += [helper.make_node("Reshape", [b, "shape"], ["flat"], name="flatten"),
              helper.make_node("Gemm", ["flat", "fc_W", "fc_B"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "two_blocks",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", CH, SIZE, SIZE])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", CLASSES])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return fibnlr.load_onnx(model.SerializeToString())


def images(n, seed=1):
    return np.random.default_rng(seed).standard_normal((n, CH, SIZE, SIZE)).astype(np.float32)
