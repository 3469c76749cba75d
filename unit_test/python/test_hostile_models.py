"""Regression tests for models built to crash, hang or exhaust the loader and compiler.

Each case is a small hand-made model whose sizes overflow 64-bit arithmetic,
ask constant folding for gigabytes, or carry malformed fields. Before the
checks, they crashed (SIGSEGV, heap corruption), hung, aborted inside onnx,
took gigabytes, or raised KeyError/IndexError/OverflowError. Now each one
raises ValueError naming the node and what is wrong. The cases run in one
child process so that a regression fails these tests instead of killing the
suite; the child reports each outcome as JSON.
"""
import json
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
BIG = 2 ** 62


def _model(nodes, inits, x_dims, y_dims=None, opset=13, name="hostile"):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", F, x_dims)],
                              [helper.make_tensor_value_info("y", F, y_dims)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _i(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _f(name, values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


def pad_near_2_62():
    # x + pb + pe wrapped to a small size: the buffer was small, the kernel wrote 2^62 elements.
    return _model([helper.make_node("Pad", ["x", "pads"], ["y"], name="the_pad")],
                  [_i("pads", [0, 0, BIG, BIG, 0, 0, BIG, BIG])], [1, 1, 2, 2])


def reshape_product_wraps():
    # (2^62 + 192) * 4 = 2^64 + 768: the element count wrapped to the input's 768.
    return _model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="the_reshape")],
                  [_i("shape", [BIG + 192, 4])], [1, 3, 16, 16])


def maxpool_extent_wraps():
    # (kernel - 1) * dilation = 2^62 * 4 wrapped to 0: an extent of 1 with a 2^62-tap loop (a hang).
    return _model([helper.make_node("MaxPool", ["x"], ["y"], name="the_pool", kernel_shape=[BIG + 1, 1],
                                    dilations=[4, 1])], [], [1, 1, 8, 8])


def conv_pads_near_2_63():
    # in + pb + pe = 16 + 2 (2^63 - 1) wrapped to 14.
    pads = [2 ** 63 - 1, 0, 2 ** 63 - 1, 0]
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], name="the_conv", kernel_shape=[3, 3], pads=pads)],
                  [_f("w", np.ones((1, 1, 3, 3)))], [1, 1, 16, 16])


def _bomb(op_nodes, inits):
    return _model(op_nodes + [helper.make_node("Add", ["x", "big"], ["y"], name="add")], inits, [1, 1])


def constant_of_shape_bomb():
    # 181 bytes asking for 2^32 floats (16 GiB) at load.
    return _bomb([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="the_bomb")],
                 [_i("shape", [65536, 65536])])


def expand_bomb():
    return _bomb([helper.make_node("Expand", ["one", "shape"], ["big"], name="the_bomb")],
                 [_f("one", [1.0]), _i("shape", [65536, 65536])])


def range_bomb():
    return _bomb([helper.make_node("Range", ["a", "b", "c"], ["r"], name="the_bomb"),
                  helper.make_node("Cast", ["r"], ["big"], name="cast", to=F)],
                 [_i("a", 0), _i("b", 2 ** 40), _i("c", 1)])


def expand_negative_shape():
    # Made onnx's shape inference abort the process (a Shape node makes it run).
    nodes = [helper.make_node("Expand", ["one", "shape"], ["e"], name="the_expand"),
             helper.make_node("Add", ["x", "e"], ["s"], name="add"),
             helper.make_node("Shape", ["s"], ["sh"], name="shape_of"),
             helper.make_node("Reshape", ["s", "sh"], ["y"], name="reshape")]
    return _model(nodes, [_f("one", [1.0]), _i("shape", [-7, 4])], [1, 4])


def range_infinite():
    # math.ceil(inf) raised OverflowError.
    return _bomb([helper.make_node("Range", ["a", "b", "c"], ["big"], name="the_range")],
                 [_f("a", 0.0), _f("b", np.inf), _f("c", 1.0)])


