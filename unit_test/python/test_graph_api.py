"""Inspecting and editing graphs from Python: nodes, attributes, parameters,
annotations, building and replacing."""
import numpy as np
import pytest

import fibnlr
from conftest import assert_close, run_onnxruntime
from models.export import export_zoo_model


@pytest.fixture
def tiny():
    model, x = export_zoo_model("tiny")
    g = fibnlr.load_onnx(model)
    g.compile(dims=[list(x.shape)])
    return g, x, model


def test_nodes_in_topological_order_with_onnx_names(tiny):
    g, _, model = tiny
    nodes = g.get_nodes()
    position = {n.name(): i for i, n in enumerate(nodes)}
    for n in nodes:
        for p in n.get_parents():
            if p is not None:
                assert position[p.name()] < position[n.name()]
    onnx_names = {n.name for n in model.graph.node}
    compute = [n for n in nodes if n.type() not in ("Producer", "Input")]
    assert {n.name() for n in compute} <= onnx_names
    conv = g.get_nodes_by_type("Conv")[0]
    assert g.get_node(conv.name()) is not None and g.get_node(conv.name()).name() == conv.name()
    assert g.get_node("no such node") is None
    assert conv.get_children() and all(conv in c.get_parents() for c in conv.get_children())


def test_operator_attributes_are_typed(tiny):
    g, _, _ = tiny
    conv = g.get_nodes_by_type("Conv")[0]
    op = conv.get_operator()
    attrs = op.attributes()
    assert op.type() == "Conv"
    assert isinstance(attrs["group"], int) and isinstance(attrs["pads"], list)
    assert [s[0] for s in op.input_specs()] == ["X", "W", "B"]
    op.set_attr("group", 1)
    with pytest.raises(ValueError, match="group"):
        op.set_attr("group", 0)
    with pytest.raises(ValueError, match="no attribute 'nope'"):
        op.set_attr("nope", 1)
    with pytest.raises(ValueError, match="strides"):
        op.set_attr("strides", [-1, 1])


def test_parameters_are_read_only_views_written_through_the_api(tiny):
    g, x, _ = tiny
    before = g.forward(x)[0]
    conv = g.get_nodes_by_type("Conv")[0]
    w = conv.get_parameter("W")
    assert w is not None and w.dtype == np.float32 and w.ndim == 4
    assert np.shares_memory(w, conv.get_parameter(1))
    assert not w.flags.writeable and not conv.parameters()["W"].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        w *= 0.0  # a numpy write the graph could not notice
    conv.write_parameter("W", np.zeros_like(w))
    assert not w.any()  # in place: the view handed out earlier sees it
    after = g.forward(x)[0]
    assert not np.allclose(before, after)
    with pytest.raises(ValueError, match=r"parameter W: shape \[1\] given, \[.*\] expected"):
        conv.write_parameter("W", np.ones(1, np.float32))
    assert not w.any()  # refused: nothing written
    ones = np.ones_like(w)
    conv.set_parameter("W", ones)
    ones[...] = 5.0  # set_parameter copied: the caller's array is not an alias
    assert float(conv.parameters()["W"].sum()) == w.size
    with pytest.raises(ValueError, match="no input named 'Q'"):
        conv.get_parameter("Q")


def _conv3x3_graph(w, x_shape):
    g = fibnlr.GraphView("conv3x3")
    conv = fibnlr.Node("Conv", "conv", {"pads": [1, 1, 1, 1]})
    g.add_input("x").add_child(conv, 0, 0)
    conv.set_parameter("W", w)
    g.add(conv)
    g.set_outputs([conv])
    g.compile(dims=[list(x_shape)])
    return g, conv


@pytest.mark.parametrize("kernels", ["cpu", "cpu-generic"])
def test_kept_winograd_weights_follow_write_parameter(kernels, restore_kernels, rng):
    # A 3x3 stride-1 conv runs on Winograd, which keeps its transformed weights
    # between forwards: a write through the API must be seen at the next forward.
    fibnlr.set_kernels(kernels)
    # 64 tiles: Winograd F(2x2); 40 channels (K = 360): too many weights per output for the direct kernel
    x = rng.standard_normal((1, 40, 16, 16)).astype(np.float32)
    g, conv = _conv3x3_graph(rng.standard_normal((40, 40, 3, 3)).astype(np.float32), x.shape)
    assert any("winograd" in line for line in g.compiled_plan())
    first = g.forward(x)[0]
    np.testing.assert_array_equal(g.forward(x)[0], first)
    w2 = rng.standard_normal((40, 40, 3, 3)).astype(np.float32)
    conv.write_parameter("W", w2)
    second = g.forward(x)[0]
    np.testing.assert_array_equal(second, _conv3x3_graph(w2, x.shape)[0].forward(x)[0])
    assert not np.allclose(second, first)


