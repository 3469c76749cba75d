"""fibnlr.torch's operator table: every graph operator type, on awkward attributes
(asymmetric pads, ceil_mode overhang, even LRN sizes, negative Slice steps, Pad
on any axis), computes what graph.forward computes, to 1e-5 relative."""
import numpy as np
import pytest
import torch

import fibnlr
from conftest import assert_close
from torch_testlib import one_torch_thread  # noqa: F401 (autouse fixture)
from fibnlr.torch import CONVERTERS, to_module

R = np.random.default_rng(7)


def arr(*shape, positive=False):
    a = R.standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.5 if positive else a


# (id, type, attrs, data input shapes, parameters by input name)
CASES = [
    ("conv_bias_pads", "Conv", {"pads": [1, 1, 1, 1]}, [(2, 3, 7, 6)], {"W": arr(4, 3, 3, 3), "B": arr(4)}),
    ("conv_asym_stride_dilation", "Conv", {"pads": [0, 2, 1, 0], "strides": [2, 1], "dilations": [2, 1]},
     [(2, 3, 9, 8)], {"W": arr(5, 3, 3, 2)}),
    ("conv_depthwise", "Conv", {"pads": [1, 1, 1, 1], "group": 6, "strides": [2, 2]}, [(1, 6, 7, 7)],
     {"W": arr(6, 1, 3, 3), "B": arr(6)}),
    ("conv_grouped", "Conv", {"group": 2}, [(2, 4, 5, 5)], {"W": arr(6, 2, 1, 1)}),
    ("conv_same_upper", "Conv", {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, [(1, 2, 8, 7)], {"W": arr(3, 2, 4, 4)}),
    ("conv_same_lower", "Conv", {"auto_pad": "SAME_LOWER"}, [(1, 2, 6, 6)], {"W": arr(3, 2, 2, 3)}),
    ("conv_valid", "Conv", {"auto_pad": "VALID", "pads": [3, 3, 3, 3]}, [(1, 2, 6, 6)], {"W": arr(3, 2, 3, 3)}),
    ("conv_1d", "Conv", {"pads": [2, 1], "strides": [2]}, [(2, 3, 11)], {"W": arr(4, 3, 5), "B": arr(4)}),
    ("gemm_transB_bias", "Gemm", {"transB": 1}, [(3, 5)], {"B": arr(4, 5), "C": arr(4)}),
    ("gemm_transA_alpha_beta", "Gemm", {"transA": 1, "alpha": 0.5, "beta": 2.0}, [(5, 3)],
     {"B": arr(5, 4), "C": arr(3, 4)}),
    ("gemm_no_bias", "Gemm", {}, [(3, 5)], {"B": arr(5, 2)}),
    ("matmul_batched", "MatMul", {}, [(2, 3, 4)], {"B": arr(4, 5)}),
    ("matmul_two_inputs", "MatMul", {}, [(2, 3, 4), (1, 4, 2)], {}),
    ("batchnorm_4d", "BatchNormalization", {"epsilon": 1e-3}, [(2, 3, 4, 5)],
     {"scale": arr(3), "B": arr(3), "input_mean": arr(3), "input_var": arr(3, positive=True)}),
    ("batchnorm_2d", "BatchNormalization", {}, [(4, 3)],
     {"scale": arr(3), "B": arr(3), "input_mean": arr(3), "input_var": arr(3, positive=True)}),
    ("relu", "ReLU", {}, [(2, 3, 4)], {}),
    ("leaky_relu", "LeakyReLU", {"alpha": 0.2}, [(2, 3, 4)], {}),
    ("gelu_erf", "GELU", {}, [(2, 3, 4)], {}),
    ("gelu_tanh", "GELU", {"approximate": "tanh"}, [(2, 3, 4)], {}),
    ("clip_relu6", "Clip", {"min": 0.0, "max": 0.5}, [(2, 3, 4)], {}),
    ("clip_min_only", "Clip", {"min": -0.3}, [(2, 3, 4)], {}),
    ("clip_unbounded", "Clip", {}, [(2, 3, 4)], {}),
    ("sigmoid", "Sigmoid", {}, [(2, 3, 4)], {}),
    ("hard_sigmoid", "HardSigmoid", {"alpha": 0.3, "beta": 0.4}, [(2, 3, 4)], {}),
    ("hard_swish", "HardSwish", {}, [(2, 3, 4)], {}),
    ("tanh", "Tanh", {}, [(2, 3, 4)], {}),
    ("relu6", "ReLU6", {}, [(2, 3, 4)], {}),
    ("elu", "ELU", {"alpha": 0.7}, [(2, 3, 4)], {}),
    ("selu_custom", "SELU", {"alpha": 1.5, "gamma": 1.2}, [(2, 3, 4)], {}),
    ("selu_default", "SELU", {}, [(2, 3, 4)], {}),
    ("celu", "CELU", {"alpha": 2.0}, [(2, 3, 4)], {}),
    ("softplus", "Softplus", {}, [(2, 3, 4)], {}),
    ("mish", "Mish", {}, [(2, 3, 4)], {}),
    ("silu", "SiLU", {}, [(2, 3, 4)], {}),
    ("reduce_max", "ReduceMax", {"axes": [1, -1], "keepdims": 0}, [(2, 3, 4)], {}),
    ("reduce_min", "ReduceMin", {"axes": [0]}, [(2, 3, 4)], {}),
    ("reduce_sum_all", "ReduceSum", {}, [(2, 3, 4)], {}),
    ("global_max_pool", "GlobalMaxPool", {}, [(2, 3, 4, 5)], {}),
    ("prelu_per_channel", "PReLU", {}, [(2, 3, 4, 5)], {"slope": arr(3, 1, 1)}),
    ("prelu_one", "PReLU", {}, [(2, 3, 4)], {"slope": arr(1)}),
    ("resize_nearest_up", "Resize", {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                                     "nearest_mode": "floor", "scales": [1.0, 1.0, 2.0, 2.0]}, [(1, 2, 3, 4)], {}),
    ("resize_nearest_ties", "Resize", {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                                       "nearest_mode": "round_prefer_ceil", "sizes": [1, 2, 5, 3]}, [(1, 2, 3, 4)], {}),
    ("resize_linear_half_pixel", "Resize", {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel",
                                            "scales": [1.0, 1.0, 1.5, 0.5]}, [(1, 2, 4, 6)], {}),
    ("resize_linear_align_corners", "Resize", {"mode": "linear", "coordinate_transformation_mode": "align_corners",
                                               "sizes": [2, 2, 7, 1]}, [(2, 2, 3, 4)], {}),
    ("identity", "Identity", {}, [(2, 3, 4)], {}),
    ("dropout", "Dropout", {"ratio": 0.3}, [(2, 3, 4)], {}),
    ("add_broadcast", "Add", {}, [(2, 3, 4, 5), (3, 1, 5)], {}),
    ("add_constant", "Add", {}, [(2, 3, 4, 5)], {"B": arr(3, 1, 1)}),
    ("sub", "Sub", {}, [(2, 3, 4), (4,)], {}),
    ("mul_constant", "Mul", {}, [(2, 3, 4)], {"B": arr(1)}),
    ("div", "Div", {}, [(2, 3, 4)], {"B": arr(3, 1, positive=True)}),
    ("sum3", "Sum", {}, [(2, 3, 4), (3, 4), (2, 1, 4)], {}),
    ("lrn_odd", "LRN", {"size": 3, "alpha": 0.1, "beta": 0.6, "bias": 2.0}, [(2, 5, 3, 3)], {}),
    ("lrn_even", "LRN", {"size": 4, "alpha": 0.2}, [(2, 6, 3, 2)], {}),
    ("softmax_axis1", "Softmax", {"axis": 1}, [(3, 7)], {}),
    ("softmax_last", "Softmax", {"axis": -1}, [(2, 3, 5)], {}),
    ("maxpool_2x2", "MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}, [(2, 3, 7, 6)], {}),
    ("maxpool_ceil_pads", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
     [(1, 2, 8, 9)], {}),
    ("maxpool_asym_dilated", "MaxPool", {"kernel_shape": [2, 3], "pads": [0, 1, 2, 0], "dilations": [2, 1]},
     [(1, 2, 7, 7)], {}),
    ("maxpool_same_upper", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
     [(1, 2, 6, 7)], {}),
    ("maxpool_window_in_padding", "MaxPool", {"kernel_shape": [2, 2], "pads": [2, 0, 0, 2]}, [(1, 2, 4, 4)], {}),
    ("maxpool_asym_ceil", "MaxPool", {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 0, 1], "ceil_mode": 1},
     [(1, 2, 8, 7)], {}),
    ("maxpool_pads_beyond_half_kernel", "MaxPool", {"kernel_shape": [1, 1], "strides": [2, 2], "pads": [1, 1, 1, 1]},
     [(1, 2, 5, 4)], {}),
    ("maxpool_1d_ceil", "MaxPool", {"kernel_shape": [3], "strides": [2], "ceil_mode": 1}, [(2, 3, 10)], {}),
    ("avgpool_exclude_pad", "AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, [(2, 3, 5, 6)], {}),
    ("avgpool_include_pad", "AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1},
     [(2, 3, 5, 6)], {}),
    ("avgpool_ceil_include_pad", "AveragePool",
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 0, 1], "ceil_mode": 1, "count_include_pad": 1},
     [(1, 2, 7, 8)], {}),
    ("avgpool_ceil_include_pad_symmetric", "AveragePool",
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": 1},
     [(1, 2, 8, 8)], {}),
    ("avgpool_ceil_exclude_pad", "AveragePool",
     {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, [(1, 2, 5, 7)], {}),
    ("avgpool_asym_same_lower", "AveragePool", {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER"},
     [(1, 2, 5, 5)], {}),
    ("avgpool_1d", "AveragePool", {"kernel_shape": [2], "strides": [2]}, [(2, 3, 8)], {}),
    ("global_average_pool", "GlobalAveragePool", {}, [(2, 3, 5, 4)], {}),
    ("reduce_mean_spatial", "ReduceMean", {"axes": [2, 3], "keepdims": 1}, [(2, 3, 4, 5)], {}),
    ("reduce_mean_all", "ReduceMean", {"axes": [], "keepdims": 0}, [(2, 3, 4)], {}),
    ("reduce_mean_last", "ReduceMean", {"axes": [-1], "keepdims": 0}, [(2, 3, 4)], {}),
    ("flatten_1", "Flatten", {"axis": 1}, [(2, 3, 4, 5)], {}),
    ("flatten_0", "Flatten", {"axis": 0}, [(2, 3, 4)], {}),
    ("flatten_2", "Flatten", {"axis": 2}, [(2, 3, 4, 5)], {}),
    ("flatten_neg", "Flatten", {"axis": -1}, [(2, 3, 4)], {}),
    ("reshape_free_batch", "Reshape", {"shape": [0, -1]}, [(3, 2, 4, 2)], {}),
    ("reshape_split_channels", "Reshape", {"shape": [0, 2, 3, -1]}, [(2, 6, 4)], {}),
    ("transpose_perm", "Transpose", {"perm": [0, 2, 3, 1]}, [(2, 3, 4, 5)], {}),
    ("transpose_reverse", "Transpose", {}, [(2, 3, 4)], {}),
    ("squeeze_axis", "Squeeze", {"axes": [2]}, [(2, 3, 1, 4)], {}),
    ("squeeze_all", "Squeeze", {}, [(2, 1, 3, 1)], {}),
    ("unsqueeze", "Unsqueeze", {"axes": [1, -1]}, [(2, 3)], {}),
    ("concat_channels", "Concat", {"axis": 1}, [(2, 3, 4), (2, 1, 4)], {}),
    ("concat_last3", "Concat", {"axis": -1}, [(2, 3, 1), (2, 3, 2), (2, 3, 3)], {}),
    ("split_equal_uneven", "Split", {"axis": 1, "num_outputs": 2}, [(2, 5, 3)], {}),
    ("split_sizes", "Split", {"axis": -1, "num_outputs": 3, "split": [1, 2, 3]}, [(2, 3, 6)], {}),
    ("slice_steps", "Slice", {"starts": [1, 0], "ends": [100, 5], "axes": [2, 3], "steps": [2, 2]},
     [(2, 3, 7, 6)], {}),
    ("slice_negative_step", "Slice", {"starts": [-1, 4], "ends": [-100, 0], "axes": [1, -1], "steps": [-1, -2]},
     [(2, 3, 7)], {}),
    ("slice_negative_start", "Slice", {"starts": [-3], "ends": [-1]}, [(6, 3)], {}),
    ("pad_constant", "Pad", {"pads": [0, 1, 2, 0, 0, 0, 1, 3], "value": 0.5}, [(2, 3, 4, 5)], {}),
    ("pad_reflect_channels", "Pad", {"pads": [0, 2, 1, 1, 0, 1, 0, 2], "mode": "reflect"}, [(2, 4, 3, 5)], {}),
    ("pad_edge_crop", "Pad", {"pads": [0, 0, -1, 2, 0, 0, 3, -2], "mode": "edge"}, [(2, 3, 5, 6)], {}),
]


def single_node_graph(op_type, attrs, shapes, params):
    """x0, x1, ... -> one node (its parameters as Producers) -> every output."""
    g = fibnlr.GraphView(op_type)
    variadic = op_type in ("Sum", "Concat")
    node = fibnlr.Node(op_type, "node", attrs, len(shapes) if variadic else 0)
    for i in range(len(shapes)):
        g.add_input(f"x{i}").add_child(node, 0, i)
    for key, value in params.items():
        node.set_parameter(key, value)
    g.add(node)
    g.set_outputs([(node, k) for k in range(node.nb_outputs())])
    g.compile(dims=[list(s) for s in shapes])
    return g


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_operator_matches_graph_forward(case):
    _, op_type, attrs, shapes, params = case
    g = single_node_graph(op_type, attrs, shapes, params)
    xs = [arr(*s) for s in shapes]
    expected = g.forward(xs)
    module = to_module(g)
    with torch.no_grad():
        got = module(*[torch.from_numpy(x) for x in xs])
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        assert_close(a.numpy(), b, 1e-5, what=f"{case[0]} output {k}")


def test_every_operator_type_has_a_converter_and_a_case():
    graph_types = set(fibnlr.operator_types()) - {"Producer", "Input"}
    assert set(CONVERTERS) == graph_types
    assert {c[1] for c in CASES} == graph_types


def test_unsupported_operator_names_node_and_type(monkeypatch):
    monkeypatch.delitem(CONVERTERS, "LRN")
    g = single_node_graph("LRN", {"size": 3}, [(1, 4, 2, 2)], {})
    with pytest.raises(ValueError, match=r"node 'node' has type LRN"):
        to_module(g)


def test_dropout_drops_in_train_mode_only():
    g = single_node_graph("Dropout", {"ratio": 0.5}, [(4, 1000)], {})
    module = to_module(g)
    x = torch.ones(4, 1000)
    assert torch.equal(module(x), x)  # eval: the identity, like the graph
    module.train()
    y = module(x)
    assert 0.3 < float((y == 0).float().mean()) < 0.7 and torch.allclose(y[y != 0], torch.tensor(2.0))


def test_batchnorm_keeps_running_statistics_in_train_mode():
    params = {"scale": arr(3), "B": arr(3), "input_mean": arr(3), "input_var": arr(3, positive=True)}
    g = single_node_graph("BatchNormalization", {}, [(8, 3, 4, 4)], params)
    module = to_module(g).train()
    x = arr(8, 3, 4, 4)
    assert_close(module(torch.from_numpy(x)).detach().numpy(), g.forward(x)[0], 1e-5)
    trainable = {name.split(".")[-1] for name, _ in module.named_parameters()}
    assert trainable == {"node_scale", "node_B"}
    assert {name.split(".")[-1] for name, _ in module.named_buffers()} == {"node_input_mean", "node_input_var"}
