"""Tests for fibnlr.onnx_io.graphs: subgraph reads, node names, dead code."""

import numpy as np
from onnx import TensorProto, helper

from onnx_io_testlib import (
    assert_same_outputs, float_info, make_model, normalize, op_types,
    random_feeds)


def test_tensors_read_only_by_subgraphs_are_kept():
    def branch(name, op):
        return helper.make_graph([helper.make_node(op, ["a", "k"], [name])],
                                 name, [], [float_info(name, [2, 3])])

    nodes = [helper.make_node("Constant", [], ["k"], value_float=2.0),
             helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("If", ["cond"], ["y"],
                              then_branch=branch("t", "Mul"),
                              else_branch=branch("e", "Sub"))]
    inputs = [float_info("x", [2, 3]),
              helper.make_tensor_value_info("cond", TensorProto.BOOL, [])]
    original = make_model(nodes, inputs, [float_info("y", [2, 3])])
    normalized = normalize(original)
    assert op_types(normalized) == ["Relu", "If"]
    assert [t.name for t in normalized.graph.initializer] == ["k"]
    for cond in (True, False):
        feeds = {**random_feeds((2, 3)), "cond": np.array(cond)}
        assert_same_outputs(original, normalized, feeds)


def test_every_node_gets_a_unique_name():
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Relu", ["a"], ["b"], name="Relu_0"),
             helper.make_node("Neg", ["b"], ["c"], name="dup"),
             helper.make_node("Neg", ["c"], ["y"], name="dup")]
    original = make_model(nodes, [float_info("x", [2])],
                          [float_info("y", [2])])
    names = [node.name for node in normalize(original).graph.node]
    assert all(names) and len(set(names)) == len(names)
    assert names[1:3] == ["Relu_0", "dup"]
