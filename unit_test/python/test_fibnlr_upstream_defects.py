"""Regression tests, one per defect of the upstream implementation, plus
the fixes (dead layer, hooks after compute, rank-2 activity, MinMax edge
cases are covered in test_fibnlr_recipe.py)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fibnlr
from fibnlr import recipes as R
from fibnlr_testlib import direct_graph, masses, params

ROOT = Path(__file__).resolve().parents[2]


def run_python(code, timeout=60):
    """Runs `code` in a fresh interpreter (a deadlock there cannot hang pytest)."""
    # The child imports the same fibnlr as this process (installed or development tree).
    env_path = f"{Path(fibnlr.__file__).resolve().parents[1]}:{ROOT / 'unit_test' / 'python'}"
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})


def test_compute_with_a_python_database_and_loader_threads_does_not_deadlock():
    # Upstream keeps the GIL in fibnlr_compute while its loader threads need it.
    out = run_python("""
        import numpy as np, fibnlr
        from fibnlr_testlib import direct_graph
        class DB(fibnlr.Database):
            def __init__(self, x):
                fibnlr.Database.__init__(self); self.x = x
            def get_item(self, i): return [self.x[i]]
            def len(self): return len(self.x)
            def get_nb_modalities(self): return 1
        x = np.random.default_rng(0).standard_normal((12, 3, 5, 5), dtype=np.float32)
        g = direct_graph(); g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[4, 3, 5, 5]])
        provider = fibnlr.DataProvider(DB(x), 4, shuffle=True, seed=1, nb_threads=4)
        fibnlr.fibnlr_prepare(g)
        conv = fibnlr.fibnlr_compute(g, provider, fibnlr.fibnlr_Parameters(convergence_threshold=0.0))
        pos = fibnlr.fibnlr_get_npr(g.get_node("relu")).pos
        print(len(conv), repr(pos), repr(float(x[x > 0].astype(np.float64).sum())))
    """)
    assert out.returncode == 0, out.stderr
    n, got, want = out.stdout.split()
    assert n == "3" and float(got) == pytest.approx(float(want), rel=1e-6)


def test_compute_on_a_provider_never_iterated_before():
    # Upstream crashes: its provider state is only set up by iteration.
    g = direct_graph()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[4, 3, 5, 5]])
    x = np.random.default_rng(1).standard_normal((8, 3, 5, 5), dtype=np.float32)
    provider = fibnlr.DataProvider(fibnlr.TensorDatabase(x), 4, shuffle=True, drop_last=True, seed=0)
    pruned = fibnlr.fibnlr(g, provider, params(convergence_threshold=0.0, ablation_method=R.AblationMethod.NONE))
    assert isinstance(pruned, list)  # graph order (issue 14), was a set
    assert R.fibnlr_get_npr(g.get_node("relu")).pos == pytest.approx(masses(x)[1], rel=1e-6)


def test_annotations_are_readable_from_python_when_prepare_ran_in_cpp():
    # Upstream: annotations only convert once prepare was called from Python.
    # Here prepare runs inside the C++ one-shot recipe, in a fresh interpreter.
    out = run_python("""
        import numpy as np, fibnlr
        from fibnlr_testlib import direct_graph
        g = direct_graph(); g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[2, 3, 5, 5]])
        x = np.random.default_rng(0).standard_normal((2, 3, 5, 5), dtype=np.float32)
        fibnlr.fibnlr(g, [x], fibnlr.fibnlr_Parameters.none())
        n = g.get_node("relu")
        print(type(n.get_annotation("fibnlr.npr")).__name__, type(n.get_annotation("fibnlr.nnpr")).__name__,
              type(n.get_annotation("fibnlr.activity")).__name__, type(n.get_annotation("fibnlr.group")).__name__,
              n.get_annotation("fibnlr.npr").pos > 0)
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["NPR", "NNPR", "ActivityTracker", "Group", "True"]


