"""Writes the fuzzing corpus: small ONNX models, one per file in this folder.

Run from unit_test/python:  python -m fuzz_corpus.make_corpus
The files are committed (the fuzz tests do not need torch or this script);
rerun it only to change the corpus.  Together the models cover every
operator the importer supports, the shape subgraphs constant folding
evaluates (Shape/Gather/Concat/Reshape, ConstantOfShape, Expand, Range,
Where) and attributes with pads, strides, dilations, groups and ceil mode,
so mutating their fields reaches every shape rule.  ``tiny_zoo.onnx`` is
the zoo's TinyNet as torch exports it (needs torch to regenerate).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def _w(name, *shape, seed=0):
    rng = np.random.default_rng(seed + sum(shape))
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)


def _i(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _model(name, nodes, inputs, outputs, inits, opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="fibnlr-fuzz-corpus")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _io(name, dims):
    return helper.make_tensor_value_info(name, F, dims)


def conv_pool_gemm():
    """Conv (pads, strides, dilations, group) / MaxPool ceil / AveragePool / Flatten / Gemm."""
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3], group=2,
                         dilations=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("MaxPool", ["c2"], ["p1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2],
                         ceil_mode=1),
        helper.make_node("AveragePool", ["p1"], ["p2"], name="pool2", kernel_shape=[2, 2], pads=[0, 0, 1, 1],
                         count_include_pad=1),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wg", "bg"], ["y"], name="fc", transB=1),
    ]
    inits = [_w("w1", 4, 3, 3, 3), _w("b1", 4), _w("w2", 4, 2, 3, 3), _w("wg", 5, 144), _w("bg", 5)]
    return _model("conv_pool_gemm", nodes, [_io("x", ["N", 3, 12, 12])], [_io("y", ["N", 5])], inits)


def view_batch():
    """x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape, then MatMul and Softmax."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("Shape", ["c"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["c", "target"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "wm"], ["m"], name="matmul"),
        helper.make_node("Softmax", ["m"], ["y"], name="softmax", axis=1),
    ]
    inits = [_w("w", 2, 3, 1, 1), _i("zero", 0), _i("axes0", [0]), _i("minus1", [-1]), _w("wm", 32, 3)]
    return _model("view_batch", nodes, [_io("x", ["N", 3, 4, 4])], [_io("y", ["N", 3])], inits)


def pad_slice_split():
    """Pad (constant pads input), Slice with steps, Split, Concat, Transpose, Sum."""
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
        helper.make_node("Slice", ["p", "starts", "ends", "axes", "steps"], ["s"], name="slice"),
        helper.make_node("Split", ["s", "split"], ["a", "b"], name="split", axis=1),
        helper.make_node("Transpose", ["b"], ["bt"], name="transpose", perm=[0, 1, 3, 2]),
        helper.make_node("Concat", ["a", "bt"], ["c"], name="concat", axis=1),
        helper.make_node("Sum", ["c", "c", "c"], ["y"], name="sum"),
    ]
    inits = [_i("pads", [0, 0, 1, 1, 0, 0, 1, 1]), _i("starts", [0, 0]), _i("ends", [8, 8]),
             _i("axes", [2, 3]), _i("steps", [1, 1]), _i("split", [1, 3])]
    return _model("pad_slice_split", nodes, [_io("x", [1, 4, 6, 6])], [_io("y", [1, 4, 8, 8])], inits)


def folded_constants():
    """ConstantOfShape, Expand, Range, Cast, Where, Equal, Mul: values constant folding computes."""
    fill = helper.make_tensor("fill", F, [1], [0.5])
    nodes = [
        helper.make_node("ConstantOfShape", ["cshape"], ["ones"], name="const_of_shape", value=fill),
        helper.make_node("Expand", ["ones", "eshape"], ["big"], name="expand"),
        helper.make_node("Range", ["r0", "r1", "r2"], ["rng"], name="range"),
        helper.make_node("Cast", ["rng"], ["rngf"], name="cast", to=F),
        helper.make_node("Equal", ["r0", "r0"], ["cond"], name="equal"),
        helper.make_node("Where", ["cond", "rngf", "rngf"], ["sel"], name="where"),
        helper.make_node("Mul", ["big", "sel"], ["scale"], name="mul_const"),
        helper.make_node("Mul", ["x", "scale"], ["y0"], name="mul"),
        helper.make_node("Clip", ["y0", "lo", "hi"], ["y"], name="clip"),
    ]
    inits = [_i("cshape", [1, 4, 1, 1]), _i("eshape", [1, 4, 1, 4]), _i("r0", 0), _i("r1", 4), _i("r2", 1),
             numpy_helper.from_array(np.array(-1.0, np.float32), "lo"),
             numpy_helper.from_array(np.array(2.0, np.float32), "hi")]
    return _model("folded_constants", nodes, [_io("x", [1, 4, 4, 4])], [_io("y", [1, 4, 4, 4])], inits)


def norm_activations():
    """BatchNormalization, LRN, activations, ReduceMean, Squeeze/Unsqueeze, GlobalAveragePool, Sub/Div."""
    nodes = [
        helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["bn"], name="bn", epsilon=1e-5),
        helper.make_node("LeakyRelu", ["bn"], ["l"], name="leaky", alpha=0.1),
        helper.make_node("LRN", ["l"], ["n"], name="lrn", size=3),
        helper.make_node("HardSigmoid", ["n"], ["h"], name="hsig"),
        helper.make_node("Sigmoid", ["h"], ["sg"], name="sigmoid"),
        helper.make_node("Tanh", ["sg"], ["t"], name="tanh"),
        helper.make_node("Sub", ["t", "l"], ["d"], name="sub"),
        helper.make_node("Div", ["d", "two"], ["d2"], name="div"),
        helper.make_node("ReduceMean", ["d2"], ["rm"], name="reduce", axes=[3], keepdims=1),
        helper.make_node("Squeeze", ["rm", "ax3"], ["sq"], name="squeeze"),
        helper.make_node("Unsqueeze", ["sq", "ax3"], ["us"], name="unsqueeze"),
        helper.make_node("GlobalAveragePool", ["us"], ["gp"], name="gap"),
        helper.make_node("Dropout", ["gp"], ["y"], name="dropout"),
    ]
    c = 3
    inits = [_w("g", c), _w("b", c), _w("m", c),
             numpy_helper.from_array(np.full(c, 1.5, np.float32), "v"),
             numpy_helper.from_array(np.array(2.0, np.float32), "two"), _i("ax3", [3])]
    return _model("norm_activations", nodes, [_io("x", [2, c, 5, 5])], [_io("y", [2, c, 1, 1])], inits)


def build_all():
    models = {f.__name__: f() for f in (conv_pool_gemm, view_batch, pad_slice_split, folded_constants,
                                         norm_activations)}
    try:
        from models.export import export_zoo_model
        models["tiny_zoo"], _ = export_zoo_model("tiny")
    except ImportError:  # torch missing: keep the committed tiny_zoo.onnx
        pass
    return models


def main():
    for name, model in build_all().items():
        path = os.path.join(HERE, name + ".onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
