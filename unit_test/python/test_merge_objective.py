"""A merge plan chosen by cost (issue 10 §2): objective "macs" (default),
"latency" (timed on fibnlr or onnxruntime), bad values rejected, and merging
through Identity / Dropout left by pruning. No timed assertions: which
partition is fastest is the machine's business; the tests check that the plan
is consistent with the costs it reports and that outputs do not change."""
import math

import numpy as np
import pytest

import fibnlr
from conftest import assert_close
from fibnlr.recipes import merge_convolutions, simplify
from merge_chains import build_chain, conv_spec, make_weights, torch_chain

C = 8
SPECS = [conv_spec(6 * C, (1, 1)), conv_spec(6 * C, (3, 3), pads=(1, 1, 1, 1), group=6 * C), conv_spec(C, (1, 1))]
DIMS = [[2, C, 10, 10]]


def chain(specs=SPECS, seed=0):
    params = make_weights(C, specs, np.random.default_rng(seed))
    return build_chain(specs, params), params


@pytest.mark.parametrize("call", [merge_convolutions, simplify])
def test_bad_objective_and_runtime_name_the_argument(call):
    g, _ = chain()
    nodes = len(g.get_nodes())
    with pytest.raises(ValueError, match="objective 'fast'"):
        call(g, objective="fast", dims=DIMS)
    with pytest.raises(ValueError, match="latency_runtime 'tensorrt'"):
        call(g, objective="latency", latency_runtime="tensorrt", dims=DIMS)
    with pytest.raises(ValueError, match="objective 'latency'.*dims"):
        call(g, objective="latency")
    assert len(g.get_nodes()) == nodes


def test_macs_objective_minimises_macs_and_reports_why_pairs_stay_apart():
    # 3x3 then 3x3, no padding, at 20x20: apart 18^2·9·C^2 + 16^2·9·C^2, merged 16^2·25·C^2 (more), whatever the cap.
    specs = [conv_spec(C, (3, 3)), conv_spec(C, (3, 3))]
    g, params = chain(specs)
    res = merge_convolutions(g, max_mac_growth=math.inf, dims=[[1, C, 20, 20]])
    assert res.merged == []
    ((nodes, reason),) = res.skipped
    assert nodes == ["c0", "c1"] and "least-macs partition" in reason
    res = merge_convolutions(g, max_mac_growth=math.inf, dims=[[1, C, 20, 20]], objective="layers")
    assert len(res.merged) == 1


def test_macs_objective_records_cost_before_and_after():
    g, params = chain()
    res = simplify(g, dims=DIMS)
    (m,) = res.merged
    # independent count per image at 10x10: pw 100*8*48 + dw 100*48*9 + pw 100*48*8; merged dense 3x3 100*8*8*9
    assert m.cost_before == pytest.approx(100 * (8 * 48 + 48 * 9 + 48 * 8))
    assert m.cost_after == pytest.approx(100 * 8 * 8 * 9)
    assert "bias map" in fibnlr.format_simplify_report(res)


@pytest.mark.parametrize("runtime", ["fibnlr", "onnxruntime"])
def test_latency_objective_picks_a_plan_consistent_with_its_timings(runtime):
    pytest.importorskip("onnxruntime")
    g, params = chain()
    x = np.random.default_rng(1).normal(size=DIMS[0]).astype(np.float32)
    res = merge_convolutions(g, objective="latency", latency_runtime=runtime, max_mac_growth=math.inf, dims=DIMS)
    for m in res.merged:
        assert m.cost_before > 0 and m.cost_after > 0
        assert m.cost_after <= m.cost_before * (1 + 1e-9)  # a merge is kept only when it is not slower
    for nodes, reason in res.skipped:
        assert len(nodes) == 2 and reason
    g.compile(dims=DIMS)
    assert_close(g.forward(x)[0], torch_chain(x, SPECS, params), 1e-5)


def test_merging_looks_through_identity_and_dropout_after_pruning():
    g, params = chain()
    convs = g.get_nodes_by_type("Conv")
    # what fibnlr_prune leaves: an Identity (and a Dropout) in place of the ReLU6s
    for i, (a, kind) in enumerate(zip(convs[:2], ["Identity", "Dropout"])):
        b = convs[i + 1]
        n = fibnlr.Node(kind, f"pruned{i}")
        g.add(n)
        a.add_child(n, 0, 0)
        n.add_child(b, 0, 0)
    kinds = [n.type() for n in g.get_nodes() if n.type() not in ("Producer", "Input")]
    assert kinds == ["Conv", "Identity", "Conv", "Dropout", "Conv"]
    x = np.random.default_rng(2).normal(size=DIMS[0]).astype(np.float32)
    res = merge_convolutions(g, dims=DIMS)
    assert [m.nodes for m in res.merged] == [["c0", "c1", "c2"]]
    assert [n.type() for n in g.get_nodes() if n.type() not in ("Producer", "Input")] == ["Conv"]
    g.compile(dims=DIMS)
    assert_close(g.forward(x)[0], torch_chain(x, SPECS, params), 1e-5)


def test_merge_convolutions_right_after_fibnlr_prune():
    """MobileNetV2 exported with BatchNorm folded, every ReLU6 pruned to Identity:
    merge_convolutions alone (no remove_identity) merges through the Identity nodes."""
    from merge_chains import PRUNE_TYPES, prune_with_fibnlr
    from models.export import export_zoo_model
    proto, x = export_zoo_model("mobilenet_v2", opset=13, fold_bn=True)
    g = fibnlr.load_onnx(proto)
    pruned, total = prune_with_fibnlr(g, x.shape, PRUNE_TYPES["mobilenet_v2"], threshold=1e9)
    assert pruned == total and not g.get_nodes_by_type("BatchNormalization")
    identities = len(g.get_nodes_by_type("Identity"))
    ref = g.forward(x)[0].copy()
    res = merge_convolutions(g, dims=[list(x.shape)])
    assert any(len(m.nodes) == 3 for m in res.merged)
    assert len(g.get_nodes_by_type("Identity")) < identities - len(res.merged)
    g.compile(dims=[list(x.shape)])
    assert_close(g.forward(x)[0], ref, 1e-5)
