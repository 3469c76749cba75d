"""FIBNLR recipe semantics from Python: parameters, enums,
prepare, compute and its stopping rules, NNPR for every normalisation and
method, prune for every criterion and ablation method, bad input."""

import numpy as np
import pytest

import fibnlr
from fibnlr import recipes
from fibnlr_testlib import (DIRECT_SCALES, EPS, direct_graph, masses, npr_value, params, random_batches,
                            zoo_graph)

R = recipes
NO_STOP = dict(convergence_threshold=0.0, max_iteration=0)


def compiled_direct(dims=(4, 3, 5, 5)):
    g = direct_graph()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[list(dims)])
    return g


def data(n, dims=(4, 3, 5, 5), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(dims, dtype=np.float32) for _ in range(n)]


# --- names and parameters -------------------------------------------------------------

def test_upstream_names_are_in_the_submodule_and_at_top_level():
    for name in ["fibnlr_Parameters", "Method", "NormalizationMethod", "GroupMethod", "AblationCriteria",
                 "AblationMethod", "fibnlr_prepare", "fibnlr_compute", "fibnlr_compute_NNPR", "fibnlr_prune",
                 "fibnlr", "fibnlr_find_groups", "fibnlr_find_node_by_group", "NPR", "NNPR", "ActivityTracker",
                 "Group", "fibnlr_get_npr", "fibnlr_try_get_group", "fibnlr_set_group"]:
        assert getattr(fibnlr, name) is getattr(R, name)
        assert name in fibnlr.compat.UPSTREAM_NAMES  # importable, but not in fibnlr.__all__ (issue 14)
    assert R.prepare is R.fibnlr_prepare and R.run is R.fibnlr and R.Parameters is R.fibnlr_Parameters
    assert R.compute is R.fibnlr_compute and R.prune is R.fibnlr_prune
    import fibnlr.recipes as sub
    assert sub is R


def test_every_enum_value_exists_and_enums_are_scoped():
    assert [m.name for m in R.Method.__members__.values()] == ["STRICT", "LOOSE"]
    assert set(R.NormalizationMethod.__members__) == {"NONE", "MIN_MAX", "SUM", "AVERAGE"}
    assert set(R.GroupMethod.__members__) == {"NONE", "IMAGE_SIZE", "MANUAL"}
    assert set(R.AblationCriteria.__members__) == {"NONE", "X_LEAST_PER_GROUP", "THRESHOLD"}
    assert set(R.AblationMethod.__members__) == {"NONE", "IDENTITY", "REMOVE"}
    assert not hasattr(R, "STRICT")  # no export_values


def test_parameter_defaults_presets_and_repr():
    p = fibnlr.fibnlr_Parameters()
    assert p.method == R.Method.STRICT
    assert p.normalization == R.NormalizationMethod.SUM
    assert p.group == R.GroupMethod.IMAGE_SIZE
    assert p.ablation_criteria == R.AblationCriteria.THRESHOLD
    assert p.ablation_method == R.AblationMethod.IDENTITY
    assert p.ablation_threshold == 0.25 and p.ablation_x_least == 1
    assert p.max_iteration == 100 and p.convergence_threshold == 1e-5
    assert p.group_assignments == {} and p.node_types == ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU",
                                                           "GELU", "SiLU", "Mish", "Softplus"]
    n = fibnlr.fibnlr_Parameters.none()
    assert (n.method, n.normalization, n.group, n.ablation_criteria, n.ablation_method) == (
        R.Method.STRICT, R.NormalizationMethod.NONE, R.GroupMethod.NONE, R.AblationCriteria.NONE,
        R.AblationMethod.NONE)
    pp = fibnlr.fibnlr_Parameters.paper()
    assert (pp.method, pp.normalization, pp.group, pp.ablation_criteria, pp.ablation_method) == (
        R.Method.LOOSE, R.NormalizationMethod.AVERAGE, R.GroupMethod.MANUAL, R.AblationCriteria.NONE,
        R.AblationMethod.IDENTITY)
    assert "prunes nothing" in fibnlr.fibnlr_Parameters.paper.__doc__
    text = repr(p)
    assert text.startswith("fibnlr_Parameters(") and "ablation_threshold=0.25" in text and "'GELU'" in text
    q = fibnlr.fibnlr_Parameters(ablation_threshold=0.5, group_assignments={"a": 2}, node_types=["ReLU"])
    assert q.ablation_threshold == 0.5 and q.group_assignments == {"a": 2} and q.node_types == ["ReLU"]
    assert q != p and fibnlr.fibnlr_Parameters() == p