def test_step_times_follow_the_compiled_plan(rng):
    x = rng.standard_normal((1, 40, 16, 16)).astype(np.float32)
    g, _ = _conv3x3_graph(rng.standard_normal((40, 40, 3, 3)).astype(np.float32), x.shape)
    with pytest.raises(ValueError, match="no forward was timed"):
        g.step_times()
    g.forward(x)  # warm-up, untimed
    g.profile_steps()
    with pytest.raises(ValueError, match="no forward was timed"):
        g.step_times()
    for _ in range(3):
        g.forward(x)
    times = g.step_times()
    assert [line for line, _ in times] == list(g.compiled_plan())
    assert all(0.0 < t < 1.0 for _, t in times)
    g.profile_steps(False)
    with pytest.raises(ValueError, match="no forward was timed"):
        g.step_times()
    uncompiled = fibnlr.GraphView("uncompiled")
    with pytest.raises(ValueError, match="not compiled"):
        uncompiled.profile_steps()


def test_annotations_typed_and_python_objects(tiny):
    g, _, _ = tiny
    relu = g.get_nodes_by_type("ReLU")[0]
    relu.set_annotation("user.score", 0.5)
    relu.set_annotation("user.count", 3)
    relu.set_annotation("user.label", "keep")
    relu.set_annotation("user.any", {"a": [1, 2]})
    assert relu.get_annotation("user.score") == 0.5
    assert relu.get_annotation("user.count") == 3
    assert relu.get_annotation("user.label") == "keep"
    assert relu.get_annotation("user.any") == {"a": [1, 2]}
    assert {"user.score", "user.count"} <= set(relu.annotation_keys())
    with pytest.raises(KeyError):
        relu.get_annotation("user.missing")
    copy = g.clone()
    copy.get_node(relu.name()).set_annotation("user.score", 1.5)
    assert relu.get_annotation("user.score") == 0.5


def test_build_a_graph_in_python_and_run_it(rng):
    g = fibnlr.GraphView("built")
    x = g.add_input("x")
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    conv = fibnlr.Node("Conv", "conv", {"pads": [1, 1, 1, 1], "strides": [2, 2]})
    x.add_child(conv, 0, 0)
    conv.set_parameter("W", w)
    conv.set_parameter("B", b)
    relu = fibnlr.Node("ReLU", "relu")
    conv.add_child(relu)
    g.add(conv)
    g.add(relu)
    g.set_outputs([relu])
    assert {n.name() for n in g.get_nodes()} == {"x", "conv", "conv_W", "conv_B", "relu"}
    data = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    g.compile(dims=[[2, 3, 7, 7]])
    y = g.forward(data)[0]
    assert y.shape == (2, 4, 4, 4)
    # Independent check with numpy: direct convolution at one output position.
    padded = np.pad(data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expect = max(0.0, float((padded[1, :, 2:5, 4:7] * w[3]).sum() + b[3]))
    assert y[1, 3, 1, 2] == pytest.approx(expect, rel=1e-5, abs=1e-5)


def test_replace_relu_by_identity_and_remove(tiny):
    g, x, model = tiny
    relus = g.get_nodes_by_type("ReLU")
    first = relus[0]
    name = first.name()
    g.replace([first], [fibnlr.Node("Identity", name)])
    assert g.get_node(name).type() == "Identity"
    y_identity = g.forward(x)[0]
    g.replace([g.get_node(name)], [])
    assert g.get_node(name) is None
    y_removed = g.forward(x)[0]
    np.testing.assert_allclose(y_identity, y_removed, rtol=1e-6, atol=1e-6)
    saved = fibnlr.to_onnx(g)
    assert_close(run_onnxruntime(saved, x)[0], y_removed)


def test_replace_failure_leaves_graph_unchanged(tiny):
    g, x, _ = tiny
    before = [(n.name(), n.type()) for n in g.get_nodes()]
    add = g.get_nodes_by_type("Add")[0]
    with pytest.raises(ValueError, match="exactly one input source"):
        g.replace([add], [])
    clash = fibnlr.Node("Identity", g.get_nodes_by_type("Conv")[0].name())
    with pytest.raises(ValueError, match="already used"):
        g.replace([g.get_nodes_by_type("ReLU")[0]], [clash])
    assert [(n.name(), n.type()) for n in g.get_nodes()] == before
    g.forward(x)


def test_tensor_buffer_protocol_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = fibnlr.Tensor(a)
    view = np.asarray(t)
    assert np.shares_memory(view, a)
    assert t.dims() == [2, 3] and t.dtype == fibnlr.dtype.float32
    a[0, 0] = 42
    assert t.numpy()[0, 0] == 42


def test_make_operator_lists_known_types():
    assert {"Conv", "ReLU", "GELU", "Producer", "Input"} <= set(fibnlr.operator_types())
    with pytest.raises(ValueError, match="unknown operator type 'Foo'"):
        fibnlr.make_operator("Foo")
    op = fibnlr.make_operator("LeakyReLU", {"alpha": 0.2})
    assert op.get_attr("alpha") == pytest.approx(0.2)
