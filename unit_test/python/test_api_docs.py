"""Every public object of fibnlr and fibnlr.recipes is documented, bound
functions name their arguments, and the clean API reads consistently
(issue 14): DataType/dtype, compile(dims=...), inputs()/outputs(), ratio,
lists in graph order, result objects with repr and to_dict."""
import dataclasses
import inspect
import re

import numpy as np
import pytest

import fibnlr
import fibnlr.compat
import fibnlr.recipes

# A pybind11 docstring starts with the signature line(s); an overloaded
# function lists "Overloaded function." and numbered signatures.
_SIGNATURE = re.compile(r"^(\d+\. )?[\w.]+\(.*\)( -> .*)?$")


def _body(doc):
    """The docstring without its signature lines."""
    lines = [ln for ln in (doc or "").strip().splitlines()
             if not _SIGNATURE.match(ln.strip()) and ln.strip() != "Overloaded function."]
    return " ".join(" ".join(lines).split())


def _is_pybind_enum(cls):
    return isinstance(cls, type) and hasattr(cls, "__members__") and hasattr(cls, "__index__")


def _public_members(cls):
    """(name, object) of a class's own public methods and properties (and __init__)."""
    for name, member in vars(cls).items():
        if isinstance(member, staticmethod):
            member = getattr(cls, name)
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(member, cls):  # enum members
            continue
        if _is_pybind_enum(cls) and name in ("name", "value", "__init__"):
            continue  # pybind11's own enum machinery, not ours
        if name == "__init__" and getattr(member, "__objclass__", None) is object:
            continue
        if dataclasses.is_dataclass(cls) and (name == "__init__" or name in {f.name for f in dataclasses.fields(cls)}):
            continue  # fields and the __init__ made of them: the class docstring describes them
        yield name, member


def _public_objects():
    for module in (fibnlr, fibnlr.recipes):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            yield f"{module.__name__}.{name}", obj
            if isinstance(obj, type):
                for member_name, member in _public_members(obj):
                    yield f"{module.__name__}.{name}.{member_name}", member


PUBLIC = sorted(dict(_public_objects()).items())


def test_the_walk_covers_classes_methods_and_properties():
    names = {name for name, _ in PUBLIC}
    for expected in ("fibnlr.GraphView.compile", "fibnlr.Node.get_parameter", "fibnlr.recipes.NPR.ratio",
                     "fibnlr.recipes.simplify", "fibnlr.recipes.SimplifyResult.to_dict", "fibnlr.load_onnx"):
        assert expected in names


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_documented(name, obj):
    doc = obj.__doc__ if not isinstance(obj, property) else (obj.__doc__ or getattr(obj.fget, "__doc__", ""))
    body = _body(doc)
    assert len(body.split()) >= 3, f"{name} has no docstring beyond its signature: {doc!r}"


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_arguments_are_named(name, obj):
    # pybind11 prints an argument without py::arg as arg0, arg1, ...
    assert not re.search(r"\barg\d+\b", obj.__doc__ or ""), f"{name}: unnamed argument in {obj.__doc__!r}"


def test_upstream_names_are_in_compat_not_in_all():
    for name in ("fibnlr_prepare", "fibnlr_get_npr", "fibnlr_Parameters", "fibnlr"):
        assert name in fibnlr.compat.UPSTREAM_NAMES
        assert name not in fibnlr.__all__
        assert getattr(fibnlr, name) is getattr(fibnlr.compat, name)
        assert getattr(fibnlr.recipes, name) is getattr(fibnlr.compat, name)
    for upstream, clean in fibnlr.compat.CLEAN_NAMES.items():
        assert getattr(fibnlr.recipes, clean) is getattr(fibnlr.compat, upstream), upstream
    assert fibnlr.recipes.run is fibnlr.fibnlr
    with pytest.raises(AttributeError, match="no_such_recipe"):
        fibnlr.recipes.no_such_recipe


def test_datatype_is_the_enum_and_dtype_its_alias():
    assert fibnlr.DataType.__name__ == "DataType"
    assert fibnlr.dtype is fibnlr.DataType
    assert fibnlr.dtype.float32 == fibnlr.DataType.float32
    t = fibnlr.Tensor(np.zeros((2, 3), np.int64))
    assert t.dtype == fibnlr.DataType.int64


def _one_relu(shape=(0, 3, 4, 4)):
    g = fibnlr.GraphView("g")
    x = g.add_input("x")
    x.set_annotation("onnx.input_shape", list(shape))
    relu = fibnlr.Node("ReLU", "relu")
    x.add_child(relu)
    g.add(relu)
    g.set_outputs([relu])
    return g, x, relu