@pytest.mark.parametrize("field,value,words", [
    ("ablation_threshold", -0.5, ["ablation_threshold", "-0.5"]),
    ("max_iteration", -1, ["max_iteration", "-1"]),
    ("convergence_threshold", float("nan"), ["convergence_threshold"]),
])
def test_invalid_parameters_raise_and_leave_the_graph_unchanged(field, value, words):
    g = compiled_direct()
    R.fibnlr_prepare(g)
    R.fibnlr_compute(g, data(2), params(**NO_STOP))
    before = {n.name(): repr(R.fibnlr_get_npr(n)) for n in R.fibnlr_prepared_nodes(g)}
    p = params()
    setattr(p, field, value)
    for call in (lambda: R.fibnlr_prepare(g, p), lambda: R.fibnlr_compute(g, data(1), p),
                 lambda: R.fibnlr_prune(g, p), lambda: R.fibnlr(g, data(1), p)):
        with pytest.raises(ValueError) as e:
            call()
        assert all(w in str(e.value) for w in words)
    assert {n.name(): repr(R.fibnlr_get_npr(n)) for n in R.fibnlr_prepared_nodes(g)} == before
    assert g.get_node("relu").type() == "ReLU"


def test_x_least_zero_is_invalid_only_with_x_least_per_group():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    R.fibnlr_compute_NNPR(g)  # prune refuses NNPR never computed
    with pytest.raises(ValueError, match="ablation_x_least.*X_LEAST_PER_GROUP"):
        R.fibnlr_prune(g, params(ablation_criteria=R.AblationCriteria.X_LEAST_PER_GROUP, ablation_x_least=0))
    R.fibnlr_prune(g, params(ablation_x_least=0, ablation_method=R.AblationMethod.NONE))  # unused: fine


def test_manual_grouping_naming_unknown_or_unprepared_nodes_is_an_error():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    p = fibnlr.fibnlr_Parameters.paper()
    p.group_assignments = {"missing": 1}
    with pytest.raises(ValueError, match="'missing'"):
        R.fibnlr_prepare(g, p)
    p.group_assignments = {"clip": 1}
    with pytest.raises(ValueError, match="'clip'.*not prepared"):
        R.fibnlr_prepare(g, p)
    assert R.fibnlr_get_group(g.get_node("relu")).id == 25  # unchanged ImageSize group (5 x 5)


# --- prepare -------------------------------------------------------------------------------

def test_prepare_selects_default_types_and_node_types_is_configurable():
    g = compiled_direct()
    assert {n.name() for n in R.fibnlr_prepare(g)} == {"relu", "leaky", "gelu"}
    for n in R.fibnlr_prepared_nodes(g):
        assert R.fibnlr_get_npr(n) == R.NPR() and R.fibnlr_get_nnpr(n) == R.NNPR()
        assert R.fibnlr_get_activity_tracker(n).neurons == []
        assert R.fibnlr_get_group(n) == R.Group(25)
    p = params()
    p.node_types = p.node_types + ["Clip"]
    assert "clip" in {n.name() for n in R.fibnlr_prepare(g, p)}
    assert R.fibnlr_has_npr(g.get_node("clip"))


