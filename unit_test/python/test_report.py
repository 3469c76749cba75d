"""fibnlr.report: a real report of the demo ResNet, its HTML, Markdown and PNGs, and its input checks."""
import math
import struct
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from fibnlr import demo_data
from fibnlr.report import NonLinearity, ReportInput, Run, layer_table, nonlinearities, write_report

BATCH = 64
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- helpers


def png_size(path):
    """(width, height) of a PNG, after checking its signature and the IHDR chunk's CRC."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: first chunk is {kind!r}"
    body = data[16:16 + length]
    (crc,) = struct.unpack(">I", data[16 + length:20 + length])
    assert zlib.crc32(kind + body) == crc, f"{path}: IHDR CRC mismatch"
    assert data.endswith(b"IEND\xaeB`\x82"), f"{path}: no IEND chunk"
    return struct.unpack(">II", body[:8])


class Page(HTMLParser):
    """Image sources and every table's rows (cells as text, and whether the row is marked)."""

    def __init__(self):
        super().__init__()
        self.images, self.tables = [], {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a["src"])
        elif tag == "table":
            self._table = self.tables.setdefault(a.get("class"), [])
        elif tag == "tr" and self._table is not None:
            self._row = {"cells": [], "marked": a.get("class") == "marked"}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def parse(path):
    page = Page()
    page.feed(Path(path).read_text(encoding="utf-8"))
    return page


def demo_run(params, label):
    """prepare/compute/prune of the demo ResNet on 128 calibration images: (graph, pruned nodes, Run)."""
    calib_x = demo_data.load_subset()[0]
    x = demo_data.to_input(calib_x[:128])
    graph = fibnlr.load_onnx(demo_data.model_path("resnet"))
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[BATCH, 1, 28, 28]])
    fibnlr.fibnlr_prepare(graph, params)
    convergence = fibnlr.fibnlr_compute(graph, [x[i:i + BATCH] for i in range(0, len(x), BATCH)], params)
    pruned = fibnlr.fibnlr_prune(graph, params)
    run = Run(label, nonlinearities(graph, pruned), threshold=params.ablation_threshold,
              convergence=list(convergence), params={"ablation_threshold": params.ablation_threshold})
    return graph, pruned, run


@pytest.fixture(scope="module")
def resnet():
    pytest.importorskip("matplotlib")
    return demo_run(fibnlr.fibnlr_Parameters(), "default")


def nl(name="relu", **kw):
    values = dict(name=name, type="ReLU", group="1", npr=0.5, nnpr=0.2, dead=0, channels=8,
                  preceding_channels=8, pruned=False)
    values.update(kw)
    return NonLinearity(**values)


