"""fibnlr.recipes depth merging from Python: each recipe on graphs built in
code, outputs before and after compared (torch as the oracle), applied twice,
must-not-fire cases, bad input."""
import math

import numpy as np
import pytest
import torch

import fibnlr
from conftest import assert_close
from fibnlr.recipes import (fold_batchnorm, fold_residual, merge_convolutions, remove_identity,
                            simplify)
from merge_chains import build_chain, conv_spec, make_weights, torch_chain

EXACT = 1e-5  # the bound: max abs error <= 1e-5 * max |reference|


def run(g, x):
    g.compile(dims=[list(x.shape)])
    return g.forward(x)[0].copy()


def convs(g):
    return [n for n in g.get_nodes() if n.type() == "Conv"]


def test_exact_chain_merges_into_one_conv(rng):
    specs = [conv_spec(6, (3, 3), (2, 2), (1, 0, 1, 1)), conv_spec(4, (1, 1)),
             conv_spec(5, (3, 3), dilations=(2, 1))]
    params = make_weights(3, specs, rng)
    g = build_chain(specs, params)
    x = rng.normal(size=(2, 3, 17, 15)).astype(np.float32)
    ref = torch_chain(x, specs, params)
    assert_close(run(g, x), ref, EXACT)
    res = merge_convolutions(g, mode="exact", max_mac_growth=math.inf, objective="layers")
    assert [m.nodes for m in res.merged] == [["c0", "c1", "c2"]]
    assert res.merged[0].new_node == "c0+c2" and res.merged[0].exact
    assert res.merged[0].max_deviation is None
    assert res.skipped == []
    assert [n.name() for n in convs(g)] == ["c0+c2"]
    assert_close(run(g, x), ref, EXACT)
    again = merge_convolutions(g, mode="exact", max_mac_growth=math.inf, objective="layers")
    assert again.merged == [] and again.skipped == []