def test_clip_relu6_and_hardswish_models_can_be_selected():
    g = zoo_graph("mobilenet_v2", 2)
    relu6 = R.fibnlr_prepare(g)  # a Clip(0, 6) imports as ReLU6, selected by default
    assert len(relu6) == 35 and all(n.type() == "ReLU6" for n in relu6)
    assert R.fibnlr_prepare(g, params(node_types=["Clip"])) == []  # no other clip in it
    h = zoo_graph("mobilenet_v3_small", 2, opset=17)
    hs = R.fibnlr_prepare(h, params(node_types=["HardSwish"]))
    assert hs and all(n.type() == "HardSwish" for n in hs)
    R.fibnlr_compute(h, random_batches("mobilenet_v3_small", 1, 2), params(max_iteration=1))
    assert all(R.fibnlr_get_npr(n).pos > 0 for n in hs)


def test_groups_none_image_size_and_manual_with_find_helpers():
    g = zoo_graph("resnet18_cifar", 2)
    R.fibnlr_prepare(g, params(group=R.GroupMethod.NONE))
    assert R.fibnlr_find_groups(g) == {0}
    R.fibnlr_prepare(g)
    assert R.fibnlr_find_groups(g) == {32 * 32, 16 * 16, 8 * 8, 4 * 4}
    stage = R.fibnlr_find_node_by_group(g, 16)
    assert len(stage) == 4 and all(n.type() == "ReLU" for n in stage)
    first = R.fibnlr_prepared_nodes(g)[0]
    p = fibnlr.fibnlr_Parameters.paper()
    p.group_assignments = {first.name(): 7}
    R.fibnlr_prepare(g, p)
    assert R.fibnlr_get_group(first).id == 7
    assert R.fibnlr_find_node_by_group(g, 7) == [first]
    assert R.fibnlr_get_group(R.fibnlr_prepared_nodes(g)[1]).id == 1024  # unlisted: kept


# --- compute -------------------------------------------------------------------------------

def test_compute_matches_numpy_masses_and_alive_flags_on_direct_graph():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    batches = data(3)
    batches[1][:, 2] = -np.abs(batches[1][:, 2])
    conv = R.fibnlr_compute(g, batches, params(**NO_STOP))
    assert len(conv) == 3 and conv[0] == 0.0
    allx = np.concatenate(batches)
    for name in ("relu", "leaky", "gelu"):
        neg, pos = masses(DIRECT_SCALES[name] * allx.astype(np.float64))
        npr = R.fibnlr_get_npr(g.get_node(name))
        assert npr.neg == pytest.approx(neg, rel=1e-6) and npr.pos == pytest.approx(pos, rel=1e-6)
        assert npr.value() == pytest.approx(npr_value(neg, pos), rel=1e-6)
        y = DIRECT_SCALES[name] * allx
        dead = [not (y[:, c] > 0).any() for c in range(3)]
        assert R.fibnlr_get_activity_tracker(g.get_node(name)).neurons == dead


def test_convergence_values_against_numpy():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    batches = data(4, seed=3)
    conv = R.fibnlr_compute(g, batches, params(**NO_STOP))
    prev = None
    for k in range(4):
        xs = np.concatenate(batches[:k + 1]).astype(np.float64)
        vals = [npr_value(*masses(DIRECT_SCALES[n] * xs)) for n in ("relu", "leaky", "gelu")]
        if k == 0:
            assert conv[0] == 0.0
        else:
            # squared differences of values ~1 apart by ~1e-2 amplify the float-block rounding
            assert conv[k] == pytest.approx(sum((a - b) ** 2 for a, b in zip(vals, prev)), rel=1e-4)
        prev = vals


def test_stop_by_threshold_by_max_iteration_and_by_exhaustion_with_partial_batch():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    same = data(1)[0]
    served = []

    def counted(batches):
        for b in batches:
            served.append(1)
            yield b

    conv = R.fibnlr_compute(g, counted([same] * 10), params(convergence_threshold=1e-5))
    assert len(conv) == 2 and len(served) == 2 and conv[1] < 1e-5
    served.clear()
    conv = R.fibnlr_compute(g, counted(data(10)), params(convergence_threshold=0.0, max_iteration=4))
    assert len(conv) == 4 and len(served) == 4
    # max_iteration 0 = unlimited; a DataProvider with a partial last batch (10 items, batches of 4)
    R.fibnlr_prepare(g)
    items = np.random.default_rng(5).standard_normal((10, 3, 5, 5), dtype=np.float32)
    provider = fibnlr.DataProvider(fibnlr.TensorDatabase(items), 4)
    conv = R.fibnlr_compute(g, provider, params(**NO_STOP))
    assert len(conv) == 3
    assert R.fibnlr_get_npr(g.get_node("relu")).pos == pytest.approx(masses(items)[1], rel=1e-6)