def test_compile_accepts_dims_first_keyword_and_string_first():
    for call in (lambda g: g.compile([[2, 3, 4, 4]]),
                 lambda g: g.compile(dims=[[2, 3, 4, 4]]),
                 lambda g: g.compile([[2, 3, 4, 4]], "ref", fibnlr.DataType.float32),
                 lambda g: g.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[2, 3, 4, 4]]),
                 lambda g: g.compile("cpu", fibnlr.dtype.float32, [[2, 3, 4, 4]])):
        g, _, _ = _one_relu()
        call(g)
        x = np.linspace(-1, 1, 96, dtype=np.float32).reshape(2, 3, 4, 4)
        np.testing.assert_array_equal(g.forward(x)[0], np.maximum(x, 0))


def test_compile_without_dims_uses_the_declared_shape_or_says_what_is_missing():
    g, _, _ = _one_relu((1, 3, 4, 4))
    g.compile()
    assert g.forward(np.ones((1, 3, 4, 4), np.float32))[0].shape == (1, 3, 4, 4)
    g, _, _ = _one_relu((0, 3, 4, 4))
    with pytest.raises(ValueError, match=r"input 'x' is not known .*\[0, 3, 4, 4\].*pass dims"):
        g.compile()
    with pytest.raises(TypeError, match=r"compile: dims \[\[1, 'a'\]\] is not valid; expected a list of shapes"):
        g.compile(dims=[[1, "a"]])


def test_inputs_and_outputs_are_node_index_pairs():
    g, x, relu = _one_relu()
    assert g.inputs() == [(x, 0)]
    assert g.outputs() == [(relu, 0)]
    g.set_inputs(g.inputs())  # what inputs() returns is accepted back
    assert g.inputs() == [(x, 0)]


def _two_relus():
    g = fibnlr.GraphView("g")
    x = g.add_input("x")
    nodes = [fibnlr.Node("ReLU", f"r{i}") for i in range(3)]
    x.add_child(nodes[0])
    nodes[0].add_child(nodes[1])
    nodes[1].add_child(nodes[2])
    for n in nodes:
        g.add(n)
    g.set_outputs([nodes[2]])
    g.compile(dims=[[4, 2, 3, 3]])
    return g, nodes


def test_prepare_and_prune_return_lists_in_graph_order_and_ratio_reads_both():
    g, nodes = _two_relus()
    params = fibnlr.recipes.Parameters(ablation_criteria=fibnlr.recipes.AblationCriteria.THRESHOLD,
                                       ablation_threshold=2.0, normalization=fibnlr.recipes.NormalizationMethod.NONE)
    prepared = fibnlr.recipes.prepare(g, params)
    assert isinstance(prepared, list) and prepared == nodes
    x = np.random.default_rng(0).standard_normal((4, 2, 3, 3)).astype(np.float32)
    fibnlr.recipes.compute(g, [x], params)
    neg, pos = float(-x[x < 0].sum()), float(x[x > 0].sum())
    npr = fibnlr.recipes.get_npr(nodes[0])
    eps = np.finfo(np.float64).eps
    assert npr.ratio == pytest.approx((neg + eps) / (pos + eps), rel=1e-5)
    assert npr.ratio == npr.value()
    nnpr = fibnlr.recipes.get_nnpr(nodes[0])
    assert nnpr.ratio == nnpr.value == pytest.approx(npr.ratio)  # normalisation NONE
    pruned = fibnlr.recipes.prune(g, params)
    assert isinstance(pruned, list) and pruned == nodes  # every NNPR < 2 (r1, r2 see no negative input: ~0)
    assert nodes[1] in pruned and len(pruned) == 3  # upstream set-like use


def test_measurements_have_repr_and_to_dict():
    npr = fibnlr.recipes.NPR(1.0, 3.0)
    assert npr.to_dict() == {"neg": 1.0, "pos": 3.0, "non_finite": 0, "ratio": npr.ratio}
    assert "NPR" in repr(npr)
    assert fibnlr.recipes.NNPR(0.5).to_dict() == {"ratio": 0.5}
    assert fibnlr.recipes.Group(7).to_dict() == {"id": 7}
    assert fibnlr.recipes.ActivityTracker([True, False, True]).to_dict() == {"neurons": [True, False, True], "dead": 2}
    d = fibnlr.recipes.Parameters(ablation_threshold=0.25).to_dict()
    assert d["ablation_threshold"] == 0.25 and d["method"] == fibnlr.recipes.Method.STRICT


def test_simplify_result_to_dict_is_plain():
    import json
    g, _ = _two_relus()
    res = fibnlr.recipes.simplify(g, dims=[[1, 2, 3, 3]])
    d = res.to_dict()
    json.dumps(d)  # only plain values
    assert set(d) >= {"merged", "skipped", "before", "after", "layers_removed"}
    assert d["layers_removed"] == res.layers_removed
    assert repr(res).startswith("SimplifyResult(")
