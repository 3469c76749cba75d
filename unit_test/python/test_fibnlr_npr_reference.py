"""NPR and activity flags checked against independent references: numpy sums
over the activation inputs that PyTorch computes (forward pre-hooks) on a
ResNet, and over onnxruntime's intermediate outputs on models with ReLU,
LeakyReLU and GELU."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import fibnlr
from fibnlr import recipes as R
from fibnlr_testlib import export_zoo_model_shape, masses, params, random_batches, zoo_bytes, zoo_graph
from models.export import build_zoo_model

NO_STOP = dict(convergence_threshold=0.0, max_iteration=0)


def _check_against(expected_inputs, nodes):
    """expected_inputs: per node, the list of its input arrays over all batches."""
    assert len(expected_inputs) == len(nodes)
    for arrays, node in zip(expected_inputs, nodes):
        neg = sum(masses(a)[0] for a in arrays)
        pos = sum(masses(a)[1] for a in arrays)
        npr = R.fibnlr_get_npr(node)
        assert npr.neg == pytest.approx(neg, rel=1e-4), node.name()
        assert npr.pos == pytest.approx(pos, rel=1e-4), node.name()
        assert npr.non_finite == 0
        # dead flags: channel never > 0; skip channels whose maximum is within float noise of 0
        chan_max = np.max([a.reshape(a.shape[0], a.shape[1], -1).max(axis=(0, 2)) for a in arrays], axis=0)
        flags = R.fibnlr_get_activity_tracker(node).neurons
        assert len(flags) == arrays[0].shape[1]
        for c, m in enumerate(chan_max):
            if abs(m) > 1e-5:
                assert flags[c] == (m <= 0), (node.name(), c, m)


def test_npr_matches_numpy_over_pytorch_activation_inputs_on_resnet18():
    model, _ = build_zoo_model("resnet18_cifar")
    captured = []

    def pre_hook(module, inputs):
        captured.append(inputs[0].detach().numpy().copy())  # copy: the ReLU is in place

    handles = [m.register_forward_pre_hook(pre_hook) for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    batches = random_batches("resnet18_cifar", 2, 4, seed=11)
    per_call = None
    with torch.no_grad():
        for b in batches:
            captured.clear()
            model(torch.from_numpy(b))
            if per_call is None:
                per_call = [[] for _ in captured]
            for i, a in enumerate(captured):
                per_call[i].append(a)
    for h in handles:
        h.remove()

    g = zoo_graph("resnet18_cifar", 4)
    R.fibnlr_prepare(g)
    conv = R.fibnlr_compute(g, batches, params(**NO_STOP))
    assert len(conv) == 2
    nodes = R.fibnlr_prepared_nodes(g)  # topological order = torch call order
    assert len(nodes) == 17
    _check_against(per_call, nodes)


def _ort_intermediates(name, g, nodes, batches, opset=13):
    proto = onnx.load_from_string(zoo_bytes(name, opset))
    tensor_names = []
    for n in nodes:
        parent, index = n.input(0)
        if parent.type() == "Input":
            tensor_names.append(parent.name())
        else:
            tensor_names.append(parent.get_annotation("onnx.output_names")[index])
    existing = {o.name for o in proto.graph.output}
    for t in tensor_names:
        if t not in existing:
            proto.graph.output.append(onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    per_node = [[] for _ in nodes]
    for b in batches:
        outs = sess.run(tensor_names, {"input": b})
        for i, o in enumerate(outs):
            per_node[i].append(o)
    return per_node


@pytest.mark.parametrize("name,types", [
    ("resnet18_cifar", {"ReLU"}),
    ("leaky_gelu_net", {"LeakyReLU", "GELU"}),
    ("mobilenet_v3_small", {"ReLU"}),
])
def test_npr_matches_onnxruntime_intermediate_outputs(name, types):
    batch = 3
    batches = random_batches(name, 2, batch, seed=5)
    g = zoo_graph(name, batch)
    prepared = R.fibnlr_prepare(g)
    assert {n.type() for n in prepared} == types
    R.fibnlr_compute(g, batches, params(**NO_STOP))
    nodes = R.fibnlr_prepared_nodes(g)
    _check_against(_ort_intermediates(name, g, nodes, batches), nodes)


def test_npr_on_rank_2_inputs_of_fully_connected_layers():
    # leaky_gelu_net's head GELU reads a [N, 64] input: activity flags are filled (upstream: 4-D only).
    g = zoo_graph("leaky_gelu_net", 3)
    R.fibnlr_prepare(g)
    R.fibnlr_compute(g, random_batches("leaky_gelu_net", 1, 3), params(max_iteration=1))
    rank2 = [n for n in R.fibnlr_prepared_nodes(g) if len(g.output_shape(*n.input(0))) == 2]
    assert rank2
    for n in rank2:
        assert len(R.fibnlr_get_activity_tracker(n).neurons) == g.output_shape(*n.input(0))[1]
        assert R.fibnlr_get_group(n).id == 1