def test_a_second_compute_continues_accumulating_and_hooks_are_silent_afterwards():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    a, b = data(1, seed=1), data(1, seed=2)
    R.fibnlr_compute(g, a, params(**NO_STOP))
    relu = g.get_node("relu")
    live = R.fibnlr_get_npr(relu)  # a live reference
    R.fibnlr_compute(g, b, params(**NO_STOP))
    expect = masses(np.concatenate(a + b))
    assert live.pos == pytest.approx(expect[1], rel=1e-6)  # the earlier reference saw the update
    g.forward(data(1, seed=9)[0])
    g.forward(data(1, seed=10)[0])
    assert R.fibnlr_get_npr(relu).pos == pytest.approx(expect[1], rel=1e-6)


def test_re_prepare_resets_without_duplicate_hooks():
    g = compiled_direct()
    batches = data(2)
    for _ in range(3):
        R.fibnlr_prepare(g)
    assert R.fibnlr_get_npr(g.get_node("relu")) == R.NPR()
    R.fibnlr_compute(g, batches, params(**NO_STOP))
    # counted once per batch: a duplicated hook would double the masses
    assert R.fibnlr_get_npr(g.get_node("relu")).pos == pytest.approx(masses(np.concatenate(batches))[1], rel=1e-6)


def test_a_dead_layer_does_not_block_convergence():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    rng = np.random.default_rng(0)
    positive = [np.abs(rng.standard_normal((4, 3, 5, 5), dtype=np.float32)) + 0.1 for _ in range(20)]
    conv = R.fibnlr_compute(g, positive, params(convergence_threshold=1e-3))
    gelu = R.fibnlr_get_npr(g.get_node("gelu"))
    assert gelu.pos == 0 and gelu.value() > 1e14  # dead: upstream's sum would stay huge
    assert len(conv) < 20 and conv[-1] < 1e-3
    assert R.fibnlr_get_activity_tracker(g.get_node("gelu")).count_dead_neurons() == 3


def test_compute_errors_leave_the_graph_unchanged():
    g = compiled_direct()
    with pytest.raises(ValueError, match="prepare"):
        R.fibnlr_compute(g, data(1))
    R.fibnlr_prepare(g)
    R.fibnlr_compute(g, data(2), params(**NO_STOP))
    relu = g.get_node("relu")
    before = (repr(R.fibnlr_get_npr(relu)), R.fibnlr_get_activity_tracker(relu).neurons)
    with pytest.raises(ValueError, match="no batch"):
        R.fibnlr_compute(g, [])
    with pytest.raises(ValueError, match="no batch"):
        R.fibnlr_compute(g, fibnlr.DataProvider(fibnlr.TensorDatabase(np.zeros((3, 3, 5, 5), np.float32)), 4,
                                                drop_last=True))
    with pytest.raises(ValueError, match=r"batch 2.*expected"):
        R.fibnlr_compute(g, data(2) + [np.zeros((4, 3, 6, 6), np.float32)], params(**NO_STOP))
    with pytest.raises(ValueError, match="expected"):
        R.fibnlr_compute(g, [np.zeros((4, 3 * 5 * 5), np.float32)])
    assert (repr(R.fibnlr_get_npr(relu)), R.fibnlr_get_activity_tracker(relu).neurons) == before
    g.forward(data(1)[0])  # measuring is off again
    assert repr(R.fibnlr_get_npr(relu)) == before[0]


