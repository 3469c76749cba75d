"""Sharing a graph between threads, and failures mid-call: calls on one graph
are serialised by its lock, every call succeeds or leaves the graph as it was
(MemoryError, KeyboardInterrupt), prune refuses NNPR that was never computed,
enums reject unknown values, and annotations referring back to their graph
do not keep it alive."""
import _thread
import gc
import signal
import threading

import numpy as np
import pytest

import fibnlr
import fibnlr.recipes as R
from fibnlr import _core
from fibnlr_testlib import direct_graph, params, random_batches, zoo_graph


def reference(g, x):
    """g's output for x from a fresh copy compiled for x's shape (independent of g's state)."""
    c = g.clone()
    c.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[list(x.shape)])
    return c.forward(x)[0]


def close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-5)


# --- one graph, several threads ---------------------------------------------------------------

def test_threads_sharing_one_graph_with_same_and_different_batch_sizes_get_correct_outputs():
    g = zoo_graph("resnet18_cifar", 2)
    # xa and xc share the compiled buffers (same batch size); xb re-plans the graph.
    xa, xc = random_batches("resnet18_cifar", 2, 2, seed=1)
    xb = random_batches("resnet18_cifar", 1, 3, seed=2)[0]
    refs = [reference(g, x) for x in (xa, xb, xc)]
    wrong, errors = [], []

    def loop(i, x):
        try:
            for _ in range(15):
                if not close(g.forward(x)[0], refs[i]):
                    wrong.append(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=loop, args=(i, x)) for i, x in enumerate((xa, xb, xc))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []


def test_forward_while_fibnlr_compute_runs_in_another_thread_gives_correct_outputs():
    g = zoo_graph("resnet18_cifar", 2)
    x = random_batches("resnet18_cifar", 1, 2, seed=3)[0]
    ref = reference(g, x)
    R.fibnlr_prepare(g, params())
    batches = random_batches("resnet18_cifar", 12, 3, seed=4)  # batch 3: compute re-plans the graph
    wrong = []

    def loop():
        for _ in range(15):
            if not close(g.forward(x)[0], ref):
                wrong.append(1)

    t = threading.Thread(target=loop)
    t.start()
    conv = R.fibnlr_compute(g, batches, params(max_iteration=0, convergence_threshold=0.0))
    t.join()
    assert len(conv) == 12 and wrong == []
    assert close(g.forward(x)[0], ref)


def test_graph_lock_blocks_other_threads_and_is_reentrant():
    g = direct_graph()
    g.compile(dims=[[1, 2, 2, 2]])
    x = np.ones((1, 2, 2, 2), np.float32)
    done = threading.Event()

    def other():
        g.forward(x)
        done.set()

    with g.lock() as locked:
        assert locked is g
        with g.lock():
            g.forward(x)  # the holder may run the graph itself
        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=0.2)
        assert not done.is_set()  # it cannot finish while the lock is held
    t.join()
    assert done.is_set()


# --- MemoryError: strong guarantee ------------------------------------------------------------

def _inject_until_success(call, check_unchanged):
    """Makes the 1st, 2nd, ... allocation of `call` fail until a call succeeds; returns the failure count."""
    failures = 0
    for n in range(1, 200):
        _core._testing.fail_allocation(n)
        try:
            call()
        except MemoryError:
            _core._testing.fail_allocation(0)
            failures += 1
            check_unchanged()
            continue
        finally:
            _core._testing.fail_allocation(0)
        return failures
    raise AssertionError("the call never succeeded")


def test_forward_retried_after_memory_error_gives_correct_output():
    g = zoo_graph("resnet18_cifar", 2)
    x2, x3 = random_batches("resnet18_cifar", 1, 2, seed=5)[0], random_batches("resnet18_cifar", 1, 3, seed=6)[0]
    ref2, ref3 = reference(g, x2), reference(g, x3)
    relu = g.get_nodes_by_type("ReLU")[0]

    def unchanged():
        assert g.output_shape(relu)[0] == 2  # still compiled for batch 2
        assert close(g.forward(x3)[0], ref3)  # a retry works ...
        assert close(g.forward(x2)[0], ref2)  # ... and so does the old batch size

    failures = _inject_until_success(lambda: g.forward(x3), unchanged)
    assert failures >= 3
    assert close(g.forward(x3)[0], ref3)