def test_padded_chain_exact_refuses_approximate_reports_deviation(rng):
    specs = [conv_spec(4, (3, 3), pads=(1, 1, 1, 1)), conv_spec(4, (3, 3), pads=(1, 1, 1, 1))]
    params = make_weights(3, specs, rng)
    x = rng.normal(size=(1, 3, 12, 12)).astype(np.float32)
    ref = torch_chain(x, specs, params)

    g = build_chain(specs, params)
    res = merge_convolutions(g, mode="exact", max_mac_growth=math.inf, objective="layers")
    assert res.merged == []
    (nodes, reason), = res.skipped
    assert nodes == ["c0", "c1"] and "not exact" in reason
    assert len(convs(g)) == 2
    assert_close(run(g, x), ref, EXACT)

    g = build_chain(specs, params)
    res = merge_convolutions(g, mode="approximate", max_mac_growth=math.inf, objective="layers", dims=[list(x.shape)])
    (m,) = res.merged
    assert not m.exact and m.max_deviation > 0
    got = run(g, x)
    # the probe is the real input size: the reported deviation is of the order of what we measure
    measured = np.abs(got - ref).max()
    assert 0.1 * measured < m.max_deviation < 10 * measured
    np.testing.assert_allclose(got[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=EXACT * np.abs(ref).max())


def test_mac_growth_limit_and_reason(rng):
    specs = [conv_spec(4, (1, 1)), conv_spec(16, (1, 1))]
    params = make_weights(16, specs, rng)
    g = build_chain(specs, params)
    res = merge_convolutions(g)
    assert res.merged == []
    (nodes, reason), = res.skipped
    assert "MAC growth 2x" in reason and "max_mac_growth 1" in reason
    res = merge_convolutions(g, max_mac_growth=2.0, objective="layers")
    assert len(res.merged) == 1 and res.merged[0].macs_after == pytest.approx(2 * res.merged[0].macs_before)


def test_gemm_chain(rng):
    g = fibnlr.GraphView()
    x = g.add_input("x")
    a = fibnlr.Node("Gemm", "a", {"transB": 1})
    a.set_parameter("B", rng.normal(size=(12, 6)).astype(np.float32))
    a.set_parameter("C", rng.normal(size=12).astype(np.float32))
    b = fibnlr.Node("Gemm", "b")
    b.set_parameter("B", rng.normal(size=(12, 3)).astype(np.float32))
    x.add_child(a)
    a.add_child(b)
    g.add(a)
    g.add(b)
    g.set_outputs([b])
    xin = rng.normal(size=(4, 6)).astype(np.float32)
    wa, ca = a.get_parameter("B").copy(), a.get_parameter("C").copy()
    ref = (xin @ wa.T + ca) @ b.get_parameter("B")
    res = merge_convolutions(g)
    assert [m.nodes for m in res.merged] == [["a", "b"]]
    assert_close(run(g, xin), ref, EXACT)


def test_two_consumers_must_not_merge(rng):
    specs = [conv_spec(4, (1, 1)), conv_spec(4, (1, 1))]
    g = build_chain(specs, make_weights(3, specs, rng))
    g.set_outputs([g.get_node("c1"), g.get_node("c0")])
    res = merge_convolutions(g)
    assert res.merged == []
    (nodes, reason), = res.skipped
    assert nodes == ["c0", "c1"] and "2 uses" in reason


def test_bad_input_is_skipped_or_raises_value_error(rng):
    # mismatched channels: c1 expects 6 channels, c0 gives 8
    g = build_chain([conv_spec(8, (1, 1)), conv_spec(4, (1, 1))],
                    [(rng.normal(size=(8, 3, 1, 1)).astype(np.float32), None),
                     (rng.normal(size=(4, 6, 1, 1)).astype(np.float32), None)])
    res = merge_convolutions(g)
    assert res.merged == [] and "channels do not match" in res.skipped[0][1]
    assert len(convs(g)) == 2
    # weights computed at run time
    g = fibnlr.GraphView()
    x, w = g.add_input("x"), g.add_input("w")
    c0 = fibnlr.Node("Conv", "c0")
    c0.set_parameter("W", rng.normal(size=(4, 3, 1, 1)).astype(np.float32))
    c1 = fibnlr.Node("Conv", "c1")
    x.add_child(c0)
    c0.add_child(c1, 0, 0)
    w.add_child(c1, 0, 1)
    g.add(c0)
    g.add(c1)
    g.set_outputs([c1])
    res = merge_convolutions(g)
    assert res.merged == [] and "not a constant" in res.skipped[0][1]
    with pytest.raises(ValueError, match="'exact' or 'approximate'"):
        merge_convolutions(g, mode="fast")
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="max_mac_growth"):
            merge_convolutions(g, max_mac_growth=bad)
        with pytest.raises(ValueError, match="max_mac_growth"):
            simplify(g, max_mac_growth=bad)


def test_dims_that_do_not_fit_raise_before_any_change(rng):
    specs = [conv_spec(4, (1, 1)), conv_spec(4, (1, 1))]
    g = build_chain(specs, make_weights(3, specs, rng))
    with pytest.raises(ValueError, match="do not fit"):
        simplify(g, dims=[[1, 5, 8, 8]])
    with pytest.raises(ValueError, match="do not fit"):
        merge_convolutions(g, max_mac_growth=math.inf, objective="layers", dims=[[1, 5, 8, 8]])
    assert [n.name() for n in convs(g)] == ["c0", "c1"]


