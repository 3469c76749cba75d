"""End to end on MobileNetV2 and ResNet18 built in code: run FIBNLR with a
threshold that prunes at least a quarter of the non-linearities, simplify, and check that the pruned-then-
merged model equals the pruned-only model (exact mode), has fewer layers, and
exports to ONNX that onnxruntime runs with the same outputs."""
import math

import numpy as np
import pytest

import fibnlr
from conftest import assert_close, run_onnxruntime
from fibnlr.recipes import simplify
from merge_chains import PRUNE_TYPES, prune_with_fibnlr
from models.export import export_zoo_model

def compute_layers(g, types=None):
    return fibnlr.count_layers(g, types)


@pytest.mark.parametrize("name,growth", [("mobilenet_v2", 1.0), ("mobilenet_v2", math.inf),
                                         ("resnet18_cifar", 1.0)])
def test_pruned_then_merged_equals_pruned(name, growth):
    proto, x = export_zoo_model(name, opset=13, fold_bn=False)
    g = fibnlr.load_onnx(proto)
    pruned, total = prune_with_fibnlr(g, x.shape, PRUNE_TYPES[name], threshold=0.25)
    assert pruned >= total / 4
    assert len(g.get_nodes_by_type("Identity")) == pruned
    ref = g.forward(x)[0].copy()
    layers, conv_layers = compute_layers(g), compute_layers(g, ("Conv",))

    objective = "layers" if growth == math.inf else "macs"  # no MAC limit: the fewest layers
    res = simplify(g, mode="exact", max_mac_growth=growth, dims=[list(x.shape)], objective=objective)
    got = g.forward(x)[0]
    assert_close(got, ref, 1e-5)
    assert compute_layers(g) < layers
    assert not g.get_nodes_by_type("BatchNormalization") and not g.get_nodes_by_type("Identity")
    assert all(m.exact for m in res.merged)
    assert sum(c.macs for c in res.after) <= growth * sum(c.macs for c in res.before)
    if growth == math.inf and name == "mobilenet_v2":
        # depthwise -> projection pairs (exact: the projection does not pad) merge
        assert res.merged and compute_layers(g, ("Conv",)) < conv_layers
    for nodes, reason in res.skipped:
        assert len(nodes) == 2 and reason

    model = fibnlr.to_onnx(g)
    (ort_out,) = run_onnxruntime(model, x)
    assert_close(ort_out, ref, 1e-4)


def test_resnet_approximate_grows_kernels_and_reports_deviation():
    proto, x = export_zoo_model("resnet18_cifar", opset=13, fold_bn=False)
    g = fibnlr.load_onnx(proto)
    prune_with_fibnlr(g, x.shape, PRUNE_TYPES["resnet18_cifar"], threshold=0.25)
    res = simplify(g, mode="approximate", max_mac_growth=math.inf, dims=[list(x.shape)], objective="layers")
    convs = g.get_nodes_by_type("Conv")
    kernels = {tuple(n.get_parameter("W").shape[2:]) for n in convs}
    assert (5, 5) in kernels  # 3x3∘3x3
    strided = [n.get_parameter("W").shape[2] for n in convs
               if n.get_operator().get_attr("strides") == [2, 2] and "+" in n.name()]  # merged ones
    assert strided and min(strided) >= 7  # a stride-2 3x3 then a 3x3 is at least 7x7
    assert all(m.max_deviation is not None and not m.exact for m in res.merged)
    assert sum(c.macs for c in res.after) > sum(c.macs for c in res.before)