def test_recipe_failing_with_memory_error_leaves_the_graph_as_before():
    rng = np.random.default_rng(0)
    g = fibnlr.GraphView("bn")
    x = g.add_input("x")
    conv = fibnlr.Node("Conv", "conv", {"pads": [1, 1, 1, 1]})
    x.add_child(conv, 0, 0)
    conv.set_parameter("W", rng.standard_normal((4, 3, 3, 3), dtype=np.float32))
    conv.set_parameter("B", rng.standard_normal(4, dtype=np.float32))
    bn = fibnlr.Node("BatchNormalization", "bn", {"epsilon": 1e-5})
    conv.add_child(bn, 0, 0)
    for name, v in (("scale", 1.5), ("B", 0.1), ("input_mean", 0.2), ("input_var", 2.0)):
        bn.set_parameter(name, np.full(4, v, np.float32))
    relu = fibnlr.Node("ReLU", "relu")
    bn.add_child(relu, 0, 0)
    for n in (conv, bn, relu):
        g.add(n)
    g.set_outputs([relu])
    g.compile(dims=[[2, 3, 5, 5]])
    xin = rng.standard_normal((2, 3, 5, 5), dtype=np.float32)
    before = g.forward(xin)[0]
    names = [(n.name(), n.type()) for n in g.get_nodes()]
    weight = conv.get_parameter("W").copy()

    def unchanged():
        assert [(n.name(), n.type()) for n in g.get_nodes()] == names
        assert np.array_equal(conv.get_parameter("W"), weight)
        assert close(g.forward(xin)[0], before)

    assert _inject_until_success(lambda: R.fold_batchnorm(g), unchanged) >= 1
    assert "BatchNormalization" not in [n.type() for n in g.get_nodes()]
    assert close(g.forward(xin)[0], before)


# --- Ctrl-C -----------------------------------------------------------------------------------

def test_ctrl_c_during_fibnlr_compute_over_a_data_provider_stops_it_and_restores_attributes():
    g = zoo_graph("resnet18_cifar", 2)
    R.fibnlr_prepare(g, params())
    xs = np.concatenate(random_batches("resnet18_cifar", 1, 2000, seed=7))
    provider = fibnlr.DataProvider(fibnlr.TensorDatabase(xs), 2)  # 1000 batches: minutes without the check
    p = params(max_iteration=0, convergence_threshold=0.0)
    R.fibnlr_compute(g, fibnlr.DataProvider(fibnlr.TensorDatabase(xs[:8]), 2), p)
    nodes = R.fibnlr_prepared_nodes(g)
    saved = [(R.fibnlr_get_npr(n).__copy__(), R.fibnlr_get_nnpr(n).__copy__(),
              R.fibnlr_get_activity_tracker(n).__copy__()) for n in nodes]
    # A process started in the background by a shell without job control inherits SIGINT ignored,
    # and then interrupt_main does nothing: Python's handler is installed for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            R.fibnlr_compute(g, provider, p)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert not provider.done()  # stopped between batches, long before the end
    for n, (npr, nnpr, tracker) in zip(nodes, saved):
        assert R.fibnlr_get_npr(n) == npr
        assert R.fibnlr_get_nnpr(n) == nnpr
        assert R.fibnlr_get_activity_tracker(n) == tracker


# --- prune before compute, enums --------------------------------------------------------------

def test_prune_before_compute_raises_naming_the_node_and_changes_nothing():
    g = direct_graph()
    g.compile(dims=[[2, 3, 4, 4]])
    R.fibnlr_prepare(g, params())
    assert all(np.isnan(R.fibnlr_get_nnpr(n).value) and not R.fibnlr_get_nnpr(n).computed()
               for n in R.fibnlr_prepared_nodes(g))
    with pytest.raises(ValueError, match=r"'relu'.*fibnlr_compute"):
        R.fibnlr_prune(g, params(ablation_threshold=1e9))
    assert [n.type() for n in g.get_nodes()].count("ReLU") == 1
    R.fibnlr_compute(g, [np.random.default_rng(0).standard_normal((2, 3, 4, 4), dtype=np.float32)], params())
    assert len(R.fibnlr_prune(g, params(ablation_threshold=1e9))) == 3


@pytest.mark.parametrize("enum,count", [(R.Method, 2), (R.NormalizationMethod, 4), (R.GroupMethod, 3),
                                        (R.AblationCriteria, 3), (R.AblationMethod, 3)])
def test_enums_reject_out_of_range_values(enum, count):
    for v in range(count):
        assert int(enum(v)) == v
    for bad in (count, 7, -1):
        with pytest.raises(ValueError, match=rf"{enum.__name__}\({bad}\): expected one of"):
            enum(bad)


# --- annotations referring back to their graph ------------------------------------------------

class _Sentinel:
    freed = 0

    def __del__(self):
        _Sentinel.freed += 1


class _Holder:
    def __init__(self, graph):
        self.graph = graph


@pytest.mark.parametrize("compiled", [False, True])
def test_an_annotation_referring_to_its_graph_does_not_keep_it_alive(compiled):
    gc.collect()
    _Sentinel.freed = 0
    for i in range(20):
        g = direct_graph()
        if compiled:
            g.compile(dims=[[1, 3, 4, 4]])
            g.forward(np.ones((1, 3, 4, 4), np.float32))
        g.get_node("relu").set_annotation("graph", g)                # direct cycle
        g.get_node("leaky").set_annotation("holder", _Holder(g))     # through a Python object
        g.get_node("clip").set_annotation("sentinel", _Sentinel())   # tells when the nodes die
        del g
    gc.collect()
    assert _Sentinel.freed == 20


def test_gc_does_not_clear_an_annotation_still_reachable_through_a_live_node():
    g = direct_graph()
    relu = g.get_node("relu")
    relu.set_annotation("graph", g)
    payload = {"value": 42}
    relu.set_annotation("payload", _Holder(payload))
    del g
    gc.collect()
    assert relu.get_annotation("payload").graph == {"value": 42}
    assert relu.get_annotation("graph").get_node("relu") == relu
