"""FIBNLR measuring fused into the producers' epilogues (cpu plan) gives the
same NPR masses and dead-channel flags as the unfused reference path."""
import numpy as np
import pytest

import fibnlr
from fibnlr import recipes as R
from fibnlr_testlib import params, random_batches, zoo_graph


def _measure(name, kernels, batches):
    fibnlr.set_kernels(kernels)
    try:
        g = zoo_graph(name, batches[0].shape[0])
        R.fibnlr_prepare(g)
        R.fibnlr_compute(g, batches, params(convergence_threshold=0.0, max_iteration=0))
        out = {}
        for n in g.get_nodes():
            if n.type() in ("ReLU", "LeakyReLU", "GELU"):
                npr = R.fibnlr_get_npr(n)
                out[n.name()] = (npr.neg, npr.pos, list(R.fibnlr_get_activity_tracker(n).neurons))
        plan = g.compiled_plan()
        return out, plan
    finally:
        fibnlr.set_kernels("cpu")


@pytest.mark.parametrize("name", ["resnet18_cifar", "leaky_gelu_net", "mobilenet_v3_small"])
def test_fused_measuring_equals_reference_path(name):
    batches = random_batches(name, 2, 4, seed=5)
    fused, plan = _measure(name, "cpu", batches)
    ref, _ = _measure(name, "ref", batches)
    assert fused.keys() == ref.keys() and fused
    # The cpu plan really measured inside fused steps (an activation after '+').
    assert any("+" in line for line in plan)
    for k in fused:
        (fn, fp, fa), (rn, rp, ra) = fused[k], ref[k]
        # Different kernels round the activation inputs differently (float):
        # the masses agree to float accuracy, the flags exactly.
        assert fn == pytest.approx(rn, rel=2e-5, abs=1e-6), k
        assert fp == pytest.approx(rp, rel=2e-5, abs=1e-6), k
        assert fa == ra, k
