"""The documentation stays true: the tutorial's code runs, the concepts page
quotes what docs/concepts_numbers.py measures, the example recipes work, the
API-reference script fails on pdoc warnings, and the docs' links resolve."""
import importlib.util
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fibnlr
from fibnlr import demo_data

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def load_module(path: Path):
    """Imports a script of the repository (not a package module) by path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, re.S | re.M)


# ---- tutorial ----------------------------------------------------------------------------------

def test_tutorial_code_blocks_run_in_order(tmp_path, monkeypatch):
    blocks = python_blocks((DOCS / "tutorial.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "the tutorial lost its code blocks (or the fence syntax changed)"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "tutorial"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/tutorial.md python block {i + 1}", "exec"), namespace)

    pruned = {n.name() for n in namespace["pruned"]}
    assert pruned, "the tutorial's parameters prune nothing on the shipped model"
    # simplify removed the Identity nodes that replaced the pruned ReLUs.
    model = namespace["model"]
    assert all(model.get_node(name) is None for name in pruned)
    assert namespace["after"]["images"] == 2000 and 0.0 <= namespace["after"]["top1"] <= 1.0
    # The saved model is the pruned one: it has exactly the ReLUs that were kept.
    saved = fibnlr.load_onnx(str(tmp_path / "resnet_pruned.onnx"))
    original = fibnlr.load_onnx(demo_data.model_path("resnet"))
    assert len(saved.get_nodes_by_type("ReLU")) == len(original.get_nodes_by_type("ReLU")) - len(pruned)


# ---- concepts page -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def concepts():
    module = load_module(DOCS / "concepts_numbers.py")
    return module, module.blocks()


def test_concepts_page_quotes_the_measured_numbers(concepts):
    module, values = concepts
    page = (DOCS / "concepts.md").read_text(encoding="utf-8")
    assert set(values) == {m.group("name") for m in module.MARKER.finditer(page)}
    assert module.rewrite(page, values) == page, (
        "docs/concepts.md is stale: run python docs/concepts_numbers.py --write docs/concepts.md")


def test_concepts_numbers_agree_with_an_independent_npr(concepts):
    # The first row of the table, recomputed with numpy from the first ReLU's input
    # (the stem conv's output, a graph output here): neg / pos masses over the calibration batches.
    module, values = concepts
    graph = fibnlr.load_onnx(demo_data.model_path(module.MODEL))
    relu = graph.get_nodes()[[n.type() for n in graph.get_nodes()].index("ReLU")]
    conv = relu.get_parent(0)
    graph.set_outputs([(conv, 0)])
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[module.BATCH, 1, 28, 28]])
    x = demo_data.to_input(demo_data.load_subset()[0][:module.CALIBRATION_IMAGES])
    neg = pos = 0.0
    for i in range(0, len(x), module.BATCH):
        y = graph.forward(x[i:i + module.BATCH])[0].astype(np.float64)
        neg += -y[y < 0].sum()
        pos += y[y > 0].sum()
    first_row = values["measure"].splitlines()[2].split("|")
    assert float(first_row[5]) == pytest.approx(neg / pos, abs=1.5e-3)


def test_concepts_check_catches_a_stale_number(concepts, tmp_path):
    module, values = concepts
    page = (DOCS / "concepts.md").read_text(encoding="utf-8")
    name, body = next(iter(values.items()))
    stale = page.replace(body, body.replace("|", "| 9.999 |", 1), 1)
    assert stale != page
    assert module.rewrite(stale, values) == page
    with pytest.raises(ValueError, match="no block for: "):
        module.rewrite(page.replace(f"<!-- numbers:{name} -->", ""), values)
    # The command-line check exits 1 and names the stale block.
    path = tmp_path / "concepts.md"
    path.write_text(stale, encoding="utf-8")
    run = subprocess.run([sys.executable, str(DOCS / "concepts_numbers.py"), "--check", str(path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1 and f"stale numbers in block(s) {name}" in run.stderr, run.stderr


# ---- the Python example recipe -----------------------------------------------------------------

@pytest.fixture(scope="module")
def recipe():
    return load_module(ROOT / "examples" / "python_recipe.py")


def measured_mobilenet(batches=3, compute=True):
    graph = fibnlr.load_onnx(demo_data.model_path("mobilenetv2"))
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[64, 1, 28, 28]])
    params = fibnlr.fibnlr_Parameters()
    params.normalization = fibnlr.NormalizationMethod.AVERAGE
    fibnlr.fibnlr_prepare(graph, params)
    if compute:
        x = demo_data.to_input(demo_data.load_subset()[0][:64 * batches])
        fibnlr.fibnlr_compute(graph, [x[i:i + 64] for i in range(0, len(x), 64)], params)
    return graph


def kernel(conv):
    return tuple(conv.get_parameter("W").shape[2:])


def test_python_recipe_prunes_whole_blocks_and_they_merge_exactly(recipe):
    graph = measured_mobilenet()
    nnpr = {n.name(): fibnlr.fibnlr_get_nnpr(n).value for n in fibnlr.fibnlr_prepared_nodes(graph)}
    threshold = 1.005
    replaced = recipe.prune_linear_blocks(graph, threshold)
    assert replaced and len(replaced) % 2 == 0
    for first, second in zip(replaced[::2], replaced[1::2]):
        a, b = graph.get_node(first), graph.get_node(second)
        assert a.type() == b.type() == "Identity"
        assert nnpr[first] < threshold and nnpr[second] < threshold
        # The pattern, checked on the rewritten graph: 1x1 conv -> first -> conv -> second -> 1x1 conv.
        assert a.get_parent(0).type() == "Conv" and kernel(a.get_parent(0)) == (1, 1)
        assert a.get_children()[0].get_children() == [b]
        (project,) = b.get_children()
        assert project.type() == "Conv" and kernel(project) == (1, 1)
    # Pairs with one NNPR at or above the threshold are left whole.
    for name in set(nnpr) - set(replaced):
        assert graph.get_node(name).type() == "ReLU6"
    assert recipe.prune_linear_blocks(graph, threshold) == []

    x = demo_data.to_input(demo_data.load_subset()[2][:8])
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[8, 1, 28, 28]])
    before = graph.forward(x)[0].copy()
    convs = fibnlr.count_layers(graph, ["Conv"])
    fibnlr.recipes.simplify(graph, mode="exact", dims=[[8, 1, 28, 28]])
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[8, 1, 28, 28]])
    assert fibnlr.count_layers(graph, ["Conv"]) < convs
    np.testing.assert_allclose(graph.forward(x)[0], before, rtol=1e-4, atol=1e-4)


def test_python_recipe_leaves_the_graph_alone_below_every_nnpr(recipe):
    graph = measured_mobilenet(batches=1)
    assert recipe.prune_linear_blocks(graph, 0.0) == []
    assert len(graph.get_nodes_by_type("Identity")) == 0


def test_python_recipe_refuses_bad_input(recipe):
    graph = measured_mobilenet(batches=1)
    with pytest.raises(ValueError, match="threshold is nan; expected a number >= 0"):
        recipe.prune_linear_blocks(graph, float("nan"))
    with pytest.raises(ValueError, match="has no NNPR yet; run fibnlr_compute"):
        recipe.prune_linear_blocks(measured_mobilenet(compute=False), 1.0)


def test_python_recipe_script_runs(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "python_recipe.py")], capture_output=True,
                         text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr
    layers = re.search(r"Conv layers (\d+) -> (\d+)", run.stdout)
    assert layers and int(layers[2]) < int(layers[1]), run.stdout


# ---- API reference script ----------------------------------------------------------------------

def fake_python(tmp_path, stderr_text):
    """A stand-in for `python -m pdoc ... -o OUT` that writes OUT/index.html and `stderr_text`."""
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\n"
                    'while [ "$1" != "-o" ]; do shift; done\n'
                    'mkdir -p "$2" && echo ok > "$2/index.html"\n'
                    f"printf '{stderr_text}' >&2\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize("warning, expected_rc", [("", 0), ("Warn: cannot find spec for fibnlr.x\\n", 1)])
def test_build_docs_fails_on_any_pdoc_warning(tmp_path, warning, expected_rc):
    env = dict(os.environ, PYTHON=str(fake_python(tmp_path, warning)))
    run = subprocess.run(["bash", str(ROOT / "scripts" / "build_docs.sh"), str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == expected_rc, run.stderr
    assert (tmp_path / "out" / "index.html").exists()
    if expected_rc:
        assert "pdoc printed warnings" in run.stderr and "fibnlr.x" in run.stderr


# ---- links -------------------------------------------------------------------------------------

def test_docs_links_resolve_and_the_index_lists_every_page():
    pages = sorted(DOCS.glob("*.md"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "/work/shared" not in text and "../shared" not in text, page.name
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in pages:
        if page.name != "index.md":
            assert f"]({page.name})" in index, f"docs/index.md does not list {page.name}"
