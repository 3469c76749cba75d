"""Exact merges through a bias (issue 10 §1): a chain of convs with nothing
non-linear between them is f(x) = L(x) + f(0); the merged conv computes L and
carries f(0) as a bias map, valid at the input size it was merged for.
Oracles: torch (float64) for chains, the unmerged graph for models, onnxruntime
for exported files."""
import math

import numpy as np
import onnx
import pytest

import fibnlr
from conftest import assert_close, run_onnxruntime
from fibnlr.recipes import merge_convolutions, simplify
from merge_chains import PRUNE_TYPES, build_chain, conv_spec, make_weights, prune_with_fibnlr, torch_chain
from models.export import export_zoo_model

# expand 1x1 -> depthwise 3x3 (pad 1) -> project 1x1, every conv with a bias (an inverted residual, ReLU6s pruned)
C = 8
SPECS = [conv_spec(6 * C, (1, 1)), conv_spec(6 * C, (3, 3), pads=(1, 1, 1, 1), group=6 * C), conv_spec(C, (1, 1))]


def inverted_chain(seed=0):
    params = make_weights(C, SPECS, np.random.default_rng(seed))
    return build_chain(SPECS, params, "inverted"), params


def test_inverted_residual_merges_into_one_conv_with_a_bias_map():
    g, params = inverted_chain()
    x = np.random.default_rng(1).normal(size=(2, C, 9, 7)).astype(np.float32)
    res = simplify(g, mode="exact", dims=[list(x.shape)])
    assert [m.nodes for m in res.merged] == [["c0", "c1", "c2"]]
    assert res.merged[0].exact and res.merged[0].bias_map
    (conv,) = g.get_nodes_by_type("Conv")
    assert conv.get_parameter("B").shape == (C, 9, 7)
    g.compile(dims=[list(x.shape)])
    assert_close(g.forward(x)[0], torch_chain(x, SPECS, params), 1e-5)
    # the batch size stays free
    x5 = np.random.default_rng(2).normal(size=(5, C, 9, 7)).astype(np.float32)
    g.compile(dims=[list(x5.shape)])
    assert_close(g.forward(x5)[0], torch_chain(x5, SPECS, params), 1e-5)


def test_other_spatial_dims_raise_value_error_naming_node_and_size():
    g, _ = inverted_chain()
    simplify(g, mode="exact", dims=[[1, C, 9, 7]])
    with pytest.raises(ValueError, match=r"'c0\+c2'.*merged for output size 9x7.*10x7"):
        g.compile(dims=[[1, C, 10, 7]])


def test_without_dims_the_old_rule_keeps_the_bias_apart():
    g, params = inverted_chain()
    res = merge_convolutions(g, mode="exact", max_mac_growth=math.inf)
    assert not any(m.bias_map for m in res.merged)
    assert any(nodes == ["c0", "c1"] and "bias map" in reason for nodes, reason in res.skipped)
    x = np.random.default_rng(3).normal(size=(1, C, 6, 6)).astype(np.float32)
    g.compile(dims=[list(x.shape)])
    assert_close(g.forward(x)[0], torch_chain(x, SPECS, params), 1e-5)


def test_a_padded_conv_after_a_3x3_still_stays_apart_with_dims():
    specs = [conv_spec(4, (3, 3)), conv_spec(4, (3, 3), pads=(1, 1, 1, 1))]
    g = build_chain(specs, make_weights(4, specs, np.random.default_rng(4)))
    res = merge_convolutions(g, mode="exact", max_mac_growth=math.inf, dims=[[1, 4, 8, 8]])
    assert not res.merged and len(g.get_nodes_by_type("Conv")) == 2


def test_onnx_round_trip_and_onnxruntime_agree():
    g, params = inverted_chain()
    x = np.random.default_rng(5).normal(size=(3, C, 9, 7)).astype(np.float32)
    simplify(g, mode="exact", dims=[list(x.shape)])
    g.compile(dims=[list(x.shape)])
    ref = g.forward(x)[0].copy()
    model = fibnlr.to_onnx(g)
    assert [n.op_type for n in model.graph.node] == ["Conv", "Add"]
    assert len(model.graph.node[0].input) == 2  # the map is not a per-channel B
    (ort_out,) = run_onnxruntime(model, x)
    assert_close(ort_out, ref, 1e-5)
    back = fibnlr.load_onnx(model)
    (conv,) = back.get_nodes_by_type("Conv")
    assert not back.get_nodes_by_type("Add")
    assert conv.name() == "c0+c2" and conv.get_parameter("B").shape == (C, 9, 7)
    back.compile(dims=[list(x.shape)])
    assert_close(back.forward(x)[0], ref, 1e-6)


def test_import_folds_only_an_add_of_the_convs_exact_output_shape():
    """A per-channel constant [C,1,1] broadcasts: not a bias map, the Add stays."""
    g, _ = inverted_chain()
    simplify(g, mode="exact", dims=[[1, C, 9, 7]])
    model = fibnlr.to_onnx(g)
    add_const = model.graph.node[1].input[1]
    for t in model.graph.initializer:
        if t.name == add_const:
            t.CopyFrom(onnx.numpy_helper.from_array(np.ones((C, 1, 1), np.float32), add_const))
    back = fibnlr.load_onnx(model)
    assert len(back.get_nodes_by_type("Add")) == 1
    assert back.get_nodes_by_type("Conv")[0].input(2) is None


def test_torch_to_module_runs_a_merged_conv_with_a_bias_map():
    torch = pytest.importorskip("torch")
    from fibnlr.torch import to_module
    g, params = inverted_chain()
    x = np.random.default_rng(6).normal(size=(2, C, 9, 7)).astype(np.float32)
    simplify(g, mode="exact", dims=[list(x.shape)])
    m = to_module(g)
    with torch.no_grad():
        y = m(torch.from_numpy(x)).numpy()
    assert_close(y, torch_chain(x, SPECS, params), 1e-5)
    with pytest.raises(ValueError, match=r"'c0\+c2'.*merged for output size 9x7"):
        with torch.no_grad():
            m(torch.zeros(1, C, 10, 7))
    # and back: torch's ONNX export writes Conv + Add of the map, which load_onnx folds again
    from fibnlr.torch import from_module
    back = from_module(m, torch.from_numpy(x))
    convs = back.get_nodes_by_type("Conv")
    assert len(convs) == 1 and not back.get_nodes_by_type("Add")
    assert convs[0].get_parameter("B").shape == (C, 9, 7)
    back.compile(dims=[list(x.shape)])
    assert_close(back.forward(x)[0], y, 1e-5)


def test_pruned_mobilenet_v2_merges_exactly_through_biases():
    proto, x = export_zoo_model("mobilenet_v2", opset=13, fold_bn=False)
    g = fibnlr.load_onnx(proto)
    pruned, total = prune_with_fibnlr(g, x.shape, PRUNE_TYPES["mobilenet_v2"], threshold=1e9)
    assert pruned == total  # every ReLU6
    ref = g.forward(x)[0].copy()
    before = fibnlr.count_layers(g)
    res = simplify(g, mode="exact", dims=[list(x.shape)])
    assert all(m.exact for m in res.merged)
    assert any(m.bias_map for m in res.merged)
    assert any(len(m.nodes) == 3 for m in res.merged)  # expand -> depthwise -> project
    assert fibnlr.count_layers(g) < before / 3
    g.compile(dims=[list(x.shape)])
    got = g.forward(x)[0]
    assert_close(got, ref, 1e-5)
    (ort_out,) = run_onnxruntime(fibnlr.to_onnx(g), x)
    assert_close(ort_out, ref, 1e-4)