def _tiny_block(act, bn_eps=1e-3):
    """torch: conv3x3 -> BN -> act -> conv1x1 -> BN, + x, ReLU, exported and loaded."""
    from models.export import export_onnx

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(6, 6, 3, padding=1, bias=False)
            self.b1 = torch.nn.BatchNorm2d(6, eps=bn_eps)
            self.act = act
            self.c2 = torch.nn.Conv2d(6, 6, 1, bias=False)
            self.b2 = torch.nn.BatchNorm2d(6, eps=bn_eps)
            self.drop = torch.nn.Dropout(0.3)

        def forward(self, x):
            return torch.relu(self.drop(self.b2(self.c2(self.act(self.b1(self.c1(x)))))) + x)

    torch.manual_seed(0)
    m = Block().eval()
    with torch.no_grad():
        for bn in (m.b1, m.b2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    x = torch.randn(2, 6, 9, 9)
    with torch.no_grad():
        ref = m(x).numpy()
    return fibnlr.load_onnx(export_onnx(m, (2, 6, 9, 9))), x.numpy(), ref


def test_fold_batchnorm_and_remove_identity():
    g, x, ref = _tiny_block(torch.nn.Identity(), bn_eps=0.1)  # a large epsilon: a wrong one shows
    assert_close(run(g, x), ref, EXACT)
    folds = fold_batchnorm(g)
    assert len(folds) == 2 and all(f.into.endswith("Conv") for f in folds)
    assert not g.get_nodes_by_type("BatchNormalization")
    assert_close(run(g, x), ref, EXACT)
    assert fold_batchnorm(g) == []
    removed = remove_identity(g)   # the exporter keeps neither Identity nor Dropout in eval: add one
    assert removed == []
    conv = g.get_nodes_by_type("Conv")[0]
    ident = fibnlr.Node("Identity", conv.name())
    g.replace([conv], [ident])     # a conv "pruned" away: Identity is what fibnlr_prune leaves
    assert remove_identity(g) == [conv.name()]
    assert not g.get_nodes_by_type("Identity")


def test_simplify_folds_the_whole_block_when_the_activation_is_pruned():
    g, x, ref = _tiny_block(torch.nn.ReLU())
    relu = [n for n in g.get_nodes() if n.type() == "ReLU"][0]
    g.replace([relu], [fibnlr.Node("Identity", relu.name())])
    pruned = run(g, x)
    layers = fibnlr.count_layers(g)
    res = simplify(g, dims=[list(x.shape)])
    assert len(res.merged) == 1 and len(res.residual_folds) == 1
    assert res.residual_folds[0].skip == "identity"
    assert [n.type() for n in g.get_nodes() if n.type() not in ("Producer", "Input")] == ["Conv", "ReLU"]
    assert fibnlr.count_layers(g) < layers
    assert_close(run(g, x), pruned, EXACT)
    text = fibnlr.format_simplify_report(res)
    assert "layers 7 -> 2" in text and "residual folds: 1" in text
    assert simplify(g).merged == []


def test_kept_activation_keeps_the_skip():
    g, x, ref = _tiny_block(torch.nn.ReLU())
    res = simplify(g, dims=[list(x.shape)])
    assert res.merged == [] and res.residual_folds == []
    assert len(g.get_nodes_by_type("Add")) == 1
    assert_close(run(g, x), ref, EXACT)


def test_projection_skip_folds(rng):
    g = fibnlr.GraphView()
    x = g.add_input("x")
    w3 = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    w1, b1 = rng.normal(size=(5, 3, 1, 1)).astype(np.float32), rng.normal(size=5).astype(np.float32)
    conv = fibnlr.Node("Conv", "conv", {"strides": [2, 2], "pads": [1, 1, 1, 1]})
    conv.set_parameter("W", w3)
    proj = fibnlr.Node("Conv", "proj", {"strides": [2, 2]})
    proj.set_parameter("W", w1)
    proj.set_parameter("B", b1)
    add = fibnlr.Node("Add", "add")
    x.add_child(conv)
    x.add_child(proj)
    conv.add_child(add, 0, 0)
    proj.add_child(add, 0, 1)
    for n in (conv, proj, add):
        g.add(n)
    g.set_outputs([add])
    xin = rng.normal(size=(1, 3, 9, 9)).astype(np.float32)
    xt = torch.from_numpy(xin).double()
    ref = (torch.nn.functional.conv2d(xt, torch.from_numpy(w3).double(), stride=2, padding=1)
           + torch.nn.functional.conv2d(xt, torch.from_numpy(w1).double(), torch.from_numpy(b1).double(),
                                        stride=2)).numpy()
    (f,) = fold_residual(g)
    assert f.skip == "projection" and f.projection == "proj"
    assert [n.name() for n in convs(g)] == ["conv"] and not g.get_nodes_by_type("Add")
    assert_close(run(g, xin), ref, EXACT)
    assert fold_residual(g) == []