def test_non_finite_values_are_counted_reported_and_kept_out_of_npr():
    g = compiled_direct()
    R.fibnlr_prepare(g)
    x = data(1)[0]
    x[0, 0, 0, 0] = np.nan
    x[1, 1, 1, 1] = np.inf
    x[2, 2, 2, 2] = -np.inf
    with pytest.warns(RuntimeWarning, match="non-finite"):
        R.fibnlr_compute(g, [x], params(**NO_STOP))
    npr = R.fibnlr_get_npr(g.get_node("relu"))
    assert npr.non_finite == 3
    neg, pos = masses(x)
    assert npr.neg == pytest.approx(neg, rel=1e-6) and npr.pos == pytest.approx(pos, rel=1e-6)
    assert np.isfinite(npr.value())


# --- NNPR ------------------------------------------------------------------------------------

def set_values(g, values, groups):
    R.fibnlr_prepare(g, params(group=R.GroupMethod.NONE))
    for name, v in values.items():
        R.fibnlr_set_npr(g.get_node(name), R.NPR(v * 1e3, 1e3))
        R.fibnlr_set_group(g.get_node(name), R.Group(groups[name]))


def expected_nnpr(vals, norm, method):
    vals = np.asarray(vals, dtype=np.float64)
    if norm == R.NormalizationMethod.NONE:
        return vals
    if len(vals) == 1:
        if method == R.Method.STRICT or norm == R.NormalizationMethod.MIN_MAX:
            return np.array([1.0])
        return (vals + EPS) / (1 + EPS)
    if norm == R.NormalizationMethod.SUM:
        return (vals + EPS) / (vals.sum() + EPS)
    if norm == R.NormalizationMethod.AVERAGE:
        return (vals + EPS) / (vals.mean() + EPS)
    lo, hi = vals.min(), vals.max()
    return np.ones_like(vals) if hi == lo else (vals - lo) / (hi - lo)


@pytest.mark.parametrize("method", list(R.Method.__members__.values()))
@pytest.mark.parametrize("norm", list(R.NormalizationMethod.__members__.values()))
@pytest.mark.parametrize("case", ["spread", "single", "all_equal"])
def test_compute_nnpr_every_normalisation_and_method(method, norm, case):
    g = compiled_direct((1, 1, 1, 1))
    values = {"relu": 0.3, "leaky": 1.2, "gelu": 2.0}
    groups = {"relu": 0, "leaky": 0, "gelu": 0}
    if case == "single":
        groups["gelu"] = 5
    if case == "all_equal":
        values = {k: 0.7 for k in values}
    set_values(g, values, groups)
    out = R.fibnlr_compute_NNPR(g, params(method=method, normalization=norm))
    by_name = {n.name(): v for n, v in out.items()}
    for gid in set(groups.values()):
        names = [n for n in ("relu", "leaky", "gelu") if groups[n] == gid]
        raw = [R.fibnlr_get_npr(g.get_node(n)).value() for n in names]
        exp = expected_nnpr(raw, norm, method)
        for n, e in zip(names, exp):
            assert by_name[n] == pytest.approx(e, rel=1e-12)
            assert R.fibnlr_get_nnpr(g.get_node(n)).value == pytest.approx(e, rel=1e-12)
            assert not np.isnan(by_name[n])


# --- prune -----------------------------------------------------------------------------------

def test_prune_threshold_and_x_least_per_group():
    g = compiled_direct((1, 1, 1, 1))
    R.fibnlr_prepare(g, params(group=R.GroupMethod.NONE))
    for name, v in {"relu": 0.1, "leaky": 0.2, "gelu": 2e9}.items():  # gelu: above every threshold used
        R.fibnlr_set_nnpr(g.get_node(name), R.NNPR(v))
    AC, AM = R.AblationCriteria, R.AblationMethod

    def sel(**kw):
        return {n.name() for n in R.fibnlr_prune(g, params(ablation_method=AM.NONE, **kw))}

    assert sel(ablation_threshold=0.25) == {"relu", "leaky"}
    assert sel(ablation_threshold=0.2) == {"relu"}
    assert sel(ablation_threshold=1e9) == {"relu", "leaky"}
    assert sel(ablation_criteria=AC.X_LEAST_PER_GROUP, ablation_x_least=1) == {"relu"}
    assert sel(ablation_criteria=AC.X_LEAST_PER_GROUP, ablation_x_least=3) == {"relu", "leaky"}
    assert sel(ablation_criteria=AC.NONE) == set()
    R.fibnlr_set_group(g.get_node("leaky"), R.Group(2))  # Python-set groups drive selection
    assert sel(ablation_criteria=AC.X_LEAST_PER_GROUP, ablation_x_least=1) == {"relu", "leaky"}
    assert g.get_node("relu").type() == "ReLU"