def reshape_float_shape():
    # A float shape of 1e38 / inf went through int(): OverflowError.
    return _model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="the_reshape")],
                  [_f("shape", [np.inf, 1e38])], [1, 4])


def node_name_not_utf8():
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="RELU")], [], [1, 4])
    return model.SerializeToString().replace(b"RELU", b"R\xffLU")


def initializer_dims_disagree():
    w = _f("w", [1.0])
    w.dims[:] = [1000]
    return _model([helper.make_node("Mul", ["x", "w"], ["y"], name="mul")], [w], [1, 4])


def attribute_without_type():
    node = helper.make_node("LeakyRelu", ["x"], ["y"], name="the_leaky", alpha=0.1)
    node.attribute[0].type = onnx.AttributeProto.UNDEFINED
    return _model([node], [], [1, 4])


def constant_without_value():
    return _model([helper.make_node("Constant", [], ["c"], name="the_constant"),
                   helper.make_node("Add", ["x", "c"], ["y"], name="add")], [], [1, 4])


def relu_without_input():
    return _model([helper.make_node("Relu", [], ["y"], name="the_relu")], [], [1, 4])


def empty_slice_then_add():
    # Found by fuzzing: an empty tensor reached the Add kernel, which divided by zero (SIGFPE).
    return _model([helper.make_node("Slice", ["x", "starts", "ends"], ["s"], name="the_slice"),
                   helper.make_node("Add", ["s", "s"], ["y"], name="add")],
                  [_i("starts", [2]), _i("ends", [8])], [1, 4, 6, 6])


# name -> (model builder, compile dims, substrings the ValueError must contain)
CASES = {
    "pad_near_2_62": (pad_near_2_62, [[1, 1, 2, 2]], ["the_pad", "overflows"]),
    "reshape_product_wraps": (reshape_product_wraps, [[1, 3, 16, 16]], ["the_reshape", "overflows"]),
    "maxpool_extent_wraps": (maxpool_extent_wraps, [[1, 1, 8, 8]], ["the_pool", "overflows"]),
    "conv_pads_near_2_63": (conv_pads_near_2_63, [[1, 1, 16, 16]], ["the_conv", "overflows"]),
    "constant_of_shape_bomb": (constant_of_shape_bomb, [[1, 1]], ["the_bomb", "max_constant_bytes", "17179869184"]),
    "expand_bomb": (expand_bomb, [[1, 1]], ["the_bomb", "max_constant_bytes"]),
    "range_bomb": (range_bomb, [[1, 1]], ["the_bomb", "max_constant_bytes"]),
    "expand_negative_shape": (expand_negative_shape, [[1, 4]], ["the_expand", "negative"]),
    "range_infinite": (range_infinite, [[1, 1]], ["the_range"]),
    "reshape_float_shape": (reshape_float_shape, [[1, 4]], ["the_reshape"]),
    "node_name_not_utf8": (node_name_not_utf8, [[1, 4]], ["node #0", "'name'", "UTF-8"]),
    "initializer_dims_disagree": (initializer_dims_disagree, [[1, 4]], ["'w'", "[1000]", "stores 1 values"]),
    "attribute_without_type": (attribute_without_type, [[1, 4]], ["the_leaky", "'alpha'", "no type"]),
    "constant_without_value": (constant_without_value, [[1, 4]], ["the_constant"]),
    "relu_without_input": (relu_without_input, [[1, 4]], ["the_relu", "0 inputs"]),
    "empty_slice_then_add": (empty_slice_then_add, [[1, 4, 6, 6]], ["the_slice", "empty tensor [0, 4, 6, 6]"]),
}

