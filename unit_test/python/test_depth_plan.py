"""plan_depth / apply_plan on small graphs built in code (depth_plan_testlib)."""
import numpy as np
import pytest

import fibnlr
from fibnlr import recipes as R
from fibnlr.depth_plan import DepthPlan, apply_plan, plan_depth
from fibnlr.depth_plan.damage import divergence

from depth_plan_testlib import CH, SIZE, images, two_block_model

BLOCK_A, BLOCK_B = {"A_relu1", "A_relu2"}, {"B_relu1", "B_relu2"}


def _plan(graph, **kw):
    kw.setdefault("objective", "macs")
    kw.setdefault("max_divergence", 10.0)
    return plan_depth(graph, images(256), progress=False, **kw)


def _structure(graph):
    return [(n.name(), n.type()) for n in graph.get_nodes()]


def _macs(graph):
    return sum(c.macs for c in R.layer_costs(graph, dims=[[1, CH, SIZE, SIZE]]))


def test_a_block_is_picked_only_whole():
    plan = _plan(two_block_model())
    picked = set(plan.picked)
    for block in (BLOCK_A, BLOCK_B):
        assert block <= picked or not (block & picked), plan.summary()
    assert BLOCK_A <= picked and BLOCK_B <= picked
    singles = [c for c in plan.candidates if len(c.nodes) == 1 and c.nodes[0] in BLOCK_A | BLOCK_B]
    assert all(c.gain == 0 and not c.picked for c in singles), plan.summary()
    # The MACs the plan priced are the MACs of the applied model: 2 blocks of 64 pixels, 208 -> 36 MACs each.
    assert plan.cost_before - plan.cost_after == pytest.approx(2 * 64 * (208 - 36))


def test_budget_is_respected_and_a_too_costly_block_stays():
    loose = _plan(two_block_model())
    costly = max(loose.candidates, key=lambda c: c.damage if c.picked else -1)
    budget = costly.damage * 0.5
    plan = _plan(two_block_model(), max_divergence=budget)
    assert plan.divergence <= budget
    assert not set(costly.nodes) <= set(plan.picked)
    assert any("exceed max_divergence" in c.why for c in plan.candidates)
    nothing = _plan(two_block_model(), max_divergence=0.0)
    assert nothing.picked == [] and nothing.ratio == 1.0


def test_plan_is_deterministic_for_a_seed():
    a, b = _plan(two_block_model(), seed=3), _plan(two_block_model(), seed=3)
    assert a.to_dict() == b.to_dict()
    c = _plan(two_block_model(), seed=4)  # another holdout split: other measured damages
    assert [x.damage for x in c.candidates] != [x.damage for x in a.candidates]


def test_apply_plan_gives_the_predicted_outputs_and_cost():
    graph = two_block_model()
    holdout = images(64, seed=9)
    reference = graph.clone()
    reference.compile(dims=[[64, CH, SIZE, SIZE]])
    (before,) = reference.forward(holdout)
    plan = _plan(graph, holdout=holdout)
    assert plan.picked
    result = apply_plan(graph, plan)
    assert len(result.merged) >= 2
    assert not any(n.type() == "ReLU" and n.name() in plan.picked for n in graph.get_nodes())
    graph.compile(dims=[[64, CH, SIZE, SIZE]])
    (after,) = graph.forward(holdout)
    # KL and agreement recomputed here from the two models' outputs.
    lp = before - before.max(1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(1, keepdims=True))
    lq = after - after.max(1, keepdims=True)
    lq = lq - np.log(np.exp(lq).sum(1, keepdims=True))
    kl = float((np.exp(lp) * (lp - lq)).sum(1).mean())
    assert kl == pytest.approx(plan.divergence, rel=1e-3, abs=1e-5)
    assert (before.argmax(1) == after.argmax(1)).mean() == pytest.approx(plan.agreement)
    assert _macs(graph) == pytest.approx(plan.cost_after)


def test_nonlinear_ops_target_stops_the_plan():
    plan = _plan(two_block_model(), objective="nonlinear_ops", target=0.5)
    assert all(len(c.nodes) == 1 for c in plan.candidates)
    assert plan.target_reached is True and plan.ratio <= 0.5
    # Evaluations per image: 16 channels × 64 pixels per block ReLU, 2 × 64 for relu_h.
    assert plan.cost_before == 4 * 16 * 64 + 2 * 64
    assert any(c.why == "target reached before this unit" for c in plan.candidates)


def test_unreachable_target_returns_the_best_found():
    plan = _plan(two_block_model(), objective="macs", target=100.0)
    assert plan.target_reached is False
    assert "not reached" in plan.message and plan.picked


def test_divergence_of_equal_outputs_is_zero():
    z = np.random.default_rng(0).standard_normal((5, 7))
    assert divergence(z, z) == (0.0, 1.0)
    kl, agree = divergence(z, -z)
    assert kl > 0 and agree == 0.0


@pytest.mark.parametrize("kw, message", [
    ({"objective": "speed"}, "objective 'speed' is not one of"),
    ({"max_divergence": -0.1}, "max_divergence must be a finite number >= 0"),
    ({"target": 0.0}, "target (speed-up) must be"),
    ({"objective": "nonlinear_ops", "target": 1.5}, "fraction of non-linear evaluations left"),
    ({"mode": "fast"}, "mode 'fast'"),
    ({"latency_runtime": "tvm"}, "latency_runtime 'tvm'"),
])
def test_bad_arguments_name_the_value(kw, message):
    graph = two_block_model()
    before = _structure(graph)
    with pytest.raises(ValueError) as err:
        _plan(graph, **kw)
    assert message in str(err.value)
    assert _structure(graph) == before


def test_calibration_too_small_to_split_names_the_minimum():
    with pytest.raises(ValueError, match="calibration has 40 images; plan_depth needs at least 64"):
        plan_depth(two_block_model(), images(40), objective="macs", progress=False)


def test_plan_leaves_the_graph_alone_and_apply_refuses_a_foreign_plan():
    graph = two_block_model()
    before = _structure(graph)
    plan = _plan(graph)
    assert _structure(graph) == before
    other = two_block_model()
    R.remove_identity(other)  # a graph without one of the planned nodes
    other.replace([other.get_node("A_relu1")], [fibnlr.Node("Identity", "A_relu1")])
    R.remove_identity(other)
    changed = _structure(other)
    with pytest.raises(ValueError, match="node 'A_relu1' is not in graph"):
        apply_plan(other, plan)
    assert _structure(other) == changed
    with pytest.raises(TypeError, match="DepthPlan"):
        apply_plan(graph, plan.to_dict())


def test_plan_reports_every_candidate():
    plan = _plan(two_block_model())
    assert isinstance(plan, DepthPlan)
    d = plan.to_dict()
    assert {c["unit"] for c in d["candidates"]} >= {"A_relu1 + A_relu2", "B_relu1 + B_relu2", "relu_h"}
    for c in d["candidates"]:
        assert set(c) >= {"unit", "nodes", "npr", "nnpr", "gain", "damage", "agreement", "picked", "why"}
        assert c["why"]
        assert c["npr"] >= 0.0 and np.isfinite(c["npr"])  # NPR = neg / pos mass of the input
    assert "removed" in plan.summary() and "DepthPlan(macs" in repr(plan)