def test_attributes_are_writable_from_python_and_live():
    g = direct_graph()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[1, 1, 1, 1]])
    R.fibnlr_prepare(g, params(group=R.GroupMethod.NONE))
    relu, leaky, gelu = (g.get_node(n) for n in ("relu", "leaky", "gelu"))
    # through the helpers
    R.fibnlr_set_group(relu, R.Group(5))
    assert R.fibnlr_find_node_by_group(g, 5) == [relu]
    # through a live reference: C++ sees the change
    R.fibnlr_get_group(leaky).id = 5
    assert set(R.fibnlr_find_node_by_group(g, 5)) == {relu, leaky}
    # through the generic annotation API, with the bound type
    gelu.set_annotation("fibnlr.group", R.Group(9))
    assert R.fibnlr_get_group(gelu).id == 9 and R.fibnlr_find_groups(g) == {5, 9}
    R.fibnlr_get_npr(relu).pos = 4.0
    R.fibnlr_get_npr(relu).neg = 1.0
    R.fibnlr_set_npr(leaky, R.NPR(neg=3.0, pos=1.0))
    out = R.fibnlr_compute_NNPR(g, params(normalization=R.NormalizationMethod.SUM))
    assert out[relu] == pytest.approx(0.25 / 3.25) and out[leaky] == pytest.approx(3.0 / 3.25)
    assert out[gelu] == 1.0  # alone in group 9, Strict
    assert R.fibnlr_try_get_npr(g.get_node("clip")) is None
    with pytest.raises(ValueError, match="'clip'"):
        R.fibnlr_get_npr(g.get_node("clip"))
    t = R.fibnlr_add_activity_tracker(g.get_node("clip"))
    t.add([True, False])
    assert R.fibnlr_get_activity_tracker(g.get_node("clip")).count_dead_neurons() == 1
    assert R.fibnlr_has_activity_tracker(g.get_node("clip"))


def test_manual_grouping_is_usable_from_python_end_to_end():
    g = direct_graph()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[2, 3, 5, 5]])
    p = fibnlr.fibnlr_Parameters.paper()
    p.group_assignments = {"relu": 1, "leaky": 1, "gelu": 2}
    p.ablation_criteria = R.AblationCriteria.X_LEAST_PER_GROUP
    p.ablation_threshold = 10.0
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 5), dtype=np.float32)
    pruned = fibnlr.fibnlr(g, [x, x], p)
    assert R.fibnlr_find_groups(g) == {1, 2}
    # one per group: in group 1 the lower NNPR of relu and leaky; gelu alone in group 2
    assert len(pruned) == 2 and "gelu" in {n.name() for n in pruned}


def test_attribute_types_equality_ordering_hash_repr():
    a, b = R.NPR(1.0, 4.0), R.NPR(1.0, 2.0)
    assert a < b and a != b and a == R.NPR(1.0, 4.0) and hash(a) == hash(R.NPR(1.0, 4.0))
    assert R.NNPR(0.1) < R.NNPR(0.2) and len({R.NNPR(0.1), R.NNPR(0.1)}) == 1
    assert R.Group(2) == R.Group(2) and sorted([R.Group(3), R.Group(1)]) == [R.Group(1), R.Group(3)]
    assert R.ActivityTracker([True, False]) == R.ActivityTracker([True, False])
    assert repr(R.Group(4)) == "Group(4)" and repr(R.NNPR(0.5)) == "NNPR(0.5)"
    assert repr(R.NPR(1, 2)).startswith("NPR(neg=1, pos=2")
    assert repr(R.ActivityTracker([True, False, True])) == "ActivityTracker(dead=2/3)"
    assert R.NPR().value() == 1.0
    t = R.ActivityTracker()
    t.add([False, True])
    assert t.is_dead(0) and not t.is_dead(1)


def test_conv_helpers_from_python_use_the_correct_stride_2_geometry():
    g = fibnlr.GraphView()
    x = g.add_input("x")
    rng = np.random.default_rng(0)

    def conv(name, parent, cin, cout, k, s):
        n = fibnlr.Node("Conv", name, {"strides": [s, s], "pads": [0, 0, 0, 0]})
        parent.add_child(n, 0, 0)
        n.set_parameter("W", rng.standard_normal((cout, cin, k, k), dtype=np.float32))
        g.add(n)
        return n

    a = conv("a", x, 3, 4, 3, 2)
    b = conv("b", a, 4, 5, 3, 1)
    assert R.is_conv(a) and R.is_child_of(b, a) and not R.is_child_of(a, b)
    assert R.is_tensor(a.get_parent(1))
    assert R.get_kernel_dims(a) == [3, 3] and R.get_kernel_strides(a) == [2, 2]
    assert R.in_channels(b) == 4 and R.out_channels(b) == 5
    assert R.compute_kernel_dims(a, b) == [7, 7]  # upstream formula: (3 - 1) * 1 + 3 = 5
    assert R.compute_kernel_strides(a, b) == [2, 2]
    m = R.conv_from(a, b)
    op = m.get_operator()
    assert m.type() == "Conv" and m.get_parent(1) is None  # no weights
    assert list(op.get_attr("kernel_shape")) == [7, 7] and list(op.get_attr("strides")) == [2, 2]
    assert list(op.get_attr("dilations")) == [1, 1]