def _prune_last_relu(method):
    g = zoo_graph("resnet18_cifar", 2)
    R.fibnlr_prepare(g)
    nodes = R.fibnlr_prepared_nodes(g)
    for n in nodes:
        R.fibnlr_set_nnpr(n, R.NNPR(1.0))
    last = nodes[-1]  # the ReLU after the last residual Add
    assert last.get_parent(0).type() == "Add"
    R.fibnlr_set_nnpr(last, R.NNPR(0.0))
    pruned = R.fibnlr_prune(g, params(ablation_method=method))
    return g, pruned, last.name()


def test_remove_in_front_of_a_residual_add_gives_the_same_outputs_as_identity():
    x = random_batches("resnet18_cifar", 1, 2, seed=4)[0]
    ref = zoo_graph("resnet18_cifar", 2)
    y_ref = ref.forward(x)[0]
    gi, pi, name = _prune_last_relu(R.AblationMethod.IDENTITY)
    gr, pr, _ = _prune_last_relu(R.AblationMethod.REMOVE)
    gn, pn, _ = _prune_last_relu(R.AblationMethod.NONE)
    assert {n.name() for n in pi} == {n.name() for n in pr} == {n.name() for n in pn} == {name}
    assert gi.get_node(name).type() == "Identity"
    assert gr.get_node(name) is None
    assert gn.get_node(name).type() == "ReLU"
    yi, yr, yn = gi.forward(x)[0], gr.forward(x)[0], gn.forward(x)[0]
    np.testing.assert_array_equal(yi, yr)
    np.testing.assert_array_equal(yn, y_ref)
    assert not np.allclose(yi, y_ref)
    # pruning again changes nothing
    assert R.fibnlr_prune(gi, params(ablation_threshold=0.5)) == []
    assert len(gi) == len(zoo_graph("resnet18_cifar", 2))


def test_identity_pruned_model_matches_torch_with_that_relu_removed():
    import torch
    from models.export import build_zoo_model
    model, _ = build_zoo_model("tiny")
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 16), dtype=np.float32)
    g = zoo_graph("tiny", 2)
    R.fibnlr_prepare(g)
    prepared = R.fibnlr_prepared_nodes(g)
    for n in prepared:
        R.fibnlr_set_nnpr(n, R.NNPR(0.0))
    R.fibnlr_prune(g, params(ablation_method=R.AblationMethod.IDENTITY))
    # torch with every ReLU an identity
    for mod in list(model.modules()):
        for child_name, child in list(mod.named_children()):
            if isinstance(child, torch.nn.ReLU):
                setattr(mod, child_name, torch.nn.Identity())
    import torch.nn.functional as F
    orig_relu = F.relu
    F.relu = lambda t, inplace=False: t
    try:
        with torch.no_grad():
            y_t = model(torch.from_numpy(x)).numpy()
    finally:
        F.relu = orig_relu
    y = g.forward(x)[0]
    np.testing.assert_allclose(y, y_t, rtol=1e-4, atol=1e-5)


def test_one_shot_fibnlr_equals_three_steps():
    batches = random_batches("resnet18_cifar", 3, 2, seed=7)
    p = params(ablation_threshold=0.3, convergence_threshold=0.0)
    g1 = zoo_graph("resnet18_cifar", 2)
    one = {n.name() for n in R.fibnlr(g1, batches, p)}
    g2 = zoo_graph("resnet18_cifar", 2)
    R.fibnlr_prepare(g2, p)
    R.fibnlr_compute(g2, batches, p)
    three = {n.name() for n in R.fibnlr_prune(g2, p)}
    assert one == three and one
    x = batches[0]
    np.testing.assert_array_equal(g1.forward(x)[0], g2.forward(x)[0])