def conv_bn_relu_model():
    """x[1,3,8,8] -> Conv(5 out, 3x3, pad 1) -> BN -> Relu -> Flatten -> MatMul(320x4) -> Relu (no conv before)."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((5, 3, 3, 3)).astype(np.float32), "W"),
             numpy_helper.from_array(np.zeros(5, np.float32), "B")]
    for name, value in (("scale", 1.0), ("shift", 0.0), ("mean", 0.0), ("var", 1.0)):
        inits.append(numpy_helper.from_array(np.full(5, value, np.float32), name))
    inits.append(numpy_helper.from_array(rng.standard_normal((320, 4)).astype(np.float32), "M"))
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "scale", "shift", "mean", "var"], ["b"], name="bn"),
             helper.make_node("Relu", ["b"], ["r"], name="relu_after_bn"),
             helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "M"], ["m"], name="matmul"),
             helper.make_node("Relu", ["m"], ["y"], name="relu_after_matmul")]
    g = helper.make_graph(nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


# ---------------------------------------------------------------- a real report


def test_report_of_the_demo_resnet_has_valid_pngs_and_marks_every_pruned_node(resnet, tmp_path):
    graph, pruned, run = resnet
    pruned_names = {n.name() for n in pruned}
    assert pruned_names, "the default parameters prune some of the demo ResNet's ReLUs"
    simplified = graph.clone()
    simplified.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[1, 1, 28, 28]])
    before = layer_table(simplified)
    fibnlr.recipes.simplify(simplified, dims=[[1, 1, 28, 28]])
    simplified.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[1, 1, 28, 28]])
    data = ReportInput("demo resnet", [run], layers_before=before, layers_after=layer_table(simplified),
                       metrics={"original": {"top1": 86.2, "latency_ms": 5.1}, "pruned": {"top1": 40.0}},
                       plan=[{"unit": "block 1", "nodes": ["a", "b"], "gain": 2.0, "picked": True, "why": "best"},
                             {"unit": "block 2", "nodes": ["c"], "gain": 1.0, "picked": False, "why": "less gain"}])
    paths = write_report(tmp_path / "out", data)

    page = parse(paths["html"])
    html_dir = Path(paths["html"]).parent
    assert len(page.images) == 4  # NNPR, convergence, layers, metrics
    for src in page.images:
        assert not Path(src).is_absolute() and ".." not in src, src
        width, height = png_size(html_dir / src)
        assert width > 300 and height > 200
    assert sorted(str(html_dir / s) for s in page.images) == sorted(paths["figures"])

    rows = page.tables["nonlinearities"]
    header, body = rows[0]["cells"], rows[1:]
    name_col, pruned_col = header.index("name"), header.index("pruned")
    prepared = [n.name() for n in fibnlr.fibnlr_prepared_nodes(graph)]
    assert [r["cells"][name_col] for r in body] == prepared  # every non-linearity, in graph order
    for r in body:
        is_pruned = r["cells"][name_col] in pruned_names
        assert r["cells"][pruned_col] == ("yes" if is_pruned else "no")
        assert r["marked"] == is_pruned
    plan = page.tables["plan"]
    assert [r["marked"] for r in plan[1:]] == [True, False]
    assert {r["cells"][0] for r in page.tables["metrics"][1:]} == {"original", "pruned"}

    md = Path(paths["markdown"]).read_text(encoding="utf-8")
    assert "| # | name | type | group |" in md
    for name in prepared:
        line = next(x for x in md.splitlines() if f"| {name} |" in x or f"| **{name}** |" in x)
        assert line.rstrip().endswith("| **yes** |" if name in pruned_names else "| no |"), line
    for src in page.images:
        assert f"]({src})" in md


def test_pruned_identity_nodes_keep_their_original_type(resnet):
    graph, pruned, run = resnet
    by_name = {n.name: n for n in run.nonlinearities}
    for node in pruned:
        assert graph.get_node(node.name()).type() == "Identity"  # pruned by AblationMethod.IDENTITY
        entry = by_name[node.name()]
        assert entry.type == node.type() == "ReLU" and entry.pruned
        assert entry.nnpr < run.threshold
    assert all(n.channels > 0 and 0 <= n.dead <= n.channels for n in run.nonlinearities)


def test_preceding_channels_of_the_demo_resnet_are_its_convs_out_channels(resnet):
    # The demo model's BatchNorms are folded at export: each ReLU reads a Conv or an Add of a Conv and a skip.
    graph, _, run = resnet
    for entry in run.nonlinearities:
        parent = graph.get_node(entry.name).get_parents()[0]
        conv = parent if parent.type() == "Conv" else parent.get_parents()[0]
        assert conv.type() == "Conv", entry.name
        assert entry.preceding_channels == conv.get_parameter("W").shape[0]
    assert {n.preceding_channels for n in run.nonlinearities} == {8, 16, 32}


def test_preceding_channels_follow_conv_and_batchnorm_and_stop_elsewhere():
    graph = fibnlr.load_onnx(conv_bn_relu_model())
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[1, 3, 8, 8]])
    fibnlr.fibnlr_prepare(graph, fibnlr.fibnlr_Parameters())
    found = {n.name: n for n in nonlinearities(graph)}
    assert found["relu_after_bn"].preceding_channels == 5  # the Conv's 5 output channels
    assert found["relu_after_matmul"].preceding_channels is None
    assert math.isnan(found["relu_after_bn"].nnpr)  # prepared, not computed
    assert found["relu_after_bn"].channels == 0 and not found["relu_after_bn"].pruned


def test_nonlinearities_of_an_unprepared_graph_says_to_run_prepare():
    graph = fibnlr.load_onnx(conv_bn_relu_model())
    with pytest.raises(ValueError, match="fibnlr_prepare"):
        nonlinearities(graph)


def test_layer_table_counts_macs_per_image_and_parameters():
    graph = fibnlr.load_onnx(conv_bn_relu_model())
    with pytest.raises(ValueError, match="compile"):
        layer_table(graph)
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[4, 3, 8, 8]])
    rows = {r["name"]: r for r in layer_table(graph)}
    assert set(rows) == {"conv", "matmul"}
    assert rows["conv"] == {"name": "conv", "type": "Conv", "macs": 5 * 8 * 8 * 3 * 3 * 3, "params": 5 * 27 + 5}
    assert rows["matmul"]["macs"] == 320 * 4 and rows["matmul"]["params"] == 320 * 4


def test_several_runs_are_drawn_side_by_side_and_many_nodes_one_above_the_other(resnet, tmp_path):
    _, _, run = resnet
    loose = Run("loose", [nl(n.name, nnpr=n.nnpr, group=n.group, pruned=n.nnpr < 0.5) for n in run.nonlinearities],
                threshold=0.5)
    one = write_report(tmp_path / "one", ReportInput("m", [run]))
    two = write_report(tmp_path / "two", ReportInput("m", [run, loose]))
    (w1, h1), (w2, h2) = png_size(Path(one["figures"][0])), png_size(Path(two["figures"][0]))
    assert h2 == h1 and w2 >= 1.9 * w1
    page = parse(two["html"])
    assert len([t for t in page.tables]) >= 1 and len(page.tables["nonlinearities"]) == 2 * (len(run.nonlinearities) + 1)

    many = [nl(f"relu{i}", group=str(i // 10)) for i in range(50)]
    tall = write_report(tmp_path / "many", ReportInput("m", [Run("a", many), Run("b", many)]))
    single = write_report(tmp_path / "many1", ReportInput("m", [Run("a", many)]))
    (wa, ha), (wb, hb) = png_size(Path(tall["figures"][0])), png_size(Path(single["figures"][0]))
    assert wa == wb and ha > 1.5 * hb


def test_names_are_escaped_in_html_and_markdown(tmp_path):
    pytest.importorskip("matplotlib")
    evil = "<script>alert('x')</script>|b"
    paths = write_report(tmp_path, ReportInput("<b>model</b>", [Run("r&d", [nl(evil, pruned=True)], threshold=0.25)]))
    html = Path(paths["html"]).read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>model" not in html
    assert "&lt;script&gt;" in html and "r&amp;d" in html
    rows = parse(paths["html"]).tables["nonlinearities"]
    assert rows[1]["cells"][1] == evil  # the parser reads back the exact name
    md = Path(paths["markdown"]).read_text(encoding="utf-8")
    assert "<script>" not in md and "\\|b" in md


def test_writing_a_report_leaves_pyplot_alone(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    write_report(tmp_path, ReportInput("m", [Run("r", [nl()], convergence=[0.0, 1e-3, 1e-6])]))
    assert plt.get_fignums() == before


def test_without_matplotlib_the_figures_ask_for_the_report_extra(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # import of these now raises ImportError
    with pytest.raises(ImportError, match=r"pip install fibnlr\[report\]"):
        write_report(tmp_path, ReportInput("m", [Run("r", [nl()])]))


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize("make, field", [
    (lambda: ReportInput("m", [Run("r", [])]), r"runs\[0\]\.nonlinearities"),
    (lambda: ReportInput("m", []), r"runs is"),
    (lambda: ReportInput("m", [Run("r", [nl(dead=9, channels=8)])]), r"runs\[0\]\.nonlinearities\[0\]\.dead"),
    (lambda: ReportInput("m", [Run("r", [nl(nnpr=-0.1)])]), r"runs\[0\]\.nonlinearities\[0\]\.nnpr"),
    (lambda: ReportInput("m", [Run("r", [nl()]), Run("r", [nl()])]), r"runs\[1\]\.label"),
    (lambda: ReportInput("m", [Run("r", [nl()], threshold=float("inf"))]), r"runs\[0\]\.threshold"),
    (lambda: ReportInput("m", [Run("r", [nl()])], layers_before=[{"name": "c", "type": "Conv", "macs": -1,
                                                                  "params": 3}]), r"layers_before\[0\]\.macs"),
    (lambda: ReportInput("m", [Run("r", [nl()])], layers_after=[{"name": "c"}]), r"layers_after\[0\].*missing"),
    (lambda: ReportInput("m", [Run("r", [nl()])], metrics={1: {"top1": 80.0}}), r"metrics"),
    (lambda: ReportInput("m", [Run("r", [nl()])], metrics={"original": {"top1": "high"}}),
     r"metrics\['original'\]\['top1'\]"),
    (lambda: ReportInput("m", [Run("r", [nl()])], plan=[{"unit": "u", "picked": "yes"}]), r"plan\[0\]\.picked"),
    (lambda: ReportInput("", [Run("r", [nl()])]), r"model"),
])
def test_bad_report_input_names_the_field_and_writes_nothing(make, field, tmp_path):
    out = tmp_path / "report"
    with pytest.raises(ValueError, match=field):
        write_report(out, make())
    assert not out.exists()


def test_a_wrong_class_in_runs_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match=r"runs\[0\]"):
        write_report(tmp_path, ReportInput("m", [{"label": "r"}]))


def test_the_readme_figure_script_writes_the_nnpr_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "make_report_figure", Path(__file__).resolve().parents[2] / "scripts" / "make_report_figure.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main([str(tmp_path / "images"), "--report-dir", str(tmp_path / "full"), "--calibration", "128"])
    width, height = png_size(tmp_path / "images" / "report_nnpr.png")
    assert width > height > 300
    page = parse(tmp_path / "full" / "report.html")
    assert len(page.tables["nonlinearities"]) == 2 * 14  # two runs of the 13 ReLUs, each with its header row
    assert [r["cells"][0] for r in page.tables["metrics"][1:]] == ["original", "pruned", "simplified"]


def test_parameters_of_several_runs_share_one_table_with_the_differences_marked(tmp_path):
    pytest.importorskip("matplotlib")
    runs = [Run("a", [nl()], params={"ablation_threshold": 0.25, "method": "STRICT"}),
            Run("b", [nl()], params={"ablation_threshold": 0.5, "method": "STRICT"})]
    rows = parse(write_report(tmp_path, ReportInput("m", runs))["html"]).tables["params"]
    assert rows[0]["cells"] == ["parameter", "a", "b"]
    by_name = {r["cells"][0]: r for r in rows[1:]}
    assert by_name["ablation_threshold"]["cells"][1:] == ["0.25", "0.5"] and by_name["ablation_threshold"]["marked"]
    assert by_name["method"]["cells"][1:] == ["STRICT", "STRICT"] and not by_name["method"]["marked"]