CHILD = textwrap.dedent("""
    import faulthandler, json, sys, numpy as np, fibnlr
    faulthandler.enable()
    results = {}
    for name, path, dims in json.load(open(sys.argv[1])):
        sys.stderr.write(f"case {name}\\n"); sys.stderr.flush()
        faulthandler.dump_traceback_later(60, exit=True)
        try:
            g = fibnlr.load_onnx(open(path, "rb").read())
            g.compile(dims=dims)
            g.forward(*[np.ones(d, np.float32) for d in dims])
            results[name] = ["ok", ""]
        except Exception as e:
            results[name] = [type(e).__name__, str(e)]
        faulthandler.cancel_dump_traceback_later()
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = []
    for name, (build, dims, _) in CASES.items():
        model = build()
        data = model if isinstance(model, bytes) else model.SerializeToString()
        path = folder / f"{name}.onnx"
        path.write_bytes(data)
        cases.append([name, str(path), dims])
    listing = folder / "cases.json"
    listing.write_text(json.dumps(cases))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(listing)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"child died (code {proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_model_gives_value_error(outcomes, name):
    kind, message = outcomes[name]
    assert kind == "ValueError", f"{name}: {kind}: {message}"
    for part in CASES[name][2]:
        assert part in message, f"{name}: {part!r} not in {message!r}"


def test_models_small_enough_still_load():
    """The limits do not refuse what fits: the same ConstantOfShape at 4x4, and a
    larger max_constant_bytes admits a constant the default refuses."""
    import fibnlr
    small = _bomb([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="c")], [_i("shape", [1, 1])])
    g = fibnlr.load_onnx(small)
    g.compile(dims=[[1, 1]])
    np.testing.assert_array_equal(g.forward(np.full((1, 1), 3.0, np.float32))[0], [[3.0]])
    bigger = _bomb([helper.make_node("ConstantOfShape", ["shape"], ["big"], name="c")], [_i("shape", [64, 64])])
    with pytest.raises(ValueError, match="max_constant_bytes=1024"):
        fibnlr.load_onnx(bigger, max_constant_bytes=1024)
    fibnlr.load_onnx(bigger, max_constant_bytes=64 * 64 * 4)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_constant_bytes_must_be_positive_int(bad):
    import fibnlr
    with pytest.raises(ValueError, match="max_constant_bytes"):
        fibnlr.load_onnx(relu_without_input(), max_constant_bytes=bad)


@pytest.fixture
def relu_graph():
    import fibnlr
    return fibnlr.load_onnx(_model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [], ["N", 3, 8, 8]))


@pytest.mark.parametrize("dims", [[2 ** 62, 3, 32, 32], [2 ** 32, 2 ** 32, 1, 1], [1, 2 ** 31, 1, 1]])
def test_compile_refuses_dims_too_large(relu_graph, dims):
    with pytest.raises(ValueError, match="compile: input 'x'"):
        relu_graph.compile(dims=[dims])


@pytest.mark.parametrize("dims", [[0, 3, 8, 8], [1, 3, 0, 8]])
def test_compile_refuses_empty_dims(relu_graph, dims):
    with pytest.raises(ValueError, match="must be positive"):
        relu_graph.compile(dims=[dims])


def test_compile_refuses_negative_dims(relu_graph):
    with pytest.raises(TypeError):
        relu_graph.compile(dims=[[-1, 3, 8, 8]])


def test_memory_limit_names_node_and_size():
    """A node whose output exceeds fibnlr.memory_limit() is refused at compile, by name and size."""
    import fibnlr
    g = fibnlr.load_onnx(_model([helper.make_node("Concat", ["x", "x"], ["y"], name="the_concat", axis=1)], [],
                                ["N", 3, 8, 8]))
    old = fibnlr.memory_limit()
    try:
        fibnlr.set_memory_limit(1 << 20)
        g.compile(dims=[[1, 2, 128, 128]])  # input 128 KiB, output 256 KiB: fits
        # Input 768 KiB fits 1 MiB; the output [1, 6, 256, 256] needs 1.5 MiB.
        with pytest.raises(ValueError, match=r"'the_concat'.*\[1, 6, 256, 256\] needs 1572864 bytes.*"
                                             r"memory limit of 1048576"):
            g.compile(dims=[[1, 3, 256, 256]])
    finally:
        fibnlr.set_memory_limit(old)
    assert fibnlr.memory_limit() == old
    with pytest.raises(ValueError, match="memory limit"):
        fibnlr.set_memory_limit(0)
